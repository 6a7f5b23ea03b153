"""receive for a person: the one-key prompt at a terminal (scripted keys), --attempts, --copy, the last human line,
and the sandbox's daily budget. The prompt through a real pseudo-terminal is in e2e/test_pty_prompt.py."""
import contextlib
import json

import pytest
import requests
import responses
from responses import registries

import fakes
from support import output
from smsonline import commands, prompt

ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)
activate = responses.activate(assert_all_requests_are_fired=True)
RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13", "--timeout", "2", "--interval", "1")
SECOND = {"status": 1, "data": {"orderId": 500001, "status": "received", "sms": "【Soul】您的验证码是6677，5分钟内有效。"}}


@pytest.fixture
def keys(monkeypatch, clock):
    """At a terminal whose person presses these keys in turn (None: no key from then on, the --hold seconds pass)."""
    pressed = []

    def read_key(seconds):
        key = pressed[0] if pressed[0] is None else pressed.pop(0)
        if key is None:
            clock.sleep(seconds)
        return key
    monkeypatch.setattr(prompt, "at_a_terminal", lambda: True)
    monkeypatch.setattr(prompt, "read_key", read_key)
    monkeypatch.setattr(prompt, "keys_one_by_one", contextlib.nullcontext)
    return pressed


@activate
def test_enter_at_the_prompt_confirms_and_nothing_is_confirmed_before_it(cli, keys, store):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    finish = fakes.status(3)
    keys += ["x", "\n"]  # a stray key is ignored

    def unconfirmed_while_asking(seconds):
        assert finish.call_count == 0 and store.order("500001")["state"] == "received"
        return keys.pop(0)
    prompt.read_key = unconfirmed_while_asking
    run = cli(*RECEIVE)
    assert (run.code, run.line["finished"], run.line["order_status"], run.line["prompt"]) == (0, True, "finished",
                                                                                               "enter")
    assert "code 8848 for +8613800000001 (86 13800000001)" in run.err and "Enter = the code worked" in run.err


@activate
@pytest.mark.parametrize("key, status, order_status", [("\n", 3, "finished"), ("c", 4, "cancelled")])
def test_a_key_pressed_a_minute_later_still_reaches_the_platform(cli, keys, clock, key, status, order_status):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(status)

    def slow_person(seconds):
        clock.sleep(60)  # long past the wait's deadline and its grace
        return key
    prompt.read_key = slow_person
    run = cli(*RECEIVE)
    assert (run.code, run.line["order_status"], "warning" in run.line) == (0, order_status, False)


@ordered
def test_r_waits_for_the_next_sms_as_wait_next_does_then_asks_again(cli, keys, clock):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.poll(fakes.RECEIVED)  # the same SMS: not a new code
    fakes.poll(SECOND)
    fakes.status(3)
    pressed = ["r", "\n"]

    def slow_person(seconds):
        clock.sleep(60)  # the next wait gets its own deadline, not the first one's
        return pressed.pop(0)
    prompt.read_key = slow_person
    run = cli(*RECEIVE, "--timeout", "5")
    assert (run.code, run.line["code"], run.line["finished"], run.line["resends"]) == (0, "6677", True, 1)
    assert run.err.count("Enter = the code worked") == 2


@activate
def test_c_cancels_the_order(cli, keys):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(4)
    keys.append("c")
    run = cli(*RECEIVE)
    assert (run.code, run.line["status"], run.line["order_status"], run.line["prompt"]) == (0, "cancelled",
                                                                                             "cancelled", "cancel")
    assert run.line["finished"] is False and len(fakes.calls_to("change-status")) == 1


@activate
def test_c_refused_because_the_sms_counts_as_used_says_so_and_leaves_it_received(cli, keys):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(4, body={"status": -1, "message": "SMS already received, the order cannot be cancelled"})
    keys.append("c")
    run = cli(*RECEIVE)
    assert (run.code, run.line["status"], run.line["order_status"]) == (0, "received", "received")
    assert "counts as used" in run.line["warning"] and "counts as used" in run.err


@activate
def test_no_key_within_hold_leaves_the_order_received_for_cleanup(cli, keys, clock):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    keys.append(None)
    started = clock.now
    run = cli(*RECEIVE, "--hold", "30")
    assert (run.code, run.line["order_status"], run.line["finished"], run.line["prompt"]) == (0, "received", False,
                                                                                               "silence")
    assert "`cleanup`" in run.line["warning"] and clock.now - started >= 30
    assert fakes.calls_to("change-status") == []


@activate
def test_ctrl_c_at_the_prompt_leaves_the_order_received_and_says_so(cli, keys):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)

    def interrupted(seconds):
        raise output.Interrupted(2)
    prompt.read_key = interrupted
    run = cli(*RECEIVE)
    assert (run.code, run.kind, run.line["order_status"], run.line["code"]) == (130, "interrupted", "received", "8848")
    assert "never cancelled" in run.line["error"]["message"] and "`cleanup`" in run.line["error"]["message"]
    assert fakes.calls_to("change-status") == []


@activate
@pytest.mark.parametrize("flag, finished", [("--finish", True), ("--no-finish", False)])
def test_finish_and_no_finish_keep_their_meaning_at_a_terminal(cli, keys, flag, finished):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    if finished:
        fakes.status(3)
    run = cli(*RECEIVE, flag)
    assert (run.code, run.line["finished"], "prompt" in run.line) == (0, finished, False)


@activate
def test_without_a_terminal_receive_confirms_at_once(cli, monkeypatch):
    monkeypatch.setattr(prompt, "read_key", lambda seconds: pytest.fail("asked without a terminal"))
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    run = cli(*RECEIVE)
    assert (run.code, run.line["finished"], "prompt" in run.line, "attempts" in run.line) == (0, True, False, False)


# --- --attempts ------------------------------------------------------------------------------------------------

ANY_OPERATOR = ("receive", "--country", "1", "--service", "101", "--timeout", "2", "--interval", "1")


def second_order(operator=11):
    fakes.buy(operator=operator, body={"status": 1, "data": {"orderId": 500002, "number": "+8613800000002",
                                                               "price": 0.35}})


@activate
def test_attempts_cancel_then_buy_the_next_cheapest_operator_and_list_each_number(cli, store):
    fakes.products()
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.status(4)
    second_order()
    received = {"status": 1, "data": {**fakes.RECEIVED["data"], "orderId": 500002}}  # its own order's SMS
    answers = [fakes.WAITING] * 3 + [received]  # the code 15 s in: the first number's deadline is long past
    responses.add_callback(responses.GET, fakes.url("get-sms"), match=[fakes.query(id="500002")],
                           callback=lambda request: (200, {}, json.dumps(answers.pop(0), ensure_ascii=False)))
    fakes.status(3, order_id="500002")
    run = cli(*ANY_OPERATOR, "--attempts", "3", "--timeout", "20", "--interval", "5")
    assert (run.code, run.line["order_id"], run.line["finished"]) == (0, "500002", True)
    assert [(a["order_id"], a["operator_id"], a["price"], a["outcome"], a["order_status"])
            for a in run.line["attempts"]] == [("500001", "13", 0.3, "timeout", "cancelled"),
                                               ("500002", "11", 0.35, "received", "finished")]
    assert "number 2 of 3: +8613800000002" in run.err
    assert store.order("500001")["state"] == "cancelled"


@activate
def test_attempts_come_back_to_the_same_operator_when_no_other_is_in_stock(cli):
    fakes.products(body={"status": 1, "data": [{"operatorId": 13, "name": "Telecom", "price": 0.3, "count": 9}]})
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.status(4)
    second_order(operator=13)
    fakes.poll(fakes.WAITING, order_id="500002")
    fakes.status(4, order_id="500002")
    run = cli(*ANY_OPERATOR, "--attempts", "2")
    assert (run.code, run.kind) == (1, "timeout")
    assert [(a["order_id"], a["outcome"], a["order_status"]) for a in run.line["attempts"]] == [
        ("500001", "timeout", "cancelled"), ("500002", "timeout", "cancelled")]


@activate
def test_attempts_stop_when_the_cancel_failed_rule_3(cli):
    fakes.products()
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.status(4, body={"status": -1, "message": "server busy"})  # refused, and get-sms shows no SMS
    run = cli(*ANY_OPERATOR, "--attempts", "3")
    assert (run.code, run.kind, len(run.line["attempts"])) == (6, "cancel_failed", 1)
    assert len(fakes.calls_to("buy-service")) == 1


@activate
def test_attempts_stop_after_a_purchase_that_may_have_reached_the_platform(cli):
    fakes.products()
    fakes.buy()
    fakes.poll(fakes.WAITING)
    fakes.status(4)
    fakes.buy(operator=11, body=requests.exceptions.ReadTimeout("read timed out"))
    run = cli(*ANY_OPERATOR, "--attempts", "3")
    assert run.kind == "network" and len(fakes.calls_to("buy-service")) == 2
    assert [a["order_status"] for a in run.line["attempts"]] == ["cancelled", "unknown"]


# --- --copy, the last human line -----------------------------------------------------------------------------

@activate
@pytest.mark.parametrize("works, copied", [(True, ["number", "code"]), (False, [])])
def test_copy_says_what_was_copied_and_warns_in_the_line_when_no_tool_worked(cli, monkeypatch, works, copied):
    monkeypatch.setattr(commands, "copy_to_clipboard", lambda text, log: works)
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    run = cli(*RECEIVE, "--copy")
    assert (run.code, run.line["copied"]) == (0, copied)
    assert ("no clipboard tool worked" in run.line.get("warning", "")) is not works


@activate
def test_a_person_at_a_terminal_sees_a_last_line_with_the_code_the_number_and_the_confirm(cli, monkeypatch):
    monkeypatch.setattr(commands, "stderr_is_a_terminal", lambda: True)
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    run = cli(*RECEIVE, "--finish")
    assert run.err.replace("\a", "").splitlines()[-1] == "code 8848 · number +8613800000001 · order 500001 confirmed."


# --- the sandbox keeps the daily budget over its own ledger --------------------------------------------------

def test_the_sandbox_refuses_a_purchase_past_the_daily_budget(cli, env):
    env.update(SMSONLINE_DAILY_BUDGET="0.1", SMSONLINE_SANDBOX_ARGS="--sms-delay 0")
    run = cli("receive", "--sandbox", "--country", "China", "--service", "Soul", "--no-finish")
    assert (run.code, run.kind, run.line["budget"]) == (3, "budget", 0.1)
    assert "order_id" not in run.line  # refused before buying, as at a real platform


TEXT_ONLY = {"status": 1, "data": {"orderId": 500001, "status": "received", "sms": "Welcome to Soul, your sign-in is "
                                                                                   "ready"}}


@activate
def test_an_sms_without_a_code_is_shown_and_enter_confirms_it_as_the_persons_reading(cli, keys, store):
    fakes.buy()
    fakes.poll(TEXT_ONLY)
    finish = fakes.status(3)
    keys += ["r", "\n"]  # r is not a key of this question: ignored

    def unconfirmed_while_asking(seconds):
        assert finish.call_count == 0 and store.order("500001")["state"] == "sms_without_code"
        return keys.pop(0)
    prompt.read_key = unconfirmed_while_asking
    run = cli(*RECEIVE)
    assert (run.code, run.line["finished"], run.line["order_status"], run.line["prompt"]) == (0, True, "finished",
                                                                                               "enter")
    assert (run.line["code"], run.line["code_from"]) == (None, "person")
    assert store.order("500001")["code_from"] == "person"
    assert "Welcome to Soul, your sign-in is ready" in run.err and "Enter = you used a code from it" in run.err


@ordered
def test_w_at_an_sms_without_a_code_waits_for_another_sms_then_asks_about_its_code(cli, keys, store):
    fakes.buy()
    fakes.poll(TEXT_ONLY)
    fakes.poll(TEXT_ONLY)  # the same SMS: seen
    fakes.poll({"status": 1, "data": {"orderId": 500001, "status": "received",
                                      "messages": [{"text": TEXT_ONLY["data"]["sms"]}, {"text": fakes.SMS_TEXT}]}})
    fakes.status(3)
    keys += ["w", "\n"]
    run = cli(*RECEIVE, "--timeout", "5")
    assert (run.code, run.line["code"], run.line["finished"], run.line["resends"]) == (0, "8848", True, 1)
    assert "code_from" not in run.line and run.err.count("Enter = the code worked") == 1


@activate
@pytest.mark.parametrize("key, code, order_status", [("c", 0, "cancelled"), (None, 9, "sms_without_code")])
def test_c_cancels_an_sms_without_a_code_and_silence_leaves_it_held(cli, keys, store, key, code, order_status):
    fakes.buy()
    fakes.poll(TEXT_ONLY)
    if key == "c":
        fakes.status(4)
    keys.append(key)
    run = cli(*RECEIVE)
    assert (run.code, run.line["order_status"]) == (code, order_status)
    assert store.order("500001")["state"] == order_status
    if key is None:
        assert "--code" in run.line["warning"] and run.line["prompt"] == "silence"
