"""Every command shown in README.md and SKILL.md runs with --sandbox and exits as documented, in document order.

A command is a line in a fenced block that starts with `python3 scripts/smsonline_receive_sms.py`, the one form
that works as written on macOS and Linux (the script moves to the skill's .venv by itself). It must exit 0 unless
its trailing comment says `exit N`. `--id N` is replaced by the last order id seen, and a command that polls without
an `--interval` of its own polls every 0.5 s (the floor) instead of every 5 s: the pace of a poll is not what a
document promises, and the suite's time is.
"""
import re
import shlex

import pytest

from e2e_support import ROOT, Runner

COMMAND = re.compile(r"^python3 scripts/smsonline_receive_sms\.py (.+)$")
ANY_PYTHON_RUNNING_A_SCRIPT = re.compile(r"^\s*\S*python\S* scripts/")
POLLING = {"receive", "wait"}
DOCS = ["README.md", "SKILL.md", *(f"reference/{page.name}" for page in sorted((ROOT / "reference").glob("*.md")))]


def code_blocks(name):
    return re.findall(r"```(?:bash|sh)?\n(.*?)```", (ROOT / name).read_text(encoding="utf-8"), re.S)


def documented_commands(name):
    commands = []
    for block in code_blocks(name):
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            match = COMMAND.match(command.strip())
            if match:
                expected = re.search(r"exit (\d+)", comment)
                commands.append((shlex.split(match.group(1)), int(expected.group(1)) if expected else 0))
    return commands


@pytest.mark.parametrize("name", DOCS)
def test_every_documented_script_runs_with_python3(name):
    lines = [line for block in code_blocks(name) for line in block.splitlines()]
    assert [line for line in lines if ANY_PYTHON_RUNNING_A_SCRIPT.match(line) and not line.lstrip().startswith(
        "python3 scripts/")] == []


@pytest.mark.parametrize("name", ["README.md", "SKILL.md"])
def test_every_documented_command_runs_as_documented(tmp_path, name):
    commands = documented_commands(name)
    assert len(commands) >= 2, f"{name} shows too few commands to check"
    run = Runner(tmp_path, ["https://unused.invalid/api/v1"])
    last_order = None
    for argv, expected in commands:
        if last_order:
            argv = [last_order if previous == "--id" else arg for previous, arg in zip([""] + argv, argv)]
        if "--sandbox" not in argv:
            argv.append("--sandbox")
        if argv[0] in POLLING and "--interval" not in argv:
            argv += ["--interval", "0.5"]
        result = run(*argv, SMSONLINE_API_KEY="", SMSONLINE_SANDBOX_ARGS="--sms-delay 0 --resend 0.5")
        assert result.code == expected, (argv, result.line)
        last_order = result.line.get("order_id", last_order)
