"""The 5sim protocol module: every request, every refusal and state of its tables, and strictness (anything else is
unreadable, never a code and never an acknowledgement). Plain Reply objects, no HTTP. Answers are written as 5sim's
public docs (5sim.net/docs) and its clients show them (reference/api.md, "5sim")."""
import re
from pathlib import Path

import pytest

from strict_support import Reading
from support import output, shapes
from smsonline import fivesim as fs, platform  # noqa: E402  (support sets the path)

Op = platform.Op
API_MD = Path(__file__).resolve().parent.parent / "reference" / "api.md"
ORDER = {"order_id": "53533933", "number": "+79085895281"}
# the order as 5sim's docs give it (order history's example), waiting for its SMS
PENDING = {"id": 53533933, "phone": "+79085895281", "operator": "tele2", "product": "telegram", "price": 2,
           "status": "PENDING", "expires": "2020-06-28T16:32:43.307041Z", "sms": [],
           "created_at": "2020-06-28T16:17:43.307041Z", "country": "russia"}
SMS = {"created_at": "2020-06-28T16:20:01.12Z", "date": "2020-06-28T16:20:01.1Z", "sender": "Telegram",
       "text": "Telegram code 48291", "code": "48291"}


READING = Reading(fs, "application/json")
read, failure, assert_unreadable = READING.read, READING.failure, READING.assert_unreadable


def order(**changes):
    return {**PENDING, **changes}


# --- the declaration and the requests ----------------------------------------------------------------

def test_the_key_travels_as_a_bearer_header_never_in_a_query():
    protocol = fs.PROTOCOL
    assert (protocol.name, protocol.prefix, protocol.test_mode) == ("5sim", "5sim+", False)
    assert protocol.key_query("test-key-x") == {}
    assert protocol.key_headers("test-key-x") == {"Authorization": "Bearer test-key-x", "Accept": "application/json"}
    assert protocol.operations == set(Op) - {Op.ANOTHER_SMS}


@pytest.mark.parametrize("op, params, expected", [
    (Op.COUNTRIES, {}, ("/guest/countries", {})),
    (Op.SERVICES, {}, ("/guest/products/any/any", {})),
    (Op.BALANCE, {}, ("/user/profile", {})),
    (Op.PRODUCTS, {"country": "russia", "service": "telegram"},
     ("/guest/prices", {"country": "russia", "product": "telegram"})),
    (Op.BUY, {"country": "russia", "service": "telegram", "operator": None, "max_price": None},
     ("/user/buy/activation/russia/any/telegram", {})),
    (Op.BUY, {"country": "russia", "service": "telegram", "operator": "beeline", "max_price": 0.00001},
     ("/user/buy/activation/russia/beeline/telegram", {"maxPrice": "0.00001"})),
    (Op.BUY, {"country": "../user/ban", "service": "tele gram", "operator": "", "max_price": 12.5},
     ("/user/buy/activation/..%2Fuser%2Fban/any/tele%20gram", {"maxPrice": "12.5"})),
    (Op.READ, {"order_id": "53533933"}, ("/user/check/53533933", {})),
    (Op.FINISH, {"order_id": "53533933"}, ("/user/finish/53533933", {})),
    (Op.CANCEL, {"order_id": "53533933"}, ("/user/cancel/53533933", {})),
    (Op.REFUND, {"order_id": "53533933"}, ("/user/ban/53533933", {})),
])
def test_requests_escape_their_path_segments_and_carry_no_key(op, params, expected):
    assert fs.request(op, params) == expected


@pytest.mark.parametrize("call", [lambda: fs.request(Op.ANOTHER_SMS, {"order_id": "1"}),
                                  lambda: fs.read(Op.ANOTHER_SMS, READING.reply(PENDING))])
def test_another_sms_is_refused_as_usage_before_anything_is_sent(call):
    with pytest.raises(output.Failure) as caught:
        call()
    assert caught.value.kind == "usage" and "nothing was sent" in caught.value.message


# --- refusals: one table, text -> kind; "refused" only where nothing can have been bought ---------------

REFUSALS = [  # text, kind, proves nothing was bought
    ("no free phones", "no_numbers", True), ("not enough user balance", "balance", True),
    ("not enough rating", "api", True), ("bad country", "usage", True), ("country is incorrect", "usage", True),
    ("select country", "usage", True), ("bad operator", "usage", True), ("select operator", "usage", True),
    ("no product", "usage", True), ("product is incorrect", "usage", True), ("server offline", "api", True),
    ("api limit is 100 requests per second", "api", True), ("ip address limit is 100 requests per second", "api", True),
    ("order not found", "not_found", True), ("record not found", "not_found", True),
    ("order expired", "order_closed", True), ("order has sms", "api", True), ("order no sms", "api", True),
    ("hosting order", "api", True), ("you need to wait time", "early_cancel", True),
]


def test_the_refusal_table_is_the_one_tested():
    assert {text: (r.kind, r.refused) for text, r in fs.REFUSALS.items()} == \
        {text: (kind, refused) for text, kind, refused in REFUSALS}


@pytest.mark.parametrize("text, kind, refused", REFUSALS)
@pytest.mark.parametrize("status", [400, 200])  # as published (400), and as some clients meet it (200)
def test_every_refusal_has_its_kind(text, kind, refused, status):
    caught = failure(Op.BUY, f"{text}\n", status, content_type="text/plain; charset=utf-8")
    assert caught.kind == kind and (caught.reason == "refused") == refused and text in caught.message


@pytest.mark.parametrize("body", ["No free phones", "no free phones!", "no free phones: beeline", "NO_NUMBERS",
                                  '{"error": "no free phones"}', "bad request"])
def test_a_refusal_not_in_the_table_is_unreadable_not_refused(body):
    assert_unreadable(Op.BUY, body, 400)


@pytest.mark.parametrize("status, body", [(401, ""), (401, "Unauthorized"), (403, "forbidden")])
def test_http_401_and_403_are_auth(status, body):
    caught = failure(Op.BALANCE, body, status)
    assert (caught.kind, caught.reason) == ("auth", "refused")


@pytest.mark.parametrize("status, body", [(500, "no free phones"), (502, PENDING), (503, "")])
def test_5xx_is_unreadable_whatever_it_says(status, body):
    assert_unreadable(Op.BUY, body, status)


def test_an_html_page_is_api_never_data():
    caught = failure(Op.READ, "<html><body>Just a moment…</body></html>", content_type="text/html")
    assert (caught.kind, caught.reason) == ("api", "html")


@pytest.mark.parametrize("op, status", [(Op.BUY, 404), (Op.READ, 302), (Op.CANCEL, 400)])
def test_data_and_acknowledgements_only_from_2xx(op, status):
    assert_unreadable(op, order(status="CANCELED"), status)


# --- lists --------------------------------------------------------------------------------------------

def test_countries_by_name_with_the_english_name():
    body = {"russia": {"iso": {"ru": 1}, "prefix": {"+7": 1}, "text_en": "Russia", "text_ru": "Россия"},
            "england": {"iso": {"gb": 1}, "prefix": {"+44": 1}, "text_en": "England"}}
    assert read(Op.COUNTRIES, body) == [{"id": "russia", "name": "Russia"}, {"id": "england", "name": "England"}]
    assert_unreadable(Op.COUNTRIES, {"russia": {"iso": {"ru": 1}}})


def test_services_are_the_activation_products():
    body = {"telegram": {"Category": "activation", "Qty": 120, "Price": 18},
            "amazon": {"Category": "hosting", "Qty": 3, "Price": 40}, "vkontakte": {"Category": "activation",
                                                                                 "Qty": 0, "Price": 9}}
    assert read(Op.SERVICES, body) == [{"id": "telegram", "name": "telegram"}, {"id": "vkontakte", "name": "vkontakte"}]
    assert_unreadable(Op.SERVICES, {"telegram": {"Category": "activation", "Qty": "many", "Price": 18}})


PRICES = {"russia": {"telegram": {"beeline": {"cost": 18, "count": 120, "rate": 99.5},
                                  "mts": {"cost": 16.5, "count": 0}, "tele2": {"cost": 0, "count": 4, "rate": 0}}}}
ASKED = {"country": "russia", "service": "telegram"}


def test_offers_by_operator_keep_the_rate_where_given():
    assert read(Op.PRODUCTS, PRICES, order=ASKED) == [
        {"id": "beeline", "name": "beeline", "price": 18, "stock": 120, "rate": 99.5},
        {"id": "mts", "name": "mts", "price": 16.5, "stock": 0},
        {"id": "tele2", "name": "tele2", "price": None, "stock": 4, "rate": 0}]


@pytest.mark.parametrize("asked", [{"country": "china", "service": "telegram"}, {"country": "russia",
                                                                                "service": "wechat"}])
def test_a_country_or_product_not_listed_holds_no_offers(asked):
    assert read(Op.PRODUCTS, PRICES, order=asked) == []


@pytest.mark.parametrize("offer", [{"cost": "18", "count": 1}, {"cost": 18, "count": True}, {"cost": 18},
                                   {"cost": 18, "count": 1, "rate": "high"}])
def test_an_offer_of_another_shape_is_unreadable(offer):
    assert_unreadable(Op.PRODUCTS, {"russia": {"telegram": {"beeline": offer}}}, order=ASKED)


@pytest.mark.parametrize("body", [
    {"error": "internal server error"}, {"message": "Too many requests", "status": 429},
    {"Russia": {"telegram": {"beeline": {"cost": 18, "count": 120}}}},  # a country as no 5sim name is written
    {"telegram": {"russia": {"beeline": {"cost": 18, "count": 120}}}},  # product first: not 5sim's nesting
    {"data": PRICES}, {"russia": {"telegram": {"beeline": {"cost": 18, "count": 120}}}, "china": "none"},
    {"russia": {"Telegram": {}}}, {"russia": {"telegram": {"Beeline": {"cost": 18, "count": 120}}}}, [PRICES],
])
def test_a_price_list_of_another_shape_is_unreadable_never_no_offers(body):
    caught = failure(Op.PRODUCTS, body, order=ASKED)
    assert (caught.kind, caught.reason) == ("api", "unreadable")
    assert "answer to products" in caught.message and "the price list could not be read" in caught.message
    assert read(Op.PRODUCTS, {}, order=ASKED) == [] == read(Op.PRODUCTS, {"russia": {}}, order=ASKED)


@pytest.mark.parametrize("body, amount", [({"id": 1, "email": "a@b.c", "balance": 100, "rating": 96}, 100.0),
                                          ({"balance": 0.5}, 0.5)])
def test_balance_from_the_profile(body, amount):
    assert read(Op.BALANCE, body) == amount


@pytest.mark.parametrize("body", [{"balance": "100"}, {"balance": True}, {"rating": 96}, [100]])
def test_a_profile_without_a_numeric_balance_is_unreadable(body):
    assert_unreadable(Op.BALANCE, body)


# --- a purchase -----------------------------------------------------------------------------------------

def test_a_purchase_is_the_order_bought():
    assert read(Op.BUY, PENDING) == {"order_id": "53533933", "number": "+79085895281", "price": 2.0,
                                     "price_unreadable": False}
    assert read(Op.BUY, order(price="2 RUB"))["price_unreadable"]


@pytest.mark.parametrize("changes", [{"id": True}, {"id": "53533933x"}, {"phone": "79085895281"},
                                     {"phone": 79085895281}, {"status": "SOLD"}, {"id": None}, {"id": 53533933.0},
                                     {"id": False}, {"id": ""}, {"id": [53533933]}, {"phone": None}])
def test_a_purchase_of_another_shape_is_unreadable(changes):
    assert_unreadable(Op.BUY, order(**changes))
    assert_unreadable(Op.BUY, {key: value for key, value in PENDING.items() if key != "id"})


# --- the order's state and its SMS --------------------------------------------------------------------

@pytest.mark.parametrize("status, closed", [("PENDING", False), ("RECEIVED", False), ("CANCELED", True),
                                            ("TIMEOUT", True), ("FINISHED", True), ("BANNED", True)])
def test_states_without_an_sms_give_no_code(status, closed):
    state = read(Op.READ, order(status=status), order=ORDER)
    assert (state.code, state.closed) == (None, closed)


def test_the_states_table_is_the_one_tested():
    assert fs.STATES == {"PENDING": "waiting", "RECEIVED": "waiting", "CANCELED": "closed", "TIMEOUT": "closed",
                         "FINISHED": "closed", "BANNED": "closed"}


def test_an_unknown_state_is_unreadable():
    assert_unreadable(Op.READ, order(status="received"))


@pytest.mark.parametrize("sms, code", [
    ([SMS], "48291"),
    ([{**SMS, "code": ""}], "48291"),  # the text's code, by the one rule for a code
    ([{**SMS, "text": "Your order 53533933 ships today", "code": ""}], None),  # digits without evidence
    ([{**SMS, "code": "53533933", "text": "hello"}], None),  # the order id is never a code
])
def test_a_code_only_from_an_sms_with_evidence(sms, code):
    state = read(Op.READ, order(status="RECEIVED", sms=sms), order=ORDER)
    assert state.code == code and state.sms == sms[0]["text"]


def test_a_code_that_came_wins_over_a_closed_state():
    state = read(Op.READ, order(status="FINISHED", sms=[SMS]), order=ORDER)
    assert (state.code, state.closed) == ("48291", False)


def test_wait_next_takes_the_newest_sms_not_seen_before():
    second = {**SMS, "text": "Telegram code 77310", "code": "77310"}
    first = read(Op.READ, order(status="RECEIVED", sms=[SMS]), order=ORDER)
    seen = shapes.seen_after([], first)
    assert read(Op.READ, order(status="RECEIVED", sms=[SMS]), order=ORDER, seen=seen).code is None
    assert read(Op.READ, order(status="RECEIVED", sms=[SMS, second]), order=ORDER, seen=seen).code == "77310"


def test_code_regex_reads_the_sms_text():
    sms = [{**SMS, "text": "PIN A7K2Q9 for login", "code": ""}]
    assert read(Op.READ, order(status="RECEIVED", sms=sms), order=ORDER, code_regex=r"PIN (\w+)").code == "A7K2Q9"


@pytest.mark.parametrize("sms", [[{"text": 48291}], [{"code": "48291"}], "48291", [{**SMS, "code": 48291}]])
def test_an_sms_list_of_another_shape_is_unreadable(sms):
    assert_unreadable(Op.READ, order(status="RECEIVED", sms=sms), order=ORDER)


# --- acknowledgements ----------------------------------------------------------------------------------

@pytest.mark.parametrize("op, status", [(Op.FINISH, "FINISHED"), (Op.CANCEL, "CANCELED"), (Op.REFUND, "BANNED")])
def test_the_order_in_the_actions_own_state_acknowledges_it(op, status):
    assert read(op, order(status=status), order=ORDER) is None


@pytest.mark.parametrize("op, status", [(Op.CANCEL, "TIMEOUT"), (Op.CANCEL, "FINISHED"), (Op.FINISH, "CANCELED"),
                                        (Op.REFUND, "TIMEOUT")])
def test_the_order_closed_otherwise_is_order_closed(op, status):
    assert failure(op, order(status=status), order=ORDER).kind == "order_closed"


@pytest.mark.parametrize("op, body", [(Op.CANCEL, order(status="PENDING")), (Op.FINISH, order(status="RECEIVED")),
                                      (Op.CANCEL, ""), (Op.CANCEL, "success"), (Op.CANCEL, {"status": "CANCELED"})])
def test_nothing_else_is_an_acknowledgement(op, body):
    assert_unreadable(op, body, order=ORDER)


# --- every answer about an order is that order ---------------------------------------------------------

NOT_THIS_ORDER = [{"id": 2002}, {"id": "2002"}, {"id": True}, {"id": None}, {"id": 53533933.0}, {"id": "53533933x"},
                  {"id": [53533933]}]


@pytest.mark.parametrize("changes", NOT_THIS_ORDER)
@pytest.mark.parametrize("op, status", [(Op.READ, "RECEIVED"), (Op.READ, "CANCELED"), (Op.FINISH, "FINISHED"),
                                        (Op.CANCEL, "CANCELED"), (Op.REFUND, "BANNED"), (Op.CANCEL, "TIMEOUT")])
def test_an_answer_about_another_order_or_none_is_unreadable_never_its_code_nor_its_settlement(op, status, changes):
    caught = failure(op, order(status=status, sms=[SMS], **changes), order=ORDER)
    assert (caught.kind, caught.reason) == ("api", "unreadable") and f"answer to {op.value}" in caught.message
    assert "not order 53533933" in caught.message or "where order 53533933 was asked" in caught.message
    without_id = {key: value for key, value in order(status=status).items() if key != "id"}
    assert_unreadable(op, without_id, order=ORDER)


@pytest.mark.parametrize("op", [Op.FINISH, Op.CANCEL, Op.REFUND, Op.READ])
def test_an_answer_about_an_order_is_held_to_the_order_given(op):
    status = {Op.READ: "RECEIVED", **{action: state for action, (_, state) in fs.SETTLED.items()}}[op]
    asked = {"order_id": "1001"}
    assert read(op, order(id=1001, status=status), order=asked) is None or op is Op.READ
    assert "it names order 53533933, not order 1001" in failure(op, order(status=status, sms=[SMS]),
                                                                order=asked).message
    assert_unreadable(op, order(status=status))  # no order given: no answer can be about it


# --- the docs list what the module reads ----------------------------------------------------------------

def doc_section():
    text = API_MD.read_text(encoding="utf-8")
    return text[text.index("\n## 5sim\n"):].split("\n## ", 2)[1]


def test_the_docs_list_exactly_the_modules_refusals_states_and_kinds():
    rows = [line for line in doc_section().splitlines() if line.startswith("| `")]
    refusals = {m.group(1): (m.group(2), m.group(3) == "yes")
                for m in (re.match(r"\| `([a-z][a-z0-9 ]+)` \| (\w+) \| (yes|no) \|", row) for row in rows) if m}
    states = {m.group(1): m.group(2) for m in (re.match(r"\| `([A-Z]+)` \| (\w+) \|", row) for row in rows) if m}
    assert refusals == {text: (r.kind, r.refused) for text, r in fs.REFUSALS.items()}
    assert states == fs.STATES
