"""An SMS without a code, end to end on every protocol through the sandbox's No-Code Test Service (198 / `nc`):
`receive` hands it over at once (exit 9) and leaves the order open on the platform; `finish --code` confirms it on
the agent's reading; a cancel the platform refuses because the SMS came keeps it held. At a real terminal the text
is shown and Enter confirms it."""
import pytest

from e2e_support import Runner, calls, orders_in
from test_both_protocols import PROTOCOLS
from test_pty_prompt import RECEIVE as AT_A_TERMINAL, Terminal

NO_CODE = {"smsonline-v1": ("--country", "1", "--service", "198", "--operator", "13"),
           "sms-activate": ("--country", "3", "--service", "nc"), "5sim": ("--country", "china", "--service", "nocode")}
TEXT = "Welcome to the No-Code Test Service! Your account is ready. Reply STOP to opt out."


@pytest.fixture(params=sorted(PROTOCOLS))
def protocol(request):
    return request.param


def test_receive_hands_the_text_over_and_finish_code_confirms_it(tmp_path, make_sandbox, protocol):
    sandbox = make_sandbox(**PROTOCOLS[protocol].options)
    run = Runner(tmp_path, [sandbox.base_url])
    result = run("receive", *NO_CODE[protocol], "--interval", "0.5", "--timeout", "20")
    assert (result.code, result.line["status"], result.line["code"], result.line["texts"]) == (
        9, "sms_without_code", None, [TEXT])
    assert result.elapsed < 10 and orders_in(sandbox)[0]["state"] == "received"  # neither confirmed nor cancelled
    order_id = result.line["order_id"]
    done = run("finish", "--id", order_id, "--code", "PLUM-42")
    assert (done.code, done.line["status"], done.line["code"], done.line["code_from"]) == (0, "finished", "PLUM-42",
                                                                                          "agent")
    assert orders_in(sandbox)[0]["state"] == "finished"
    listed = run("orders", "--all").line["orders"][0]
    assert (listed["order_status"], listed["code_from"]) == ("finished", "agent")


def test_a_cancel_refused_because_the_sms_came_keeps_it_held(tmp_path, make_sandbox, protocol):
    sandbox = make_sandbox(**PROTOCOLS[protocol].options, refuse_cancel_after_sms=True)
    run = Runner(tmp_path, [sandbox.base_url])
    order_id = run("receive", *NO_CODE[protocol], "--interval", "0.5").line["order_id"]
    result = run("cancel", "--id", order_id)
    assert (result.code, result.line["status"], result.line["sms"]) == (9, "sms_without_code", TEXT)
    assert orders_in(sandbox)[0]["state"] == "received" and "--code" in result.line["warning"]


def test_at_a_terminal_the_text_is_shown_and_enter_confirms_it(tmp_path, sandbox):
    screen = Terminal(Runner(tmp_path, [sandbox.base_url]), *AT_A_TERMINAL[:2], "1", "--service", "198",
                      *AT_A_TERMINAL[5:])
    screen.expect(b"Enter = you used a code from it")
    assert TEXT.encode() in screen.screen and calls(sandbox, "change-status") == []
    screen.press(b"\n")
    result = screen.finish()
    assert (result.code, result.line["prompt"], result.line["code_from"]) == (0, "enter", "person")
    assert orders_in(sandbox)[0]["state"] == "finished"
