"""The code rule: what in an SMS is a verification code. SMS text in, a code or None out; protocol-free (each
protocol's reader decides which text is an SMS and which field is a code field, then asks this module).

A code needs evidence; without it the answer is "no code" (a missed code costs a refund, a false one costs money).
Evidence is (a) a code field in an SMS item or beside the SMS text it belongs to (judged by plausible_code), (b) a
protocol's success form (STATUS_OK:<code>, a text that is BARE_CODE), or (c) digits in the same sentence as a
verification word, or in a known OTP form (extract_code). A sentence that is a platform's status line (is_status_text)
gives none. reference/response-shapes.md writes the rule down.

Its words are one table by language, codewords.CODE_WORDS (a language is added as a row there). The patterns below
are the forms around a code (what may stand before or after it); reference/code-rule.md writes them down.
"""
from __future__ import annotations

import re
import unicodedata

from .codewords import (CODE_WORDS, CURRENCIES, NOT_CODE_LABELS, currencies_alternation, labels_alternation,
                        words_alternation)

VERIFICATION_WORDS = "(?i)(?:" + words_alternation(CODE_WORDS) + ")"

# The one list of waiting words: a state field holding one is "waiting", and a sentence holding one is a status
# line, never an SMS. English, Chinese, Russian, Indonesian, Vietnamese, Spanish (patterns compile on first use).
WAITING = (r"(?i)wait|pending|processing|queue|in progress|not (yet )?(been )?(received|arrived|delivered|come|sent)"
           r"|not yet|n'?t (yet )?(been )?(received|arrived|come|delivered)|no (new )?(sms|messages?|texts?|code)\b"
           r"|inbox (is )?empty|try again|retry|expected|shortly|\beta\b"
           r"|等待|等候|待接收|未收到|未接收|未到|暂无|尚未|稍后|队列|排队|还没|没有短信|无短信|下发中|发送中"
           r"|ожида|пока не|не получ|не поступ|ещё не|еще не|ще не|нет смс|нет сообщ"
           r"|belum|menunggu|masih dikirim|tidak ada (sms|pesan)|chưa|đang chờ|đang được gửi|vẫn đang"
           r"|không có (tin|sms)|esperando|en espera|aún no|todavía no|no ha llegado|ainda não|sin (sms|mensajes?)"
           r"|no hay (sms|mensajes?)|pendiente|pas encore|noch nicht|henüz|まだ|아직|ยังไม่|لم يصل")
# Words of a platform's message about a failure or an absence: a sentence holding one is not an SMS either (texts
# only: in a state field, "expired" is a closed order).
NOT_AN_SMS = (r"(?i)(?<![a-z])(error|errors|err|fail|failed|failure|not found|unavailable|not available|invalid|expired"
              r"|timeout|timed out|lookup|null|none|n/a|empty|missing|sent to|will arrive|will be sent|accepted"
              r"|attempts? left|tries|lockout)(?![a-z])"
              r"|undefined|slot"
              r"|错误|失败|无效|不可用|未找到|找不到|不存在|已发送至|获取中|发送中|查询|超时|过期"
              r"|отсутств|ошибк|не приш|не найд|недоступ"
              r"|lỗi|không khả dụng|không tìm thấy|gagal|tidak ditemukan|tidak tersedia|no disponible|no se encontr")
# Words that are a phrase about a code's life in a real SMS (expired, timeout, try again, tries left, not accepted):
# alone they never make a sentence a status line; only in a sentence of a few words ("SMS code timeout after 1800").
CODE_LIFE = (r"(?i)(?<![a-z])(expired|invalid|timeout|timed out|try again|retry|tries|attempts? left|lockout"
             r"|accepted|none)(?![a-z])|超时|过期|失效|无效|истек|истёк|недействител")
STATUS_SENTENCE_WORDS = 6  # a sentence with only a word of a code's life is a status line up to this many words
# A code word after (before) a label that makes it another code (order, reference, gift, promo, postal …: the table
# codewords.NOT_CODE_LABELS) is no verification word ("Ref code: AB12", "код заказа", "รหัสอ้างอิง", "kode pos").
NOT_VERIFICATION_BEFORE = r"(?i)(?<![a-z])(?:" + labels_alternation(NOT_CODE_LABELS, 1) + r")\s*[-_]?\s*$"
NOT_VERIFICATION_AFTER = r"(?i)^\s*(?:" + labels_alternation(NOT_CODE_LABELS, 2) + ")"
LABEL_REACH = 32  # how far before a code word its label is looked for ("flight confirmation code")
CODE_CANDIDATES = (r"(?<![\dA-Za-z+*])(?<!\d\.)(?<![A-Za-z][-_])"  # not glued to a word, a number or a mask
                   r"(\d{3}[- ]\d{3}|\d{2}[- ]\d{2}[- ]\d{2}|\d{4}[- ]\d{4}|\d{4,8}|\d(?: \d){3,7})(?![\dA-Za-z*])")
BARE_CODE = r"[A-Za-z0-9]{4,12}|\d{3}[- ]\d{3}|\d{2}[- ]\d{2}[- ]\d{2}|\d{4}[- ]\d{4}"  # a text that is only a code
# an uppercase letters-and-digits code after a verification word and at most three words ("code for Steam is …")
ALNUM_AFTER_WORD = (r"(?:\s*[^\s\d:：]{1,12}){0,3}?\s*[:：]?\s*(?<![A-Za-z0-9])((?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{4,8})"
                    r"(?![A-Za-z0-9]|-[A-Za-z0-9])")
# right after a code word and its colon only: a code in hyphenated groups (ABCD-EF, AB12-CD34) or a letters-only
# code that ends its sentence ("PIN: NEVER share it" is none), given without hyphens as digit codes are (123-456)
LABELLED_CODE = (r"[^\S\n]*[:：][^\S\n]*((?=[A-Z0-9-]*[A-Z])[A-Z0-9]{2,6}(?:-[A-Z0-9]{2,6}){1,2}(?![\w-])"
                 r"|[A-Z]{4,8}(?=[^\S\n]*(?:[.,)]|$)))")
NOT_LETTER_CODES = {"NONE", "NULL", "EMPTY", "VALID", "INVALID", "READY", "SENT", "DONE", "USED", "ACTIVE", "UNKNOWN",
                    "PENDING", "EXPIRED", "FAILED", "ERROR", "WAITING", "HIDDEN", "XXXX", "STOP", "HELP"}
OTP_FORMS = (r"(?<![A-Za-z0-9])G-(\d{4,8})(?!\d)", r"<#>\s*(\d{4,8})(?!\d)",  # Google's; Android's SMS retriever
             r"^\W*(\d{3}[- ]\d{3}|\d{4,8}) (?:is your|is the|is (?i:otp|code|pin|passcode|password)|es tu|es su"
             r"|là mã|adalah)\b",  # "123-456 is your …", "6767 is otp for 3838"
             r"(?i)\buse (\d{3}[- ]\d{3}|\d{4,8}) (?:to|for|as)\b",  # "Use 556677 to sign in"
             r"(?i)\b(?:enter|type|input) (\d{3}[- ]\d{3}|\d{4,8}) to (?:verify|confirm|proceed|continue|complete"
             r"|log ?in|sign ?(?:in|up)|activate|authenticate)\b",  # "Enter 678901 to proceed"
             r"(?<![A-Za-z0-9])(?i:otp|code|pin)-(\d{4,8})(?![\d-])")  # "use OTP-890227 to accept delivery"
# Chinese clauses too ("验证码482913，登录失败请重试"; NFKC makes "，" a ",", so a comma beside a CJK character)
SENTENCE_END = r"[。！？;；，、\n\r]+|[!?](?![A-Za-z_]\w*=)|\.(?=\s|$)|(?<=[\u3000-\u9fff]),|,(?=[\u3000-\u9fff])"
DECOY_BEFORE = (r"(?i)(?<![a-z])(order|ref|reference|no\.?|#|№|id|session|request|activation|attempt|attempts|ticket"
                r"|transaction|txn|account|acct|invoice|tracking|balance|price|cost|amount|total|of|at|after|within"
                r"|until|ending|ends with|remaining|ttl|expires_in|expires in|in|left|eta|limit|length|tries|lockout"
                r"|block|server|version|v|postcode|post code|رقم"
                r"|service|servicio|layanan|dịch vụ|операци\w*|err|error|ошибк\w*|lỗi|剩余|时间|次数|错误码|错误"
                r"|pedido|solicitud|sesión|sesion|activación"
                r"|intento|cuenta|pesanan|sesi|permintaan|akun|saldo|đơn hàng|đơn|phiên|yêu cầu|tài khoản|số dư"
                r"|заказ|сесси\w*|заявк\w*|запрос\w*|активаци\w*|попытк\w*|сч[её]т|баланс|из"
                r"|订单号?|尾号|客服|卡号|账号|余额|金额|价格|编号|会话|请求|单号|任务)\s*[:：=]?\s*$")
# An amount: a number right after or right before a currency of the markets (codewords.CURRENCIES)
CURRENCY = "(?:" + currencies_alternation(CURRENCIES) + ")"
CURRENCY_BEFORE = "(?i)" + CURRENCY + r"\s*$"
CURRENCY_AFTER = r"(?i)^\s*" + CURRENCY
# A number right after "for/of/для/untuk … + a noun" names what the code is for, never the code ("Your PIN for room
# 1205 is 4821", "code for user 5512 is 482913", "code for flight CA1234 is 5678"); a colon ends the label instead.
REFERENCE_BEFORE = (r"(?i)(?<![^\W\d_])(?:for|of|для|untuk|cho|para|pour|für|per|voor|için)\s+[^\W\d_]+"
                    r"\s*(?:#|№|no\.?)?\s*$")
REFERENCE_REACH = 24
# A promotion is no verification: a sentence that offers a discount gives no code ("Use code 4821 for 10% off")
PROMOTION = (r"(?i)%\s*off(?![a-z])|(?<![a-z])(?:at checkout|off your)(?![a-z])|скидк|折扣|打折|giảm giá|diskon"
             r"|descuento|desconto|rabatt|réduction|sconto|indirim")
DIGIT_RUN = r"\+?\d(?:[ .-]?\d)*"  # digits with single separators: a phone number written in groups is one run
NOT_A_CODE_AFTER = (r"(?i)^(\s*(seconds?|secs?|s\b|ms\b|milliseconds?|毫秒|utc\b|gmt\b|minutes?|mins?|hours?|hrs?|days?"
                    r"|秒|分钟|分|小时|天|次"
                    r"|сек\w*|мин\w*|час\w*|detik|menit|jam|giây|phút|segundos?|minutos?|horas?"
                    r"|%|left|remaining|restantes?|осталось|còn|sisa|quedan|restam"
                    r"|reste|verbleibend|kalan|残り|남은|เหลือ|المتبقي)|\.\d\d(?!\d)"  # a duration, a unit, an amount
                    r"|\s*(?:card\b|(?:was|were|has been|have been|is now) (?:changed|reset|updated|blocked|locked"
                    r"|disabled|deactivated|charged)))")  # a notice about a PIN or a card, not a code sent to use
AFTER_REACH = 24
SMS_TEXT_CAP = 4000  # an SMS is at most a few hundred characters; extraction never reads more than this
DATE_AFTER = r"(\s?年|[-/.]\d{1,2}(?!\d))"
DATE_BEFORE = r"(?i)(©\s*|\d{1,2}[-/.]\d{1,2}[-/.]|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s*)$"
FULL_STOP = r"[。！？\n\r]+|[.!?](?=\s|$)"  # the end of a sentence, not of a clause
KEYWORD_REACH = 60  # within one sentence
# A label and its code on the next line are one sentence ("Your verification code:\n482913")
LABEL_BREAK = "(?i)((?:" + words_alternation(CODE_WORDS) + r")(?:[^\S\n]*(?:is|[:：]))?)[^\S\n]*\r?\n"
# A code alone on the first line, when the next line gives its validity or names it ("482913\nValid for 5 minutes",
# "042001\n\nTämä on … vahvistuskoodi") …
FIRST_LINE_CODE = r"^[^\S\n]*(\d{4,8}|\d{3}[- ]\d{3})[^\S\n]*\r?\n\s*([^\n]*)"
VALIDITY = r"(?i)valid|expir|gültig|válid|valable|有效|действ|berlaku|hiệu lực|geçerli|ważn|voimassa|geldig|giltig|gyldig"
# … or a code given in a login link and again on its own in the text ("t.me/login/55821 … enter 55821")
LINK_HINT = r"(?i)log-?in|sign-?in|verif|confirm|auth|otp|code|activat|2fa"
LINKED_DIGITS = r"(?<=[/=])(\d{4,8}|\d{3}-\d{3}|\d{4}-\d{4})(?![\w-])"
LINK_LIKE = r"[A-Za-z0-9][.:][A-Za-z/]"  # a host (t.co, v.whatsapp.com) or a scheme (https:) in a token with a slash


def is_year(text, start, end, near_keyword):
    """A 4-digit run 1900-2099 in a date (2026年, 2026-11-28, 28/11/2026, © 2026) or with no keyword near it."""
    return bool(re.fullmatch(r"(19|20)\d\d", text[start:end])) and bool(
        not near_keyword or re.match(DATE_AFTER, text[end:]) or re.search(DATE_BEFORE, text[max(0, start - 8):start]))


def ascii_digits(text):
    """Every decimal digit as its ASCII digit (Arabic-Indic, Devanagari …: NFKC leaves them as they are)."""
    return "".join(str(unicodedata.decimal(c)) if not c.isascii() and unicodedata.decimal(c, None) is not None
                   else c for c in text)


def sentences(text):
    return [part for part in re.split(SENTENCE_END, text) if part.strip()]


def verification_words(sentence):
    """Where the verification words stand in a sentence; "error code", "promo code" … are not ones."""
    return [m.span() for m in re.finditer(VERIFICATION_WORDS, sentence)
            if not re.search(NOT_VERIFICATION_BEFORE, sentence[max(0, m.start() - LABEL_REACH):m.start()])
            and not re.match(NOT_VERIFICATION_AFTER, sentence[m.end():m.end() + 16])][:50]


def extract_code(text, pattern=None, not_codes=()):
    """Rule (c): the verification code in an SMS text, or None. Only a sentence that is not a status line counts;
    in it, digits near a verification word (the nearest wins, then six digits), an uppercase letters-and-digits code
    right after one, or a known OTP form. Never: the order id, the number, a price, a reference, a duration, a year.
    --code-regex (pattern) replaces the words (group 1 if it has a group)."""
    text = ascii_digits(unicodedata.normalize("NFKC", text)[:SMS_TEXT_CAP])
    if not pattern:
        text = re.sub(LABEL_BREAK, r"\1 ", text)
    best = None
    for sentence in sentences(text):
        if is_status_sentence(sentence) or re.search(PROMOTION, sentence):
            continue
        if pattern:
            found = next(pattern_codes(pattern, sentence, not_codes), None)
            if found:
                return found
            continue
        found = code_in_sentence(sentence, not_codes)
        if found and (best is None or found[0] < best[0]):
            best = found
    if best or pattern:
        return best[1] if best else None
    return code_on_first_line(text, not_codes) or code_repeated_in_link(text, not_codes)


def code_on_first_line(text, not_codes):
    """A code alone on the text's first line when the next line gives its validity or holds a verification word
    (and is no status line); never a year or a known id."""
    match = re.match(FIRST_LINE_CODE, text)
    if not match or is_status_sentence(match.group(2)) or is_year(text, *match.span(1), False):
        return None
    code = re.sub(r"[- ]", "", match.group(1))
    named = re.match(VALIDITY, match.group(2)) or verification_words(match.group(2))
    return code if named and code not in not_codes else None


def code_repeated_in_link(text, not_codes):
    """Digits that a login link carries and the text gives again on their own (not a reference, an amount …)."""
    live = [sentence for sentence in sentences(text) if not is_status_sentence(sentence)]
    linked = {digits.replace("-", "") for sentence in live for token in sentence.split()
              if "/" in token and re.search(LINK_HINT, token) for digits in re.findall(LINKED_DIGITS, token)}
    for sentence in live if linked else ():
        runs = digit_runs(sentence)
        links = link_spans(sentence)
        for match in re.finditer(CODE_CANDIDATES, sentence):
            digits = re.sub(r"[- ]", "", match.group(1))
            if digits in linked and not is_decoy(sentence, *match.span(), digits, not_codes, runs, links):
                return digits
    return None


def pattern_codes(pattern, sentence, not_codes):
    """--code-regex's matches (group 1 if it has a group), never the order id, the number or a slice of a longer
    digit run (a phone number)."""
    for match in re.finditer(pattern, sentence):
        group = 1 if match.groups() else 0
        start, end = match.span(group)
        sliced = sentence[start - 1:start].isdigit() or sentence[end:end + 1].isdigit()
        if match.group(group) and not sliced and re.sub(r"[- ]", "", match.group(group)) not in not_codes:
            yield match.group(group)


def code_in_sentence(sentence, not_codes):
    """(score, code) for the best candidate of one sentence, or None."""
    for form in OTP_FORMS:
        match = re.search(form, sentence)
        if match and re.sub(r"[- ]", "", match.group(1)) not in not_codes:
            return 0, re.sub(r"[- ]", "", match.group(1))
    words = verification_words(sentence)
    if not words:
        return None
    runs, links = digit_runs(sentence), link_spans(sentence)
    found = [*letter_codes(sentence, words, not_codes)]
    for match in re.finditer(CODE_CANDIDATES, sentence):
        start, end = match.span()
        digits = re.sub(r"[- ]", "", match.group(1))
        gaps = [start - w_end for _, w_end in words if 0 <= start - w_end <= KEYWORD_REACH]
        gaps += [w_start - end + 10 for w_start, _ in words if 0 <= w_start - end <= KEYWORD_REACH]
        if gaps and not is_decoy(sentence, start, end, digits, not_codes, runs, links):
            found.append((min(gaps) + (0 if len(digits) == 6 else 1), digits))
    return min(found, key=lambda scored: scored[0], default=None)


def letter_codes(sentence, words, not_codes):
    """(score, code) of each code of letters (and digits) right after a verification word: scored by its distance
    from the word, plus one (digits are the usual code), so that a second labelled code never beats the first."""
    for _, word_end in words:
        labelled = re.match(LABELLED_CODE, sentence[word_end:])
        if labelled and is_letter_code(labelled.group(1).replace("-", ""), not_codes):
            yield labelled.start(1) + 1, labelled.group(1).replace("-", "")
            continue
        match = re.match(ALNUM_AFTER_WORD, sentence[word_end:word_end + 48])
        between = sentence[word_end:word_end + match.start(1)] if match else ""
        if match and match.group(1) not in not_codes and not re.search(DECOY_BEFORE, between) \
                and not re.search(REFERENCE_BEFORE, between):
            yield match.start(1) + 1, match.group(1)


def digit_runs(sentence):
    """(start, end, digit count) of every run of digits with single separators (a phone number in groups is one)."""
    return [(m.start(), m.end(), sum(c.isdigit() for c in m.group())) for m in re.finditer(DIGIT_RUN, sentence)]


def link_spans(sentence):
    """Where the links of a sentence stand (a token with a slash and a host or scheme: t.co/48291, https://x/…)."""
    return [m.span() for m in re.finditer(r"\S+", sentence) if "/" in m.group() and re.search(LINK_LIKE, m.group())]


def is_decoy(sentence, start, end, digits, not_codes, runs, links):
    """A digit run that is no code: a known id or number, part of a longer number or of a link, a year, a reference
    or an amount (by the words before it: "order", "Rs.", "for room"), a duration, a unit, an amount or a notice (by
    what follows: "10 min", "1500р", "was changed")."""
    in_longer_run = any(r_start <= start and end <= r_end and count >= 9 and count > len(digits)
                        for r_start, r_end, count in runs)
    in_link = any(l_start <= start < l_end for l_start, l_end in links)
    return digits in not_codes or in_longer_run or in_link or is_year(sentence, start, end, True) \
        or bool(re.search(DECOY_BEFORE, sentence[max(0, start - 16):start])) \
        or bool(re.search(CURRENCY_BEFORE, sentence[max(0, start - 16):start])) \
        or bool(re.search(REFERENCE_BEFORE, sentence[max(0, start - REFERENCE_REACH):start])) \
        or bool(re.match(NOT_A_CODE_AFTER, sentence[end:end + AFTER_REACH])) \
        or bool(re.match(CURRENCY_AFTER, sentence[end:end + AFTER_REACH]))


def is_letter_code(code, not_codes):
    """A labelled code of letters (and digits) that is no status word, mask (XXXX) or known id."""
    return code not in NOT_LETTER_CODES and code not in not_codes and len(set(code)) > 1


def reads_as_an_sms(text):
    """Whether a text can be an SMS a person reads: words (a letter in any script), and no platform status line
    (waiting, failed, absent, null). Each protocol's reader adds its own protocol words."""
    text = str(text or "").strip()
    return bool(re.search(r"[^\W\d_]", text)) and not is_status_text(text)


def is_status_text(text):
    """A platform's message (waiting, failed, absent), not an SMS: a text that is that and nothing else. Each of its
    sentences (to a full stop: "暂无短信，剩余1187秒" is one) is a status line or a bare label and number; a sentence
    that says anything else makes it an SMS ("Please wait. Your code is 482913", "Welcome! Your trial has expired")."""
    parts = [part for part in re.split(FULL_STOP, str(text or "")) if part.strip()]
    status = [is_status_sentence(part) for part in parts]
    return any(status) and all(is_status or is_bare_label(part) for part, is_status in zip(parts, status))


def is_bare_label(sentence):
    """A label and a number, no more ("Сессия 884213", "Request 772211"); "Code 482913" names a code: it says more."""
    return word_count(sentence) <= 2 and not verification_words(sentence)


def is_status_sentence(sentence):
    """A sentence of a platform's message: a waiting, failure or absence word; a word of a code's life (expired,
    timeout, try again, tries left, not accepted) only in a sentence of a few words ("SMS code timeout after 1800"),
    never in an SMS that says more ("Your code is 482913, please enter it to avoid timeout")."""
    if holds_status_words(re.sub(CODE_LIFE, " ", sentence)):
        return True
    return bool(re.search(CODE_LIFE, sentence)) and word_count(sentence) <= STATUS_SENTENCE_WORDS


def holds_status_words(text):
    return bool(re.search(WAITING, text) or re.search(NOT_AN_SMS, text))


def word_count(text):
    """Words of letters (a CJK character counts as one: Chinese has no spaces)."""
    return len(re.findall(r"[\u3000-\u9fff]|[^\W\d_\u3000-\u9fff]+", text))


def plausible_code(value, not_codes):
    """A code field's value if it can be a verification code: 4-10 digits, or 4-10 uppercase letters and digits
    mixed (A1B2C3, 7K2QX9); never a known id, zeros alone (0000: a placeholder), or a word with a number
    (ERROR500, HTTP404, E1001, timeout30, 1e10)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = re.sub(r"[\s-]", "", str(value))
    digits_only = re.fullmatch(r"\d{4,10}", text) and set(text) != {"0"}
    mixed = re.fullmatch(r"(?=.*\d)(?=.*[A-Z])[A-Z0-9]{4,10}", text) and not re.search(r"[A-Z]{4}", text) and \
        not re.fullmatch(r"[A-Z]+\d+|\d+[A-Z]+", text)
    return text if (digits_only or mixed) and text not in not_codes else None


def not_codes_of(order):
    """Digit runs that are never a code for this order: its id, its number (whole and national), its price."""
    order = order or {}
    found = {str(order.get(name) or "") for name in ("order_id", "national_number")}
    found.add(re.sub(r"\D", "", str(order.get("number") or "")))
    if order.get("price"):
        found.add(re.sub(r"\D", "", f"{order['price']:g}"))
    return {text for text in found if text}


def code_of(message, not_codes, code_regex):
    """The code an SMS gives: its code field (judged as evidence), else its text's (rule c); --code-regex first.
    A field that its own text speaks against is evidence of nothing: no code, so the SMS is handed over as it is
    (the text "code 482913 … Ref 77120" beside a field 77120 is never confirmed with 77120)."""
    from_text = extract_code(message.text, code_regex, not_codes) if message.text else None
    field = plausible_code(message.code, not_codes)
    if code_regex:
        return from_text or field
    return None if spoken_against(field, from_text, message.text, not_codes) else field or from_text


def is_contradicted(message, not_codes, found):
    """Whether the SMS's code field and its text disagree, given `found`, what code_of gave for it: only a field its
    text speaks against gives no code. The newest word on the order is then the agent's to read, and no older SMS
    may stand in for it."""
    return not found and plausible_code(message.code, not_codes) is not None


# a word before a number that makes it a reference, an order, a booking or money, however it is joined to it
# ("order number 77120", "Ref. 77120", "Order_77120", "流水号77120", "Номер заказа 77120", "Paid 77120"): a code field
# the text names only after one is no code
REFERENCE_WORD = (r"(?i)(?<![a-z])(order|ref|reference|booking|reservation|ticket|tracking|invoice|txn|transaction"
                  r"|parcel|shipment|account|balance|paid|payment|amount|total|pedido|reserva|заказ\w*|номер\w*"
                  r"|订单|流水号|单号|编号|运单|余额|金额)(?:[^\d\n]{0,24})$")


def spoken_against(field, from_text, text, not_codes=()):
    """A code field its text speaks against: the text gives another code; or, where the rule reads none, the text
    holds another number a code could be (4 to 8 digits: "Telegram: 482913. Ref. 77120" beside 77120, whatever
    word the reference has), or names the field's value (as typed or in groups: "77 120") only after a word that
    makes it a reference, an order or money (REFERENCE_WORD, DECOY_BEFORE). Years and the order's own id and number
    are no other code."""
    if not field or not text:
        return False
    if from_text:
        return from_text != field
    text = unicodedata.normalize("NFKC", text)
    runs = [(start, re.sub(r"\D", "", text[start:end])) for start, end, count in digit_runs(text)
            if 4 <= count <= 8 and not is_year(text, start, end, False)]
    others = {digits for _, digits in runs} - {field} - set(not_codes)
    places = [m.start() for m in re.finditer(rf"(?<![0-9A-Za-z]){re.escape(field)}(?![0-9A-Za-z])", text)]
    places += [start for start, digits in runs if digits == field and start not in places]
    after_a_reference = [re.search(DECOY_BEFORE, text[max(0, at - 16):at]) or
                         re.search(REFERENCE_WORD, text[max(0, at - 40):at]) for at in places]
    return bool(others) or bool(places) and all(after_a_reference)
