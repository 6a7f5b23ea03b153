"""A signal from the script's first moments: the `interrupted` line and exit 130, never a traceback or a silent exit,
whether it lands while Python loads the package, while the run starts and imports what it needs, or during a request.
"""
import shutil
import signal
import subprocess
import sys
import time

import pytest

from e2e_support import ROOT, Runner, wait_until

# From the moment the script's first lines hold signals (read off /proc, not guessed from the process's start: before
# that only Python's own start-up runs, whose length depends on how busy the machine is, and no program can handle a
# signal then).
MOMENTS_S = (0.0, 0.01, 0.02, 0.035, 0.05, 0.07, 0.12, 0.57)
SLOW_LOAD_S = 0.4


def catches(pid, signum):
    """Whether the process has a handler for signum now (SigCgt in /proc/<pid>/status)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            caught = next(line for line in status if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) >> (signum - 1) & 1)


def interrupted_at(process, signum, moment, ready=None):
    """The signal `moment` seconds after the script holds signals (or after `ready`, a condition of the test's)."""
    ready = ready or (lambda: catches(process.pid, signal.SIGTERM))
    assert wait_until(ready, timeout=10, step=0.001), "the script did not start in 10 s"
    time.sleep(moment)
    process.send_signal(signum)
    result = Runner.finish(process, timeout=15)
    assert (result.code, result.kind, result.line["status"]) == (130, "interrupted", "interrupted"), result.err
    assert signal.Signals(signum).name in result.line["error"]["message"]
    assert "Traceback" not in result.err


@pytest.mark.parametrize("moment", MOMENTS_S)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_from_the_first_moments_gives_the_interrupted_line(tmp_path, hanging, signum, moment):
    run = Runner(tmp_path, [hanging.base_url])
    interrupted_at(run.start("countries", "--refresh"), signum, moment)  # the hanging base holds the run


@pytest.mark.parametrize("moment", [0.0, 0.12, 0.27])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_package_loads_gives_the_interrupted_line(tmp_path, signum, moment):
    """A package that loads slowly (a cold disk, no bytecode yet): the signal lands between the script's first lines
    and the run's own handlers."""
    scripts = tmp_path / "scripts"
    shutil.copytree(ROOT / "scripts", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    loading = tmp_path / "loading"
    with open(scripts / "smsonline" / "__init__.py", "a", encoding="utf-8") as package:
        package.write(f"\nopen({str(loading)!r}, 'w').close()\nimport time\ntime.sleep({SLOW_LOAD_S})  # a slow disk\n")
    run = Runner(tmp_path, ["http://127.0.0.1:9/api/v1"])
    process = subprocess.Popen([sys.executable, str(scripts / "smsonline_receive_sms.py"), "orders"],
                               env=run.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert wait_until(loading.exists, timeout=10, step=0.001), "the package did not start loading in 10 s"
    assert catches(process.pid, signal.SIGTERM), "signals are not held while the package loads"
    interrupted_at(process, signum, moment, ready=loading.exists)
