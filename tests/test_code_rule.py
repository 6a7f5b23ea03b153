"""The code rule (coderule.py): SMS text in, a code or None out. A code needs evidence; everything else is "no code".

Real-world SMS texts in the platforms' languages must give their code; status lines that carry digits must give
none; every row of the rule's word table has an SMS that proves it. reference/response-shapes.md ("When is it a
code") writes the rule down; how SMSOnline's answers feed it is tests/test_reading_sms.py's.
"""
import re
from pathlib import Path

import pytest

from support import coderule
from smsonline import codewords

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

# One SMS per row of codewords.CODE_WORDS, in that row's language, read only thanks to that row: a row added is a
# row proven (test_each_row_of_the_word_table_is_needed_by_its_sms).
WORD_ROWS = {
    "Chinese": ("【Soul】您的验证码是8848，5分钟内有效。", "8848"),
    "Chinese (traditional)": ("【蝦皮】您的驗證碼為 482913，請勿洩露。", "482913"),
    "Chinese (password, operation)": ("操作码为：829103", "829103"),
    "Japanese": ("LINEの認証コード：551902", "551902"),
    "Korean": ("[카카오] 인증번호 730215 를 입력하세요", "730215"),
    "English": ("Your verification PIN is 9034", "9034"),
    "English (common typos)": ("Your Twitter confirmation coce is 180298", "180298"),
    "Vietnamese (without accents)": ("[Shopee] Ma xac minh cua ban la 829103. Khong chia se", "829103"),
    "Italian": ("Il tuo codice è 661204", "661204"),
    "German": ("Ihr Bestätigungscode lautet 448811", "448811"),
    "Turkish, Polish, Russian in Latin letters": ("Sberbank: kod 829103", "829103"),
    "Arabic": ("رمز التحقق 551177", "551177"),
    "Spanish": ("Tu código de verificación es 123456", "123456"),
    "Indonesian": ("Kata sandi Anda adalah 482913.", "482913"),
    "Russian": ("Ваш код подтверждения: 4829.", "4829"),
    "Vietnamese": ("Mã xác nhận của bạn là 123456. Không chia sẻ mã này.", "123456"),
    "Vietnamese (password)": ("Mật khẩu dùng một lần: 93 11 02", "931102"),
    "Bulgarian, Serbian, Mongolian (password)": ("Вашата парола за еднократен достъп е 551902", "551902"),
    "French": ("Votre mot de passe temporaire : 551902", "551902"),
    "Portuguese": ("Sua senha temporária é 551902", "551902"),
    "Catalan": ("El teu codi és 551902", "551902"),
    "Dutch": ("Je verificatiecode is 551902", "551902"),
    "Swedish, Norwegian, Danish (compounds)": ("Din bekræftelseskode er: 551902", "551902"),
    "Finnish, Estonian": ("LashKirja-tilisi vahvistuskoodi on 123456. Koodi on voimassa 15 minuuttia.", "123456"),
    "Czech, Slovak, Hungarian, Croatian, Slovene, Polish, Lithuanian (password)": ("Váš ověřovací kód je 551902",
                                                                                   "551902"),
    "Romanian": ("[402913] este codul dvs", "402913"),
    "Afrikaans (compounds)": ("<#>Jou Wave verifikasiekode is: 054247\nabAbCDEFO1g", "054247"),
    "Swahili, Yoruba, Hausa": ("Msimbo wako wa uthibitisho ni 551902", "551902"),
    "Turkish, Azerbaijani (password)": ("Tek kullanımlık şifreniz: 551902", "551902"),
    "Malay (TAC)": ("Your TAC is 551902. Do not share it.", "551902"),
    "Greek": ("Ο κωδικός επαλήθευσης humanID σας είναι ο [402913]", "402913"),
    "Hebrew": ("<#>(Wave) קוד האימות שלך הוא 490941\nabAbCDEFO1g", "490941"),
    "Persian": ("کد تأیید شما: ۵۵۱۹۰۲", "551902"),
    "Urdu": ("آپ کا تصدیقی کوڈ 551902 ہے۔", "551902"),
    "Hindi, Marathi, Nepali": ("<#>आपका Wave सत्यापन कोड है: 832985\nabAbCDEFO1g", "832985"),
    "Bengali": ("[402913] আপনার humanID যাচাইকরণ কোড।", "402913"),
    "Punjabi, Gujarati, Telugu, Kannada, Malayalam": ("మీ ధృవీకరణ కోడ్ 551902", "551902"),
    "Tamil": ("உங்கள் சரிபார்ப்புக் குறியீடு 551902", "551902"),
    "Thai": ("[402913] คือ รหัสยืนยัน humanID", "402913"),
    "Lao, Khmer": ("ລະຫັດຢືນຢັນຂອງທ່ານແມ່ນ ໕໕໑໙໐໒", "551902"),
    "Burmese": ("သင့် အတည်ပြုကုဒ်မှာ ၅၅၁၉၀၂ ဖြစ်သည်", "551902"),
    "Georgian, Armenian": ("თქვენი დადასტურების კოდია 551902", "551902"),
    "Amharic": ("የእርስዎ የማረጋገጫ ኮድ 551902 ነው", "551902"),
}


def test_every_row_of_the_word_table_has_an_sms_that_proves_it():
    assert list(WORD_ROWS) == [language for language, _, _ in coderule.CODE_WORDS]


@pytest.mark.parametrize("text, code", WORD_ROWS.values(), ids=list(WORD_ROWS))
def test_each_language_of_the_word_table_gives_its_code(text, code):
    assert coderule.extract_code(text) == code


@pytest.mark.parametrize("language", list(WORD_ROWS))
def test_each_row_of_the_word_table_is_needed_by_its_sms(language, monkeypatch):
    others = [row for row in codewords.CODE_WORDS if row[0] != language]
    monkeypatch.setattr(coderule, "VERIFICATION_WORDS", "(?i)(?:" + codewords.words_alternation(others) + ")")
    assert coderule.extract_code(WORD_ROWS[language][0]) is None


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


PLATFORM_MESSAGES_ABOUT_CODES = [
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


@pytest.mark.parametrize("text", PLATFORM_MESSAGES_ABOUT_CODES)
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
def test_codes_after_a_word_in_other_scripts_or_split_in_two_are_found(text, code):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) == code


@pytest.mark.parametrize("text", [
    "Verification code has not been received, time left 1187", "Your code hasn't arrived, time left 1187",
    "No code yet, 1187 left", "SMS code expected shortly, ETA 1187", "Code slot open, expires in 1187",
    "验证码未到，请耐心等候 1187", "验证码下发中 1187", "Код пока не поступил, осталось 1187",
    "Код ще не надійшов, залишилось 1187", "Mã OTP vẫn đang được gửi, còn 1187", "Kode OTP masih dikirim, sisa 1187",
    "El código no ha llegado, quedan 1187", "O código ainda não chegou, restam 1187",
    "Code pas encore reçu, reste 1187",
    "Code noch nicht erhalten, verbleibend 1187", "Kod henüz gelmedi, kalan 1187", "認証コードはまだ届いていません 残り 1187",
    "인증번호가 아직 도착하지 않았습니다 남은 시간 1187", "รหัส OTP ยังไม่มา เหลือ 1187", "لم يصل رمز OTP بعد، المتبقي 1187",
])
def test_waiting_texts_in_other_words_give_no_code(text):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) is None


@pytest.mark.parametrize("text, code", [
    ("Ihr Bestätigungscode lautet 482913", "482913"), ("Doğrulama kodunuz: 482913", "482913"),
    ("رمز التحقق الخاص بك هو 482913", "482913"), ("Il tuo codice di verifica è 482913", "482913"),
    ("【某某】验证码482913，如非本人操作请忽略，登录失败请重试", "482913"),
])
def test_codes_in_more_languages_are_found(text, code):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) == code


ORDER_700001 = {"order_id": "700001", "number": "+8613800001549", "national_number": "13800001549", "price": 0.3}


def test_code_regex_never_takes_the_order_id_or_a_slice_of_the_number():
    for text in ("79161234567", "700001 13800001549"):
        assert coderule.extract_code(text, r"(\d{4,6})", coderule.not_codes_of(ORDER_700001)) is None


def test_digits_glued_to_a_word_by_a_dash_are_no_code():
    assert coderule.extract_code("code test-key-redteam-0007") is None
    assert coderule.extract_code("Your code is 0007") == "0007"


# --- the languages of the world: real texts, each with its source (reference/code-rule.md cites them) -------------

SOURCES = {  # tag: where the texts come from (repository and path); C: constructed where no public text was found
    "SIG": "iamticken/Wave app/src/test/java/org/thoughtcrime/securesms/service/VerificationCodeParserTest.java",
    "POM": "transitive-bullshit/parse-otp-message test/index.js",
    "OHT": "YacTeam/ohtipi src/assets/libs/parse-otp-message/test/custom.js",
    "SHX": "Shelex/free-otp-api README.md",
    "HID": "human-internet/humanid-core server/localization.js",
    "LKJ": "LashKirjaCore Swift tests (AccountCode.extract)",
    "OTS": "OTPShield AI – Message Service (sample messages)",
    "OTX": "OtpExtractorTest.kt (package com.otpextractor.gmail.utils)",
    "KTB": "Krungthai Bank OTP message quoted in a public \"Bank OTP Extraction Problem\" write-up",
    "C": "constructed",
}

# (source, language, SMS text, code): the positive set
WORLD_SMS = [
    ("SIG", "Japanese", "<#>あなたのWave 認証コード： 832985\nabAbCDEFO1g", "832985"),
    ("SIG", "Japanese", "<#>あなたのWave 認証コード： 832-985\nabAbCDEFO1g", "832985"),
    ("SIG", "Indonesian", "<#>Kode verifikasi Wave anda adalah: 832-985\nabAbCDEFO1g", "832985"),
    ("SIG", "Russian", "<#>Ваш проверочный код Wave: 832985\nabAbCDEFO1g", "832985"),
    ("SIG", "Hindi", "<#>आपका Wave सत्यापन कोड है: 832985\nabAbCDEFO1g", "832985"),
    ("SIG", "French", "<#>Votre code de vérification Wave est: 490941\nabAbCDEFO1g", "490941"),
    ("SIG", "Arabic", "<#>\u202bرمز تعريفك الخاص ب Wave هو 490-941\u202c\nabAbCDEFO1g", "490941"),
    ("SIG", "Chinese (traditional)", "<#>您的 Wave 驗證代碼是：490941\nabAbCDEFO1g", "490941"),
    ("SIG", "Hebrew", "<#>(Wave) קוד האימות שלך הוא 490941\nabAbCDEFO1g", "490941"),
    ("SIG", "Hebrew", "<#>(Wave) קוד האימות שלך הוא 490-941\nabAbCDEFO1g", "490941"),
    ("SIG", "Greek", "<#>Ο Wave κωδικός σας επιβεβαίωσης είναι: 054-247\nabAbCDEFO1g", "054247"),
    ("SIG", "Catalan", "<#>El teu Wave codi de verificació és: 054247\nabAbCDEFO1g", "054247"),
    ("SIG", "Filipino", "<#>Ang iyong pamberipikasyong code sa Wave ay: 054247\nabAbCDEFO1g", "054247"),
    ("SIG", "Afrikaans", "<#>Jou Wave verifikasiekode is: 054247\nabAbCDEFO1g", "054247"),
    ("SIG", "English", "【SIGNAL】 Your code is: 423-431", "423431"),
    ("SIG", "English", "SIGNAL: Your code is: 123456\nDo not share this code\n\nabAbCDEFO1g", "123456"),
    ("SIG", "English", "hi 1234-5678\n\nsgnl://verify/1234-5678\n\naAbBcCdDeEf", "12345678"),
    ("SIG", "English", "Your Wave verification code 1337-1337", "13371337"),
    ("POM", "English", "469538 is your verification code for your Sony Entertainment Network account.", "469538"),
    ("POM", "English", "512665 (NetEase Verification Code)", "512665"),
    ("POM", "English", "[HuomaoTV]code: 456291. Please complete the verification within 5 minutes. If you did not "
                       "operate, please ignore this message.", "456291"),
    ("POM", "English", "Auth code: 2607 Please enter this code in your app.", "2607"),
    ("POM", "English", "Welcome to ClickSend, for your first login you'll need the activation PIN: 464120", "464120"),
    ("POM", "English", "Use 5677 as Microsoft account security code", "5677"),
    ("POM", "English", "Your WhatsApp code is 105-876 but you can simply tap on this link to verify your device: "
                       "v.whatsapp.com/105876", "105876"),
    ("POM", "English", "This is your secret password for REGISTRATION. GO-JEK never asks for your password, DO NOT "
                       "GIVE IT TO ANYONE. Your PASSWORD is 1099 .", "1099"),
    ("POM", "English", "Your confirmation code is 951417. Please enter it in the text field.", "951417"),
    ("POM", "English", "Your one-time eBay pin is 3190", "3190"),
    ("POM", "English", "0013 is your verification code for HQ Trivia", "0013"),
    ("POM", "Russian", "Пароль: 1752 (никому не говорите) Доступ к информации", "1752"),
    ("POM", "English", "[#] Your Uber code: 5934 qlRnn4A1sbt", "5934"),
    ("POM", "English", "Humaniq code: 167-262", "167262"),
    ("POM", "English", "373473(Weibo login verification code) This code is for user authentication, please do not "
                       "send it to anyone else.", "373473"),
    ("POM", "German", "117740 ist dein Verifizierungscode für dein Sony Entertainment Network-Konto.", "117740"),
    ("POM", "Japanese", "Cash Show - 賞金クイズ の確認コードは 764972 です。", "764972"),
    ("POM", "English", "VerifyCode:736136", "736136"),
    ("POM", "Vietnamese (without accents)", "(Zalo) 8568 la ma kich hoat cua so dien thoai 13658014095. Vui long "
                                            "nhap ma nay vao ung dung Zalo de kich hoat tai khoan.", "8568"),
    ("POM", "English", "You are editing the phone number information of your weibo account, the verification code "
                       "is: 588397 (expire in 10 min).", "588397"),
    ("POM", "Korean", "G-723210(이)가 Google 인증 코드입니다.", "723210"),
    ("POM", "English", "You requested a secure one-time password to log in to your USCIS Account. Please enter this "
                       "secure one-time password: 04352398", "04352398"),
    ("POM", "English", "Hello! Your BuzzSumo verification code is 823 815", "823815"),
    ("POM", "English", "Use the code (7744) on WeChat to log in to your account. Don't forward the code!", "7744"),
    ("POM", "English", "Your boa code is \"521992\"", "521992"),
    ("POM", "English (typo)", "Your Twitter confirmation coce is 180298", "180298"),
    ("POM", "English", "Use 003407 as your password for Facebook for iPhone.", "003407"),
    ("POM", "English", "+1-388-941-4444 your code is 333-222", "333222"),
    ("POM", "English", "Microsoft access code: 6907", "6907"),
    ("OHT", "English", "588873 is the OTP for transaction of INR 3373.00 on your Kotak Bank Card 9688 at AMAZON PAY "
                       "INDIA PRIVATET valid for 15 mins. DONT SHARE OTP WITH ANYONE INCLUDING BANK OFFICIALS.",
     "588873"),
    ("SHX", "English", "Amazon: Your code is 228438. Don't share it. If you didn't request it, deny here "
                       "https://amazon.com/a/c/r/lnqyxK8ckySBXJNgvdp014rIO", "228438"),
    ("HID", "Bengali", "[402913] আপনার humanID যাচাইকরণ কোড।", "402913"),
    ("HID", "Chinese", "[402913] 是您的humanID验证码。请勿与任何人分享此验证码。", "402913"),
    ("HID", "German", "[402913] ist Ihr humanID-Bestätigungscode", "402913"),
    ("HID", "Spanish", "Su código de verificación es [402913]", "402913"),
    ("HID", "Greek", "Ο κωδικός επαλήθευσης humanID σας είναι ο [402913]", "402913"),
    ("HID", "Croatian", "[402913] je Vaš humanID kôd za verifikaciju", "402913"),
    ("HID", "Hindi", "[402913] आपका humanID पुष्टि संख्या है। इसे किसी के साथ साझा न करें।", "402913"),
    ("HID", "Italian", "Il Suo codice di verifica humanID è [402913]", "402913"),
    ("HID", "Japanese", "humanID認証コードは[402913]です。", "402913"),
    ("HID", "Korean", "[402913]는 당신의 humanID 인증 코드입니다", "402913"),
    ("HID", "Malay", "[402913] ialah kod pengesahan humanID anda", "402913"),
    ("HID", "Polish", "[402913] to Twój kod weryfikacyjny humanID", "402913"),
    ("HID", "Portuguese", "[402913] é o seu codigo de verificacão de humanID", "402913"),
    ("HID", "Romanian", "[402913] este codul dvs", "402913"),
    ("HID", "Russian", "[402913] это ваш humanID код подтверждения", "402913"),
    ("HID", "Swedish", "[402913] är din verifikationskod till humanID", "402913"),
    ("HID", "Thai", "[402913] คือ รหัสยืนยัน humanID", "402913"),
    ("HID", "Turkish", "[402913] humanID doğrulama kodunuzdur", "402913"),
    ("HID", "Chinese (traditional)", "[402913] 是您的 humanID 認證碼，請勿與他人分享", "402913"),
    ("HID", "Vietnamese", "[402913] là số mã xác minh cá nhân humanID của bạn", "402913"),
    ("LKJ", "Finnish", "LashKirja-tilisi vahvistuskoodi on 123456. Koodi on voimassa 15 minuuttia.", "123456"),
    ("LKJ", "Finnish", "123456 on LashKirja-vahvistuskoodisi", "123456"),
    ("LKJ", "Finnish", "042001\n\nTämä on LashKirja-tilisi vahvistuskoodi, ja se on voimassa 15 minuuttia.", "042001"),
    # constructed: no public text found for these languages or forms
    ("C", "Urdu", "آپ کا تصدیقی کوڈ 551902 ہے۔ اسے کسی کے ساتھ شیئر نہ کریں۔", "551902"),
    ("C", "Persian", "کد تأیید شما: 551902", "551902"),
    ("C", "Persian (Persian digits)", "کد تأیید شما: ۵۵۱۹۰۲", "551902"),
    ("C", "Burmese", "သင့် OTP ကုဒ်မှာ 551902 ဖြစ်သည်", "551902"),
    ("C", "Georgian", "თქვენი დადასტურების კოდია 551902", "551902"),
    ("C", "Armenian", "Ձեր հաստատման կոդն է 551902", "551902"),
    ("C", "Khmer", "លេខកូដ OTP របស់អ្នកគឺ 551902", "551902"),
    ("C", "Lao", "ລະຫັດຢືນຢັນຂອງທ່ານແມ່ນ 551902", "551902"),
    ("C", "Amharic", "የእርስዎ የማረጋገጫ ኮድ 551902 ነው", "551902"),
    ("C", "Tamil", "உங்கள் சரிபார்ப்புக் குறியீடு 551902", "551902"),
    ("C", "Telugu", "మీ ధృవీకరణ కోడ్ 551902", "551902"),
    ("C", "Marathi", "तुमचा सत्यापन कोड 551902 आहे", "551902"),
    ("C", "Gujarati", "તમારો ચકાસણી કોડ 551902 છે", "551902"),
    ("C", "Punjabi", "ਤੁਹਾਡਾ ਪੁਸ਼ਟੀਕਰਨ ਕੋਡ 551902 ਹੈ", "551902"),
    ("C", "Kannada", "ನಿಮ್ಮ ಪರಿಶೀಲನಾ ಕೋಡ್ 551902", "551902"),
    ("C", "Malayalam", "നിങ്ങളുടെ സ്ഥിരീകരണ കോഡ് 551902 ആണ്", "551902"),
    ("C", "Ukrainian", "Ваш код підтвердження: 551902", "551902"),
    ("C", "Bulgarian", "Вашата парола за еднократен достъп е 551902", "551902"),
    ("C", "Kazakh", "Растау коды: 551902", "551902"),
    ("C", "Serbian", "Ваша лозинка за пријаву је 551902", "551902"),
    ("C", "Russian in Latin letters", "Vash kod podtverzhdeniya: 551902", "551902"),
    ("C", "Russian in Latin letters", "Parol dlya vhoda 551902", "551902"),
    ("C", "Dutch", "Je verificatiecode is 551902", "551902"),
    ("C", "Danish", "Din bekræftelseskode er: 551902", "551902"),
    ("C", "Danish", "551902 er din verificeringskode", "551902"),
    ("C", "Chinese (traditional)", "您的驗証碼是: 551902", "551902"),
    ("C", "Norwegian", "551902 er verifiseringskoden din", "551902"),
    ("C", "Czech", "Váš ověřovací kód je 551902", "551902"),
    ("C", "Slovak", "Váš overovací kód je 551902", "551902"),
    ("C", "Hungarian", "Az Ön ellenőrző kódja: 551902", "551902"),
    ("C", "Estonian", "Sinu kinnituskood on 551902", "551902"),
    ("C", "Latvian", "Jūsu verifikācijas kods ir 551902", "551902"),
    ("C", "Lithuanian", "551902 yra jūsų patvirtinimo kodas", "551902"),
    ("C", "Slovene", "Vaše enkratno geslo je 551902", "551902"),
    ("C", "Azerbaijani", "Təsdiq kodunuz: 551902", "551902"),
    ("C", "Uzbek", "Tasdiqlash kodi: 551902", "551902"),
    ("C", "Swahili", "Msimbo wako wa uthibitisho ni 551902", "551902"),
    ("C", "Yoruba", "Koodu ijẹrisi rẹ ni 551902", "551902"),
    ("C", "Hausa", "Lambar tabbatarwa: 551902", "551902"),
    ("C", "Mongolian", "Таны нууц үг: 551902", "551902"),
    ("C", "Portuguese (password)", "Sua senha temporária é 551902", "551902"),
    ("C", "German (TAN)", "Ihre mTAN für die Überweisung lautet 551902", "551902"),
    ("C", "German (compound)", "Ihr Anmeldecode: 551902", "551902"),
    ("C", "Polish (password)", "Twoje hasło jednorazowe: 551902", "551902"),
    ("C", "Malay (TAC)", "Your TAC is 551902. Do not share it.", "551902"),
    ("C", "Japanese", "【LINE】認証番号：551902", "551902"),
    ("C", "Japanese", "ワンタイムパスワード：551902", "551902"),
    ("C", "Chinese", "【闲鱼】校验码551902，切勿告知他人", "551902"),
    ("C", "Chinese", "您的动态码为551902，5分钟内有效", "551902"),
    ("C", "Chinese", "短信码：551902", "551902"),
    ("C", "Chinese", "确认码551902", "551902"),
    ("C", "Vietnamese", "Ma xac thuc cua ban la 551902", "551902"),
    # forms without a usable keyword, or with a code of letters
    ("C", "English (label line)", "Your verification code:\n551902\nDo not share it.", "551902"),
    ("C", "English (label line)", "Your Tinder code is\n551902", "551902"),
    ("C", "English (spaced)", "Your code is 5 5 1 9 0 2", "551902"),
    ("C", "English (letters)", "Your code: ABCD-EF", "ABCDEF"),
    ("C", "English (letters)", "Your Steam Guard code: FJKQT", "FJKQT"),
    ("C", "English (letters)", "Login code: AB12-CD34", "AB12CD34"),
    ("C", "English (typo)", "Your verifcation code is 551902", "551902"),
    ("C", "English (first line)", "551902\nValid for 5 minutes", "551902"),
    ("C", "English (link)", "Tap https://app.example.com/login/551902 to sign in, or enter 551902 in the app",
     "551902"),
    ("C", "German (first line)", "551902\nGültig für 10 Minuten", "551902"),
    # an amount before the code, in the markets' currencies (codewords.CURRENCIES)
    ("OTS", "English (amount)",
     "HDFCBK: OTP for txn of Rs.9999 is 456123. Valid for 5 mins. DO NOT share OTP with anyone.", "456123"),
    ("C", "English (amount)", "OTP for txn of Rs 4500 at Amazon is 123456. Do not share.", "123456"),
    ("C", "English (amount)", "Your OTP for Rs.4500 payment at Flipkart is 123456", "123456"),
    ("C", "Russian (amount)", "Код для оплаты 1500р: 4821", "4821"),
    ("C", "Indonesian (amount)", "Kode OTP untuk transaksi Rp 50000 adalah 482913", "482913"),
    ("C", "Vietnamese (amount)", "Mã OTP giao dịch 5000000 đ của bạn là 482913", "482913"),
    # the code first, what it is for after it
    ("OTX", "English", "6767 is otp for 3838", "6767"),
    ("OTX", "English", "2322 is otp for 2284", "2322"),
    ("OTX", "English", "please use OTP-890227 to accept delivery", "890227"),
    ("OTX", "English", "Enter 678901 to proceed", "678901"),
    ("OTX", "English", "Type 789012 to confirm", "789012"),
    # a number between the code word and the code names what the code is for
    ("C", "English (reference)", "Your PIN for room 1205 is 4821", "4821"),
    ("C", "English (reference)", "Your code for user 5512 is 482913", "482913"),
    ("C", "English (reference)", "Your SMS code for event 5512 registration is 482913", "482913"),
    ("C", "English (reference)", "Your verification code for flight CA1234 is 5678", "5678"),
    ("C", "Arabic (reference)", "رمز التحقق لطلبك رقم 5512 هو 482913", "482913"),
    # a second labelled code (reference, user, client, transaction, branch, account) is never the code
    ("KTB", "Thai", "เรียน Manoch Noonum, (รหัสผู้ใช้งาน : XXER01)\n"
                    "กรุณาตรวจสอบรายละเอียดรหัส OTP ตามข้อมูลข้างล่างนี้\n\nรหัส OTP : 868920\nรหัสอ้างอิง : UN2PK\n"
                    "กรุณาใช้งานภายใน 3 นาที\nวันที่ออกรหัส Aug 21, 2025 - 7:12:19 PM", "868920"),
    ("KTB", "Thai", "รหัส OTP : 868920\nรหัสอ้างอิง : UN2PK\nกรุณาใช้งานภายใน 3 นาที", "868920"),
    ("C", "Thai", "รหัส OTP คือ 482913 รหัสอ้างอิง AB12", "482913"),
    ("C", "Thai", "รหัส OTP ของคุณคือ 482913 (รหัสอ้างอิง: 5512)", "482913"),
    ("C", "English (second code)", "Your OTP is 482913. Ref code: AB12", "482913"),
    ("C", "English (second code)", "OTP=482913 (Ref code: K7X2)", "482913"),
    ("C", "English (second code)", "Your OTP is 482913. Reference code: AB12CD", "482913"),
    ("C", "English (second code)", "Your OTP is 482913. Transaction code: TX12", "482913"),
    ("C", "English (second code)", "Your code is 482913. Branch code: BR12", "482913"),
    ("C", "English (second code)", "Your verification code is 482913. Your account code: AB12", "482913"),
    ("C", "Russian (second code)", "Код: 482913. Код клиента: AB1234", "482913"),
    # an SMS that speaks of its code's life (expiry, tries, timeout) is an SMS, not a status line
    ("C", "English (code's life)", "Your Tinder code is 482913 (expires in 10 min, 3 tries left)", "482913"),
    ("C", "English (code's life)", "Your code is 482913, please enter it to avoid timeout", "482913"),
    ("C", "English (code's life)", "Your code is 482913, enter it now or try again later", "482913"),
    ("C", "Chinese (code's life)", "验证码482913超时请重新获取", "482913"),
    ("C", "English (code's life)", "Your new code is 482913 (your previous code has expired)", "482913"),
    ("C", "English (code's life)", "Your verification code is 482913 and your previous one is invalid now", "482913"),
    ("C", "English (code's life)", "Your code: 482913 (do not reply, replies are not accepted)", "482913"),
]
SMS_OF_A_CODES_LIFE = [text for _, language, text, _ in WORLD_SMS if language.endswith("(code's life)")]

# (source, language, text): digits and no code (amounts, card endings, ids, dates, numbers, postal and promo codes)
NO_CODE_TEXTS = [
    ("POM", "English", "2-step verification is now deactivated on your Sony Entertainment Network account."),
    ("POM", "English", "FWD from (817) 697-4520: Mark me"),
    ("POM", "English", "Your Purchase Code is 39M4W"),
    ("POM", "English", "Reasy. Set. Get. Your new glasses are ready for pick up at LensCrafters! Stop in any time to "
                       "see th enew you. Questions? 718-858-7036"),
    ("POM", "English", "388-941-"),
    ("LKJ", "Finnish", "Koodi on voimassa 15 minuuttia."),
    ("LKJ", "Finnish", "Tilaus 1234567 on vahvistettu"),
    ("LKJ", "Finnish", "040 123 4567"),
    ("LKJ", "Finnish", "https://x.fi/palauta-salasana?token=123456"),
    ("C", "English", "Your card ending 4412 was charged USD 45.00 at STARBUCKS on 12/05"),
    ("C", "English", "Booking confirmation 551234: check-in 14:00, 12 Dec 2026"),
    ("C", "English", "Your password was changed on 12/05/2026 at 10:45. Not you? Call 1800 555 0199"),
    ("C", "English", "Your parcel 5512345 will be delivered tomorrow between 10:00 and 14:00"),
    ("C", "English", "Your code: PENDING"),
    ("C", "English", "PIN: XXXX"),
    ("C", "English", "Transaction 88231 of INR 2500.00 successful. Avl bal INR 10234.50"),
    ("C", "English", "Track your order at https://shop.example.com/orders/551234 (order 551234)"),
    ("C", "French", "Votre colis 551234 sera livré le 12/05. Code postal 75001"),
    ("C", "French", "Code promo BIENVENUE10 : -10% sur votre commande 55123"),
    ("C", "Spanish", "Su pedido 551234 ha sido enviado. Código postal 28001"),
    ("C", "Portuguese", "Seu pedido 551234 foi enviado. Código de barras 34191790010104351004791020150008"),
    ("C", "Italian", "Il tuo codice fiscale RSSMRA80A01H501U è stato verificato. Ordine 551234"),
    ("C", "German", "Ihre Bestellung 4412345 wurde versandt. Sendungsnummer 00340434161234567890"),
    ("C", "German", "Ihr Kontostand: 1.234,56 EUR. Karte endet auf 4412"),
    ("C", "Indonesian", "Kode pos 12345 tidak valid untuk alamat Anda"),
    ("C", "Indonesian", "Transfer Rp 500.000 ke rek 1234567890 berhasil"),
    ("C", "Polish", "Kod pocztowy 00950. Paczka 551234 czeka w paczkomacie"),
    ("C", "Polish", "Kod rabatowy 20PROC na zamówienie 551234"),
    ("C", "Turkish", "Siparişiniz 551234 kargoya verildi. Posta kodu 34000"),
    ("C", "Russian", "Покупка 1500р. Карта *4412. Баланс 23000р"),
    ("C", "Russian", "Код города 4952, телефон 1234567"),
    ("C", "Vietnamese", "TK 1234 -500,000VND luc 10:45 05/12. So du 12,500,000VND"),
    ("C", "Vietnamese", "Mã giảm giá 5512 cho đơn tiếp theo"),
    ("C", "Vietnamese", "Mã đơn hàng 551234 đã được giao"),
    ("C", "Chinese", "您尾号1234的储蓄卡12月5日10:45消费500.00元，余额2345.67元"),
    ("C", "Chinese", "【菜鸟】您的快递单号 7731234567 已到达驿站"),
    ("C", "Chinese (traditional)", "您的訂單 551234 已出貨，預計 12/07 送達"),
    ("C", "Japanese", "ご注文番号 551234 の商品を発送しました"),
    ("C", "Korean", "주문번호 551234 배송이 시작되었습니다"),
    ("C", "Thai", "รหัสไปรษณีย์ 10110 กรุงเทพ"),
    ("C", "Thai", "พัสดุหมายเลข 551234 จะจัดส่งวันที่ 12/05"),
    ("C", "Arabic", "الرمز البريدي 11564 الرياض"),
    ("C", "Arabic", "تم خصم 500 ريال من بطاقتك المنتهية 4412"),
    ("C", "Hebrew", "ההזמנה שלך 551234 נשלחה. קוד מוצר 7731"),
    ("C", "Hebrew", "קודם כל, ההזמנה 551234 נשלחה"),  # "first of all": קודם is not קוד
    ("C", "Persian", "کد پستی 1234567890 ثبت شد"),
    ("C", "Hindi", "आपके खाते XX1234 से ₹500 डेबिट किए गए"),
    ("C", "Greek", "Η παραγγελία σας 551234 απεστάλη"),
    ("C", "Swedish", "Ditt paket 551234 levereras 12/05"),
    ("C", "Finnish", "Tilauksesi 551234 on lähetetty"),
    ("C", "Georgian", "თქვენი შეკვეთა 551234 გაიგზავნა"),
    ("C", "Burmese", "သင်၏ အော်ဒါ 551234 ပို့ပြီးပါပြီ"),
    # codes that are no verification code: order, gift, voucher, reservation, flight, bonus, locker … (NOT_CODE_LABELS)
    ("C", "English", "Your order code is 551234. Show it at pickup."),
    ("C", "Russian", "Код заказа: 551234. Покажите его курьеру."),
    ("C", "English", "Your gift card code: ABCD-EFGH-IJKL"),
    ("C", "English", "Your voucher code: XMAS-2025 gives 10% off"),
    ("C", "English", "Your reservation code: K7X-9PQ. See you at 19:00"),
    ("C", "English", "Your flight confirmation code is ABC123"),
    ("C", "English", "Your bonus code: 5512"),
    ("C", "English", "Your loyalty card code is 55123456"),
    ("C", "English", "Your membership code is 551234"),
    ("C", "English", "Your ticket code is 551234"),
    ("C", "English", "Your door code is 1234#"),
    ("C", "English", "Your locker code is 4521"),
    # promotions
    ("C", "English", "Use code 4821 for 10% off your next ride"),
    ("C", "English", "Get 20% off with code 4821 today"),
    ("C", "English", "Use 4821 for 10% off"),
    ("C", "English", "Enter code SAVE20 at checkout for 20% off, valid until 31/12"),
    ("C", "English", "Use code 2025 at checkout"),
    # notices
    ("C", "English", "Your PIN 1234 was changed at 10:45"),
    ("C", "English", "Your new PIN has been sent by post to postcode 75001"),
    ("C", "English", "Your code 4412 card was charged 45.00"),
    ("C", "Chinese", "您的登录验证码将于 2026 年失效"),
    # digits in links
    ("C", "English", "Verify here: https://x.co/v/551234"),
    ("C", "English", "Your code: https://t.co/48291"),
    ("C", "English", "https://example.com/verify?code=551234"),
    ("C", "English", "You can also tap on this link to verify your phone: v.whatsapp.com/696948"),
]


@pytest.mark.parametrize("source, language, text, code", WORLD_SMS, ids=[f"{r[0]}-{r[1]}" for r in WORLD_SMS])
def test_a_real_sms_in_its_language_gives_its_code(source, language, text, code):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) == code


@pytest.mark.parametrize("source, language, text", NO_CODE_TEXTS, ids=[f"{r[0]}-{r[1]}" for r in NO_CODE_TEXTS])
def test_a_text_with_digits_and_no_code_gives_none_in_any_language(source, language, text):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) is None


def test_the_world_tables_are_as_wide_as_the_issue_asks():
    def languages(names):
        return {name.split(" (")[0] for group in names for name in group.split(", ")}
    assert len(languages(language for language, _, _ in codewords.CODE_WORDS)) >= 40
    assert len(languages(language for _, language, _, _ in WORLD_SMS)) >= 40
    assert len(languages(language for _, language, _ in NO_CODE_TEXTS)) >= 20
    scripts = "验驗コ인кرקमκთรကাக"  # CJK, kana, Hangul, Cyrillic, Arabic, Hebrew, Devanagari, Greek, Georgian, Thai …
    assert [c for c in scripts if not any(c in text for _, _, text, _ in WORLD_SMS)] == []
    assert {source for source, *_ in WORLD_SMS + NO_CODE_TEXTS} <= set(SOURCES)


@pytest.mark.parametrize("text", SMS_OF_A_CODES_LIFE + [
    "Your Tinder code is four-eight-two (expires in 10 min, 3 tries left)",  # a code the rule cannot read
    "Welcome to Soul, your trial has expired", "Code 482913 valid. Previous codes are now invalid",
])
def test_an_sms_that_speaks_of_expiry_tries_or_timeout_reads_as_an_sms(text):
    assert coderule.reads_as_an_sms(text)


@pytest.mark.parametrize("text", [
    "SMS code timeout after 1800", "Code expired after 1800", "Order expired", "none", "暂无短信，剩余1187秒",
    "Номер активен, СМС пока нет. Сессия 884213", "Inbox empty (request 884213), try again in a few seconds",
    "Passcode length 6, attempts left 3, lockout 3600", "Code lookup failed (err 5003)",
])
def test_a_pure_status_line_is_no_sms(text):
    assert not coderule.reads_as_an_sms(text)


@pytest.mark.parametrize("text, code", [
    ("Your code: ABCD-EF", "ABCDEF"),  # given as the agent types it: without its hyphens, as 123-456 is
    ("Login code: AB12-CD34", "AB12CD34"),
    ("Your code: UNKNOWN", None), ("Code: AAAA", None), ("Your code AB12-CD34 expires", None),  # never a part of it
    ("PIN: NEVER share it with anyone", None),  # capitals that go on are words, not a code
    ("Your code is\n4 8 2 9 1 3", "482913"),
    ("Order 551234\nValid for 5 minutes", None), ("2026\nValid until 31.12", None),  # a first line that is no code
    ("Go to https://shop.example.com/track/551234 for parcel 551234", None),  # a link that is no login link
    ("Tap https://app.example.com/login/551234 to sign in", None),  # the link alone: not given again in the text
])
def test_forms_without_a_code_word_beside_the_code(text, code):
    assert coderule.extract_code(text) == code


ADVERSARIAL_TEXTS = {
    "code words": "code " * 800, "spaced digits": "code " + "1 " * 2000, "letters": "a" * 4000,
    "label and spaces": "code:" + " " * 3990 + "\n1", "links": "login/" + "1/" * 2000, "a stem": "kod" + "a" * 4000,
    "digits": "1" * 4000, "labels": "code: " * 700, "links and digits": "https://x/login/551234 " * 200 + "551234",
    "first line": "551234\n" + " " * 4000, "hyphens": "code: " + "AB-" * 1400, "Thai": "รหัส" * 1000,
    "CJK": "验证码" * 1300, "label lines": "code\n" * 800, "dashed digits": "code " + "1-" * 2000,
}


@pytest.mark.parametrize("name", list(ADVERSARIAL_TEXTS))
def test_an_adversarial_text_of_4000_characters_is_read_in_linear_time(name):
    import time
    started = time.perf_counter()
    coderule.extract_code(ADVERSARIAL_TEXTS[name], not_codes={"1"})
    assert time.perf_counter() - started < 1  # ~0.05 s idle; a quadratic pattern takes seconds


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


CODE_RULE_DOC = (Path(__file__).resolve().parent.parent / "reference" / "code-rule.md").read_text("utf-8")


def test_the_reference_lists_every_row_of_the_word_table_and_cites_every_source():
    assert [language for language, _, _ in codewords.CODE_WORDS if f"| {language} |" not in CODE_RULE_DOC] == []
    assert [source for source in SOURCES.values() if source.split(" ")[0] not in CODE_RULE_DOC] == []
