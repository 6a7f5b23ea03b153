"""Shared fixtures: an isolated environment, a fake clock, a CLI runner."""
import json
import signal
from pathlib import Path

import pytest

from support import BACKUP, KEY, PRIMARY, sms


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0, f"negative sleep {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds


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
    def run(*argv, environ=None):
        code = sms.main(list(argv), environ=env if environ is None else environ, clock=clock, sleep=clock.sleep)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        assert KEY not in captured.out + captured.err
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored
        return Run(code, captured.out, captured.err)
    return run


@pytest.fixture
def store(env):
    return sms.Store(Path(env["SMSONLINE_STATE_DIR"]))
