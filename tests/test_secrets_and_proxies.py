"""Secrets masked only where they are secrets, proxies read as the HTTP stack reads them (issue 15, sections 1, 2)."""
import json

import pytest
import responses

import fakes
from support import config

activate = responses.activate(assert_all_requests_are_fired=True)
BUY = ("buy", "--country", "1", "--service", "101", "--operator", "13")


@pytest.mark.parametrize("password", ["00", "0", "3"])
@activate
def test_a_short_proxy_password_never_rewrites_an_order(cli, env, store, password):
    env["SMSONLINE_PROXY"] = f"http://alice:{password}@127.0.0.1:9"
    fakes.buy(body={"status": 1, "data": {"orderId": 700001, "number": "+8613800000001", "price": 0.3}})
    run = cli(*BUY)
    assert (run.code, run.line["order_id"], run.line["price"]) == (0, "700001", 0.3)  # valid JSON, id intact
    assert run.line["number"] == "+8613800000001" and store.order("700001")["number"] == "+8613800000001"


@pytest.mark.parametrize("proxy, secret", [
    ("alice:Hunter2SecretPw@127.0.0.1:9", "Hunter2SecretPw"),  # no scheme
    ("http://alice:p@ss-Hunter2@127.0.0.1:9", "ss-Hunter2"),  # an @ in the password
    ("http://alice:Hunter2%40Secret@127.0.0.1:9", "Hunter2@Secret"),  # percent-encoded
])
def test_a_proxy_password_never_shows_whatever_its_form(cli, env, tmp_path, proxy, secret):
    env["SMSONLINE_PROXY"] = proxy
    trace = tmp_path / "trace.jsonl"
    with responses.RequestsMock() as mock:
        mock.get(fakes.url("get-countries"), body=fakes.refused())
        mock.get(fakes.url("get-countries", fakes.BACKUP), body=fakes.refused())
        run = cli("countries", "--trace", str(trace))
    everything = run.out + run.err + trace.read_text()
    assert run.code == 4 and secret not in everything and secret.split("@")[0] not in everything
    assert "attempts" in run.line["error"] and "***@127.0.0.1:9" in run.line["error"]["message"]


@pytest.mark.parametrize("proxy, shown", [
    ("alice:pw-123456@127.0.0.1:7890", "http://***@127.0.0.1:7890"),
    ("http://alice:p@ss@host:1", "http://***@host:1"),
    ("socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080"),
])
def test_proxies_are_shown_with_their_scheme_and_no_credentials(proxy, shown):
    assert config.shown_proxy(proxy) == shown


def test_the_line_keeps_its_keys_whatever_a_short_secret_is():
    from support import output
    output.REDACT.use(["p", "at"])
    try:
        line = json.loads(output.json_line("buy", False, {"attempts": [], "error": {"message": "at p"}}))
    finally:
        output.REDACT.use([])
    assert set(line) == {"ok", "command", "attempts", "error"} and line["error"]["message"] == "at p"
