"""Every response shape the parser accepts (reference/response-shapes.md), and how refusals map to kinds."""
import json

import pytest

from support import coderule, decoding, output, shapes, smsonline_reader


def reply(body, status=200, content_type="application/json"):
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return decoding.Reply(status, "Reason", content_type, text.encode("utf-8"))


def answer(body, status=200, content_type="application/json"):
    return smsonline_reader.read_answer(reply(body, status, content_type))


def refusal(body, status=200):
    with pytest.raises(output.Failure) as caught:
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
    assert smsonline_reader.read_purchase(answer(body))["order_id"] == "7"


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
                                          (502, "api"), (400, "no_numbers"), (410, "order_closed")])
def test_http_statuses_map_to_kinds(status, kind):
    body = {"message": {400: "no numbers", 410: "Order expired"}.get(status, "oops")}
    assert refusal(body, status).kind == kind


@pytest.mark.parametrize("status", [200, 403, 404, 503])
def test_an_html_page_is_never_the_api_whatever_its_status(status):
    page = "<!DOCTYPE html><html><body><h1>Access denied</h1>blocked by your network administrator</body></html>"
    failure = refusal(page, status)
    assert (failure.kind, failure.reason) == ("api", "html")
    assert "HTML page" in failure.message and "Access denied" in failure.message and "<h1>" not in failure.message


def test_a_401_page_is_still_a_refused_key():
    assert refusal("<html><body>401 Authorization Required</body></html>", 401).kind == "auth"


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
    assert smsonline_reader.read_purchase(answer("ACCESS_NUMBER:123456:79001234567")) == \
        {"order_id": "123456", "number": "79001234567", "price": None, "price_unreadable": False}


@pytest.mark.parametrize("text, expected", [
    ("STATUS_WAIT_CODE", shapes.SmsState()),
    ("STATUS_WAIT_RETRY:4521", shapes.SmsState()),
    ("STATUS_OK:8848", shapes.SmsState(code="8848")),
    ("STATUS_CANCEL", shapes.SmsState(closed=True)),
])
def test_text_sms_states(text, expected):
    state = smsonline_reader.read_sms(answer(text))
    assert (state.code, state.sms, state.closed) == (expected.code, expected.sms, expected.closed)


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
    assert [(i["id"], i["name"]) for i in smsonline_reader.read_items(answer(body))] == [("1", "China"), ("2", "USA")]


@pytest.mark.parametrize("item", [
    {"operatorId": 9, "name": "Any", "price": "0.25", "count": 3},
    {"id": 9, "title": "Any", "cost": 0.25, "stock": "3"},
    {"operatorId": 9, "operator": "Any", "price": 0.25, "qty": 3},
    {"operatorId": 9, "name": "Any", "cost": 0.25, "available": 3},
])
def test_product_price_and_stock_keys(item):
    assert smsonline_reader.read_items(answer([item])) == [{"id": "9", "name": "Any", "price": 0.25, "stock": 3}]


def test_products_keyed_by_operator_name():
    body = {"mts": {"cost": 12.5, "count": 0}, "beeline": {"cost": 10, "count": 4}}
    items = smsonline_reader.read_items(answer(body))
    assert items == [{"id": "mts", "name": "mts", "price": 12.5, "stock": 0},
                     {"id": "beeline", "name": "beeline", "price": 10.0, "stock": 4}]


def test_a_list_endpoint_answering_a_scalar_is_an_api_error():
    with pytest.raises(output.Failure) as caught:
        smsonline_reader.read_items(smsonline_reader.Answer("hello", False))
    assert caught.value.kind == "api"


# --- purchases -------------------------------------------------------------------------------------

@pytest.mark.parametrize("id_key", ["id", "orderId", "order_id", "activationId"])
@pytest.mark.parametrize("number_key", ["number", "phone", "phoneNumber", "phone_number"])
def test_purchase_id_and_number_keys(id_key, number_key):
    purchase = smsonline_reader.read_purchase(answer({"data": {id_key: 42, number_key: "+15550100", "cost": "0.5"}}))
    assert purchase == {"order_id": "42", "number": "+15550100", "price": 0.5, "price_unreadable": False}


def test_purchase_without_id_is_uncertain_api_error():
    with pytest.raises(output.Failure) as caught:
        smsonline_reader.read_purchase(answer({"status": 1, "data": {"phone": "+1555"}}))
    assert caught.value.kind == "api" and caught.value.reason == "uncertain"


@pytest.mark.parametrize("payload, order_id, number", [
    ({"orderId": 500001, "phone": {"countryCode": "86", "number": "13800001549"}, "price": 0.3}, "500001",
     "8613800001549"),
    ({"orderId": 500001.0, "number": "+8613800001549"}, "500001", "+8613800001549"),
    ({"orderId": 500001, "number": ["+8613800001549"]}, "500001", "+8613800001549"),
])
def test_a_purchase_in_an_odd_shape_keeps_its_order_id(payload, order_id, number):
    purchase = smsonline_reader.read_purchase(smsonline_reader.Answer(payload, True))
    assert (purchase["order_id"], purchase["number"]) == (order_id, number)


def test_a_boolean_is_no_order_id():
    with pytest.raises(output.Failure) as caught:
        smsonline_reader.read_purchase(smsonline_reader.Answer({"orderId": True, "number": "+8613800001549"}, True))
    assert caught.value.reason == "uncertain"


@pytest.mark.parametrize("text", ["ACCESS_NUMBER:555001:+79161234567", "ACCESS_NUMBER:555001:79161234567:10.5",
                                  "ACCESS_NUMBER:555001:7916 123 45 67", "access_number:555001:79161234567",
                                  "ACCESS_NUMBER: 555001 : 79161234567"])
def test_a_purchase_named_in_an_odd_text_keeps_its_order_id(text):
    reply = decoding.Reply(500, "Error", "text/plain", text.encode())
    assert smsonline_reader.purchase_in(reply)["order_id"] == "555001"


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


# --- SMS -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["sms", "text", "smsText"])
def test_sms_text_keys(key):
    state = smsonline_reader.read_sms(answer({key: "Your code is 482913"}))
    assert (state.code, state.sms) == ("482913", "Your code is 482913")


def test_message_is_the_sms_only_inside_a_payload():
    assert smsonline_reader.read_sms(answer({"status": 1, "data": {"message": "验证码 5521"}})).code == "5521"
    # at top level, `message` is the envelope's own message, never an SMS
    assert smsonline_reader.read_sms(answer({"status": 1, "message": "Order 12345678 waiting"})).code is None


@pytest.mark.parametrize("key", ["smsCode", "sms_code", "otp", "verifyCode"])
@pytest.mark.parametrize("text", ["Your code: A1B2", "Welcome! A1B2", "Your code: A1-B2"])
def test_a_code_field_counts_where_its_text_agrees_or_names_no_other_code(key, text):
    assert smsonline_reader.read_sms(answer({"data": {key: "A1B2", "sms": text}})).code == "A1B2"


@pytest.mark.parametrize("key", ["smsCode", "otp", "code"])
@pytest.mark.parametrize("text", ["code 999999 A1B2", "【Soul】验证码482913，5分钟内有效。订单号A1B2",
                                  # the rule reads no code in these, but the text names the field as a reference
                                  "Telegram: 482913. Ref A1B2", "【Soul】482913，订单号A1B2", "Telegram 482913 (ref A1B2)",
                                  "482913 — Telegram. Order A1B2", "Telegram login: 482 913. Ref A1B2",
                                  # red-team round 5: other words, and the field written otherwise in the text
                                  "Telegram: 482913. Ref. A1B2", "Telegram: 482913. Order number A1B2",
                                  "【Soul】482913，流水号A1B2", "Telegram: 482913. Booking A1B2",
                                  "Telegram: 482913. Order_A1B2", "Telegram: 482913. Ref A1-B2",
                                  "Telegram: 482913. Reference number for your records: A1B2"])
def test_a_code_field_its_text_contradicts_is_no_code_and_the_sms_is_handed_over(key, text):
    state = smsonline_reader.read_sms(answer({"data": {key: "A1B2", "sms": text}}))
    assert (state.code, state.new_texts) == (None, (text,))


@pytest.mark.parametrize("text", ["Telegram: 482913. Ref 77 120", "Telegram: 482913. Ref ７７１２０",
                                  "Telegram: 482913. OrderID77120", "Telegram: 482913. Номер заказа 77120"])
def test_a_digit_field_beside_another_number_the_rule_does_not_read_is_no_code(text):
    state = smsonline_reader.read_sms(answer({"data": {"smsCode": "77120", "sms": text}}))
    assert (state.code, state.new_texts) == (None, (text,))


@pytest.mark.parametrize("text", ["Your order number 77120 has been shipped.", "Telegram: thank you. Ref. 77120",
                                  "Booking 77120 confirmed", "【Soul】流水号77120", "Номер заказа 77120",
                                  "Order_77120 received", "Your parcel with tracking number 77120 is on its way",
                                  "Order 77 120 confirmed", "Your balance is 77120", "Paid 77120 RUB"])
def test_a_digit_field_the_text_names_only_as_a_reference_an_order_or_money_is_no_code(text):
    state = smsonline_reader.read_sms(answer({"data": {"smsCode": "77120", "sms": text}}))
    assert (state.code, state.new_texts) == (None, (text,))


@pytest.mark.parametrize("text", ["Welcome to Telegram! 77120", "Welcome to Telegram 2026! 77120",
                                  "Telegram: 77120 (order 500001)"])
def test_a_digit_field_the_text_names_beside_no_other_number_counts(text):
    assert smsonline_reader.read_sms(answer({"data": {"smsCode": "77120", "sms": text}}),
                                     order={"order_id": "500001"}).code == "77120"


def test_an_older_code_never_stands_in_for_a_newer_sms_whose_field_its_text_contradicts():
    older = {"text": "Telegram code 111222", "code": "111222"}
    newer = {"text": "code 482913. Ref 77120", "code": "77120"}
    state = smsonline_reader.read_sms(answer({"data": {"messages": [older, newer]}}))
    assert (state.code, state.new_texts) == (None, (newer["text"],))
    plain_newer = {"text": "Welcome to Telegram! Tap the link to continue"}  # no field, no code: the older code counts
    assert smsonline_reader.read_sms(answer({"data": {"messages": [older, plain_newer]}})).code == "111222"


def test_a_bare_code_field_that_its_text_does_not_name_is_not_taken():
    assert smsonline_reader.read_sms(answer({"data": {"code": "A1B2", "sms": "code 999999"}})).code == "999999"


def test_list_of_messages_newest_wins():
    body = {"data": {"sms": [{"text": "old code 111111"}, {"text": "new code 222222"}]}}
    assert smsonline_reader.read_sms(answer(body)).code == "222222"
    assert smsonline_reader.read_sms(answer({"sms": ["code 333333", "code 444444"]})).code == "444444"
    assert smsonline_reader.read_sms(answer({"data": {"sms": [{"text": "x", "smsCode": "5555"}]}})).code == "5555"


def test_a_top_level_list_is_a_list_of_messages():
    assert smsonline_reader.read_sms(answer([{"message": "OTP 778899"}])).code == "778899"


@pytest.mark.parametrize("state", ["cancelled", "CANCELED", "expired", "finished", "refunded", "STATUS_CANCEL", 4, "5"])
def test_closed_states_stop_polling(state):
    assert smsonline_reader.read_sms(answer({"data": {"status": state, "sms": None}})).closed


@pytest.mark.parametrize("state", ["waiting", "pending", 1, "success", None, "received"])
def test_other_states_keep_waiting(state):
    result = smsonline_reader.read_sms(answer({"data": {"status": state, "sms": None}}))
    assert not result.closed and result.code is None


def test_a_closed_order_with_a_code_counts_as_received():
    state = smsonline_reader.read_sms(answer({"data": {"status": "finished", "sms": "code 123456"}}))
    assert (state.code, state.sms, state.closed) == ("123456", "code 123456", False)


def test_an_sms_without_a_code_is_not_a_code():
    state = smsonline_reader.read_sms(answer({"data": {"sms": "Welcome to the service"}}))
    assert state.code is None and state.sms == "Welcome to the service"


def test_code_regex_overrides_extraction():
    state = smsonline_reader.read_sms(answer({"data": {"sms": "ref AB-7781 code 123456"}}), code_regex=r"AB-(\d+)")
    assert state.code == "7781"


@pytest.mark.parametrize("body", ["OK", "1", "true", "success", "ACCESS_CANCEL"])
def test_plain_acknowledgements(body):
    assert "ack" in answer(body).payload


# --- a code is only a code when there is an SMS (issue 7, item 2) -----------------------------------

ORDER = {"order_id": "500001", "number": "+8613800001234", "national_number": "13800001234", "price": 0.3}


@pytest.mark.parametrize("body", [
    {"code": 0, "msg": "waiting for sms", "data": None},
    {"code": 200, "msg": "waiting for sms", "data": None},
    {"code": 200, "message": "success"},
    {"status": 1, "data": {"orderId": 500001, "status": "waiting", "message": "Order 500001 is waiting for SMS"}},
    {"status": 1, "data": {"orderId": 500001, "status": "pending", "sms": "Order 500001 placed 2026-11-28"}},
    {"status": 1, "data": {"orderId": 500001, "status": "STATUS_WAIT_CODE", "text": "4521"}},
    {"status": 1, "data": {"orderId": 500001, "state": "未收到", "message": "订单500001等待短信"}},
    {"status": 1, "data": {"orderId": 500001, "message": "Order 500001 for +8613800001234 at 0.3 in 2026"}},
    {"status": 1, "data": {"orderId": 500001, "code": 0}},
    {"status": 1, "data": {"orderId": 500001, "code": "A1B2"}},  # a bare code with no SMS text naming it
    {"status": 1, "data": {"orderId": 500001, "status": "received", "code": "A1B2"}},
    {"status": 1, "data": {"orderId": 500001, "code": "500001"}},
    {"status": 1, "data": {"orderId": 500001, "smsCode": "13800001234"}},
    {"success": True, "code": "482913", "msg": "ok"},  # a top-level code is the envelope's, never an SMS code
    "STATUS_WAIT_RETRY:4521",
])
def test_no_code_without_an_sms(body):
    state = smsonline_reader.read_sms(answer(body), ORDER)
    assert state.code is None and not state.closed


@pytest.mark.parametrize("body, code", [
    ({"code": 0, "msg": "ok", "data": {"orderId": 500001, "status": "received",
                                        "messages": [{"content": "【Soul】验证码 482913"}]}}, "482913"),
    ({"status": 1, "data": {"status": "received", "sms": {"code": "731904", "content": "Your code is 731904"}}},
     "731904"),
    ({"status": 1, "data": {"status": "received", "sms": {"content": "验证码：5521，请勿泄露"}}}, "5521"),
    ({"status": 1, "data": {"smsList": ["old 111111", "your code 222222"]}}, "222222"),
    ({"status": 1, "data": {"sms_list": [{"body": "OTP 9087"}]}}, "9087"),
    ({"status": 1, "data": {"list": [{"message": "code 4410"}]}}, "4410"),
    ({"status": 1, "data": {"items": [{"smsText": "PIN 7788"}]}}, "7788"),
    ({"status": 1, "data": {"messages": [{"text": "hello", "smsCode": "66 55 44"}]}}, "665544"),
    ({"status": 1, "data": {"messages": ["Код 3344"]}}, "3344"),
    ({"status": 1, "data": {"status": "received", "sms": "Order 500001: your code is 2026, not 500001"}}, "2026"),
    ({"status": 1, "data": {"sms": "订单500001，验证码 8848，2026年11月28日"}}, "8848"),
])
def test_codes_come_from_the_sms_or_a_code_field_in_the_payload(body, code):
    assert smsonline_reader.read_sms(answer(body), ORDER).code == code


@pytest.mark.parametrize("text", [
    "Order 500001 confirmed for +8613800001234",
    "您的订单 500001 已登记，号码 13800001234，价格 0.3，2026年11月28日",
    "© 2026 SMSOnline, 28/11/2026",
])
def test_an_order_id_the_number_a_price_or_a_year_is_never_a_code(text):
    assert coderule.extract_code(text, not_codes=coderule.not_codes_of(ORDER)) is None


# --- order states: closed, waiting, received (items 4 and 5) ----------------------------------------

@pytest.mark.parametrize("word", ["cancelled", "CANCELED_BY_TIMEOUT", "已取消", "已过期", "expired", "ORDER_CLOSED",
                                  "refunded", "STATUS_CANCEL", "订单已关闭", "timeout", 4, "8"])
def test_closed_state_words_in_english_and_chinese(word):
    assert smsonline_reader.read_sms(answer({"status": 1, "data": {"status": word}}), ORDER).closed


@pytest.mark.parametrize("body", [
    ({"status": -1, "message": "ORDER_CANCELLED"}, 400),
    ({"status": -1, "message": "Order expired"}, 410),
    ({"error": "order has been cancelled by timeout"}, 200),
    ("STATUS_CANCEL", 200),
])
def test_closed_orders_in_refusals_are_kind_order_closed(body):
    payload, status = body
    try:
        state = smsonline_reader.read_sms(answer(payload, status), ORDER)
    except output.Failure as failure:
        assert failure.kind == "order_closed"
    else:
        assert state.closed


@pytest.mark.parametrize("message", ["SMS already received, the order cannot be cancelled", "Can't cancel: not expired",
                                     "unable to cancel a closed order", "cancel refused: SMS received"])
def test_a_refusal_to_cancel_is_not_a_closed_order(message):
    assert smsonline_reader.kind_of_message(message) != "order_closed"


def test_a_received_state_without_a_readable_sms_is_flagged_with_its_payload():
    state = smsonline_reader.read_sms(answer({"status": 1, "data": {"status": "received", "payload": {"x": "验证码在这里"}}}))
    assert state.said_received and state.code is None and state.payload["payload"] == {"x": "验证码在这里"}
    assert not smsonline_reader.read_sms(answer({"status": 1, "data": {"status": "waiting"}})).said_received


# --- bounded and hostile answers (item 7) -------------------------------------------------------------

def test_deeply_nested_json_is_an_unreadable_answer_not_a_crash():
    for depth in (100, 100_000):
        failure = refusal('{"data": ' * depth + "1" + "}" * depth)
        assert (failure.kind, failure.reason) == ("api", "unreadable")
        assert "nested too deeply" in failure.message


def test_a_key_echoed_in_a_long_message_is_redacted_before_it_is_cut(monkeypatch):
    key = "test-key-0123456789abcdef0123456789"
    monkeypatch.setattr(output, "REDACT", output.Redactor())
    output.REDACT.use([key])
    monkeypatch.setattr(smsonline_reader, "excerpt", output.excerpt)
    for echoed in (key, key.replace("-", "%2D")):
        message = "x" * 100 + f" key {echoed} is not allowed here"  # the cut (120) falls inside the key
        output.REDACT.use([key, key.replace("-", "%2D")])
        failure = refusal({"status": -1, "message": message})
        assert "test-key-01" not in failure.message and "%2D01" not in failure.message


# --- numbers ready for any form (issue 9) --------------------------------------------------------------------

from support import names  # noqa: E402  (kept beside the tests that use it)


@pytest.mark.parametrize("text, region, fields", [
    ("+8613800001234", "CN", ("+8613800001234", "86", "13800001234", "CN")),
    ("8613800001234", "CN", ("+8613800001234", "86", "13800001234", "CN")),
    ("13800001234", "CN", ("+8613800001234", "86", "13800001234", "CN")),
    ("+1 (202) 555-0143", None, ("+12025550143", "1", "2025550143", "US")),
    ("2025550143", "US", ("+12025550143", "1", "2025550143", "US")),  # +20 … would be Egypt: the order says US
    ("12025550143", "US", ("+12025550143", "1", "2025550143", "US")),
    ("+44 7400 123456", None, ("+447400123456", "44", "7400123456", "GB")),
    ("07400123456", "GB", ("+447400123456", "44", "7400123456", "GB")),
    ("6281234567890", "ID", ("+6281234567890", "62", "81234567890", "ID")),
    ("081234567890", "ID", ("+6281234567890", "62", "81234567890", "ID")),
    ("79161234567", "RU", ("+79161234567", "7", "9161234567", "RU")),
    ("89161234567", "RU", ("+79161234567", "7", "9161234567", "RU")),
])
def test_numbers_in_real_world_shapes(text, region, fields):
    result = names.number_fields(text, region)
    assert (result["number"], result["dial_code"], result["national_number"], result["region"]) == fields


@pytest.mark.parametrize("text, region", [("12345", "CN"), ("not a number", None), ("+999123", None), ("", "US")])
def test_a_number_that_cannot_be_parsed_is_kept_as_given_never_guessed(text, region):
    assert names.number_fields(text, region) == {"number": text, "dial_code": None, "national_number": None,
                                                 "region": None}


# --- what a sloppy platform does -------------------------------------------------------------------------

def test_classifying_a_huge_message_takes_linear_time():
    import time
    started = time.perf_counter()
    failure = refusal({"status": -1, "message": "wait " * 200_000})  # ~1 MB: a quadratic pattern took minutes
    assert time.perf_counter() - started < 1 and failure.kind == "api"
    started = time.perf_counter()
    assert coderule.extract_code("code 1234 " * 100_000) == "1234" and time.perf_counter() - started < 1
    assert refusal("<" * 1_000_000).kind == "api"


def test_an_empty_error_list_is_no_error():
    assert smsonline_reader.read_purchase(answer({"status": 1, "error": [], "message": "ok",
                                         "data": {"orderId": 7001, "number": "+8613800001234"}}))["order_id"] == "7001"


def test_a_refusal_inside_the_payload_is_a_refusal():
    failure = refusal({"code": 0, "msg": "success",
                       "data": {"success": False, "message": "Cannot cancel: SMS already received"}})
    assert failure.kind == "api" and "Cannot cancel" in failure.message


@pytest.mark.parametrize("body", [
    {"code": 0, "msg": "success", "data": {"code": 1001, "msg": "no sms yet"}},
    {"status": 1, "data": {"status": "1", "message": "SMS not received yet, this number is reserved for 1200 seconds"}},
    {"status": 1, "data": {"sms": "Number +7 900 123-45-67 is waiting for an SMS"}},
    {"status": 1, "data": {"sms": "ref 20261128"}},
    {"status": 1, "data": {"sms": "Balance 1500"}},
])
def test_nothing_here_is_a_code(body):
    order = {"order_id": "12001", "number": "+79001234567", "national_number": "9001234567"}
    assert smsonline_reader.read_sms(answer(body), order).code is None


def test_nan_and_infinity_are_no_price():
    body = '{"status": 1, "data": {"orderId": 1, "number": "+1", "price": NaN}}'
    purchase = smsonline_reader.read_purchase(answer(body))
    assert purchase["price"] is None
    assert shapes.to_number("1e999") is None and shapes.to_number(float("nan")) is None


@pytest.mark.parametrize("message", ["SMS not found", "API temporarily closed for maintenance, retry in a minute",
                                     "Service closed for today", "not found"])
def test_words_about_other_things_are_not_a_closed_or_unknown_order(message):
    assert smsonline_reader.kind_of_message(message) not in ("order_closed", "not_found")


@pytest.mark.parametrize("body, price, unreadable", [
    ('{"activationId": 5, "phoneNumber": "+7916", "activationCost": "abc"}', None, True),  # stated, no price
    ('{"orderId": 5, "number": "+7916", "price": 0.5, "totalCost": 0.9}', 0.9, False),  # the highest stated
    ('{"orderId": 5, "number": "+7916", "amount": {"value": 9}}', 9.0, False),  # inside a charge's object
    ('{"orderId": 5, "number": "+7916", "currency": 643}', None, False),  # no price stated: the offer's counts
    ('{"orderId": 5, "number": "+7916", "cost": 9, "balanceAmount": 500}', 9.0, False),  # a balance is no charge
    ("ACCESS_NUMBER:5:79161234567:12,5", None, True),
])
def test_a_purchase_read_past_its_refusal_states_its_price_or_says_it_cannot(body, price, unreadable):
    purchase = smsonline_reader.purchase_in(decoding.Reply(400, "Bad Request", "text/plain", body.encode()))
    assert (purchase["price"], purchase["price_unreadable"]) == (price, unreadable)
