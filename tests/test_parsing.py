"""Every response shape the parser accepts (reference/response-shapes.md), and how refusals map to kinds."""
import json

import pytest
import requests

from support import sms


def http(body, status=200):
    response = requests.Response()
    response.status_code = status
    response._content = (body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)).encode("utf-8")
    response.encoding = "utf-8"
    return response


def answer(body, status=200):
    return sms.read_answer(http(body, status))


def refusal(body, status=200):
    with pytest.raises(sms.Failure) as caught:
        answer(body, status)
    return caught.value


# --- envelopes and flags ---------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"status": 1, "data": {"orderId": 7, "number": "+861"}},
    {"status": "success", "result": {"orderId": 7, "number": "+861"}},
    {"success": True, "body": {"orderId": 7, "number": "+861"}},
    {"ok": True, "orderId": 7, "number": "+861"},
    {"orderId": 7, "number": "+861", "error": None},
])
def test_payload_at_top_level_or_under_data_result_body(body):
    assert sms.read_purchase(answer(body))["order_id"] == "7"


@pytest.mark.parametrize("body, kind", [
    ({"status": -1, "message": "Invalid API key"}, "auth"),
    ({"status": "error", "msg": "NO_NUMBERS"}, "no_numbers"),
    ({"success": False, "errorMessage": "Insufficient balance"}, "balance"),
    ({"ok": False, "error": "Order not found"}, "not_found"),
    ({"error": "EARLY_CANCEL_DENIED"}, "early_cancel"),
    ({"error": {"code": "BAD_KEY", "message": "wrong api key"}}, "auth"),
    ({"status": "-1", "message": "something odd happened"}, "api"),
    ({"success": "false", "message": "out of stock"}, "no_numbers"),
])
def test_failure_flags_and_messages_map_to_kinds(body, kind):
    failure = refusal(body)
    assert failure.kind == kind
    assert failure.exit_code == 3


@pytest.mark.parametrize("status, kind", [(401, "auth"), (403, "auth"), (404, "not_found"), (500, "api"),
                                          (502, "api"), (400, "no_numbers")])
def test_http_statuses_map_to_kinds(status, kind):
    body = {"message": "no numbers"} if status == 400 else "<html>oops</html>"
    assert refusal(body, status).kind == kind


def test_unreadable_answer_is_api_with_an_excerpt_not_a_traceback():
    failure = refusal("<html><body>Cloudflare says hello</body></html>")
    assert failure.kind == "api"
    assert "Cloudflare" in failure.message
    assert refusal("[1, 2").kind == "api"


def test_excerpt_is_short():
    failure = refusal("<p>" + "x" * 5000 + "</p>")
    assert len(failure.message) < 300


# --- sms-activate style text answers ---------------------------------------------------------------

def test_text_access_number():
    assert sms.read_purchase(answer("ACCESS_NUMBER:123456:79001234567")) == \
        {"order_id": "123456", "number": "79001234567", "price": None}


@pytest.mark.parametrize("text, expected", [
    ("STATUS_WAIT_CODE", sms.SmsState()),
    ("STATUS_WAIT_RETRY:4521", sms.SmsState()),
    ("STATUS_OK:8848", sms.SmsState(code="8848")),
    ("STATUS_CANCEL", sms.SmsState(closed=True)),
])
def test_text_sms_states(text, expected):
    assert sms.read_sms(answer(text)) == expected


@pytest.mark.parametrize("token, kind", [("NO_NUMBERS", "no_numbers"), ("BAD_KEY", "auth"), ("NO_BALANCE", "balance"),
                                         ("EARLY_CANCEL_DENIED", "early_cancel"), ("WRONG_ACTIVATION_ID", "not_found"),
                                         ("NO_ACTIVATION", "not_found"), ("ERROR_SQL", "api"), ("BAD_SERVICE", "api")])
def test_text_error_tokens(token, kind):
    assert refusal(token).kind == kind


def test_json_string_is_read_as_a_token():
    assert refusal('"NO_NUMBERS"').kind == "no_numbers"


def test_text_ack_for_change_status():
    assert answer("ACCESS_CANCEL").payload == {"ack": "ACCESS_CANCEL"}


# --- lists -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    [{"id": 1, "name": "China"}, {"id": 2, "name": "USA"}],
    {"status": 1, "data": [{"countryId": 1, "title": "China"}, {"countryId": 2, "title": "USA"}]},
    {"data": {"1": {"eng": "China", "chn": "中国"}, "2": {"eng": "USA"}}},
    {"success": True, "countries": {"1": "China", "2": "USA"}},
    {"result": {"items": [{"country_id": "1", "rus": "China"}, {"country_id": "2", "rus": "USA"}]}},
])
def test_list_shapes(body):
    assert [(i["id"], i["name"]) for i in sms.read_items(answer(body))] == [("1", "China"), ("2", "USA")]


@pytest.mark.parametrize("item", [
    {"operatorId": 9, "name": "Any", "price": "0.25", "count": 3},
    {"id": 9, "title": "Any", "cost": 0.25, "stock": "3"},
    {"operatorId": 9, "operator": "Any", "price": 0.25, "qty": 3},
    {"operatorId": 9, "name": "Any", "cost": 0.25, "available": 3},
])
def test_product_price_and_stock_keys(item):
    assert sms.read_items(answer([item])) == [{"id": "9", "name": "Any", "price": 0.25, "stock": 3}]


def test_products_keyed_by_operator_name():
    items = sms.read_items(answer({"mts": {"cost": 12.5, "count": 0}, "beeline": {"cost": 10, "count": 4}}))
    assert items == [{"id": "mts", "name": "mts", "price": 12.5, "stock": 0},
                     {"id": "beeline", "name": "beeline", "price": 10.0, "stock": 4}]


def test_a_list_endpoint_answering_a_scalar_is_an_api_error():
    with pytest.raises(sms.Failure) as caught:
        sms.read_items(sms.Answer("hello", False))
    assert caught.value.kind == "api"


# --- purchases -------------------------------------------------------------------------------------

@pytest.mark.parametrize("id_key", ["id", "orderId", "order_id", "activationId"])
@pytest.mark.parametrize("number_key", ["number", "phone", "phoneNumber", "phone_number"])
def test_purchase_id_and_number_keys(id_key, number_key):
    purchase = sms.read_purchase(answer({"data": {id_key: 42, number_key: "+15550100", "cost": "0.5"}}))
    assert purchase == {"order_id": "42", "number": "+15550100", "price": 0.5}


def test_purchase_without_id_is_uncertain_api_error():
    with pytest.raises(sms.Failure) as caught:
        sms.read_purchase(answer({"status": 1, "data": {"phone": "+1555"}}))
    assert caught.value.kind == "api" and caught.value.data["uncertain"]


# --- SMS -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["sms", "text", "smsText"])
def test_sms_text_keys(key):
    state = sms.read_sms(answer({key: "Your code is 482913"}))
    assert state == sms.SmsState(code="482913", sms="Your code is 482913")


def test_message_is_the_sms_only_inside_a_payload():
    assert sms.read_sms(answer({"status": 1, "data": {"message": "验证码 5521"}})).code == "5521"
    # at top level, `message` is the envelope's own message, never an SMS
    assert sms.read_sms(answer({"status": 1, "message": "Order 12345678 waiting"})) == sms.SmsState()


@pytest.mark.parametrize("key", ["code", "smsCode", "sms_code"])
def test_code_keys_win_over_extraction(key):
    state = sms.read_sms(answer({"data": {key: "A1B2", "sms": "code 999999"}}))
    assert state.code == "A1B2"


def test_list_of_messages_newest_wins():
    body = {"data": {"sms": [{"text": "old code 111111"}, {"text": "new code 222222"}]}}
    assert sms.read_sms(answer(body)).code == "222222"
    assert sms.read_sms(answer({"sms": ["code 333333", "code 444444"]})).code == "444444"
    assert sms.read_sms(answer({"data": {"sms": [{"text": "x", "smsCode": "5555"}]}})).code == "5555"


def test_a_top_level_list_is_a_list_of_messages():
    assert sms.read_sms(answer([{"message": "OTP 778899"}])).code == "778899"


@pytest.mark.parametrize("state", ["cancelled", "CANCELED", "expired", "finished", "refunded", "STATUS_CANCEL", 4, "5"])
def test_closed_states_stop_polling(state):
    assert sms.read_sms(answer({"data": {"status": state, "sms": None}})).closed


@pytest.mark.parametrize("state", ["waiting", "pending", 1, "success", None, "received"])
def test_other_states_keep_waiting(state):
    result = sms.read_sms(answer({"data": {"status": state, "sms": None}}))
    assert not result.closed and result.code is None


def test_a_closed_order_with_a_code_counts_as_received():
    assert sms.read_sms(answer({"data": {"status": "finished", "sms": "code 123456"}})) == \
        sms.SmsState(code="123456", sms="code 123456")


def test_an_sms_without_a_code_is_not_a_code():
    state = sms.read_sms(answer({"data": {"sms": "Welcome to the service"}}))
    assert state.code is None and state.sms == "Welcome to the service"


def test_code_regex_overrides_extraction():
    state = sms.read_sms(answer({"data": {"sms": "ref AB-7781 code 123456"}}), r"AB-(\d+)")
    assert state.code == "7781"


@pytest.mark.parametrize("body", ["OK", "1", "true", "success", "ACCESS_CANCEL"])
def test_plain_acknowledgements(body):
    assert "ack" in answer(body).payload
