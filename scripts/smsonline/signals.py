"""Signals: SIGINT, SIGTERM and SIGHUP stop a run, but never between a purchase and its record, nor mid-cancel."""
from __future__ import annotations

import _thread
import contextlib
import signal
import sys

from .output import Interrupted


class SignalGuard:
    """Turns SIGINT/SIGTERM/SIGHUP into Interrupted, once per run; inside deferred() they wait for checkpoint()."""

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
                    if hasattr(signal, name))

    REDELIVERY_DELAY_S = 0.05  # long enough for Python to be out of the callback that swallowed the signal

    def __init__(self):
        self.depth, self.pending, self.stopping, self.previous = 0, None, False, {}
        self.previous_hook, self.redelivery, self.received = None, None, None

    def handle(self, signum, _frame):
        self.received = self.received or signum
        if self.depth or self.stopping:  # once the run is stopping, later signals must not cut its cancel short
            self.pending = self.pending or signum
        else:
            self.stopping = True
            raise Interrupted(signum)

    @contextlib.contextmanager
    def deferred(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def checkpoint(self):
        """Deliver a signal that arrived during a deferred block (called where an order can be cancelled)."""
        if self.pending and not self.depth and not self.stopping:
            signum, self.pending, self.stopping = self.pending, None, True
            raise Interrupted(signum)

    def never_polls_on(self):
        """Where a run polls: a signal it received and has not stopped for (its Interrupted caught on the way by
        code that was not ours to write) is raised again. A run that got a signal never waits on."""
        if self.received and not self.depth:
            self.stopping = True
            raise Interrupted(self.received)

    def install(self, early=()):
        """Handle the signals from now on; early: those that came before (held by the entry script while the
        package loaded), the first of which stops the run at once."""
        for signum in self.SIGNALS:
            if signal.getsignal(signum) is signal.SIG_IGN:  # inherited, as nohup does for SIGHUP: keep ignoring it
                continue
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                self.previous[signum] = signal.signal(signum, self.handle)
        self.previous_hook, sys.unraisablehook = sys.unraisablehook, self.unraisable
        if early:
            self.stopping = True
            raise Interrupted(early[0])

    def unraisable(self, hook_args):
        """Python only prints an exception raised where it cannot pass it on (the weakref callback of an import's
        module lock, a __del__): an Interrupted lost there is sent again, from a thread, a moment later."""
        if not isinstance(hook_args.exc_value, Interrupted):
            return self.previous_hook(hook_args)
        self.stopping = False
        import threading  # only when a signal was lost: start-up time otherwise

        self.redelivery = threading.Timer(self.REDELIVERY_DELAY_S, self.redeliver, (hook_args.exc_value.signum,))
        self.redelivery.daemon = True
        self.redelivery.start()
        return None

    def redeliver(self, signum):
        """The signal again while the run is on: a real one where possible (it interrupts a blocking call), else
        as Ctrl-C."""
        if sys.unraisablehook != self.unraisable:  # restored: the run has printed its line
            return
        if hasattr(signal, "pthread_kill"):
            import threading  # imported already by unraisable(), which started this timer

            signal.pthread_kill(threading.main_thread().ident, signum)
        else:  # Windows
            _thread.interrupt_main()

    def restore(self):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        if self.previous_hook:
            sys.unraisablehook = self.previous_hook
