"""End-to-end helpers: the script as a real subprocess, dead and hanging base URLs, sandbox queries."""
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from loopback import LoopbackServer


ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "smsonline_receive_sms.py"
E2E_KEY = "test-key-e2e-5b1d0c8f9a2e4e77"  # distinctive: the suite checks it never leaks


class Result:
    def __init__(self, code, out, err, elapsed):
        self.code, self.out, self.err, self.elapsed = code, out, err, elapsed
        lines = [line for line in out.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one JSON line, got {out!r} (stderr {err!r})"
        self.line = json.loads(lines[0])
        assert isinstance(self.line, dict)
        assert "Traceback" not in out + err, err
        assert E2E_KEY not in out + err

    @property
    def kind(self):
        return self.line.get("error", {}).get("kind")


def wait_until(predicate, timeout=10.0, step=0.02):
    """Poll a condition in a test (bounded), returning its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def side_by_side(run, cases, tmp_path):
    """{case: run(case, its own new directory)}, every case at once: cases that each spend their seconds waiting on a
    platform's clock cost the suite the longest of them, not their sum. Give each case its own sandbox too."""
    homes = [tmp_path / f"case-{index}" for index in range(len(cases))]
    for home in homes:
        home.mkdir()
    with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
        return dict(zip(cases, pool.map(run, cases, homes)))


class Runner:
    """Runs the script with a temporary state dir and SMSONLINE_* settings; checks every output for the key."""

    def __init__(self, tmp_path, bases):
        self.cwd, self.state_dir = tmp_path, tmp_path / "state"
        env_file = tmp_path / "empty.env"
        env_file.write_text("")
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
                    "SMSONLINE_API_KEY": E2E_KEY, "SMSONLINE_STATE_DIR": str(self.state_dir),
                    "SMSONLINE_ENV_FILE": str(env_file), "SMSONLINE_BASE_URLS": ",".join(bases)}

    def command(self, argv):
        return [sys.executable, str(SCRIPT), *map(str, argv)]

    def __call__(self, *argv, timeout=60, **env):
        started = time.monotonic()
        done = subprocess.run(self.command(argv), env={**self.env, **env}, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, cwd=self.cwd)
        return Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)

    def start(self, *argv, **env):
        return subprocess.Popen(self.command(argv), env={**self.env, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, cwd=self.cwd)

    @staticmethod
    def finish(process, timeout=30):
        out, err = process.communicate(timeout=timeout)
        return Result(process.returncode, out, err, 0)


class HangingServer(LoopbackServer):
    """Accepts connections and never answers: the costliest kind of dead base URL."""

    def serve(self, conn):
        while conn.recv(4096):  # until the client gives up (or the 10 s a loopback connection may live)
            pass


def orders_in(sandbox):
    return sandbox.platform.snapshot()["orders"]


def calls(sandbox, endpoint):
    return [c for c in sandbox.platform.snapshot()["calls"] if c["endpoint"] == endpoint]
