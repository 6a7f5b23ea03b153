"""Day one in a workspace (issue 14, section 8): the script started by a Python that lacks the requirements.

The interpreter is a fresh venv made without pip, so it lacks requests whatever the machine's python3 has. The skill
is copied to a temporary folder, with no `.venv`, a `.venv` that has the requirements (the test suite's own, through
a .pth file) or a `.venv` that lacks them too.
"""
import shutil
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from e2e_support import ROOT, Result, Runner

INSTALL = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"


def new_venv(folder, with_requirements=False):
    """A venv of this Python's base interpreter, without pip; with the requirements: this Python's packages."""
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(folder)],
                   check=True, capture_output=True, timeout=60)
    python = folder / "bin" / "python"
    if with_requirements:
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        (Path(site) / "requirements.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    python = new_venv(tmp_path_factory.mktemp("bare") / "venv")
    assert subprocess.run([str(python), "-c", "import requests"], capture_output=True).returncode != 0
    return python


@pytest.fixture
def skill(tmp_path):
    """A copy of the skill as a workspace gets it: scripts and requirements.txt."""
    folder = tmp_path / "skill"
    shutil.copytree(ROOT / "scripts", folder / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "requirements.txt", folder)
    return folder


@pytest.fixture
def run_with(tmp_path, skill):
    """run_with(python, *argv): the copy's script under that interpreter, from the copy's folder."""
    runner = Runner(tmp_path, ["https://unused.invalid/api/v1"])

    def run(python, *argv, **env):
        done = subprocess.run([str(python), str(skill / "scripts" / "smsonline_receive_sms.py"), *argv],
                              env={**runner.env, **env}, capture_output=True, text=True, timeout=20, cwd=skill,
                              stdin=subprocess.DEVNULL)
        return Result(done.returncode, done.stdout, done.stderr, 0)
    return run


def test_without_requirements_or_venv_the_line_gives_the_install_command_and_nothing_is_sent(run_with, bare_python):
    with socket.create_server(("127.0.0.1", 0)) as platform:
        base = f"http://127.0.0.1:{platform.getsockname()[1]}/api/v1"
        result = run_with(bare_python, "receive", "--country", "1", "--service", "101", "--operator", "13",
                          SMSONLINE_BASE_URLS=base)
        platform.setblocking(False)
        with pytest.raises(BlockingIOError):
            platform.accept()  # no connection was ever made
    assert (result.code, result.kind, result.line["command"]) == (2, "config", "receive")
    message = result.line["error"]["message"]
    assert INSTALL in message and "requests" in message and "python-dotenv" in message


@pytest.mark.parametrize("argv", [["orders"], ["receive", "--sandbox", "--country", "China", "--service", "Soul"]])
def test_without_requirements_every_command_answers_config(run_with, bare_python, argv):
    result = run_with(bare_python, *argv)
    assert (result.code, result.kind) == (2, "config") and INSTALL in result.line["error"]["message"]


def test_help_needs_no_requirements(bare_python, skill):
    done = subprocess.run([str(bare_python), str(skill / "scripts" / "smsonline_receive_sms.py"), "--help"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "python3 scripts/smsonline_receive_sms.py" in done.stdout


def test_with_the_skills_venv_the_script_runs_itself_under_it(run_with, bare_python, skill):
    new_venv(skill / ".venv", with_requirements=True)
    result = run_with(bare_python, "receive", "--sandbox", "--country", "China", "--service", "Soul", "--interval",
                      "0.5", SMSONLINE_SANDBOX_ARGS="--sms-delay 0")
    assert (result.code, result.line["order_status"], result.line["region"]) == (0, "finished", "CN"), result.line
    assert "warning" not in result.line


def test_a_venv_that_lacks_them_too_answers_config_once_instead_of_looping(run_with, bare_python, skill):
    new_venv(skill / ".venv")
    result = run_with(bare_python, "buy", "--sandbox", "--country", "China", "--service", "Soul")
    assert (result.code, result.kind) == (2, "config")
    assert "the skill's .venv" in result.line["error"]["message"] and INSTALL in result.line["error"]["message"]


def test_a_venv_python_that_is_another_interpreter_is_started_only_once(run_with, bare_python, skill):
    """A .venv/bin/python that starts some other Python (a wrapper, a link): the mark stops a second re-execution."""
    python = skill / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho started >> "{skill}/starts"\nexec "{bare_python}" "$@"\n')
    python.chmod(0o755)
    result = run_with(bare_python, "orders")
    assert (result.code, result.kind) == (2, "config") and (skill / "starts").read_text() == "started\n"
