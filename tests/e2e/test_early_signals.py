"""A signal from the script's first moments: the `interrupted` line and exit 130, never a traceback or a silent exit,
whether it lands while Python loads the package, while the run starts, or while a request hangs."""
import signal
import time

import pytest

from e2e_support import Runner

MOMENTS_S = (0.02, 0.025, 0.03, 0.6)  # from the process's start: while the package loads, then during a request


@pytest.mark.parametrize("moment", MOMENTS_S)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_from_the_first_moments_gives_the_interrupted_line(tmp_path, hanging, signum, moment):
    run = Runner(tmp_path, [hanging.base_url])
    process = run.start("countries", "--refresh")  # the hanging base holds the run until the signal
    time.sleep(max(0.0, moment - 0.002))  # Popen returns once the child has exec'd: about 2 ms after the start
    process.send_signal(signum)
    result = Runner.finish(process, timeout=15)
    assert (result.code, result.kind, result.line["status"]) == (130, "interrupted", "interrupted"), result.err
    assert signal.Signals(signum).name in result.line["error"]["message"]
    assert "Traceback" not in result.err
