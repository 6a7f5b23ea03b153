"""What the red team reproduced in round 6: secrets that match data, ids across protocols, per-host budgets, proxy
passwords with URL characters, requests' own proxy rules, orders still within their hold."""
import pytest
import responses
from responses import matchers

import fakes
from support import KEY, PRIMARY, config, output

activate = responses.activate(assert_all_requests_are_fired=True)
SA = "https://sa.example.test/stubs/handler_api.php"


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


def test_an_id_given_with_a_name_still_keeps_to_the_first_sites_protocol(cli, env):
    env["SMSONLINE_BASE_URLS"] = f"{SA},{PRIMARY}"
    query = {"api_key": KEY, "action": "getServicesList"}
    with responses.RequestsMock() as mock:
        mock.get(SA, json={"status": "success", "services": [{"code": "sl", "name": "Soul"}]},
                 match=[matchers.query_param_matcher(query)])
        mock.get(SA, json={"3": {"sl": {"cost": 12.5, "count": 4}}}, match=[matchers.query_param_matcher(
            {"api_key": KEY, "action": "getPrices", "country": "3", "service": "sl"})])
        mock.get(SA, body="NO_NUMBERS", match=[matchers.query_param_matcher(
            {"api_key": KEY, "action": "getNumber", "country": "3", "service": "sl"})])
        run = cli("buy", "--country", "3", "--service", "Soul")
    assert (run.code, run.kind) == (3, "no_numbers")
    assert all("premium" not in c.request.url for c in mock.calls)  # 3 is China there, Russia on SMSOnline


def settings_with(tmp_path, monkeypatch, users_file, environ=None, bases=(SA,)):
    path = tmp_path / "skill.env"
    path.write_text(users_file)
    monkeypatch.setattr(config, "USER_ENV_FILE", str(path))
    args = type("Args", (), {"base_url": list(bases), "state_dir": None, "proxy": None, "connect_timeout": None,
                             "read_timeout": None, "trace": None, "test": False, "verbose": False, "quiet": False,
                             "sandbox": False, "refresh": False, "max_price": None})()
    return config.load_config(args, {"SMSONLINE_API_KEY": KEY, "SMSONLINE_ENV_FILE": "/dev/null", **(environ or {})})


def test_a_per_host_budget_counts_every_base_at_that_host(tmp_path, monkeypatch):
    other_port = "https://sa.example.test:8443/stubs/handler_api.php"
    settings = settings_with(tmp_path, monkeypatch, "SMSONLINE_DAILY_BUDGET_SA_EXAMPLE_TEST=20\n")
    [budget] = config.limits_for(settings, SA).budgets
    assert budget.amount == 20.0 and budget.counts(other_port) and not budget.counts(PRIMARY)


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


def test_cleanup_leaves_a_bought_order_within_its_hold_to_its_wait_and_says_why(cli, store):
    from test_cli import dead_pid
    store.update(store.adopt("9", PRIMARY), pid=dead_pid())  # `buy` ended; the agent runs `wait` next
    with responses.RequestsMock():
        line = cli("cleanup").line
    assert line["count"] == 0 and "within its hold" in line["left"][0]["why"]  # `cleanup --all` cancels it now
    assert store.order("9")["state"] == "waiting"
