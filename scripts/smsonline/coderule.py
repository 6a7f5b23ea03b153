"""The code rule: what in an SMS is a verification code. SMS text in, a code or None out; protocol-free (each
protocol's reader decides which text is an SMS and which field is a code field, then asks this module).

A code needs evidence; without it the answer is "no code" (a missed code costs a refund, a false one costs money).
Evidence is (a) a code field in an SMS item or beside the SMS text it belongs to (judged by plausible_code), (b) a
protocol's success form (STATUS_OK:<code>, a text that is BARE_CODE), or (c) digits in the same sentence as a
verification word, or in a known OTP form (extract_code). A sentence that is a platform's status line (is_status_text)
gives none. reference/response-shapes.md writes the rule down.

Its words are one table, CODE_WORDS: one row per language (or form), each with how its words are delimited; a
language is added as a row. The other patterns below are the forms around a code (what may stand before or after it).
"""
from __future__ import annotations

import re
import unicodedata

# How a row's words are delimited: (before, after). CJK words need no boundary; alphabetic words must not be glued
# to letters of their own script.
BOUNDARIES = {
    "none": ("", ""),
    "latin": (r"(?<![a-z])", r"(?![a-z])"),
    "latin start": (r"(?<![a-z])", ""),  # a stem: its word may go on (kod, kodu, kodunuz)
    "accented": (r"(?<![a-záéíóúñ])", r"(?![a-záéíóúñ])"),
    "cyrillic start": (r"(?<![а-яё])", ""),
    "word": (r"(?<!\w)", r"(?!\w)"),
}
# The words that say "this is a code", one row per language or form: (language, boundary, words). Rows are tried in
# this order (a stem row before a row whose words it starts: "kod…" before Indonesian "kode").
CODE_WORDS = (
    ("Chinese", "none", ("验证码", "校验码", "动态码", "确认码", "激活码", "安全码", "认证码", "登录码", "短信码")),
    ("Chinese (traditional)", "none", ("驗證碼", "校驗碼", "動態碼")),
    ("Chinese (password, operation)", "none", ("密码", "操作码")),
    ("Japanese", "none", ("認証コード", "確認コード")),
    ("Korean", "none", ("인증번호",)),
    ("English", "latin", ("codes?", "otp", "passcode", "password", "pin", "verification", "verify", "one[- ]time")),
    ("Vietnamese (without accents)", "latin", ("ma xac (?:minh|nhan|thuc)", "ma otp")),
    ("Italian", "latin", ("codice",)),
    ("German", "latin", ("bestätigungscode", "sicherheitscode", "verifizierungscode", "anmeldecode", "zugangscode")),
    ("Turkish, Polish, Russian in Latin letters", "latin start", ("kod[a-zığüşöç]*",)),
    ("Arabic", "none", ("رمز",)),
    ("Spanish", "accented", ("códigos?", "codigos?", "clave", "contraseña")),
    ("Indonesian", "accented", ("kode", "sandi", "verifikasi")),
    ("Russian", "cyrillic start", ("код", "пароль")),
    ("Vietnamese", "word", ("mã",)),
    ("Vietnamese (password)", "none", ("mật khẩu",)),
)


def words_pattern(rows):
    """One case-insensitive pattern for the rows, tried in their order."""
    return "(?i)" + "|".join(f"{BOUNDARIES[boundary][0]}(?:{'|'.join(words)}){BOUNDARIES[boundary][1]}"
                             for _, boundary, words in rows)


VERIFICATION_WORDS = words_pattern(CODE_WORDS)

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
NOT_VERIFICATION_BEFORE = (r"(?i)(error|status|response|http|promo|promotion|coupon|discount|referral|invite"
                           r"|invitation|tracking|zip|postal|area|country|product|booking|错误|状态|邀请|优惠)\s*[-_]?\s*$")
CODE_CANDIDATES = (r"(?<![\dA-Za-z+*])(?<!\d\.)(?<![A-Za-z][-_])"  # not glued to a word, a number or a mask
                   r"(\d{3}[- ]\d{3}|\d{2}[- ]\d{2}[- ]\d{2}|\d{4}[- ]\d{4}|\d{4,8})(?![\dA-Za-z*])")
BARE_CODE = r"[A-Za-z0-9]{4,12}|\d{3}[- ]\d{3}|\d{2}[- ]\d{2}[- ]\d{2}|\d{4}[- ]\d{4}"  # a text that is only a code
# an uppercase letters-and-digits code after a verification word and at most three words ("code for Steam is …")
ALNUM_AFTER_WORD = r"(?:\s*[^\s\d:：]{1,12}){0,3}?\s*[:：]?\s*((?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{4,8})(?![A-Za-z0-9])"
OTP_FORMS = (r"(?<![A-Za-z0-9])G-(\d{4,8})(?!\d)", r"<#>\s*(\d{4,8})(?!\d)",  # Google's; Android's SMS retriever
             r"^\W*(\d{3}[- ]\d{3}|\d{4,8}) (?:is your|is the|es tu|es su|là mã|adalah)\b",  # "123-456 is your …"
             r"(?i)\buse (\d{3}[- ]\d{3}|\d{4,8}) (?:to|for|as)\b")  # "Use 556677 to sign in"
# Chinese clauses too ("验证码482913，登录失败请重试"; NFKC makes "，" a ",", so a comma beside a CJK character)
SENTENCE_END = r"[。！？!?;；，、\n\r]+|\.(?=\s|$)|(?<=[\u3000-\u9fff]),|,(?=[\u3000-\u9fff])"
DECOY_BEFORE = (r"(?i)(?<![a-z])(order|ref|reference|no\.?|#|№|id|session|request|activation|attempt|attempts|ticket"
                r"|transaction|txn|account|acct|invoice|tracking|balance|price|cost|amount|total|of|at|after|within"
                r"|until|ending|ends with|remaining|ttl|expires_in|expires in|in|left|eta|limit|length|tries|lockout"
                r"|block|server|version|v"
                r"|service|servicio|layanan|dịch vụ|операци\w*|err|error|ошибк\w*|lỗi|剩余|时间|次数|错误码|错误"
                r"|usd|eur|gbp|inr|rub|rmb|cny|jpy"
                r"|idr|php|thb|vnd|myr|sgd|hkd|twd|krw|brl|aud|cad|[$¥€£₹₽]|pedido|solicitud|sesión|sesion|activación"
                r"|intento|cuenta|pesanan|sesi|permintaan|akun|saldo|đơn hàng|đơn|phiên|yêu cầu|tài khoản|số dư"
                r"|заказ|сесси\w*|заявк\w*|запрос\w*|активаци\w*|попытк\w*|сч[её]т|баланс|из"
                r"|订单号?|尾号|客服|卡号|账号|余额|金额|价格|编号|会话|请求|单号|任务)\s*[:：=]?\s*$")
DIGIT_RUN = r"\+?\d(?:[ .-]?\d)*"  # digits with single separators: a phone number written in groups is one run
NOT_A_CODE_AFTER = (r"(?i)^(\s*(seconds?|secs?|s\b|ms\b|milliseconds?|毫秒|utc\b|gmt\b|minutes?|mins?|hours?|hrs?|days?"
                    r"|秒|分钟|分|小时|天|次"
                    r"|сек\w*|мин\w*|час\w*|руб\w*|detik|menit|jam|giây|phút|segundos?|minutos?|horas?"
                    r"|rub\b|usd\b|eur\b|元|₽|vnd\b|idr\b|%|left|remaining|restantes?|осталось|còn|sisa|quedan|restam"
                    r"|reste|verbleibend|kalan|残り|남은|เหลือ|المتبقي)|\.\d\d(?!\d))")  # a duration, a unit, an amount
SMS_TEXT_CAP = 4000  # an SMS is at most a few hundred characters; extraction never reads more than this
DATE_AFTER = r"(年|[-/.]\d{1,2}(?!\d))"
DATE_BEFORE = r"(?i)(©\s*|\d{1,2}[-/.]\d{1,2}[-/.]|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s*)$"
KEYWORD_REACH = 60  # within one sentence


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
            if not re.search(NOT_VERIFICATION_BEFORE, sentence[max(0, m.start() - 16):m.start()])][:50]


def extract_code(text, pattern=None, not_codes=()):
    """Rule (c): the verification code in an SMS text, or None. Only a sentence that is not a status line counts;
    in it, digits near a verification word (the nearest wins, then six digits), an uppercase letters-and-digits code
    right after one, or a known OTP form. Never: the order id, the number, a price, a reference, a duration, a year.
    --code-regex (pattern) replaces the words (group 1 if it has a group)."""
    text = ascii_digits(unicodedata.normalize("NFKC", text)[:SMS_TEXT_CAP])
    best = None
    for sentence in sentences(text):
        if is_status_text(sentence):
            continue
        if pattern:
            found = next(pattern_codes(pattern, sentence, not_codes), None)
            if found:
                return found
            continue
        found = code_in_sentence(sentence, not_codes)
        if found and (best is None or found[0] < best[0]):
            best = found
    return best[1] if best else None


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
    for _, word_end in words:
        match = re.match(ALNUM_AFTER_WORD, sentence[word_end:word_end + 48])
        between = sentence[word_end:word_end + match.start(1)] if match else ""
        if match and match.group(1) not in not_codes and not re.search(DECOY_BEFORE, between):
            return 1, match.group(1)
    runs = [(m.start(), m.end(), sum(c.isdigit() for c in m.group())) for m in re.finditer(DIGIT_RUN, sentence)]
    best = None
    for match in re.finditer(CODE_CANDIDATES, sentence):
        start, end = match.span()
        digits = re.sub(r"[- ]", "", match.group(1))
        gaps = [start - w_end for _, w_end in words if 0 <= start - w_end <= KEYWORD_REACH]
        gaps += [w_start - end + 10 for w_start, _ in words if 0 <= w_start - end <= KEYWORD_REACH]
        if not gaps or is_decoy(sentence, start, end, digits, not_codes, runs):
            continue
        score = min(gaps) + (0 if len(digits) == 6 else 1)
        if best is None or score < best[0]:
            best = (score, digits)
    return best


def is_decoy(sentence, start, end, digits, not_codes, runs):
    """A digit run that is no code: a known id or number, part of a longer number, a year, a reference or an amount
    (by the word before it), a duration or a unit (by what follows)."""
    in_longer_run = any(r_start <= start and end <= r_end and count >= 9 and count > len(digits)
                        for r_start, r_end, count in runs)
    return digits in not_codes or in_longer_run or is_year(sentence, start, end, True) \
        or bool(re.search(DECOY_BEFORE, sentence[max(0, start - 16):start])) \
        or bool(re.match(NOT_A_CODE_AFTER, sentence[end:end + 12]))


def is_status_text(text):
    """A platform's message (waiting, failed, absent), not an SMS."""
    return bool(re.search(WAITING, text) or re.search(NOT_AN_SMS, text))


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
    """The code an SMS gives: its code field (judged as evidence), else its text's (rule c); --code-regex first."""
    from_text = extract_code(message.text, code_regex, not_codes) if message.text else None
    field = plausible_code(message.code, not_codes)
    return from_text or field if code_regex else field or from_text
