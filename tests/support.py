"""What the unit tests share: the script and its layers imported as modules, and the fake hosts and key."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import smsonline_receive_sms as sms  # noqa: E402  (needs the path above)
from smsonline import (coderule, commands, config, decoding, flows, ledger, names, output, polling,  # noqa: E402
                       shapes, signals, smsonline_reader)

KEY = "test-key-7f3c9a1be2d44c0d"  # distinctive, so a leak anywhere is easy to find
PRIMARY = "https://premium.example.test/api/v1"
BACKUP = "https://backup.example.test/api/v1"


def http():
    """The HTTP layer, imported as the script imports it: only when a test needs it."""
    from smsonline import http as module
    return module


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


__all__ = ["coderule", "commands", "config", "decoding", "flows", "ledger", "names", "output", "polling", "shapes",
           "signals", "smsonline_reader", "sms"]
