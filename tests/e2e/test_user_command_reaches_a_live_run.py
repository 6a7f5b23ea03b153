"""The user's word settles any order (issue 19 §1), with real processes and the bundled sandbox: `cancel --id`,
`finish --id`, `cleanup --all` and `buy --replace` reach an order that a live `wait` or `receive` holds; the holder
ends with its own line (by_user, exit 8); a holder that does not answer (stopped) is overruled, and the platform
sees one status change, never two."""
import os
import signal

from e2e_support import Runner, calls, orders_in, wait_until

SILENT = ("--country", "1", "--service", "199", "--operator", "13")  # the sandbox sends no SMS for service 199
SOUL = ("--country", "1", "--service", "101", "--operator", "13")


def statuses_sent(sandbox):
    return [c["params"]["status"] for c in calls(sandbox, "change-status")]


def waiting_order(run, sandbox, *argv):
    """A live run holding a bought order, polling every 5 s (the default interval) -> (process, order id)."""
    process = run.start(*argv)
    assert wait_until(lambda: calls(sandbox, "get-sms"))
    return process, str(orders_in(sandbox)[-1]["id"])


def test_cancel_reaches_a_waiting_receive_which_ends_with_its_own_line(tmp_path, make_sandbox):
    sandbox = make_sandbox()
    run = Runner(tmp_path, [sandbox.base_url])
    receiving, order_id = waiting_order(run, sandbox, "receive", *SILENT, "--timeout", "120")
    cancelled = run("cancel", "--id", order_id)
    assert (cancelled.code, cancelled.line["order_status"]) == (0, "cancelled")
    assert cancelled.elapsed < 8  # the holder looks every second, not only at its next poll
    held = Runner.finish(receiving, timeout=10)
    assert (held.code, held.kind, held.line["order_status"]) == (8, "by_user", "cancelled")
    assert "Traceback" not in held.err and statuses_sent(sandbox) == ["4"]


def test_finish_reaches_a_waiting_wait_once_the_code_is_there(tmp_path, make_sandbox):
    sandbox = make_sandbox(sms_delay=600)
    run = Runner(tmp_path, [sandbox.base_url])
    order_id = run("buy", *SOUL).line["order_id"]
    waiting, _ = waiting_order(run, sandbox, "wait", "--id", order_id, "--timeout", "120", "--interval", "30")
    sandbox.platform.deliver(order_id)  # the code is there; the holder's next poll is 30 s away
    finished = run("finish", "--id", order_id)
    assert (finished.code, finished.line["order_status"]) == (0, "finished") and finished.line["code"]
    held = Runner.finish(waiting, timeout=10)
    assert (held.code, held.kind, held.line["order_status"]) == (8, "by_user", "finished")
    assert statuses_sent(sandbox) == ["3"]


def test_a_holder_that_does_not_answer_is_overruled_and_sends_nothing_more(tmp_path, make_sandbox):
    sandbox = make_sandbox()
    run = Runner(tmp_path, [sandbox.base_url])
    receiving, order_id = waiting_order(run, sandbox, "receive", *SILENT, "--timeout", "120")
    os.kill(receiving.pid, signal.SIGSTOP)  # stopped: it cannot read the request
    try:
        cancelled = run("cancel", "--id", order_id)
    finally:
        os.kill(receiving.pid, signal.SIGCONT)
    assert (cancelled.code, cancelled.line["order_status"]) == (0, "cancelled") and "did not answer" in cancelled.err
    held = Runner.finish(receiving, timeout=10)
    assert (held.code, held.kind, held.line["order_status"]) == (8, "by_user", "cancelled")
    assert statuses_sent(sandbox) == ["4"]  # one status change on the platform, never two


def test_cleanup_all_stops_a_live_run_and_cancels_a_bought_order_within_its_hold(tmp_path, make_sandbox):
    sandbox = make_sandbox()
    run = Runner(tmp_path, [sandbox.base_url])
    receiving, live_id = waiting_order(run, sandbox, "receive", *SILENT, "--timeout", "120")
    bought = run("buy", *SILENT, "--replace")  # replaced: the live receive is asked to cancel its order first
    assert bought.code == 0 and bought.line["replaced"] == [{"order_id": live_id, "order_status": "cancelled"}]
    assert Runner.finish(receiving, timeout=10).code == 8
    cleaned = run("cleanup", "--all")  # the bought order is within its hold: --all cancels it now
    assert cleaned.code == 0 and [o["order_id"] for o in cleaned.line["settled"]] == [bought.line["order_id"]]
    assert statuses_sent(sandbox) == ["4", "4"] and {o["state"] for o in orders_in(sandbox)} == {"cancelled"}


def test_cleanup_all_asks_a_live_run_and_names_what_became_of_its_order(tmp_path, make_sandbox):
    sandbox = make_sandbox()
    run = Runner(tmp_path, [sandbox.base_url])
    receiving, order_id = waiting_order(run, sandbox, "receive", *SILENT, "--timeout", "120")
    plain = run("cleanup")
    assert plain.line["count"] == 0 and "a live run" in plain.line["left"][0]["why"]
    cleaned = run("cleanup", "--all")
    assert [(o["order_id"], o["order_status"]) for o in cleaned.line["settled"]] == [(order_id, "cancelled")]
    assert Runner.finish(receiving, timeout=10).code == 8 and statuses_sent(sandbox) == ["4"]
