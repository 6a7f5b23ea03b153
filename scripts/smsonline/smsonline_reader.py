"""SMSOnline v1's tolerant reader: any answer -> a payload or a designed Failure; then items, a purchase, an SMS.

SMSOnline publishes no answer formats, so every reader here is tolerant; reference/response-shapes.md lists every
accepted shape. The envelope (``code``, ``status``, ``msg`` … of the wrapper) is protocol; only the payload can hold
an order's data, and a code comes only from an SMS text or a code field inside the payload, judged by the code rule
(coderule.py). Bytes become text in decoding.py; the shapes returned are shapes.py's.
"""
from __future__ import annotations

import collections
import json
import math
import re
import unicodedata

from .coderule import BARE_CODE, WAITING, code_of, is_contradicted, is_status_text, not_codes_of, reads_as_an_sms
from .decoding import declared_charset, decode, looks_like_html, parse_json
from .output import Failure, excerpt
from .shapes import Message, SmsState, identity, stated_charge, to_number

# unwrapped: the payload came from under data/result/body (or is a list, or a text answer), not the envelope itself
Answer = collections.namedtuple("Answer", "payload unwrapped")

WRAPPER_KEYS = ("data", "result", "body")
MESSAGE_KEYS = ("message", "msg", "errorMessage", "error")
ID_KEYS = ("id", "orderId", "order_id", "activationId", "countryId", "serviceId", "operatorId",
           "country_id", "service_id", "operator_id")
ORDER_ID_KEYS = ID_KEYS[:4]  # a purchase's order id
NAME_KEYS = ("name", "title", "eng", "chn", "rus", "operator")
PRICE_KEYS = ("price", "cost")
STOCK_KEYS = ("count", "stock", "qty", "available")
NUMBER_KEYS = ("number", "phone", "phoneNumber", "phone_number")
LIST_KEYS = ("items", "list", "countries", "services", "products", "operators")
STATE_KEYS = ("state", "status", "orderStatus", "order_status", "smsStatus", "sms_status")
ACK_TOKENS = {"OK", "SUCCESS", "TRUE", "1", "DONE"}
FAIL_FLAGS = {"-1", "error", "fail", "failed", "failure", "false"}
PROTOCOL_STATUSES = {"0", "1", "-1", "200", "true", "false", "ok", "success", "error", "fail", "failed"}
TOKEN_KINDS = {
    "BAD_KEY": "auth", "NO_KEY": "auth", "BANNED": "auth", "ACCOUNT_INACTIVE": "auth",
    "NO_NUMBERS": "no_numbers", "WRONG_MAX_PRICE": "no_numbers", "NO_BALANCE": "balance",
    "NO_ACTIVATION": "not_found", "WRONG_ACTIVATION_ID": "not_found", "EARLY_CANCEL_DENIED": "early_cancel",
    "STATUS_CANCEL": "order_closed",
}
MESSAGE_KINDS = (  # in order; each pattern is searched in at most the first 500 characters (linear time)
    ("auth", r"(invalid|wrong|bad|incorrect|missing)[ _-]?(api[ _-]?)?key|unauthori[sz]ed|forbidden|bad_key|banned"),
    ("balance", r"balance|insufficient|not enough (money|funds)|余额"),
    ("no_numbers", r"no[ _-]?numbers?|out of stock|no (free )?phones?|not available|库存|无可用"),
    ("early_cancel", r"\bearly\b|too soon|cannot be cancel+ed yet|wait [^.\n]{0,40} before cancel"),
    ("order_closed", None),  # says_closed(): a closed order needs the order named, or the word alone
    ("not_found", r"\b(order|activation)\b[^.\n]{0,20}not[ _-]?found|no such (order|activation)|no[ _-]?activation"
                  r"|(invalid|wrong|unknown) (order|activation)|订单不存在"),
)
CLOSED_WORDS = r"cancel+ed|expired|closed|finished|completed|refunded|timed[ _-]?out"
NOT_CLOSED = r"\b(cannot|can't|can ?not|unable|not allowed|failed|refuse\w*|temporar\w*|maintenance)\b"


# ----------------------------------------------------------------------------- envelope

def kind_of_message(text):
    text = str(text).strip()[:500]
    upper = text.upper()
    for token, kind in TOKEN_KINDS.items():
        if upper.startswith(token):
            return kind
    for kind, pattern in MESSAGE_KINDS:
        if says_closed(text) if pattern is None else re.search(pattern, text, re.IGNORECASE):
            return kind
    return "api"


def says_closed(text):
    """The platform says the order itself is over ("Order expired", ORDER_CANCELLED, 已取消), not that something
    else is closed ("API temporarily closed") or that it cannot cancel."""
    lower = text.lower()
    if re.search(NOT_CLOSED, lower):
        return False
    return bool(re.search(rf"\b(order|activation)\b[^.\n]{{0,30}}\b({CLOSED_WORDS})\b", lower)
                or re.fullmatch(rf"\W*((order|status)[ _-]?)?({CLOSED_WORDS})([ _-]by[ _-]\w+)?\W*", lower)
                or re.search(r"已取消|已过期|已关闭|已失效|订单已结束", lower))


def first(mapping, keys):
    """The first present, non-empty value among keys."""
    for key in keys:
        value = mapping.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def message_of(answer):
    message = first(answer, MESSAGE_KEYS)
    if isinstance(message, dict):
        message = first(message, ("message", "msg", "code")) or json.dumps(message, ensure_ascii=False)
    return message


def read_text_answer(text, free_text=False):
    """sms-activate style plain-text answers: ACCESS_NUMBER:id:phone, STATUS_OK:code, NO_NUMBERS, …; with free_text
    (get-sms), any other text that is no refusal is an SMS text, to be read by the code rule."""
    parts = text.strip().split(":")
    token = parts[0].upper()
    if token == "ACCESS_NUMBER" and len(parts) >= 3:
        return {"id": parts[1], "number": parts[2]}
    if token == "STATUS_OK":  # the protocol's success form: evidence of a code, bare or in the SMS's text
        given = ":".join(parts[1:]).strip()
        return {"smsCode" if re.fullmatch(BARE_CODE, given) else "sms": given, "state": token}
    if token.startswith("STATUS_WAIT") or token == "STATUS_CANCEL":
        return {"state": token}
    if token.startswith("ACCESS_") or token in ACK_TOKENS:
        return {"ack": token}
    kind = kind_of_message(token)
    if kind != "api" or re.fullmatch(r"[A-Z_]+", token):
        raise Failure(kind, f"the platform answered {excerpt(text)}")
    if free_text:
        return {"sms": text.strip()}
    raise Failure("api", f"the platform's answer could not be read: {excerpt(text)!r}", reason="unreadable")


def envelope_failed(answer):
    """True when an envelope says it failed: a failure flag, a non-empty error, or an error code with a message."""
    flags = [answer.get("status"), answer.get("success"), answer.get("ok")]
    if str(flags[0]).lower() in FAIL_FLAGS or False in flags[1:] or str(flags[1]).lower() == "false":
        return True
    message = message_of(answer)
    if str(flags[0]) == "0" and not any(answer.get(key) not in (None, "", [], {}) for key in WRAPPER_KEYS) and \
            not re.fullmatch(r"(?i)\s*(ok|success|done|成功)?\W*", str(message or "")):
        return True  # {"status": 0, "message": "Order cannot be cancelled…"}: 0 with nothing but a message
    error = answer.get("error")
    empty = isinstance(error, str) and error.strip().lower() in ("none", "null", "0", "false", "ok")
    if error not in (None, False, "", 0, {}, []) and not empty:
        return True
    code = answer.get("code")
    if isinstance(code, bool) or code is None:
        return False
    if isinstance(code, (int, float)):
        return code not in (0, 1, 200) and (code < 0 or 400 <= code < 600 or
                                              bool(message) and kind_of_message(message) != "api")
    return isinstance(code, str) and bool(re.fullmatch(r"[A-Z][A-Z_]{2,}", code)) and kind_of_message(code) != "api"


def raise_if_flagged(answer):
    if not envelope_failed(answer):
        return
    message = message_of(answer) or answer.get("code") or "the platform reported an error"
    kind = kind_of_message(message)
    if kind == "api" and isinstance(answer.get("code"), str):
        kind = kind_of_message(answer["code"])
    raise Failure(kind, f"the platform refused: {excerpt(message)}")


def http_failure(reply, decoded, text):
    detail = excerpt(message_of(decoded) if isinstance(decoded, dict) else text) or reply.reason
    if reply.status in (401, 403):
        return Failure("auth", f"the platform refused the API key (HTTP {reply.status}): {detail}")
    if reply.status == 404:
        return Failure("not_found", f"not found (HTTP 404): {detail}")
    kind = kind_of_message(detail) if reply.status < 500 else "api"
    return Failure(kind, f"HTTP {reply.status} from the platform: {detail}")


def read_answer(reply, free_text=False):
    """A Reply -> Answer, or a Failure whose kind says what went wrong; free_text: see read_text_answer."""
    text, _, lossy = decode(reply)
    if looks_like_html(reply, text) and reply.status != 401:  # a 401 page is still a refused key
        raise Failure("api", f"an HTML page answered instead of JSON (HTTP {reply.status}: a block page, a captive "
                      f"portal or the site's error page): {excerpt(re.sub(r'<[^>]*>', ' ', text[:4000]))!r}",
                      reason="html")
    if lossy:  # misread text can hide what it says ("暂无短信" -> mojibake) and show digits that are no code
        raise Failure("api", f"the platform's answer is in no charset that could be read (declared: "
                      f"{declared_charset(reply.content_type) or 'none'}; -v or --trace keep its bytes): "
                      f"{excerpt(text)!r}", reason="unreadable")
    decoded = parse_json(text)
    if decoded is None and reply.status < 400 and text.strip():
        return Answer(read_text_answer(text, free_text), True)
    if isinstance(decoded, (str, int, float)):  # a JSON string, or a bare true/1 acknowledgement
        return Answer(read_text_answer(str(decoded), free_text), True)
    if reply.status >= 400:
        raise http_failure(reply, decoded, text)
    if isinstance(decoded, list):
        return Answer(decoded, True)
    if not isinstance(decoded, dict):
        raise Failure("api", f"the platform's answer could not be read: {excerpt(text)!r}", reason="unreadable")
    raise_if_flagged(decoded)
    for key in WRAPPER_KEYS:
        if decoded.get(key) is not None:
            inner = decoded[key]
            if isinstance(inner, dict):
                raise_if_flagged(inner)  # {"code": 0, "data": {"success": false, …}}: the refusal is inside
            return Answer(read_text_answer(inner, free_text) if isinstance(inner, str) else inner, True)
    return Answer(decoded, False)


# ----------------------------------------------------------------------------- lists and purchases

def normalise_item(key, value):
    """One list entry (with its key when the list is an object keyed by id) -> {id, name, price?, stock?}."""
    if not isinstance(value, dict):
        return {"id": str(key), "name": str(value)} if key is not None else {"id": str(value), "name": str(value)}
    item_id = first(value, ID_KEYS)
    item = {"id": str(item_id if item_id is not None else key), "name": str(first(value, NAME_KEYS) or key or item_id)}
    price, stock = price_of(value), first(value, STOCK_KEYS)
    if price is not None:
        item["price"] = price
    if stock is not None:
        item["stock"] = int(stock) if isinstance(stock, bool) else to_number(stock, int)
    return item


def read_items(answer):
    payload = answer.payload
    if isinstance(payload, dict):
        nested = first(payload, LIST_KEYS)
        if nested is not None:
            payload = nested
    if isinstance(payload, list):
        return [normalise_item(None, value) for value in payload]
    if isinstance(payload, dict):
        return [normalise_item(key, value) for key, value in payload.items()]
    raise Failure("api", f"expected a list from the platform, got {excerpt(payload)!r}", reason="unreadable")


def read_purchase(answer):
    """A purchase -> {order_id, number, price, price_unreadable}. An order id is never lost to an odd shape: an
    integral float is an id, and a number given as an object or a list is its values' digits (an order that cannot
    be used is cancelled as any other)."""
    payload = answer.payload if isinstance(answer.payload, dict) else {}
    order_id, number = scalar_id(first(payload, ORDER_ID_KEYS)), first(payload, NUMBER_KEYS)
    if isinstance(number, (dict, list)):
        number = "".join(str(v) for v in (number.values() if isinstance(number, dict) else number)
                         if isinstance(v, (str, int)) and not isinstance(v, bool)) or None
    if order_id is None or isinstance(number, bool) or not isinstance(number, (str, int)):
        raise Failure("api", f"buy-service answered without an order id and number, so an order may exist: check "
                             f"the website's orders page. Answer: "
                             f"{excerpt(json.dumps(answer.payload, ensure_ascii=False))}",
                      reason="uncertain")
    return stated_charge({"order_id": order_id, "number": str(number), "price": price_of(payload),
                          "price_unreadable": price_unreadable(payload)}, payload)


def scalar_id(value):
    """An order id as text: a string or an integer (an integral float too), never a boolean."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def price_of(mapping):
    """A price above 0 (the highest where several are given: price and cost), or None."""
    prices = [to_number(mapping.get(key)) for key in PRICE_KEYS]
    return max((price for price in prices if price is not None and price > 0), default=None)


def price_unreadable(mapping):
    """True when a price is given but is no price above 0 ("0.90 USD", "0,90", {"amount": …}, NaN, -0.9, 0): the
    charge is unknown. (A null price is not given.)"""
    given = [mapping[key] for key in PRICE_KEYS if mapping.get(key) is not None]
    return any(to_number(value) is None or to_number(value) <= 0 for value in given)


def purchase_in(reply):
    """An order id and a number in a buy-service answer that was read as a refusal (a success in a shape we misread
    must not lose an order), or None. A text that names ACCESS_NUMBER in any case, spacing or extra field counts
    too: an order whose id is known is cancelled if unused, never left open unseen. Its price is the highest the
    answer states anywhere (shapes.stated_charge); after ACCESS_NUMBER's id and number, anything with a digit is a
    charge: a `:price` field, else an unreadable one (`:RUB:999`, `;price=999`)."""
    text = decode(reply).text
    try:
        decoded = json.loads(text, parse_constant=str)
    except (ValueError, RecursionError):
        decoded = None
    named = re.search(r"(?i)access_number\s*:\s*([A-Za-z0-9_-]+)\s*:\s*(\+?\d[\d ]{4,20}\d)(?![\d ]*\d)", text[:2000])
    if named:
        purchase = {"order_id": named.group(1), "number": re.sub(r" ", "", named.group(2)), "price": None,
                    "price_unreadable": False}
        after = re.split(r"[\"\n]", text[named.end():], maxsplit=1)[0]
        price = re.fullmatch(r"\s*:\s*(\d+(?:\.\d+)?)\s*", after)
        if re.search(r"\d", after):  # a word there (an operator's name) is no charge
            purchase = stated_charge(purchase, {"price": price.group(1) if price else after})
        return stated_charge(purchase, decoded) if isinstance(decoded, (dict, list)) else purchase
    if not isinstance(decoded, dict):
        return None
    for candidate in [decoded, *(decoded.get(key) for key in WRAPPER_KEYS)]:
        if isinstance(candidate, dict):
            try:
                return stated_charge(read_purchase(Answer(candidate, True)), decoded)
            except Failure:
                continue
    return None


# ----------------------------------------------------------------------------- SMS
#
# A code needs evidence (coderule.py says what evidence is). Here: a code field in an SMS item or beside the SMS
# text it belongs to (rule a), the protocol's success form STATUS_OK:<code> (b), an SMS text read by the code
# rule (c). An explicit waiting state anywhere in the payload outranks all of it. reference/response-shapes.md
# writes the rule down.

NEGATION = r"(?i)(?<![a-z])(not|no|non|none|never)(?![a-z])|未|无|нет"  # in a state field only: "NO_SMS", "未收到"
CLOSED = r"cancel|expire|timeout|timed.?out|closed|refund|finish|complete|取消|过期|关闭|關閉|超时|退款|完成|结束|失效"
RECEIVED = r"receiv|success|deliver|status_ok|^ok$|收到|已接收|成功"
CLOSED_DIGITS = {"3", "4", "5", "6", "8"}

SMS_TEXT_KEYS = ("sms", "smsText", "sms_text", "text", "content", "body", "smsContent", "sms_content", "msgContent",
                 "smsBody", "fullSms")  # a text here is an SMS unless it is a status line
INNER_TEXT_KEYS = ("message", "msg")  # an SMS inside a payload or an item, where it may as well be a status line
MESSAGE_LIKE_KEYS = ("message", "msg", "desc", "description", "info", "error", "errorMessage", "reason", "tip")
SMS_CODE_KEYS = ("smsCode", "sms_code", "otp", "verificationCode", "verification_code", "verifyCode", "verify_code",
                 "vcode")  # named for the SMS's code
MESSAGE_LIST_KEYS = ("messages", "smsList", "sms_list", "list", "items")
DATE_KEYS = ("date", "time", "datetime", "receivedAt", "received_at", "createdAt", "created_at", "sentAt", "sent_at",
             "timestamp", "ts")
SMS_ID_KEYS = ("id", "smsId", "sms_id", "messageId", "message_id")


def classify_state(value):
    """An order state word, in any of the platforms' languages -> "waiting", "received", "closed" or None."""
    text = str(value).strip()
    if text in CLOSED_DIGITS:
        return "closed"
    if re.search(WAITING, text) or re.search(NEGATION, text):
        return "waiting"
    if re.search(CLOSED, text, re.IGNORECASE):
        return "closed"
    return "received" if re.search(RECEIVED, text, re.IGNORECASE) else None


def order_state(payload, inside):
    """The order's state; outside a wrapper, a `status` that is a protocol flag (1, "success" …) says nothing."""
    for key in STATE_KEYS:
        value = payload.get(key)
        if value is None or isinstance(value, (dict, list)):
            continue
        if key == "status" and not inside and (isinstance(value, bool) or str(value).lower() in PROTOCOL_STATUSES):
            continue
        return classify_state(value)
    return None


def waiting_anywhere(payload):
    """True when any state field, at any depth, says the order is still waiting: that outranks every text."""
    stack = [payload]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            states = [item for key in STATE_KEYS for item in as_list(node.get(key))]
            if any(isinstance(v, (str, int)) and not isinstance(v, bool) and classify_state(v) == "waiting"
                   for v in states):
                return True
            stack.extend(node.values())
    return False


OWNER_KEYS = ("orderId", "order_id", "activationId", "activation_id")  # whose SMS it is


def of_another_order(payload, order):
    """The answer names an order id that is not this order's: its SMS belongs to someone else's number."""
    own = str((order or {}).get("order_id") or "")
    items = [payload, *[item for key in MESSAGE_LIST_KEYS + ("sms",) for item in as_list(payload.get(key))]]
    named = [str(first(item, OWNER_KEYS)).strip() for item in items
             if isinstance(item, dict) and first(item, OWNER_KEYS) not in (None, "")]
    return bool(own) and any(value != own for value in named)


def as_list(value):
    return value if isinstance(value, list) else [value]


def digits_joined(value):
    """Digit groups joined ("482 913", "482-913" -> "482913"), so that a code and a text can be compared."""
    return re.sub(r"(?<=\d)[\s-](?=\d)", "", unicodedata.normalize("NFKC", str(value)))


def mentions(text, code):
    """The text names the code as a whole token (not inside a longer run, not after a mask: 138****1549)."""
    code = digits_joined(code)
    return bool(re.search(rf"(?<![0-9A-Za-z*]){re.escape(code)}(?![0-9A-Za-z])", digits_joined(text)))


def judged_code(mapping, text):
    """Rule (a): a code field's value when it is evidence, else None. A field named for the SMS's code counts; a
    bare `code` counts only beside the SMS text it belongs to: a text that is no status line and names it. Anywhere
    else it is a status code: {"code": 10001, "desc": "no sms yet"}, {"code": 10000, "data": null}."""
    named = first(mapping, SMS_CODE_KEYS)
    if named is not None:
        return named
    code = mapping.get("code")
    if code in (None, "") or isinstance(code, (bool, dict, list)):
        return None
    return code if text is not None and not is_status_text(text) and mentions(text, code) else None


def item_message(item):
    """An SMS given as an object (text and/or code field, date, id) or as a plain string."""
    if isinstance(item, dict):
        text_key = next((key for key in SMS_TEXT_KEYS + INNER_TEXT_KEYS if isinstance(item.get(key), str)
                         and item[key].strip()), None)
        text = item[text_key] if text_key else None
        if text is None and isinstance(first(item, SMS_TEXT_KEYS), dict):
            return item_message(first(item, SMS_TEXT_KEYS))
        return Message(text, judged_code(item, text), date_of(item), sms_id_of(item))
    if isinstance(item, (str, int)) and not isinstance(item, bool) and str(item).strip():
        return Message(str(item))
    return None


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DATE_FORMS = (  # (pattern, the groups' order): day-first dates with dots or names, then times alone
    (r"(\d{1,2})[./](\d{1,2})[./](\d{4})[ T,]*(\d{1,2})?:?(\d{2})?:?(\d{2})?", "dmyHMS"),
    (r"(\d{1,2}) ([a-z]{3})[a-z]*\.? (\d{4})[ T,]*(\d{1,2})?:?(\d{2})?:?(\d{2})?", "dbyHMS"),
    (r"([a-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})[ T,]*(\d{1,2})?:?(\d{2})?:?(\d{2})?", "bdyHMS"),
)


def date_of(item):
    """An SMS's date as something comparable: a number as itself; an ISO date (time zones too), a day-first or a
    month-name date as a timestamp; a time of day alone as (h, m, s), with AM/PM; else its digit groups."""
    for key in DATE_KEYS:
        value = item.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return (float(value),)
        if isinstance(value, str) and re.search(r"\d", value):
            return timestamp_of(value.strip()) or tuple(int(part) for part in re.findall(r"\d+", value)[:7])
    return None


def timestamp_of(text):
    import datetime  # only for SMS lists that carry dates

    try:
        return (datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp(),)
    except ValueError:
        pass
    lower = text.lower()
    for pattern, order in DATE_FORMS:
        match = re.fullmatch(pattern + r"\s*(am|pm)?", lower)
        if match and (order[1] != "b" and order[0] != "b" or match.group(order.index("b") + 1)[:3] in MONTHS):
            parts = {name: match.group(i + 1) for i, name in enumerate(order)}
            month = MONTHS.index(parts["b"][:3]) + 1 if "b" in parts else int(parts["m"])
            hour = int(parts["H"] or 0) % 12 + (12 if match.group(len(order) + 1) == "pm" else 0) \
                if match.group(len(order) + 1) else int(parts["H"] or 0)
            try:
                return (datetime.datetime(int(parts["y"]), month, int(parts["d"]), hour, int(parts["M"] or 0),
                                          int(parts["S"] or 0)).timestamp(),)
            except ValueError:
                return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm)?", lower)
    if match:
        hour = int(match.group(1)) % 12 + (12 if match.group(4) == "pm" else 0) if match.group(4) else \
            int(match.group(1))
        return hour, int(match.group(2)), int(match.group(3) or 0)
    return None


def sms_id_of(item):
    value = first(item, SMS_ID_KEYS)
    digits = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    return (int(digits),) if digits.isascii() and digits.isdigit() and len(digits) <= 18 else None


def sms_messages(payload, inside):
    """Every SMS in a payload, newest first, duplicates dropped: items of SMS lists and objects, then the payload's
    own text (message counts only inside a wrapper: outside, it is the envelope's) with its code field."""
    found, own_text = [], None
    for key in SMS_TEXT_KEYS + (INNER_TEXT_KEYS[:1] if inside else ()) + MESSAGE_LIST_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip() and own_text is None and key not in MESSAGE_LIST_KEYS:
            own_text = value
        elif isinstance(value, (list, dict)):
            found += [m for m in map(item_message, value if isinstance(value, list) else [value])
                      if m and (m.text or m.code is not None)]
    own = Message(own_text, judged_code(payload, own_text) if inside else first(payload, SMS_CODE_KEYS))
    if own.text or own.code is not None:
        found.append(own)
    unique = {}
    for message in newest_first(found):
        unique.setdefault(identity(message), message)
    return list(unique.values())


def newest_first(messages):
    """By date where every SMS has one of a like form, else by id, else the last given is the newest."""
    for field in ("date", "sms_id"):
        stamps = [getattr(m, field) for m in messages]
        if len(messages) > 1 and all(stamps) and len({len(stamp) for stamp in stamps}) == 1:
            return sorted(messages[::-1], key=lambda m: getattr(m, field), reverse=True)
    return messages[::-1]


def read_sms(answer, order=None, code_regex=None, seen=()):
    """A get-sms Answer -> SmsState; `seen` lists the SMS already used (wait --next): the newest other SMS with a
    code counts."""
    payload, inside = answer.payload, answer.unwrapped
    if isinstance(payload, list):
        payload = {"messages": payload}
    if not isinstance(payload, dict):
        raise Failure("api", f"get-sms answer could not be read: {excerpt(payload)!r}", reason="unreadable")
    if waiting_anywhere(payload) or of_another_order(payload, order):  # no code, whatever digits a text holds
        return SmsState(payload=payload)
    state, messages = order_state(payload, inside), sms_messages(payload, inside)
    fresh, already = [], collections.Counter(seen)
    for message in messages:  # a multiset: the same text sent again is a new SMS once the first is accounted for
        if already[identity(message)]:
            already[identity(message)] -= 1
        else:
            fresh.append(message)
    not_codes, seen_codes = not_codes_of(order), {item[5:] for item in seen if item.startswith("code:")}
    code, text, without_code = None, (fresh or messages or [Message()])[0].text, []
    for message in fresh:  # newest first: the first with a code not taken before, unless one newer is contradicted
        found = code_of(message, not_codes, code_regex)
        if found and found not in seen_codes:
            code, text = found, message.text
            break
        if not found and is_sms_text(message.text):
            without_code.append(message.text)
        if is_contradicted(message, not_codes, found):
            break
    return SmsState(code=code, sms=text, closed=state == "closed" and not code,
                    said_received=state == "received" and not messages, texts=tuple(map(identity, messages)),
                    payload=payload, new_texts=() if code else tuple(without_code))


def is_sms_text(text):
    """What the tolerant reader hands over as an SMS without a code: a text that reads as an SMS and is not one bare
    protocol word (OK, success, received, STATUS_OK, cancelled)."""
    word = str(text or "").strip().strip("!. ")
    return reads_as_an_sms(text) and not (re.fullmatch(r"\w+", word) and (word.lower() in PROTOCOL_STATUSES or
                                                                          classify_state(word)))
