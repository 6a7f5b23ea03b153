"""The sms-activate protocol (GET …/stubs/handler_api.php?api_key=KEY&action=…), read STRICTLY.

Its answers are plain tokens (`ACCESS_NUMBER:<id>:<number>`, `STATUS_OK:<code>`, `NO_NUMBERS` …) or, for the lists,
JSON. Every token this module knows is in one of four tables: REFUSALS (token -> error kind), STATES (getStatus
token -> waiting / received / closed), ACKNOWLEDGEMENTS (setStatus token -> the operation it acknowledges) and
DATA_TOKENS (the answers that carry the balance and a purchase); PAYLOADS says which of them carry a `:<payload>`.
Tokens are exact and case-sensitive, as the protocol publishes them; whitespace around an answer is allowed; anything
else is unreadable (`api`, naming the action), never a code and never an acknowledgement. The JSON lists are read in
the forms live sites give (LIST_FORMS below). reference/api.md ("sms-activate") lists the same tokens and forms, each
with its public source; a test holds them equal.

Status 1 ("the SMS was requested", answered by ACCESS_READY) is never sent: the protocol makes it optional, and on
some platforms it starts the activation's timer or ends the free-cancel window; the public clients (smshub's own
docs call it optional; solovey1/unified-sms-activate never sends it) poll getStatus without it.

The protocol has no test mode (unknown parameters are ignored, so a "test" purchase would be real) and no refund:
status 8 cancels (and refunds) an order that got no code; an order that got one is charged.
"""
from __future__ import annotations

import re

from . import strict
from .coderule import BARE_CODE, code_of, not_codes_of, reads_as_an_sms
from .decoding import parse_json
from .output import Failure, excerpt
from .platform import Op, declare
from .shapes import Message, SmsState, stated_charge, to_number
from .strict import Refusal, Unreadable, answer_text, plain_id, raise_for_http, taken_codes

# refused: the answer proves nothing was bought (a BUY may be retried elsewhere); False: an order MAY exist
REFUSALS = {
    "BAD_KEY": Refusal("auth", True, "the platform does not accept this API key: check it on the site's API page"),
    "NO_KEY": Refusal("auth", True, "the platform got no API key: check the key setting for this site"),
    "WRONG_API_KEY": Refusal("auth", True, "the platform does not accept this API key: check it on the site"),
    "BANNED": Refusal("auth", True, "the account is banned until {}: see the site"),
    "ACCOUNT_INACTIVE": Refusal("auth", True, "the account is inactive: see the site"),
    "NO_BALANCE": Refusal("balance", True, "the balance is too low: top up on the site"),
    "LOW_BALANCE": Refusal("balance", True, "the balance is too low: top up on the site"),
    "NO_MONEY": Refusal("balance", True, "the balance is too low: top up on the site"),
    "NO_BALANCE_FORWARD": Refusal("balance", True, "the balance is too low for call forwarding: top up on the site"),
    "NO_NUMBERS": Refusal("no_numbers", True, "no numbers for this service and country now: try another country or "
                                              "operator, or later"),
    "the number has not been issued": Refusal("no_numbers", True, "no number was issued: try again, or another "
                                                                  "country"),  # GrizzlySMS's prose for NO_NUMBERS
    "WRONG_MAX_PRICE": Refusal("budget", True, "no number at or below the price limit; the cheapest is {}"),
    "CHANNELS_LIMIT": Refusal("api", True, "the account's limit of open numbers is reached (or the account is "
                                           "blocked): finish or cancel open orders, or see the site"),
    "ORDER_ALREADY_EXISTS": Refusal("api", True, "an order for this service is already open at the site (perhaps an "
                                                 "earlier purchase that got no answer): finish or cancel it on the "
                                                 "site's orders page"),
    "BAD_SERVICE": Refusal("usage", True, "the platform does not know this service: see `services`"),
    "WRONG_SERVICE": Refusal("usage", True, "the platform does not know this service: see `services`"),
    "WRONG_COUNTRY": Refusal("usage", True, "the platform does not know this country: see `countries`"),
    "BAD_OPERATOR": Refusal("usage", True, "the platform does not know this operator: see `products`"),
    "WRONG_EXCEPTION_PHONE": Refusal("api", True, "the platform refused the request's excluded number prefixes"),
    "BAD_ACTION": Refusal("api", True, "the platform does not have this action (a clone without it)"),
    "UNPROCESSABLE_ENTITY": Refusal("api", True, "the platform refused the request as invalid"),
    "ERROR_SQL": Refusal("api", False, "the platform had a database error"),
    "NO_ACTIVATION": Refusal("not_found", True, "the platform knows no such order"),
    "NO_ACTIVATIONS": Refusal("not_found", True, "the platform knows no such order"),
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
# the structured error form {"title", "details"} with HTTP 4xx and a title the table lacks: a complete refusal
JSON_REFUSAL = Refusal("api", True, "the platform refused the request")
STATES = {"STATUS_WAIT_CODE": "waiting", "STATUS_WAIT_RESEND": "waiting", "STATUS_WAIT_RETRY": "waiting",
          "STATUS_OK": "received", "STATUS_CANCEL": "closed"}
SET_STATUS = {Op.ANOTHER_SMS: "3", Op.FINISH: "6", Op.CANCEL: "8"}  # the status each setStatus sends
ACKNOWLEDGEMENTS = {"ACCESS_RETRY_GET": Op.ANOTHER_SMS, "ACCESS_ACTIVATION": Op.FINISH, "ACCESS_CANCEL": Op.CANCEL,
                    "ACCESS_CANCEL_ALREADY": Op.CANCEL}  # cancelled before: cancelled all the same
DATA_TOKENS = {Op.BALANCE: "ACCESS_BALANCE", Op.BUY: "ACCESS_NUMBER"}
# the forms a token's `:<payload>` may take: given (`:x`), absent (no colon); a token not in PAYLOADS has none
REQUIRED, OPTIONAL, NONE = frozenset({"given"}), frozenset({"given", "absent"}), frozenset({"absent"})
PAYLOADS = {"WRONG_MAX_PRICE": REQUIRED, "STATUS_WAIT_RETRY": REQUIRED, "STATUS_OK": REQUIRED,
            "ACCESS_BALANCE": REQUIRED, "ACCESS_NUMBER": REQUIRED,
            "BANNED": OPTIONAL}  # BANNED:'2026-12-01 10-00-00' (sms-activate) or BANNED alone (privatesms.vip)

ACTIONS = {Op.COUNTRIES: "getCountries", Op.SERVICES: "getServicesList", Op.BALANCE: "getBalance",
           Op.PRODUCTS: "getPrices", Op.BUY: "getNumber", Op.READ: "getStatus", Op.ANOTHER_SMS: "setStatus",
           Op.FINISH: "setStatus", Op.CANCEL: "setStatus"}
LISTS = (Op.COUNTRIES, Op.SERVICES)
ORDER_ID, NUMBER = r"[A-Za-z0-9_-]+", r"\d{5,15}"  # the number as the platform writes it: digits, country code first

# The protocol's common service codes (sms-activate's own table, which its clones share), for a site with no
# getServicesList: a name resolves through them, a code (SERVICE_CODE) is taken as given. reference/api.md lists them.
COMMON_SERVICES = {
    "tg": "Telegram", "wa": "WhatsApp", "wb": "WeChat", "go": "Google,youtube,Gmail", "fb": "facebook",
    "ig": "Instagram+Threads", "tw": "Twitter", "ds": "Discord", "lf": "TikTok/Douyin", "vi": "Viber",
    "me": "Line messenger", "qq": "Tencent QQ", "kf": "Weibo", "hw": "Alipay/Alibaba/1688", "qf": "RedBook",
    "dr": "OpenAI", "mm": "Microsoft", "wx": "Apple", "am": "Amazon", "fu": "Snapchat", "oi": "Tinder",
    "ts": "PayPal", "nf": "Netflix", "mb": "Yahoo", "tn": "LinkedIN", "vk": "vk.com", "ok": "ok.ru", "nv": "Naver",
    "ka": "Shopee", "ep": "Temu", "ot": "Any other",
}
SERVICE_CODE = r"[a-z0-9]{2,3}(?:_[a-z0-9]{1,6})?"  # tg, wa2, aez, gr_bf: a word like "soul" is a name
BUILT_IN_CATALOGS = {"service": (COMMON_SERVICES, SERVICE_CODE)}

# EARLY_CANCEL_DENIED: "no cancel in the first minutes" after the purchase
PROTOCOL = declare(__name__, key_param="api_key", operations=frozenset(Op) - {Op.REFUND}, test_mode=False,
                   early_cancel_s=120.0, refusals=REFUSALS, states=STATES, catalogs=BUILT_IN_CATALOGS)


# ----------------------------------------------------------------------------- requests

def request(op, params):
    """(path, query) for one operation; the HTTP layer adds the key as PROTOCOL declares it."""
    refuse_missing(op)
    query = {"action": ACTIONS[op]}
    if op is Op.PRODUCTS:
        query.update(country=params["country"], service=params["service"])
    elif op is Op.BUY:
        query = buy_query(params)
    elif op is Op.READ:
        query["id"] = params["order_id"]
    elif op in SET_STATUS:
        query.update(id=params["order_id"], status=SET_STATUS[op])
    return "", query


def refuse_missing(op):
    if not PROTOCOL.has(op):
        raise Failure("usage", f"sms-activate has no {op.value}: status 8 (cancel) refunds an order that got no code, "
                               "and an order that got one is charged; nothing was sent.")


def buy_query(params):
    query = {"action": ACTIONS[Op.BUY], "service": params["service"], "country": params["country"]}
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
    try:
        return read_answer(op, reply, order, code_regex, seen)
    except Unreadable as unread:
        raise strict.unreadable(ACTIONS[op], unread) from None


def read_answer(op, reply, order, code_regex, seen):
    text = answer_text(reply)
    if op in LISTS and lacks_the_action(text, reply.status):  # names.py then falls back on PROTOCOL.catalogs
        raise Failure("api", f"the site has no {ACTIONS[op]}: it answered "
                             f"{f'HTTP {reply.status} ' if reply.status != 200 else ''}{excerpt(text) or '(nothing)'}.",
                      reason="no_list")
    refusal = refusal_in(text, reply.status)
    if refusal:
        raise refusal
    raise_for_http(reply, text)
    if not text:
        return empty_answer(op, reply)
    if not 200 <= reply.status < 300:
        raise Unreadable(text, reply.status)
    if text[:1] in "{[":
        return read_json(op, text, order)
    token, payload = split_token(text)
    if op is Op.READ:
        return sms_state(token, payload, text, order, code_regex, seen)
    if op in SET_STATUS:
        return acknowledgement(op, token, payload, text)
    if token != DATA_TOKENS.get(op):
        raise Unreadable(text)
    return TEXT_READERS[op](payload_of(token, payload, text), text)


def refusal_in(text, status):
    """The Failure a refusal token (or the JSON error form) is, with any HTTP status below 500 (sites send BAD_KEY
    with 401, BANNED with 403, NO_ACTIVATION with 404, EARLY_CANCEL_DENIED with 400 as often as with 200), or None."""
    if text[:1] == "{":
        decoded = parse_json(text)
        return json_error(decoded, status) if isinstance(decoded, dict) and "title" in decoded else None
    token, payload = split_token(text)
    return refused(token, payload_of(token, payload, text)) if token in REFUSALS else None


def lacks_the_action(text, status):
    """A list the site has not got: BAD_ACTION (as a token or the JSON error's title), an empty answer, HTTP 404."""
    decoded = parse_json(text) if text[:1] == "{" else None
    return status == 404 or split_token(text)[0] in ("", "BAD_ACTION") or \
        isinstance(decoded, dict) and decoded.get("title") == "BAD_ACTION"


def empty_answer(op, reply):
    """An empty body acknowledges a setStatus (HTTP 200 or 204); to anything else it says nothing."""
    if op in SET_STATUS and reply.status in (200, 204):
        return None
    raise Unreadable("(an empty answer)", reply.status if reply.status not in (200, 204) else None)


def split_token(text):
    """(token, payload or None): `STATUS_OK:123` -> ("STATUS_OK", "123")."""
    token, colon, payload = text.partition(":")
    return token, payload if colon else None


def payload_of(token, payload, text):
    """A known token's payload, which it must have (or not have) exactly as the protocol publishes it."""
    form = "given" if payload and payload.strip() else "absent" if payload is None else "empty"
    if form not in PAYLOADS.get(token, NONE):
        raise Unreadable(text)
    return payload.strip().strip("'\"").strip() if form == "given" else None  # BANNED:'<time>' without its quotes


def refused(token, detail, refusal=None, status=None):
    """The Failure for a refusal (strict.refused). WRONG_MAX_PRICE's payload is the cheapest offer over the limit:
    `cheapest` in the line, as for a limit checked before buying."""
    cheapest = to_number(detail) if token == "WRONG_MAX_PRICE" else None
    return strict.refused(refusal or REFUSALS[token], token, detail, status,
                          **({"cheapest": {"price": cheapest, "stock": None}} if cheapest is not None else {}))


def balance(payload, text):
    amount = to_number(payload)
    if amount is None:
        raise Unreadable(text)
    return amount


def purchase(payload, text):
    """ACCESS_NUMBER:<id>:<number>: the number kept as the platform writes it; this form carries no price."""
    order_id, _, number = payload.partition(":")
    if not (re.fullmatch(ORDER_ID, order_id) and re.fullmatch(NUMBER, number)):
        raise Unreadable(text)
    return {"order_id": order_id, "number": number, "price": None, "price_unreadable": False}


TEXT_READERS = {Op.BALANCE: balance, Op.BUY: purchase}


def acknowledgement(op, token, payload, text):
    """None for a token that acknowledges this action; a closed order is order_closed; anything else, another
    action's ACCESS_* included, is unreadable."""
    if ACKNOWLEDGEMENTS.get(token) is op and payload is None:
        return None
    if STATES.get(token) == "closed" and payload is None:
        raise Failure("order_closed", f"the platform answered {token}: the order is already closed.",
                      reason="refused")
    raise Unreadable(text)


def sms_state(token, payload, text, order, code_regex, seen):
    """A getStatus token -> SmsState: a code only from STATUS_OK:<code> with evidence (a bare code, or a code in the
    SMS's text), and only when it was not taken before (`seen` holds "code:<c>"). STATUS_OK:<text> with no code in
    it is an SMS without a code (new_texts) when the text was not seen before and reads as an SMS: words, no status
    line, and no bare protocol token (STATUS_OK:OK, STATUS_OK:ACCESS_READY): the protocol says the SMS came."""
    state = STATES.get(token)
    if state is None:
        raise Unreadable(text)
    given = payload_of(token, payload, text)
    if state != "received":
        return SmsState(closed=state == "closed", payload=text)
    message = Message(given, given if re.fullmatch(BARE_CODE, given) else None)
    code = code_of(message, not_codes_of(order), code_regex)
    new_text = not code and given not in seen and reads_as_an_sms(given) and not re.fullmatch(r"[A-Z_]+", given)
    return SmsState(code=None if code in taken_codes(seen) else code, sms=given, texts=(given,), payload=text,
                    new_texts=(given,) if new_text else ())


# ----------------------------------------------------------------------------- JSON answers

def read_json(op, text, order):
    """A JSON answer in the op's forms; the error form whose title is no refusal (json_error) is unreadable."""
    decoded, why = parse_json(text), strict.NOT_A_PRICE_LIST if op is Op.PRODUCTS else None
    if decoded is None or op not in JSON_READERS or isinstance(decoded, dict) and "title" in decoded:
        raise Unreadable(text, why=why)
    try:
        return JSON_READERS[op](decoded, order)
    except (AttributeError, KeyError, TypeError, ValueError):
        raise Unreadable(text, why=why) from None


def json_error(decoded, status):
    """{"title", "details", "info"?}: the title read as a refusal token when it is one; another title is a refusal
    only with HTTP 4xx (HeroSMS: 422 UNPROCESSABLE_ENTITY), else None (unreadable, below)."""
    title, details = decoded.get("title"), decoded.get("details")
    said = " ".join(str(part) for part in (details, field_of(decoded.get("info"))) if isinstance(
        part, (str, int, float)) and not isinstance(part, bool) and part != "") or None
    if isinstance(title, str) and title in REFUSALS:
        return refused(title, said, status=status)
    if isinstance(title, str) and title.strip() and 400 <= status < 500:
        return refused(title, said, JSON_REFUSAL, status)
    return None


def field_of(info):
    """HeroSMS's {"field": "api_key", "code": "REQUIRED"} as "api_key: REQUIRED"."""
    if not isinstance(info, dict) or not isinstance(info.get("field"), str):
        return None
    return f"{info['field']}: {info['code']}" if isinstance(info.get("code"), str) else info["field"]


def countries(decoded, _order):
    """{"<id>": {"id", "eng", "rus", "chn", "visible"}} or a list of those -> [{"id", "name", "chn"?, "rus"?,
    "hidden"?}]; a country with visible 0 is kept (its id still buys) but `hidden` (no name resolves to it)."""
    pairs = decoded.items() if isinstance(decoded, dict) else [(None, entry) for entry in decoded]
    return [country(key, entry) for key, entry in pairs]


def country(key, entry):
    given_id = entry["id"] if key is None else entry.get("id", key)
    if not isinstance(entry["eng"], str) or not isinstance(given_id, (str, int)) or isinstance(given_id, bool):
        raise ValueError(entry)
    item = {"id": str(given_id), "name": entry["eng"].strip()}
    item.update({name: entry[name] for name in ("chn", "rus") if isinstance(entry.get(name), str) and entry[name]})
    if entry.get("visible", 1) in (0, "0", False):
        item["hidden"] = True
    return item


def services(decoded, _order):
    """A service list in any of LIST_FORMS -> [{"id", "name"}], names trimmed ("Claude " is "Claude")."""
    if isinstance(decoded, list):
        return [service(entry["code"], entry["name"]) for entry in decoded]
    if "services" in decoded or "status" in decoded:
        if decoded["status"] != "success" or not isinstance(decoded["services"], list):
            raise ValueError(decoded)
        return services(decoded["services"], None)
    return [service(code, name) for code, name in decoded.items()]


def service(code, name):
    return {"id": text_of(code), "name": text_of(name)}


def text_of(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(value)
    return value.strip()


PRICE_KEYS, STOCK_KEYS = ("cost", "price", "retail_price"), ("count", "physicalCount")
PRICE_LIST_KEY = rf"\d{{1,4}}|{SERVICE_CODE}"  # a country id (0 is Russia, 186 …) or a service code


def products(decoded, order):
    """Prices in either nesting, country -> service ({"0": {"tg": …}}) or service -> country ({"tg": {"186": …}},
    privatesms.vip), or by service alone in a one-item list ([{"tg": …}], HeroSMS), to an offer ({"cost", "count"}),
    a bare price (stock unknown) or one of those per operator -> [{"id": "any" or the operator, "name", "price",
    "stock"}]; [] (PHP's empty array) and {} hold no offers, as does an answer in those forms without the asked
    pair: one of another shape ({"status": "error"}, {"data": …}) is unreadable, never "no offers"."""
    if decoded == []:
        return []
    if isinstance(decoded, list) and len(decoded) == 1:
        decoded = decoded[0]
    offers = offers_for(decoded, order or {})
    if is_offer(offers):
        return [offer("any", "any operator", offers)]
    if not isinstance(offers, dict):
        raise ValueError(offers)
    return [offer(str(name), str(name), value) for name, value in offers.items()]


def offers_for(decoded, asked):
    """The asked country's and service's entry, in whichever nesting the site uses ({} when it has none)."""
    country, service_code = (str(asked[name]) if asked.get(name) is not None else None
                             for name in ("country", "service"))
    given = {country, service_code} - {None}
    decoded = price_list(decoded, given)
    if country is None or service_code is None:  # no order: one country and one service, keyed as they come
        outer = only_entry(decoded, given)
        return only_entry(outer, given) if isinstance(outer, dict) and not is_offer(outer) else outer
    if country in decoded:
        return price_map(decoded[country], given).get(service_code, {})
    if service_code in decoded:  # by service: to the offer itself (the asked country implied), or by country
        by_service = decoded[service_code]
        return by_service if is_offer(by_service) else price_map(by_service, given).get(country, {})
    return {}


def price_list(decoded, given):
    """A price list's first two levels, each a price_map (an entry that is an offer itself ends there)."""
    for entry in price_map(decoded, given).values():
        if isinstance(entry, dict) and not is_offer(entry):
            price_map(entry, given)
    return decoded


def price_map(mapping, given):
    """One level of a price list: a JSON object keyed by country ids or service codes (or the ids asked, as the site
    writes them), each entry an object or a bare price; anything else is no price list."""
    keyed = isinstance(mapping, dict) and all(key in given or re.fullmatch(PRICE_LIST_KEY, key) for key in mapping)
    if not keyed or not all(isinstance(entry, dict) or is_price(entry) for entry in mapping.values()):
        raise ValueError(mapping)
    return mapping


def only_entry(mapping, given):
    """The only entry of a price list's level ({} when it holds none)."""
    if len(price_map(mapping, given)) > 1:
        raise ValueError(mapping)
    return next(iter(mapping.values()), {})


def is_offer(value):
    """An offer itself: a bare price, or an object with a price or a stock (not one keyed by operator)."""
    return is_price(value) or isinstance(value, dict) and any(key in value for key in (*PRICE_KEYS, *STOCK_KEYS))


def is_price(value):
    return isinstance(value, (int, float, str)) and not isinstance(value, bool) and to_number(value) is not None


def offer(item_id, name, value):
    """{"cost" or "price" or "retail_price", "count" or "physicalCount"} or a bare price -> a product; a cost of 0 or
    less is no price; a missing stock is unknown (None: still buyable), an unreadable one is an unreadable answer."""
    if is_price(value):
        price, stock = to_number(value), None
    elif isinstance(value, dict):
        price = next((to_number(value[key]) for key in PRICE_KEYS if key in value), None)
        given = next((value[key] for key in STOCK_KEYS if key in value), None)
        stock = to_number(given, int) if given is not None else None
        if given is not None and stock is None:
            raise ValueError(value)
    else:
        raise ValueError(value)
    return {"id": item_id, "name": name, "price": price if price is not None and price > 0 else None, "stock": stock}


def purchase_v2(decoded, _order):
    """getNumberV2's JSON: {"activationId", "phoneNumber", "activationCost", …}: an id and a number each text or a
    whole number (never null, a boolean or a float, whose text could pass for one: "None")."""
    order_id, number = plain_id(decoded["activationId"], ORDER_ID), plain_id(decoded["phoneNumber"], NUMBER)
    cost = decoded.get("activationCost")
    if order_id is None or number is None:
        raise ValueError(decoded)
    price = to_number(cost)
    return stated_charge({"order_id": order_id, "number": number, "price": price if price and price > 0 else None,
                          "price_unreadable": cost not in (None, "") and price is None}, decoded)


JSON_READERS = {Op.COUNTRIES: countries, Op.SERVICES: services, Op.PRODUCTS: products, Op.BUY: purchase_v2}
