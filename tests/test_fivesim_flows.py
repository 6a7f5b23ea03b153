"""The money path on a 5sim site, through the same flows as the other protocols: the key only in a Bearer header,
the code only from an SMS, a cancel at the deadline, a cancel refused because the SMS came giving the code, a lost
purchase answer never bought again, refusals that buy nothing, --test refused, names in the site's own lists, and a
site's own price limit sent as maxPrice."""
import pytest
import requests
import responses
from responses import matchers, registries

from support import KEY
from smsonline.output import EXIT_CODES

SITE = "https://5sim.net/v1"
ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)
activate = responses.activate(assert_all_requests_are_fired=True)
BUY = ("buy", "--country", "russia", "--service", "telegram")
RECEIVE = ("receive", "--country", "russia", "--service", "telegram", "--timeout", "2", "--interval", "1")
COUNTRIES = {"russia": {"iso": {"ru": 1}, "prefix": {"+7": 1}, "text_en": "Russia"},
             "china": {"iso": {"cn": 1}, "prefix": {"+86": 1}, "text_en": "China"}}
SERVICES = {"telegram": {"Category": "activation", "Qty": 120, "Price": 18},
            "wechat": {"Category": "activation", "Qty": 4, "Price": 30}}
PRICES = {"russia": {"telegram": {"beeline": {"cost": 18, "count": 120, "rate": 99.5},
                                  "mts": {"cost": 16, "count": 0}}}}
ORDER = {"id": 7001, "phone": "+79161234567", "operator": "beeline", "product": "telegram", "price": 18,
         "status": "PENDING", "expires": "2026-12-05T10:15:00Z", "sms": [], "created_at": "2026-12-05T10:00:00Z",
         "country": "russia"}
SMS = {"created_at": "2026-12-05T10:01:00Z", "date": "2026-12-05T10:01:00Z", "sender": "Telegram",
       "text": "Telegram code 55821", "code": "55821"}
BEARER = matchers.header_matcher({"Authorization": f"Bearer {KEY}", "Accept": "application/json"})


@pytest.fixture
def site(env):
    env["SMSONLINE_BASE_URLS"] = SITE
    return SITE


def answer(path, body, http_status=200, **query):
    """One answer of the site; the key must come as the Bearer header and the query must be exactly `query`."""
    kwargs = {"json": body} if isinstance(body, (dict, list)) else {"body": body}
    return responses.get(SITE + path, status=http_status, match=[matchers.query_param_matcher(query), BEARER],
                         **kwargs)


def order(**changes):
    return {**ORDER, **changes}


def listed():
    answer("/guest/countries", COUNTRIES)  # "russia" and "telegram" are looked up in the site's own lists
    answer("/guest/products/any/any", SERVICES)
    answer("/guest/prices", PRICES, country="russia", product="telegram")


def bought():
    listed()
    answer("/user/buy/activation/russia/beeline/telegram", ORDER)


def sent(action):
    return [c for c in responses.calls if f"/user/{action}/" in c.request.url]


@ordered
def test_receive_takes_the_code_from_the_sms_and_finishes(cli, site, store):
    bought()
    answer("/user/check/7001", order())
    answer("/user/check/7001", order(status="RECEIVED", sms=[SMS]))
    answer("/user/finish/7001", order(status="FINISHED", sms=[SMS]))
    run = cli(*RECEIVE)
    assert (run.code, run.line["code"], run.line["finished"], run.line["region"]) == (0, "55821", True, "RU")
    assert store.order("7001")["state"] == "finished" and not sent("cancel")
    assert all(KEY not in c.request.url for c in responses.calls)  # the key is never in a URL


@ordered
def test_a_code_field_its_text_contradicts_is_handed_over_never_confirmed(cli, site, store):
    contradicted = {**SMS, "text": "Telegram code 482913. Do not give this code to anyone. Ref 77120", "code": "77120"}
    bought()
    answer("/user/check/7001", order(status="RECEIVED", sms=[contradicted]))
    run = cli(*RECEIVE)
    assert (run.code, run.line["status"], run.line["code"]) == (9, "sms_without_code", None)
    assert run.line["sms"] == contradicted["text"] and store.order("7001")["state"] == "sms_without_code"
    assert not sent("finish") and not sent("cancel")


@ordered
def test_an_older_code_never_stands_in_for_a_newer_sms_whose_field_its_text_contradicts(cli, site, store):
    older = {**SMS, "text": "Telegram code 111222", "code": "111222"}
    newer = {**SMS, "date": "2026-12-05T10:03:00Z", "text": "Telegram: 482913. Ref 77120", "code": "77120"}
    bought()
    answer("/user/check/7001", order(status="RECEIVED", sms=[older, newer]))
    run = cli(*RECEIVE)
    assert (run.code, run.line["status"], run.line["sms"]) == (9, "sms_without_code", newer["text"])
    assert not sent("finish") and not sent("cancel")


@ordered
def test_an_sms_that_came_as_5sim_closed_the_order_is_handed_over_paid_and_no_next_number_is_bought(cli, site, env,
                                                                                                   store):
    welcome = {**SMS, "text": "Welcome to Telegram! Tap the link to continue", "code": ""}
    env["SMSONLINE_DAILY_BUDGET_5SIM_NET"] = "20"
    bought()
    answer("/user/check/7001", order(status="FINISHED", sms=[welcome]))
    run = cli(*RECEIVE, "--attempts", "4")
    assert (run.code, run.kind, run.line["order_status"], run.line["sms"]) == (3, "order_closed", "closed",
                                                                               welcome["text"])
    assert run.line["attempts_summary"] == "1 number tried, number 1 got an SMS without a code; 1 closed, 18 spent."
    assert len(sent("buy")) == 1 and not sent("cancel") and not sent("finish")
    assert store.order("7001")["sms"] == welcome["text"] and store.money() == (18.0, 0.0)  # paid: the budget knows


@ordered
def test_an_sms_seen_only_once_the_cancel_is_refused_and_5sim_closed_the_order_is_paid_and_handed_over(cli, site,
                                                                                                      store):
    welcome = {**SMS, "text": "Welcome to Telegram! Tap the link to continue", "code": ""}
    bought()
    for _ in range(3):
        answer("/user/check/7001", order())
    answer("/user/cancel/7001", "order has sms", 400)
    answer("/user/check/7001", order(status="FINISHED", sms=[welcome]))
    run = cli(*RECEIVE, "--attempts", "3")
    assert (run.code, run.kind, run.line["order_status"], run.line["sms"]) == (1, "timeout", "closed", welcome["text"])
    assert run.line["attempts_summary"] == "1 number tried, number 1 got an SMS without a code; 1 closed, 18 spent."
    assert len(sent("buy")) == 1 and store.money() == (18.0, 0.0)


@pytest.mark.parametrize("then", ["FINISHED", "RECEIVED"])
@ordered
def test_an_sms_the_rule_reads_as_a_status_line_still_makes_the_order_paid_once_the_cancel_is_refused(cli, site,
                                                                                                    store, then):
    """"order has sms": whatever its text (here one the skill reads as a status line), the SMS came and the order is
    paid, closed by the platform or later forgotten by hand (red-team round 6)."""
    status_like = {**SMS, "text": "Your Telegram code was sent to the app", "code": ""}
    bought()
    for _ in range(3):
        answer("/user/check/7001", order())
    answer("/user/cancel/7001", "order has sms", 400)
    answer("/user/check/7001", order(status=then, sms=[status_like]))
    run = cli(*RECEIVE)
    assert run.line["order_status"] == ("closed" if then == "FINISHED" else "cancelling")
    if then == "RECEIVED":
        assert cli("cleanup", "--forget", "7001").code == 0
    assert store.order("7001")["sms"] == status_like["text"] and store.money() == (18.0, 0.0)


@ordered
def test_no_sms_by_the_deadline_is_cancelled(cli, site, store):
    bought()
    for _ in range(3):  # at once, after 1 s, at the deadline
        answer("/user/check/7001", order(status="RECEIVED"))
    answer("/user/cancel/7001", order(status="CANCELED"))
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelled") and not sent("finish")


@ordered
def test_a_cancel_refused_because_the_sms_came_gives_the_code(cli, site, store):
    bought()
    for _ in range(3):
        answer("/user/check/7001", order())
    answer("/user/cancel/7001", "order has sms", 400)
    answer("/user/check/7001", order(status="RECEIVED", sms=[SMS]))
    answer("/user/finish/7001", order(status="FINISHED", sms=[SMS]))
    run = cli(*RECEIVE)
    assert (run.code, run.line["code"], run.line["finished"]) == (0, "55821", True)


@ordered
def test_an_order_5sim_timed_out_is_closed_and_costs_nothing(cli, site, store):
    bought()
    answer("/user/check/7001", order(status="TIMEOUT"))
    answer("/user/cancel/7001", "order expired", 400)  # the cancel to be sure: already closed
    answer("/user/check/7001", order(status="TIMEOUT"))
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"]) == (3, "order_closed", "closed")


@pytest.mark.parametrize("body, status", [(requests.exceptions.ConnectionError("reset after send"), 200),
                                          ("<html>502 Bad Gateway</html>", 502), ("bad request", 400),
                                          ({"id": 7001}, 200), (order(id=None), 200), (order(id=True), 200)])
@activate
def test_a_lost_or_unreadable_purchase_answer_is_never_bought_again(cli, site, store, body, status):
    listed()
    answer("/user/buy/activation/russia/beeline/telegram", body, status)
    run = cli(*BUY)
    assert (run.code, run.kind) in ((3, "api"), (4, "network")) and len(sent("buy")) == 1
    assert [o["state"] for o in store.orders()] == ["unknown"]
    with responses.RequestsMock() as mock:  # and the next buy buys nothing while it may exist
        mock.get(SITE + "/guest/prices", json=PRICES)
        assert cli(*BUY).kind == "open_order"


@pytest.mark.parametrize("text, kind", [("no free phones", "no_numbers"), ("not enough user balance", "balance"),
                                        ("bad operator", "usage"), ("not enough rating", "api")])
@activate
def test_refusals_buy_nothing(cli, site, store, text, kind):
    listed()
    answer("/user/buy/activation/russia/beeline/telegram", text, 400)
    run = cli(*BUY)
    assert (run.code, run.kind) == (EXIT_CODES[kind], kind) and store.orders() == []


@activate
def test_a_refused_key_is_auth(cli, site, store):
    answer("/guest/countries", "", 401)
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "auth") and store.orders() == []


def test_test_mode_is_refused_before_anything_is_bought(cli, site, store):
    with responses.RequestsMock():  # a "test" purchase there would be real: nothing may be sent
        run = cli(*BUY, "--test")
    assert (run.code, run.kind) == (2, "usage") and "no test mode" in run.line["error"]["message"]


@ordered
def test_names_resolve_in_the_sites_own_lists(cli, site, store):
    answer("/guest/countries", COUNTRIES)
    answer("/guest/products/any/any", SERVICES)
    answer("/guest/prices", PRICES, country="russia", product="telegram")
    answer("/user/buy/activation/russia/beeline/telegram", ORDER)
    run = cli("buy", "--country", "俄罗斯", "--service", "Telegram")
    assert (run.code, run.line["country_id"], run.line["service_id"], run.line["operator_id"]) == \
        (0, "russia", "telegram", "beeline")


@ordered
def test_wait_next_takes_only_a_new_sms_from_the_list(cli, site, store):
    bought()
    answer("/user/check/7001", order(status="RECEIVED", sms=[SMS]))
    assert cli(*BUY).code == 0
    second = {**SMS, "text": "Telegram code 77120", "code": "77120"}
    assert cli("wait", "--id", "7001").line["code"] == "55821"
    answer("/user/check/7001", order(status="RECEIVED", sms=[SMS]))  # the same SMS: not new
    answer("/user/check/7001", order(status="RECEIVED", sms=[SMS, second]))
    run = cli("wait", "--id", "7001", "--next", "--interval", "1")
    assert run.line["code"] == "77120"  # and nothing was asked of the platform to get it: it has no such action


@activate
def test_a_sites_own_price_limit_is_sent_as_max_price(cli, site, env, store):
    env["SMSONLINE_MAX_PRICE_5SIM_NET"] = "20"
    listed()
    answer("/user/buy/activation/russia/beeline/telegram", ORDER, maxPrice="20")
    run = cli(*BUY)
    assert (run.code, run.line["price"]) == (0, 18)


@activate
def test_a_general_price_limit_is_not_applied_to_another_currency(cli, site, env, store):
    env["SMSONLINE_MAX_PRICE"] = "0.5"  # in SMSOnline's currency: this site prices in its own
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget") and "SMSONLINE_MAX_PRICE_5SIM_NET" in run.line["error"]["message"]


@activate
def test_a_check_answered_by_another_order_never_gives_its_code(cli, site, store):
    bought()
    answer("/user/check/7001", order(id=7002, status="RECEIVED", sms=[SMS]))  # every poll: order 7002, with a code
    answer("/user/cancel/7001", order(status="CANCELED"))
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelled")
    assert run.line.get("code") is None and not sent("finish") and store.order("7001")["code"] is None


@pytest.mark.parametrize("settled", [order(id=7002, status="CANCELED"), order(id=True, status="CANCELED"),
                                     {key: value for key, value in order(status="CANCELED").items() if key != "id"}])
@ordered
def test_a_cancel_answered_by_another_order_or_none_leaves_the_order_unsettled(cli, site, store, settled):
    bought()
    assert cli(*BUY).code == 0
    answer("/user/cancel/7001", settled)
    answer("/user/check/7001", order())  # read again: still waiting
    run = cli("cancel", "--id", "7001")
    assert (run.code, run.kind) == (6, "cancel_failed")
    assert "answer to cancel could not be read" in run.line["error"]["message"]
    assert store.order("7001")["state"] not in ("cancelled", "closed")


@pytest.mark.parametrize("prices", [{"error": "internal server error"}, {"message": "Too many requests",
                                                                        "status": 429},
                                    {"Russia": PRICES["russia"]}, {"data": PRICES},
                                    {"telegram": {"russia": PRICES["russia"]["telegram"]}}])
@activate
def test_a_price_list_of_another_shape_is_api_never_no_numbers(cli, site, store, prices):
    answer("/guest/countries", COUNTRIES)
    answer("/guest/products/any/any", SERVICES)
    answer("/guest/prices", prices, country="russia", product="telegram")
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "api") and "the price list could not be read" in run.line["error"]["message"]
    assert store.orders() == [] and not sent("buy")
    assert cli("products", "--country", "russia", "--service", "telegram").kind == "api"
