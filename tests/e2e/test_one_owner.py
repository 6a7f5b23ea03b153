"""One owner per order across processes (issue 15 §3): real processes, the bundled sandbox. The user's own command
reaching an order another run holds (issue 19): test_user_command_reaches_a_live_run.py."""
import signal
import time

from e2e_support import Runner, calls, orders_in, wait_until

SILENT = ("--country", "1", "--service", "199", "--operator", "13")
SOUL = ("--country", "1", "--service", "101", "--operator", "13")


def statuses_sent(sandbox):
    return [c["params"]["status"] for c in calls(sandbox, "change-status")]


def test_a_second_wait_on_an_order_another_run_waits_on_is_refused_and_changes_nothing(tmp_path, make_sandbox):
    sandbox = make_sandbox(sms_delay=60)
    run = Runner(tmp_path, [sandbox.base_url])
    order_id = run("buy", *SOUL).line["order_id"]
    waiting = run.start("wait", "--id", order_id, "--timeout", "30", "--interval", "0.5")
    assert wait_until(lambda: calls(sandbox, "get-sms"))
    second = run("wait", "--id", order_id, "--timeout", "3")
    assert (second.code, second.kind) == (5, "open_order") and "already being waited on" in second.line["error"][
        "message"]
    assert statuses_sent(sandbox) == []
    waiting.send_signal(signal.SIGTERM)  # the first run still owns the order: its own ending settles it
    result = Runner.finish(waiting)
    assert (result.code, result.line["order_status"]) == (130, "cancelled") and statuses_sent(sandbox) == ["4"]


def test_a_settled_order_is_never_moved_back_or_settled_twice(tmp_path, make_sandbox):
    sandbox = make_sandbox(sms_delay=0.2)
    run = Runner(tmp_path, [sandbox.base_url])
    order_id = run("buy", *SOUL).line["order_id"]
    assert run("wait", "--id", order_id, "--interval", "0.5").line["order_status"] == "received"
    assert run("finish", "--id", order_id).code == 0
    again = run("cancel", "--id", order_id)
    assert again.code == 2 and statuses_sent(sandbox) == ["3"]
    assert run("cleanup", "--all").code == 0 and statuses_sent(sandbox) == ["3"]
    assert [o["order_status"] for o in run("orders", "--all").line["orders"]] == ["finished"]


def test_two_cleanups_at_once_settle_an_order_once(tmp_path, make_sandbox):
    sandbox = make_sandbox(latency=0.5)  # each answer takes a while: the two runs overlap
    run = Runner(tmp_path, [sandbox.base_url])
    assert run("buy", *SILENT, "--hold", "0.3").code == 0
    time.sleep(0.4)  # past its hold, with the buying run gone: left for cleanup
    results = [Runner.finish(process) for process in [run.start("cleanup") for _ in range(2)]]
    assert sorted(result.code for result in results) == [0, 0]
    assert statuses_sent(sandbox) == ["4"] and orders_in(sandbox)[0]["state"] == "cancelled"


def test_a_busy_ledger_sends_no_confirm(tmp_path, make_sandbox):
    import sqlite3
    sandbox = make_sandbox(sms_delay=0.2)
    run = Runner(tmp_path, [sandbox.base_url])
    order_id = run("buy", *SOUL).line["order_id"]
    assert run("wait", "--id", order_id, "--interval", "0.5").line["code"]
    holder = sqlite3.connect(run.state_dir / "ledger.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run holds the ledger for longer than a run waits for it
    try:
        finished = run("finish", "--id", order_id)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (finished.code, finished.kind) == (5, "open_order") and statuses_sent(sandbox) == []
    assert run("finish", "--id", order_id).code == 0 and statuses_sent(sandbox) == ["3"]


def test_a_code_that_came_while_the_ledger_was_busy_is_written_before_the_run_ends(tmp_path, make_sandbox):
    import sqlite3
    import threading
    sandbox = make_sandbox(sms_delay=1.0)
    run = Runner(tmp_path, [sandbox.base_url])
    receiving = run.start("receive", *SOUL, "--timeout", "20", "--interval", "0.5")
    assert wait_until(lambda: calls(sandbox, "get-sms"))
    holder = sqlite3.connect(run.state_dir / "ledger.sqlite3", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # a stuck run holds the ledger while the code arrives
    release = threading.Timer(5.0, lambda: (holder.execute("ROLLBACK"), holder.close()))
    release.start()
    result = Runner.finish(receiving)
    release.join()
    assert result.code == 0 and result.line["code"]
    order = [o for o in run("orders", "--all").line["orders"] if o["order_id"] == result.line["order_id"]][0]
    assert order["order_status"] in ("received", "finished") and order["code"] == result.line["code"]
    assert "4" not in statuses_sent(sandbox)  # a used code is never cancelled, now or by a later cleanup
