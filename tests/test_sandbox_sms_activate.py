"""The sandbox speaking sms-activate (handler_api.php): each action, each refusal, each fault, the state machine and the
money, over real HTTP on loopback. Time is the platform's clock, moved by the tests: no sleeps."""
import json
import socket
import time
import urllib.request
from urllib.error import HTTPError
from urllib.parse import urlencode

import pytest

import smsonline_sandbox as sandbox_module
from strict_support import serving

KEY = "test-key-sandbox-sa"
START = 5000.0  # the default balance in sms-activate's RUB-like amounts
serve = serving("sms-activate", KEY)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def call(server, action, key=KEY, **params):
    """The answer's body: JSON when it is JSON, else the text (any HTTP status but 200 fails the test)."""
    query = {"api_key": key, "action": action, **params} if key is not None else {"action": action, **params}
    status, _, text = get(f"{server.base_url}?{urlencode(query)}")
    assert status == 200, text
    try:
        return json.loads(text)
    except ValueError:
        return text


def control(server, action, **params):
    return json.loads(get(f"{server.root_url}/sandbox/{action}?{urlencode(params)}")[2])


def buy(server, service="wx", country=3, **params):
    """Buy a number: (activation id, digits)."""
    answer = call(server, "getNumber", service=service, country=country, **params)
    word, activation, digits = answer.split(":")
    assert word == "ACCESS_NUMBER"
    return activation, digits


def balance(server):
    return float(call(server, "getBalance").split(":")[1])


# base URL and catalogue -----------------------------------------------------------------

def test_standalone_prints_the_handler_api_php_base_urls(monkeypatch, capsys):
    monkeypatch.setattr(sandbox_module.Sandbox, "serve_forever", lambda self, *args, **kwargs: None)
    sandbox_module.main(["--protocol", "sms-activate", "--fronts", "html-block"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["base_url"].endswith("/stubs/handler_api.php")
    assert [url.endswith("/stubs/handler_api.php") for url in printed["base_urls"]] == [True, True]


def test_start_with_the_protocol_option_serves_handler_api_php_only():
    server = sandbox_module.start(api_key=KEY, options="--protocol sms-activate --fronts other-site")
    try:
        assert server.base_urls[-1] == server.root_url + "/stubs/handler_api.php" == server.base_url
        assert call(server.fronts[0], "getBalance") == "BAD_KEY"  # another site, another key
        assert call(server.fronts[0], "getBalance", key="test-key-other-site") == "ACCESS_BALANCE:5000.00"
        assert get(server.root_url + "/api/v1/virtual-number/get-countries?apiKey=" + KEY)[0] == 404
    finally:
        server.stop()


def test_get_balance_countries_services_and_prices(serve):
    server = serve()
    assert call(server, "getBalance") == "ACCESS_BALANCE:5000.00"
    countries = call(server, "getCountries")
    assert set(countries) == {"0", "3", "6", "16", "187"}
    assert countries["0"] == {"id": 0, "rus": "Россия", "eng": "Russia", "chn": "俄罗斯", "visible": 1, "retry": 1}
    assert countries["3"]["eng"] == "China" and countries["187"]["eng"] == "United States"
    services = call(server, "getServicesList")
    assert services["status"] == "success"
    assert {s["code"]: s["name"] for s in services["services"]} == {
        "sl": "Soul", "bl": "bilibili", "wa": "WhatsApp", "wx": "WeChat", "tg": "Telegram",
        "nc": "No-Code Test Service", "ot": "Silent Test Service"}
    prices = call(server, "getPrices")
    assert set(prices) == set(countries) and set(prices["0"]) == {"sl", "bl", "wa", "wx", "tg", "nc", "ot"}
    assert call(server, "getPrices", country=0, service="sl") == {"0": {"sl": {"cost": 10.62, "count": 165}}}
    assert set(call(server, "getPrices", service="tg")) == set(countries)
    assert set(call(server, "getPrices", country=16)["16"]) == set(prices["16"])


def test_get_countries_as_a_list_as_some_clones_answer(serve):
    countries = call(serve("--countries-form", "list"), "getCountries")
    assert [country["id"] for country in countries] == [0, 3, 6, 16, 187]


# buying -----------------------------------------------------------------------------------

def test_get_number_sells_the_cheapest_in_stock_and_charges_its_cost(serve):
    server = serve("--sms-delay", "60")
    cost = call(server, "getPrices", country=0, service="wx")["0"]["wx"]["cost"]
    activation, digits = buy(server, country=0)
    order = server.platform.snapshot()["orders"][0]
    assert (activation, digits) == (str(order["id"]), order["number"].lstrip("+"))
    assert digits.startswith("7916") and digits.isdigit() and order["price"] == cost
    assert balance(server) == pytest.approx(START - cost)
    buy(server, country=0, operator="mobile", maxPrice="12.5")
    assert server.platform.snapshot()["orders"][1]["price"] == 12.5  # the named operator's price
    assert balance(server) == pytest.approx(START - cost - 12.5)


def test_get_number_v2_answers_json(serve):
    server = serve("--sms-delay", "60")
    answer = call(server, "getNumberV2", service="tg", country=187, operator="telecom")
    order = server.platform.snapshot()["orders"][0]
    assert answer == {"activationId": order["id"], "phoneNumber": order["number"].lstrip("+"),
                      "activationCost": order["price"], "countryCode": "187", "canGetAnotherSms": "1",
                      "activationTime": answer["activationTime"], "activationOperator": "telecom"}
    assert answer["phoneNumber"].startswith("12023") and len(answer["activationTime"]) == 19
    assert balance(server) == pytest.approx(START - order["price"])


@pytest.mark.parametrize("argv, key, action, params, refusal", [
    ([], "wrong", "getBalance", {}, "BAD_KEY"),
    ([], None, "getBalance", {}, "BAD_KEY"),
    (["--invalid-key"], KEY, "getNumber", {"service": "wx", "country": 3}, "BAD_KEY"),
    ([], KEY, "getNumber", {"service": "wx", "country": 3, "operator": "unicom"}, "NO_NUMBERS"),
    ([], KEY, "getNumber", {"service": "wx", "country": 3, "operator": "nokia"}, "NO_NUMBERS"),
    (["--out-of-stock", "wa"], KEY, "getNumber", {"service": "wa", "country": 3}, "NO_NUMBERS"),
    (["--out-of-stock", "103"], KEY, "getNumberV2", {"service": "wa", "country": 0}, "NO_NUMBERS"),
    (["--balance", "10"], KEY, "getNumber", {"service": "wx", "country": 3}, "NO_BALANCE"),
    ([], KEY, "getNumber", {"service": "wx", "country": 3, "maxPrice": "14.87"}, "WRONG_MAX_PRICE:14.88"),
    ([], KEY, "getNumber", {"service": "wx", "country": 3, "maxPrice": "cheap"}, "WRONG_MAX_PRICE:14.88"),
    ([], KEY, "getNumber", {"service": "zz", "country": 3}, "BAD_SERVICE"),
    ([], KEY, "getNumber", {"country": 3}, "BAD_SERVICE"),
    ([], KEY, "getNumber", {"service": "wx", "country": 999}, "BAD_SERVICE"),
    ([], KEY, "getPrices", {"service": "zz"}, "BAD_SERVICE"),
    ([], KEY, "buyNumber", {}, "BAD_ACTION"),
    ([], KEY, "", {}, "BAD_ACTION"),
    ([], KEY, "getStatus", {"id": "42"}, "NO_ACTIVATION"),
    ([], KEY, "getStatus", {}, "NO_ACTIVATION"),
    ([], KEY, "setStatus", {"id": "42", "status": "8"}, "NO_ACTIVATION"),
    ([], KEY, "setStatus", {"id": "42", "status": "4"}, "BAD_STATUS"),
])
def test_refusals_are_bare_words_with_http_200_and_cost_nothing(serve, argv, key, action, params, refusal):
    server = serve(*argv)
    before = server.platform.balance
    status, content_type, text = get(f"{server.base_url}?{urlencode({'api_key': key, 'action': action, **params})}"
                                     if key else f"{server.base_url}?{urlencode({'action': action, **params})}")
    assert (status, text) == (200, refusal) and content_type.startswith("text/plain")
    assert server.platform.snapshot()["orders"] == [] and server.platform.balance == before


def test_the_parser_refuses_an_unknown_out_of_stock_service_and_protocol(capsys):
    for argv in (["--out-of-stock", "wa,zz"], ["--protocol", "sms-activate-v9"]):
        with pytest.raises(SystemExit):
            sandbox_module.build_parser().parse_args(argv)
    assert "unknown service in 'wa,zz'" in capsys.readouterr().err


# the state machine and the money --------------------------------------------------------------

def test_buy_wait_code_then_ok_then_complete(serve, clock):
    server = serve("--sms-delay", "5")
    activation, _ = buy(server)
    cost = server.platform.snapshot()["orders"][0]["price"]
    assert call(server, "setStatus", id=activation, status=1) == "ACCESS_READY"
    assert call(server, "getStatus", id=activation) == "STATUS_WAIT_CODE"
    assert call(server, "setStatus", id=activation, status=6) == "BAD_STATUS"  # no code yet
    clock.now += 5
    status, code = call(server, "getStatus", id=activation), server.platform.snapshot()["orders"][0]["code"]
    assert len(code) == 6 and status == f"STATUS_OK:{code}"
    assert call(server, "setStatus", id=activation, status=8) == "BAD_STATUS"  # the SMS came: no cancel
    assert call(server, "setStatus", id=activation, status=6) == "ACCESS_ACTIVATION"
    assert call(server, "setStatus", id=activation, status=6) == "ACCESS_ACTIVATION"  # idempotent
    assert call(server, "getStatus", id=activation) == f"STATUS_OK:{code}"
    assert server.platform.snapshot()["orders"][0]["state"] == "finished"
    assert balance(server) == pytest.approx(START - cost)


def test_the_deliver_control_lands_a_chosen_code_or_text(serve):
    server = serve("--sms-delay", "60")
    with_code, with_text = buy(server)[0], buy(server, service="tg")[0]
    assert control(server, "deliver", id=with_code, code="482913")["code"] == "482913"
    assert call(server, "getStatus", id=with_code) == "STATUS_OK:482913"
    assert "482913" in server.platform.snapshot()["orders"][0]["sms"]
    control(server, "deliver", id=with_text, text="Telegram code 55071")
    assert call(server, "getStatus", id=with_text) == "STATUS_OK:Telegram code 55071"


def test_cancel_refunds_and_the_balance_comes_back(serve):
    server = serve("--sms-delay", "60")
    activation, _ = buy(server)
    assert balance(server) < START
    assert call(server, "setStatus", id=activation, status=8) == "ACCESS_CANCEL"
    assert call(server, "setStatus", id=activation, status=8) == "ACCESS_CANCEL"  # idempotent, refunded once
    assert call(server, "getStatus", id=activation) == "STATUS_CANCEL"
    assert balance(server) == START
    for status in (1, 3, 6):
        assert call(server, "setStatus", id=activation, status=status) == "BAD_STATUS"
    assert control(server, "deliver", id=activation)["sms"] is None


def test_another_code_after_status_3_waits_retry_then_lands(serve, clock):
    server = serve("--sms-delay", "5")
    activation, _ = buy(server)
    assert call(server, "setStatus", id=activation, status=3) == "BAD_STATUS"  # no code to follow yet
    clock.now += 5
    first = call(server, "getStatus", id=activation).split(":")[1]
    assert call(server, "setStatus", id=activation, status=3) == "ACCESS_RETRY_GET"
    assert call(server, "getStatus", id=activation) == f"STATUS_WAIT_RETRY:{first}"
    clock.now += 4.9
    assert call(server, "setStatus", id=activation, status=3) == "ACCESS_RETRY_GET"  # does not restart the wait
    assert call(server, "getStatus", id=activation) == f"STATUS_WAIT_RETRY:{first}"
    clock.now += 0.1
    second = call(server, "getStatus", id=activation).split(":")[1]
    assert second != first and call(server, "getStatus", id=activation) == f"STATUS_OK:{second}"
    assert call(server, "setStatus", id=activation, status=8) == "BAD_STATUS"
    assert call(server, "setStatus", id=activation, status=6) == "ACCESS_ACTIVATION"
    assert balance(server) == pytest.approx(START - server.platform.snapshot()["orders"][0]["price"])


def test_status_3_on_the_silent_service_never_brings_another_code(serve, clock):
    server = serve("--sms-delay", "0")
    activation, _ = buy(server, service="ot")
    clock.now += 3600
    assert call(server, "getStatus", id=activation) == "STATUS_WAIT_CODE"  # "ot" never gets an SMS
    control(server, "deliver", id=activation, code="1234")
    assert call(server, "setStatus", id=activation, status=3) == "ACCESS_RETRY_GET"
    clock.now += 3600
    assert call(server, "getStatus", id=activation) == "STATUS_WAIT_RETRY:1234"


def test_early_cancels_are_refused_within_the_window(serve, clock):
    server = serve("--early-cancel", "120", "--sms-delay", "600")
    activation, _ = buy(server)
    assert call(server, "setStatus", id=activation, status=8) == "EARLY_CANCEL_DENIED"
    assert balance(server) < START
    clock.now += 120
    assert call(server, "setStatus", id=activation, status=8) == "ACCESS_CANCEL"
    assert balance(server) == START


def test_the_platform_closes_a_waiting_order_cancelled_and_refunded(serve, clock):
    server = serve("--close-after", "60", "--sms-delay", "600")
    by_time, by_control = buy(server)[0], buy(server)[0]
    clock.now += 59
    assert call(server, "getStatus", id=by_time) == "STATUS_WAIT_CODE"
    assert control(server, "close", id=by_control)["state"] == "closed"
    assert call(server, "getStatus", id=by_control) == "STATUS_CANCEL"
    clock.now += 1
    assert call(server, "getStatus", id=by_time) == "STATUS_CANCEL"
    assert balance(server) == START
    for status in (3, 6, 8):
        assert call(server, "setStatus", id=by_time, status=status) == "BAD_STATUS"
    assert balance(server) == START


def test_the_money_adds_up_over_every_path(serve, clock):
    server = serve("--sms-delay", "10", "--close-after", "30")
    completed, cancelled, closed, retried = (buy(server, service=s)[0] for s in ("wx", "tg", "ot", "wa"))
    prices = {str(order["id"]): order["price"] for order in server.platform.snapshot()["orders"]}
    call(server, "setStatus", id=cancelled, status=8)
    clock.now += 10
    call(server, "setStatus", id=completed, status=6)
    call(server, "setStatus", id=retried, status=3)
    clock.now += 20
    call(server, "setStatus", id=retried, status=6)
    assert [call(server, "getStatus", id=i)[:9] for i in (completed, cancelled, closed, retried)] == [
        "STATUS_OK", "STATUS_CA", "STATUS_CA", "STATUS_OK"]
    assert balance(server) == pytest.approx(START - prices[completed] - prices[retried])


# faults ---------------------------------------------------------------------------------

def test_a_dropped_connection_after_the_sale_charges_and_answers_nothing(serve):
    server = serve("--drop-answer", "--fault-endpoints", "getNumber", "--sms-delay", "60")
    with socket.create_connection(server.server_address[:2], timeout=5) as conn:
        query = urlencode({"api_key": KEY, "action": "getNumber", "service": "wx", "country": 3})
        conn.sendall(f"GET /stubs/handler_api.php?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert conn.recv(1024) == b""  # closed, not a byte of an answer
    order = server.platform.snapshot()["orders"][0]
    assert order["state"] == "waiting" and balance(server) == pytest.approx(START - order["price"])
    assert call(server, "getStatus", id=order["id"]) == "STATUS_WAIT_CODE"  # other actions answer


@pytest.mark.parametrize("flag, status, content_type, text", [
    ("--fail-rate", 503, "text/plain", "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"),
    ("--non-json-rate", 200, "text/plain", "<html><body>Cloudflare: checking your browser…</body></html>"),
])
def test_5xx_and_html_faults_hit_the_actions_named(serve, flag, status, content_type, text):
    server = serve(flag, "1", "--fault-endpoints", "getStatus")
    activation, _ = buy(server)
    answer = get(f"{server.base_url}?{urlencode({'api_key': KEY, 'action': 'getStatus', 'id': activation})}")
    assert answer[0] == status and answer[1].startswith(content_type) and answer[2] == text
    assert call(server, "getBalance").startswith("ACCESS_BALANCE:")


def test_latency_delays_answers_and_calls_are_recorded_by_action_without_the_key(serve):
    server = serve("--latency", "0.2")
    started = time.monotonic()
    assert call(server, "getBalance") == "ACCESS_BALANCE:5000.00"
    assert time.monotonic() - started >= 0.2
    recorded = server.platform.snapshot()["calls"][0]
    assert recorded["endpoint"] == "getBalance" and recorded["params"] == {"action": "getBalance"}
