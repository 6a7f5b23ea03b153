"""`doctor` against loopback fakes of the user's real first contact: premium's TLS blocked, smsonline.io refusing a
premium key, a block page, a dead proxy, a local proxy waiting to be used. It never spends: only get-countries."""
import time

import pytest

from e2e_support import Runner, calls, orders_in, side_by_side
from loopback import FakeHttpProxy, LoopbackServer, TlsHandshakeFailServer


@pytest.fixture
def tls_blocked():
    server = TlsHandshakeFailServer()
    yield server
    server.close()


def money_endpoints(*sandboxes):
    return [c for s in sandboxes for e in ("buy-service", "get-sms", "change-status") for c in calls(s, e)]


def test_tls_blocked_premium_and_a_site_refusing_the_key_name_the_flag_and_the_variable(
        tmp_path, make_sandbox, tls_blocked, closed_port):
    other_site = make_sandbox(api_key="test-key-registered-elsewhere")
    run = Runner(tmp_path, [tls_blocked.base_url, other_site.base_url])
    result = run("doctor", SMSONLINE_PROXY_PORTS=str(closed_port))
    assert (result.code, result.kind) == (4, "network")  # the network comes before the key: see the findings' order
    premium, io = result.line["bases"]
    assert (premium["verdict"], premium["failed_step"]) == ("unreachable", "tls")
    assert premium["steps"]["dns"]["ok"] and premium["steps"]["tcp"]["ok"] and "TLS" in premium["steps"]["tls"]["error"]
    assert (io["verdict"], io["steps"]["http"]["status"]) == ("key_refused", 401)
    assert [f["finding"] for f in result.line["findings"]] == ["tls_failed", "key_refused"]
    tls, key = result.line["next_steps"]
    assert "--proxy http://127.0.0.1:PORT" in tls and "SMSONLINE_API_KEY_127_0_0_1" in key
    assert result.line["key"] == {"SMSONLINE_API_KEY": "environment"}
    assert money_endpoints(other_site) == []


def test_a_healthy_base_is_exit_0_and_only_lists_are_asked(run, sandbox):
    result = run("doctor")
    assert result.code == 0 and result.line["verdict"].startswith("the key works")
    base = result.line["bases"][0]
    assert base["verdict"] == "works" and base["steps"]["http"]["verdict"] == "key accepted"
    assert [c["endpoint"] for c in sandbox.platform.snapshot()["calls"]] == ["get-countries"]


def test_a_dead_proxy_is_named_as_the_cause(run, sandbox, closed_port):
    result = run("doctor", "--proxy", f"http://127.0.0.1:{closed_port}")
    assert (result.code, result.kind) == (4, "network")
    assert result.line["proxy"]["reachable"] is False and result.line["proxy"]["source"] == "--proxy"
    assert f"127.0.0.1:{closed_port}" in result.line["next_steps"][0] and "does not accept" in \
        result.line["next_steps"][0]


def test_an_open_local_proxy_port_is_found_and_the_exact_flag_named(tmp_path, tls_blocked):
    proxy = FakeHttpProxy()
    try:
        result = Runner(tmp_path, [tls_blocked.base_url])("doctor", SMSONLINE_PROXY_PORTS=str(proxy.port))
        assert (result.code, result.kind) == (4, "network")
        assert result.line["local_proxies"] == [{"port": proxy.port, "http_proxy": True, "tunnel": True,
                                                 "answer": "HTTP/1.1 200 Connection established"}]
        assert f"--proxy http://127.0.0.1:{proxy.port}" in " ".join(result.line["next_steps"])
    finally:
        proxy.close()


def test_through_a_working_proxy_the_tunnel_and_the_answer_are_reported(run, sandbox):
    proxy = FakeHttpProxy()
    try:
        result = run("doctor", "--proxy", proxy.url)
        assert result.code == 0 and result.line["proxy"]["reachable"] is True
        assert result.line["bases"][0]["steps"]["proxy"]["ok"] and "dns" not in result.line["bases"][0]["steps"]
    finally:
        proxy.close()


def test_doctor_flow_refuses_without_test_mode_and_rehearses_for_free_with_it(run, sandbox):
    refused = run("doctor", "--flow")
    assert (refused.code, refused.kind) == (2, "usage") and "--test" in refused.line["error"]["message"]
    assert sandbox.platform.snapshot()["calls"] == []
    before = sandbox.platform.balance
    result = run("doctor", "--flow", "--test", "--country", "1", "--service", "101")
    assert result.code == 0, result.line
    flow = result.line["flow"]
    assert flow["order_status"] == "cancelled" and [a["endpoint"] for a in flow["answers"]] == \
        ["buy", "read", "cancel"]  # named by operation, whatever the protocol calls them
    assert flow["answers"][0]["shape"]["data"]["orderId"] == "int"
    assert orders_in(sandbox)[0]["state"] == "cancelled" and orders_in(sandbox)[0]["test"] is True
    assert sandbox.platform.balance == before
    assert calls(sandbox, "buy-service")[0]["params"]["test"] == "1"


def test_the_users_real_path_rehearsed_in_the_sandbox(tmp_path):
    run = Runner(tmp_path, ["https://unused.invalid/api/v1"])
    result = run("doctor", "--sandbox", SMSONLINE_SANDBOX_ARGS="--fronts tls-fail,html-block,other-site",
                 SMSONLINE_PROXY_PORTS="1")
    assert result.code == 0
    assert [b["verdict"] for b in result.line["bases"]] == ["unreachable", "html", "key_refused", "works"]
    steps = " ".join(result.line["next_steps"])
    assert "--proxy" in steps and "block page" in steps and "keys are per site" in steps


def test_without_any_key_doctor_still_diagnoses_and_says_what_is_missing(run, sandbox):
    result = run("doctor", SMSONLINE_API_KEY="")
    assert (result.code, result.kind) == (2, "config") and "placeholder or empty" in result.line["error"]["message"]
    del run.env["SMSONLINE_API_KEY"]
    result = run("doctor")
    assert (result.code, result.kind) == (2, "config") and result.line["bases"][0]["verdict"] == "no_key"
    assert [f["finding"] for f in result.line["findings"]] == ["missing_key"]
    assert result.line["next_steps"][0].startswith("no API key: set SMSONLINE_API_KEY")
    assert sandbox.platform.snapshot()["calls"] == []


def test_a_placeholder_key_and_a_dead_proxy_are_found_in_one_run(run, sandbox, closed_port):
    result = run("doctor", SMSONLINE_API_KEY="your_api_key_here", SMSONLINE_PROXY=f"http://127.0.0.1:{closed_port}",
                 SMSONLINE_PROXY_PORTS=str(closed_port))
    assert (result.code, result.kind) == (2, "config")
    assert [f["finding"] for f in result.line["findings"]] == ["placeholder_key", "dead_proxy"]
    assert "SMSONLINE_API_KEY" in result.line["next_steps"][0] and f"127.0.0.1:{closed_port}" in \
        result.line["next_steps"][1]
    steps = result.line["bases"][0]["steps"]
    assert not steps["proxy"]["ok"] and steps["dns"]["ok"] and steps["tcp"]["ok"]
    assert sandbox.platform.snapshot()["calls"] == [] and "your_api_key_here" not in result.out


class TricklingProxy(LoopbackServer):
    """Answers CONNECT with a status line and then one header byte a second, never ending the head."""

    def serve(self, conn):
        if self.read_request(conn):
            conn.sendall(b"HTTP/1.1 200 Connection established\r\nX-Pad: ")
            for _ in range(60):
                time.sleep(1)
                conn.sendall(b"a")


def test_a_proxy_that_trickles_cannot_hold_doctor(tmp_path, tls_blocked):
    proxy = TricklingProxy()
    try:
        ways = {"by flag": (("--proxy", f"http://127.0.0.1:{proxy.port}"), {}),
                "by probe": ((), {"SMSONLINE_PROXY_PORTS": str(proxy.port)})}

        def doctor(way, home):
            flags, env = ways[way]
            return Runner(home, [tls_blocked.base_url])("doctor", *flags, "--connect-timeout", "2", **env)
        started = time.monotonic()
        by_flag, by_probe = side_by_side(doctor, list(ways), tmp_path).values()
        assert time.monotonic() - started < 20
        assert by_flag.code == 4 and by_probe.code == 4
        assert by_probe.line["local_proxies"][0]["http_proxy"] is False  # no complete answer: not a usable proxy
    finally:
        proxy.close()
