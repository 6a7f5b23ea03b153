"""The sms-activate protocol (GET …/stubs/handler_api.php?api_key=KEY&action=…), read STRICTLY.

Its answers are plain tokens (`ACCESS_NUMBER:<id>:<number>`, `STATUS_OK:<code>`, `NO_NUMBERS` …) or, for the lists,
JSON. Every token this module knows is in one of four tables: REFUSALS (token -> error kind), STATES (getStatus
token -> waiting / received / closed), SET_STATUS (action -> the status sent and the one token that acknowledges it)
and DATA_TOKENS (the answers that carry the balance and a purchase). Tokens are exact and case-sensitive, as the
protocol publishes them; whitespace around an answer is allowed; anything else is unreadable (`api`), never a code
and never an acknowledgement. reference/api.md ("sms-activate") lists the same tokens; a test holds them equal.

Status 1 ("the SMS was requested", answered by ACCESS_READY) is never sent: the protocol makes it optional, and on
some platforms it starts the activation's timer or ends the free-cancel window; the public clients (smshub's own
docs call it optional; solovey1/unified-sms-activate never sends it) poll getStatus without it.

The protocol has no test mode (unknown parameters are ignored, so a "test" purchase would be real) and no refund:
status 8 cancels (and refunds) an order that got no code; an order that got one is charged.
"""
from __future__ import annotations

import collections
import re

from . import platform
from .coderule import BARE_CODE, code_of, not_codes_of
from .decoding import decode, parse_json
from .output import Failure, excerpt
from .platform import Op
from .shapes import Message, SmsState, to_number

NAME = platform.SMS_ACTIVATE
KEY_PARAM = "api_key"
TEST_MODE = False
OPERATIONS = frozenset(Op) - {Op.REFUND}

# refused: the answer proves nothing was bought (a BUY may be retried elsewhere); False: an order MAY exist
Refusal = collections.namedtuple("Refusal", "kind refused message")
REFUSALS = {
    "BAD_KEY": Refusal("auth", True, "the platform does not accept this API key: check it on the site's API page"),
    "NO_KEY": Refusal("auth", True, "the platform got no API key: check the key setting for this site"),
    "WRONG_API_KEY": Refusal("auth", True, "the platform does not accept this API key: check it on the site"),
    "BANNED": Refusal("auth", True, "the account is banned until {}: see the site"),
    "ACCOUNT_INACTIVE": Refusal("auth", True, "the account is inactive: see the site"),
    "NO_BALANCE": Refusal("balance", True, "the balance is too low: top up on the site"),
    "LOW_BALANCE": Refusal("balance", True, "the balance is too low: top up on the site"),
    "NO_MONEY": Refusal("balance", True, "the balance is too low: top up on the site"),
    "NO_NUMBERS": Refusal("no_numbers", True, "no numbers for this service and country now: try another country or "
                                              "operator, or later"),
    "WRONG_MAX_PRICE": Refusal("budget", True, "no number at or below the price limit; the cheapest is {}"),
    "CHANNELS_LIMIT": Refusal("api", True, "the account's limit of open numbers is reached: finish or cancel open "
                                           "orders first"),
    "BAD_SERVICE": Refusal("usage", True, "the platform does not know this service: see `services`"),
    "WRONG_SERVICE": Refusal("usage", True, "the platform does not know this service: see `services`"),
    "WRONG_COUNTRY": Refusal("usage", True, "the platform does not know this country: see `countries`"),
    "BAD_ACTION": Refusal("api", True, "the platform does not have this action (a clone without it)"),
    "ERROR_SQL": Refusal("api", False, "the platform had a database error"),
    "NO_ACTIVATION": Refusal("not_found", True, "the platform knows no such order"),
    "WRONG_ACTIVATION_ID": Refusal("not_found", True, "the platform knows no such order"),
    "EARLY_CANCEL_DENIED": Refusal("early_cancel", True, "the platform allows no cancel in the first minutes after "
                                                         "the purchase: cancel again in a few minutes"),
    # the order cannot be cancelled for a refund any more; it is not said to be closed: check it on the site
    "FREE_CANCELLATION_EXPIRED": Refusal("api", True, "the free cancellation of this order has expired: check the "
                                                      "order on the site"),
    # setStatus with a status the order's state does not allow (6 or 3 before a code, 8 after one): the flows'
    # get-sms check after a refused settle tells what the order is
    "BAD_STATUS": Refusal("api", True, "the platform refused this change for the order's current state"),
}
STATES = {"STATUS_WAIT_CODE": "waiting", "STATUS_WAIT_RESEND": "waiting", "STATUS_WAIT_RETRY": "waiting",
          "STATUS_OK": "received", "STATUS_CANCEL": "closed"}
SET_STATUS = {Op.ANOTHER_SMS: ("3", "ACCESS_RETRY_GET"), Op.FINISH: ("6", "ACCESS_ACTIVATION"),
              Op.CANCEL: ("8", "ACCESS_CANCEL")}
DATA_TOKENS = {Op.BALANCE: "ACCESS_BALANCE", Op.BUY: "ACCESS_NUMBER"}
WITH_PAYLOAD = {"BANNED", "WRONG_MAX_PRICE", "STATUS_WAIT_RETRY", "STATUS_OK", "ACCESS_BALANCE", "ACCESS_NUMBER"}

ACTIONS = {Op.COUNTRIES: "getCountries", Op.SERVICES: "getServicesList", Op.BALANCE: "getBalance"}
ORDER_ID, NUMBER = r"[A-Za-z0-9_-]+", r"\d{5,15}"  # the number as the platform writes it: digits, country code first


# ----------------------------------------------------------------------------- requests

def request(op, params):
    """(path, query) for one operation; the HTTP layer adds the key under KEY_PARAM."""
    refuse_missing(op)
    if op in ACTIONS:
        return "", {"action": ACTIONS[op]}
    if op is Op.PRODUCTS:
        return "", {"action": "getPrices", "country": params["country"], "service": params["service"]}
    if op is Op.BUY:
        return "", buy_query(params)
    if op is Op.READ:
        return "", {"action": "getStatus", "id": params["order_id"]}
    return "", {"action": "setStatus", "id": params["order_id"], "status": SET_STATUS[op][0]}


def refuse_missing(op):
    if op not in OPERATIONS:
        raise Failure("usage", f"sms-activate has no {op.value}: status 8 (cancel) refunds an order that got no code, "
                               "and an order that got one is charged; nothing was sent.")


def buy_query(params):
    query = {"action": "getNumber", "service": params["service"], "country": params["country"]}
    if params.get("operator") not in (None, "", "any"):
        query["operator"] = params["operator"]
    if params.get("max_price") is not None:
        query["maxPrice"] = plain_number(params["max_price"])
    return query


def plain_number(value):
    """A price as the platform reads it: 12.5, 10, 0.05 (never 1e-05)."""
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------- answers

def read(op, reply, order=None, code_regex=None, seen=()):
    """A Reply -> the common shape for op, or a Failure. For PRODUCTS, `order` may give the asked
    {"country", "service"}; without it the answer must hold one country and one service."""
    refuse_missing(op)
    text, _, lossy = decode(reply)
    text = text.strip()
    if lossy:  # misread text can hide what it says and show digits that are no code
        raise unreadable(text)
    raise_for_http(reply, text)
    if not text:
        return empty_answer(op, reply)
    if text[:1] in "{[":
        return read_json(op, reply, text, order)
    token, payload = split_token(text)
    if token in REFUSALS:
        raise refused(token, payload_of(token, payload, text))
    if not 200 <= reply.status < 300:
        raise unreadable(text, reply.status)
    if op is Op.READ:
        return sms_state(token, payload, text, order, code_regex, seen)
    if op in SET_STATUS:
        return acknowledgement(op, token, payload, text)
    if token != DATA_TOKENS.get(op):
        raise unreadable(text)
    return TEXT_READERS[op](payload_of(token, payload, text), text)


def raise_for_http(reply, text):
    """401/403: the key; 5xx: the site failed; a page (handler_api.php names its tokens text/html too, so only the
    body tells): something else answered."""
    if reply.status in (401, 403):
        raise Failure("auth", f"the platform refused the API key (HTTP {reply.status}): {excerpt(text)}",
                      reason="refused")
    if reply.status >= 500:
        raise unreadable(text or reply.reason, reply.status)
    if text.startswith("<"):
        raise Failure("api", f"an HTML page answered instead of the API (HTTP {reply.status}: a block page, a captive "
                             f"portal or the site's error page): {excerpt(re.sub(r'<[^>]*>', ' ', text[:4000]))!r}",
                      reason="html")


def unreadable(text, status=None):
    said = f"HTTP {status}: " if status else ""
    return Failure("api", f"the platform's answer could not be read ({said}{excerpt(text)!r})", reason="unreadable")


def empty_answer(op, reply):
    """An empty body acknowledges a setStatus (HTTP 200 or 204); to anything else it says nothing."""
    if op in SET_STATUS and reply.status in (200, 204):
        return None
    raise unreadable("(an empty answer)", reply.status if reply.status not in (200, 204) else None)


def split_token(text):
    """(token, payload or None): `STATUS_OK:123` -> ("STATUS_OK", "123")."""
    token, colon, payload = text.partition(":")
    return token, payload if colon else None


def payload_of(token, payload, text):
    """A known token's payload, which it must have (or not have) exactly as the protocol publishes it."""
    if (token in WITH_PAYLOAD) != bool(payload and payload.strip()):
        raise unreadable(text)
    return payload.strip() if payload else None


def refused(token, detail):
    """The Failure for a refusal token; a payload (or a JSON error's details) stays in the message."""
    refusal = REFUSALS[token]
    if "{}" in refusal.message:
        said = refusal.message.format(excerpt(detail or "(not given)"))
    else:
        said = refusal.message + (f" ({excerpt(detail)})" if detail else "")
    return Failure(refusal.kind, f"the platform answered {token}: {said}.",
                   reason="refused" if refusal.refused else None)


def balance(payload, text):
    amount = to_number(payload)
    if amount is None:
        raise unreadable(text)
    return amount


def purchase(payload, text):
    """ACCESS_NUMBER:<id>:<number>: the number kept as the platform writes it; this form carries no price."""
    order_id, _, number = payload.partition(":")
    if not (re.fullmatch(ORDER_ID, order_id) and re.fullmatch(NUMBER, number)):
        raise unreadable(text)
    return {"order_id": order_id, "number": number, "price": None, "price_unreadable": False}


TEXT_READERS = {Op.BALANCE: balance, Op.BUY: purchase}


def acknowledgement(op, token, payload, text):
    """None for the one token that acknowledges this action; a closed order is order_closed; anything else,
    another action's ACCESS_* included, is unreadable."""
    if token == SET_STATUS[op][1] and payload is None:
        return None
    if STATES.get(token) == "closed" and payload is None:
        raise Failure("order_closed", f"the platform answered {token}: the order is already closed.",
                      reason="refused")
    raise unreadable(text)


def sms_state(token, payload, text, order, code_regex, seen):
    """A getStatus token -> SmsState: a code only from STATUS_OK:<code> with evidence (a bare code, or a code in the
    SMS's text), and only when it was not taken before (`seen` holds "code:<c>")."""
    state = STATES.get(token)
    if state is None:
        raise unreadable(text)
    given = payload_of(token, payload, text)
    if state != "received":
        return SmsState(closed=state == "closed", payload=text)
    message = Message(given, given if re.fullmatch(BARE_CODE, given) else None)
    code = code_of(message, not_codes_of(order), code_regex)
    taken = {item[5:] for item in seen if item.startswith("code:")}
    return SmsState(code=None if code in taken else code, sms=given, texts=(given,), payload=text)


# ----------------------------------------------------------------------------- JSON answers

def read_json(op, reply, text, order):
    decoded = parse_json(text)
    if decoded is None:
        raise unreadable(text)
    if isinstance(decoded, dict) and "title" in decoded:
        raise json_error(decoded, text)
    if not 200 <= reply.status < 300 or op not in JSON_READERS:
        raise unreadable(text, None if 200 <= reply.status < 300 else reply.status)
    try:
        return JSON_READERS[op](decoded, order)
    except (AttributeError, KeyError, TypeError, ValueError):
        raise unreadable(text) from None


def json_error(decoded, text):
    """{"title", "details"}: the title read as a refusal token when it is one, else unreadable."""
    title, details = decoded.get("title"), decoded.get("details")
    if not (isinstance(title, str) and title in REFUSALS):
        return unreadable(text)
    return refused(title, str(details) if isinstance(details, (str, int, float)) and details != "" else None)


def countries(decoded, _order):
    """{"<id>": {"id", "eng", "rus", "chn"}} or a list of those -> [{"id", "name", "chn"?, "rus"?}]."""
    pairs = decoded.items() if isinstance(decoded, dict) else [(None, entry) for entry in decoded]
    return [country(key, entry) for key, entry in pairs]


def country(key, entry):
    given_id = entry["id"] if key is None else entry.get("id", key)
    if not isinstance(entry["eng"], str) or not isinstance(given_id, (str, int)) or isinstance(given_id, bool):
        raise ValueError(entry)
    item = {"id": str(given_id), "name": entry["eng"]}
    item.update({name: entry[name] for name in ("chn", "rus") if isinstance(entry.get(name), str) and entry[name]})
    return item


def services(decoded, _order):
    """{"status": "success", "services": [{"code", "name"}]} -> [{"id", "name"}]."""
    if decoded["status"] != "success":
        raise ValueError(decoded)
    return [{"id": text_of(entry["code"]), "name": text_of(entry["name"])} for entry in decoded["services"]]


def text_of(value):
    if not isinstance(value, str) or not value:
        raise ValueError(value)
    return value


def products(decoded, order):
    """{"<country>": {"<service>": {"cost", "count"}}} (or, by operator, {"<service>": {"<operator>": {…}}}) ->
    [{"id": "any" or the operator, "name", "price", "stock"}]; [] (PHP's empty array) and {} hold no offers."""
    if decoded == []:
        return []
    by_service = entry_for(decoded, order and order.get("country"))
    offers = entry_for(by_service, order and order.get("service"))
    if "cost" in offers or "count" in offers:
        return [offer("any", "any operator", offers)]
    return [offer(str(name), str(name), value) for name, value in offers.items()]


def entry_for(mapping, asked):
    """The asked entry of a JSON object, else its only entry ({} when it holds none)."""
    if not isinstance(mapping, dict):
        raise ValueError(mapping)
    if asked is not None:
        return mapping.get(str(asked), {})
    if len(mapping) > 1:
        raise ValueError(mapping)
    return next(iter(mapping.values()), {})


def offer(item_id, name, value):
    price, stock = to_number(value["cost"]), to_number(value["count"], int)
    if stock is None:
        raise ValueError(value)
    return {"id": item_id, "name": name, "price": price if price is not None and price > 0 else None,
            "stock": stock}


def purchase_v2(decoded, _order):
    """getNumberV2's JSON: {"activationId", "phoneNumber", "activationCost", …}."""
    order_id, number, cost = str(decoded["activationId"]), str(decoded["phoneNumber"]), decoded.get("activationCost")
    if not (re.fullmatch(ORDER_ID, order_id) and re.fullmatch(NUMBER, number)) or isinstance(
            decoded["activationId"], bool):
        raise ValueError(decoded)
    price = to_number(cost)
    return {"order_id": order_id, "number": number, "price": price if price is not None and price > 0 else None,
            "price_unreadable": cost not in (None, "") and price is None}


JSON_READERS = {Op.COUNTRIES: countries, Op.SERVICES: services, Op.PRODUCTS: products, Op.BUY: purchase_v2}
