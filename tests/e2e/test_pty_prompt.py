"""receive at a real terminal: the script in a pseudo-terminal (stdin and stderr), keys typed on it, the JSON line
on a pipe. Enter confirms, r waits for the next SMS, c cancels (refused once the SMS counts as used), silence and
Ctrl-C leave the order received; nothing is confirmed before a key."""
import fcntl
import os
import pty
import select
import subprocess
import termios
import time

import pytest

from e2e_support import Result, Runner, calls, orders_in

RECEIVE = ("receive", "--country", "China", "--service", "Soul", "--interval", "0.5", "--timeout", "10")
QUESTION = b"Enter = the code worked"


def take_the_terminal():
    """In the child: a session of its own whose controlling terminal is the pty, so Ctrl-C there sends SIGINT."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """The script with a pseudo-terminal as stdin and stderr; stdout (the JSON line) on a pipe."""

    def __init__(self, runner, *argv, shell=()):
        """shell: a command line the script's own is appended to (a shell that starts it as a job)."""
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([*shell, *runner.command(argv)], env=runner.env, cwd=runner.cwd, stdin=slave,
                                        stderr=slave, stdout=subprocess.PIPE, text=True, preexec_fn=take_the_terminal)
        os.close(slave)
        self.screen = b""

    def read(self, seconds):
        if select.select([self.master], [], [], seconds)[0]:
            try:
                self.screen += os.read(self.master, 4096)
            except OSError:  # the child has closed the terminal
                return False
        return True

    def expect(self, text, count=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.screen.count(text) < count:
            assert time.monotonic() < deadline and self.read(0.1), f"never saw {text!r}: {self.screen!r}"

    def press(self, key):
        os.write(self.master, key)

    def finish(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            assert time.monotonic() < deadline, f"still running: {self.screen!r}"
            self.read(0.05)
        while self.read(0) and select.select([self.master], [], [], 0)[0]:
            pass
        os.close(self.master)
        result = Result(self.process.returncode, self.process.stdout.read(), "", 0)
        self.process.stdout.close()
        return result


@pytest.fixture
def terminal(tmp_path):
    def start(sandbox, *argv):
        return Terminal(Runner(tmp_path, [sandbox.base_url]), *RECEIVE, *argv)
    return start


def status_changes(sandbox):
    return [c["params"].get("status") for c in calls(sandbox, "change-status")]


def test_enter_confirms_and_only_after_the_key(terminal, sandbox):
    screen = terminal(sandbox)
    screen.expect(QUESTION)
    time.sleep(0.3)
    assert orders_in(sandbox)[0]["state"] == "received" and status_changes(sandbox) == []  # asked, not confirmed
    screen.press(b"\n")
    result = screen.finish()
    assert (result.code, result.line["finished"], result.line["prompt"]) == (0, True, "enter")
    assert orders_in(sandbox)[0]["state"] == "finished"
    assert b"confirmed." in screen.screen.splitlines()[-1]  # the last human line, before the JSON line


def test_r_waits_for_the_next_sms_and_asks_again(terminal, make_sandbox):
    sandbox = make_sandbox(resend=0.5)
    screen = terminal(sandbox)
    screen.expect(QUESTION)
    first = orders_in(sandbox)[0]["sms"]
    screen.press(b"r")
    screen.expect(QUESTION, count=2)
    screen.press(b"\n")
    result = screen.finish()
    assert (result.code, result.line["resends"], result.line["order_status"]) == (0, 1, "finished")
    assert result.line["code"] not in first


@pytest.mark.parametrize("refused, order_status", [(False, "cancelled"), (True, "received")])
def test_c_cancels_or_says_the_sms_counts_as_used(terminal, make_sandbox, refused, order_status):
    sandbox = make_sandbox(refuse_cancel_after_sms=refused)
    screen = terminal(sandbox)
    screen.expect(QUESTION)
    screen.press(b"c")
    result = screen.finish()
    assert (result.code, result.line["order_status"], result.line["prompt"]) == (0, order_status, "cancel")
    assert status_changes(sandbox) == ["4"] and orders_in(sandbox)[0]["state"] == order_status
    assert (b"counts as used" in screen.screen) is refused


def test_silence_until_hold_leaves_the_order_received(terminal, sandbox):
    screen = terminal(sandbox, "--hold", "1")
    screen.expect(QUESTION)
    result = screen.finish()
    assert (result.code, result.line["order_status"], result.line["prompt"]) == (0, "received", "silence")
    assert status_changes(sandbox) == [] and "`cleanup`" in result.line["warning"]


def test_ctrl_c_at_the_prompt_leaves_the_order_received(terminal, sandbox):
    screen = terminal(sandbox)
    screen.expect(QUESTION)
    screen.press(b"\x03")
    result = screen.finish()
    assert (result.code, result.kind, result.line["order_status"]) == (130, "interrupted", "received")
    assert status_changes(sandbox) == [] and orders_in(sandbox)[0]["state"] == "received"
    assert "`cleanup`" in result.line["error"]["message"]


def test_r_on_sms_activate_asks_for_another_sms_first_as_wait_next_does(terminal, make_sandbox):
    sandbox = make_sandbox(protocol="sms-activate")
    screen = terminal(sandbox)
    screen.expect(QUESTION)
    screen.press(b"r")
    screen.expect(QUESTION, count=2)
    screen.press(b"\n")
    result = screen.finish()
    assert (result.code, result.line["resends"], result.line["order_status"]) == (0, 1, "finished")
    assert [c["params"].get("status") for c in calls(sandbox, "setStatus")] == ["3", "6"]


def test_a_terminal_closed_at_the_prompt_leaves_the_order_received(terminal, sandbox):
    screen = terminal(sandbox)
    screen.expect(QUESTION)
    os.close(screen.master)  # the window is closed: SIGHUP
    out = screen.process.communicate(timeout=10)[0]
    result = Result(screen.process.returncode, out, "", 0)
    assert (result.code, result.kind, result.line["order_status"]) == (130, "interrupted", "received")
    assert status_changes(sandbox) == [] and "SIGHUP" in result.line["error"]["message"]


@pytest.mark.parametrize("typed, prompt, order_status", [
    (b"c\n", "cancel", "cancelled"),  # a paste, a slow SSH link, tmux, expect: the key and Enter in one read
    (b"C\r\n", "cancel", "cancelled"),
    (b"\x1b[Ac\n", "cancel", "cancelled"),  # an arrow key first: one key that means nothing here
    (b"\r", "enter", "finished"),  # Enter alone is Enter
    (b"\r\n", "enter", "finished"),
])
def test_several_keys_in_one_read_count_by_their_first_meaningful_key(terminal, sandbox, typed, prompt, order_status):
    screen = terminal(sandbox)
    screen.expect(QUESTION)
    screen.press(typed)
    result = screen.finish()
    assert (result.code, result.line["prompt"], result.line["order_status"]) == (0, prompt, order_status)


def test_cancel_from_another_run_reaches_the_order_while_the_prompt_waits(terminal, tmp_path, sandbox):
    screen = terminal(sandbox)
    screen.expect(QUESTION)
    order_id = str(orders_in(sandbox)[0]["id"])
    cancelled = Runner(tmp_path, [sandbox.base_url])("cancel", "--id", order_id)
    assert cancelled.code == 0 and cancelled.elapsed < 8
    result = screen.finish()
    assert (result.code, result.kind, result.line["order_status"]) == (8, "by_user", cancelled.line["order_status"])
    assert status_changes(sandbox) == ["4"]


def test_a_run_in_the_background_of_an_interactive_shell_does_not_ask_and_is_never_stopped(tmp_path, sandbox):
    """`receive … &` from a shell with job control: the run is not in the terminal's foreground process group, so
    it behaves as without a terminal (confirms as the code comes) instead of stopping on SIGTTOU for good."""
    job_control = ("bash", "-c", 'set -m; "$@" & wait $!', "bash")  # the script as a background job
    screen = Terminal(Runner(tmp_path, [sandbox.base_url]), *RECEIVE, shell=job_control)
    result = screen.finish(timeout=20)
    assert (result.code, result.line["order_status"], result.line["finished"]) == (0, "finished", True)
    assert "prompt" not in result.line and QUESTION not in screen.screen
