"""Secrets masked only where they are secrets, proxies read as the HTTP stack reads them (issue 15, sections 1, 2):
a proxy password never shows (URL characters, Basic authorization, traces) nor masks the data it happens to equal;
the key is masked however it comes back (JSON escapes, base64, structured fields)."""
import base64
import json

import pytest
import responses

import fakes
from support import KEY, config, output
from smsonline import cli as command_line
from test_users_ledger_and_site_limits import settings_with

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


@activate
def test_a_proxy_password_that_equals_the_code_or_an_id_never_masks_them(cli, env, store):
    env["SMSONLINE_PROXY"] = "http://u:482913@127.0.0.1:9"
    fakes.add("get-services", {"status": 1, "data": [{"serviceId": 482913, "name": "Soul"}]})
    fakes.products(service=482913)
    fakes.buy(service=482913)
    fakes.poll({"status": 1, "data": {"orderId": 500001, "sms": "Your Soul verification code is 482913."}})
    fakes.status(3)
    run = cli("receive", "--country", "1", "--service", "Soul")
    assert (run.code, run.line["code"], run.line["service_id"]) == (0, "482913", "482913")
    cached = store.db.execute("SELECT value FROM kv WHERE key LIKE 'catalog:service:%'").fetchone()[0]
    assert '"482913"' in cached  # the cached id, never `***`, which would later be sent as one


@pytest.mark.parametrize("password", ["se#cret99", "pa/ss9999", "p?ssw0rd1"])
@pytest.mark.parametrize("scheme", ["http://", ""])
def test_a_proxy_password_with_url_characters_is_a_secret_and_never_shown(password, scheme):
    url = f"{scheme}user:{password}@127.0.0.1:7890"
    assert password in config.proxy_secrets(url)
    assert config.shown_proxy(url) == "http://***@127.0.0.1:7890"
    output.REDACT.use(config.proxy_secrets(url))
    try:
        assert password not in output.REDACT(f"check the proxy {url}")
    finally:
        output.REDACT.use([KEY])


def test_a_proxy_echoing_its_basic_authorization_never_shows_the_password():
    output.REDACT.use(config.proxy_secrets("http://usr:Sekr3tPw@127.0.0.1:1"))
    try:
        assert "dXNyOlNla3IzdFB3" not in output.REDACT("Proxy-Authorization: Basic dXNyOlNla3IzdFB3")
    finally:
        output.REDACT.use([KEY])


def test_a_trace_records_the_proxy_without_its_credentials():
    argv = ["--proxy", "http://usr:pw123@127.0.0.1:9/", "products", "--proxy=usr:pw123@127.0.0.1:9", "--trace", "t"]
    recorded = " ".join(command_line.traced_argv(argv))
    assert "pw123" not in recorded and recorded.count("***@127.0.0.1:9") == 2 and "--trace" not in recorded


@pytest.mark.parametrize("environ, used", [
    ({"HTTP_PROXY": "http://p1:1", "http_proxy": "http://p2:2"}, "http://p2:2"),  # lowercase wins
    ({"HTTP_PROXY": "http://p1:1", "NO_PROXY": "127.0.0.1:8080"}, "http://p1:1"),  # host:port: not for an IP
    ({"HTTP_PROXY": "http://p1:1", "NO_PROXY": "foo", "no_proxy": "127.0.0.1"}, None),  # lowercase wins
    ({"HTTP_PROXY": "http://p1:1", "NO_PROXY": "127.0.0.0/8"}, None),
    ({"ALL_PROXY": "http://p3:3", "HTTP_PROXY": "http://p1:1"}, "http://p1:1"),  # the scheme's own first
])
def test_the_proxy_of_a_base_is_the_one_requests_would_use(tmp_path, monkeypatch, environ, used):
    settings = settings_with(tmp_path, monkeypatch, "", environ, bases=("http://127.0.0.1:8080/api/v1",))
    assert config.proxy_for(settings, "http://127.0.0.1:8080/api/v1")[0] == used


@pytest.mark.parametrize("key", ['test-key-with"quote', "test-key-back\\slash", 'test-key-"both\\ones"'])
def test_a_key_with_quotes_or_backslashes_is_redacted_in_json_text(key):
    output.REDACT.use([key])
    try:
        shown = output.excerpt(json.dumps({"echo": f"your key {key} is odd"}), 300)
    finally:
        output.REDACT.use([KEY])
    assert "***" in shown and "quote" not in shown and "slash" not in shown and "ones" not in shown


def test_a_key_echoed_in_base64_is_masked():
    output.REDACT.use([KEY])
    for echoed in (KEY, f"apiKey={KEY}", f"ab{KEY}zz"):
        shown = output.REDACT("echo " + base64.b64encode(echoed.encode()).decode())
        assert "***" in shown and base64.b64encode(KEY.encode()).decode()[4:-4] not in shown


def test_the_key_is_masked_even_in_a_structured_field():
    output.REDACT.use([KEY])
    line = json.loads(output.json_line("buy", True, {"order_id": KEY, "number": f"+86{KEY}", "price": 0.3}))
    assert (line["order_id"], line["number"], line["price"]) == ("***", "***", 0.3)
