"""Response normalisation: any platform answer -> a payload or a designed Failure; then items, a purchase, an SMS.

SMSOnline publishes no answer formats, so every reader here is tolerant; reference/response-shapes.md lists every
accepted shape. The envelope (``code``, ``status``, ``msg`` … of the wrapper) is protocol; only the payload can hold
an order's data, and a code comes only from an SMS text or a code field inside the payload.
"""
from __future__ import annotations

import codecs
import collections
import json
import math
import re
import unicodedata

from .output import Failure, excerpt

Reply = collections.namedtuple("Reply", "status reason content_type body")  # one HTTP answer, body in bytes
# unwrapped: the payload came from under data/result/body (or is a list, or a text answer), not the envelope itself
Answer = collections.namedtuple("Answer", "payload unwrapped")
# text as decoded, the codec that read it, and lossy: no charset read every byte (the text holds U+FFFD)
Decoded = collections.namedtuple("Decoded", "text charset lossy")
# said_received: the order's state says received/success but no SMS or code could be read (payload kept to show it)
SmsState = collections.namedtuple("SmsState", "code sms closed said_received texts payload",
                                  defaults=(None, None, False, False, (), None))

MAX_DEPTH = 64
WRAPPER_KEYS = ("data", "result", "body")
MESSAGE_KEYS = ("message", "msg", "errorMessage", "error")
ID_KEYS = ("id", "orderId", "order_id", "activationId", "countryId", "serviceId", "operatorId",
           "country_id", "service_id", "operator_id")
NAME_KEYS = ("name", "title", "eng", "chn", "rus", "operator")
PRICE_KEYS = ("price", "cost")
STOCK_KEYS = ("count", "stock", "qty", "available")
NUMBER_KEYS = ("number", "phone", "phoneNumber", "phone_number")
LIST_KEYS = ("items", "list", "countries", "services", "products", "operators")
SMS_KEYS = ("sms", "smsText", "sms_text", "text")  # the SMS at payload level (and `message` … inside a wrapper)
MESSAGE_LIST_KEYS = ("messages", "smsList", "sms_list", "list", "items")
ITEM_TEXT_KEYS = ("text", "content", "body", "message", "sms", "smsText", "sms_text", "msg")
CODE_KEYS = ("code", "smsCode", "sms_code", "otp", "verificationCode", "verification_code")
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
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # UTF-32's first: FF FE 00 00 starts FF FE
ANY_BYTES = ("iso8859-1", "cp1252")
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


def read_text_answer(text):
    """sms-activate style plain-text answers: ACCESS_NUMBER:id:phone, STATUS_OK:code, NO_NUMBERS, …"""
    parts = text.strip().split(":")
    token = parts[0].upper()
    if token == "ACCESS_NUMBER" and len(parts) >= 3:
        return {"id": parts[1], "number": parts[2]}
    if token == "STATUS_OK":
        return {"code": ":".join(parts[1:]).strip(), "state": token}
    if token.startswith("STATUS_WAIT") or token == "STATUS_CANCEL":
        return {"state": token}
    if token.startswith("ACCESS_") or token in ACK_TOKENS:
        return {"ack": token}
    kind = kind_of_message(token)
    if kind != "api" or re.fullmatch(r"[A-Z_]+", token):
        raise Failure(kind, f"the platform answered {excerpt(text)}")
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
    if error not in (None, False, "", 0, {}, []) and not (isinstance(error, str) and
                                                          error.strip().lower() in ("none", "null", "0", "false", "ok")):
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


def decode(reply):
    """The answer's text in the charset it is in: a BOM, else the declared charset, then UTF-8, then GB18030; lossy
    (and so never a source of a code) only when none of them reads every byte."""
    for charset in charsets_to_try(reply):
        try:
            return Decoded(reply.body.decode(charset), charset, False)
        except (ValueError, LookupError):  # UnicodeError is a ValueError; a codec that is no text encoding
            continue
    return Decoded(reply.body.decode("utf-8", "replace"), "utf-8", True)


def charsets_to_try(reply):
    """A BOM (or JSON's UTF-16/32 NUL pattern) is the answer's charset; else the declared one, then UTF-8 and
    GB18030; a declared charset that accepts any bytes (Latin-1) only after those: it cannot tell mojibake."""
    body = reply.body
    for bom, charset in BOMS:
        if body.startswith(bom):
            return [charset]
    sniffed = json.detect_encoding(body[:4])
    declared = declared_charset(reply.content_type)
    charsets = [sniffed] if sniffed != "utf-8" else []
    charsets += [declared] if declared and declared not in ANY_BYTES else []
    return charsets + ["utf-8", "gb18030"] + ([declared] if declared in ANY_BYTES else [])


def declared_charset(content_type):
    """The Content-Type's charset as a Python codec name (GBK and GB2312 read as GB18030, their superset), or None."""
    match = re.search(r"(?i)\bcharset\s*=\s*[\"']?([\w.:-]+)", content_type or "")
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1)).name
    except LookupError:
        return None
    return "gb18030" if name in ("gbk", "gb2312") else name


def looks_like_html(reply, text):
    head = text.lstrip()[:200].lower()
    return "html" in (reply.content_type or "").lower() or head.startswith(("<!doctype", "<html", "<head", "<body"))


def depth_of(value):
    """How deeply lists and objects nest (iteratively: a hostile answer must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def parse_json(text):
    """The decoded JSON, or None when the text is not JSON; nesting beyond MAX_DEPTH is an unreadable answer."""
    try:
        decoded = json.loads(text, parse_constant=lambda name: None)  # NaN and Infinity are no values
        too_deep = depth_of(decoded) > MAX_DEPTH
    except ValueError:
        return None
    except RecursionError:
        too_deep = True
    if too_deep:
        raise Failure("api", f"the platform's answer is nested too deeply to read: {excerpt(text)!r}",
                      reason="unreadable")
    return without_lone_surrogates(decoded) if re.search(r"(?i)\\ud[89a-f]", text) else decoded


def without_lone_surrogates(value):
    """Text cut in the middle of a UTF-16 pair ("\\ud83d") cannot be printed or stored: pairs are joined, halves
    become U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


def http_failure(reply, decoded, text):
    detail = excerpt(message_of(decoded) if isinstance(decoded, dict) else text) or reply.reason
    if reply.status in (401, 403):
        return Failure("auth", f"the platform refused the API key (HTTP {reply.status}): {detail}")
    if reply.status == 404:
        return Failure("not_found", f"not found (HTTP 404): {detail}")
    kind = kind_of_message(detail) if reply.status < 500 else "api"
    return Failure(kind, f"HTTP {reply.status} from the platform: {detail}")


def read_answer(reply):
    """A Reply -> Answer, or a Failure whose kind says what went wrong."""
    text, _, lossy = decode(reply)
    if looks_like_html(reply, text) and reply.status != 401:  # a 401 page is still a refused key
        raise Failure("api", f"an HTML page answered instead of JSON (HTTP {reply.status}: a block page, a captive "
                      f"portal or the site's error page): {excerpt(re.sub(r'<[^>]*>', ' ', text[:4000]))!r}", reason="html")
    if lossy:  # misread text can hide what it says ("暂无短信" -> mojibake) and show digits that are no code
        raise Failure("api", f"the platform's answer is in no charset that could be read (declared: "
                      f"{declared_charset(reply.content_type) or 'none'}; -v or --trace keep its bytes): "
                      f"{excerpt(text)!r}", reason="unreadable")
    decoded = parse_json(text)
    if decoded is None and reply.status < 400 and text.strip():
        return Answer(read_text_answer(text), True)
    if isinstance(decoded, (str, int, float)):  # a JSON string, or a bare true/1 acknowledgement
        return Answer(read_text_answer(str(decoded)), True)
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
            return Answer(read_text_answer(inner) if isinstance(inner, str) else inner, True)
    return Answer(decoded, False)


# ----------------------------------------------------------------------------- lists and purchases

def to_number(value, kind=float):
    """A finite number, or None (NaN, infinity and anything else are no price and no stock)."""
    try:
        number = float(value) if value not in (None, "") and not isinstance(value, (dict, list, bool)) else None
    except (TypeError, ValueError, OverflowError):
        return None
    return kind(number) if number is not None and math.isfinite(number) else None


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
    payload = answer.payload if isinstance(answer.payload, dict) else {}
    order_id, number = first(payload, ID_KEYS[:4]), first(payload, NUMBER_KEYS)
    if not isinstance(order_id, (str, int)) or not isinstance(number, (str, int)):
        raise Failure("api", f"buy-service answered without an order id and number, so an order may exist: check "
                             f"the website's orders page. Answer: {excerpt(json.dumps(answer.payload, ensure_ascii=False))}",
                      reason="uncertain")
    return {"order_id": str(order_id), "number": str(number), "price": price_of(payload),
            "price_unreadable": price_unreadable(payload)}


def price_of(mapping):
    """A price above 0, or None: -1, 0 and other sentinels mean the platform did not say."""
    price = to_number(first(mapping, PRICE_KEYS))
    return price if price is not None and price > 0 else None


def price_unreadable(mapping):
    """True when a price is given but cannot be read ("0.90 USD", "0,90", {"amount": …}): the charge is unknown."""
    given = first(mapping, PRICE_KEYS)
    return given is not None and to_number(given) is None


def purchase_in(reply):
    """An order id and a number in a buy-service answer that was read as a refusal (a success in a shape we misread
    must not lose an order), or None."""
    try:
        decoded = json.loads(decode(reply).text, parse_constant=lambda name: None)
    except (ValueError, RecursionError):
        return None
    if not isinstance(decoded, dict):
        return None
    for candidate in [decoded, *(decoded.get(key) for key in WRAPPER_KEYS)]:
        if isinstance(candidate, dict):
            try:
                return read_purchase(Answer(candidate, True))
            except Failure:
                continue
    return None


# ----------------------------------------------------------------------------- SMS

# loose: the text may just as well be a status line (it came from message, content or body, or reads like "waiting",
# "not received", "暂无"): its code needs a keyword right before or after it
Message = collections.namedtuple("Message", "text code loose", defaults=(False,))
NEGATION_WORDS = {"not", "no", "non", "none", "never"}
WAITING = r"wait|pending|processing|queue|等待|待接收|未收到|未接收"  # (patterns compile on first use: start-up)
STATUS_WORDS = r"(?i)wait|pending|queue|not (yet )?(received|arrived)|no sms|暂无|稍后|尚未|未|队列|ожида|не получ|ещё не"
CLOSED = r"cancel|expire|timeout|timed.?out|closed|refund|finish|complete|取消|过期|关闭|關閉|超时|退款|完成|结束|失效"
RECEIVED = r"receiv|success|deliver|status_ok|^ok$|收到|已接收|成功"
CLOSED_DIGITS = {"3", "4", "5", "6", "8"}


def classify_state(value):
    """An order state word, in English or Chinese -> "waiting", "received", "closed" or None (unknown)."""
    text = str(value).strip().lower()
    if text in CLOSED_DIGITS:
        return "closed"
    if re.search(WAITING, text) or NEGATION_WORDS & set(re.split(r"[^a-z]+", text)) or "未" in text:
        return "waiting"
    if re.search(CLOSED, text):
        return "closed"
    return "received" if re.search(RECEIVED, text) else None


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


def message_from(value):
    """An SMS given as a string or an object with a text and/or a code field."""
    if isinstance(value, dict):
        text = first(value, ITEM_TEXT_KEYS)
        if isinstance(text, dict):
            return message_from(text)
        return Message(text if isinstance(text, str) else None, first(value, CODE_KEYS))
    return Message(str(value), None) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


LOOSE_KEYS = ("message", "content", "body")


def sms_messages(payload, inside, received=False):
    """Every SMS in a payload, in the order given (the last is the newest), duplicates dropped. A bare `code` at
    payload level counts unless the payload looks like a nested envelope (a message beside it, and neither an SMS nor
    a received state): {"code": 1001, "msg": "no sms yet"} holds no code."""
    found = []
    for key in SMS_KEYS + (LOOSE_KEYS if inside else ()) + MESSAGE_LIST_KEYS:
        value = payload.get(key)
        for item in value if isinstance(value, list) else [value]:
            message = message_from(item) if item not in (None, "") else None
            loose = key in LOOSE_KEYS or bool(message and message.text and re.search(STATUS_WORDS, message.text))
            if message and (message.text or message.code is not None):
                found.append(message._replace(loose=loose))
    envelope_like = any(key in payload for key in ("msg", "message", "error")) and not received and \
        all(m.loose for m in found)
    code_field = first(payload, CODE_KEYS[1:]) or (payload.get("code") if inside and not envelope_like else None)
    if code_field is not None:
        if found and found[-1].code is None:
            found[-1] = found[-1]._replace(code=code_field)
        elif not found:
            found.append(Message(None, code_field))
    return list({identity(m): m for m in found}.values())


def identity(message):
    """How an SMS is recognised again (for `wait --next`): its text, else its code."""
    return message.text if message.text else f"code:{message.code}"


def seen_after(seen, state):
    """What `wait --next` must not return again: every SMS seen so far and the code taken (a multiset)."""
    counts = collections.Counter(seen)
    counts |= collections.Counter([*state.texts, *([f"code:{state.code}"] if state.code else [])])
    return list(counts.elements())


def plausible_code(value, not_codes):
    """A code field's value if it can be a verification code: 4-12 letters and digits with a digit, not a known id."""
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = re.sub(r"[\s-]", "", str(value))
    if not re.fullmatch(r"[A-Za-z0-9]{4,12}", text) or not re.search(r"\d", text) or text in not_codes:
        return None
    return text


def not_codes_of(order):
    """Digit runs that are never a code for this order: its id, its number (whole and national), its price."""
    order = order or {}
    found = {str(order.get(name) or "") for name in ("order_id", "national_number")}
    found.add(re.sub(r"\D", "", str(order.get("number") or "")))
    if order.get("price"):
        found.add(re.sub(r"\D", "", f"{order['price']:g}"))
    return {text for text in found if text}


def read_sms(answer, order=None, code_regex=None, seen=()):
    """A get-sms Answer -> SmsState; `seen` lists the SMS already used (wait --next): only the newest other counts."""
    payload, inside = answer.payload, answer.unwrapped
    if isinstance(payload, list):
        payload = {"messages": payload}
    if not isinstance(payload, dict):
        raise Failure("api", f"get-sms answer could not be read: {excerpt(payload)!r}", reason="unreadable")
    state = order_state(payload, inside)
    if state == "waiting":  # an explicit waiting state: no code, whatever digits a message holds
        return SmsState()
    messages = sms_messages(payload, inside, state == "received")
    fresh, already = [], collections.Counter(seen)
    for message in messages:  # a multiset: the same text sent again is a new SMS once the first is accounted for
        if already[identity(message)]:
            already[identity(message)] -= 1
        else:
            fresh.append(message)
    code, text, not_codes = None, None, not_codes_of(order)
    seen_codes = {item[5:] for item in seen if item.startswith("code:")}
    for message in reversed(fresh):  # the newest whose code was not seen before (a text may repeat a code seen bare)
        text, code = message.text, plausible_code(message.code, not_codes)
        if text and (code is None or code_regex):
            code = extract_code(text, code_regex, not_codes, keyword_needed=message.loose) or code
        if code not in seen_codes:
            break
        code = None
    said_received = state == "received" and not messages
    return SmsState(code=code, sms=text, closed=state == "closed" and not code, said_received=said_received,
                    texts=tuple(identity(m) for m in messages), payload=payload if said_received else None)


# ----------------------------------------------------------------------------- code extraction

CODE_KEYWORDS = (r"(?i)验证码|校验码|动态码|确认码|激活码|安全码|код"
                 r"|(?<![a-z])(code|otp|passcode|verification|verify|pin)(?![a-z])")
CODE_CANDIDATES = r"(?<![\d+])(\d{3}[- ]\d{3}|\d{4,8})(?!\d)"
DECOY_BEFORE = (r"(?i)(order|ref|no\.?|#|id|balance|price|cost|amount|total|usd|eur|gbp|inr|rub|rmb|cny|jpy|idr|php|thb"
                r"|vnd|myr|sgd|hkd|twd|krw|brl|aud|cad|[$¥€£₹₽]|订单号?|尾号|客服|卡号|账号|余额|金额|价格|заказ)\s*[:：]?\s*$")
DIGIT_RUN = r"\+?\d(?:[ .-]?\d)*"  # digits with single separators: a phone number written in groups is one run
NOT_A_CODE_AFTER = (r"(?i)^(\s*(seconds?|secs?|s\b|ms\b|minutes?|mins?|hours?|hrs?|days?|秒|分钟|分|小时|天|сек|мин)"
                    r"|\.\d\d(?!\d))")  # a duration, or an amount with decimals (2500.00)
SMS_TEXT_CAP = 4000  # an SMS is at most a few hundred characters; extraction never reads more than this
DATE_AFTER = r"(年|[-/.]\d{1,2}(?!\d))"
DATE_BEFORE = r"(©\s*|\d{1,2}[-/.]\d{1,2}[-/.])$"
KEYWORD_REACH = 30
TIGHT_REACH = 12  # for a text that may be a status line: "code: 4821", "验证码是4821", not "code (attempt 3 of 10000)"


def is_year(text, start, end, near_keyword):
    """A 4-digit run 1900-2099 in a date (2026年, 2026-11-28, 28/11/2026, © 2026) or with no keyword near it."""
    return bool(re.fullmatch(r"(19|20)\d\d", text[start:end])) and bool(
        not near_keyword or re.match(DATE_AFTER, text[end:]) or re.search(DATE_BEFORE, text[max(0, start - 8):start]))


def extract_code(text, pattern=None, not_codes=(), keyword_needed=False):
    """The verification code in an SMS: a 4-8 digit run next to a keyword beats other digit runs. Never one: an
    order id, the number (in any grouping), a price, a reference, a year; with keyword_needed, a run that is not
    right next to a keyword ("code 4821", "4821 是验证码")."""
    text = unicodedata.normalize("NFKC", text)[:SMS_TEXT_CAP]
    if pattern:
        match = re.search(pattern, text)
        return (match.group(1) if match.groups() else match.group(0)) if match else None
    keywords = [m.span() for m in re.finditer(CODE_KEYWORDS, text)][:50]
    runs = [(m.start(), m.end(), sum(c.isdigit() for c in m.group())) for m in re.finditer(DIGIT_RUN, text)]
    best = None
    for match in re.finditer(CODE_CANDIDATES, text):
        start, end = match.span()
        digits = re.sub(r"[- ]", "", match.group(1))
        reach = TIGHT_REACH if keyword_needed else KEYWORD_REACH
        gaps = [start - k_end for _, k_end in keywords if 0 <= start - k_end <= reach]
        gaps += [k_start - end + 10 for k_start, _ in keywords if 0 <= k_start - end <= reach]
        in_longer_run = any(r_start <= start and end <= r_end and count >= 9 and count > len(digits)
                            for r_start, r_end, count in runs)
        if digits in not_codes or in_longer_run or is_year(text, start, end, bool(gaps)) or \
                re.search(DECOY_BEFORE, text[max(0, start - 12):start]) or re.match(NOT_A_CODE_AFTER, text[end:end + 12]) \
                or keyword_needed and not gaps:
            continue
        score = (min(gaps) if gaps else 1000) + (0 if len(digits) == 6 else 1)
        if best is None or score < best[0]:
            best = (score, digits)
    return best[1] if best else None
