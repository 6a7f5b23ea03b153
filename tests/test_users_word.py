"""The user's explicit command reaches an order whoever holds it (issue 19 §1): `cancel --id`, `finish --id`,
`cleanup --all` and `buy --replace` ask a live run of the skill, overrule one that does not answer, and the run
that holds the order honours a request it reads in the ledger. Real runs in other processes:
e2e/test_user_command_reaches_a_live_run.py."""
import json
import subprocess
import sys

import pytest
import responses

import fakes
from support import PRIMARY, ledger

activate = responses.activate(assert_all_requests_are_fired=True)
SA = "https://sa.example.test/stubs/handler_api.php"


@pytest.fixture
def skill_run():
    """A live process whose command line names the script, as a run of the skill's does, that answers nothing."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "smsonline_receive_sms.py"])
    yield process.pid
    process.kill()
    process.wait()


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@activate
def test_cancel_reaches_an_order_a_silent_live_run_holds_and_sends_one_cancel(cli, store, clock, skill_run):
    store.update(store.adopt(fakes.ORDER_ID, PRIMARY), pid=skill_run)  # a `wait` that is stopped, or stuck
    cancel = fakes.status(4)
    started = clock()
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["order_status"]) == (0, "cancelled") and cancel.call_count == 1
    assert 4 <= clock() - started <= 6  # asked first, overruled after ASK_PATIENCE_S (fake clock)
    assert "asking it to cancel" in run.err and "did not answer in time" in run.err
    assert store.request(store.order(fakes.ORDER_ID)) is None  # the request is withdrawn


@activate
def test_cancel_waits_for_the_holder_that_answers_and_sends_nothing_itself(cli, env, store, clock, skill_run,
                                                                          monkeypatch):
    order = store.update(store.adopt(fakes.ORDER_ID, PRIMARY), pid=skill_run)
    holder = ledger.Store(env["SMSONLINE_STATE_DIR"])

    def the_holder_cancels(seconds):  # what the live run does when it reads the request: settles, then answers
        clock.now += seconds
        if clock.now > 1001.5 and holder.request(order) and not holder.request(order)["answered_at"]:
            holder.update(order, state="cancelled")
            holder.answered(order)
    monkeypatch.setattr(clock, "sleep", the_holder_cancels)
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["order_status"]) == (0, "cancelled") and not responses.calls
    assert "answered: order 500001 is cancelled" in run.err


@activate
def test_cleanup_all_settles_everything_now_and_lists_every_order(cli, store, skill_run):
    store.update(store.adopt("9", PRIMARY), pid=dead_pid())  # bought, within its hold: cancelled now
    store.update(store.adopt("10", PRIMARY), pid=dead_pid(), state="received", code="8848")  # code read: confirmed
    store.update(store.adopt("11", PRIMARY), pid=skill_run)  # a live run that does not answer: overruled
    fakes.status(4, order_id="9")
    fakes.status(3, order_id="10")
    fakes.status(4, order_id="11")
    line = cli("cleanup", "--all").line
    assert {o["order_id"]: o["order_status"] for o in line["settled"]} == {"9": "cancelled", "10": "finished",
                                                                          "11": "cancelled"}
    assert line["left"] == [] and line["count"] == 3


def test_plain_cleanup_leaves_a_live_runs_order_and_says_why_without_being_settled(cli, store, skill_run):
    store.update(store.adopt("9", PRIMARY), pid=skill_run)
    with responses.RequestsMock():
        line = cli("cleanup").line
    assert "a live run" in line["left"][0]["why"] and "cleanup --all" in line["left"][0]["why"]
    assert "being settled" not in line["left"][0]["why"] and store.order("9")["state"] == "waiting"


@activate
def test_the_run_that_holds_an_order_honours_a_cancel_it_reads_in_the_ledger(cli, store):
    order = store.adopt(fakes.ORDER_ID, PRIMARY)  # this process holds it: the `wait` below is its holder
    store.ask(order, ledger.CANCEL)
    cancel = fakes.status(4)
    run = cli("wait", "--id", fakes.ORDER_ID, "--timeout", "60")
    assert (run.code, run.kind, run.line["status"], run.line["order_status"]) == (8, "by_user", "by_user", "cancelled")
    assert cancel.call_count == 1 and "the user asked another run to cancel" in run.line["error"]["message"]
    assert store.request(order)["answered_at"] is not None and not fakes.calls_to("get-sms")


@activate
def test_a_holder_overruled_by_the_users_command_sends_nothing_more(cli, store, clock, monkeypatch, skill_run):
    order = store.adopt(fakes.ORDER_ID, PRIMARY)
    fakes.poll(fakes.WAITING)
    sleep = clock.sleep

    def overruled_while_it_sleeps(seconds):  # the `cancel` command took the order: this run did not answer in time
        sleep(seconds)
        store.update(order, pid=skill_run, state="cancelling")
    monkeypatch.setattr(clock, "sleep", overruled_while_it_sleeps)
    run = cli("wait", "--id", fakes.ORDER_ID, "--timeout", "60")
    assert (run.code, run.kind, run.line["order_status"]) == (8, "by_user", "cancelling")
    assert "took order 500001 over" in run.line["error"]["message"] and not fakes.calls_to("change-status")


@activate
def test_refund_on_a_protocol_without_one_is_a_usage_error_before_the_ledger_changes(cli, env, store):
    env["SMSONLINE_BASE_URLS"] = SA
    order = store.adopt("7001", SA)
    store.update(order, state="received", code="1234")
    run = cli("refund", "--id", "7001")
    assert (run.code, run.kind) == (2, "usage") and not responses.calls
    assert "cancel --id 7001" in run.line["error"]["message"] and "no refund" in run.line["error"]["message"]
    assert store.order("7001")["state"] == "received"


def answered_by(order_state, then):
    """A get-sms callback: the user's command in another run acts while this poll is out (then()), and the platform
    answers with order_state."""
    def callback(request):
        then()
        return 200, {}, json.dumps(order_state)
    return callback


@activate
def test_a_request_that_came_while_the_poll_was_out_comes_before_the_code_it_brought(cli, store):
    order = store.adopt(fakes.ORDER_ID, PRIMARY)
    responses.add_callback(responses.GET, f"{PRIMARY}/virtual-number/get-sms",
                           callback=answered_by(fakes.RECEIVED, lambda: store.ask(order, ledger.CANCEL)))
    cancel = fakes.status(4)
    run = cli("wait", "--id", fakes.ORDER_ID, "--timeout", "60", "--finish")
    assert (run.code, run.kind, run.line["order_status"]) == (8, "by_user", "cancelled")
    assert cancel.call_count == 1 and not [c for c in fakes.calls_to("change-status") if "status=3" in c.request.url]


@activate
def test_a_holder_overruled_while_its_poll_was_out_ends_by_user_not_as_a_closed_order(cli, store, skill_run):
    order = store.adopt(fakes.ORDER_ID, PRIMARY)
    responses.add_callback(responses.GET, f"{PRIMARY}/virtual-number/get-sms",  # the command cancelled it meanwhile
                           callback=answered_by(fakes.CLOSED, lambda: store.update(order, pid=skill_run,
                                                                                   state="cancelled")))
    run = cli("wait", "--id", fakes.ORDER_ID, "--timeout", "60")
    assert (run.code, run.kind) == (8, "by_user") and "took order 500001 over" in run.line["error"]["message"]
    assert not fakes.calls_to("change-status")


@pytest.mark.parametrize("state", ["cancelling", "finishing"])
@activate
def test_a_holder_settling_the_order_itself_is_never_overruled(cli, store, clock, skill_run, state):
    store.update(store.adopt(fakes.ORDER_ID, PRIMARY), pid=skill_run, state=state, code="8848")
    started = clock()
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert not responses.calls  # the holder's own settlement is the only one the platform gets
    if state == "cancelling":  # asked (it may be polling on after an early-cancel refusal), then left to finish
        assert (run.code, run.kind) == (5, "open_order") and "is settling order 500001" in run.line["error"]["message"]
        assert clock() - started >= 4 and store.order(fakes.ORDER_ID)["pid"] == skill_run
    else:
        assert (run.code, run.kind) == (5, "open_order")


@activate
def test_cancel_reaches_an_order_held_at_the_prompt_with_an_sms_without_a_code(cli, store, skill_run):
    store.update(store.adopt(fakes.ORDER_ID, PRIMARY), pid=skill_run, state="sms_without_code", sms="Welcome!")
    cancel = fakes.status(4)
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["order_status"]) == (0, "cancelled") and cancel.call_count == 1
    assert "asking it to cancel" in run.err


@activate
def test_a_confirm_refused_as_over_with_the_code_in_hand_is_done(cli, store):
    store.update(store.adopt(fakes.ORDER_ID, PRIMARY), state="received", code="8848", sms=fakes.SMS_TEXT)
    fakes.status(3, body={"status": 0, "message": "order 500001 is finished"})
    fakes.poll({"status": 1, "data": {"orderId": 500001, "status": "finished", "sms": fakes.SMS_TEXT}})
    run = cli("finish", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["order_status"]) == (0, "finished")
    assert store.order(fakes.ORDER_ID)["state"] == "finished"


def test_a_look_for_the_users_word_never_waits_for_a_ledger_another_process_holds(store, env):
    """The time a run's cancel needs after its deadline must not go to looking for requests in a locked ledger."""
    import sqlite3
    import time

    order = store.adopt(fakes.ORDER_ID, PRIMARY)
    holder = sqlite3.connect(f"{env['SMSONLINE_STATE_DIR']}/ledger.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        assert store.asked_of_me(order) is None
        assert time.monotonic() - started < 1.0  # not LOCK_WAIT_S (3 s)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == ledger.LOCK_WAIT_S * 1000  # restored
