"""Signals: SIGINT, SIGTERM and SIGHUP stop a run, but never between a purchase and its record, nor mid-cancel."""
from __future__ import annotations

import contextlib
import signal
import sys

from .output import Interrupted


class SignalGuard:
    """Turns SIGINT/SIGTERM/SIGHUP into Interrupted, once per run; inside deferred() they wait for checkpoint()."""

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __init__(self):
        self.depth, self.pending, self.stopping, self.previous, self.previous_hook = 0, None, False, {}, None

    def handle(self, signum, frame):
        if frame is not None and frame.f_code is SignalGuard.unraisable.__code__:
            signal.raise_signal(signum)  # a raise inside the hook would be lost too: once it has returned
        elif self.depth or self.stopping:  # once the run is stopping, later signals must not cut its cancel short
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
        """An Interrupted raised where Python cannot pass it on (an import's weakref callback, a __del__) would be
        lost, and every later signal with it: it is sent again, to land in the run's own code."""
        if isinstance(hook_args.exc_value, Interrupted):
            self.stopping = False
            signal.raise_signal(hook_args.exc_value.signum)
        else:
            self.previous_hook(hook_args)

    def restore(self):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        if self.previous_hook:
            sys.unraisablehook = self.previous_hook

