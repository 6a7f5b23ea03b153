"""Shared fixtures: an isolated environment, a fake clock, a CLI runner."""
import json
import signal
import socket
from pathlib import Path

import pytest

from support import BACKUP, FakeClock, KEY, PRIMARY, ledger, signals, sms

# Start from default signal dispositions whatever launched the tests (a job started with `&` by a non-interactive
# shell inherits SIGINT ignored), so the signal tests and the subprocesses of the e2e suite see real signals.
signal.signal(signal.SIGINT, signal.default_int_handler)
for _signum in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_signum, signal.SIG_DFL)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def env(tmp_path):
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    return {"SMSONLINE_API_KEY": KEY, "SMSONLINE_STATE_DIR": str(tmp_path / "state"),
            "SMSONLINE_BASE_URLS": f"{PRIMARY},{BACKUP}", "SMSONLINE_ENV_FILE": str(empty_env_file)}


class Run:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err
        lines = [line for line in out.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected exactly one stdout line, got {out!r}"
        self.line = json.loads(lines[0])

    @property
    def kind(self):
        return self.line.get("error", {}).get("kind")


@pytest.fixture
def cli(env, clock, capsys):
    """cli(*argv) runs main() in-process and returns its exit code, JSON line and stderr."""
    def run(*argv, environ=None, now=None):
        before = [signal.getsignal(signum) for signum in signals.SignalGuard.SIGNALS]
        code = sms.main(list(argv), environ=env if environ is None else environ, clock=clock, sleep=clock.sleep,
                        **({"now": now} if now else {}))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        assert KEY not in captured.out + captured.err
        assert [signal.getsignal(signum) for signum in signals.SignalGuard.SIGNALS] == before  # handlers restored
        return Run(code, captured.out, captured.err)
    return run


@pytest.fixture
def store(env):
    return ledger.Store(Path(env["SMSONLINE_STATE_DIR"]))


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
