"""End-to-end fixtures: sandboxes on loopback, a runner for the script, dead and hanging base URLs."""
import socket

import pytest

import smsonline_sandbox
from e2e_support import E2E_KEY, HangingServer, Runner


@pytest.fixture
def make_sandbox():
    started = []

    def make(**options):
        parsed = smsonline_sandbox.build_parser().parse_args([])
        # the SMS is there at the first poll unless a test asks for a wait: the suite's time goes on what is tested
        settings = {"api_key": E2E_KEY, "sms_delay": 0, **options}
        sandbox = smsonline_sandbox.build(parsed, **settings).start_background()
        started.append(sandbox)
        return sandbox
    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox):
    return make_sandbox()


@pytest.fixture
def run(tmp_path, sandbox):
    runner = Runner(tmp_path, [sandbox.base_url])
    yield runner
    for path in runner.state_dir.rglob("*") if runner.state_dir.exists() else []:
        if path.is_file():
            assert E2E_KEY.encode() not in path.read_bytes(), f"the key leaked into {path}"


@pytest.fixture
def closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


@pytest.fixture
def hanging():
    server = HangingServer()
    yield server
    server.close()
