"""The CLI over mocked HTTP: configuration, names and their cache, buying, rule 3, fallback, redaction."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import responses
from responses import registries

import fakes
from support import BACKUP, KEY, PRIMARY, config, http, ledger, output, sms

activate = responses.activate(assert_all_requests_are_fired=True)
ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- configuration and usage ------------------------------------------------------------------------

@activate
def test_missing_key_is_a_config_error_before_any_request(cli, env):
    del env["SMSONLINE_API_KEY"]
    run = cli("receive", "--country", "China", "--service", "Soul")
    assert (run.code, run.kind, run.line["ok"]) == (2, "config", False)
    assert "SMSONLINE_API_KEY" in run.line["error"]["message"]
    assert len(responses.calls) == 0


@activate
def test_key_comes_from_the_env_file_and_the_environment_wins(cli, env, tmp_path):
    env_file = tmp_path / "skill.env"
    env_file.write_text(f"SMSONLINE_API_KEY={KEY}\nSMSONLINE_BASE_URLS={BACKUP}\n")
    env["SMSONLINE_ENV_FILE"] = str(env_file)
    del env["SMSONLINE_API_KEY"]
    fakes.add("get-countries", fakes.COUNTRIES, base=PRIMARY)  # the environment's base list wins over the file's
    assert cli("countries").code == 0
    env["SMSONLINE_API_KEY"] = "test-key-from-environment"
    env_file.write_text("SMSONLINE_API_KEY=test-key-from-file\n")
    responses.get(fakes.url("get-countries"), json=fakes.COUNTRIES,
                  match=[responses.matchers.query_param_matcher({"apiKey": "test-key-from-environment"})])
    assert cli("countries", "--refresh").code == 0


def test_no_upward_search_for_stray_env_files(cli, env, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "SKILL_DIR", tmp_path / "skill")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SMSONLINE_API_KEY=test-key-stray\n")
    del env["SMSONLINE_API_KEY"], env["SMSONLINE_ENV_FILE"]
    run = cli("countries")
    assert (run.code, run.kind) == (2, "config")


def test_a_named_env_file_that_is_missing_is_a_config_error(cli, env, tmp_path):
    env["SMSONLINE_ENV_FILE"] = str(tmp_path / "nope.env")
    run = cli("countries")
    assert (run.code, run.kind) == (2, "config")


@pytest.mark.parametrize("argv", [
    ["wait", "--timeout", "0"], ["wait", "--interval", "-1"],
    ["buy", "--country", "1", "--service", "1", "--hold", "0"],
    ["receive", "--country", "1"], ["fly"], [], ["check"], ["wait", "--code-regex", "(unclosed"],
    ["--connect-timeout", "soon", "countries"], ["--base-url", "ftp://x", "countries"], ["wait", "--timeout", "abc"],
    ["wait", "--timeout", "nan"], ["wait", "--timeout", "inf"], ["wait", "--interval", "NaN"],
    ["buy", "--country", "1", "--service", "1", "--max-price", "nan"], ["--read-timeout", "inf", "countries"],
    ["receive", "--country", "1", "--service", "1", "--number-file", "/no/such/folder/n.txt"],
    ["wait", "--interval", "0.4"], ["wait", "--interval", "1e-300"], ["wait", "--timeout", "3601"],
    ["--read-timeout", "1e19", "countries"], ["--connect-timeout", "7200", "countries"],
    ["buy", "--country", "1", "--service", "1", "--hold", "86400"],
    ["receive", "--country", "1", "--service", "1", "--number-file", "/tmp"],
    ["receive", "--country", "1", "--service", "1", "--attempts", "0"],
    ["receive", "--country", "1", "--service", "1", "--attempts", "11"],
    ["receive", "--country", "1", "--service", "1", "--attempts", "1.5"],
    ["orders", "--limit", "0"], ["orders", "--limit", "100001"], ["orders", "--limit", "٣"],
])
@activate
def test_bad_input_is_a_usage_error_with_one_json_line_and_no_request(cli, argv):
    run = cli(*argv)
    assert run.code == 2 and run.kind in ("usage", "config") and not run.line["ok"]
    assert len(responses.calls) == 0


@pytest.mark.parametrize("name, value", [("SMSONLINE_READ_TIMEOUT", "1e19"), ("SMSONLINE_CONNECT_TIMEOUT", "nan"),
                                         ("SMSONLINE_MAX_PRICE", "-1"), ("SMSONLINE_PROXY_PORTS", "7890,abc")])
@activate
def test_bad_settings_in_the_environment_are_config_errors_before_any_request(cli, env, name, value):
    env[name] = value
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (2, "config") and name in run.line["error"]["message"]


def test_help_is_the_one_exception_to_the_json_line(env, capsys):
    assert sms.main(["--help"], environ=env) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and "Usage:" in out and "receive --sandbox" in out


@activate
def test_global_options_before_or_after_the_command(cli, env):
    del env["SMSONLINE_BASE_URLS"]
    fakes.add("get-services", fakes.SERVICES, base=BACKUP)
    run = cli("--base-url", BACKUP, "services", "--verbose")
    assert run.code == 0 and run.line["count"] == 5
    assert "get-services" in run.err  # -v after the command took effect


# --- names and the cache ----------------------------------------------------------------------------

@pytest.mark.parametrize("country, service, ids", [
    ("中国", "soul", (1, 101)), ("CN", "SOUL", (1, 101)), ("china", "Soul", (1, 101)), ("美国", "微信", (2, 104)),
    ("US", "WeChat", (2, 104)), ("UK", "B站", (3, 102)), ("GB", "whats", (3, 106)), ("United K", "bili", (3, 102)),
    ("1", "101", (1, 101)),
])
@activate
def test_names_resolve_by_alias_case_prefix_or_id(cli, country, service, ids):
    if not (country.isdigit() and service.isdigit()):
        fakes.catalogue()
    fakes.products(*ids)
    run = cli("products", "--country", country, "--service", service)
    assert run.code == 0, run.line
    assert (run.line["country_id"], run.line["service_id"]) == tuple(map(str, ids))


@activate
def test_ids_need_no_list_requests(cli):
    fakes.products(1, 101)
    assert cli("products", "--country", "1", "--service", "101").code == 0
    assert fakes.hosts_called() == ["premium.example.test"]


@activate
def test_lists_are_cached_for_a_day_and_refresh_bypasses_the_cache(cli):
    countries = fakes.add("get-countries", fakes.COUNTRIES)
    fakes.add("get-services", fakes.SERVICES)
    fakes.products(1, 101)
    for _ in range(3):
        assert cli("products", "--country", "China", "--service", "Soul").code == 0
    assert countries.call_count == 1
    assert cli("countries", "--refresh").code == 0
    assert countries.call_count == 2


@activate
def test_ambiguous_name_is_a_usage_error_listing_candidates_and_nothing_is_bought(cli):
    fakes.catalogue()
    run = cli("buy", "--country", "China", "--service", "WeCh")
    assert (run.code, run.kind) == (2, "usage")
    assert {c["name"] for c in run.line["candidates"]} == {"WeChat", "WeChat Pay"}
    assert not fakes.calls_to("buy-service")


@activate
def test_unknown_name_suggests_close_matches(cli):
    fakes.add("get-countries", fakes.COUNTRIES)
    run = cli("receive", "--country", "Chna", "--service", "Soul")
    assert (run.code, run.kind) == (2, "usage")
    assert "china" in run.line["candidates"]


@activate
def test_search_filters_the_list(cli):
    fakes.add("get-countries", fakes.COUNTRIES)
    run = cli("countries", "--search", "united")
    assert [i["name"] for i in run.line["items"]] == ["United States", "United Kingdom"]
    assert [i["id"] for i in cli("countries", "--search", "中国").line["items"]] == ["1"]


# --- buying -------------------------------------------------------------------------------------------

@ordered
def test_buy_picks_the_cheapest_operator_in_stock_and_records_the_order(cli, store):
    fakes.catalogue()
    fakes.products()
    fakes.buy(operator=13)
    run = cli("buy", "--country", "中国", "--service", "Soul")
    assert run.code == 0
    assert run.line["status"] == "waiting" and run.line["order_id"] == fakes.ORDER_ID
    assert (run.line["number"], run.line["price"], run.line["operator_id"]) == (fakes.NUMBER, 0.3, "13")
    assert fakes.NUMBER in run.err  # the number is announced on stderr too
    order = store.order(fakes.ORDER_ID)
    assert (order["state"], order["base_url"], order["pid"]) == ("waiting", PRIMARY, os.getpid())


@activate
def test_a_price_limit_below_every_offer_in_stock_is_budget_with_the_cheapest_offer(cli):
    fakes.products()
    run = cli("buy", "--country", "1", "--service", "101", "--max-price", "0.25")
    assert (run.code, run.kind) == (3, "budget") and not fakes.calls_to("buy-service")
    assert (run.line["cheapest"]["price"], run.line["cheapest"]["stock"]) == (0.3, 9)
    assert "only they can raise" in run.line["error"]["message"]


@activate
def test_no_numbers_means_nothing_in_stock_at_any_price(cli):
    fakes.products(body={"status": 1, "data": [{"operatorId": 11, "name": "Mobile", "price": 0.35, "count": 0}]})
    run = cli("buy", "--country", "1", "--service", "101", "--max-price", "0.25")
    assert (run.code, run.kind) == (3, "no_numbers") and "cheapest" not in run.line


@activate
def test_explicit_operator_skips_the_products_call_and_test_adds_test_1(cli):
    fakes.buy(operator=11, test=1)
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "11", "--test")
    assert run.code == 0 and run.line["test"] is True
    assert not fakes.calls_to("get-products")


@activate
def test_the_order_is_in_the_ledger_while_buy_service_is_answering(cli, env):
    seen = []

    def answer(request):
        view = ledger.Store(Path(env["SMSONLINE_STATE_DIR"]))
        seen.append([o["state"] for o in view.orders()])
        return 200, {}, '{"status": 1, "data": {"orderId": 500001, "number": "+1"}}'
    responses.add_callback(responses.GET, fakes.url("buy-service"), callback=answer)
    assert cli("buy", "--country", "1", "--service", "1", "--operator", "1").code == 0
    assert seen == [["buying"]]


@activate
def test_a_second_buy_is_refused_while_an_order_waits(cli, store):
    fakes.buy(1, 101, 13)
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").code == 0
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (5, "open_order")
    assert run.line["open_orders"][0]["order_id"] == fakes.ORDER_ID
    assert len(fakes.calls_to("buy-service")) == 1


@ordered
def test_replace_cancels_the_open_order_then_buys(cli, store):
    fakes.buy(1, 101, 13)
    fakes.status(4)
    fakes.buy(1, 101, 13, body={"status": 1, "data": {"orderId": 500002, "number": "+8613800000002"}})
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").code == 0
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13", "--replace")
    assert run.code == 0 and run.line["order_id"] == "500002"
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


@ordered
def test_an_orphan_past_its_hold_is_cancelled_at_the_next_buy(cli, store):
    fakes.buy(1, 101, 13)
    fakes.status(4)
    fakes.buy(1, 101, 13, body={"status": 1, "data": {"orderId": 500002, "number": "+8613800000002"}})
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13", "--hold", "60").code == 0
    order = store.order(fakes.ORDER_ID)
    store.update(order, pid=dead_pid(), created_at=order["created_at"] - 61, settle_after=order["settle_after"] - 61)
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert run.code == 0 and run.line["order_id"] == "500002"
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


@activate
def test_an_orphan_within_its_hold_still_blocks(cli, store):
    fakes.buy(1, 101, 13)
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13", "--hold", "60").code == 0
    store.update(store.order(fakes.ORDER_ID), pid=dead_pid())
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").code == 5


@activate
def test_buy_is_never_retried_or_moved_after_a_read_timeout(cli, store):
    call = fakes.buy(1, 101, 13, body=requests.exceptions.ReadTimeout("read timed out"))
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (4, "network")
    assert call.call_count == 1 and fakes.hosts_called() == ["premium.example.test"]  # not sent to the backup
    assert "website" in run.line["error"]["message"]
    assert [o["state"] for o in store.orders()] == ["unknown"]  # kept for the record, never blocking


@activate
def test_buy_answered_with_5xx_is_uncertain_and_not_retried(cli, store):
    call = fakes.buy(1, 101, 13, body="<html>502</html>", status=502)
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (3, "api")
    assert call.call_count == 1
    assert [o["state"] for o in store.orders()] == ["unknown"]


@activate
def test_buy_moves_to_the_next_base_when_nothing_was_sent(cli, store):
    fakes.buy(1, 101, 13, body=requests.exceptions.ConnectTimeout("connect timed out"))
    fakes.buy(1, 101, 13, base=BACKUP)
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert run.code == 0 and run.line["base_url"] == BACKUP
    assert store.order(fakes.ORDER_ID)["base_url"] == BACKUP


@activate
def test_a_refused_buy_leaves_nothing_in_the_ledger(cli, store):
    fakes.buy(1, 101, 13, body={"status": -1, "message": "Insufficient balance"})
    fakes.buy(1, 101, 13, body={"status": -1, "message": "Insufficient balance"}, base=BACKUP)  # the next site too
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (3, "balance")
    assert store.orders() == [] and [a["host"] for a in run.line["error"]["attempts"]] == \
        ["premium.example.test", "backup.example.test"]


# --- base URL fallback --------------------------------------------------------------------------------

@activate
def test_fallback_then_the_dead_base_is_tried_last_for_ten_minutes(cli, store, monkeypatch):
    fakes.add("get-countries", requests.exceptions.ConnectTimeout("connect timed out"))
    fakes.add("get-countries", fakes.COUNTRIES, base=BACKUP)
    assert cli("countries").code == 0
    assert fakes.hosts_called() == ["premium.example.test", "backup.example.test"]
    responses.calls.reset()
    fakes.add("get-services", fakes.SERVICES, base=BACKUP)
    assert cli("services").code == 0
    assert fakes.hosts_called() == ["backup.example.test"]  # the dead one costs nothing this time
    later = store.now() + ledger.FAILED_BASE_TTL_S + 1
    assert ledger.Store(Path(store.db.execute("PRAGMA database_list").fetchone()[2]).parent,
                     now=lambda: later).recently_failed_bases() == {}


@activate
def test_no_base_reachable_is_a_network_error_naming_every_attempt(cli):
    fakes.add("get-countries", fakes.refused())
    fakes.add("get-countries", requests.exceptions.ConnectTimeout("timed out"), base=BACKUP)
    run = cli("countries")
    assert (run.code, run.kind) == (4, "network")
    attempts = run.line["error"]["attempts"]
    assert [(a["host"], a["error"]) for a in attempts] == [("premium.example.test", "connection refused"),
                                                           ("backup.example.test", "connect timeout")]
    assert all("--proxy" in a["next_step"] for a in attempts)
    assert "premium.example.test: connection refused" in run.line["error"]["message"]


@activate
def test_premium_tls_blocked_and_the_fallback_refusing_the_key_names_both_and_what_to_do(cli):
    fakes.add("get-countries", fakes.handshake_failed())
    fakes.add("get-countries", {"status": -1, "message": "Invalid API key"}, base=BACKUP, status=401)
    run = cli("countries")
    assert (run.code, run.kind) == (3, "auth")
    premium, backup = run.line["error"]["attempts"]
    assert (premium["host"], backup["host"]) == ("premium.example.test", "backup.example.test")
    assert premium["error"].startswith("TLS handshake failed") and "--proxy" in premium["next_step"]
    assert "SMSONLINE_API_KEY_BACKUP_EXAMPLE_TEST" in backup["next_step"] and "per site" in backup["next_step"]
    message = run.line["error"]["message"]
    assert "premium.example.test: TLS handshake failed" in message
    assert "SMSONLINE_API_KEY_BACKUP_EXAMPLE_TEST" in message


@activate
def test_a_base_that_failed_recently_is_tried_last_but_still_tried(cli, store):
    store.mark_base_failed(PRIMARY)  # premium failed a minute ago …
    fakes.add("get-countries", {"status": -1, "message": "Invalid API key"}, base=BACKUP, status=401)
    fakes.add("get-countries", fakes.COUNTRIES)  # … and works now
    run = cli("countries")
    assert run.code == 0 and fakes.hosts_called() == ["backup.example.test", "premium.example.test"]


@activate
def test_a_site_specific_key_wins_and_a_base_without_any_key_is_skipped(cli, env):
    del env["SMSONLINE_API_KEY"]
    env["SMSONLINE_API_KEY_BACKUP_EXAMPLE_TEST"] = "test-key-backup-site-0042"
    responses.get(fakes.url("get-countries", BACKUP), json=fakes.COUNTRIES,
                  match=[responses.matchers.query_param_matcher({"apiKey": "test-key-backup-site-0042"})])
    run = cli("countries")
    assert run.code == 0 and fakes.hosts_called() == ["backup.example.test"]
    assert "test-key-backup-site-0042" not in run.out + run.err


# --- redaction -------------------------------------------------------------------------------------

@activate
def test_the_key_is_redacted_from_transport_errors_logs_and_the_ledger(cli, env):
    leaky = f"HTTPSConnectionPool: Max retries exceeded with url: /get-countries?apiKey={KEY}&x=1 (weird)"
    fakes.add("get-countries", requests.exceptions.ConnectionError(leaky))
    fakes.add("get-countries", requests.exceptions.ConnectionError(leaky), base=BACKUP)
    run = cli("-v", "countries")  # the fixture asserts KEY is absent from stdout and stderr
    assert run.code == 4 and "apiKey=***" in run.line["error"]["attempts"][0]["error"]
    for path in Path(env["SMSONLINE_STATE_DIR"]).iterdir():
        assert KEY.encode() not in path.read_bytes()


def test_redactor_covers_the_key_anywhere_typed_or_url_encoded():
    redact = output.Redactor()
    key = "test-key-a/b+c=d"
    redact.use([key])
    for leak in (key, "test-key-a%2Fb%2Bc%3Dd", "test-key-a/b%2Bc%3Dd", "test-key-a%2fb%2bc%3dd",
                 "test-key-a%252Fb%252Bc%253Dd", "test%252Dkey-a/b+c=d"):  # twice: a link quoting the request URL
        assert redact(f"x {leak} y") == "x *** y"
    assert redact("GET /x?apiKey=abc&id=1") == "GET /x?apiKey=***&id=1"


def test_redactor_covers_the_key_html_escaped_and_in_a_query_where_it_holds_an_ampersand():
    redact = output.Redactor()
    key = "test-key-Rt4+Key/Seg=99&z~x<y>\"q"
    redact.use([key])
    for leak in ("test-key-Rt4+Key/Seg=99&amp;z~x&lt;y&gt;&quot;q", "test-key-Rt4%2BKey%2FSeg%3D99%26amp%3Bz~x<y>\"q",
                 "test-key-Rt4+Key/Seg=99&#38;z~x&#x3c;y>&#34;q",
                 # red-team round 5: escaped twice, escaped then percent-encoded twice, JavaScript's \x
                 "test-key-Rt4+Key/Seg=99&amp;amp;z~x&amp;lt;y&amp;gt;&amp;quot;q",
                 "test-key-Rt4+Key/Seg=99%2526amp%253Bz~x%2526lt%253By%2526gt%253B%2526quot%253Bq",
                 "test-key-Rt4\\x2bKey\\x2fSeg\\x3d99\\x26z~x\\x3cy\\x3e\\x22q",
                 "test-key-Rt4+Key/Seg=99%26%2338%3Bz~x<y>%26%23x22%3Bq"):
        assert redact(f"x {leak} y") == "x *** y", leak
    assert redact(f"GET /x?api_key={key}&id=1") == "GET /x?api_key=***&id=1"  # the whole key, not up to its "&"
    apostrophe = output.Redactor()
    apostrophe.use(["test-key-Rt5'Key"])
    for leak in ("test-key-Rt5&apos;Key", "test-key-Rt5%26%23x27%3BKey", "test-key-Rt5%2526%2523x27%253BKey",
                 "test-key-Rt5%26apos%3BKey", "test-key-Rt5&#39;Key"):
        assert apostrophe(f"x {leak} y") == "x *** y", leak


# --- HTTP layer --------------------------------------------------------------------------------------

@ordered
def test_lists_are_retried_after_a_5xx(cli):
    fakes.add("get-countries", "<html>503</html>", status=503)
    fakes.add("get-countries", fakes.COUNTRIES)
    run = cli("countries")
    assert run.code == 0 and len(responses.calls) == 2


def test_retry_policies_per_kind_of_operation():
    from smsonline.platform import Kind
    buy, general, change = (http().RETRIES[kind] for kind in (Kind.BUY, Kind.READ, Kind.SETTLE))
    assert (buy.read, buy.status, buy.other) == (False, 0, 0) and buy.connect > 0
    assert general.read is False and 503 in general.status_forcelist and general.connect > 0
    assert change.read > 0 and 503 in change.status_forcelist


def test_one_adapter_serves_every_endpoint_so_a_run_keeps_one_connection():
    session, adapter = http().build_session(config.Config(sandbox=False))
    adapters = {id(session.get_adapter(fakes.url(e))) for e in ("buy-service", "get-sms", "change-status")}
    assert adapters == {id(adapter)} and isinstance(adapter, http().KindRetryAdapter)


@activate
def test_dev_null_as_env_file_means_no_settings(cli, env):
    env["SMSONLINE_ENV_FILE"] = "/dev/null"
    fakes.add("get-countries", fakes.COUNTRIES)
    assert cli("countries").code == 0


@activate
def test_an_unreachable_proxy_proves_nothing_was_sent_so_buy_moves_on(cli, store):
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ProxyError
    down = ProxyError("Unable to connect to proxy", NewConnectionError(None, "Connection refused"))
    fakes.buy(body=requests.exceptions.ProxyError(MaxRetryError(None, "/x", down)))
    fakes.buy(base=BACKUP)
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert run.code == 0 and run.line["base_url"] == BACKUP


@activate
def test_an_unrecorded_order_refused_a_finish_is_not_adopted(cli, store):
    fakes.poll(fakes.WAITING, order_id="31")
    assert cli("finish", "--id", "31").code == 2
    assert store.orders() == []


@activate
def test_a_bug_while_reading_the_purchase_keeps_the_attempt_as_unknown(cli, store, monkeypatch):
    fakes.buy(1, 101, 13)
    from smsonline import smsonline_v1
    monkeypatch.setattr(smsonline_v1, "read_purchase", lambda answer: 1 / 0)
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (7, "internal")
    assert [o["state"] for o in store.orders()] == ["unknown"]  # the platform may have sold it: never forgotten


@activate
def test_a_key_echoed_in_a_long_refusal_leaves_no_part_of_it_anywhere(cli, env):
    echo = {"status": -1, "message": "x" * 100 + f" your key {KEY} (url-encoded {KEY.replace('-', '%2D')}) is odd"}
    fakes.buy(body=echo, status=502)  # a 5xx: kept as an uncertain purchase, with the message in the ledger's note
    run = cli("-v", "buy", "--country", "1", "--service", "101", "--operator", "13")
    assert run.code == 3 and run.line["error"]["message"]
    for text in (run.out, run.err, *[p.read_bytes().decode("utf-8", "replace")
                                     for p in Path(env["SMSONLINE_STATE_DIR"]).iterdir()]):
        assert KEY[:12] not in text and "test%2Dkey" not in text


@activate
def test_a_buy_after_an_old_unanswered_purchase_goes_ahead_and_says_so(cli, store):
    reservation, _, _ = store.reserve_purchase(fakes.WHAT, PRIMARY, 600, replace=False, test=False)
    store.update(dict(reservation), state="unknown", created_at=store.now() - ledger.ORDER_LIFETIME_S - 1)
    fakes.buy()
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert run.code == 0 and "cleanup --forget attempt-1" in run.line["warning"]
    assert [o["order_status"] for o in cli("orders").line["orders"]] == ["waiting", "unknown"]  # newest first


# --- a key per site; placeholders are not keys ---------------------------------------------------------

@activate
def test_a_site_key_from_the_env_file_serves_its_site_and_the_general_key_the_others(cli, env, tmp_path):
    env_file = tmp_path / "skill.env"
    env_file.write_text("SMSONLINE_API_KEY_PREMIUM_EXAMPLE_TEST=test-key-premium-site-77\n")
    env["SMSONLINE_ENV_FILE"] = str(env_file)
    responses.get(fakes.url("get-countries"), body=fakes.refused())
    responses.get(fakes.url("get-countries", BACKUP), json=fakes.COUNTRIES,
                  match=[responses.matchers.query_param_matcher({"apiKey": KEY})])
    responses.get(fakes.url("get-services"), json=fakes.SERVICES,
                  match=[responses.matchers.query_param_matcher({"apiKey": "test-key-premium-site-77"})])
    assert cli("countries").code == 0
    assert cli("services").code == 0  # premium is tried last now, and with its own key


@activate
def test_no_key_for_any_base_is_a_config_error_naming_both_kinds_of_variable(cli, env):
    del env["SMSONLINE_API_KEY"]
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (2, "config") and not responses.calls
    assert "SMSONLINE_API_KEY_PREMIUM_EXAMPLE_TEST" in run.line["error"]["message"]


@pytest.mark.parametrize("value", ["test-key-replace-me", "your-key-here", "<SMSONLINE_KEY>", "xxxxxxxxxxxx", "  ",
                                   "short"])
@activate
def test_a_placeholder_key_is_a_config_error_naming_its_file(cli, env, tmp_path, value):
    env_file = tmp_path / "skill.env"
    env_file.write_text(f"SMSONLINE_API_KEY_SMSONLINE_IO={value}\n")
    env["SMSONLINE_ENV_FILE"] = str(env_file)
    run = cli("countries")
    assert (run.code, run.kind) == (2, "config") and not responses.calls
    assert "SMSONLINE_API_KEY_SMSONLINE_IO" in run.line["error"]["message"] and str(env_file) in \
        run.line["error"]["message"]


def test_the_shipped_env_example_is_refused_as_it_is(cli, env):
    env["SMSONLINE_ENV_FILE"] = str(Path(sms.__file__).resolve().parent.parent / ".env.example")
    del env["SMSONLINE_API_KEY"]
    run = cli("countries")
    assert (run.code, run.kind) == (2, "config") and ".env.example" in run.line["error"]["message"]


# --- spending limits ---------------------------------------------------------------------------------------

def bought(order_id, number):
    return {"status": 1, "data": {"orderId": order_id, "number": number}}


@activate
def test_the_daily_budget_counts_spent_and_held_over_24_hours_and_refuses_before_buying(cli, env):
    env["SMSONLINE_DAILY_BUDGET"] = "0.5"
    wall = [1_800_000_000.0]
    now = lambda: wall[0]  # noqa: E731
    products = fakes.products()
    fakes.buy(body=bought(1, "+8613800000001"))
    fakes.status(4, order_id="1")
    fakes.buy(body=bought(2, "+8613800000002"))
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13", now=now).code == 0  # 0.3 held
    assert cli("cancel", "--id", "1", now=now).code == 0  # nothing held any more
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13", now=now).code == 0
    ledger_now = ledger.Store(Path(env["SMSONLINE_STATE_DIR"]), now=now)
    ledger_now.update(ledger_now.order("2"), state="finished")  # 0.3 spent
    wall[0] += 3600
    over = cli("buy", "--country", "1", "--service", "101", "--operator", "13", now=now)
    assert (over.code, over.kind) == (3, "budget")
    assert (over.line["spent"], over.line["held"], over.line["budget"], over.line["price"]) == (0.3, 0, 0.5, 0.3)
    assert len(fakes.calls_to("buy-service")) == 2 and "raise" in over.line["error"]["message"]
    wall[0] += 24 * 3600  # a day later the spend no longer counts
    fakes.buy(body=bought(3, "+8613800000003"))
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13", now=now).code == 0
    assert products.call_count == 4  # a budget needs the price: products is asked even with --operator


@activate
def test_a_used_up_budget_is_refused_before_any_request(cli, env, store):
    env["SMSONLINE_DAILY_BUDGET"] = "0.3"
    order = store.adopt("9", PRIMARY)
    store.update(order, state="finished", price=0.3)
    run = cli("buy", "--country", "China", "--service", "Soul")
    assert (run.code, run.kind, run.line["spent"]) == (3, "budget", 0.3) and not responses.calls


@activate
def test_the_max_price_setting_is_the_default_limit_and_an_unknown_price_never_passes(cli, env):
    env["SMSONLINE_MAX_PRICE"] = "0.32"
    fakes.products(body={"status": 1, "data": [{"operatorId": 11, "name": "Mobile", "price": 0.35, "count": 5},
                                               {"operatorId": 14, "name": "Mystery", "count": 5}]})
    run = cli("buy", "--country", "1", "--service", "101")
    assert (run.code, run.kind) == (3, "budget") and not fakes.calls_to("buy-service")


@activate
def test_orders_always_reports_money_and_the_budget(cli, env, store):
    env["SMSONLINE_DAILY_BUDGET"] = "5"
    store.update(store.adopt("9", PRIMARY), state="finished", price=0.3)
    store.update(store.adopt("10", PRIMARY), price=0.5)
    for argv in (["orders"], ["orders", "--all"]):
        line = cli(*argv).line
        assert (line["spent"], line["held"], line["spent_24h"], line["budget"], line["budget_left"]) == \
            (0.3, 0.5, 0.3, 5.0, 4.2)


@ordered
def test_replace_says_what_it_cancelled(cli, store):
    fakes.buy(1, 101, 13)
    fakes.status(4)
    fakes.buy(1, 101, 13, body=bought(500002, "+8613800000002"))
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").line["replaced"] == []
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13", "--replace")
    assert run.line["replaced"] == [{"order_id": fakes.ORDER_ID, "order_status": "cancelled"}]
    assert f"replaced: order {fakes.ORDER_ID} is now cancelled" in run.err


@pytest.mark.parametrize("command, state, code, kind", [("cancel", "cancelled", 0, None),
                                                         ("refund", "cancelled", 2, "usage"),
                                                        ("finish", "closed", 2, "usage")])
@activate
def test_a_settled_order_is_never_sent_another_status(cli, store, command, state, code, kind):
    store.update(store.adopt(fakes.ORDER_ID, PRIMARY), state=state, code="8848")
    run = cli(command, "--id", fakes.ORDER_ID)
    assert (run.code, run.kind, run.line["order_status"]) == (code, kind, state) and not responses.calls


def test_a_resolver_that_never_answers_cannot_hold_a_connection(monkeypatch):
    import threading
    import time
    stuck = threading.Event()
    monkeypatch.setattr(http().socket, "getaddrinfo", lambda *args, **kwargs: stuck.wait(30))
    started = time.monotonic()
    with pytest.raises(http().ConnectTimeoutError, match="DNS lookup"):
        http().bounded_lookup("platform.example.test", 443, 0.3)
    assert time.monotonic() - started < 2
    stuck.set()
    http().bounded_lookup("127.0.0.1", 443, 0)  # an address needs no lookup
