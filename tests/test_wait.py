"""Polling, the deadline, confirm or cancel, signals, crashes, and the commands that settle orders later."""
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests
import responses
from responses import registries

import fakes
from support import (BACKUP, FakeClock, KEY, PRIMARY, commands, flows, ledger, output, polling, shapes,
                     signals, smsonline_reader)
from smsonline.platform import Op
from test_cli import dead_pid

ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)
activate = responses.activate(assert_all_requests_are_fired=True)
RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13")


def at_clock(clock, times, body):
    """A responses callback that notes the fake clock's time of each call."""
    def callback(request):
        times.append(clock.now)
        return 200, {}, json.dumps(body, ensure_ascii=False)
    return callback


def stamp(endpoint, clock, times, body, **params):
    responses.add_callback(responses.GET, fakes.url(endpoint), callback=at_clock(clock, times, body),
                           match=[fakes.query(**params)])


# --- the happy path -----------------------------------------------------------------------------------

@ordered
def test_receive_polls_at_once_then_every_interval_and_confirms_the_code(cli, clock, store):
    fakes.buy()
    polls = []
    for body in (fakes.WAITING, fakes.WAITING, fakes.RECEIVED):
        stamp("get-sms", clock, polls, body, id=fakes.ORDER_ID)
    fakes.status(3)
    start = clock.now
    run = cli(*RECEIVE, "--interval", "5")
    assert run.code == 0
    assert (run.line["status"], run.line["code"], run.line["finished"]) == ("received", "8848", True)
    assert run.line["sms"] == fakes.SMS_TEXT and run.line["polls"] == 3
    assert [t - start for t in polls] == [0, 5, 10]  # the first poll is immediate
    assert store.order(fakes.ORDER_ID)["state"] == "finished"
    assert fakes.NUMBER in run.err


@ordered
def test_no_finish_leaves_the_order_received(cli, store):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    run = cli(*RECEIVE, "--no-finish")
    assert run.code == 0 and run.line["finished"] is False
    assert store.order(fakes.ORDER_ID)["state"] == "received"


@ordered
def test_number_file_receives_the_number(cli, tmp_path):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    target = tmp_path / "number.txt"
    assert cli(*RECEIVE, "--number-file", str(target)).code == 0
    assert target.read_text() == fakes.NUMBER + "\n"


@ordered
def test_transient_poll_failures_are_ridden_out(cli):
    fakes.buy()
    fakes.poll(requests.exceptions.ConnectionError("Connection reset by peer"))  # poll 1 fails
    fakes.poll("<html>502 Bad Gateway</html>", status=502)  # poll 2: a 5xx, retried at once by urllib3 …
    fakes.poll("<html>captcha</html>")  # … into an unreadable answer
    fakes.poll(fakes.RECEIVED)  # poll 3
    fakes.status(3)
    run = cli(*RECEIVE, "--interval", "1")
    assert run.code == 0 and run.line["code"] == "8848"
    assert run.line["polls"] == 3 and len(fakes.calls_to("get-sms")) == 4


# --- the deadline -----------------------------------------------------------------------------------

@activate
def test_timeout_cancels_at_the_deadline_not_an_interval_later(cli, clock, store):
    fakes.buy()
    polls, cancels = [], []
    stamp("get-sms", clock, polls, fakes.WAITING, id=fakes.ORDER_ID)
    stamp("change-status", clock, cancels, fakes.DONE, id=fakes.ORDER_ID, status=4)
    start = clock.now
    run = cli(*RECEIVE, "--timeout", "12", "--interval", "5")
    assert (run.code, run.kind, run.line["status"]) == (1, "timeout", "timeout")
    assert [t - start for t in polls] == [0, 5, 10, 12]  # and once more at the deadline
    assert [t - start for t in cancels] == [12]  # not at 15
    assert run.line["order_status"] == "cancelled" and run.line["order_id"] == fakes.ORDER_ID
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"
    assert not fakes.calls_to("get-sms")[-1].request.url.endswith("status=3")


@activate
def test_a_sms_without_a_code_is_never_confirmed_nor_cancelled_but_handed_over(cli, store):
    fakes.buy()
    fakes.poll({"status": 1, "data": {"status": "received", "sms": "Welcome aboard"}})
    run = cli(*RECEIVE, "--timeout", "3", "--interval", "1")
    assert (run.code, run.line["status"], run.line["sms"], run.line["code"]) == (9, "sms_without_code",
                                                                                 "Welcome aboard", None)
    assert fakes.calls_to("change-status") == [] and store.order(fakes.ORDER_ID)["state"] == "sms_without_code"


@ordered
def test_polling_stops_at_once_when_the_platform_closes_the_order_and_a_cancel_makes_sure(cli, store):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.CLOSED)
    fakes.status(4, body={"status": -1, "message": "BAD_STATUS: the order is already cancelled"})
    fakes.poll(fakes.CLOSED)
    run = cli(*RECEIVE, "--timeout", "60", "--interval", "1")
    assert (run.code, run.kind, run.line["order_status"]) == (3, "order_closed", "closed")
    assert run.line["polls"] == 2
    assert store.order(fakes.ORDER_ID)["state"] == "closed"


@ordered
def test_a_closed_order_misread_from_a_transient_error_is_cancelled_not_left_holding_money(cli, store):
    fakes.buy()
    fakes.poll({"status": -1, "message": "Order expired"}, status=410)  # the platform was wrong, or we misread it
    fakes.status(4)  # … and the cancel is accepted: the order was open after all, and the money comes back
    run = cli(*RECEIVE, "--timeout", "60", "--interval", "1")
    assert (run.code, run.kind, run.line["order_status"]) == (3, "order_closed", "cancelled")
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


@ordered
def test_an_sms_landing_in_the_last_interval_is_caught_at_the_deadline(cli, clock, store):
    fakes.buy()
    polls = []
    for body in (fakes.WAITING, fakes.WAITING, fakes.WAITING, fakes.RECEIVED):
        stamp("get-sms", clock, polls, body, id=fakes.ORDER_ID)
    fakes.status(3)
    start = clock.now
    run = cli(*RECEIVE, "--timeout", "12", "--interval", "5")
    assert (run.code, run.line["status"], run.line["code"], run.line["order_status"]) == \
        (0, "received", "8848", "finished")
    assert [t - start for t in polls] == [0, 5, 10, 12]
    assert not [c for c in fakes.calls_to("change-status") if "status=4" in c.request.url]


@ordered
def test_a_cancel_refused_because_the_sms_came_turns_into_the_code(cli, store):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)  # at the deadline: nothing yet …
    fakes.status(4, body={"status": -1, "message": "SMS already received, the order cannot be cancelled"})
    fakes.poll(fakes.RECEIVED)  # … and then it was there
    fakes.status(3)
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.line["status"], run.line["code"], run.line["finished"]) == (0, "received", "8848", True)
    assert "refused the cancel" in run.line["warning"]
    assert store.order(fakes.ORDER_ID)["state"] == "finished"


@ordered
def test_a_cancel_refused_for_an_order_the_platform_closed_settles_it_as_closed(cli, store):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)
    fakes.status(4, body={"status": -1, "message": "BAD_STATUS"})
    fakes.poll({"status": 1, "data": {"orderId": 500001, "status": "CANCELED_BY_TIMEOUT"}})
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "closed")
    assert store.order(fakes.ORDER_ID)["state"] == "closed"
    assert cli("cleanup").code == 0 and cli("orders").line["count"] == 0


@ordered
def test_a_received_state_nobody_can_read_is_said_at_once_and_shown_when_the_cancel_is_refused(cli, store):
    unreadable = {"status": 1, "data": {"orderId": 500001, "status": "received", "payload": {"v": "验证码 X"}}}
    fakes.buy()
    fakes.poll(unreadable)
    fakes.poll(unreadable)
    fakes.status(4, body={"status": -1, "message": "cannot cancel: SMS received"})
    fakes.poll(unreadable)
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.kind) == (6, "cancel_failed")
    assert "no text or code could be read" in run.err
    assert "验证码 X" in run.line["last_answer"] and "cleanup --forget 500001" in run.line["error"]["message"]


@pytest.mark.parametrize("timeout, polls_at", [(2.95, [0, 1, 2, 2.95]), (2.5, [0, 1, 2])])
def test_poll_loop_sleeps_until_the_next_poll_or_the_deadline_and_polls_there_unless_it_just_did(clock, timeout,
                                                                                                  polls_at):
    times = []

    def fetch(cap):
        times.append((clock.now, cap))
        clock.now += 0.4  # each poll takes 0.4 s: the one at 2 s answers at 2.4 s
        return shapes.SmsState()
    outcome = polling.poll_for_code(fetch, timeout, 1, clock, clock.sleep, output.Log())
    assert outcome.timed_out and [round(t - 1000, 2) for t, _ in times] == polls_at
    caps = [round(cap, 2) for _, cap in times][:3]
    assert caps == [round(timeout - k, 2) for k in range(3)]  # none past the deadline
    assert times[-1][1] == (polling.FINAL_POLL_CAP_S if len(polls_at) == 4 else timeout - 2)
    assert max(clock.sleeps) <= 1


# --- errors, signals and crashes after the purchase: always a cancel --------------------------------

@ordered
def test_a_fatal_poll_error_cancels_the_order(cli, store):
    fakes.buy()
    fakes.poll({"status": -1, "message": "Invalid API key"}, status=401)
    fakes.status(4)
    run = cli(*RECEIVE)
    assert (run.code, run.kind) == (3, "auth")
    assert run.line["order_status"] == "cancelled"


@ordered
def test_a_bug_after_the_purchase_still_cancels(cli, store):
    fakes.buy()
    responses.add_callback(responses.GET, fakes.url("get-sms"), callback=lambda request: 1 / 0)
    fakes.status(4)
    run = cli(*RECEIVE)
    assert (run.code, run.kind) == (7, "internal")
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
@ordered
def test_a_signal_while_waiting_cancels_and_exits_130(cli, clock, store, signum):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.status(4)
    clock.sleep = lambda seconds: signal.raise_signal(signum)  # the real handler runs
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["status"]) == (130, "interrupted", "interrupted")
    assert signal.Signals(signum).name in run.line["error"]["message"]
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


@pytest.mark.parametrize("command", ["buy", "receive"])
@ordered
def test_a_signal_during_the_purchase_waits_for_the_record_then_cancels(cli, store, command):
    def sell_then_get_interrupted(request):
        signal.raise_signal(signal.SIGTERM)  # arrives while buy-service is answering
        return 200, {}, json.dumps(fakes.BOUGHT)
    responses.add_callback(responses.GET, fakes.url("buy-service"), callback=sell_then_get_interrupted)
    fakes.status(4)
    run = cli(command, "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.kind) == (130, "interrupted")
    assert run.line["order_id"] == fakes.ORDER_ID and run.line["order_status"] == "cancelled"
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


def test_a_signal_before_any_purchase_exits_130_with_nothing_bought(cli):
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, fakes.url("get-countries"),
                          callback=lambda request: signal.raise_signal(signal.SIGINT))
        run = cli("receive", "--country", "China", "--service", "Soul")
    assert (run.code, run.kind) == (130, "interrupted")


# --- cancels that fail: exit 6, and cleanup later ----------------------------------------------------

@ordered
def test_a_failed_cancel_exits_6_and_cleanup_finishes_the_job(cli, store):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)  # the poll at the deadline
    fakes.status(4, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    fakes.status(4)
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.kind, run.line["error"]["cause"]) == (6, "cancel_failed", "network")
    assert "cleanup" in run.line["error"]["message"] and run.line["order_status"] == "cancelling"
    store.update(store.order(fakes.ORDER_ID), pid=dead_pid())
    cleaned = cli("cleanup")
    assert cleaned.code == 0 and [o["order_id"] for o in cleaned.line["settled"]] == [fakes.ORDER_ID]
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


@ordered
def test_an_early_cancel_refusal_at_the_deadline_is_routine_and_says_when_cleanup_cancels(cli, store):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)  # at the deadline
    fakes.status(4, body="EARLY_CANCEL_DENIED")
    fakes.poll(fakes.WAITING)  # the refusal is checked against what get-sms says
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelling")  # not exit 6
    assert run.line["cancel_after"] and "`cleanup` after" in run.line["error"]["message"]
    assert store.order(fakes.ORDER_ID)["state"] == "cancelling"


@ordered
def test_an_order_waiting_for_its_early_cancel_window_does_not_block_the_next_buy(cli, store):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)
    fakes.status(4, body="EARLY_CANCEL_DENIED")
    fakes.poll(fakes.WAITING)
    assert cli(*RECEIVE, "--timeout", "1").code == 1
    fakes.status(4, body="EARLY_CANCEL_DENIED")  # the next buy tries the cancel first: still too early
    fakes.poll(fakes.WAITING)
    fakes.buy(body={"status": 1, "data": {"orderId": 500002, "number": "+8613800000002", "price": 0.3}})
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.line["order_id"]) == (0, "500002") and "cannot be cancelled yet" in run.line["warning"]
    fakes.status(4)  # cleanup, once the platform allows it
    cleaned = cli("cleanup")
    assert cleaned.code == 0 and store.order(fakes.ORDER_ID)["state"] == "cancelled"
    assert store.order("500002")["state"] == "waiting"  # just bought: its `wait`'s until its hold ends


@ordered
def test_the_ledger_says_cancelling_while_the_cancel_is_in_flight(cli, env):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    states = []

    def cancel(request):
        another_process_view = ledger.Store(Path(env["SMSONLINE_STATE_DIR"]))
        states.append(another_process_view.order(fakes.ORDER_ID)["state"])
        return 200, {}, json.dumps(fakes.DONE)
    responses.add_callback(responses.GET, fakes.url("change-status"), callback=cancel)
    assert cli(*RECEIVE, "--timeout", "1").code == 1
    assert states == ["cancelling"]


@ordered
def test_a_failed_confirm_still_returns_the_code_and_cleanup_confirms_later(cli, store):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(3, body=requests.exceptions.ReadTimeout("read timed out"))
    fakes.status(3)
    run = cli(*RECEIVE)
    assert run.code == 0 and run.line["code"] == "8848" and run.line["finished"] is False
    assert "cleanup" in run.line["warning"]
    assert store.order(fakes.ORDER_ID)["state"] == "finishing"
    store.update(store.order(fakes.ORDER_ID), pid=dead_pid())
    assert cli("cleanup").code == 0
    assert store.order(fakes.ORDER_ID)["state"] == "finished"


@activate
def test_cleanup_skips_orders_whose_process_is_alive_unless_all(cli, store):
    fakes.buy()
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").code == 0
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        store.update(store.order(fakes.ORDER_ID), pid=sleeper.pid, settle_after=store.now() - 1)  # a live owner,
        # but no run of this skill (`sleep`): the system reused a dead run's pid
        assert cli("cleanup").line["count"] == 0
        fakes.status(4)
        assert cli("cleanup", "--all").line["count"] == 1
    finally:
        sleeper.kill()
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


@activate
def test_cleanup_with_a_cancel_that_keeps_failing_exits_6(cli, store):
    fakes.buy()
    fakes.status(4, body=requests.exceptions.ConnectionError("Connection refused"))
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13", "--hold", "1").code == 0
    run = cli("cleanup", "--all", now=lambda: time.time() + 2)  # past its hold
    assert (run.code, run.kind) == (6, "cancel_failed")
    assert run.line["unsettled"][0]["order_id"] == fakes.ORDER_ID


def test_cleanup_leaves_a_bought_order_within_its_hold_to_its_wait_and_says_why(cli, store):
    store.update(store.adopt("9", PRIMARY), pid=dead_pid())  # `buy` ended; the agent runs `wait` next
    with responses.RequestsMock():
        line = cli("cleanup").line
    assert line["count"] == 0 and "within its hold" in line["left"][0]["why"]  # `cleanup --all` cancels it now
    assert store.order("9")["state"] == "waiting"


def test_a_waiting_order_is_cancelled_not_forgotten(cli, store):
    store.adopt("9", PRIMARY)
    with responses.RequestsMock():
        run = cli("cleanup", "--forget", "9")
    assert (run.code, run.kind) == (2, "usage") and "cancel --id 9" in run.line["error"]["message"]
    assert store.order("9")["state"] == "waiting"


def test_a_forgotten_order_that_had_its_code_still_counts_as_spent(cli, store):
    store.update(store.adopt("9", PRIMARY), state="received", price=0.3, code="482913")
    assert cli("cleanup", "--forget", "9").code == 0
    assert store.money() == (0.3, 0.0)


# --- the two-step agent flow -------------------------------------------------------------------------

@ordered
def test_wait_uses_the_sellers_base(cli, store):
    fakes.buy(body=fakes.refused())
    fakes.buy(base=BACKUP)
    fakes.poll(fakes.RECEIVED, base=BACKUP)
    fakes.status(3, base=BACKUP)
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").code == 0
    store.mark_base_ok(fakes.PRIMARY)
    run = cli("wait", "--finish")
    assert run.code == 0 and run.line["code"] == "8848" and run.line["base_url"] == BACKUP
    assert cli("orders", "--all").line["orders"][0]["order_status"] == "finished"


@activate
def test_wait_without_id_and_no_open_order_is_a_usage_error(cli):
    run = cli("wait")
    assert (run.code, run.kind) == (2, "usage") and "0 orders" in run.line["error"]["message"]


@activate
def test_wait_without_id_and_several_open_orders_lists_them(cli, store):
    for order_id in ("1", "2"):
        store.adopt(order_id, fakes.PRIMARY)
    run = cli("wait")
    assert (run.code, run.kind) == (2, "usage") and len(run.line["open_orders"]) == 2


@activate
def test_a_non_numeric_unknown_id_is_a_usage_error(cli):
    assert cli("check", "--id", "abc").code == 2
    assert cli("wait", "--id", "12ab").code == 2


@activate
def test_an_order_being_waited_on_elsewhere_is_not_waited_on_twice(cli, store):
    order = store.adopt("77", fakes.PRIMARY)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        store.update(order, pid=sleeper.pid)
        run = cli("wait", "--id", "77")
    finally:
        sleeper.kill()
    assert (run.code, run.kind) == (5, "open_order")


# --- check, finish, cancel, refund, orders --------------------------------------------------------------

@ordered
def test_check_is_one_call_and_records_a_code(cli, store):
    store.adopt(fakes.ORDER_ID, fakes.PRIMARY)
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.RECEIVED)
    assert cli("check", "--id", fakes.ORDER_ID).line["status"] == "waiting"
    run = cli("check", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["status"], run.line["code"]) == (0, "received", "8848")
    assert store.order(fakes.ORDER_ID)["state"] == "received"


@activate
def test_check_of_an_unrecorded_order_leaves_the_ledger_alone(cli, store):
    fakes.poll("NO_ACTIVATION", order_id="4242")
    fakes.poll(fakes.WAITING, order_id="4243", base=BACKUP)
    fakes.poll(fakes.refused(), order_id="4243")
    assert (cli("check", "--id", "4242").kind, cli("check", "--id", "4243").line["status"]) == ("not_found", "waiting")
    assert store.orders() == []


@ordered
def test_finish_without_a_code_is_refused_and_sends_nothing(cli):
    fakes.poll(fakes.WAITING)
    run = cli("finish", "--id", fakes.ORDER_ID)
    assert (run.code, run.kind) == (2, "usage") and not fakes.calls_to("change-status")


@pytest.mark.parametrize("command, code, state", [("cancel", 4, "cancelled"), ("refund", 5, "refunded")])
@activate
def test_cancel_and_refund_by_id(cli, store, command, code, state):
    fakes.status(code)
    run = cli(command, "--id", fakes.ORDER_ID)
    assert (run.code, run.line["status"], run.line["order_status"]) == (0, state, state)
    assert store.order(fakes.ORDER_ID)["state"] == state


@activate
def test_cancel_of_an_order_the_platform_does_not_know_marks_it_closed(cli, store):
    fakes.status(4, body="NO_ACTIVATION", order_id="9")
    run = cli("cancel", "--id", "9")
    assert run.code == 0 and run.line["order_status"] == "closed"
    assert store.order("9")["state"] == "closed"


@activate
def test_a_cancel_refused_as_too_early_is_kind_early_cancel_with_when_to_retry(cli):
    fakes.status(4, body={"status": -1, "message": "Too early to cancel"})
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert (run.code, run.kind, run.line["order_status"]) == (3, "early_cancel", "cancelling")
    assert run.line["cancel_after"] and "cause" not in run.line["error"]  # one name, as SKILL.md's table has it


@ordered
def test_orders_lists_open_ones_and_all_with_spend(cli, store):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    assert cli(*RECEIVE).code == 0
    store.adopt("600", fakes.PRIMARY)
    store.update(store.order("600"), price=0.5)
    open_only = cli("orders")
    assert [o["order_id"] for o in open_only.line["orders"]] == ["600"]
    everything = cli("orders", "--all")
    assert everything.line["count"] == 2 and everything.line["spent"] == 0.3 and everything.line["held"] == 0.5


def test_orders_needs_no_key(cli, env):
    del env["SMSONLINE_API_KEY"]
    assert cli("orders").code == 0


@pytest.mark.parametrize("ack", ["1", "OK", "true"])
@ordered
def test_a_cancel_acknowledged_in_plain_text_counts(cli, store, ack):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)
    fakes.status(4, body=ack)
    assert cli(*RECEIVE, "--timeout", "1").code == 1
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"


@pytest.mark.parametrize("broken", ["the record only", "every write from then on"])
@ordered
def test_an_order_the_ledger_cannot_record_is_cancelled_at_once_and_printed(cli, store, monkeypatch, broken):
    fakes.buy()
    fakes.status(4)
    real_record = ledger.Store.record

    def disk_full(self, order, **fields):
        if fields.get("state") == "waiting" or broken != "the record only" and order.get("order_id"):
            raise sqlite3.OperationalError("database or disk is full")
        return real_record(self, order, **fields)
    monkeypatch.setattr(ledger.Store, "record", disk_full)
    run = cli(*RECEIVE)
    assert (run.code, run.kind) == (2, "config")
    assert len(fakes.calls_to("change-status")) == 1  # the cancel went out although nothing could be recorded
    assert (run.line["order_id"], run.line["number"], run.line["order_status"]) == \
        (fakes.ORDER_ID, fakes.NUMBER, "cancelled")
    assert "cancelled at once because the ledger" in run.line["error"]["message"]


@ordered
def test_an_unrecordable_order_whose_cancel_fails_too_is_exit_6_with_its_id(cli, store, monkeypatch):
    fakes.buy()
    fakes.status(4, body=fakes.refused())
    real_record = ledger.Store.record

    def disk_full_after_the_purchase(self, order, **fields):
        if order.get("order_id") or fields.get("state") == "waiting":
            raise sqlite3.OperationalError("database or disk is full")
        return real_record(self, order, **fields)
    monkeypatch.setattr(ledger.Store, "record", disk_full_after_the_purchase)
    run = cli(*RECEIVE)
    assert (run.code, run.kind) == (6, "cancel_failed")
    assert (run.line["order_id"], run.line["number"]) == (fakes.ORDER_ID, fakes.NUMBER)
    assert "cancel it on the website now" in run.line["error"]["message"]


def test_a_signal_inside_the_cancel_handler_still_cancels(store):
    sent = []
    order = store.adopt("9", fakes.PRIMARY)

    class Api:
        stop_at = None

        def call(self, op, params, **kwargs):
            sent.append((op, params))
            return smsonline_reader.Answer({"ack": "OK"}, False), fakes.PRIMARY

    guard = signals.SignalGuard()
    real_deferred, raised = guard.deferred, []

    def deferred_interrupted_once():
        if not raised:  # the signal lands just before the handler could defer signals
            raised.append(True)
            guard.stopping = True
            raise output.Interrupted(signal.SIGTERM)
        return real_deferred()
    guard.deferred = deferred_interrupted_once
    ctx = commands.Context(store=store, api=Api(), guard=guard, clock=FakeClock())
    with pytest.raises(output.Failure) as caught:
        flows.settled_failure(ctx, order, None, output.Failure("timeout", "no SMS", status="timeout"))
    assert caught.value.kind == "interrupted" and sent == [(Op.CANCEL, {"order_id": "9"})]
    assert store.order("9")["state"] == "cancelled"


@activate
def test_cleanup_all_never_touches_a_purchase_in_flight(cli, store):
    reservation, _, _ = store.reserve_purchase(fakes.WHAT, fakes.PRIMARY, 600, replace=False, test=False)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        store.update(dict(reservation), pid=sleeper.pid)
        run = cli("cleanup", "--all")
    finally:
        sleeper.kill()
    assert run.code == 0 and [o["state"] for o in store.orders()] == ["buying"]


@ordered
def test_a_platform_echoing_the_key_leaves_no_key_in_the_ledger(cli, env):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)
    fakes.status(4, body={"status": -1, "message": f"key {KEY} may not cancel yet"})
    fakes.poll(fakes.WAITING)
    assert cli(*RECEIVE, "--timeout", "1").code == 6
    for path in Path(env["SMSONLINE_STATE_DIR"]).iterdir():
        assert KEY.encode() not in path.read_bytes()


@activate
def test_wait_after_check_saw_the_code_confirms_it_without_polling(cli, store):
    order = store.adopt(fakes.ORDER_ID, fakes.PRIMARY)
    store.update(order, state="received", code="8848", sms=fakes.SMS_TEXT)
    fakes.status(3)
    run = cli("wait", "--id", fakes.ORDER_ID, "--finish")
    assert (run.code, run.line["code"], run.line["order_status"], run.line["polls"]) == (0, "8848", "finished", 0)


@ordered
def test_an_inherited_ignored_sighup_is_respected_like_nohup(cli, clock, store):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    clock.sleep = lambda seconds: (signal.raise_signal(signal.SIGHUP), FakeClock.sleep(clock, seconds))
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        run = cli(*RECEIVE)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert run.code == 0 and run.line["code"] == "8848"  # the terminal went away; the run went on


# --- a second code on the same number (wait leaves the order received; --next; finish; cleanup) -------------

OLD_SMS, NEW_SMS = "【Soul】您的验证码是8848，5分钟内有效。", "【Soul】您的验证码是4321，5分钟内有效。"


def sms_list(*texts):
    return {"status": 1, "data": {"orderId": 500001, "status": "received", "messages": [{"text": t} for t in texts]}}


@ordered
def test_wait_leaves_the_order_received_and_finish_confirms_it_once_the_code_worked(cli, store):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").code == 0
    waited = cli("wait")
    assert (waited.code, waited.line["code"], waited.line["order_status"], waited.line["finished"]) == \
        (0, "8848", "received", False)
    assert not fakes.calls_to("change-status")
    finished = cli("finish", "--id", fakes.ORDER_ID)
    assert (finished.code, finished.line["order_status"]) == (0, "finished")


@pytest.mark.parametrize("answers", [
    [sms_list(OLD_SMS), sms_list(OLD_SMS), sms_list(OLD_SMS, NEW_SMS)],  # the platform lists every SMS
    [sms_list(OLD_SMS), sms_list(OLD_SMS), sms_list(NEW_SMS)],  # or only the newest
    [sms_list(OLD_SMS), {"status": 1, "data": {"status": "received", "sms": OLD_SMS}},
     {"status": 1, "data": {"status": "received", "sms": NEW_SMS}}],
])
@ordered
def test_wait_next_returns_the_code_of_an_sms_not_seen_before(cli, clock, store, answers):
    store.adopt(fakes.ORDER_ID, fakes.PRIMARY)
    fakes.poll(answers[0])
    first = cli("wait", "--id", fakes.ORDER_ID)
    assert (first.line["code"], first.line["order_status"]) == ("8848", "received")
    for body in answers[1:]:
        fakes.poll(body)
    second = cli("wait", "--id", fakes.ORDER_ID, "--next", "--interval", "1")
    assert (second.code, second.line["code"], second.line["sms"], second.line["polls"]) == (0, "4321", NEW_SMS, 2)
    assert store.order(fakes.ORDER_ID)["code"] == "4321"


@ordered
def test_wait_next_timing_out_keeps_the_order_and_its_first_code(cli, store):
    order = store.adopt(fakes.ORDER_ID, fakes.PRIMARY)
    fakes.poll(sms_list(OLD_SMS))
    assert cli("wait", "--id", fakes.ORDER_ID).line["code"] == "8848"
    fakes.poll(sms_list(OLD_SMS))
    fakes.poll(sms_list(OLD_SMS))
    run = cli("wait", "--id", fakes.ORDER_ID, "--next", "--timeout", "1")
    assert (run.code, run.kind, run.line["order_status"], run.line["code"]) == (1, "timeout", "received", "8848")
    assert "finish --id" in run.line["error"]["message"] and not fakes.calls_to("change-status")
    assert "cannot be told from them" in run.line["error"]["message"] and run.line["sms"] == OLD_SMS
    assert store.order(order["order_id"])["state"] == "received"


@activate
def test_wait_next_needs_an_id_and_an_order_that_can_still_get_sms(cli, store):
    assert cli("wait", "--next").kind == "usage"
    order = store.adopt(fakes.ORDER_ID, fakes.PRIMARY)
    store.update(order, state="finished", code="8848")
    assert cli("wait", "--id", fakes.ORDER_ID, "--next").kind == "usage"


@ordered
def test_a_received_order_nobody_finishes_is_confirmed_by_cleanup_after_its_hold(cli, store):
    order = store.adopt(fakes.ORDER_ID, fakes.PRIMARY)
    store.update(order, state="received", code="8848", pid=dead_pid())
    assert cli("cleanup").line["count"] == 0  # still within its hold: the agent may be typing the code
    store.update(order, settle_after=store.now() - 1)
    fakes.status(3)
    run = cli("cleanup")
    assert run.code == 0 and [o["order_status"] for o in run.line["settled"]] == ["finished"]


@ordered
def test_a_signal_during_cleanup_finishes_the_order_in_hand_then_stops(cli, store):
    for order_id in ("1", "2"):
        store.update(store.adopt(order_id, fakes.PRIMARY), pid=dead_pid(), settle_after=store.now() - 1)  # past hold

    def cancel_then_get_interrupted(request):
        signal.raise_signal(signal.SIGINT)  # lands while order 1 is being cancelled
        return 200, {}, json.dumps(fakes.DONE)
    responses.add_callback(responses.GET, fakes.url("change-status"), callback=cancel_then_get_interrupted)
    run = cli("cleanup")
    assert (run.code, run.kind) == (130, "interrupted")
    assert [store.order(i)["state"] for i in ("1", "2")] == ["cancelled", "waiting"]


@ordered
def test_a_signal_whose_interrupt_was_swallowed_on_its_way_still_stops_the_wait(cli, clock, store, monkeypatch):
    """Library code that catches everything must not turn a signal into a run that polls on to its deadline."""
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.status(4)

    def swallowed(seconds):
        clock.now += seconds
        try:
            signal.raise_signal(signal.SIGTERM)  # the real handler raises Interrupted …
        except BaseException:  # noqa: BLE001  … and something on the way swallows it
            pass
    clock.sleep = swallowed
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"]) == (130, "interrupted", "cancelled")
    assert len(fakes.calls_to("get-sms")) == 1 and clock() - 1000 < 2  # no polling on to the deadline


@ordered
def test_the_cancel_at_the_deadline_goes_out_while_another_process_holds_the_ledger(cli, env, store):
    """A ledger held by another process (a shell left in a transaction) must not eat the seconds after the deadline
    that the cancel needs: its statements wait a moment, what they could not write is written before the run ends."""
    import sqlite3
    import threading
    import time

    holder = sqlite3.connect(f"{env['SMSONLINE_STATE_DIR']}/ledger.sqlite3", isolation_level=None,
                             check_same_thread=False)
    locked_at = []

    def lock_then_wait(request):  # the last poll: the ledger is taken from here on
        holder.execute("BEGIN EXCLUSIVE")
        locked_at.append(time.monotonic())
        return 200, {}, json.dumps(fakes.WAITING)

    def cancelled_while_locked(request):
        sent_after = time.monotonic() - locked_at[0]
        threading.Timer(0.2, lambda: (holder.execute("ROLLBACK"), holder.close())).start()
        assert sent_after < 1.5, sent_after  # not LOCK_WAIT_S (3 s) per statement
        return 200, {}, json.dumps(fakes.DONE)

    fakes.buy()
    responses.add_callback(responses.GET, fakes.url("get-sms"), callback=lock_then_wait)
    fakes.poll(fakes.WAITING)  # at the deadline
    responses.add_callback(responses.GET, fakes.url("change-status"), callback=cancelled_while_locked)
    run = cli("receive", "--country", "1", "--service", "101", "--operator", "13", "--timeout", "1", "--interval", "5")
    assert (run.code, run.kind, run.line.get("order_status")) == (1, "timeout", "cancelled"), run.line
    assert store.order(fakes.ORDER_ID)["state"] == "cancelled"  # written once the ledger was free
