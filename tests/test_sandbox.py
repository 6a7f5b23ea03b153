"""The sandbox itself: its state machine, money, faults, and that it never crashes on odd requests."""
import json
import socket
import ssl
import threading
import time
import urllib.request
from urllib.error import HTTPError
from urllib.parse import urlencode

import pytest

import smsonline_sandbox as sandbox_module
from smsonline_sandbox_market import COUNTRIES, Platform, Refused, phone_number


def wait_until(predicate, timeout):
    """Poll a condition (bounded), returning its last value."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def platform():
    return Platform(sms_delay=0, now=lambda: 1000.0)


def test_a_purchase_charges_the_price_and_a_cancel_gives_it_back(platform):
    order = platform.buy(1, 101, 13)
    assert platform.balance == pytest.approx(100 - order["price"])
    platform.change_status(order["id"], 4)
    platform.change_status(order["id"], 4)  # idempotent
    assert platform.balance == pytest.approx(100)


def test_test_purchases_charge_nothing(platform):
    platform.buy(1, 101, 13, test=True)
    assert platform.balance == 100


def test_out_of_stock_and_unknown_orders_are_refused(platform):
    with pytest.raises(Refused, match="No numbers"):
        platform.buy(1, 101, 12)
    with pytest.raises(Refused) as caught:
        platform.read_sms(None)
    assert caught.value.token == "NO_ACTIVATION"


def test_finishing_needs_an_sms_and_is_final(platform):
    order = platform.buy(1, 199, 13)  # the silent service never gets an SMS
    with pytest.raises(Refused, match="has not received"):
        platform.change_status(order["id"], 3)
    assert platform.read_sms(order["id"])["sms"] is None
    platform.deliver(order["id"], "验证码 4521")
    platform.change_status(order["id"], 3)
    with pytest.raises(Refused, match="already finished"):
        platform.change_status(order["id"], 4)


def test_early_cancels_are_refused_within_the_window():
    clock = [1000.0]
    platform = Platform(early_cancel=30, now=lambda: clock[0])
    order = platform.buy(1, 101, 13)
    with pytest.raises(Refused) as caught:
        platform.change_status(order["id"], 4)
    assert caught.value.token == "EARLY_CANCEL_DENIED"
    clock[0] += 31
    assert platform.change_status(order["id"], 4)["state"] == "cancelled"


def test_state_persists_across_instances(tmp_path):
    state = tmp_path / "sandbox.json"
    order = Platform(state_file=state, sms_delay=0).buy(1, 101, 13)
    again = Platform(state_file=state)
    assert again.read_sms(order["id"])["state"] == "received" and again.balance < 100


@pytest.fixture
def server():
    parsed = sandbox_module.build_parser().parse_args(["--api-key", "test-key-sandbox-unit"])
    running = sandbox_module.build(parsed).start_background()
    yield running
    running.stop()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


def test_odd_requests_get_answers_not_crashes(server, capfd):
    base = server.base_url + "/virtual-number/"
    assert get(base + "get-sms?apiKey=test-key-sandbox-unit")[0] == 200  # no id: a refusal in the body
    assert "Order not found" in get(base + "get-sms?apiKey=test-key-sandbox-unit")[1]
    assert get(base + "get-countries?apiKey=wrong")[0] == 401
    assert get(base + "nope?apiKey=test-key-sandbox-unit")[0] == 404
    assert json.loads(get(server.base_url.replace("/api/v1", "") + "/sandbox/state")[1])["balance"] == 100
    assert "Traceback" not in capfd.readouterr().err


def test_the_standalone_help_runs(capsys):
    with pytest.raises(SystemExit) as exit_:
        sandbox_module.main(["--help"])
    assert exit_.value.code == 0 and "Usage:" in capsys.readouterr().out


# refusing a cancel once the SMS landed -----------------------------------------------

def test_refuse_cancel_after_sms_blocks_the_cancel_of_a_landed_sms_but_not_the_finish():
    clock = [1000.0]
    platform = Platform(sms_delay=5, now=lambda: clock[0], refuse_cancel_after_sms=True)
    read, unread = platform.buy(1, 101, 13), platform.buy(1, 101, 13)
    clock[0] += 5
    assert platform.read_sms(read["id"])["state"] == "received"
    for order in (read, unread):  # the SMS has landed on the platform even if nobody asked for it yet
        with pytest.raises(Refused, match="SMS already received, the order cannot be cancelled") as caught:
            platform.change_status(order["id"], 4)
        assert caught.value.token == "BAD_STATUS"
    assert platform.change_status(read["id"], 3)["state"] == "finished"
    assert platform.balance == pytest.approx(100 - 2 * read["price"])


def test_without_the_flag_an_order_with_its_sms_can_still_be_cancelled(platform):
    order = platform.buy(1, 101, 13)
    assert platform.read_sms(order["id"])["sms"]
    assert platform.change_status(order["id"], 4)["state"] == "cancelled"


# the platform closing orders by itself -------------------------------------------------

def test_a_waiting_order_closes_at_close_after_and_its_price_comes_back():
    clock = [1000.0]
    platform = Platform(close_after=60, now=lambda: clock[0])
    order = platform.buy(1, 199, 13)
    clock[0] += 59.9
    assert platform.read_sms(order["id"])["state"] == "waiting" and platform.balance < 100
    clock[0] += 0.1
    assert platform.read_sms(order["id"])["state"] == "closed" and platform.balance == 100
    for status in (3, 4, 5):
        with pytest.raises(Refused, match="already closed") as caught:
            platform.change_status(order["id"], status)
        assert caught.value.token == "BAD_STATUS"
    assert platform.deliver(order["id"], "code 1234")["sms"] is None and platform.balance == 100


@pytest.mark.parametrize("sms_delay, state", [(59, "received"), (61, "closed")])
def test_whichever_comes_first_of_the_sms_and_the_close_wins(sms_delay, state):
    clock = [1000.0]
    platform = Platform(sms_delay=sms_delay, close_after=60, now=lambda: clock[0])
    order = platform.buy(1, 101, 13)
    clock[0] += 100  # both are due by now, and nobody asked in between
    assert platform.read_sms(order["id"])["state"] == state


def test_close_due_closes_without_a_request_and_close_closes_now():
    clock = [1000.0]
    platform = Platform(close_after=60, now=lambda: clock[0])
    old = platform.buy(1, 199, 13)
    clock[0] += 30
    young = platform.buy(1, 199, 13)
    clock[0] += 30
    platform.close_due()
    assert [o["state"] for o in platform.snapshot()["orders"]] == ["closed", "waiting"]
    assert platform.balance == pytest.approx(100 - young["price"])
    assert platform.close(young["id"])["state"] == "closed" and platform.balance == 100
    assert old["id"] != young["id"]


def test_close_leaves_an_order_that_is_no_longer_waiting(platform):
    order = platform.buy(1, 101, 13)
    platform.read_sms(order["id"])
    assert platform.close(order["id"])["state"] == "received"


@pytest.mark.parametrize("word", ["cancelled", "CANCELED_BY_TIMEOUT", "已取消", "expired"])
def test_get_sms_shows_a_closed_order_with_the_closed_word(platform, word):
    platform.closed_word = word
    order = platform.buy(1, 199, 13)
    platform.close(order["id"])
    assert platform.get_sms(order["id"])["state"] == word
    assert platform.read_sms(order["id"])["state"] == "closed"  # the record keeps the truth


@pytest.mark.parametrize("answer, token, status, body", [
    ("not-found", "NO_ACTIVATION", 200, None),
    ("http410", "ORDER_CLOSED", 410, {"status": -1, "message": "Order expired"}),
    ("http400", "ORDER_CLOSED", 400, {"status": -1, "message": "ORDER_CANCELLED"}),
])
def test_get_sms_refuses_a_closed_order_as_the_closed_answer_says(platform, answer, token, status, body):
    platform.closed_answer = answer
    order = platform.buy(1, 199, 13)
    assert platform.get_sms(order["id"])["state"] == "waiting"
    platform.close(order["id"])
    with pytest.raises(Refused) as caught:
        platform.get_sms(order["id"])
    assert (caught.value.token, caught.value.http_status, caught.value.body) == (token, status, body)


# phone numbers -----------------------------------------------------------------------

EXPECTED_REGIONS = {1: "CN", 2: "US", 3: "GB", 4: "ID", 5: "RU"}


@pytest.mark.parametrize("country", COUNTRIES, ids=lambda c: c[1])
def test_numbers_are_valid_mobile_numbers_of_their_country(country):
    import phonenumbers

    mobile = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    for order_id in [*range(0, 100000, 97), 99999, 500001, 1234567]:
        number = phonenumbers.parse(phone_number(country, order_id))
        assert phonenumbers.is_valid_number(number), (order_id, number)
        assert phonenumbers.region_code_for_number(number) == EXPECTED_REGIONS[country[0]]
        assert phonenumbers.number_type(number) in mobile


def test_numbers_are_unique_per_order():
    platform = Platform(balance=10 ** 6)
    numbers = [platform.buy(country, 101, 13)["number"] for country in range(1, 6) for _ in range(300)]
    assert len(set(numbers)) == len(numbers)


# over HTTP ---------------------------------------------------------------------------

KEY = "test-key-sandbox-unit"


@pytest.fixture
def serve():
    """Start sandboxes with command-line flags; stopped after the test."""
    started = []

    def serve(*argv):
        parsed = sandbox_module.build_parser().parse_args(["--api-key", KEY, *argv])
        started.append(sandbox_module.build(parsed).start_background())
        return started[-1]
    yield serve
    for running in started:
        running.stop()


def api(server, endpoint, key=KEY, **params):
    """(HTTP status, body as JSON, or text when it is not JSON)."""
    status, text = get(f"{server.base_url}/virtual-number/{endpoint}?{urlencode({'apiKey': key, **params})}")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def control(server, action, **params):
    return json.loads(get(f"{server.base_url.replace('/api/v1', '')}/sandbox/{action}?{urlencode(params)}")[1])


def buy(server, service=101):
    api(server, "buy-service", countryId=1, serviceId=service, operatorId=13)
    return server.platform.snapshot()["orders"][-1]["id"]


def test_the_coded_shape(serve):
    server = serve("--shape", "coded", "--sms-delay", "60")
    assert api(server, "get-countries")[1]["data"][0] == {"countryId": 1, "name": "China", "chn": "中国"}
    status, bought = api(server, "buy-service", countryId=1, serviceId=101, operatorId=13)
    order = server.platform.snapshot()["orders"][0]
    assert (status, bought) == (200, {"code": 0, "msg": "ok", "data": {"orderId": order["id"], "phone": order["number"],
                                                                        "price": order["price"]}})
    assert api(server, "get-sms", id=order["id"]) == (200, {"code": 0, "msg": "waiting for sms", "data": None})
    control(server, "deliver", id=order["id"], text="验证码 482913")
    assert api(server, "get-sms", id=order["id"])[1] == {
        "code": 0, "msg": "ok",
        "data": {"orderId": order["id"], "status": "received", "messages": [{"content": "验证码 482913"}]}}
    assert api(server, "change-status", id=order["id"], status=3) == (200, {"code": 0, "msg": "ok", "data": None})
    assert api(server, "get-countries", key="wrong") == (200, {"code": 1001, "msg": "Invalid API key", "data": None})


def test_the_nested_shape(serve):
    server = serve("--shape", "nested", "--sms-delay", "60")
    order_id = buy(server)
    assert api(server, "get-sms", id=order_id)[1] == {"status": 1, "data": {
        "orderId": order_id, "status": "waiting", "message": f"Order {order_id} is waiting for SMS"}}
    control(server, "deliver", id=order_id)
    data = api(server, "get-sms", id=order_id)[1]["data"]
    assert data["status"] == "received" and set(data["sms"]) == {"code", "content"}
    assert len(data["sms"]["code"]) == 6 and data["sms"]["code"] in data["sms"]["content"]
    assert api(server, "get-countries")[1]["status"] == 1
    assert api(server, "get-countries", key="wrong")[0] == 401


REFUSED_CANCEL = "SMS already received, the order cannot be cancelled"


@pytest.mark.parametrize("shape, refusal", [
    ("primary", {"status": -1, "message": REFUSED_CANCEL, "error": "BAD_STATUS"}),
    ("nested", {"status": -1, "message": REFUSED_CANCEL, "error": "BAD_STATUS"}),
    ("flat", {"success": False, "errorMessage": f"BAD_STATUS: {REFUSED_CANCEL}"}),
    ("text", "BAD_STATUS"),
    ("coded", {"code": 1005, "msg": REFUSED_CANCEL, "data": None}),
])
def test_a_cancel_after_the_sms_is_refused_in_each_shape(serve, shape, refusal):
    server = serve("--refuse-cancel-after-sms", "--sms-delay", "0", "--shape", shape)
    order_id = buy(server)
    assert api(server, "change-status", id=order_id, status=4) == (200, refusal)
    assert api(server, "change-status", id=order_id, status=3)[0] == 200
    assert server.platform.snapshot()["orders"][0]["state"] == "finished"


@pytest.mark.parametrize("argv, expected", [
    ([], (200, {"status": 1, "message": "OK", "data": {"sms": None, "status": "cancelled"}})),
    (["--closed-word", "CANCELED_BY_TIMEOUT"],
     (200, {"status": 1, "message": "OK", "data": {"sms": None, "status": "CANCELED_BY_TIMEOUT"}})),
    (["--closed-word", "已取消", "--shape", "coded"],
     (200, {"code": 0, "msg": "ok", "data": {"status": "已取消", "messages": []}})),
    (["--closed-word", "expired", "--shape", "flat"], (200, {"success": True, "state": "expired", "sms": []})),
    (["--closed-word", "expired", "--shape", "text"], (200, "STATUS_CANCEL")),
    (["--closed-answer", "http410"], (410, {"status": -1, "message": "Order expired"})),
    (["--closed-answer", "http400", "--shape", "text"], (400, {"status": -1, "message": "ORDER_CANCELLED"})),
    (["--closed-answer", "not-found"], (200, {"status": -1, "message": "Order not found", "error": "NO_ACTIVATION"})),
    (["--closed-answer", "not-found", "--shape", "text"], (200, "NO_ACTIVATION")),
])
def test_get_sms_answers_for_an_order_the_platform_closed(serve, argv, expected):
    server = serve("--sms-delay", "60", *argv)
    order_id = buy(server)
    closed = control(server, "close", id=order_id)
    assert closed["state"] == "closed" and server.platform.balance == 100
    status, body = api(server, "get-sms", id=order_id)
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body["data"].pop("orderId")
    assert (status, body) == expected
    api(server, "change-status", id=order_id, status=4)
    assert server.platform.snapshot()["calls"][-1]["refused"] == "BAD_STATUS"  # as for any order no longer waiting


def test_close_after_closes_and_refunds_in_real_time_without_any_request(serve):
    server = serve("--close-after", "0.2", "--sms-delay", "60")
    buy(server)
    assert wait_until(lambda: server.platform.snapshot()["orders"][0]["state"] == "closed", timeout=2)
    assert server.platform.balance == 100


def test_the_close_control_answers_404_for_an_unknown_order(serve):
    server = serve()
    assert get(server.base_url.replace("/api/v1", "") + "/sandbox/close?id=42")[0] == 404


# slow, huge and deep answers -----------------------------------------------------------

def raw_request(server, path):
    """A socket that sent `GET path`, and the answer's head as text (read byte by byte, so no body is consumed)."""
    conn = socket.create_connection(server.server_address[:2], timeout=5)
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += conn.recv(1)
    return conn, head.decode()


def content_length(head):
    return int(next(line.split(":")[1] for line in head.splitlines() if line.lower().startswith("content-length")))


def test_trickle_sends_the_head_at_once_then_one_byte_at_a_time(serve):
    server = serve("--trickle", "0.01", "--fault-endpoints", "get-sms")
    started = time.monotonic()
    conn, head = raw_request(server, f"/api/v1/virtual-number/get-sms?apiKey={KEY}&id=1")
    assert time.monotonic() - started < 0.5 and "application/json" in head
    body, reads, started = b"", 0, time.monotonic()
    with conn:
        while len(body) < content_length(head):
            body, reads = body + conn.recv(1024), reads + 1
    assert time.monotonic() - started >= 0.01 * len(body) * 0.9 and reads > len(body) / 2
    assert json.loads(body)["error"] == "NO_ACTIVATION"
    started = time.monotonic()
    assert api(server, "get-countries")[0] == 200 and time.monotonic() - started < 0.5  # not a fault endpoint


def test_a_client_leaving_a_trickle_or_an_oversize_answer_ends_it_quietly(serve, capfd):
    for flag, value in (("--trickle", "0.05"), ("--oversize", "64")):
        server = serve(flag, value, "--fault-endpoints", "get-countries")
        threads = threading.active_count()
        conn, head = raw_request(server, f"/api/v1/virtual-number/get-countries?apiKey={KEY}")
        conn.recv(65536)
        conn.close()
        assert wait_until(lambda: threading.active_count() < threads + 1, timeout=2)  # the writer thread ended
        assert api(server, "get-services")[0] == 200
    assert "Traceback" not in capfd.readouterr().err


def test_oversize_answers_a_valid_json_of_the_size_and_the_request_still_takes_effect(serve):
    server = serve("--oversize", "1", "--fault-endpoints", "buy-service")
    status, body = api(server, "buy-service", countryId=1, serviceId=101, operatorId=13)
    assert status == 200 and len(json.dumps(body, separators=(",", ":"))) == 1024 * 1024
    assert set(body["data"]["sms"]) == {"x"}
    assert len(server.platform.snapshot()["orders"]) == 1
    assert api(server, "get-countries")[1]["status"] == 1


def test_nest_answers_valid_json_nested_n_levels(serve):
    assert api(serve("--nest", "3"), "get-countries")[1] == {"data": {"data": {"data": None}}}
    server = serve("--nest", "100000")
    text = get(f"{server.base_url}/virtual-number/get-sms?apiKey={KEY}&id=1")[1]
    assert text == '{"data":' * 100000 + "null" + "}" * 100000
    with pytest.raises(RecursionError):
        json.loads(text)


# fronts ---------------------------------------------------------------------------------

def test_fronts_come_first_in_base_urls_and_each_fails_its_own_way(serve):
    server = serve("--fronts", "tls-fail,html-block,other-site", "--sms-delay", "60")
    tls_fail, html_block, other_site = server.fronts
    assert server.base_urls == [tls_fail.base_url, html_block.base_url, other_site.base_url, server.base_url]
    assert tls_fail.base_url.startswith("https://127.0.0.1:") and html_block.base_url.startswith("http://127.0.0.1:")
    assert len({url.split("/")[2] for url in server.base_urls}) == 4

    with pytest.raises(ssl.SSLError, match="(?i)wrong.version.number"), \
            socket.create_connection(tls_fail.server_address, timeout=5) as conn:  # plain text where TLS should be
        ssl.create_default_context().wrap_socket(conn, server_hostname="127.0.0.1")
    assert tls_fail.connections == 1

    with urllib.request.urlopen(html_block.base_url + "/virtual-number/get-sms?id=1", timeout=5) as page:
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "blocked by your network administrator" in page.read().decode()

    assert api(other_site, "get-countries") == api(server, "get-countries", key="wrong")
    assert api(other_site, "get-countries")[1]["message"] == "Invalid API key"
    assert api(other_site, "get-countries", key="test-key-other-site")[0] == 200
    assert len(other_site.platform.snapshot()["calls"]) == 3 and len(server.platform.snapshot()["calls"]) == 1

    server.stop()
    for front in server.fronts:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(front.server_address, timeout=5).close()


def test_unknown_fronts_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        sandbox_module.build_parser().parse_args(["--fronts", "tls-fail,bogus"])
    assert "unknown front 'bogus'" in capsys.readouterr().err


def test_standalone_prints_the_base_urls_and_stops_the_fronts_on_exit(monkeypatch, capsys):
    monkeypatch.setattr(sandbox_module.Sandbox, "serve_forever", lambda self, *args, **kwargs: None)
    sandbox_module.main(["--fronts", "html-block", "--api-key", "k"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["api_key"] == "k" and printed["base_urls"][-1] == printed["base_url"]
    front = printed["base_urls"][0].split("/")[2].split(":")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((front[0], int(front[1])), timeout=5).close()


def test_resend_lands_a_new_sms_with_a_new_code_every_period():
    clock = [1000.0]
    platform = Platform(sms_delay=0, resend=5, now=lambda: clock[0])
    order = platform.buy(1, 101, 13)
    first = platform.read_sms(order["id"])
    assert first["state"] == "received" and platform.read_sms(order["id"])["sms"] == first["sms"]
    clock[0] += 5
    second = platform.read_sms(order["id"])
    assert second["sms"] != first["sms"] and second["code"] != first["code"]
    assert platform.change_status(order["id"], 3)["state"] == "finished"
    clock[0] += 5
    assert platform.read_sms(order["id"])["sms"] == second["sms"]  # a finished order gets nothing more
