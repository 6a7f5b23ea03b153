"""The real script, real HTTP, real signals, against sandboxes on loopback: no order left open, no money lost."""
import signal
import time

import pytest

from e2e_support import E2E_KEY, Runner, calls, orders_in, wait_until

SOUL = ("--country", "China", "--service", "Soul")
SILENT = ("--country", "China", "--service", "Silent")  # a service that never receives an SMS
FAST = ("--interval", "0.5")


def started_order(sandbox):
    """Wait until the sandbox has sold an order and the script polls for it (so it is in the ledger); return it."""
    wait_until(lambda: calls(sandbox, "get-sms"))
    return orders_in(sandbox)[-1]


def test_receive_gets_the_code_confirms_it_and_pays_exactly_the_price(run, sandbox):
    before = sandbox.platform.balance
    result = run("receive", *SOUL, *FAST)
    assert result.code == 0, result.line
    line = result.line
    assert (line["ok"], line["status"], line["finished"], line["order_status"]) == (True, "received", True, "finished")
    assert line["code"] and line["code"] in line["sms"] and line["number"] in result.err
    assert len(calls(sandbox, "buy-service")) == 1
    assert sandbox.platform.balance == pytest.approx(before - line["price"])
    assert orders_in(sandbox)[0]["state"] == "finished"


def test_timeout_cancels_within_a_second_of_the_deadline_and_refunds(run, sandbox):
    before = sandbox.platform.balance
    result = run("receive", *SILENT, "--timeout", "1.5", "--interval", "0.5")
    assert (result.code, result.kind, result.line["order_status"]) == (1, "timeout", "cancelled")
    bought, cancelled = calls(sandbox, "buy-service")[0]["t"], calls(sandbox, "change-status")[0]["t"]
    assert 1.5 <= cancelled - bought <= 2.5, cancelled - bought
    assert calls(sandbox, "change-status")[0]["params"]["status"] == "4"
    assert sandbox.platform.balance == pytest.approx(before)


def test_a_hangup_while_waiting_cancels_the_order(run, sandbox):  # SIGINT and SIGTERM: test_both_protocols.py
    before = sandbox.platform.balance
    process = run.start("receive", *SILENT, "--timeout", "30", "--interval", "0.5")
    assert started_order(sandbox)
    process.send_signal(signal.SIGHUP)
    result = Runner.finish(process)
    assert (result.code, result.kind, result.line["status"]) == (130, "interrupted", "interrupted")
    assert orders_in(sandbox)[0]["state"] == "cancelled"
    assert sandbox.platform.balance == pytest.approx(before)


def test_sigkill_then_cleanup_cancels_the_orphan(run, sandbox):
    before = sandbox.platform.balance
    process = run.start("receive", *SILENT, "--timeout", "30")
    assert started_order(sandbox)
    process.kill()
    process.wait()
    assert orders_in(sandbox)[0]["state"] == "waiting"  # the money is out …
    assert [o["order_status"] for o in run("orders").line["orders"]] == ["abandoned"]  # its run is gone
    result = run("cleanup")
    assert result.code == 0 and result.line["count"] == 1
    assert orders_in(sandbox)[0]["state"] == "cancelled"  # … and back
    assert sandbox.platform.balance == pytest.approx(before)


def test_sigkill_then_the_next_buy_cancels_the_orphan_past_its_hold(run, sandbox):
    process = run.start("receive", *SILENT, "--timeout", "30", "--hold", "0.5")
    first = started_order(sandbox)
    process.kill()
    process.wait()
    time.sleep(0.6)  # let the orphan's hold run out
    result = run("buy", *SOUL)
    assert result.code == 0 and result.line["order_id"] != str(first["id"])
    states = {o["id"]: o["state"] for o in orders_in(sandbox)}
    assert states[first["id"]] == "cancelled"


def test_fallback_past_a_closed_port_and_a_hanging_host_then_remembered(tmp_path, sandbox, closed_port_url, hanging):
    run = Runner(tmp_path, [closed_port_url, hanging.base_url, sandbox.base_url])
    first = run("--read-timeout", "1", "countries")
    assert first.code == 0 and first.elapsed < 5
    assert hanging.connections == 1  # paid once: no read retry on a hang
    second = run("--read-timeout", "1", "services")
    assert second.code == 0
    assert hanging.connections == 1  # the next run skips both dead bases
    assert second.elapsed < first.elapsed - 0.5


def test_premium_unreachable_and_smsonline_io_refusing_the_key(tmp_path, make_sandbox, closed_port_url):
    refusing = make_sandbox(invalid_key=True)
    result = Runner(tmp_path, [closed_port_url, refusing.base_url])("receive", *SOUL)
    assert (result.code, result.kind) == (3, "auth")
    hosts = [a["host"] for a in result.line["error"]["attempts"]]
    assert hosts == [closed_port_url.split("/")[2], refusing.base_url.split("/")[2]]
    assert result.line["error"]["attempts"][0]["error"] == "connection refused"
    assert orders_in(refusing) == []


def test_the_two_step_agent_flow(run, sandbox):
    bought = run("buy", *SOUL)
    assert bought.code == 0 and bought.line["status"] == "waiting"
    refused = run("buy", *SOUL)
    assert (refused.code, refused.kind) == (5, "open_order")
    waited = run("wait", "--interval", "0.5")
    assert waited.code == 0 and waited.line["order_id"] == bought.line["order_id"] and waited.line["code"]
    assert waited.line["order_status"] == "received"  # the code is used on the site, then confirmed
    assert run("finish", "--id", bought.line["order_id"]).code == 0
    history = run("orders", "--all").line["orders"]
    assert [(o["order_id"], o["order_status"]) for o in history] == [(bought.line["order_id"], "finished")]
    assert len(calls(sandbox, "buy-service")) == 1


def test_5xx_bursts_and_latency_while_polling_are_ridden_out(tmp_path, make_sandbox):
    flaky = make_sandbox(fail_rate=0.5, latency=0.05, fault_endpoints="get-sms", seed=7, sms_delay=0.5)
    result = Runner(tmp_path, [flaky.base_url])("receive", *SOUL, *FAST)
    assert result.code == 0 and result.line["code"]
    statuses = [c["status"] for c in calls(flaky, "get-sms")]
    assert 503 in statuses and statuses[-1] == 200


def test_non_json_answers_are_a_clear_error(tmp_path, make_sandbox):
    html = make_sandbox(non_json_rate=1.0)
    result = Runner(tmp_path, [html.base_url])("countries")
    assert (result.code, result.kind) == (3, "api")
    assert "HTML page" in result.line["error"]["message"]


@pytest.mark.parametrize("shape", ["flat", "text"])
def test_other_response_shapes_work_end_to_end(tmp_path, make_sandbox, shape):
    other = make_sandbox(shape=shape)
    result = Runner(tmp_path, [other.base_url])("receive", *SOUL, *FAST)
    assert result.code == 0 and result.line["code"]


@pytest.mark.parametrize("argv", [
    ("wait", "--timeout", "-1"), ("wait", "--interval", "0"), ("receive", "--country", "Atlantis", "--service", "Soul"),
    ("check", "--id", "abc"), ("cancel", "--id", "12x"),
])
def test_bad_input_exits_2_with_one_error_line_and_no_purchase(run, sandbox, argv):
    result = run(*argv)
    assert (result.code, result.line["ok"]) == (2, False) and result.kind in ("usage", "config")
    assert calls(sandbox, "buy-service") == []


def test_missing_key_exits_2_before_any_request(run, sandbox):
    result = run("receive", *SOUL, SMSONLINE_API_KEY="")
    assert (result.code, result.kind) == (2, "config")
    assert sandbox.platform.snapshot()["calls"] == []


def test_unusable_state_dir_exits_2(run, sandbox, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run("receive", *SOUL, SMSONLINE_STATE_DIR=str(blocker / "state"))
    assert (result.code, result.kind) == (2, "config")
    assert calls(sandbox, "buy-service") == []


def test_the_key_never_appears_across_a_whole_flow(run, sandbox, tmp_path):
    outputs = [run("-v", "receive", *SOUL, *FAST), run("-v", "orders", "--all"), run("-v", "check", "--id", "999"),
               run("-v", "cancel", "--id", "999")]
    assert all(E2E_KEY not in r.out + r.err for r in outputs)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.name != "empty.env" and E2E_KEY.encode() in p.read_bytes()]


def test_sandbox_flag_rehearses_the_main_job_with_no_key(tmp_path):
    env = {"SMSONLINE_API_KEY": "", "SMSONLINE_BASE_URLS": "", "SMSONLINE_SANDBOX_ARGS": "--sms-delay 0.2"}
    result = Runner(tmp_path, ["https://unused.invalid/api/v1"])("receive", "--sandbox", *SOUL, *FAST, **env)
    assert result.code == 0 and result.line["status"] == "received" and result.line["code"]
    assert result.line["base_url"].startswith("http://127.0.0.1:")


def test_sandbox_flag_keeps_orders_across_runs_for_the_two_step_flow(tmp_path):
    env = {"SMSONLINE_SANDBOX_ARGS": "--sms-delay 0"}
    run = Runner(tmp_path, ["https://unused.invalid/api/v1"])
    bought = run("buy", "--sandbox", *SOUL, **env)
    waited = run("wait", "--sandbox", "--interval", "0.5", **env)
    assert bought.code == 0 and waited.code == 0 and waited.line["order_id"] == bought.line["order_id"]
    assert run("orders").line["count"] == 0  # sandbox orders never show among real ones


def test_bad_sandbox_args_are_a_config_error_line(tmp_path):
    result = Runner(tmp_path, ["https://unused.invalid/api/v1"])("countries", "--sandbox",
                                                                   SMSONLINE_SANDBOX_ARGS="--sms-delay soon")
    assert (result.code, result.kind) == (2, "config") and "sms-delay" in result.line["error"]["message"]
