#!/usr/bin/env python3
"""Receive SMS verification codes through SMSOnline, sms-activate sites and 5sim: buy a number, wait, confirm or cancel.

Every run prints exactly one JSON object on one line to stdout (``--help`` excepted);
progress and diagnostics go to stderr. Exit codes: 0 ok, 1 timeout (order cancelled),
2 usage/config, 3 platform refused, 4 network, 5 an open order blocks a buy,
6 an order could not be cancelled (money at risk), 7 internal error, 8 the user's command in another run settled the
order (by_user), 9 an SMS came in which no code was found (ok: true, its text in sms), 130 interrupted.

The flow (smsonline/flows.py): buy a number and record it in the ledger before anything else; poll the order at once,
every --interval and once more at the deadline; a code: confirm it; the deadline, an error or a signal: cancel it, and
if the platform refuses, read the order once more, so every order ends settled. The layers under it are listed in
README.md; cli.py, the command line, is what this script runs (from modules, whose bytecode Python caches: a fast
start). Started by a Python that lacks the requirements, it runs itself again with the skill's .venv, else says how
to install them (smsonline/bootstrap.py).

Usage:
  python3 scripts/smsonline_receive_sms.py receive --sandbox --country China --service Soul
  python3 scripts/smsonline_receive_sms.py receive --country China --service Soul --test
  python3 scripts/smsonline_receive_sms.py buy --country CN --service WeChat --max-price 0.5
  python3 scripts/smsonline_receive_sms.py wait --timeout 120
  python3 scripts/smsonline_receive_sms.py check --id 123456
  python3 scripts/smsonline_receive_sms.py cancel --id 123456
  python3 scripts/smsonline_receive_sms.py products --country 中国 --service 微信
  python3 scripts/smsonline_receive_sms.py orders --all
  python3 scripts/smsonline_receive_sms.py stats --country China --service Soul
  python3 scripts/smsonline_receive_sms.py cleanup
  python3 scripts/smsonline_receive_sms.py cleanup --forget 123456
  python3 scripts/smsonline_receive_sms.py doctor
  python3 scripts/smsonline_receive_sms.py doctor --flow --test
"""
import _signal  # the C module: `signal` would first import enum, a few milliseconds without any handler
import os
import sys
import time

EARLY_SIGNALS = []  # SIGINT/SIGTERM/SIGHUP/SIGQUIT that came while the package loaded: the run stops on the first


def hold_early_signal(signum, _frame):
    EARLY_SIGNALS.append(signum)


def hold_signals_until_the_run_handles_them():
    """From the script's first lines a signal is held, not fatal, so that it still gets its `interrupted` line;
    an inherited SIG_IGN (nohup) is kept."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"):
        signum = getattr(_signal, name, None)
        if signum is not None and _signal.getsignal(signum) is not _signal.SIG_IGN:
            _signal.signal(signum, hold_early_signal)


if __name__ == "__main__":
    hold_signals_until_the_run_handles_them()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from smsonline import bootstrap  # noqa: E402  (the path above; the standard library only)

if __name__ == "__main__" and not EARLY_SIGNALS:  # a held signal stops this run at once: no new process for it
    bootstrap.reexec_with_skill_venv([os.path.abspath(__file__), *sys.argv[1:]])

from smsonline import cli  # noqa: E402  (the code lives in modules, whose bytecode Python caches)


def main(argv=None, environ=None, clock=time.monotonic, sleep=time.sleep, now=time.time):
    """Run one command and print its JSON line; returns the exit code."""
    return cli.main(__doc__, argv, environ, clock, sleep, now, EARLY_SIGNALS)


if __name__ == "__main__":
    sys.exit(main())
