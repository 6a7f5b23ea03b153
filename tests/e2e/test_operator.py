"""The operator's and the agent's day, end to end: numbers in every form, progress on stderr (a pipe and a real
terminal), the clipboard, a second code on the same number, and commands that start like a small script."""
import os
import pty
import select
import subprocess
import sys

import pytest

from e2e_support import SCRIPT, Runner, orders_in, side_by_side

SOUL = ("--country", "China", "--service", "Soul")
SILENT = ("--country", "1", "--service", "199", "--operator", "13")


def test_the_number_comes_in_every_form_a_site_may_want(run, sandbox):
    line = run("buy", "--country", "US", "--service", "WhatsApp").line
    assert (line["dial_code"], line["region"]) == ("1", "US")
    assert line["number"] == "+1" + line["national_number"] and len(line["national_number"]) == 10


def test_a_pipe_gets_one_plain_progress_line_per_period(tmp_path, sandbox):
    flags = {"plain": ("--timeout", "3.2"), "quiet": ("--timeout", "1.2", "-q")}

    def receive(way, home):
        return Runner(home, [sandbox.base_url])("receive", *SILENT, *flags[way], "--interval", "1",
                                                SMSONLINE_PROGRESS_EVERY="1")
    result, quiet = side_by_side(receive, list(flags), tmp_path).values()
    lines = [l for l in result.err.splitlines() if l.startswith("still waiting for an SMS on +86")]
    assert [line.rsplit(": ", 1)[1] for line in lines] == ["1/3.2 s, 1 poll", "2/3.2 s, 2 polls", "3/3.2 s, 3 polls"]
    assert "\r" not in result.err and result.line["status"] == "timeout"
    assert quiet.err == "" and quiet.line["status"] == "timeout"


def test_a_terminal_gets_one_live_line_rewritten_in_place_and_cleared(run, sandbox):
    leader, follower = pty.openpty()
    process = subprocess.Popen(run.command(["receive", *SILENT, "--timeout", "2.5", "--interval", "1"]),
                               env=run.env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 15)
        try:
            chunk = os.read(leader, 4096) if ready else b""
        except OSError:  # the terminal closed with the process
            chunk = b""
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=15)
    text = seen.decode()
    assert text.count("\r+86") >= 2 and "waiting for the SMS" in text and "s left" in text
    assert text.rstrip("\r\n").endswith("\r\x1b[K")  # cleared when the run ends
    assert b'"status": "timeout"' in process.stdout.read()


def test_copy_puts_the_number_then_the_code_on_the_clipboard(run, sandbox, tmp_path):
    bin_dir, board = tmp_path / "bin", tmp_path / "clipboard.txt"
    bin_dir.mkdir()
    for name in ("pbcopy", "wl-copy", "xclip", "xsel", "clip"):  # whichever this platform tries first
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\ncat >> {board}\necho >> {board}\n")
        tool.chmod(0o755)
    result = run("receive", *SOUL, "--interval", "0.5", "--copy", PATH=f"{bin_dir}:{os.environ['PATH']}")
    assert result.code == 0
    assert board.read_text().splitlines() == [result.line["number"], result.line["code"]]


def test_copy_without_any_clipboard_tool_says_so_once_and_goes_on(run, sandbox, tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    result = run("receive", *SOUL, "--interval", "0.5", "--copy", PATH=str(empty))
    assert result.code == 0 and result.err.count("no clipboard tool") == 1


def test_a_rejected_code_then_resend_then_the_next_code_on_the_same_number(run, sandbox):
    bought = run("buy", *SOUL).line
    first = run("wait", "--interval", "0.5")
    assert first.code == 0 and first.line["order_status"] == "received"
    order_id = bought["order_id"]
    sandbox.platform.deliver(order_id, "【Soul】您的验证码是 770077，5分钟内有效。")  # the site resent it
    second = run("wait", "--id", order_id, "--next", "--interval", "0.5")
    assert second.code == 0 and second.line["code"] == "770077" != first.line["code"]
    assert run("finish", "--id", order_id).line["order_status"] == "finished"
    assert orders_in(sandbox)[0]["state"] == "finished"


@pytest.mark.parametrize("argv", [["orders"], ["orders", "--all"], ["--help"], ["countries"], ["cleanup"]])
def test_offline_commands_import_neither_requests_urllib3_nor_phonenumbers(run, sandbox, argv):
    assert run("countries").code == 0  # the cache is warm
    done = subprocess.run([sys.executable, "-X", "importtime", str(SCRIPT), *argv], env=run.env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert not {"requests", "urllib3", "phonenumbers"} & imported, argv
