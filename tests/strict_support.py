"""What the tests of the strictly read protocols share: answers built as Reply objects and read by a protocol's
module (no HTTP), and sandboxes of one protocol on a clock the test moves (no sleeps)."""
import json

import pytest

import smsonline_sandbox
from support import decoding, output


class Reading:
    """Answers read by one protocol module: read(op, body, status), the Failure it raises, or that it is
    unreadable. Bodies are text, or JSON for anything else; `content_type` is the protocol's usual one."""

    def __init__(self, module, content_type):
        self.module, self.content_type = module, content_type

    def reply(self, body, status=200, content_type=None):
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        return decoding.Reply(status, "Reason", content_type or self.content_type, text.encode("utf-8"))

    def read(self, op, body, status=200, content_type=None, **kwargs):
        return self.module.read(op, self.reply(body, status, content_type), **kwargs)

    def failure(self, op, body, status=200, **kwargs):
        with pytest.raises(output.Failure) as caught:
            self.read(op, body, status, **kwargs)
        return caught.value

    def assert_unreadable(self, op, body, status=200, **kwargs):
        caught = self.failure(op, body, status, **kwargs)
        assert (caught.kind, caught.reason) == ("api", "unreadable"), caught.message


def serving(protocol, key):
    """A `serve` fixture: serve(*flags) starts a sandbox speaking `protocol` with `key`, on the test's `clock` (the
    FakeClock of conftest.py, moved by the test); every one started is stopped after the test."""
    @pytest.fixture
    def serve(clock):
        started = []

        def start(*argv):
            parsed = smsonline_sandbox.build_parser().parse_args(["--protocol", protocol, "--api-key", key, *argv])
            started.append(smsonline_sandbox.build(parsed))
            started[-1].platform.now = clock
            return started[-1].start_background()
        yield start
        for running in started:
            running.stop()
    return serve
