"""What leaves the process: designed failures and their exit codes, redaction, stderr, the one JSON line."""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import sys

EXIT_CODES = {
    "timeout": 1, "usage": 2, "config": 2,
    "auth": 3, "no_numbers": 3, "balance": 3, "not_found": 3, "early_cancel": 3, "api": 3, "order_closed": 3,
    "budget": 3, "network": 4, "open_order": 5, "cancel_failed": 6, "internal": 7,
    "by_user": 8, "interrupted": 130,
}
# A success line that hands the agent something to act on has an exit code of its own: an SMS came, the code rule
# found no code in it, and the order is held for the agent's reading (`finish --code`, `wait --next`, `cancel`).
STATUS_EXIT_CODES = {"sms_without_code": 9}


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


def as_failure(exc):
    """Any exception as the Failure its line reports: signals are `interrupted`, anything unplanned `internal`."""
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, (Interrupted, KeyboardInterrupt)):
        name = signal.Signals(getattr(exc, "signum", signal.SIGINT)).name
        return Failure("interrupted", f"stopped by {name} (any order this run held was settled first: see its "
                       "order_status).", status="interrupted")
    if isinstance(exc, sqlite3.Error):  # another process holds the ledger too long, or it is damaged
        return Failure("config", f"the ledger could not be used ({exc}); try again in a moment, or check the state "
                       "dir (SMSONLINE_STATE_DIR).")
    return Failure("internal", f"unexpected {type(exc).__name__}: {excerpt(exc, 200)}; this is a bug in the skill.")


class Redactor:
    """Removes every API key, as typed, encoded or escaped, from text that leaves the process (decoded text: an
    answer is redacted once read in its charset)."""

    def __init__(self):
        self.secrets, self.longest, self.shortest, self.short, self.compiled = (), 0, 0, frozenset(), None

    def use(self, keys):
        """Redact these secrets from now on: as typed, encoded, escaped or inside base64. One shorter than MIN_SECRET
        is no pattern to hunt in text (a proxy password "00" would rewrite ids and prices): only a value that is
        all of it is. The pattern is compiled when first needed (start-up time)."""
        self.secrets = tuple(dict.fromkeys(key for key in keys if key))
        long_ones = [key for key in self.secrets if len(key) >= MIN_SECRET]
        self.short = frozenset(key for key in self.secrets if len(key) < MIN_SECRET)
        self.longest = max(map(len, long_ones), default=0)
        self.shortest = MIN_SECRET if long_ones else 0  # no form of a secret (base64 cores included) is shorter
        self.compiled = None

    @property
    def pattern(self):
        if self.compiled is None and self.longest:  # self.longest: some secret is long enough to hunt for
            long_ones = sorted((key for key in self.secrets if len(key) >= MIN_SECRET), key=len, reverse=True)
            cores = sorted({core for key in long_ones for core in base64_cores(key)}, key=len, reverse=True)
            alternatives = "|".join([*map(key_pattern, long_ones), *map(re.escape, cores)])  # base64: plain text
            self.compiled = re.compile(alternatives, re.IGNORECASE)
        return self.compiled

    def __call__(self, text):
        text = str(text)
        if text in self.short:
            return "***"
        if len(text) >= self.shortest and self.secrets and self.pattern:  # the whole key first, in any of its forms
            text = self.pattern.sub("***", text)
        return re.sub(r"((?:apiKey|api_key)=)[^&\s\"'<>]+", r"\1***", text) if "=" in text else text

    def fields(self, value, structured=False):
        """A JSON value redacted field by field: free text is, the structured fields (STRUCTURED_FIELDS: ids,
        numbers, prices, times) and every key are never touched."""
        if isinstance(value, dict):
            return {key: self.fields(item, structured or key in STRUCTURED_FIELDS) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fields(item, structured) for item in value]
        if isinstance(value, str) and structured:  # a structured field is masked only if it holds a whole key
            return "***" if any(key in value for key in self.secrets if len(key) >= MIN_KEY) else value
        return self(value) if isinstance(value, str) else value


MIN_SECRET = 6
MIN_KEY = 8  # an API key is at least this long (config.MIN_KEY_LENGTH): found verbatim even in structured fields


def base64_cores(key):
    """What base64 of a text holding the key always shows, at each of its three alignments (standard and URL-safe):
    an echo of the key, or of apiKey=KEY, in base64 is found and masked."""
    import binascii  # base64's own module would cost start-up time

    if len(key) < MIN_SECRET:
        return []
    cores = []
    for pad in ("", "x", "xx"):
        encoded = binascii.b2a_base64((pad + key).encode("utf-8"), newline=False).decode("ascii")
        core = encoded[(len(pad) * 4 + 2) // 3 + 1:-4]
        cores += [core, core.replace("+", "-").replace("/", "_")] if len(core) >= MIN_SECRET else []
    return cores


# string fields that hold data, never a secret: masking them would rewrite an order (issue 15: `7******1`)
STRUCTURED_FIELDS = frozenset(("order_id", "number", "dial_code", "national_number", "region", "country_id",
                               "service_id", "operator_id", "attempt", "created_at", "cancel_after", "order_status",
                               "status", "command", "id", "params", "protocol", "kind", "endpoint", "time", "code",
                               "base_url"))


KEY_GAP = r"(?:\x00|\\u0000)*"  # between a key's characters: NULs, raw or JSON-escaped, of UTF-16/32 read as bytes


HTML_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def key_pattern(key):
    """A key as typed, or with any character percent-encoded once or twice (%2D, %2d, %252D: a block page that
    quotes the request URL in a link), HTML-escaped (&amp;, &#38;, &amp;amp;, and so percent-encoded once or twice),
    JSON- or JavaScript-escaped (\\/, \\u002f, \\x26) or, for a space, "+", and with NULs between its characters
    (UTF-16 or UTF-32 read byte by byte): a platform may echo the key back in any of these."""
    def forms(char):
        encoded = "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        html, punctuation = [f"&#0*{ord(char)};", f"&#x0*{ord(char):x};"], ord(char) < 128 and not char.isalnum()
        if punctuation:  # numeric entities in a percent-encoded URL, once or twice
            html += [f"%26%23x?0*{number}%3B" for number in (ord(char), f"{ord(char):x}")]
            html += [f"%2526%2523x?0*{number}%253B" for number in (ord(char), f"{ord(char):x}")]
        if char in HTML_NAMED:
            named = HTML_NAMED[char]
            once = named.replace("&", "%26").replace(";", "%3B")
            html += [re.escape(text) for text in (named, named.replace("&", "&amp;"), once, once.replace("%", "%25"))]
        options = [re.escape(char), re.escape(encoded), re.escape(encoded.replace("%", "%25")),
                   re.escape(f"\\u{ord(char):04x}"), *html]
        options += [re.escape(f"\\x{ord(char):02x}")] if punctuation else []
        options += {"/": [re.escape("\\/")], " ": [r"\+"], "+": [" "], '"': [re.escape('\\"')],
                    "\\": [re.escape("\\\\")]}.get(char, [])  # JSON's own escapes of / " and \\
        return "(?:" + "|".join(options) + ")"
    return KEY_GAP.join(forms(char) for char in key)


REDACT = Redactor()  # one run, one set of keys: main() sets them before anything can print or record


def excerpt(text, size=120):
    """Redacted first, then shortened: a cut must never leave the first characters of a key behind. Only a window
    is redacted (linear time); its last stretch, where a key could be cut in two, is dropped."""
    text, margin = str(text), 8 * REDACT.longest + 16
    window = REDACT(text[:8 * size + margin])
    if len(text) > 8 * size + margin:
        window = window[:-margin]
    window = " ".join(window.split())
    return window if len(window) <= size else window[:size] + "…"


# Terminal escape sequences (CSI, OSC/DCS/PM/APC strings, two-character ESC codes), then control characters (C0,
# DEL, C1) and the invisible marks that reorder or break lines (bidi controls, U+2028, U+2029).
ESCAPE_SEQUENCES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|(?:\x1b[]PX^_]|[\x90\x98\x9d-\x9f])"
                              r"[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -/]*[0-~]?")
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text):
    """Text as a terminal may show it: what the platform sent can neither move the cursor nor hide or fake text."""
    return CONTROL_CHARACTERS.sub("", ESCAPE_SEQUENCES.sub("", str(text)))


def to_stderr(text, end="\n", start=""):
    """Text (made printable, then redacted) to stderr; start and end are the caller's own control characters."""
    try:
        encoding = getattr(sys.stderr, "encoding", None) or "utf-8"  # a console that cannot show it gets escapes
        sys.stderr.write((start + REDACT(printable(text)) + end).encode(encoding, "backslashreplace").decode(encoding))
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed terminal (SIGHUP) must not crash us, nor Python's last flush at exit
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115  (stderr for the rest of the run)


def emit_line(line):
    """The JSON line to stdout as UTF-8 whatever the console's encoding (a cp1252 pipe must not swallow it)."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:
            print(line, flush=True)
        else:
            stream.write(line.encode("utf-8", "backslashreplace") + b"\n")
            stream.flush()


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
    return one_line_json(REDACT.fields({"ok": ok, "command": command, **body}))


def one_line_json(value):
    """JSON, UTF-8 and not ASCII-escaped, with U+0085, U+2028 and U+2029 escaped: one line for any line splitter."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    for raw, escaped in LINE_BREAKS.items():
        text = text.replace(raw, escaped)
    return text


class Tracer:
    """--trace FILE: one JSON line per run start, per HTTP exchange and per outcome, redacted, appended."""

    TEXT_CAP = 1024 * 1024  # all that is read of an answer: a shorter cut would leave a trace that cannot replay

    def __init__(self, path):
        self.path, self.broken = path, False

    def write(self, kind, record):
        if self.broken:
            return
        line = one_line_json(REDACT.fields({kind: record}))
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # answers hold numbers
            with open(descriptor, "a", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(line + "\n")
        except OSError as exc:
            self.broken = True
            to_stderr(f"the trace file {self.path} cannot be written ({exc}); the run goes on without it.")


class Progress:
    """Waiting made visible on stderr: one live line rewritten in place on a terminal, a plain line every `every`
    seconds otherwise, nothing with -q. Stdout is never touched."""

    def __init__(self, number, timeout, every=15.0, quiet=False):
        self.number, self.timeout, self.every, self.quiet = number, timeout, every, quiet
        self.tty = not quiet and stderr_is_a_terminal()
        self.next_line, self.drawn = every, False

    def due_in(self, elapsed):
        """Seconds until the next update is owed (the poll loop sleeps no longer than this)."""
        if self.quiet:
            return float("inf")
        return 1.0 - elapsed % 1.0 if self.tty else max(0.0, self.next_line - elapsed)

    def update(self, elapsed, polls):
        if self.quiet:
            return
        if self.tty:
            to_stderr(f"{self.number}: waiting for the SMS, {elapsed:.0f} s of {self.timeout:g} s "
                      f"({max(0.0, self.timeout - elapsed):.0f} s left), {plural(polls, 'poll')}", start="\r",
                      end="\033[K")
            self.drawn = True
        elif elapsed >= self.next_line:
            to_stderr(f"still waiting for an SMS on {self.number}: {elapsed:.0f}/{self.timeout:g} s, "
                      f"{plural(polls, 'poll')}")
            while self.next_line <= elapsed:
                self.next_line += self.every

    def done(self, bell=False):
        if self.drawn:
            to_stderr("", start="\r\033[K", end="\a" if bell else "")
        elif bell and self.tty:
            to_stderr("", end="\a")


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def stderr_is_a_terminal():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


CLIPBOARD_COMMANDS = {"darwin": (["pbcopy"],), "win32": (["clip"],)}
LINUX_CLIPBOARD = (["wl-copy"], ["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"])


def copy_to_clipboard(text, log):
    """Put text on the clipboard with the platform's tool; if there is none (or it fails), say so once and go on."""
    import shutil
    import subprocess

    for command in CLIPBOARD_COMMANDS.get(sys.platform, LINUX_CLIPBOARD):
        if shutil.which(command[0]):
            try:
                subprocess.run(command, input=text.encode("utf-8"), check=True, timeout=3,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return True
            except (OSError, subprocess.SubprocessError):
                continue
    log.notice("--copy: no clipboard tool worked (pbcopy, wl-copy, xclip, xsel or clip); copy it by hand.")
    return False
