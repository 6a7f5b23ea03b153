"""The code rule (coderule.py): SMS text in, a code or None out. A code needs evidence; everything else is "no code".

Real-world SMS texts in the platforms' languages must give their code; status lines that carry digits must give
none; every row of the rule's word table has an SMS that proves it. reference/response-shapes.md ("When is it a
code") writes the rule down; how SMSOnline's answers feed it is tests/test_reading_sms.py's.
"""
import re
from pathlib import Path

import pytest

from support import coderule

ORDER = {"order_id": "884213", "number": "+8613800001234", "national_number": "13800001234", "price": 0.35}

SMS_TEXTS = [
    # Chinese
    ("【Soul】您的验证码是8848，5分钟内有效，请勿泄露。", "8848"),
    ("【哔哩哔哩】625193为您的登录验证码，请于5分钟内填写。", "625193"),
    ("【微信】验证码 310976，用于微信注册，15分钟内有效。", "310976"),
    ("【淘宝】校验码 739201，您正在登录，请勿泄露。", "739201"),
    ("【支付宝】动态码：5567，尾号1234的银行卡正在操作。", "5567"),
    ("【京东】确认码 20481357，请在10分钟内输入。", "20481357"),
    ("【抖音】验证码１２３４５６，用于手机号登录", "123456"),
    ("【小红书】验证码：482 913，3分钟内有效", "482913"),
    ("【美团】您的验证码为 59-21-37，请勿告诉他人", "592137"),
    ("【知乎】 验证码 7714 ，如非本人操作请忽略", "7714"),
    # English
    ("Your WhatsApp code: 123-456. Don't share this code with others. 4sgLq1p5sV6", "123456"),
    ("Telegram code: 55821. You can also tap on this link to log in: t.me/login/55821", "55821"),
    ("G-482913 is your Google verification code.", "482913"),
    ("482913 is your Instagram code. Don't share it.", "482913"),
    ("<#> 771204 is your Facebook code. Laz+nxCarLW", "771204"),
    ("Your Uber code: 2277. Never share this code. Reply STOP ALL to +1 415 555 0100 to unsubscribe.", "2277"),
    ("Use 884210 as your OTP for order 55512345. Valid for 10 mins.", "884210"),
    ("Your OTP for transaction of INR 2500.00 at AMAZON is 845512", "845512"),
    ("Your Steam login code: 7K2QX9", "7K2QX9"),
    ("Your Discord verification code is 90812734", "90812734"),
    ("Your verification PIN is 9034", "9034"),
    ("Your code for order A7731B9 is 4410", "4410"),
    ("Your one-time passcode is 661 204", "661204"),
    ("Use 556677 to sign in to Tinder", "556677"),
    ("Your verification code is 482913. Please wait 60 seconds before requesting a new one.", "482913"),
    # Russian
    ("Ваш код подтверждения: 4829. Никому не сообщайте его.", "4829"),
    ("Код для входа в Telegram: 61523. Не давайте код никому.", "61523"),
    ("VK: 318204 — ваш код для регистрации", "318204"),
    ("Пароль: 5517. Заказ 20261128", "5517"),
    ("Ваш код Авито 77-31-90", "773190"),
    # Indonesian
    ("Kode verifikasi Anda adalah 482913. JANGAN BERIKAN kode ini kepada siapa pun.", "482913"),
    ("<#> Kode OTP Gojek kamu: 5521. Jangan kasih tau kode ini ke siapa pun.", "5521"),
    ("JANGAN MEMBERITAHU KODE INI KE SIAPAPUN. Kode Shopee: 730215", "730215"),
    ("Kode masuk Tokopedia: 9910-3321", "99103321"),
    # Vietnamese
    ("Mã xác nhận của bạn là 123456. Không chia sẻ mã này.", "123456"),
    ("Ma OTP Zalo cua ban la 4410", "4410"),
    ("Mã OTP Shopee: 880271, hiệu lực 5 phút.", "880271"),
    ("Mật khẩu dùng một lần: 93 11 02", "931102"),
    # Spanish
    ("Tu código de verificación es 123456", "123456"),
    ("Tu código de WhatsApp: 481-337. No lo compartas.", "481337"),
    ("Su clave de acceso es 7730. Válida por 10 minutos.", "7730"),
    ("Código de seguridad Mercado Libre: 55 21 09", "552109"),
    ("Tu contraseña temporal es: 8K4Z1Q", "8K4Z1Q"),
]

STATUS_TEXTS = [
    "No message received yet for activation 884213",
    "Номер активен, СМС пока нет. Сессия 884213",
    "Inbox empty (request 884213), try again in a few seconds",
    "Waiting for SMS, session 884213",
    "Please wait for the code (attempt 3 of 10000)",
    "暂无短信，剩余1187秒",
    "暂无短信，请稍后 (任务 7734521)",
    "短信未到达，队列位置 1024",
    "Order 884213 is waiting for SMS",
    "SMS not received yet, retry in 5000 ms",
    "Код ещё не получен, ожидание 2345",
    "code not received yet (order 772211)",
    "Verification code pending for order 772211",
    "Your code will arrive soon. Request 772211",
    "Activation 772211 created at 10:05",
    "Session 772211 expires in 1200 seconds",
    "Number +7 900 123-45-67 is active",
    "Balance: 1234.56 USD",
    "Error code 5001: service unavailable",
    "status code 40004",
    "Belum ada SMS untuk pesanan 772211",
    "Menunggu SMS, sisa waktu 1187 detik",
    "Chưa có tin nhắn cho đơn 772211",
    "Đang chờ SMS, phiên 772211",
    "Aún no hay SMS para la activación 772211",
    "Esperando SMS, pedido 772211",
    "Ожидание СМС, заказ 772211",
    "订单 772211 等待短信",
    "尚未收到短信，订单号 772211",
    "no sms yet, 1187 s left",
    "Queue: 12345",
    "ref 20261128",
    "Order 884213 for +8613800001234 at 0.35",
    "© 2026 SMSOnline, 28/11/2026",
    "Your promo code: 2026SALE valid until 2026-12-31",
    "Welcome to the service, enjoy",
    "Activation code request 772211 accepted, in queue",
    "Код заказа 772211 ожидает СМС",
    "验证码尚未到达，请稍后，任务 772211",
    "Tu código llegará pronto. Solicitud 772211",
    "Kode belum diterima, pesanan 772211",
    "Mã chưa về, đơn 772211",
]


EXTRACTION_CASES = [  # without an order: decoys are known by their form alone
    ("【Soul】您的验证码是8848，5分钟内有效。订单20261128请勿泄露给他人。", "8848"),
    ("【哔哩哔哩】625193为您的登录验证码，请于5分钟内填写。如非本人操作请忽略，客服95017。", "625193"),
    ("【腾讯科技】验证码 310976，用于微信注册，15分钟内有效。尾号8848的手机号勿转发。", "310976"),
    ("您的订单20231128的验证码为 4521，请勿告诉他人", "4521"),
    ("【淘宝】校验码 739201，您正在登录，2026年11月28日 请勿泄露", "739201"),
    ("【支付宝】动态码：5567，尾号1234的银行卡", "5567"),
    ("Your WhatsApp code: 123-456\nDon't share this code with others. 4sgLq1p5sV6", "123456"),
    ("Telegram code: 55821. You can also tap on this link to log in: t.me/login/55821", "55821"),
    ("G-482913 is your Google verification code.", "482913"),
    ("Your Uber code: 2277. Never share this code. Reply STOP ALL to +1 415 555 0100 to unsubscribe.", "2277"),
    ("Use 884213 as your OTP for order 55512345. Valid for 10 mins.", "884213"),
    ("Ваш код подтверждения: 4419. Никому не сообщайте его. Заказ 20261128", "4419"),
    ("123456 is your Instagram code. Don't share it.", "123456"),
    ("Your verification PIN is 9034", "9034"),
    ("【抖音】验证码１２３４５６，用于手机号登录", "123456"),  # full-width digits
    ("Account 20261128 created. Use 556677 to sign in.", "556677"),  # no keyword: the 6-digit run wins
    ("Barcode 55512345 printed; 7731 is your verification number", "7731"),  # "code" inside a word is no keyword
    ("Thanks for shopping 4410! Your code 99127", "99127"),  # nor "pin" inside "shopping"
    ("Welcome to the service, enjoy", None),
    ("Your OTP for transaction of INR 2500.00 at AMAZON is 845512", "845512"),  # an amount is no code
    ("Login code: AB12CD. Expires in 1500 seconds.", "AB12CD"),  # a duration is no code; letters and digits are
    ("验证码 3321，有效期 1800 秒", "3321"),
]

# One SMS per row of coderule.CODE_WORDS, in that row's language: a row added is a row proven.
WORD_ROWS = {
    "Chinese": ("【Soul】您的验证码是8848，5分钟内有效。", "8848"),
    "Chinese (traditional)": ("【蝦皮】您的驗證碼為 482913，請勿洩露。", "482913"),
    "Chinese (password, operation)": ("操作码为：829103", "829103"),
    "Japanese": ("LINEの認証コード：551902", "551902"),
    "Korean": ("[카카오] 인증번호 730215 를 입력하세요", "730215"),
    "English": ("Your verification PIN is 9034", "9034"),
    "Vietnamese (without accents)": ("[Shopee] Ma xac minh cua ban la 829103. Khong chia se", "829103"),
    "Italian": ("Il tuo codice è 661204", "661204"),
    "German": ("Ihr Bestätigungscode lautet 448811", "448811"),
    "Turkish, Polish, Russian in Latin letters": ("Sberbank: kod 829103", "829103"),
    "Arabic": ("رمز التحقق 551177", "551177"),
    "Spanish": ("Tu código de verificación es 123456", "123456"),
    "Indonesian": ("Kode verifikasi Anda adalah 482913.", "482913"),
    "Russian": ("Ваш код подтверждения: 4829.", "4829"),
    "Vietnamese": ("Mã OTP Shopee: 880271, hiệu lực 5 phút.", "880271"),
    "Vietnamese (password)": ("Mật khẩu dùng một lần: 93 11 02", "931102"),
}


def test_every_row_of_the_word_table_has_an_sms_that_proves_it():
    assert list(WORD_ROWS) == [language for language, _, _ in coderule.CODE_WORDS]


@pytest.mark.parametrize("text, code", WORD_ROWS.values(), ids=list(WORD_ROWS))
def test_each_language_of_the_word_table_gives_its_code(text, code):
    assert coderule.extract_code(text) == code


@pytest.mark.parametrize("text, code", SMS_TEXTS)
def test_a_real_sms_gives_its_code(text, code):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) == code


@pytest.mark.parametrize("text", STATUS_TEXTS)
def test_a_status_text_gives_no_code(text):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) is None


@pytest.mark.parametrize("text, code", EXTRACTION_CASES)
def test_extracts_the_code(text, code):
    assert coderule.extract_code(text) == code


def test_custom_regex_wins_and_uses_group_one():
    assert coderule.extract_code("ref AB-7781 code 123456", r"AB-(\d+)") == "7781"
    assert coderule.extract_code("ref AB-7781 code 123456", r"AB-\d+") == "AB-7781"
    assert coderule.extract_code("nothing here", r"AB-(\d+)") is None


def test_the_tables_are_as_large_as_the_issue_asks():
    assert len(SMS_TEXTS) >= 40 and len(STATUS_TEXTS) >= 40
    for marker in ("验证码", "code", "код", "Kode", "Mã", "código"):  # Chinese, English, Russian, Indonesian, …
        assert any(marker in text for text, _ in SMS_TEXTS), marker


RED_TEAM_STATUS_TEXTS = [
    "验证码已发送至 138****1234", "Code sent to +86 138****1234", "Code sent to number ending 1234",
    "获取验证码失败，错误码 4001", "Код: отсутствует (ошибка 4012)", "Mã xác minh không khả dụng, lỗi 4012",
    "Código no disponible (error 4012)", "Code lookup failed (err 5003)", "Kode tidak ditemukan untuk layanan 3301",
    "No se encontró código para el servicio 3301", "Không tìm thấy mã cho dịch vụ 3301",
    "Код не пришёл по операции 4521", "验证码获取中，剩余时间 1187", "SMS code will arrive within 120000 milliseconds",
    "验证码发送中，超时 120000 毫秒", "SMS code timeout after 1800", "code: null, expires_in: 1200",
    '{"code": null, "ttl": 1800}', "验证码查询次数 1024", "Code valid until 10:45:30 on 30 Nov 2026",
    "Verification code: N/A (server 2048)", "SMS code service v2.1.4021", "PIN block 4096",
    "OTP: <empty>, tries 1000", "Passcode length 6, attempts left 3, lockout 3600",
    "Verification code request accepted at 1030 UTC", "Code expired after 1800",
]


@pytest.mark.parametrize("text", RED_TEAM_STATUS_TEXTS)
def test_platform_messages_about_codes_give_no_code(text):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) is None


@pytest.mark.parametrize("text, code", [
    ("Your verification code is 1234 5678", "12345678"),
    ("[Shopee] Ma xac minh cua ban la 829103. Khong chia se", "829103"),
    ("Sberbank: kod 829103", "829103"),
    ("【工商银行】动态密码829103，您正在登录", "829103"),
    ("操作码为：829103", "829103"),
    ("Your code ١٢٣٤٥٦", "123456"),
])
def test_codes_the_red_team_saw_missed_are_found(text, code):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) == code


# --- the docs and the code say the same ------------------------------------------------------------------------

SHAPES_DOC = (Path(__file__).resolve().parent.parent / "reference" / "response-shapes.md").read_text("utf-8")
SMS_DOC = SHAPES_DOC[SHAPES_DOC.index("## SMS (get-sms)"):SHAPES_DOC.index("## Change-status")]


def documented_words(heading):
    """The words of the doc's list after heading (a blockquote), each as a plain phrase."""
    block = SMS_DOC[SMS_DOC.index(heading):].split("\n\n")[1]
    words = " ".join(line.lstrip("> ") for line in block.splitlines())
    first_forms = [word if word == "n/a" else word.split("/")[0] for word in re.split(r"[,;.]\s*", words)]
    return [" ".join(re.sub(r"\(([^)]*)\)|…", "", word).split()) for word in first_forms]


def test_every_documented_waiting_word_is_a_waiting_word():
    words = [w for w in documented_words("the one list of waiting words") if w]
    assert len(words) > 40 and [w for w in words if not re.search(coderule.WAITING, w)] == []


def test_every_documented_failure_word_marks_a_platform_message():
    words = [w for w in documented_words("about a failure or an absence") if w]
    assert len(words) > 40 and [w for w in words if not re.search(coderule.NOT_AN_SMS, w)] == []


def test_every_documented_verification_word_is_one():
    start = SMS_DOC.index("**verification\n  word**") if "**verification\n  word**" in SMS_DOC else \
        SMS_DOC.index("verification word**")
    listed = SMS_DOC[start:].split(":", 1)[1].split('"error code"')[0]
    words = [re.sub(r"\(s\)|…", "", w).strip() for w in re.split(r",\s*", " ".join(listed.split())) if w.strip()]
    assert len(words) > 30 and [w for w in words if not re.search(coderule.VERIFICATION_WORDS, w.rstrip("."))] == []
