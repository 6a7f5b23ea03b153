"""The 5sim protocol (https://5sim.net/v1: REST, JSON answers, the key as `Authorization: Bearer KEY`), read STRICTLY.

Requests are GETs below the base URL; the key is never in a URL. Every refusal this module knows is in REFUSALS
(the plain text of an HTTP 400, exact and case-sensitive as 5sim sends it, whitespace around it allowed), every order
state in STATES (waiting or closed: a code comes only from an SMS in the order's list, whatever the state), and the
acknowledgement of a status change is the order itself in the state that change gives it (SETTLED). Every answer
about an order is that order, by its id (ORDER_ID), the purchase's included. A JSON answer of another shape, an
answer about another order or about none, a refusal not in the table, an acknowledgement in another state:
unreadable (`api`), never a code and never an acknowledgement. reference/api.md ("5sim") lists the same texts and
states; a test holds them equal.

5sim has no test mode and no "another SMS" action (a new SMS appears in the order's list); it has a refund for a bad
number (`/user/ban/{id}`). Offers come from /guest/prices, by operator, with the operator's delivery `rate` where 5sim
gives one.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from .decoding import parse_json
from .output import Failure
from .platform import Op, declare
from .shapes import Message, SmsState, identity, stated_charge, to_number
from .strict import (NOT_A_PRICE_LIST, Refusal, Unreadable, answer_text, new_code, plain_id, raise_for_http,
                     refused, texts_without_code, unreadable)

REFUSALS = {
    "no free phones": Refusal("no_numbers", True, "no numbers for this service, country and operator now: try "
                                                  "another operator or country, or later"),
    "not enough user balance": Refusal("balance", True, "the balance is too low: top up on the site"),
    "not enough rating": Refusal("api", True, "the account's rating allows no more open orders now: finish or cancel "
                                              "open orders first (5sim's rating is the number of orders open at once)"),
    "bad country": Refusal("usage", True, "the platform does not know this country: see `countries`"),
    "country is incorrect": Refusal("usage", True, "the platform does not know this country: see `countries`"),
    "select country": Refusal("usage", True, "the platform got no country: see `countries`"),
    "bad operator": Refusal("usage", True, "the platform does not know this operator: see `products`"),
    "select operator": Refusal("usage", True, "the platform got no operator: see `products`"),
    "no product": Refusal("usage", True, "the platform does not know this service: see `services`"),
    "product is incorrect": Refusal("usage", True, "the platform does not know this service: see `services`"),
    "server offline": Refusal("api", True, "the platform's server for this offer is offline: try later or another "
                                           "operator"),
    "api limit is 100 requests per second": Refusal("api", True, "the account sent too many requests: try again"),
    "ip address limit is 100 requests per second": Refusal("api", True, "too many requests from this address: try "
                                                                        "again"),
    "order not found": Refusal("not_found", True, "the platform knows no such order"),
    "record not found": Refusal("not_found", True, "the platform knows no such order"),
    "order expired": Refusal("order_closed", True, "the order has expired"),
    # a cancel refused because the SMS came: the flows' recheck after a refused settle finds its code
    "order has sms": Refusal("api", True, "the order has received an SMS, so it cannot be cancelled"),
    "order no sms": Refusal("api", True, "the order has received no SMS, so it cannot be finished"),
    "hosting order": Refusal("api", True, "this is a hosting order, which this action does not take"),
    "you need to wait time": Refusal("early_cancel", True, "the platform allows no cancel yet after the purchase: "
                                                           "cancel again in a few minutes"),
}
STATES = {"PENDING": "waiting", "RECEIVED": "waiting", "CANCELED": "closed", "TIMEOUT": "closed",
          "FINISHED": "closed", "BANNED": "closed"}  # RECEIVED: the number is given; the SMS list says what came
SETTLED = {Op.FINISH: ("finish", "FINISHED"), Op.CANCEL: ("cancel", "CANCELED"), Op.REFUND: ("ban", "BANNED")}
PATHS = {Op.COUNTRIES: "/guest/countries", Op.SERVICES: "/guest/products/any/any", Op.PRODUCTS: "/guest/prices",
         Op.BALANCE: "/user/profile"}
ORDER_ID, PHONE = r"\d{1,20}", r"\+\d{5,15}"
NAME = r"[a-z0-9][a-z0-9_.-]{0,63}"  # 5sim's names of countries, products and operators: russia, telegram, tele2
ABOUT_AN_ORDER = frozenset({Op.READ, *SETTLED})

PROTOCOL = declare(__name__, key_header=("Authorization", "Bearer {key}"), headers={"Accept": "application/json"},
                   operations=frozenset(Op) - {Op.ANOTHER_SMS}, test_mode=False, refusals=REFUSALS, states=STATES)


# ----------------------------------------------------------------------------- requests

def request(op, params):
    """(path, query) for one operation; the HTTP layer adds the key's header."""
    refuse_missing(op)
    if op in PATHS:
        return PATHS[op], ({"country": params["country"], "product": params["service"]} if op is Op.PRODUCTS else {})
    if op is Op.BUY:
        segments = "/".join(segment(params[name] or "any") for name in ("country", "operator", "service"))
        price = params.get("max_price")
        return f"/user/buy/activation/{segments}", ({"maxPrice": plain_number(price)} if price is not None else {})
    action = "check" if op is Op.READ else SETTLED[op][0]
    return f"/user/{action}/{segment(params['order_id'])}", {}


def refuse_missing(op):
    if not PROTOCOL.has(op):
        raise Failure("usage", f"5sim has no {op.value}: a new SMS shows in the order's list by itself; nothing was "
                               "sent.")


def segment(value):
    """A path segment, escaped: a name or an id can never reach another path."""
    return quote(str(value), safe="")


def plain_number(value):
    """A price as the platform reads it: 12.5, 10, 0.05 (never 1e-05)."""
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------- answers

def read(op, reply, order=None, code_regex=None, seen=()):
    """A Reply -> the common shape for op, or a Failure. For PRODUCTS, `order` gives the asked {"country",
    "service"}; an answer about an order must be about `order` (the flows give the order they read or settle)."""
    refuse_missing(op)
    asked = str(order["order_id"]) if op in ABOUT_AN_ORDER and order and order.get("order_id") else None
    try:
        return read_answer(op, reply, order, code_regex, seen, asked)
    except Unreadable as unread:
        raise unreadable(op.value, unread) from None


def read_answer(op, reply, order, code_regex, seen, asked):
    text = answer_text(reply)
    if text in REFUSALS:
        raise refused(REFUSALS[text], text, status=reply.status)
    raise_for_http(reply, text)
    decoded = parse_json(text) if 200 <= reply.status < 300 else None
    why = NOT_A_PRICE_LIST if op is Op.PRODUCTS else None
    if not isinstance(decoded, dict):
        raise Unreadable(text, None if 200 <= reply.status < 300 else reply.status, why)
    if op in ABOUT_AN_ORDER:
        about_the_order(decoded, asked, text)
    try:
        return READERS[op](decoded, order, code_regex, seen, op)
    except (AttributeError, KeyError, TypeError, ValueError):
        raise Unreadable(text, why=why) from None


def about_the_order(decoded, asked, text):
    """An answer about an order is that order: its id, digits, is the one asked; another order's id, or none, is
    unreadable, never that order's code nor its settlement."""
    given = plain_id(decoded.get("id"), ORDER_ID)
    if given is None or given != asked:
        raise Unreadable(text, why=f"it names order {given}, not order {asked}" if given else
                         f"it names no order by an id of digits, where order {asked} was asked")


def countries(decoded, *_):
    """{"<name>": {"text_en": "Russia", "iso": {…}, "prefix": {…}, …}} -> [{"id": "<name>", "name": "Russia"}]."""
    return [{"id": key, "name": text(entry["text_en"])} for key, entry in decoded.items()]


def services(decoded, *_):
    """{"<product>": {"Category": "activation", "Qty": 120, "Price": 18}} -> its activation products, by name."""
    items = []
    for key, entry in decoded.items():
        if not isinstance(entry["Category"], str):
            raise ValueError(entry)
        whole(entry["Qty"])
        if entry["Category"] == "activation":
            items.append({"id": key, "name": key})
    return items


def products(decoded, order, *_):
    """{"<country>": {"<product>": {"<operator>": {"cost", "count", "rate"?}}}} -> one offer per operator, with its
    delivery rate where given. Only an answer of exactly that shape (every key a name as 5sim writes them, every offer
    readable) says that a country or product not listed holds no offers; the asked product as a country is the
    other nesting, never that shape."""
    country, product = str(order["country"]), str(order["service"])
    if product in decoded and product != country:
        raise ValueError(decoded)
    listed = {(name, product_name): offers(by_operator) for name, by_product in named(decoded).items()
              for product_name, by_operator in named(by_product).items()}
    return listed.get((country, product), [])


def offers(by_operator):
    return [offer(name, value) for name, value in named(by_operator).items()]


def named(mapping):
    """A JSON object keyed by 5sim's names (NAME: lowercase), else unreadable."""
    if not isinstance(mapping, dict) or not all(re.fullmatch(NAME, key) for key in mapping):
        raise ValueError(mapping)
    return mapping


def offer(name, value):
    price, stock, rate = number(value["cost"]), whole(value["count"]), value.get("rate")
    item = {"id": name, "name": name, "price": price if price > 0 else None, "stock": stock}
    return {**item, "rate": number(rate)} if rate is not None else item


def balance(decoded, *_):
    """/user/profile: {"id", "email", "balance", "rating", …} -> the balance."""
    return number(decoded["balance"])


def purchase(decoded, *_):
    """The order bought: {"id", "phone": "+7…", "price", "status": "PENDING", …} -> the purchase."""
    order_id, phone = plain_id(decoded["id"], ORDER_ID), plain_id(decoded["phone"], PHONE)
    if order_id is None or phone is None or decoded["status"] not in STATES:
        raise ValueError(decoded)
    price = to_number(decoded.get("price"))
    return stated_charge({"order_id": order_id, "number": phone, "price": price if price and price > 0 else None,
                          "price_unreadable": decoded.get("price") is not None and (price is None or price <= 0)},
                         decoded)


def sms_state(decoded, order, code_regex, seen, _op):
    """/user/check: the order -> SmsState. A code only from an SMS in its list (its code field judged as evidence,
    else its text's), newest first, not taken before; the new SMS in which the rule finds none are handed over
    (new_texts); a closed state with no new code is closed."""
    state = STATES[decoded["status"]]
    messages = [message(item) for item in decoded["sms"]][::-1]  # 5sim lists them oldest first
    code, text_with_code = new_code(messages, order, code_regex, seen)
    without_code = () if code else texts_without_code(messages, order, code_regex, seen)
    newest = messages[0].text if messages else None
    return SmsState(code=code, sms=text_with_code or next(iter(without_code), newest),
                    closed=state == "closed" and not code, texts=tuple(map(identity, messages)), payload=decoded,
                    new_texts=without_code)


def message(item):
    """One SMS: {"created_at", "date", "sender", "text", "code"}."""
    body, code = item["text"], item.get("code")
    if not isinstance(body, str) or code is not None and not isinstance(code, str):
        raise ValueError(item)
    return Message(body, code or None)


def acknowledgement(decoded, _order, _code_regex, _seen, op):
    """The order after finish, cancel or ban: in the state the action gives, else closed otherwise (order_closed),
    else unreadable."""
    status = decoded["status"]
    if status == SETTLED[op][1]:
        return None
    if STATES.get(status) == "closed":
        raise Failure("order_closed", f"the platform answered the order as {status}: it is already closed.",
                      reason="refused")
    raise ValueError(decoded)


def text(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(value)
    return value


def number(value):
    """A JSON number (never a boolean, never text), finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or to_number(value) is None:
        raise ValueError(value)
    return to_number(value)


def whole(value):
    """A count: a whole JSON number, never a boolean."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


READERS = {Op.COUNTRIES: countries, Op.SERVICES: services, Op.PRODUCTS: products, Op.BALANCE: balance,
           Op.BUY: purchase, Op.READ: sms_state, Op.FINISH: acknowledgement, Op.CANCEL: acknowledgement,
           Op.REFUND: acknowledgement}
