"""The money path on an sms-activate site (handler_api.php), through the same flows as SMSOnline: the code from
STATUS_OK, 6 only for a code, 8 for every order not used, a dropped getNumber never bought again, ids and lists per
site, --test refused, wait --next asking for another SMS, and a dead SMSOnline base handing over to such a site."""
import pytest
import requests
import responses
from responses import matchers, registries

import fakes
from support import KEY, PRIMARY

SITE = "https://sa.example.test/stubs/handler_api.php"
ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)
activate = responses.activate(assert_all_requests_are_fired=True)
BUY = ("buy", "--country", "0", "--service", "tg")
RECEIVE = ("receive", "--country", "0", "--service", "tg", "--timeout", "2", "--interval", "1")
COUNTRIES = {"0": {"id": 0, "rus": "Россия", "eng": "Russia", "chn": "俄罗斯"},
             "3": {"id": 3, "rus": "Китай", "eng": "China", "chn": "中国"}}
PRICES = {"0": {"tg": {"cost": 12.5, "count": 40}}}
SERVICES = {"status": "success", "services": [{"code": "tg", "name": "Telegram"}, {"code": "wx", "name": "WeChat"}]}


@pytest.fixture
def site(env):
    env["SMSONLINE_BASE_URLS"] = SITE
    return SITE


def action(name, body, http_status=200, **params):
    """One answer of the site to one action (the key is sent as api_key)."""
    query = {"api_key": KEY, "action": name, **{k: str(v) for k, v in params.items()}}
    kwargs = {"json": body} if isinstance(body, (dict, list)) else {"body": body}
    return responses.get(SITE, status=http_status, match=[matchers.query_param_matcher(query)], **kwargs)


def listed():
    action("getServicesList", SERVICES)  # "tg" is looked up in the site's own list: its ids are not digits
    action("getPrices", PRICES, service="tg", country="0")  # the price, for the ledger's spending


def bought(order_id="7001", number="79161234567"):
    listed()
    action("getNumber", f"ACCESS_NUMBER:{order_id}:{number}", service="tg", country="0")
    action("getCountries", COUNTRIES)  # the number's country, from the site's own list


def bought_and_no_sms_by_the_deadline():
    bought()
    for _ in range(3):  # at once, after 1 s, at the deadline
        action("getStatus", "STATUS_WAIT_CODE", id="7001")


def sent_statuses():
    return [c.request.url.split("status=")[1][:1] for c in responses.calls if "setStatus" in c.request.url]


@ordered
def test_receive_takes_the_code_from_status_ok_and_completes_with_6(cli, site, store):
    bought()
    action("getStatus", "STATUS_WAIT_CODE", id="7001")
    action("getStatus", "STATUS_OK:Your Telegram code is 482-913", id="7001")
    action("setStatus", "ACCESS_ACTIVATION", id="7001", status="6")
    run = cli(*RECEIVE)
    assert (run.code, run.line["code"], run.line["finished"]) == (0, "482913", True)
    assert (run.line["number"], run.line["dial_code"], run.line["national_number"], run.line["region"]) == \
        ("+79161234567", "7", "9161234567", "RU")
    assert sent_statuses() == ["6"] and store.order("7001")["state"] == "finished"


@ordered
def test_a_timeout_cancels_with_8_and_never_sends_6(cli, site, store):
    bought_and_no_sms_by_the_deadline()
    action("setStatus", "ACCESS_CANCEL", id="7001", status="8")
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelled")
    assert sent_statuses() == ["8"]


@ordered
def test_an_early_cancel_refusal_waits_for_cleanup_and_says_when(cli, site, store):
    bought_and_no_sms_by_the_deadline()
    action("setStatus", "EARLY_CANCEL_DENIED", id="7001", status="8")
    action("getStatus", "STATUS_WAIT_CODE", id="7001")  # the refusal is checked against the order's state
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelling") and run.line["cancel_after"]
    action("setStatus", "ACCESS_CANCEL", id="7001", status="8")
    assert cli("cleanup", "--all").code == 0 and store.order("7001")["state"] == "cancelled"


@ordered
def test_a_cancel_refused_because_the_sms_came_gives_the_code(cli, site, store):
    bought_and_no_sms_by_the_deadline()
    action("setStatus", "BAD_STATUS", id="7001", status="8")
    action("getStatus", "STATUS_OK:55821", id="7001")
    action("setStatus", "ACCESS_ACTIVATION", id="7001", status="6")
    run = cli(*RECEIVE)
    assert (run.code, run.line["code"]) == (0, "55821") and sent_statuses() == ["8", "6"]


@ordered
def test_a_platform_cancel_is_a_closed_order(cli, site, store):
    bought()
    action("getStatus", "STATUS_CANCEL", id="7001")
    action("setStatus", "STATUS_CANCEL", id="7001", status="8")  # the cancel to be sure: already closed
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"]) == (3, "order_closed", "closed")


@pytest.mark.parametrize("answer", [requests.exceptions.ConnectionError("reset after send"), "ERROR_SQL",
                                    "<html>502 Bad Gateway</html>",  # and getNumberV2's form without an order id:
                                    {"activationId": None, "phoneNumber": "79001234567", "activationCost": 12.5},
                                    {"activationId": True, "phoneNumber": "79001234567", "activationCost": 12.5}])
@activate
def test_a_dropped_or_unreadable_get_number_is_never_bought_again(cli, site, store, answer):
    listed()
    action("getNumber", answer, http_status=502 if isinstance(answer, str) and answer.startswith("<") else 200,
           service="tg", country="0")
    run = cli(*BUY)
    assert (run.code, run.kind) in ((3, "api"), (4, "network"))
    assert len([c for c in responses.calls if "getNumber" in c.request.url]) == 1  # never retried
    assert [o["state"] for o in store.orders()] == ["unknown"]
    with responses.RequestsMock() as mock:  # and the next buy buys nothing while it may exist
        mock.get(SITE, json=PRICES, match=[matchers.query_param_matcher({"api_key": KEY, "action": "getPrices",
                                                                         "service": "tg", "country": "0"})])
        assert cli(*BUY).kind == "open_order"


@pytest.mark.parametrize("prices", [{"status": "error", "message": "internal"},
                                    {"title": "SERVER_ERROR", "details": "try later"}, {"data": PRICES}])
@activate
def test_a_price_list_of_another_shape_is_api_never_no_numbers(cli, site, store, prices):
    action("getServicesList", SERVICES)
    action("getPrices", prices, service="tg", country="0")
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "api") and "the price list could not be read" in run.line["error"]["message"]
    assert store.orders() == [] and not [c for c in responses.calls if "getNumber" in c.request.url]


@pytest.mark.parametrize("token, kind", [("NO_NUMBERS", "no_numbers"), ("NO_BALANCE", "balance"),
                                         ("BAD_KEY", "auth"), ("WRONG_MAX_PRICE:12.5", "budget")])
@activate
def test_refusals_buy_nothing(cli, site, store, token, kind):
    listed()
    action("getNumber", token, service="tg", country="0")
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, kind) and store.orders() == []


def test_test_mode_is_refused_before_anything_is_bought(cli, site, store):
    with responses.RequestsMock():  # a "test" purchase there would be real: nothing may be sent
        run = cli(*BUY, "--test")
    assert (run.code, run.kind) == (2, "usage") and "no test mode" in run.line["error"]["message"]


@ordered
def test_wait_next_asks_for_another_sms_with_3_and_takes_only_a_new_code(cli, site, store):
    bought()
    action("getStatus", "STATUS_OK:482913", id="7001")
    assert cli("receive", "--country", "0", "--service", "tg", "--no-finish").line["code"] == "482913"
    action("setStatus", "ACCESS_RETRY_GET", id="7001", status="3")
    action("getStatus", "STATUS_WAIT_RETRY:482913", id="7001")
    action("getStatus", "STATUS_OK:482913", id="7001")  # the old code again: not new
    action("getStatus", "STATUS_OK:771204", id="7001")
    run = cli("wait", "--id", "7001", "--next", "--interval", "1")
    assert run.line["code"] == "771204" and sent_statuses() == ["3"]


@pytest.mark.parametrize("answer, kind, state", [("BAD_STATUS", "api", "received"),
                                                  ("ACCESS_READY", "api", "received"),  # no answer to setStatus 3
                                                  ("STATUS_CANCEL", "order_closed", "finished")])
@ordered
def test_a_request_for_another_sms_refused_leaves_the_order_said_and_a_closed_one_closed(cli, site, store, answer,
                                                                                        kind, state):
    """The line carries the order whatever the refusal; a platform that says the order is over ends it in the ledger
    too (it had its code: used). A request bound to the order's site never says "no base URL worked"."""
    bought()
    action("getStatus", "STATUS_OK:482913", id="7001")
    assert cli("receive", "--country", "0", "--service", "tg", "--no-finish").line["code"] == "482913"
    action("setStatus", answer, id="7001", status="3")
    run = cli("wait", "--id", "7001", "--next", "--interval", "1")
    assert (run.code, run.kind) == (3, kind) and "no base URL" not in run.line["error"]["message"]
    assert (run.line["order_id"], run.line["order_status"]) == ("7001", state) == ("7001", store.order("7001")["state"])
    assert sent_statuses() == ["3"]


@ordered
def test_names_resolve_in_the_sites_own_lists(cli, site, store):
    action("getCountries", COUNTRIES)
    action("getServicesList", SERVICES)
    action("getPrices", {"3": {"wx": {"cost": 20, "count": 4}}}, service="wx", country="3")
    action("getNumber", "ACCESS_NUMBER:7002:8613800001549", service="wx", country="3")
    run = cli("buy", "--country", "中国", "--service", "微信")
    assert (run.code, run.line["country_id"], run.line["service_id"], run.line["region"]) == (0, "3", "wx", "CN")


@ordered
def test_a_dead_smsonline_base_hands_over_to_an_sms_activate_site_in_one_receive(cli, env, store):
    env["SMSONLINE_BASE_URLS"] = f"{PRIMARY},{SITE}"
    fakes.add("get-countries", fakes.refused())  # SMSOnline: unreachable, so nothing can have been sold there
    action("getCountries", COUNTRIES)
    listed()
    action("getNumber", "ACCESS_NUMBER:7003:79161234567", service="tg", country="0")
    action("getStatus", "STATUS_OK:Telegram code 55821", id="7003")
    action("setStatus", "ACCESS_ACTIVATION", id="7003", status="6")
    run = cli("receive", "--country", "Russia", "--service", "Telegram")
    assert (run.code, run.line["code"], run.line["base_url"]) == (0, "55821", SITE)


def test_ids_given_on_the_command_line_do_not_cross_to_another_protocol(cli, env, store):
    env["SMSONLINE_BASE_URLS"] = f"{PRIMARY},{SITE}"
    with responses.RequestsMock() as mock:
        mock.get(fakes.url("buy-service"), body=fakes.refused())
        run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (4, "network")  # the sms-activate site was not asked: id 1 means another country
    assert all("handler_api" not in c.request.url for c in mock.calls)


def test_an_id_given_with_a_name_still_keeps_to_the_first_sites_protocol(cli, env):
    env["SMSONLINE_BASE_URLS"] = f"{SITE},{PRIMARY}"
    query = {"api_key": KEY, "action": "getServicesList"}
    with responses.RequestsMock() as mock:
        mock.get(SITE, json={"status": "success", "services": [{"code": "sl", "name": "Soul"}]},
                 match=[matchers.query_param_matcher(query)])
        mock.get(SITE, json={"3": {"sl": {"cost": 12.5, "count": 4}}}, match=[matchers.query_param_matcher(
            {"api_key": KEY, "action": "getPrices", "country": "3", "service": "sl"})])
        mock.get(SITE, body="NO_NUMBERS", match=[matchers.query_param_matcher(
            {"api_key": KEY, "action": "getNumber", "country": "3", "service": "sl"})])
        run = cli("buy", "--country", "3", "--service", "Soul")
    assert (run.code, run.kind) == (3, "no_numbers")
    assert all("premium" not in c.request.url for c in mock.calls)  # 3 is China there, Russia on SMSOnline


@activate
def test_a_general_price_limit_is_not_applied_to_another_currency(cli, site, env, store):
    env["SMSONLINE_MAX_PRICE"] = "0.5"  # in SMSOnline's currency: this site prices in its own
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget")
    assert "SMSONLINE_MAX_PRICE_SA_EXAMPLE_TEST" in run.line["error"]["message"]


@activate
def test_a_sites_own_price_limit_is_sent_as_max_price(cli, site, env, store):
    env["SMSONLINE_MAX_PRICE_SA_EXAMPLE_TEST"] = "15"
    listed()
    action("getNumber", "ACCESS_NUMBER:7004:79161234567", service="tg", country="0", maxPrice="15")
    action("getCountries", COUNTRIES)
    run = cli(*BUY)
    assert (run.code, run.line["price"]) == (0, 12.5)





# --- the forms live sites give (issue 20), through the whole flow -------------------------------------------------

@ordered
def test_access_cancel_already_settles_a_cancel_as_cancelled(cli, site, store):
    bought_and_no_sms_by_the_deadline()
    action("setStatus", "ACCESS_CANCEL_ALREADY", id="7001", status="8")  # GrizzlySMS/HeroSMS clients: cancelled
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelled")
    assert store.order("7001")["state"] == "cancelled"


@ordered
def test_cancel_id_refused_as_too_early_is_early_cancel_exit_3_in_code_json_and_docs(cli, site, store):
    bought()
    assert cli(*BUY).code == 0
    action("setStatus", "EARLY_CANCEL_DENIED", http_status=400, id="7001", status="8")
    action("getStatus", "STATUS_WAIT_CODE", id="7001")
    run = cli("cancel", "--id", "7001")
    assert (run.code, run.kind, run.line["order_status"]) == (3, "early_cancel", "cancelling")
    assert run.line["cancel_after"] and store.order("7001")["state"] == "cancelling"


HERO_422 = {"title": "UNPROCESSABLE_ENTITY", "details": "Validation failed",
            "info": {"field": "api_key", "code": "REQUIRED", "message": ""}}


@activate
def test_a_purchase_refused_with_a_complete_4xx_error_buys_nothing_and_blocks_nothing(cli, site, store):
    listed()
    action("getNumber", HERO_422, http_status=422, service="tg", country="0")
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "api") and "UNPROCESSABLE_ENTITY" in run.line["error"]["message"]
    assert store.orders() == []  # no `unknown` purchase: the next buy is not held back for 20 minutes
    assert "may exist" not in run.line["error"]["message"]


@pytest.mark.parametrize("answer, http_status", [("<html>422</html>", 422), ("Validation failed", 422),
                                                 (HERO_422, 500)])
@activate
def test_a_4xx_page_or_text_or_a_5xx_after_the_request_left_stays_an_uncertain_purchase(cli, site, store, answer,
                                                                                         http_status):
    listed()
    action("getNumber", answer, http_status=http_status, service="tg", country="0")
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "api") and [o["state"] for o in store.orders()] == ["unknown"]


@activate
def test_wrong_max_price_is_budget_with_the_cheapest_offer(cli, site, env, store):
    env["SMSONLINE_MAX_PRICE_SA_EXAMPLE_TEST"] = "13"
    listed()
    action("getNumber", "WRONG_MAX_PRICE:17.5", service="tg", country="0", maxPrice="13")
    run = cli(*BUY)
    assert (run.code, run.kind, run.line["cheapest"]) == (3, "budget", {"price": 17.5, "stock": None})
    assert store.orders() == []


@ordered
def test_privatesms_prices_by_service_then_country_with_no_stock_buy(cli, site, store):
    action("getServicesList", SERVICES)
    action("getPrices", {"tg": {"186": 0.22}}, service="tg", country="186")  # privatesms.vip's documented example
    action("getNumber", "ACCESS_NUMBER:7010:79161234567", service="tg", country="186")
    action("getCountries", COUNTRIES)
    run = cli("buy", "--country", "186", "--service", "tg")
    assert (run.code, run.line["order_id"], run.line["price"]) == (0, "7010", 0.22)


@activate
def test_products_shows_a_bare_price_with_its_stock_unknown(cli, site):
    action("getServicesList", SERVICES)
    action("getPrices", {"tg": {"186": 0.22}}, service="tg", country="186")
    run = cli("products", "--country", "186", "--service", "tg")
    assert (run.code, run.line["items"]) == (0, [{"id": "any", "name": "any operator", "price": 0.22, "stock": None}])


@activate
def test_an_unreadable_price_list_is_api_naming_the_action_never_no_numbers(cli, site, store):
    action("getServicesList", SERVICES)
    action("getPrices", {"0": {"tg": {"cost": 1, "count": "lots"}}}, service="tg", country="0")
    run = cli(*BUY, "--max-price", "20")
    assert (run.code, run.kind) == (3, "api") and "getPrices" in run.line["error"]["message"]
    assert store.orders() == []


@pytest.mark.parametrize("services", [{"tg": "Telegram", "wx": "WeChat"},
                                      [{"code": "tg", "name": "Telegram "}, {"code": "wx", "name": "WeChat"}]])
@ordered
def test_a_plain_map_or_bare_service_list_sells(cli, site, store, services):
    action("getServicesList", services)
    action("getPrices", PRICES, service="tg", country="0")
    action("getNumber", "ACCESS_NUMBER:7011:79161234567", service="tg", country="0")
    action("getCountries", COUNTRIES)
    assert cli("buy", "--country", "0", "--service", "Telegram").line["service_id"] == "tg"


NO_LIST = [("BAD_ACTION", 200), ("", 200), ("Not Found", 404), ({"title": "BAD_ACTION", "details": "Method Not Found"},
                                                                 400)]


@pytest.mark.parametrize("answer, http_status", NO_LIST)
@pytest.mark.parametrize("given, code", [("tg", "tg"), ("Telegram", "tg"), ("电报", "tg"), ("微信", "wb"),
                                         ("gmail", "go"), ("aez", "aez")])
@ordered
def test_a_site_without_a_service_list_takes_codes_and_common_names(cli, site, store, answer, http_status, given,
                                                                     code):
    action("getServicesList", answer, http_status=http_status)
    action("getPrices", {"0": {code: {"cost": 12.5, "count": 40}}}, service=code, country="0")
    action("getNumber", "ACCESS_NUMBER:7012:79161234567", service=code, country="0")
    action("getCountries", COUNTRIES)
    run = cli("buy", "--country", "0", "--service", given)
    assert (run.code, run.line["service_id"]) == (0, code)


@activate
def test_a_name_a_site_without_a_service_list_cannot_resolve_is_usage_listing_codes(cli, site, store):
    action("getServicesList", "BAD_ACTION")
    run = cli("buy", "--country", "0", "--service", "Soul")
    assert (run.code, run.kind) == (2, "usage") and store.orders() == []
    assert "tg Telegram" in run.line["error"]["message"] and "getServicesList" in run.line["error"]["message"]


@activate
def test_a_hidden_country_is_not_offered_by_name_but_buys_by_id(cli, site, store):
    hidden = {"2": {"id": 2, "rus": "Казахстан", "eng": "Kazakhstan", "chn": "哈萨克斯坦", "visible": 0}}
    action("getCountries", {**COUNTRIES, **hidden})
    run = cli("buy", "--country", "Kazakhstan", "--service", "tg")
    assert (run.code, run.kind) == (2, "usage") and store.orders() == []
    action("getServicesList", SERVICES)
    action("getPrices", {"2": {"tg": {"cost": 12.5, "count": 40}}}, service="tg", country="2")
    action("getNumber", "ACCESS_NUMBER:7013:77012345678", service="tg", country="2")
    assert cli("buy", "--country", "2", "--service", "tg").line["order_id"] == "7013"  # by id it buys


@activate
def test_a_bare_price_over_the_limit_is_budget_with_its_stock_said_unknown(cli, site, env, store):
    env["SMSONLINE_MAX_PRICE_SA_EXAMPLE_TEST"] = "0.1"
    action("getServicesList", SERVICES)
    action("getPrices", {"tg": {"186": 0.22}}, service="tg", country="186")
    run = cli("buy", "--country", "186", "--service", "tg")
    assert (run.code, run.kind, run.line["cheapest"]["stock"]) == (3, "budget", None)
    assert "0.22 (stock unknown, operator any)" in run.line["error"]["message"] and store.orders() == []


@activate
@pytest.mark.parametrize("answer", [
    {"activationId": 7001, "phoneNumber": "+79161234567", "activationCost": 999, "currency": 643},  # a "+": misread
    {"activationId": 7001.0, "phoneNumber": "79161234567", "activationCost": "999.00"},  # a float id: misread
    "ACCESS_NUMBER:7001:79161234567:999",  # a field the protocol does not have
], ids=["json-plus", "json-float-id", "text-extra-field"])
def test_a_purchase_read_past_its_refusal_is_charged_at_the_price_it_states(cli, site, env, store, answer):
    """A purchase answer the strict reader refuses is still taken as bought (its order must not be lost); a price
    it states in a field of its own counts: 999 is past the limit, so the order is cancelled at once."""
    env["SMSONLINE_MAX_PRICE_SA_EXAMPLE_TEST"] = "15"
    listed()
    action("getNumber", answer, service="tg", country="0", maxPrice="15")
    action("setStatus", "ACCESS_CANCEL", id="7001", status="8")
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget") and "charged 999" in run.line["error"]["message"]
    assert sent_statuses() == ["8"] and store.order("7001")["state"] == "cancelled"
