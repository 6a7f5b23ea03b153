"""What the red team reproduced in round 5 (SMSOnline) and against an sms-activate fake of its own: charsets that
lie, waiting texts in other words, placeholder and error codes, another order's SMS, odd charged prices, purchases
named in text, limits per site, keys in base64."""
import base64
import json

import pytest
import responses

from support import KEY, coderule, config, decoding, output, smsonline_reader

ORDER = {"order_id": "700001", "number": "+8613800001549", "national_number": "13800001549", "price": 0.3}
activate = responses.activate(assert_all_requests_are_fired=True)


def sms_of(body, content_type="application/json", order=ORDER):
    reply = decoding.Reply(200, "OK", content_type, body)
    try:
        return smsonline_reader.read_sms(smsonline_reader.read_answer(reply, free_text=True), order).code
    except output.Failure:
        return None  # unreadable: no code either


@pytest.mark.parametrize("body, content_type", [
    ('{"status":1,"data":{"sms":"验证码未收到 OTP 1187"}}'.encode(), "application/json; charset=gbk"),  # UTF-8 sent
    ('{"status":1,"data":{"sms":"Código OTP: aún no recibido, quedan 1187"}}'.encode("latin-1"),
     "application/json; charset=ISO-8859-1"),
    ('{"status":1,"data":{"sms":"OTP 未收到，剩余 1187"}}'.encode().decode("latin-1").encode(), "application/json"),
    ('{"status":1,"data":{"sms":"验证码未收到 OTP 1187"}}'.encode("gbk"), "application/json; charset=latin-1"),
])
def test_a_charset_that_lies_never_turns_a_waiting_text_into_a_code(body, content_type):
    assert sms_of(body, content_type) is None


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


@pytest.mark.parametrize("data", [
    {"otp": "000000", "sms": None}, {"smsStatus": 0, "smsCode": "0000"}, {"smsCode": "E1001", "sms": ""},
    {"sms": "code 482913", "status": ["pending"]}, {"orderId": 999999, "sms": "Your Soul code is 482913"},
    {"list": [{"orderId": 999999, "text": "Your Soul code is 482913"}]},
    {"code": 4004, "message": "验证码 4004 不存在"},
])
def test_placeholders_waiting_lists_and_another_orders_sms_give_no_code(data):
    assert sms_of(json.dumps({"status": 1, "data": data}).encode()) is None


@pytest.mark.parametrize("payload", ["ERROR500", "HTTP404", "E500", "timeout30", "pending1", "1e10", "0000",
                                     "code=undefined&id=4321"])
def test_status_ok_with_a_word_and_a_number_is_no_code(payload):
    assert sms_of(f"STATUS_OK:{payload}".encode(), "text/plain") is None


def test_code_regex_never_takes_the_order_id_or_a_slice_of_the_number():
    for text in ("79161234567", "700001 13800001549"):
        assert coderule.extract_code(text, r"(\d{4,6})", coderule.not_codes_of(ORDER)) is None


@pytest.mark.parametrize("payload, unreadable, price", [
    ({"orderId": 1, "number": "+1", "price": "NaN"}, True, None),
    ({"orderId": 1, "number": "+1", "price": 0}, True, None),
    ({"orderId": 1, "number": "+1", "price": -0.9}, True, None),
    ({"orderId": 1, "number": "+1", "price": None}, False, None),
    ({"orderId": 1, "number": "+1", "price": 0.1, "cost": 0.9}, False, 0.9),
])
def test_a_charged_price_that_is_no_price_is_unreadable(payload, unreadable, price):
    purchase = smsonline_reader.read_purchase(smsonline_reader.Answer(payload, True))
    assert (purchase["price_unreadable"], purchase["price"]) == (unreadable, price)


@pytest.mark.parametrize("text", ["ACCESS_NUMBER:555001:+79161234567", "ACCESS_NUMBER:555001:79161234567:10.5",
                                  "ACCESS_NUMBER:555001:7916 123 45 67", "access_number:555001:79161234567",
                                  "ACCESS_NUMBER: 555001 : 79161234567"])
def test_a_purchase_named_in_an_odd_text_keeps_its_order_id(text):
    reply = decoding.Reply(500, "Error", "text/plain", text.encode())
    assert smsonline_reader.purchase_in(reply)["order_id"] == "555001"


def test_a_key_echoed_in_base64_is_masked():
    output.REDACT.use([KEY])
    for echoed in (KEY, f"apiKey={KEY}", f"ab{KEY}zz"):
        shown = output.REDACT("echo " + base64.b64encode(echoed.encode()).decode())
        assert "***" in shown and base64.b64encode(KEY.encode()).decode()[4:-4] not in shown


SA = "http://127.0.0.1:9/stubs/handler_api.php"


@pytest.mark.parametrize("environment, users_file, allowed", [
    ({"SMSONLINE_DAILY_BUDGET_127_0_0_1": "1000"}, "SMSONLINE_DAILY_BUDGET=1\nSMSONLINE_MAX_PRICE=0.5\n", False),
    ({"SMSONLINE_MAX_PRICE_127_0_0_1": "5"}, "SMSONLINE_MAX_PRICE=0.5\n", False),
    ({}, "SMSONLINE_MAX_PRICE=0.5\nSMSONLINE_MAX_PRICE_127_0_0_1=30\n", True),
    ({"SMSONLINE_MAX_PRICE_127_0_0_1": "50"}, "SMSONLINE_MAX_PRICE=0.5\nSMSONLINE_MAX_PRICE_127_0_0_1=30\n", True),
])
def test_a_sites_own_limits_come_from_the_users_file_and_only_lower(tmp_path, monkeypatch, environment, users_file,
                                                                    allowed):
    path = tmp_path / "skill.env"
    path.write_text(users_file)
    monkeypatch.setattr(config, "USER_ENV_FILE", str(path))
    args = type("Args", (), {"base_url": [SA], "state_dir": None, "proxy": None, "connect_timeout": None,
                             "read_timeout": None, "trace": None, "test": False, "verbose": False, "quiet": False,
                             "sandbox": False, "refresh": False, "max_price": None})()
    settings = config.load_config(args, {**environment, "SMSONLINE_API_KEY": KEY, "SMSONLINE_ENV_FILE": "/dev/null"})
    if not allowed:
        with pytest.raises(output.Failure) as refused:
            config.limits_for(settings, SA)
        assert refused.value.kind == "budget"
    else:
        assert config.limits_for(settings, SA).max_price == 30.0


def test_general_limits_never_count_or_apply_per_host_variables_on_an_smsonline_site(tmp_path, monkeypatch):
    path = tmp_path / "skill.env"
    path.write_text("SMSONLINE_MAX_PRICE=3\n")
    monkeypatch.setattr(config, "USER_ENV_FILE", str(path))
    args = type("Args", (), {"base_url": ["http://127.0.0.1:8/api/v1"], "state_dir": None, "proxy": None,
                             "connect_timeout": None, "read_timeout": None, "trace": None, "test": False,
                             "verbose": False, "quiet": False, "sandbox": False, "refresh": False,
                             "max_price": None})()
    settings = config.load_config(args, {"SMSONLINE_MAX_PRICE_127_0_0_1": "20", "SMSONLINE_API_KEY": KEY,
                                         "SMSONLINE_ENV_FILE": "/dev/null"})
    limits = config.limits_for(settings, "http://127.0.0.1:8/api/v1")
    assert limits.max_price == 3.0 and not limits.counts(SA)  # another currency's orders never count here
