"""SMSOnline's get-sms answers (smsonline_reader.py): which text is an SMS (whatever charset the answer claims),
which field is evidence of a code, which SMS is the newest, and that a whole run never confirms digits without
evidence. What in a text is a code is the
code rule's (tests/test_code_rule.py).
"""
import json
import re

import pytest
import responses

import fakes
from support import decoding, output, smsonline_reader
from test_code_rule import ORDER, SHAPES_DOC, SMS_DOC, STATUS_TEXTS


@pytest.mark.parametrize("text", STATUS_TEXTS)
@pytest.mark.parametrize("key", ["sms", "text", "content", "message", "body"])
def test_a_status_text_in_any_sms_field_confirms_nothing(key, text):
    state = smsonline_reader.read_sms(smsonline_reader.Answer({key: text, "orderId": 884213}, True), ORDER)
    assert state.code is None and state.sms == text


def answer_of(body):
    """A JSON body as the HTTP layer reads it."""
    return smsonline_reader.read_answer(decoding.Reply(200, "OK", "application/json", json.dumps(body).encode()))


@pytest.mark.parametrize("body", [
    {"success": True, "data": {"code": 10001, "desc": "no sms yet"}},
    {"result": {"code": 10000, "data": None}},
    {"status": 1, "data": {"orderId": 500001, "code": 40004, "info": "sms not arrived"}},
    {"status": 1, "data": {"code": 20001, "message": "Operation in progress"}},
    {"status": 1, "data": {"code": "30012", "msg": "请稍后"}},
    {"status": 1, "data": {"sms": {"code": 10001, "desc": "no sms yet"}}},
    {"status": 1, "data": {"messages": [{"code": 40004, "message": "sms not arrived"}]}},
    {"status": 1, "data": {"code": 10001, "text": "no sms yet"}},
])
def test_a_status_code_beside_a_message_is_never_a_code(body):
    assert smsonline_reader.read_sms(answer_of(body), ORDER).code is None


@pytest.mark.parametrize("body", [
    {"status": 1, "data": {"sms": "Your code is 482913", "order": {"status": "pending"}}},
    {"status": 1, "data": {"messages": [{"text": "Your code is 482913", "status": "waiting"}]}},
    {"status": 1, "data": {"state": "STATUS_WAIT_CODE", "smsCode": "482913"}},
])
def test_a_waiting_state_anywhere_outranks_any_text(body):
    assert smsonline_reader.read_sms(answer_of(body), ORDER).code is None


@pytest.mark.parametrize("key", ["content", "message", "body"])
@pytest.mark.parametrize("text, code", [("482913 is your Instagram code. Don't share it.", "482913"),
                                        ("Ваш код подтверждения: 4829", "4829")])
def test_codes_under_content_message_or_body_are_found(key, text, code):
    assert smsonline_reader.read_sms(answer_of({"status": 1, "data": {key: text}}), ORDER).code == code


@pytest.mark.parametrize("body, code", [
    ("STATUS_OK:Your WhatsApp code is 482-913", "482913"),
    ("STATUS_OK:8848", "8848"),
    ("STATUS_OK:A1B2C3", "A1B2C3"),
])
def test_the_protocol_success_form_gives_the_code(body, code):
    reply = decoding.Reply(200, "OK", "text/plain", body.encode())
    assert smsonline_reader.read_sms(smsonline_reader.read_answer(reply), ORDER).code == code


def test_status_ok_with_a_text_that_has_no_evidence_is_no_code():
    reply = decoding.Reply(200, "OK", "text/plain", b"STATUS_OK:Welcome, session 772211")
    assert smsonline_reader.read_sms(smsonline_reader.read_answer(reply), ORDER).code is None


@pytest.mark.parametrize("body, code", [
    ({"status": 1, "data": {"sms": {"code": 731904, "content": "Your code is 731904"}}}, "731904"),  # its text names it
    ({"status": 1, "data": {"sms": "[Soul] 7731 is yours", "code": "7731"}}, "7731"),
    ({"status": 1, "data": {"message": "验证码 5521", "code": 5521}}, "5521"),
    ({"status": 1, "data": {"messages": [{"text": "Your code 482 913", "code": "482913"}]}}, "482913"),
    ({"status": 1, "data": {"otp": "660512", "msg": "ok"}}, "660512"),  # a field named for the SMS's code
    ({"status": 1, "data": {"messages": [{"smsCode": "482913", "date": "10:00"}]}}, "482913"),
    ({"status": 1, "data": {"status": "received", "verifyCode": "4410"}}, "4410"),
])
def test_a_code_field_with_evidence_counts(body, code):
    assert smsonline_reader.read_sms(answer_of(body), ORDER).code == code


# Each of these was once confirmed (status 3) although no SMS had come.
BARE_STATUS_CODES = [
    {"code": 0, "msg": "ok", "data": {"code": 10001, "text": "SMS not found"}},
    {"code": 0, "msg": "ok", "data": {"code": 10001, "sms": "null"}},
    {"code": 0, "msg": "ok", "data": {"code": 10001, "sms": "empty"}},
    {"code": 0, "msg": "ok", "data": {"code": 10001, "content": "none"}},
    {"code": 0, "msg": "ok", "data": {"sms": {"code": 10001, "content": "SMS not found"}}},
    {"code": 10001, "msg": "no sms yet", "sms": "none"},  # the envelope's own code
    {"code": 0, "msg": "ok", "data": {"status": "success", "code": 10000}},
    {"code": 0, "msg": "ok", "data": {"orderStatus": "SUCCESS", "code": "E1001"}},
    {"code": 0, "msg": "ok", "data": {"smsStatus": "delivered", "code": 10000}},
    {"code": 0, "msg": "ok", "data": {"sms": {"code": 40004}}},
    [{"code": 10001}],
    {"data": {"messages": [{"code": 10001, "type": "system"}]}},
    {"code": 0, "msg": "ok", "data": {"code": 4001, "message": "Error 4001: code not found"}},
    {"code": 0, "msg": "ok", "data": {"status": "received", "code": "1234"}},
]


@pytest.mark.parametrize("body", BARE_STATUS_CODES)
def test_a_bare_code_without_an_sms_text_naming_it_is_a_status_code(body):
    assert smsonline_reader.read_sms(answer_of(body), ORDER).code is None


def test_a_plain_text_or_data_string_from_get_sms_is_an_sms_text():
    for body in (b"Your WhatsApp code 482-913", json.dumps({"code": 0, "msg": "ok",
                                                             "data": "Your WhatsApp code 482-913"}).encode()):
        answer = smsonline_reader.read_answer(decoding.Reply(200, "OK", "text/plain", body), free_text=True)
        assert smsonline_reader.read_sms(answer, ORDER).code == "482913"


def test_status_ok_with_a_date_is_no_code():
    reply = decoding.Reply(200, "OK", "text/plain", b"STATUS_OK:2026-11-30")
    assert smsonline_reader.read_sms(smsonline_reader.read_answer(reply), ORDER).code is None


def sms_of(body, content_type="application/json", order=ORDER):
    reply = decoding.Reply(200, "OK", content_type, body)
    try:
        return smsonline_reader.read_sms(smsonline_reader.read_answer(reply, free_text=True), order).code
    except output.Failure:
        return None  # unreadable: no code either


@pytest.mark.parametrize("payload", ["ERROR500", "HTTP404", "E500", "timeout30", "pending1", "1e10", "0000",
                                     "code=undefined&id=4321"])
def test_status_ok_with_a_word_and_a_number_is_no_code(payload):
    assert sms_of(f"STATUS_OK:{payload}".encode(), "text/plain") is None


@pytest.mark.parametrize("data", [
    {"otp": "000000", "sms": None}, {"smsStatus": 0, "smsCode": "0000"}, {"smsCode": "E1001", "sms": ""},
    {"sms": "code 482913", "status": ["pending"]}, {"orderId": 999999, "sms": "Your Soul code is 482913"},
    {"list": [{"orderId": 999999, "text": "Your Soul code is 482913"}]},
    {"code": 4004, "message": "验证码 4004 不存在"},
])
def test_placeholders_waiting_lists_and_another_orders_sms_give_no_code(data):
    assert sms_of(json.dumps({"status": 1, "data": data}).encode()) is None


@pytest.mark.parametrize("body, content_type", [
    ('{"status":1,"data":{"sms":"验证码未收到 OTP 1187"}}'.encode(), "application/json; charset=gbk"),  # UTF-8 sent
    ('{"status":1,"data":{"sms":"Código OTP: aún no recibido, quedan 1187"}}'.encode("latin-1"),
     "application/json; charset=ISO-8859-1"),
    ('{"status":1,"data":{"sms":"OTP 未收到，剩余 1187"}}'.encode().decode("latin-1").encode(), "application/json"),
    ('{"status":1,"data":{"sms":"验证码未收到 OTP 1187"}}'.encode("gbk"), "application/json; charset=latin-1"),
])
def test_a_charset_that_lies_never_turns_a_waiting_text_into_a_code(body, content_type):
    assert sms_of(body, content_type) is None


# --- section 3: SMS lists in any order ----------------------------------------------------------------------

NEWEST_FIRST = [{"text": "Your code is 222222", "date": "10:05"}, {"text": "Your code is 111111", "date": "10:00"}]


@pytest.mark.parametrize("items", [
    NEWEST_FIRST,
    NEWEST_FIRST[::-1],
    [{"text": "Your code is 222222", "date": "2026-11-30 10:05:00"}, {"text": "Your code is 111111",
                                                                        "date": "2026-11-30 09:59:59"}],
    [{"text": "Your code is 222222", "timestamp": 1764497100},
     {"text": "Your code is 111111", "timestamp": 1764496800}],
    [{"text": "Your code is 222222", "id": 12}, {"text": "Your code is 111111", "id": 9}],
    [{"text": "Your code is 111111", "smsId": "9"}, {"text": "Your code is 222222", "smsId": "12"}],
])
def test_the_newest_sms_by_its_own_date_or_id_wins(items):
    assert smsonline_reader.read_sms(answer_of({"status": 1, "data": {"messages": items}}), ORDER).code == "222222"


def test_without_dates_or_ids_the_last_given_is_the_newest():
    items = [{"text": "Your code is 111111"}, {"text": "Your code is 222222"}]
    assert smsonline_reader.read_sms(answer_of({"status": 1, "data": {"messages": items}}), ORDER).code == "222222"


def test_an_sms_id_too_long_for_a_number_is_no_id():
    items = [{"id": "9" * 5000, "text": "Your code is 111111"}, {"id": 7, "text": "Your code is 222222"}]
    state = smsonline_reader.read_sms(smsonline_reader.Answer({"messages": items}, True), {"order_id": "1"})
    assert state.code == "222222"  # the last given is the newest when ids cannot be compared


def test_next_takes_any_sms_not_seen_before_newest_first():
    seen = ["Your code is 111111", "code:111111"]
    undated_newest_first = [{"text": "Your code is 222222"}, {"text": "Your code is 111111"}]
    answer = answer_of({"status": 1, "data": {"messages": undated_newest_first}})
    state = smsonline_reader.read_sms(answer, ORDER, seen=seen)
    assert state.code == "222222"


def test_the_newest_sms_without_a_code_does_not_hide_an_older_unseen_one():
    items = [{"text": "Your code is 333333", "date": "10:00"}, {"text": "Welcome aboard!", "date": "10:05"}]
    assert smsonline_reader.read_sms(answer_of({"status": 1, "data": {"messages": items}}), ORDER).code == "333333"


# --- the whole run: a status text is never confirmed, and a person can read it at the deadline ---------------------

RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13", "--timeout", "2", "--interval", "1")


@pytest.mark.parametrize("data", [
    {"orderId": 500001, "sms": "No message received yet for activation 884213"},
    {"orderId": 500001, "sms": "Номер активен, СМС пока нет. Сессия 884213"},
    {"orderId": 500001, "sms": "Inbox empty (request 884213), try again in a few seconds"},
    {"orderId": 500001, "code": 10001, "desc": "no sms yet"},
    {"orderId": 500001, "code": 40004, "info": "sms not arrived"},
])
@responses.activate(assert_all_requests_are_fired=True)
def test_receive_never_confirms_digits_without_evidence(cli, store, data):
    fakes.buy()
    fakes.poll({"status": 1, "data": data})
    fakes.status(4)
    run = cli(*RECEIVE, "-v")
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelled")
    assert not [c for c in fakes.calls_to("change-status") if "status=3" in c.request.url]
    assert json.loads(run.line["last_answer"]) == data  # JSON text, not a Python repr
    if "sms" in data:
        assert data["sms"] in run.err  # -v shows the text that was not taken for a code


@responses.activate(assert_all_requests_are_fired=True)
def test_receive_finds_a_code_under_content(cli, store):
    fakes.buy()
    fakes.poll({"status": 1, "data": {"orderId": 500001, "content": "482913 is your Instagram code. Don't share it."}})
    fakes.status(3)
    run = cli(*RECEIVE)
    assert (run.code, run.line["code"], run.line["finished"]) == (0, "482913", True)


@pytest.mark.parametrize("keys", ["SMS_TEXT_KEYS", "INNER_TEXT_KEYS", "MESSAGE_LIKE_KEYS", "SMS_CODE_KEYS",
                                  "MESSAGE_LIST_KEYS", "DATE_KEYS", "SMS_ID_KEYS", "STATE_KEYS"])
def test_every_key_the_rule_reads_is_documented(keys):
    assert [key for key in getattr(smsonline_reader, keys) if f"`{key}`" not in SMS_DOC] == []


KEY_RUN = re.compile(r"`[^`]+`(?:(?:\s*\([^()`]*\))?\s*(?:,\s*(?:or\s+)?|or\s+)`[^`]+`)*")  # `a`, `b` (…), `c` or `d`
KEY_LISTS = [  # (section, the words before the list, the parser's constant): the doc lists it whole, in its order
    ("Envelope and payload", "is under", "WRAPPER_KEYS"),
    ("Envelope and payload", "The message is the first of", "MESSAGE_KEYS"),
    ("Lists", "sits under", "LIST_KEYS"),
    ("Lists", "id: first of", "ID_KEYS"),
    ("Lists", "name: first of", "NAME_KEYS"),
    ("Lists", "price:", "PRICE_KEYS"),
    ("Lists", "Stock:", "STOCK_KEYS"),
    ("Purchase", "Order id:", "ORDER_ID_KEYS"),
    ("Purchase", "number:", "NUMBER_KEYS"),
    ("Purchase", "price:", "PRICE_KEYS"),
    ("SMS", "A state field", "STATE_KEYS"),
    ("SMS", "The order's state**, from", "STATE_KEYS"),
    ("SMS", "a text under", "SMS_TEXT_KEYS"),
    ("SMS", "a list under", "MESSAGE_LIST_KEYS"),
    ("SMS", "a field named for the SMS's code:", "SMS_CODE_KEYS"),
    ("SMS", "by their own date", "DATE_KEYS"),
    ("SMS", "by their numeric id", "SMS_ID_KEYS"),
]


def documented_keys(section, lead):
    """The keys reference/response-shapes.md lists right after `lead` in its section `## {section}…`."""
    text = SHAPES_DOC.split(f"\n## {section}", 1)[1].split("\n## ", 1)[0]
    after = text[text.index(lead) + len(lead):]
    start = after.index("`")
    assert start < 20, f"no key list right after {lead!r}"
    return re.findall(r"`([^`]+)`", KEY_RUN.match(after, start).group())


@pytest.mark.parametrize("section, lead, constant", KEY_LISTS, ids=[f"{c}@{s}" for s, _, c in KEY_LISTS])
def test_each_documented_key_list_is_the_parsers_own(section, lead, constant):
    assert documented_keys(section, lead) == list(getattr(smsonline_reader, constant))


@pytest.mark.parametrize("text", ["Your Tinder code is four-eight-two (expires in 10 min, 3 tries left)",
                                  "Your code is four-eight-two, please enter it to avoid timeout",
                                  "Your code: four-eight-two (do not reply, replies are not accepted)"])
def test_an_sms_without_a_readable_code_that_speaks_of_its_life_is_handed_over(text):
    assert smsonline_reader.is_sms_text(text)
    state = smsonline_reader.read_sms(answer_of({"status": 1, "data": {"sms": text}}), ORDER)
    assert (state.code, state.new_texts) == (None, (text,))
