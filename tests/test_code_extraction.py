"""Code extraction on real-world SMS texts, Chinese and English, with decoy digit runs."""
import pytest

from support import answers

CASES = [
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


@pytest.mark.parametrize("text, code", CASES)
def test_extracts_the_code(text, code):
    assert answers.extract_code(text) == code


def test_custom_regex_wins_and_uses_group_one():
    assert answers.extract_code("ref AB-7781 code 123456", r"AB-(\d+)") == "7781"
    assert answers.extract_code("ref AB-7781 code 123456", r"AB-\d+") == "AB-7781"
    assert answers.extract_code("nothing here", r"AB-(\d+)") is None
