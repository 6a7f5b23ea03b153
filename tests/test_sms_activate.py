"""The sms-activate protocol module: every request, every token of every table, and strictness (anything else is
unreadable, never a code and never an acknowledgement). Plain Reply objects, no HTTP."""
import re
from pathlib import Path

import pytest

from strict_support import Reading
from support import output
from smsonline import platform, sms_activate as sa  # noqa: E402  (support sets the path)

Op = platform.Op
API_MD = Path(__file__).resolve().parent.parent / "reference" / "api.md"
ORDER = {"order_id": "555123", "number": "79161234567"}


READING = Reading(sa, "text/html; charset=UTF-8")  # handler_api.php's own content type
read, failure, assert_unreadable, reply = READING.read, READING.failure, READING.assert_unreadable, READING.reply


# --- the module's identity and its requests -------------------------------------------------------

def test_identity_key_param_no_test_mode_no_refund():
    protocol = sa.PROTOCOL
    assert (protocol.name, protocol.prefix, protocol.key_param, protocol.test_mode) == \
        ("sms-activate", "sms-activate+", "api_key", False)
    assert protocol.operations == set(Op) - {Op.REFUND} and protocol.key_headers("test-key-x") == {}


@pytest.mark.parametrize("op, params, query", [
    (Op.COUNTRIES, {}, {"action": "getCountries"}),
    (Op.SERVICES, {}, {"action": "getServicesList"}),
    (Op.BALANCE, {}, {"action": "getBalance"}),
    (Op.PRODUCTS, {"country": "0", "service": "tg"}, {"action": "getPrices", "country": "0", "service": "tg"}),
    (Op.BUY, {"country": "0", "service": "tg", "operator": None, "max_price": None},
     {"action": "getNumber", "service": "tg", "country": "0"}),
    (Op.BUY, {"country": "0", "service": "tg", "operator": "any", "max_price": 12.5},
     {"action": "getNumber", "service": "tg", "country": "0", "maxPrice": "12.5"}),
    (Op.BUY, {"country": "6", "service": "wa", "operator": "mts", "max_price": 10},
     {"action": "getNumber", "service": "wa", "country": "6", "operator": "mts", "maxPrice": "10"}),
    (Op.BUY, {"country": "6", "service": "wa", "operator": "", "max_price": 0.00001},
     {"action": "getNumber", "service": "wa", "country": "6", "maxPrice": "0.00001"}),
    (Op.READ, {"order_id": "555123"}, {"action": "getStatus", "id": "555123"}),
    (Op.ANOTHER_SMS, {"order_id": "555123"}, {"action": "setStatus", "id": "555123", "status": "3"}),
    (Op.FINISH, {"order_id": "555123"}, {"action": "setStatus", "id": "555123", "status": "6"}),
    (Op.CANCEL, {"order_id": "555123"}, {"action": "setStatus", "id": "555123", "status": "8"}),
])
def test_requests_have_no_path_and_no_key(op, params, query):
    assert sa.request(op, params) == ("", query)


@pytest.mark.parametrize("call", [lambda: sa.request(Op.REFUND, {"order_id": "1"}),
                                  lambda: sa.read(Op.REFUND, reply("ACCESS_CANCEL"))])
def test_refund_is_refused_as_usage_before_anything_is_sent(call):
    with pytest.raises(output.Failure) as caught:
        call()
    assert caught.value.kind == "usage"
    assert "no refund" in caught.value.message


# --- refusals: one table, token -> kind; "refused" only where nothing can have been bought -----------

REFUSALS = [  # the real text (sources: reference/api.md's refusal table), kind, proves nothing was bought
    ("BAD_KEY", "auth", True), ("NO_KEY", "auth", True), ("WRONG_API_KEY", "auth", True),
    ("BANNED:'2026-12-01 10-00-00'", "auth", True), ("BANNED:2026-12-01 10-00-00", "auth", True),
    ("BANNED", "auth", True), ("ACCOUNT_INACTIVE", "auth", True),
    ("NO_BALANCE", "balance", True), ("LOW_BALANCE", "balance", True), ("NO_MONEY", "balance", True),
    ("NO_BALANCE_FORWARD", "balance", True),
    ("NO_NUMBERS", "no_numbers", True), ("the number has not been issued", "no_numbers", True),
    ("WRONG_MAX_PRICE:0.025", "budget", True), ("CHANNELS_LIMIT", "api", True), ("ORDER_ALREADY_EXISTS", "api", True),
    ("BAD_SERVICE", "usage", True), ("WRONG_SERVICE", "usage", True), ("WRONG_COUNTRY", "usage", True),
    ("BAD_OPERATOR", "usage", True), ("WRONG_EXCEPTION_PHONE", "api", True),
    ("BAD_ACTION", "api", True), ("UNPROCESSABLE_ENTITY", "api", True), ("ERROR_SQL", "api", False),
    ("NO_ACTIVATION", "not_found", True), ("NO_ACTIVATIONS", "not_found", True),
    ("WRONG_ACTIVATION_ID", "not_found", True),
    ("EARLY_CANCEL_DENIED", "early_cancel", True), ("FREE_CANCELLATION_EXPIRED", "api", True),
    ("BAD_STATUS", "api", True),
]


@pytest.mark.parametrize("op", [Op.BUY, Op.READ, Op.CANCEL, Op.BALANCE, Op.PRODUCTS])
@pytest.mark.parametrize("token, kind, refused", REFUSALS)
def test_every_refusal_token_has_its_kind(op, token, kind, refused):
    caught = failure(op, f" {token}\r\n")
    assert caught.kind == kind
    assert caught.reason == ("refused" if refused else None)
    assert token.split(":")[0] in caught.message


def test_the_tests_refusals_are_the_modules_table():
    assert {token.split(":")[0] for token, _, _ in REFUSALS} == set(sa.REFUSALS)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 429])
@pytest.mark.parametrize("body, kind", [("NO_ACTIVATION", "not_found"), ("EARLY_CANCEL_DENIED", "early_cancel"),
                                        ("BAD_KEY", "auth"), ("BANNED", "auth"), ("NO_BALANCE", "balance")])
def test_a_refusal_token_is_read_whatever_the_4xx_status(status, body, kind):
    """404 NO_ACTIVATION, 400 EARLY_CANCEL_DENIED, 401 BAD_KEY, 403 BANNED (privatesms.vip's error table)."""
    caught = failure(Op.CANCEL, body, status)
    assert (caught.kind, caught.reason) == (kind, "refused") and body in caught.message


@pytest.mark.parametrize("body, shown", [("BANNED:'2026-12-01 10-00-00'", "banned until 2026-12-01 10-00-00"),
                                         ("BANNED:2026-12-01 10-00-00", "banned until 2026-12-01 10-00-00"),
                                         ("BANNED", "banned until (not given)"),
                                         ("WRONG_MAX_PRICE:0.025", "the cheapest is 0.025")])
def test_a_refusal_keeps_its_payload_in_the_message(body, shown):
    assert shown in failure(Op.BUY, body).message


@pytest.mark.parametrize("body", ["WRONG_MAX_PRICE:0.025", {"title": "WRONG_MAX_PRICE", "details": "0.025"}])
def test_wrong_max_price_is_the_cheapest_offer_over_the_limit(body):
    caught = failure(Op.BUY, body)
    assert (caught.kind, caught.reason, caught.data["cheapest"]) == ("budget", "refused",
                                                                     {"price": 0.025, "stock": None})


@pytest.mark.parametrize("body", ["BANNED:", "BANNED: ", "NO_NUMBERS:5", "WRONG_MAX_PRICE"])
def test_a_payload_where_the_protocol_has_none_or_none_where_it_has_one_is_unreadable(body):
    assert_unreadable(Op.BUY, body)


@pytest.mark.parametrize("body", [{"title": "NO_NUMBERS", "details": "none left"},
                                  {"title": "NO_NUMBERS"}])
def test_the_json_error_form_reads_its_title_as_a_token(body):
    caught = failure(Op.BUY, body, 400)
    assert (caught.kind, caught.reason) == ("no_numbers", "refused")


@pytest.mark.parametrize("details", ["3.2", 3.2])
def test_the_json_error_form_keeps_a_payload_from_its_details(details):
    assert "the cheapest is 3.2" in failure(Op.BUY, {"title": "WRONG_MAX_PRICE", "details": details}).message


@pytest.mark.parametrize("body", [{"title": "SOMETHING_ODD", "details": "x"}, {"title": "no_numbers"},
                                  {"title": 5}, {"title": None, "details": "NO_NUMBERS"}])
def test_a_json_error_with_an_unknown_title_and_http_200_is_unreadable_not_refused(body):
    assert_unreadable(Op.BUY, body)


HERO_422 = {"title": "UNPROCESSABLE_ENTITY", "details": "Validation failed",  # HeroSMS, measured (api.md)
            "info": {"field": "api_key", "code": "REQUIRED", "message": ""}}


@pytest.mark.parametrize("status, body, shown", [
    (422, HERO_422, "Validation failed api_key: REQUIRED"),
    (401, {"title": "BAD_KEY", "details": "Unauthorized"}, "Unauthorized"),  # HeroSMS's OpenAPI unauthorizedExample
    (409, {"title": "FREE_CANCELLATION_EXPIRED", "details": "Cannot terminate activation - time limit exceeded "
                                                            "(20 minutes)"}, "time limit exceeded"),
    (400, {"title": "WRONG_CURRENCY", "details": "Unsupported Currency"}, "Unsupported Currency"),
    (403, {"title": "BANNED", "details": "Your account is temporarily suspended from making any purchases.",
           "info": {"scope": "global", "banned_until": 1739448000}}, "temporarily suspended"),
])
def test_a_complete_json_refusal_with_http_4xx_is_a_refusal_nothing_bought(status, body, shown):
    caught = failure(Op.BUY, body, status)
    assert caught.reason == "refused" and body["title"] in caught.message and shown in caught.message
    assert f"HTTP {status}" in caught.message


@pytest.mark.parametrize("status, body", [(500, HERO_422), (502, "NO_NUMBERS"), (422, "Validation failed"),
                                          (422, "<html><body>422</body></html>"), (400, '{"title": '),
                                          (422, {"details": "Validation failed"})])
def test_what_is_not_a_complete_refusal_after_the_request_left_stays_unreadable(status, body):
    caught = failure(Op.BUY, body, status)
    assert caught.kind == "api" and caught.reason in ("unreadable", "html")


# --- HTTP statuses and pages -------------------------------------------------------------------------

@pytest.mark.parametrize("status, body", [(401, "BAD_KEY"), (403, "Forbidden"), (401, "<html>login</html>"),
                                          (403, "")])
def test_http_401_and_403_are_auth(status, body):
    assert failure(Op.BUY, body, status).kind == "auth"


@pytest.mark.parametrize("status, body", [(500, "NO_NUMBERS"), (502, ""), (503, "<html>busy</html>"),
                                          (504, "ACCESS_NUMBER:1:79161234567")])
def test_5xx_is_unreadable_whatever_it_says(status, body):
    assert_unreadable(Op.BUY, body, status)


@pytest.mark.parametrize("op", [Op.BUY, Op.READ, Op.FINISH, Op.CANCEL, Op.COUNTRIES])
@pytest.mark.parametrize("body", ["<!DOCTYPE html><html><body>STATUS_OK:123456</body></html>",
                                  "<html><title>ACCESS_CANCEL</title></html>", "  <h1>Blocked</h1>"])
def test_an_html_page_is_api_never_data(op, body):
    caught = failure(op, body)
    assert (caught.kind, caught.reason) == ("api", "html")


@pytest.mark.parametrize("op, status, body", [(Op.BUY, 404, "Not Found"), (Op.BUY, 400, "ACCESS_NUMBER:1:79161234567"),
                                              (Op.READ, 404, "STATUS_OK:123456"), (Op.CANCEL, 404, "ACCESS_CANCEL"),
                                              (Op.CANCEL, 404, ""), (Op.BALANCE, 400, "ACCESS_BALANCE:5")])
def test_data_states_and_acknowledgements_only_from_2xx(op, status, body):
    assert_unreadable(op, body, status)


# --- strictness: anything not in the tables is unreadable --------------------------------------------

@pytest.mark.parametrize("op, body", [
    (Op.READ, "status_ok:123456"), (Op.READ, "Status_Ok:123456"), (Op.READ, "STATUS_OK"), (Op.READ, "STATUS_OK:"),
    (Op.READ, "STATUS_OK:   "), (Op.READ, "STATUS_WAIT_CODE:123456"), (Op.READ, "STATUS_WAIT_RETRY"),
    (Op.READ, "STATUS_CANCEL:1"), (Op.READ, "123456"), (Op.READ, "OK"), (Op.READ, "ACCESS_ACTIVATION"),
    (Op.READ, "STATUS OK:123456"), (Op.READ, '{"status": "STATUS_OK", "code": "123456"}'), (Op.READ, ""),
    (Op.READ, '"STATUS_OK:123456"'), (Op.BUY, "no_numbers"), (Op.BUY, "NO_NUMBERS:5"), (Op.BUY, "BAD_KEY:x"),
    (Op.BUY, "WRONG_MAX_PRICE"), (Op.BUY, "WRONG_MAX_PRICE: "), (Op.BUY, "{garbage"),
    (Op.BUY, "[1, 2"), (Op.BUY, "ACCESS_NUMBER:123"), (Op.BUY, "ACCESS_NUMBER:123:+79161234567"),
    (Op.BUY, "ACCESS_NUMBER:123:7916abc4567"), (Op.BUY, "ACCESS_NUMBER::79161234567"), (Op.BUY, "ACCESS_NUMBER"),
    (Op.BUY, "access_number:123:79161234567"), (Op.BUY, "ACCESS_BALANCE:100"), (Op.BUY, ""),
    (Op.BUY, '{"activationId": 5}'), (Op.BUY, '{"activationId": true, "phoneNumber": "79161234567"}'),
    (Op.BALANCE, "ACCESS_BALANCE"), (Op.BALANCE, "ACCESS_BALANCE:lots"), (Op.BALANCE, "access_balance:100"),
    (Op.BALANCE, '{"balance": 100}'), (Op.COUNTRIES, "ACCESS_BALANCE:1"), (Op.COUNTRIES, '"Russia"'),
    (Op.COUNTRIES, '{"0": {"id": 0, "rus": "Россия"}}'), (Op.COUNTRIES, '[1, 2]'),
    (Op.SERVICES, '{"status": "error", "services": []}'), (Op.SERVICES, '{"status": "success"}'),
    (Op.SERVICES, '{"status": "success", "services": [{"name": "Telegram"}]}'), (Op.SERVICES, '[{"code": "tg"}]'),
    (Op.SERVICES, '{"tg": ""}'), (Op.SERVICES, '{"tg": 5}'), (Op.SERVICES, '[{"code": "tg", "name": "  "}]'),
    (Op.PRODUCTS, '{"0": {"tg": {"cost": 1, "count": "many"}}}'), (Op.PRODUCTS, '{"0": {"tg": "cheap"}}'),
    (Op.PRODUCTS, '{"0": {"tg": true}}'), (Op.PRODUCTS, '[{"0": {}}, {"6": {}}]'),
    (Op.PRODUCTS, '{"0": {"tg": {"cost": 1, "count": 1}}, "6": {"tg": {"cost": 1, "count": 1}}}'),
    (Op.PRODUCTS, '"x"'), (Op.PRODUCTS, '{"0": {"tg": {"mts": "cheap"}}}'),
])
def test_anything_outside_the_tables_is_unreadable(op, body):
    assert_unreadable(op, body)


def test_json_nested_too_deeply_is_unreadable():
    assert_unreadable(Op.COUNTRIES, "[" * 200 + "]" * 200)


# --- states ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, closed", [("STATUS_WAIT_CODE", False), ("STATUS_WAIT_RESEND", False),
                                          ("STATUS_WAIT_RETRY:123456", False), ("  STATUS_WAIT_CODE\n", False),
                                          ("STATUS_CANCEL", True)])
def test_waiting_and_closed_states_give_no_code(body, closed):
    state = read(Op.READ, body, order=ORDER)
    assert (state.code, state.closed, state.said_received) == (None, closed, False)


@pytest.mark.parametrize("body, code", [
    ("STATUS_OK:123456", "123456"), ("STATUS_OK:4821", "4821"), ("STATUS_OK:123 456", "123456"),
    ("STATUS_OK:123-456", "123456"), ("STATUS_OK:AB12CD", "AB12CD"), ("\nSTATUS_OK: 777111 \r\n", "777111"),
    ("STATUS_OK:Your Telegram code: 54321. Do not share it.", "54321"),
    ("STATUS_OK:G-908172 is your Google verification code.", "908172"),
    ("STATUS_OK:Ваш код подтверждения: 3344", "3344"),
    ("STATUS_OK:Welcome to Telegram!", None), ("STATUS_OK:Your order 123456 has shipped", None),
    ("STATUS_OK:Hello world 12", None), ("STATUS_OK:Telegram", None), ("STATUS_OK:1234567890123", None),
    ("STATUS_OK:555123", None), ("STATUS_OK:79161234567", None),  # the order's own id and number
])
def test_status_ok_gives_a_code_only_on_evidence(body, code):
    state = read(Op.READ, body, order=ORDER)
    assert state.code == code
    assert state.sms == body.strip()[len("STATUS_OK:"):].strip()
    assert not state.closed


def test_code_regex_reads_the_sms_text():
    assert read(Op.READ, "STATUS_OK:PIN A-7781 for login", code_regex=r"A-(\d{4})").code == "7781"


@pytest.mark.parametrize("seen, code", [(("code:123456",), None), (("code:654321",), "123456"), ((), "123456"),
                                        (("123456",), "123456")])
def test_a_code_taken_before_is_not_new(seen, code):
    state = read(Op.READ, "STATUS_OK:123456", order=ORDER, seen=seen)
    assert (state.code, state.closed) == (code, False)


# --- acknowledgements: only the one for the action sent ----------------------------------------------

ACKS = {Op.ANOTHER_SMS: ("ACCESS_RETRY_GET",), Op.FINISH: ("ACCESS_ACTIVATION",),
        Op.CANCEL: ("ACCESS_CANCEL", "ACCESS_CANCEL_ALREADY")}  # cancelled before: GrizzlySMS/HeroSMS clients
ALL_ACCESS = [*(token for tokens in ACKS.values() for token in tokens), "ACCESS_READY", "ACCESS_BALANCE:1",
              "ACCESS_NUMBER:1:79161234567"]


@pytest.mark.parametrize("op", list(ACKS))
@pytest.mark.parametrize("token", ALL_ACCESS)
def test_only_the_actions_own_tokens_acknowledge_it(op, token):
    if token in ACKS[op]:
        assert read(op, f" {token}\n") is None
    else:
        assert_unreadable(op, token)


def test_the_tests_acknowledgements_are_the_modules_table():
    assert {token: op for op, tokens in ACKS.items() for token in tokens} == sa.ACKNOWLEDGEMENTS


@pytest.mark.parametrize("op", list(ACKS))
@pytest.mark.parametrize("body", ["status_ok", "access_cancel", "ACCESS_CANCEL:1", "ACCESS_ACTIVATION:x",
                                  "ACCESS_CANCEL_ALREADY:1", "access_cancel_already",
                                  "ACCESS_RETRY_GET:1", "STATUS_OK:123456", "STATUS_WAIT_CODE", "OK", "1",
                                  '{"status": "success"}', "true"])
def test_nothing_else_is_an_acknowledgement(op, body):
    assert_unreadable(op, body)


@pytest.mark.parametrize("op", list(ACKS))
@pytest.mark.parametrize("status, body", [(200, ""), (204, ""), (200, "  \n")])
def test_an_empty_200_or_204_acknowledges_a_set_status(op, status, body):
    assert read(op, body, status) is None


@pytest.mark.parametrize("op", [Op.READ, Op.BUY, Op.BALANCE, Op.PRODUCTS])
@pytest.mark.parametrize("status", [200, 204])
def test_an_empty_answer_to_anything_else_is_unreadable(op, status):
    assert_unreadable(op, "", status)


@pytest.mark.parametrize("op", [Op.COUNTRIES, Op.SERVICES])
@pytest.mark.parametrize("status, body", [(200, "BAD_ACTION"), (400, "BAD_ACTION"), (200, ""), (204, ""),
                                          (404, "Not Found"), (404, "<html><h1>404</h1></html>"),
                                          (404, {"title": "BAD_ACTION", "details": "Method Not Found"})])
def test_a_site_without_a_list_says_so_for_names_to_fall_back(op, status, body):
    """privatesms.vip documents 400 BAD_ACTION; HeroSMS's OpenAPI {"title": "BAD_ACTION", "details": "Method Not
    Found"}; older clones answer nothing or 404."""
    caught = failure(op, body, status)
    assert (caught.kind, caught.reason) == ("api", "no_list") and sa.ACTIONS[op] in caught.message


@pytest.mark.parametrize("op, action", [(Op.PRODUCTS, "getPrices"), (Op.BUY, "getNumber"), (Op.READ, "getStatus"),
                                        (Op.SERVICES, "getServicesList"), (Op.CANCEL, "setStatus")])
def test_an_unreadable_answer_names_the_action(op, action):
    caught = failure(op, '{"odd": [1, 2]}' if op is not Op.SERVICES else '{"status": "fine", "services": []}')
    assert (caught.kind, caught.reason) == ("api", "unreadable") and f"answer to {action}" in caught.message


@pytest.mark.parametrize("op", list(ACKS))
def test_status_cancel_to_a_set_status_is_order_closed(op):
    caught = failure(op, "STATUS_CANCEL")
    assert (caught.kind, caught.reason) == ("order_closed", "refused")


# --- data: balance, purchase, lists ----------------------------------------------------------------

@pytest.mark.parametrize("body, amount", [("ACCESS_BALANCE:100.50", 100.5), ("ACCESS_BALANCE:0", 0.0),
                                          (" ACCESS_BALANCE:7\n", 7.0)])
def test_balance(body, amount):
    assert read(Op.BALANCE, body) == amount


@pytest.mark.parametrize("body, purchase", [
    ("ACCESS_NUMBER:555123:79161234567",
     {"order_id": "555123", "number": "79161234567", "price": None, "price_unreadable": False}),
    ({"activationId": 555123, "phoneNumber": "79161234567", "activationCost": "12.50", "countryCode": "0"},
     {"order_id": "555123", "number": "79161234567", "price": 12.5, "price_unreadable": False}),
    ({"activationId": "9", "phoneNumber": 447700900123, "activationCost": 0},
     {"order_id": "9", "number": "447700900123", "price": None, "price_unreadable": False}),
    ({"activationId": "9", "phoneNumber": "447700900123", "activationCost": "12,50 RUB"},
     {"order_id": "9", "number": "447700900123", "price": None, "price_unreadable": True}),
    ({"activationId": "9", "phoneNumber": "447700900123"},
     {"order_id": "9", "number": "447700900123", "price": None, "price_unreadable": False}),
])
def test_purchase_keeps_the_number_as_the_platform_writes_it(body, purchase):
    assert read(Op.BUY, body) == purchase


@pytest.mark.parametrize("changes", [{"activationId": None}, {"activationId": True}, {"activationId": False},
                                     {"activationId": 555123.0}, {"activationId": ""}, {"activationId": [555123]},
                                     {"activationId": {"id": 555123}}, {"phoneNumber": None},
                                     {"phoneNumber": 79161234567.0}, {"phoneNumber": True}])
def test_a_purchase_without_a_usable_order_id_or_number_is_unreadable_never_an_order_named_none(changes):
    """str(None) is "None", which the id pattern allows: an id is text or a whole number, nothing else."""
    assert_unreadable(Op.BUY, {"activationId": 555123, "phoneNumber": "79161234567", "activationCost": 12.5,
                               **changes})


def test_countries_from_the_map_and_the_list_form():
    entry = {"id": 0, "rus": "Россия", "eng": "Russia", "chn": "俄罗斯", "visible": 1}
    expected = [{"id": "0", "name": "Russia", "rus": "Россия", "chn": "俄罗斯"}]
    assert read(Op.COUNTRIES, {"0": entry}) == read(Op.COUNTRIES, [entry]) == expected
    assert read(Op.COUNTRIES, {"16": {"eng": "United Kingdom"}}) == [{"id": "16", "name": "United Kingdom"}]


@pytest.mark.parametrize("visible", [0, "0", False])
def test_a_country_with_visible_0_is_kept_but_hidden(visible):
    body = [{"id": 2, "rus": "Казахстан", "eng": "Kazakhstan", "chn": "哈萨克斯坦", "visible": visible, "retry": 1}]
    assert read(Op.COUNTRIES, body) == [{"id": "2", "name": "Kazakhstan", "rus": "Казахстан", "chn": "哈萨克斯坦",
                                         "hidden": True}]


TELEGRAM, GOOGLE = {"id": "tg", "name": "Telegram"}, {"id": "go", "name": "Google,youtube,Gmail"}


@pytest.mark.parametrize("body", [
    {"status": "success", "services": [{"code": "tg", "name": "Telegram"}, {"code": "go",
                                                                            "name": "Google,youtube,Gmail"}]},
    {"tg": "Telegram", "go": "Google,youtube,Gmail"},  # the plain map of older deployments
    [{"code": "tg", "name": "Telegram"}, {"code": "go", "name": "Google,youtube,Gmail"}],  # the bare list
    [{"code": "tg", "name": "Telegram "}, {"code": "go", "name": " Google,youtube,Gmail"}],  # names with noise
])
def test_services_in_every_form_sites_give(body):
    assert read(Op.SERVICES, body) == [TELEGRAM, GOOGLE]


def test_an_empty_service_list_is_read_as_empty():
    assert read(Op.SERVICES, []) == read(Op.SERVICES, {"status": "success", "services": []}) == []


@pytest.mark.parametrize("body, asked, products", [
    ({"0": {"tg": {"cost": 12.5, "count": 100, "physicalCount": 90}}}, None,
     [{"id": "any", "name": "any operator", "price": 12.5, "stock": 100}]),
    ({"0": {"tg": {"cost": "0", "count": "3"}}}, None, [{"id": "any", "name": "any operator", "price": None,
                                                          "stock": 3}]),
    ({"0": {"tg": {"mts": {"cost": 10, "count": 2}, "beeline": {"cost": "11.5", "count": 0}}}}, None,
     [{"id": "mts", "name": "mts", "price": 10.0, "stock": 2},
      {"id": "beeline", "name": "beeline", "price": 11.5, "stock": 0}]),
    ({"0": {"tg": {"cost": 1, "count": 1}}, "6": {"tg": {"cost": 2, "count": 5}}}, {"country": 6, "service": "tg"},
     [{"id": "any", "name": "any operator", "price": 2.0, "stock": 5}]),
    ({"0": {"tg": {"cost": 1, "count": 1}}}, {"country": "6", "service": "tg"}, []),
    ({"0": {"wa": {"cost": 1, "count": 1}}}, {"country": "0", "service": "tg"}, []),
    ([], None, []), ({}, None, []), ({"0": {}}, None, []),
])
def test_products_for_the_asked_country_and_service(body, asked, products):
    assert read(Op.PRODUCTS, body, order=asked) == products


TG_186 = {"country": "186", "service": "tg"}


@pytest.mark.parametrize("body, asked, products", [
    # privatesms.vip's documented example: service -> country -> a bare price, no stock (unknown, still buyable)
    ({"tg": {"186": 0.22}}, TG_186, [{"id": "any", "name": "any operator", "price": 0.22, "stock": None}]),
    ({"tg": {"186": 0.22}}, None, [{"id": "any", "name": "any operator", "price": 0.22, "stock": None}]),
    ({"tg": {"186": 0.22, "0": 0.3}}, TG_186, [{"id": "any", "name": "any operator", "price": 0.22, "stock": None}]),
    ({"tg": {"0": 0.3}}, TG_186, []),
    ({"186": {"tg": 0.22}}, TG_186, [{"id": "any", "name": "any operator", "price": 0.22, "stock": None}]),
    ({"tg": {"186": {"cost": "0.50", "count": 3}}}, TG_186,  # cost as a string
     [{"id": "any", "name": "any operator", "price": 0.5, "stock": 3}]),
    # HeroSMS's OpenAPI successGetPrices: by service in a one-item list, count beside physicalCount
    ([{"baa": {"cost": 0.08, "count": 25370, "physicalCount": 14528}}], {"country": "6", "service": "baa"},
     [{"id": "any", "name": "any operator", "price": 0.08, "stock": 25370}]),
    ({"6": {"baa": {"cost": 0.08, "physicalCount": 14528}}}, None,
     [{"id": "any", "name": "any operator", "price": 0.08, "stock": 14528}]),
    # retail_price (sms-activate's getTopCountriesByService entries) where no cost or price is given
    ({"6": {"ig": {"retail_price": 0.2, "count": 5477}}}, None,
     [{"id": "any", "name": "any operator", "price": 0.2, "stock": 5477}]),
    ({"6": {"ig": {"price": 0.045, "retail_price": 0.2, "count": 5477}}}, None,
     [{"id": "any", "name": "any operator", "price": 0.045, "stock": 5477}]),
    ({"0": {"tg": {"mts": 10, "beeline": "11.5"}}}, None,  # bare prices per operator
     [{"id": "mts", "name": "mts", "price": 10.0, "stock": None},
      {"id": "beeline", "name": "beeline", "price": 11.5, "stock": None}]),
])
def test_prices_in_every_documented_shape(body, asked, products):
    assert read(Op.PRODUCTS, body, order=asked) == products


@pytest.mark.parametrize("body", [
    {"status": "error", "message": "internal"}, {"data": {"0": {"tg": {"cost": 10, "count": 50}}}},
    {"title": "SERVER_ERROR", "details": "try later"}, {"error": "internal"}, {"0": "no prices"},
    {"0": {"tg": {"cost": 10, "count": 50}}, "status": "ok"}, {"0": {"status": "error"}},
    {"tg": {"Russia": 0.22}}, [{"status": "error"}],
])
@pytest.mark.parametrize("asked", [{"country": "0", "service": "tg"}, {"country": "6", "service": "wa"}, None])
def test_a_price_list_of_another_shape_is_unreadable_never_no_offers(body, asked):
    caught = failure(Op.PRODUCTS, body, order=asked)
    assert (caught.kind, caught.reason) == ("api", "unreadable")
    assert "answer to getPrices" in caught.message and "the price list could not be read" in caught.message


@pytest.mark.parametrize("op", [Op.COUNTRIES, Op.SERVICES, Op.BUY, Op.PRODUCTS])
@pytest.mark.parametrize("status", [200, 302])
def test_the_error_form_with_a_title_no_refusal_has_and_no_4xx_is_unreadable(op, status):
    """api.md: an unknown title without a 4xx is unreadable, never data (a price list with no offers)."""
    assert_unreadable(op, {"title": "SERVER_ERROR", "details": "try later"}, status)


# --- the docs list exactly the tokens of the tables -------------------------------------------------

def doc_section():
    text = API_MD.read_text(encoding="utf-8")
    return text[text.index("\n## sms-activate\n"):].split("\n## ", 2)[1]


def table_rows(title):
    """The rows of the api.md table that follows the paragraph starting with `title`, as lists of cells."""
    section = doc_section()
    lines = section[section.index(title):].split("\n\n|", 1)[1].split("\n\n", 1)[0].splitlines()
    return [[cell.strip() for cell in ("|" + line if i == 0 else line).strip("|").split("|")]
            for i, line in enumerate(lines) if i > 1]


def first_token(cell):
    return re.match(r"`([^`:]+)(?::[^`]*)?`", cell).group(1)


def test_the_docs_list_exactly_the_modules_tokens_and_kinds_each_with_a_source():
    refusals = {first_token(row[0]): (row[1], row[2] == "yes") for row in table_rows("Refusals.")}
    assert refusals == {token: (refusal.kind, refusal.refused) for token, refusal in sa.REFUSALS.items()}
    assert {first_token(row[0]) for row in table_rows("States (`getStatus`)")} == set(sa.STATES)
    assert {first_token(row[0]): row[1] for row in table_rows("Acknowledgements (`setStatus`)")} == \
        {token: op.value for token, op in sa.ACKNOWLEDGEMENTS.items()}
    assert {first_token(row[0]) for row in table_rows("Answers that carry data:")} == set(sa.DATA_TOKENS.values())
    labels = {row[0] for row in table_rows("Every accepted form below names its public source")}
    for title in ("Refusals.", "States (`getStatus`)", "Acknowledgements (`setStatus`)", "Answers that carry data:",
                  "The JSON answers"):
        for row in table_rows(title):
            named = set(re.findall(r"\b[A-Z]{2}\b", row[-1]))
            assert named and named <= labels, (title, row)


def test_the_docs_list_the_common_service_codes():
    assert {row[0].strip("`"): row[1] for row in table_rows("Common service codes")} == sa.COMMON_SERVICES
