"""What a sloppy platform does to the money promises, one case per test (each was first reproduced against fake
servers): 5xx and unknown errors on buy-service, redirects, refusals hidden in the payload,
successes that look like refusals, reused order ids, escaped keys echoed back, NaN prices."""
import json
import math

import pytest
import responses
from responses import registries

import fakes
from support import KEY, PRIMARY, ledger

activate = responses.activate(assert_all_requests_are_fired=True)
ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)
BUY = ("buy", "--country", "1", "--service", "101", "--operator", "13")
RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13")


def buy_answers(body, **kwargs):
    return fakes.add("buy-service", body, params={"countryId": 1, "serviceId": 101, "operatorId": 13}, **kwargs)


@pytest.mark.parametrize("body, status, content_type", [
    ({"status": -1, "message": "Internal Server Error"}, 500, "application/json"),
    ("upstream connection reset", 502, "text/plain"),  # a proxy's own answer
    ("ERROR_SQL", 200, "text/plain"),  # an error nobody documented
    ({"status": -1, "message": "something odd happened"}, 200, "application/json"),
])
@activate
def test_an_answer_to_buy_service_that_is_not_a_known_refusal_is_an_uncertain_purchase(cli, store, body, status,
                                                                                          content_type):
    call = buy_answers(body, status=status, content_type=content_type)
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "api") and "an order may exist" in run.line["error"]["message"]
    assert call.call_count == 1 and [o["state"] for o in store.orders()] == ["unknown"]
    again = cli(*BUY)
    assert (again.code, again.kind) == (5, "open_order") and call.call_count == 1


@activate
def test_buy_service_never_follows_a_redirect(cli, store):
    call = buy_answers("", status=302, headers={"Location": fakes.url("buy-service", "https://other.test/api/v1")})
    run = cli(*BUY)
    assert run.code == 3 and call.call_count == 1 and [o["state"] for o in store.orders()] == ["unknown"]


@ordered
def test_a_success_that_looks_like_a_refusal_is_still_a_purchase_and_is_cancelled_if_unused(cli, store):
    fakes.buy(body={"status": -1, "message": "NO_BALANCE", "data": {"orderId": 500001, "number": "+8613800000001"}})
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)
    fakes.status(4)
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.line["order_id"], run.line["order_status"]) == (1, "500001", "cancelled")


@ordered
def test_a_cancel_refused_inside_the_payload_is_checked_and_the_code_collected(cli, store):
    coded = {"code": 0, "msg": "success"}
    fakes.buy(body={**coded, "data": {"orderId": 500001, "number": "+8613800000001"}})
    fakes.poll({**coded, "data": {"status": "waiting"}})
    fakes.poll({**coded, "data": {"status": "waiting"}})
    fakes.status(4, body={**coded, "data": {"success": False, "message": "Cannot cancel: SMS already received"}})
    fakes.poll({**coded, "data": {"sms": "Your Soul verification code is 771234"}})
    fakes.status(3, body={**coded, "data": None})
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.line["code"], run.line["order_status"]) == (0, "771234", "finished")


@activate
def test_a_reused_order_id_never_locks_the_skill(cli, store):
    first = store.adopt("777", PRIMARY)
    store.update(first, state="received", code="4821", settle_after=store.now() - 1, pid=None)
    store.update(store.adopt("777", PRIMARY), state="finished", code="4821")
    fakes.status(3, body={"status": -1, "message": "Order status cannot be changed"}, order_id="777")
    fakes.poll({"status": 1, "data": {"status": "received", "sms": "code 4821"}}, order_id="777")
    fakes.buy()
    bought = cli(*BUY)  # the stale confirm is refused: said, not blocking
    assert bought.code == 0 and "777" in bought.line["warning"]
    assert cli("cleanup", "--forget", "777").line["order_status"] == "forgotten"


@ordered
def test_a_new_purchase_with_an_id_already_open_closes_the_old_row(cli, store):
    old = store.adopt(fakes.ORDER_ID, PRIMARY)
    store.update(old, state="received", code="1234", pid=None)
    fakes.buy()
    assert cli(*BUY).code == 0
    states = sorted(o["state"] for o in store.orders() if o["order_id"] == fakes.ORDER_ID)
    assert states == ["closed", "waiting"]


@activate
def test_a_key_echoed_with_json_escapes_stays_out_of_the_trace(cli, env, tmp_path):
    key = "test-key-Rt7/Kq+Zx9/wLm=="
    env["SMSONLINE_API_KEY"] = key
    echoed = json.dumps({"status": -1, "message": "Invalid API key", "apiKey": key}).replace("/", "\\/")
    responses.get(fakes.url("get-countries"), body=echoed, status=401,
                  match=[responses.matchers.query_param_matcher({"apiKey": key})])
    responses.get(fakes.url("get-countries", fakes.BACKUP), body=echoed, status=401,
                  match=[responses.matchers.query_param_matcher({"apiKey": key})])
    cli("countries", "--trace", str(tmp_path / "t.jsonl"))
    text = (tmp_path / "t.jsonl").read_text()
    assert "Rt7" not in text and "wLm" not in text and KEY not in text


@ordered
def test_a_nan_price_never_makes_the_line_invalid_json(cli, store):
    fakes.buy(body='{"status": 1, "data": {"orderId": 500001, "number": "+8613800000001", "price": NaN}}')
    run = cli(*BUY)
    assert run.code == 0 and run.line["price"] is None
    json.loads(run.out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON line"))
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in run.line.values())
    assert ledger.Store(store.db.execute("PRAGMA database_list").fetchone()[2].rsplit("/", 1)[0]).order(
        fakes.ORDER_ID)["price"] is None


@ordered
def test_a_purchase_charged_above_the_price_limit_is_cancelled_at_once(cli, env, store):
    env["SMSONLINE_MAX_PRICE"] = "0.32"
    fakes.products()  # lists operator 13 at 0.3 …
    fakes.buy(body={"status": 1, "data": {"orderId": 500001, "number": "+8613800000001",
                                          "price": 0.9}})  # … charges 0.9
    fakes.status(4)
    run = cli(*BUY)
    assert (run.code, run.kind, run.line["order_status"]) == (3, "budget", "cancelled")
    assert "0.9" in run.line["error"]["message"]


@ordered
def test_a_purchase_that_passes_the_daily_budget_when_charged_is_cancelled_at_once(cli, env, store):
    env["SMSONLINE_DAILY_BUDGET"] = "0.5"
    fakes.products()
    fakes.buy(body={"status": 1, "data": {"orderId": 500001, "number": "+8613800000001", "price": 0.6}})
    fakes.status(4)
    run = cli(*BUY)
    assert (run.code, run.kind, run.line["order_status"]) == (3, "budget", "cancelled")


@ordered
def test_a_waiting_message_with_a_duration_is_no_code(cli, store):
    fakes.buy()
    for body in ({"status": 1, "data": {"message": "Waiting for the SMS code, this number expires in 1200 seconds"}},
                 {"code": 0, "msg": "success", "data": {"sms": "", "message": "暂未收到短信，验证码有效期 1800 秒"}},
                 {"status": 1, "data": {"sms": "Your OTP for transaction of INR 2500.00 at AMAZON is 845512"}}):
        fakes.poll(body)
    fakes.status(3)
    run = cli(*RECEIVE, "--timeout", "10", "--interval", "5")
    assert (run.code, run.line["code"], run.line["polls"]) == (0, "845512", 3)


@ordered
def test_lone_surrogates_from_a_platform_cannot_break_the_line_the_ledger_or_the_trace(cli, store, tmp_path):
    fakes.buy(body='{"status": 1, "data": {"orderId": 500001, "number": "+8613800000001\\ud83d", "price": 0.3}}')
    fakes.poll('{"status": 1, "data": {"status": "received", "sms": "Your code is 654321 \\ud83d"}}')
    fakes.status(3)
    run = cli(*RECEIVE, "--trace", str(tmp_path / "t.jsonl"))
    assert (run.code, run.line["code"]) == (0, "654321")
    assert "\ufffd" in run.line["sms"] and store.order(fakes.ORDER_ID)["state"] == "finished"
    assert len((tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()) == 5


@activate
def test_a_refusal_that_names_an_order_is_never_followed_by_a_purchase_elsewhere(cli, store):
    buy_answers({"status": "error", "message": "Account banned for WhatsApp, number issued in limited mode",
                 "data": {"orderId": 700001, "number": "+8613800007001", "price": 0.3}})
    run = cli(*BUY)
    assert run.code == 0 and run.line["order_id"] == "700001" and "treated as bought" in run.line["warning"]
    assert fakes.hosts_called() == ["premium.example.test"]  # the backup sold nothing


@activate
def test_status_0_with_only_a_message_is_a_refusal(cli, store):
    store.adopt(fakes.ORDER_ID, PRIMARY)
    fakes.status(4, body={"status": 0, "message": "Order cannot be cancelled within the first 2 minutes"})
    fakes.poll(fakes.WAITING)
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert (run.code, run.kind, run.line["order_status"]) == (6, "cancel_failed", "cancelling")


@pytest.mark.parametrize("price", [-1, 0])
@activate
def test_a_price_of_0_or_below_is_unknown_so_limits_refuse_it(cli, env, price):
    env["SMSONLINE_MAX_PRICE"] = "0.5"
    fakes.products(body={"status": 1, "data": [{"operatorId": 13, "name": "CT", "price": price, "count": 10}]})
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget") and not fakes.calls_to("buy-service")


@ordered
def test_next_does_not_return_the_code_it_already_gave_when_the_text_shows_up(cli, store):
    store.adopt(fakes.ORDER_ID, PRIMARY)
    fakes.poll({"status": 1, "data": {"status": "received", "smsCode": "482913"}})
    assert cli("wait", "--id", fakes.ORDER_ID).line["code"] == "482913"
    fakes.poll({"status": 1, "data": {"status": "received", "code": "482913", "sms": "[Soul] Your code is 482913"}})
    fakes.poll({"status": 1, "data": {"status": "received", "sms": "[Soul] Your code is 913377"}})
    run = cli("wait", "--id", fakes.ORDER_ID, "--next", "--interval", "1")
    assert (run.line["code"], run.line["polls"]) == ("913377", 2)


@activate
def test_a_key_with_spaces_around_it_is_sent_and_redacted_stripped(cli, env, tmp_path):
    env["SMSONLINE_API_KEY"] = "  test-key-with-spaces-0001 "
    responses.get(fakes.url("get-countries"),
                  json={"status": -1, "message": "Invalid API key: test-key-with-spaces-0001"},
                  status=401, match=[responses.matchers.query_param_matcher({"apiKey": "test-key-with-spaces-0001"})])
    responses.get(fakes.url("get-countries", fakes.BACKUP),
                  json=fakes.COUNTRIES | {"apiKey": "test-key-with-spaces-0001"},
                  match=[responses.matchers.query_param_matcher({"apiKey": "test-key-with-spaces-0001"})])
    run = cli("countries", "--trace", str(tmp_path / "t.jsonl"))
    assert run.code == 0
    ledger_bytes = b"".join(p.read_bytes() for p in (tmp_path / "state").iterdir())
    for text in (run.out, run.err, (tmp_path / "t.jsonl").read_text(), ledger_bytes.decode("utf-8", "replace")):
        assert "with-spaces" not in text


def test_the_line_reaches_a_console_that_is_not_utf8(tmp_path):
    import subprocess
    import sys
    script = fakes.__file__.replace("tests/fakes.py", "scripts/smsonline_receive_sms.py")
    done = subprocess.run([sys.executable, script, "receive", "--sandbox", "--country", "China", "--service", "Soul",
                           "--interval", "0.5"], capture_output=True, timeout=60,
                          env={"PYTHONIOENCODING": "cp1252", "SMSONLINE_ENV_FILE": "/dev/null",
                               "SMSONLINE_STATE_DIR": str(tmp_path), "SMSONLINE_SANDBOX_ARGS": "--sms-delay 0"})
    line = json.loads(done.stdout.decode("utf-8"))
    assert done.returncode == 0 and "验证码" in line["sms"]  # the SMS is Chinese: cp1252 cannot encode it


def test_a_proxy_password_is_never_printed(cli, env):
    env["SMSONLINE_PROXY"] = "http://alice:S3cretProxyPass@127.0.0.1:9"
    with responses.RequestsMock() as mock:
        mock.get(fakes.url("get-countries"), body=fakes.refused())
        mock.get(fakes.url("get-countries", fakes.BACKUP), body=fakes.refused())
        run = cli("countries")
    assert run.code == 4 and "S3cretProxyPass" not in run.out + run.err


@ordered
def test_receive_passes_on_what_the_purchase_had_to_say(cli, store):
    buy_answers({"status": -1, "message": "NO_BALANCE", "data": {"orderId": 500001, "number": "+8613800000001"}})
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    run = cli(*RECEIVE)
    assert run.code == 0 and "treated as bought" in run.line["warning"]


# --- waiting texts with numbers, odd ids, charges -------------------------------------------------------------

@pytest.mark.parametrize("text", ["Waiting for SMS, session 884213", "No SMS yet (activation 7734521)",
                                  "暂无短信，请稍后 (任务 7734521)", "短信未到达，队列位置 1024", "Queue: 12345",
                                  "SMS not received yet, retry in 5000 ms", "Код ещё не получен, ожидание 2345",
                                  "Please wait for the code (attempt 3 of 10000)"])
@pytest.mark.parametrize("key", ["sms", "text"])
def test_a_status_line_in_the_sms_field_is_no_code(key, text):
    from support import decoding, smsonline_reader
    body = smsonline_reader.read_answer(decoding.Reply(200, "OK", "application/json",
                                                       json.dumps({"status": 1, "data": {key: text}}).encode()))
    assert smsonline_reader.read_sms(body, {"order_id": "500001"}).code is None


def test_a_real_sms_that_says_wait_keeps_its_code():
    from support import coderule
    assert coderule.extract_code("Your verification code is 482913. Please wait 60 seconds before a new one.") \
        == "482913"


@activate
def test_an_unanswered_purchase_is_recorded_against_the_base_that_got_it(cli, store):
    buy_answers(fakes.refused())
    fakes.add("buy-service", "upstream reset", base=fakes.BACKUP, status=502, content_type="text/plain",
              params={"countryId": 1, "serviceId": 101, "operatorId": 13})
    run = cli(*BUY)
    assert run.code == 3 and run.line["base_url"] == fakes.BACKUP
    assert run.line["attempt"] == f"attempt-{store.orders()[0]['local_id']}"  # the attempt at the site that got it
    assert store.orders()[0]["base_url"] == fakes.BACKUP and "backup.example.test" in run.line["error"]["message"]


@ordered
def test_the_same_order_id_at_another_site_does_not_close_this_sites_order(cli, store):
    old = store.adopt("777", fakes.BACKUP)
    store.update(old, state="received", code="4821", pid=None)  # used at the backup site, not yet confirmed
    fakes.buy(body={"status": 1, "data": {"orderId": 777, "number": "+8613800000777", "price": 0.3}})
    assert cli(*BUY).code == 0
    assert sorted((o["base_url"], o["state"]) for o in store.orders()) == [(fakes.BACKUP, "received"),
                                                                            (PRIMARY, "waiting")]


@activate
def test_an_unreadable_charge_is_cancelled_when_limits_are_set_and_the_flag_cannot_raise_them(cli, env):
    env["SMSONLINE_MAX_PRICE"] = "0.5"
    fakes.products()
    buy_answers({"status": 1, "data": {"orderId": 500001, "number": "+8613800000001", "price": "0.90 USD"}})
    fakes.status(4)
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13", "--max-price", "5")
    assert (run.code, run.kind, run.line["order_status"]) == (3, "budget", "cancelled")
    fakes.products(body={"status": 1, "data": [{"operatorId": 13, "name": "CT", "price": 0.9, "count": 5}]})
    raised = cli("buy", "--country", "1", "--service", "101", "--max-price", "5")  # 5 is above the user's 0.5
    assert (raised.code, raised.kind) == (3, "budget")


@pytest.mark.parametrize("argv", [["cleanup", "--forget", "attempt-99999999999999999999"],
                                  ["cleanup", "--forget", "attempt-²"], ["cleanup", "--forget", ""],
                                  ["check", "--id", "attempt-99999999999999999999"]])
@activate
def test_odd_ids_are_usage_errors_and_send_nothing(cli, store, argv):
    store.update(store.adopt(fakes.ORDER_ID, PRIMARY), pid=None)
    run = cli(*argv)
    assert (run.code, run.kind) == (2, "usage") and not responses.calls


def test_a_base_url_with_an_impossible_host_is_a_config_error(cli, env):
    env["SMSONLINE_BASE_URLS"] = "http://" + "a" * 64 + ".example/api/v1," + PRIMARY
    assert (cli("countries").code, cli("countries").kind) == (2, "config")


@activate
def test_a_locked_ledger_is_a_designed_failure_not_a_bug(cli, env, monkeypatch):
    import sqlite3
    from pathlib import Path
    monkeypatch.setattr(ledger, "LOCK_WAIT_S", 0.1)
    ledger.Store(Path(env["SMSONLINE_STATE_DIR"]))
    holder = sqlite3.connect(Path(env["SMSONLINE_STATE_DIR"]) / "ledger.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        run = cli(*BUY)
    finally:
        holder.execute("ROLLBACK")
    assert (run.code, run.kind) == (5, "open_order") and "busy" in run.line["error"]["message"]
    assert not responses.calls


@ordered
def test_a_signal_during_the_check_after_a_refused_cancel_waits_for_the_settlement(cli, store):
    import signal
    store.adopt(fakes.ORDER_ID, PRIMARY)
    fakes.status(4, body={"status": -1, "message": "Cannot change status now"})

    def answer_after_a_signal(request):
        signal.raise_signal(signal.SIGTERM)  # lands during the recheck
        return 200, {}, json.dumps({"status": 1, "data": {"status": "cancelled"}})
    responses.add_callback(responses.GET, fakes.url("get-sms"), callback=answer_after_a_signal)
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert run.line["order_status"] == "closed" and store.order(fakes.ORDER_ID)["state"] == "closed"


@activate
def test_a_key_with_inner_spaces_or_sent_back_as_html_entities_stays_out(cli, env, tmp_path):
    key = "test-key sk9Zq  Wv7Lp3Xc"
    env["SMSONLINE_API_KEY"] = key
    entities = "".join(f"&#{ord(c)};" for c in key)
    for base in (PRIMARY, fakes.BACKUP):
        responses.get(fakes.url("get-countries", base), status=401,
                      json={"status": -1, "message": f"bad key {key} / {entities}"})
    run = cli("countries", "--trace", str(tmp_path / "t.jsonl"))
    trace = (tmp_path / "t.jsonl").read_text()
    assert run.code == 3 and "sk9Zq" not in run.out + run.err + trace and "&#115;&#107;" not in trace
    assert (tmp_path / "t.jsonl").stat().st_mode & 0o777 == 0o600


@activate
def test_orders_shows_a_purchase_whose_process_died_as_unknown(cli, store):
    reservation, _, _ = store.reserve_purchase(fakes.WHAT, PRIMARY, 600, replace=False, test=False)
    store.update(dict(reservation), pid=2 ** 22 + 12345)  # no such process
    assert [o["order_status"] for o in cli("orders").line["orders"]] == ["unknown"]
