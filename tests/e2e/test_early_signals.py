"""A signal from the script's first moments: the `interrupted` line and exit 130, never a traceback or a silent exit,
whether it lands while Python loads the package, while the run starts and imports what it needs, or during a request.
"""
import shutil
import signal
import subprocess
import sys
import time

import pytest

from e2e_support import ROOT, Runner

# From the process's start. Handlers are in place about 10 ms after it here; before that only Python's own start-up
# runs, which on a loaded machine can take 25 ms: hence 30 ms as the first moment.
MOMENTS_S = (0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.15, 0.6)
SLOW_LOAD_S = 0.4


def interrupted_at(process, signum, moment):
    time.sleep(max(0.0, moment - 0.002))  # Popen returns once the child has exec'd: about 2 ms after the start
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


@pytest.mark.parametrize("moment", [0.03, 0.15, 0.3])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_package_loads_gives_the_interrupted_line(tmp_path, signum, moment):
    """A package that loads slowly (a cold disk, no bytecode yet): the signal lands between the script's first lines
    and the run's own handlers."""
    scripts = tmp_path / "scripts"
    shutil.copytree(ROOT / "scripts", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    with open(scripts / "smsonline" / "__init__.py", "a", encoding="utf-8") as package:
        package.write(f"\nimport time\ntime.sleep({SLOW_LOAD_S})  # the test's slow disk\n")
    run = Runner(tmp_path, ["http://127.0.0.1:9/api/v1"])
    process = subprocess.Popen([sys.executable, str(scripts / "smsonline_receive_sms.py"), "orders"],
                               env=run.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL, cwd=tmp_path)
    interrupted_at(process, signum, moment)
