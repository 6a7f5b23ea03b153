"""What leaves the process: designed failures and their exit codes, redaction, stderr, the one JSON line."""
from __future__ import annotations

import contextlib
import json
import re
import sys

EXIT_CODES = {
    "timeout": 1, "usage": 2, "config": 2,
    "auth": 3, "no_numbers": 3, "balance": 3, "not_found": 3, "early_cancel": 3, "api": 3, "order_closed": 3,
    "budget": 3, "network": 4, "open_order": 5, "cancel_failed": 6, "internal": 7, "interrupted": 130,
}
TRANSIENT_KINDS = ("network", "api")


class Failure(Exception):
    """A designed failure: becomes one ``ok: false`` JSON line and an exit code.

    ``reason`` is a short tag for the code that handles it (``html``, ``too_large``, ``uncertain`` …), never printed."""

    def __init__(self, kind, message, *, attempts=None, status="error", cause=None, reason=None, **data):
        super().__init__(message)
        self.kind, self.message, self.status, self.reason = kind, message, status, reason
        self.attempts, self.cause, self.data = list(attempts or []), cause, data

    @property
    def exit_code(self):
        return EXIT_CODES[self.kind]

    def line(self):
        error = {"kind": self.kind, "message": self.message, "attempts": self.attempts}
        if self.cause:
            error["cause"] = self.cause
        return {"status": self.status, **self.data, "error": error}


class Interrupted(BaseException):
    """Raised from the signal handler (SIGINT, SIGTERM, SIGHUP)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class UsageError(Exception):
    pass


class Redactor:
    """Removes every API key, as typed and URL-encoded, from text that leaves the process."""

    def __init__(self):
        self.secrets, self.pattern = (), None

    def use(self, keys):
        """Redact these keys from now on (as typed, and in every URL encoding, %2f or %2F alike)."""
        self.secrets = tuple(dict.fromkeys(key for key in keys if key))
        forms = {form for key in self.secrets for form in (key, *url_encoded(key))}
        alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
        self.pattern = re.compile(alternatives, re.IGNORECASE) if alternatives else None

    def __call__(self, text):
        text = re.sub(r"(apiKey=)[^&\s\"'<>]+", r"\1***", str(text))
        return self.pattern.sub("***", text) if self.pattern else text


def url_encoded(text):
    """The forms urllib.parse's quote(), quote(safe="") and quote_plus() give (without importing it: start-up)."""
    def encode(char, safe):
        return char if char.isascii() and (char.isalnum() or char in "_.-~" + safe) else \
            "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return ("".join(encode(c, "/") for c in text), "".join(encode(c, "") for c in text),
            "".join("+" if c == " " else encode(c, "") for c in text))


REDACT = Redactor()  # one run, one set of keys: main() sets them before anything can print or record


def excerpt(text, size=120):
    """Redacted first, then shortened: a cut must never leave the first characters of a key behind."""
    text = " ".join(REDACT(text).split())
    return text if len(text) <= size else text[:size] + "…"


def to_stderr(text, end="\n"):
    with contextlib.suppress(OSError, ValueError):  # a closed terminal (SIGHUP) must not crash us
        sys.stderr.write(REDACT(text) + end)
        sys.stderr.flush()


class Log:
    """Diagnostics to stderr: notices for a person (unless quiet), details only with -v."""

    def __init__(self, verbose=False, quiet=False):
        self.verbose, self.quiet = verbose, quiet

    def notice(self, text):
        if not self.quiet or self.verbose:
            to_stderr(text)

    def debug(self, text):
        if self.verbose:
            to_stderr(text)


LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}  # json.dumps leaves these raw


def json_line(command, ok, body):
    """The run's one line: UTF-8, not ASCII-escaped, with nothing a reader could take for a line break."""
    text = json.dumps({"ok": ok, "command": command, **body}, ensure_ascii=False, default=str)
    for raw, escaped in LINE_BREAKS.items():
        text = text.replace(raw, escaped)
    return REDACT(text)


class Tracer:
    """--trace FILE: one JSON line per run start, per HTTP exchange and per outcome, redacted, appended."""

    TEXT_CAP = 64 * 1024

    def __init__(self, path):
        self.path, self.broken = path, False

    def write(self, kind, record):
        if self.broken:
            return
        line = REDACT(json.dumps({kind: record}, ensure_ascii=False, default=str))
        try:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as exc:
            self.broken = True
            to_stderr(f"the trace file {self.path} cannot be written ({exc}); the run goes on without it.")
