"""SMSOnline v1 (`…/api/v1/virtual-number/<endpoint>?apiKey=…`). Its answer formats are not published, so they are
read tolerantly (smsonline_reader.py; reference/response-shapes.md lists every accepted shape)."""
from __future__ import annotations

from .smsonline_reader import read_answer, read_items, read_purchase, read_sms
from .output import Failure
from .platform import SMSONLINE_V1, Op

NAME = SMSONLINE_V1
KEY_PARAM = "apiKey"
TEST_MODE = True  # buy-service&test=1: "not charged, no real number" (the user's notes)
ENDPOINTS = {Op.COUNTRIES: "get-countries", Op.SERVICES: "get-services", Op.PRODUCTS: "get-products",
             Op.BUY: "buy-service", Op.READ: "get-sms", Op.FINISH: "change-status", Op.CANCEL: "change-status",
             Op.REFUND: "change-status"}
STATUS_VALUES = {Op.FINISH: 3, Op.CANCEL: 4, Op.REFUND: 5}  # change-status's wire values
OPERATIONS = frozenset(ENDPOINTS)  # no balance; no "another SMS": the site resends, and get-sms shows the next


def request(op, params):
    """(path, query) for an operation; the key is added by the HTTP layer."""
    if op not in OPERATIONS:
        raise Failure("usage", f"SMSOnline v1 has no {op.value} operation.")
    queries = {
        Op.PRODUCTS: lambda: {"countryId": params["country"], "serviceId": params["service"]},
        Op.BUY: lambda: {"countryId": params["country"], "serviceId": params["service"],
                         "operatorId": str(params["operator"]), **({"test": 1} if params.get("test") else {})},
        Op.READ: lambda: {"id": params["order_id"]},
    }
    if op in STATUS_VALUES:
        return f"/virtual-number/{ENDPOINTS[op]}", {"id": params["order_id"], "status": STATUS_VALUES[op]}
    return f"/virtual-number/{ENDPOINTS[op]}", queries.get(op, dict)()


def read(op, reply, order=None, code_regex=None, seen=()):
    """A Reply -> items, a purchase, an SmsState, or None for an acknowledged status change."""
    answer = read_answer(reply, free_text=op is Op.READ)  # get-sms may answer with the SMS's bare text
    if op in (Op.COUNTRIES, Op.SERVICES, Op.PRODUCTS):
        return read_items(answer)
    if op is Op.BUY:
        return read_purchase(answer)
    if op is Op.READ:
        return read_sms(answer, order, code_regex, seen)
    return None  # any success envelope acknowledges a status change
