#!/usr/bin/env python3
"""Receive SMS verification codes through SMSOnline: buy a number, wait, confirm or cancel.

Every run prints exactly one JSON object on one line to stdout (``--help`` excepted);
progress and diagnostics go to stderr. Exit codes: 0 ok, 1 timeout (order cancelled),
2 usage/config, 3 platform refused, 4 network, 5 an open order blocks a buy,
6 an order could not be cancelled (money at risk), 7 internal error, 130 interrupted.

Usage:
  python scripts/smsonline_receive_sms.py receive --sandbox --country China --service Soul
  python scripts/smsonline_receive_sms.py receive --country China --service Soul --test
  python scripts/smsonline_receive_sms.py buy --country CN --service WeChat --max-price 0.5
  python scripts/smsonline_receive_sms.py wait --timeout 120
  python scripts/smsonline_receive_sms.py check --id 123456
  python scripts/smsonline_receive_sms.py cancel --id 123456
  python scripts/smsonline_receive_sms.py products --country 中国 --service 微信
  python scripts/smsonline_receive_sms.py orders --all
  python scripts/smsonline_receive_sms.py cleanup
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import math
import os
import re
import signal
import sqlite3
import sys
import tempfile
import time
import types
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

SKILL_DIR = Path(__file__).resolve().parent.parent
DEFAULT_BASE_URLS = ("https://premium.smsonline.cloud/api/v1", "https://smsonline.io/api/v1")
SANDBOX_KEY = "test-key-sandbox"
CATALOG_TTL_S = 24 * 3600
FAILED_BASE_TTL_S = 600
CANCEL, FINISH, REFUND = 4, 3, 5

EXIT_CODES = {
    "timeout": 1, "usage": 2, "config": 2,
    "auth": 3, "no_numbers": 3, "balance": 3, "not_found": 3, "early_cancel": 3, "api": 3, "order_closed": 3,
    "network": 4, "open_order": 5, "cancel_failed": 6, "internal": 7, "interrupted": 130,
}
TRANSIENT_KINDS = ("network", "api")


class Failure(Exception):
    """A designed failure: becomes one ``ok: false`` JSON line and an exit code."""

    def __init__(self, kind, message, *, attempts=None, status="error", cause=None, **data):
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status
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


# ----------------------------------------------------------------------------- configuration

class Config(types.SimpleNamespace):
    """One run's settings: api_key, base_urls, proxy, state_dir, connect_timeout, read_timeout, test, verbose,
    sandbox, sandbox_args, refresh (flags over the environment over the .env file)."""


def read_settings(environ):
    """The process environment over the skill's ``.env`` (never an upward search)."""
    named = environ.get("SMSONLINE_ENV_FILE")
    env_file = Path(named).expanduser() if named else SKILL_DIR / ".env"
    readable = env_file.exists() and not env_file.is_dir()  # /dev/null counts: "no settings"
    if named and not readable:
        raise Failure("config", f"SMSONLINE_ENV_FILE names {env_file}, which is not a readable file.")
    if not readable:
        return dict(environ)
    from dotenv import dotenv_values  # only when there is a file to read: it is start-up time otherwise
    from_file = dotenv_values(env_file)
    return {**{k: v for k, v in from_file.items() if v is not None}, **environ}


def positive_number(text):
    """A finite number above 0 (an argparse type): NaN or infinity would make a deadline that never comes."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number greater than 0, got {text!r}")
    return value


def setting_seconds(args_value, settings, name, default):
    """A timeout from its flag, else its environment variable, else the default."""
    env_name = f"SMSONLINE_{name.upper()}"
    try:
        return positive_number(args_value or settings.get(env_name, default))
    except argparse.ArgumentTypeError as exc:
        raise Failure("usage", f"--{name.replace('_', '-')} / {env_name} {exc}.") from None


def clean_base_url(url):
    url = url.strip().rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise Failure("config", f"base URL {url!r} must look like https://host/api/v1.")
    return url


def load_config(args, environ):
    settings = read_settings(environ)
    urls = args.base_url or [u for u in settings.get("SMSONLINE_BASE_URLS", "").split(",") if u.strip()]
    state_dir = args.state_dir or settings.get("SMSONLINE_STATE_DIR") or "~/.smsonline"
    config = Config(
        api_key=settings.get("SMSONLINE_API_KEY") or None,
        base_urls=[clean_base_url(u) for u in (urls or DEFAULT_BASE_URLS)],
        proxy=args.proxy or settings.get("SMSONLINE_PROXY") or None,
        state_dir=Path(state_dir).expanduser(),
        connect_timeout=setting_seconds(args.connect_timeout, settings, "connect_timeout", 5),
        read_timeout=setting_seconds(args.read_timeout, settings, "read_timeout", 15),
        test=args.test, verbose=args.verbose, sandbox=args.sandbox, refresh=args.refresh,
        sandbox_args=settings.get("SMSONLINE_SANDBOX_ARGS", ""),
    )
    if config.sandbox:  # loopback: no proxy, a throwaway key, a state dir of its own
        config.api_key, config.proxy = config.api_key or SANDBOX_KEY, None
        if not (args.state_dir or settings.get("SMSONLINE_STATE_DIR")):
            config.state_dir = config.state_dir / "sandbox"
    return config


# ----------------------------------------------------------------------------- output

class Redactor:
    """Removes the API key from any text that leaves the process."""

    def __init__(self, key=None):
        self.key = key

    def __call__(self, text):
        text = re.sub(r"(apiKey=)[^&\s\"']+", r"\1***", str(text))
        return text.replace(self.key, "***") if self.key else text


class Log:
    """Diagnostics to stderr; silent unless verbose, except for notices meant for a person."""

    def __init__(self, redact, verbose=False):
        self.redact, self.verbose = redact, verbose

    def notice(self, text):
        with contextlib.suppress(OSError, ValueError):  # a closed terminal (SIGHUP) must not crash us
            print(self.redact(text), file=sys.stderr, flush=True)

    def debug(self, text):
        if self.verbose:
            self.notice(text)


LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}  # json.dumps leaves these raw


def json_line(command, ok, body, redact):
    """The run's one line: UTF-8, not ASCII-escaped, with nothing a reader could take for a line break."""
    text = json.dumps({"ok": ok, "command": command, **body}, ensure_ascii=False, default=str)
    for raw, escaped in LINE_BREAKS.items():
        text = text.replace(raw, escaped)
    return redact(text)


# ----------------------------------------------------------------------------- HTTP + fallback

GENERAL_RETRY = Retry(total=4, connect=2, read=False, status=2, other=0, redirect=2, backoff_factor=0.2,
                      backoff_max=2, status_forcelist=(500, 502, 503, 504), raise_on_status=False,
                      respect_retry_after_header=False)
# buy-service: only failures that prove nothing reached the server (refused, DNS); never reads or 5xx.
BUY_RETRY = Retry(total=2, connect=2, read=False, status=0, other=0, redirect=0, backoff_factor=0.2,
                  raise_on_status=False)
# change-status is idempotent, so a lost answer is worth asking again: that is the cancel's retry.
STATUS_RETRY = Retry(total=5, connect=3, read=2, status=3, other=1, redirect=2, backoff_factor=0.5,
                     backoff_max=4, status_forcelist=(500, 502, 503, 504), raise_on_status=False,
                     respect_retry_after_header=False)


ENDPOINT_RETRIES = {"buy-service": BUY_RETRY, "change-status": STATUS_RETRY}


def retry_policy(url):
    return ENDPOINT_RETRIES.get(urlsplit(url).path.rsplit("/", 1)[-1], GENERAL_RETRY)


class EndpointRetryAdapter(HTTPAdapter):
    """One connection pool for every endpoint (one kept-alive connection per run), each with its retry policy."""

    def send(self, request, *args, **kwargs):
        self.max_retries = retry_policy(request.url)
        return super().send(request, *args, **kwargs)


def build_session(config):
    session = requests.Session()
    session.headers["User-Agent"] = "karuo-smsonline-skill/1.0"
    session.trust_env = not config.sandbox  # HTTPS_PROXY is honoured, except for the local sandbox
    adapter = EndpointRetryAdapter()
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)
    return session


def nothing_was_sent(exc):
    """True when a transport error proves the request never reached the server."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
    reason = getattr(reason, "original_error", reason)  # urllib3's ProxyError wraps the connect failure
    return isinstance(reason, NewConnectionError)


def describe_transport_error(exc):
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer within the read timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "proxy failed"
    text = str(exc)
    for needle, said in (("Name or service not known", "DNS lookup failed"), ("nodename nor servname", "DNS lookup failed"),
                         ("Failed to resolve", "DNS lookup failed"), ("Connection refused", "connection refused"),
                         ("Connection reset", "connection reset"), ("RemoteDisconnected", "connection closed")):
        if needle in text:
            return said
    return f"{type(exc).__name__}: {text[:160]}"


class Api:
    """SMSOnline's six GET endpoints over one Session, with base-URL fallback."""

    def __init__(self, config, store, log):
        self.config, self.store, self.log = config, store, log
        self.session = build_session(config)

    def bases_in_order(self):
        """Configured base URLs, those that failed in the last 10 minutes last."""
        failed = self.store.recently_failed_bases()
        return sorted(self.config.base_urls, key=lambda base: base in failed)

    def call(self, endpoint, params, *, bases=None, timeout=None):
        """GET one endpoint; returns (answer, base_url). Raises Failure naming every attempt."""
        attempts = []
        for base in bases or self.bases_in_order():
            try:
                response = self.get(base, endpoint, params, timeout)
            except requests.exceptions.RequestException as exc:
                attempts.append({"host": urlsplit(base).netloc, "error": describe_transport_error(exc)})
                self.store.mark_base_failed(base)
                if endpoint == "buy-service" and not nothing_was_sent(exc):
                    raise Failure("network", "buy-service got no answer after the request was sent, so an order "
                                  "may exist: check the orders page on the website before buying again.",
                                  attempts=attempts, uncertain=True) from None
                continue
            self.store.mark_base_ok(base)
            try:
                return read_answer(response), base
            except Failure as failure:
                failure.attempts = attempts + [{"host": urlsplit(base).netloc, "error": failure.message}]
                if endpoint == "buy-service" and response.status_code >= 500:  # the server may have sold it
                    failure.data["uncertain"] = True
                    failure.message += "; an order may exist: check the website's orders page before buying again."
                raise
        raise Failure("network", "no base URL could be reached; check the network or set --proxy / SMSONLINE_PROXY.",
                      attempts=attempts)

    def get(self, base, endpoint, params, timeout):
        started = time.monotonic()
        response = self.session.get(
            f"{base}/virtual-number/{endpoint}", params={**params, "apiKey": self.config.api_key},
            timeout=timeout or (self.config.connect_timeout, self.config.read_timeout),
            proxies={"http": self.config.proxy, "https": self.config.proxy} if self.config.proxy else None,
        )
        self.log.debug(f"GET {urlsplit(base).netloc} {endpoint} {sorted(params.items())} -> {response.status_code} "
                       f"in {time.monotonic() - started:.2f}s")
        return response


# ----------------------------------------------------------------------------- response normalisation

WRAPPER_KEYS = ("data", "result", "body")
MESSAGE_KEYS = ("message", "msg", "errorMessage", "error")
ID_KEYS = ("id", "orderId", "order_id", "activationId", "countryId", "serviceId", "operatorId",
           "country_id", "service_id", "operator_id")
NAME_KEYS = ("name", "title", "eng", "chn", "rus", "operator")
PRICE_KEYS = ("price", "cost")
STOCK_KEYS = ("count", "stock", "qty", "available")
NUMBER_KEYS = ("number", "phone", "phoneNumber", "phone_number")
SMS_KEYS = ("sms", "smsText", "text")
CODE_KEYS = ("code", "smsCode", "sms_code")
STATE_KEYS = ("status", "state", "orderStatus", "order_status")
LIST_KEYS = ("items", "list", "countries", "services", "products", "operators")
ACK_TOKENS = {"OK", "SUCCESS", "TRUE", "1", "DONE"}
FAIL_FLAGS = {"-1", "error", "fail", "failed", "failure", "false"}
CLOSED_STATES = {"cancel", "cancelled", "canceled", "finished", "finish", "complete", "completed", "expired",
                 "timeout", "refund", "refunded", "closed", "status_cancel", "3", "4", "5", "6", "8"}
TOKEN_KINDS = {
    "BAD_KEY": "auth", "NO_KEY": "auth", "BANNED": "auth", "ACCOUNT_INACTIVE": "auth",
    "NO_NUMBERS": "no_numbers", "WRONG_MAX_PRICE": "no_numbers", "NO_BALANCE": "balance",
    "NO_ACTIVATION": "not_found", "WRONG_ACTIVATION_ID": "not_found", "EARLY_CANCEL_DENIED": "early_cancel",
}
MESSAGE_KINDS = (
    ("auth", r"(invalid|wrong|bad|incorrect|missing)[ _-]?(api[ _-]?)?key|unauthori[sz]ed|forbidden|bad_key|banned"),
    ("balance", r"balance|insufficient|not enough (money|funds)|余额"),
    ("no_numbers", r"no[ _-]?numbers?|out of stock|no (free )?phones?|not available|库存|无可用"),
    ("early_cancel", r"early|too soon|cannot be cancel+ed yet|wait .* before cancel"),
    ("not_found", r"not[ _-]?found|no[ _-]?activation|(invalid|wrong|unknown) (order|id|activation)|不存在"),
)


def excerpt(text, size=120):
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[:size] + "…"


def kind_of_message(text):
    upper = str(text).strip().upper()
    for token, kind in TOKEN_KINDS.items():
        if upper.startswith(token):
            return kind
    for kind, pattern in MESSAGE_KINDS:
        if re.search(pattern, str(text), re.IGNORECASE):
            return kind
    return "api"


def first(mapping, keys):
    """The first present, non-empty value among keys."""
    for key in keys:
        value = mapping.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def read_text_answer(text):
    """sms-activate style plain-text answers: ACCESS_NUMBER:id:phone, STATUS_OK:code, NO_NUMBERS, …"""
    parts = text.strip().split(":")
    token = parts[0].upper()
    if token == "ACCESS_NUMBER" and len(parts) >= 3:
        return {"id": parts[1], "number": parts[2]}
    if token == "STATUS_OK":
        return {"code": ":".join(parts[1:]).strip()}
    if token.startswith("STATUS_WAIT"):
        return {"state": "waiting"}
    if token == "STATUS_CANCEL":
        return {"state": "cancelled"}
    if token.startswith("ACCESS_") or token in ACK_TOKENS:
        return {"ack": token}
    kind = kind_of_message(token)
    if kind != "api" or re.fullmatch(r"[A-Z_]+", token):
        raise Failure(kind, f"the platform answered {excerpt(text)}")
    raise Failure("api", f"the platform's answer could not be read: {excerpt(text)!r}")


def raise_if_flagged(answer):
    """An envelope that says it failed becomes a Failure of the matching kind."""
    flags = [answer.get("status"), answer.get("success"), answer.get("ok")]
    failed = str(flags[0]).lower() in FAIL_FLAGS or False in flags[1:] or str(flags[1]).lower() == "false"
    error = answer.get("error")
    if error not in (None, False, "", 0, {}) and not (isinstance(error, str) and error.lower() in ("none", "null")):
        failed = True
    if not failed:
        return
    message = first(answer, MESSAGE_KEYS) or answer.get("code") or "the platform reported an error"
    if isinstance(message, dict):
        message = first(message, ("message", "msg", "code")) or json.dumps(message, ensure_ascii=False)
    kind = kind_of_message(message)
    if kind == "api" and isinstance(answer.get("code"), str):
        kind = kind_of_message(answer["code"])
    raise Failure(kind, f"the platform refused: {excerpt(message)}")


# unwrapped: the payload came from under data/result/body rather than being the envelope itself
Answer = collections.namedtuple("Answer", "payload unwrapped")


def read_answer(response):
    """HTTP answer -> Answer, or a Failure whose kind says what went wrong."""
    try:
        text = response.content.decode("utf-8")  # JSON is UTF-8 even when the server names no charset
    except UnicodeDecodeError:
        text = response.text
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
        if response.status_code < 400 and text.strip():
            return Answer(read_text_answer(text), False)
    if isinstance(decoded, (str, int, float)):  # a JSON string, or a bare true/1 acknowledgement
        return Answer(read_text_answer(str(decoded)), False)
    if response.status_code >= 400:
        detail = excerpt(first(decoded, MESSAGE_KEYS) if isinstance(decoded, dict) else text) or response.reason
        if response.status_code in (401, 403):
            raise Failure("auth", f"the platform refused the API key (HTTP {response.status_code}): {detail}")
        if response.status_code == 404:
            raise Failure("not_found", f"not found (HTTP 404): {detail}")
        kind = kind_of_message(detail) if response.status_code < 500 else "api"
        raise Failure(kind, f"HTTP {response.status_code} from the platform: {detail}")
    if isinstance(decoded, list):
        return Answer(decoded, False)
    if not isinstance(decoded, dict):
        raise Failure("api", f"the platform's answer could not be read: {excerpt(text)!r}")
    raise_if_flagged(decoded)
    for key in WRAPPER_KEYS:
        if decoded.get(key) is not None:
            inner = decoded[key]
            return Answer(read_text_answer(inner) if isinstance(inner, str) else inner, True)
    return Answer(decoded, False)


def to_number(value, kind=float):
    try:
        return kind(float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def normalise_item(key, value):
    """One list entry (with its key when the list is an object keyed by id) -> {id, name, price?, stock?}."""
    if not isinstance(value, dict):
        return {"id": str(key), "name": str(value)} if key is not None else {"id": str(value), "name": str(value)}
    item_id = first(value, ID_KEYS)
    item = {"id": str(item_id if item_id is not None else key), "name": str(first(value, NAME_KEYS) or key or item_id)}
    price, stock = to_number(first(value, PRICE_KEYS)), first(value, STOCK_KEYS)
    if price is not None:
        item["price"] = price
    if stock is not None:
        item["stock"] = int(stock) if isinstance(stock, bool) else to_number(stock, int)
    return item


def read_items(answer):
    payload = answer.payload
    if isinstance(payload, dict):
        nested = first(payload, LIST_KEYS)
        if nested is not None:
            payload = nested
    if isinstance(payload, list):
        return [normalise_item(None, value) for value in payload]
    if isinstance(payload, dict):
        return [normalise_item(key, value) for key, value in payload.items()]
    raise Failure("api", f"expected a list from the platform, got {excerpt(payload)!r}")


def read_purchase(answer):
    payload = answer.payload if isinstance(answer.payload, dict) else {}
    order_id, number = first(payload, ID_KEYS[:4]), first(payload, NUMBER_KEYS)
    if order_id is None or number is None:
        raise Failure("api", f"buy-service answered without an order id and number, so an order may exist: check "
                             f"the website's orders page. Answer: {excerpt(json.dumps(answer.payload, ensure_ascii=False))}",
                      uncertain=True)
    return {"order_id": str(order_id), "number": str(number), "price": to_number(first(payload, PRICE_KEYS))}


SmsState = collections.namedtuple("SmsState", "code sms closed", defaults=(None, None, False))


def sms_text(value):
    """An SMS given as a string, an object, or a list of either (newest, i.e. last, wins)."""
    if isinstance(value, list):
        return sms_text(value[-1]) if value else None
    if isinstance(value, dict):
        return sms_text(first(value, SMS_KEYS + ("message",)))
    return None if value is None else str(value)


def read_sms(answer, code_regex=None):
    payload = answer.payload
    if isinstance(payload, list):
        payload = {"sms": payload}
    if not isinstance(payload, dict):
        raise Failure("api", f"get-sms answer could not be read: {excerpt(payload)!r}")
    sms_keys = SMS_KEYS + (("message",) if answer.unwrapped else ())
    raw = first(payload, sms_keys)
    text = sms_text(raw)
    code = first(payload, CODE_KEYS)
    if code is None and isinstance(raw, list) and raw and isinstance(raw[-1], dict):
        code = first(raw[-1], CODE_KEYS)
    if text and (code is None or code_regex):
        code = extract_code(text, code_regex) or code
    state = str(first(payload, STATE_KEYS) or "").strip().lower()
    return SmsState(code=None if code is None else str(code), sms=text, closed=not code and state in CLOSED_STATES)


# ----------------------------------------------------------------------------- code extraction

CODE_KEYWORDS = re.compile(r"验证码|校验码|动态码|确认码|激活码|安全码|код"
                           r"|(?<![a-z])(code|otp|passcode|verification|verify|pin)(?![a-z])", re.IGNORECASE)
CODE_CANDIDATES = re.compile(r"(?<![\d+])(\d{3}[- ]\d{3}|\d{4,8})(?!\d)")
DECOY_BEFORE = re.compile(r"(order|ref|no\.?|#|订单号?|尾号|客服|卡号|账号|заказ)\s*[:：]?\s*$", re.IGNORECASE)
KEYWORD_REACH = 30


def extract_code(text, pattern=None):
    """The verification code in an SMS: a 4-8 digit run next to a keyword beats other digit runs."""
    text = unicodedata.normalize("NFKC", text)
    if pattern:
        match = re.search(pattern, text)
        return (match.group(1) if match.groups() else match.group(0)) if match else None
    keywords = [m.span() for m in CODE_KEYWORDS.finditer(text)]
    best = None
    for match in CODE_CANDIDATES.finditer(text):
        start, end = match.span()
        gaps = [start - k_end for _, k_end in keywords if 0 <= start - k_end <= KEYWORD_REACH]
        gaps += [k_start - end + 10 for k_start, _ in keywords if 0 <= k_start - end <= KEYWORD_REACH]
        score = (min(gaps) if gaps else 1000) + (0 if len(match.group(1).replace("-", "").replace(" ", "")) == 6 else 1)
        score += 500 if DECOY_BEFORE.search(text[max(0, start - 12):start]) else 0
        if best is None or score < best[0]:
            best = (score, re.sub(r"[- ]", "", match.group(1)))
    return best[1] if best else None


# ----------------------------------------------------------------------------- ledger (SQLite in the state dir)

OPEN_STATES = ("buying", "waiting", "received", "cancelling", "finishing", "refunding")
NO_CODE_STATES = ("buying", "waiting", "cancelling")
PENDING_ACTION = {"cancelling": CANCEL, "finishing": FINISH, "refunding": REFUND}
DONE_STATE = {CANCEL: "cancelled", FINISH: "finished", REFUND: "refunded"}
INTENT_STATE = {CANCEL: "cancelling", FINISH: "finishing", REFUND: "refunding"}
SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT, base_url TEXT NOT NULL,
    sandbox INTEGER NOT NULL DEFAULT 0, test INTEGER NOT NULL DEFAULT 0,
    country_id TEXT, service_id TEXT, operator_id TEXT, number TEXT, price REAL,
    state TEXT NOT NULL, code TEXT, sms TEXT, note TEXT, pid INTEGER, hold_s REAL NOT NULL DEFAULT 600,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS orders_state ON orders (state);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL);
"""
SCHEMA_VERSION = 1
ORDER_FIELDS = ("order_id", "number", "price", "country_id", "service_id", "operator_id", "base_url", "test")


def pid_alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """The ledger of orders plus small cached values, shared safely by concurrent processes."""

    def __init__(self, state_dir, sandbox=False, now=time.time, redact=None):
        try:
            for folder in reversed([state_dir, *state_dir.parents]):  # each folder made here is private (0700)
                if not folder.exists():
                    folder.mkdir(mode=0o700)
            self.db = sqlite3.connect(state_dir / "ledger.sqlite3", timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = 30000")
            if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self.db.executescript(SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        except (OSError, sqlite3.Error) as exc:
            raise Failure("config", f"the state dir {state_dir} is not usable ({exc}); pass --state-dir or set "
                                    f"SMSONLINE_STATE_DIR to a writable folder.") from None
        self.sandbox, self.now, self.redact = int(sandbox), now, redact or Redactor()
        self._failed_bases = None

    @contextlib.contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # orders
    def order(self, order_id):
        row = self.db.execute("SELECT * FROM orders WHERE order_id = ? AND sandbox = ? ORDER BY local_id DESC",
                              (str(order_id), self.sandbox)).fetchone()
        return dict(row) if row else None

    def orders(self, states=None):
        query, params = "SELECT * FROM orders WHERE sandbox = ?", [self.sandbox]
        if states:
            query += f" AND state IN ({','.join('?' * len(states))})"
            params += list(states)
        return [dict(row) for row in self.db.execute(query + " ORDER BY local_id", params)]

    def update(self, order, **fields):
        """Write fields of one order (text redacted: a platform may echo the key in an error)."""
        fields = {name: self.redact(value) if isinstance(value, str) else value for name, value in fields.items()}
        fields["updated_at"] = self.now()
        sets = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE orders SET {sets} WHERE local_id = ?", (*fields.values(), order["local_id"]))
        order.update(fields)
        return order

    def reserve_purchase(self, base_url, hold_s, replace, test):
        """Atomically apply rule 3; returns (reservation, orders to cancel first) or raises open_order."""
        now, me = self.now(), os.getpid()
        with self.transaction():
            blockers, to_cancel = [], []
            for order in self.orders(NO_CODE_STATES):
                live = order["pid"] != me and pid_alive(order["pid"])
                if order["state"] == "buying":
                    if live:
                        blockers.append(order)
                    else:
                        self.update(order, state="unknown", note="the buying process ended before an answer")
                elif replace or order["state"] == "cancelling" and not live or \
                        not live and now > order["created_at"] + order["hold_s"]:
                    to_cancel.append(self.update(order, state="cancelling", pid=me))
                else:
                    blockers.append(order)
            if blockers:
                raise Failure("open_order", "an open order without a code already exists: "
                              + "; ".join(describe_order(o) for o in blockers)
                              + ". Run `wait` to use it, `cancel --id ID` to drop it, or buy with --replace.",
                              open_orders=[public_order(o) for o in blockers])
            cursor = self.db.execute(
                "INSERT INTO orders (base_url, sandbox, test, state, pid, hold_s, created_at, updated_at) "
                "VALUES (?, ?, ?, 'buying', ?, ?, ?, ?)", (base_url, self.sandbox, int(test), me, hold_s, now, now))
        return self.db.execute("SELECT * FROM orders WHERE local_id = ?", (cursor.lastrowid,)).fetchone(), to_cancel

    def adopt(self, order_id, base_url):
        """Record an order bought elsewhere, so that wait's cancel is crash-safe too."""
        now = self.now()
        self.db.execute("INSERT INTO orders (order_id, base_url, sandbox, state, pid, created_at, updated_at) "
                        "VALUES (?, ?, ?, 'waiting', ?, ?, ?)", (str(order_id), base_url, self.sandbox, os.getpid(),
                                                                  now, now))
        return self.order(order_id)

    def drop(self, order):
        self.db.execute("DELETE FROM orders WHERE local_id = ? AND state = 'buying'", (order["local_id"],))

    # small cached values
    def get_value(self, key, max_age):
        row = self.db.execute("SELECT value, stored_at FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row and self.now() - row["stored_at"] < max_age else None

    def put_value(self, key, value):
        self.db.execute("INSERT OR REPLACE INTO kv (key, value, stored_at) VALUES (?, ?, ?)",
                        (key, json.dumps(value, ensure_ascii=False), self.now()))

    def recently_failed_bases(self):
        if self._failed_bases is None:
            stored = self.get_value("failed_bases", FAILED_BASE_TTL_S) or {}
            self._failed_bases = {b: t for b, t in stored.items() if self.now() - t < FAILED_BASE_TTL_S}
        return self._failed_bases

    def mark_base_failed(self, base):
        self.recently_failed_bases()[base] = self.now()
        self.put_value("failed_bases", self._failed_bases)

    def mark_base_ok(self, base):
        if base in self.recently_failed_bases():
            del self._failed_bases[base]
            self.put_value("failed_bases", self._failed_bases)


def public_order(order):
    """The order as the JSON line shows it (never the pid or internal ids)."""
    shown = {name: order.get(name) for name in ORDER_FIELDS}
    shown.update(test=bool(order.get("test")), order_status=order["state"], code=order.get("code"))
    return shown


def describe_order(order):
    age = int(time.time() - order["created_at"])
    return f"order {order['order_id'] or '(no id yet)'} number {order['number'] or '?'} ({order['state']}, {age}s old)"


# ----------------------------------------------------------------------------- names (ids, names, aliases, cache)

COUNTRY_ALIASES = {
    ("中国", "cn", "chn", "china", "大陆", "中国大陆"): ("China",),
    ("美国", "us", "usa", "america", "united states"): ("United States", "USA", "United States of America"),
    ("英国", "uk", "gb", "gbr", "britain", "great britain", "england"): ("United Kingdom", "UK", "Great Britain", "England"),
    ("香港", "hk", "中国香港"): ("Hong Kong",), ("台湾", "tw"): ("Taiwan",), ("日本", "jp"): ("Japan",),
    ("韩国", "kr", "korea"): ("South Korea", "Korea"), ("俄罗斯", "ru"): ("Russia",), ("印度", "in"): ("India",),
    ("印尼", "印度尼西亚", "id"): ("Indonesia",), ("越南", "vn"): ("Vietnam",), ("泰国", "th"): ("Thailand",),
    ("菲律宾", "ph"): ("Philippines",), ("马来西亚", "my"): ("Malaysia",), ("新加坡", "sg"): ("Singapore",),
    ("加拿大", "ca"): ("Canada",), ("德国", "de"): ("Germany",), ("法国", "fr"): ("France",),
    ("巴西", "br"): ("Brazil",), ("澳大利亚", "澳洲", "au"): ("Australia",),
}
SERVICE_ALIASES = {
    ("微信", "wx", "weixin"): ("WeChat",), ("b站", "哔哩哔哩", "哔哩"): ("bilibili",), ("soul", "soul app"): ("Soul",),
    ("抖音", "douyin"): ("Douyin", "TikTok"), ("电报", "tg"): ("Telegram",), ("脸书", "fb"): ("Facebook",),
    ("谷歌", "gmail"): ("Google",), ("推特", "x"): ("Twitter", "X"), ("小红书", "xhs", "red"): ("Xiaohongshu", "RED"),
    ("淘宝",): ("Taobao",), ("支付宝",): ("Alipay",), ("京东", "jd"): ("JD", "Jingdong"), ("微博",): ("Weibo",),
    ("钉钉",): ("DingTalk",), ("美团",): ("Meituan",), ("快手",): ("Kuaishou",), ("ig", "ins"): ("Instagram",),
    ("wa",): ("WhatsApp",),
}
ALIASES = {"country": COUNTRY_ALIASES, "service": SERVICE_ALIASES}
CATALOG_ENDPOINTS = {"country": "get-countries", "service": "get-services"}


def wanted_names(kind, text):
    key = text.strip().casefold()
    for spellings, names in ALIASES[kind].items():
        if key in spellings:
            return [text.strip(), *names]
    return [text.strip()]


def matches(items, kind, text):
    """Items matching text, by the first tier that matches anything: exact, then prefix, then substring."""
    names = [name.casefold() for name in wanted_names(kind, text)]
    for test in (str.__eq__, str.startswith, str.__contains__):
        hits = {item["id"]: item for item in items for name in names if test(item["name"].casefold(), name)}
        if hits:
            return list(hits.values())
    return []


def catalog(ctx, kind):
    """The country or service list, from the 24 h cache in the state dir when possible."""
    key = f"catalog:{kind}"
    cached = None if ctx.config.refresh else ctx.store.get_value(key, CATALOG_TTL_S)
    if cached and cached["base_url"] in ctx.config.base_urls:
        return cached["items"]
    answer, base = ctx.api.call(CATALOG_ENDPOINTS[kind], {})
    items = read_items(answer)
    ctx.store.put_value(key, {"base_url": base, "items": items})
    return items


def resolve(ctx, kind, text):
    """A country/service given as an id or a name -> its id; unknown or ambiguous is a usage error."""
    text = str(text).strip()
    if text.isascii() and text.isdigit():
        return text
    items = catalog(ctx, kind)
    hits = matches(items, kind, text)
    if len(hits) == 1:
        return hits[0]["id"]
    if hits:
        listed = ", ".join(f"{h['name']} ({h['id']})" for h in hits[:10])
        raise Failure("usage", f"{kind} {text!r} is ambiguous: {listed}. Give the id or a longer name.",
                      candidates=hits[:10])
    import difflib  # only for names that match nothing

    close = difflib.get_close_matches(text.casefold(), [i["name"].casefold() for i in items], n=5, cutoff=0.5)
    listing = {"country": "countries", "service": "services"}[kind]
    hint = f" Did you mean: {', '.join(close)}?" if close else f" Run `{listing} --search TEXT` to list them."
    raise Failure("usage", f"unknown {kind} {text!r}.{hint}", candidates=close)


# ----------------------------------------------------------------------------- signals

class SignalGuard:
    """Turns SIGINT/SIGTERM/SIGHUP into Interrupted, once per run; inside deferred() they wait for checkpoint()."""

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __init__(self):
        self.depth, self.pending, self.stopping, self.previous = 0, None, False, {}

    def handle(self, signum, _frame):
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

    def install(self):
        for signum in self.SIGNALS:
            if signal.getsignal(signum) is signal.SIG_IGN:  # inherited, as nohup does for SIGHUP: keep ignoring it
                continue
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                self.previous[signum] = signal.signal(signum, self.handle)

    def restore(self):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


# ----------------------------------------------------------------------------- flows
# buy: what_to_buy (names, operator) -> buy_number (rule 3, buy-service, the ledger first) inside bought_number,
# which hands the order to cancelled_unless_used with signals held; then wait_and_settle: poll_for_code ->
# confirmed (status 3) when a code comes, or, on the deadline, an error or a signal, settled_failure (status 4).

class Context(types.SimpleNamespace):
    """What the commands work with: config, store, api, log, guard, clock, sleep."""


def change_status(ctx, order, status):
    """Send status 3/4/5 for an order to the base URL that sold it; the ledger is written before and after."""
    ctx.store.update(order, state=INTENT_STATE[status])
    with ctx.guard.deferred():
        ctx.api.call("change-status", {"id": order["order_id"], "status": status}, bases=[order["base_url"]])
        return ctx.store.update(order, state=DONE_STATE[status])


def cancel_or_fail(ctx, order, reason=""):
    """Cancel an order; a cancel that fails becomes exit 6 with the order left for `cleanup`."""
    try:
        return change_status(ctx, order, CANCEL)
    except Failure as failure:
        if failure.kind == "not_found":
            return ctx.store.update(order, state="closed", note=f"cancel: {failure.message}")
        ctx.store.update(order, note=f"cancel failed: {failure.message}")
        raise Failure("cancel_failed", f"{reason}order {order['order_id']} could not be cancelled ({failure.message}); "
                      "it stays in the ledger: run `cleanup` in a few minutes.", attempts=failure.attempts,
                      cause=failure.kind, **public_order(order)) from None


def choose_operator(ctx, country_id, service_id, max_price, operator=None):
    """The cheapest operator (or the one named) with stock and within max_price -> (operator_id, price)."""
    products = list_products(ctx, country_id, service_id)
    usable = [p for p in products if p.get("stock") != 0 and (operator is None or p["id"] == str(operator))
              and (max_price is None or (p.get("price") or 0) <= max_price)]
    if not usable:
        limit = f" at or below {max_price}" if max_price is not None else ""
        raise Failure("no_numbers", f"no operator has numbers{limit} for country {country_id} / service {service_id}; "
                      "try another country, a higher --max-price, or later.", products=products)
    return usable[0]["id"], usable[0].get("price")


def list_products(ctx, country_id, service_id):
    answer, _ = ctx.api.call("get-products", {"countryId": country_id, "serviceId": service_id})
    return sorted(read_items(answer), key=lambda p: (p.get("stock") == 0, p.get("price") is None, p.get("price") or 0))


def what_to_buy(ctx, args):
    """Resolve names and pick the operator -> (buy-service parameters, expected price). Nothing is spent yet."""
    country_id, service_id = resolve(ctx, "country", args.country), resolve(ctx, "service", args.service)
    operator_id, price = args.operator, None
    if operator_id is None or args.max_price is not None:  # an explicit operator needs no products call
        operator_id, price = choose_operator(ctx, country_id, service_id, args.max_price, args.operator)
    params = {"countryId": country_id, "serviceId": service_id, "operatorId": str(operator_id)}
    return ({**params, "test": 1} if ctx.config.test else params), price


def buy_number(ctx, params, price, args):
    """Apply rule 3, buy, and record the order before anything else. Call it with signals deferred (see
    bought_number): a signal must not lose track of a paid order."""
    reservation, stale = ctx.store.reserve_purchase(ctx.api.bases_in_order()[0], args.hold, args.replace,
                                                    ctx.config.test)
    reservation = dict(reservation)
    try:
        for order in stale:
            cancel_or_fail(ctx, order, "before buying: ")
        answer, base = ctx.api.call("buy-service", params)
        purchase = read_purchase(answer)
    except Failure as failure:
        if failure.data.pop("uncertain", False):
            ctx.store.update(reservation, state="unknown", note=failure.message)
        else:
            ctx.store.drop(reservation)
        raise
    except BaseException as exc:  # not a designed failure: whether the platform sold a number is unknown
        ctx.store.update(reservation, state="unknown", note=f"{type(exc).__name__} during the purchase")
        raise
    purchase["price"] = price if purchase["price"] is None else purchase["price"]
    order = {**reservation, **purchase, "base_url": base, "country_id": params["countryId"],
             "service_id": params["serviceId"], "operator_id": params["operatorId"], "state": "waiting"}
    try:
        return ctx.store.update(reservation, **{k: order[k] for k in ORDER_FIELDS if k != "test"}, state="waiting")
    except sqlite3.Error as exc:  # bought but not recordable: cancel now rather than leave it untracked
        cancel_or_fail(ctx, order, f"the ledger could not record it ({exc}), so ")
        raise Failure("config", f"order {order['order_id']} was cancelled because the ledger in "
                      f"{ctx.config.state_dir} could not record it ({exc}); check that folder.",
                      **public_order(order)) from None


@contextlib.contextmanager
def bought_number(ctx, args):
    """Buy a number and yield its order inside cancelled_unless_used. Signals wait from before the purchase until
    the order is recorded and guarded, so there is no moment at which a signal leaves a paid order behind."""
    params, price = what_to_buy(ctx, args)  # a signal up to here stops the run before any money moves
    with contextlib.ExitStack() as stack:
        with ctx.guard.deferred():
            order = buy_number(ctx, params, price, args)
            stack.enter_context(cancelled_unless_used(ctx, order))
        ctx.guard.checkpoint()  # a signal that came during the purchase is delivered here, and cancels the order
        yield order


def fetch_sms(ctx, order, code_regex, remaining=None):
    timeout = None
    if remaining is not None:  # never let one poll run past the deadline
        cap = max(0.2, remaining / 2)
        timeout = (min(ctx.config.connect_timeout, cap), min(ctx.config.read_timeout, cap))
    bases = [order["base_url"]] if order.get("base_url") else None  # an unrecorded order: any base may know it
    answer, _ = ctx.api.call("get-sms", {"id": order["order_id"]}, bases=bases, timeout=timeout)
    return read_sms(answer, code_regex)


PollOutcome = collections.namedtuple("PollOutcome", "state polls elapsed_s timed_out last_error", defaults=(None,))


def poll_for_code(fetch, timeout, interval, clock, sleep, log):
    """Poll at once, then every interval, until a code, a closed order, or the deadline (monotonic clock)."""
    start = clock()
    deadline, next_poll, polls, last = start + timeout, start, 0, SmsState()
    last_error = None
    while True:
        now = clock()
        if now >= deadline:
            return PollOutcome(last, polls, now - start, True, last_error)
        if now < next_poll:
            sleep(min(next_poll, deadline) - now)
            continue
        polls += 1
        try:
            last = fetch(deadline - now)
        except Failure as failure:
            if failure.kind not in TRANSIENT_KINDS:
                raise
            last_error = failure.message
            log.debug(f"poll {polls} failed, will poll again: {failure.message}")
        else:
            if last.code or last.closed:
                return PollOutcome(last, polls, clock() - start, False)
        while next_poll <= clock():
            next_poll += interval


@contextlib.contextmanager
def cancelled_unless_used(ctx, order):
    """Whatever stops the run before a code is in hand (timeout, error, signal, bug) cancels the order first."""
    try:
        yield
    except BaseException as exc:
        raise settled_failure(ctx, order, exc) from None


def settled_failure(ctx, order, exc):
    """Cancel the order if it still needs it; return what to report (cancel_failed, exit 6, if the cancel failed)."""
    while True:  # a signal landing in this very handler restarts it; the guard raises only once per run
        try:
            with ctx.guard.deferred():
                failure = as_failure(exc)
                if order["state"] in ("waiting", "cancelling"):
                    cancel_or_fail(ctx, order, f"after {failure.kind}: ")
                    failure.data.update(public_order(order))
                return failure
        except Interrupted as late:
            exc = late


def as_failure(exc):
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, (Interrupted, KeyboardInterrupt)):
        name = signal.Signals(getattr(exc, "signum", signal.SIGINT)).name
        return Failure("interrupted", f"stopped by {name}; this run left no order open.", status="interrupted")
    return Failure("internal", f"unexpected {type(exc).__name__}: {excerpt(exc, 200)}; this is a bug in the skill.")


def wait_and_settle(ctx, order, args):
    """Poll for the code; confirm it (status 3) or, on the deadline, cancel (status 4)."""
    outcome = poll_for_code(lambda remaining: fetch_sms(ctx, order, args.code_regex, remaining),
                            args.timeout, args.interval, ctx.clock, ctx.sleep, ctx.log)
    facts = {"elapsed_s": round(outcome.elapsed_s, 2), "polls": outcome.polls, "sms": outcome.state.sms}
    if outcome.timed_out:
        detail = f" Last poll error: {outcome.last_error}" if outcome.last_error else ""
        raise Failure("timeout", f"no SMS with a code within {args.timeout:g}s; the order is cancelled and refunded. "
                      f"Buy again (perhaps another country or operator).{detail}", status="timeout", **facts)
    if outcome.state.closed:
        ctx.store.update(order, state="closed", note="the platform closed the order")
        raise Failure("order_closed", f"the platform says order {order['order_id']} is no longer waiting "
                      "(cancelled or expired elsewhere); buy a new number.", **facts, **public_order(order))
    ctx.store.update(order, state="received", code=outcome.state.code, sms=outcome.state.sms)
    return confirmed(ctx, order, args, facts)


def confirmed(ctx, order, args, facts):
    """The received line; the order confirmed (status 3) first unless --no-finish."""
    warning = None
    if not args.no_finish:
        try:
            change_status(ctx, order, FINISH)
        except Failure as failure:  # the code is in hand; `cleanup` confirms later
            warning = f"the code arrived but confirming it failed ({failure.message}); `cleanup` retries it."
    result = {"status": "received", **public_order(order), **facts, "finished": order["state"] == "finished"}
    return {**result, "warning": warning} if warning else result


def sole_waiting_order(ctx):
    waiting = ctx.store.orders(("waiting",))
    if len(waiting) == 1:
        return waiting[0]
    listed = "; ".join(describe_order(o) for o in waiting) or "none"
    raise Failure("usage", f"pass --id: {len(waiting)} orders are waiting for an SMS ({listed}).",
                  open_orders=[public_order(o) for o in waiting])


def recorded_order(ctx, order_id):
    """The ledger's order for --id, or None for a numeric id the ledger does not know."""
    order = ctx.store.order(order_id)
    if order is None and not (str(order_id).isascii() and str(order_id).isdigit()):
        raise Failure("usage", f"order id {order_id!r} is neither numeric nor in the ledger; see `orders --all`.")
    return order


def adopted(ctx, order_id):
    """Record an order the ledger does not know, so that what is sent for it is crash-safe too."""
    return ctx.store.adopt(order_id, ctx.api.bases_in_order()[0])


def order_or_adopted(ctx, order_id):
    return recorded_order(ctx, order_id) or adopted(ctx, order_id)


# ----------------------------------------------------------------------------- commands

def cmd_catalog(kind):
    def run(ctx, args):
        items = catalog(ctx, kind)
        if args.search:
            items = matches(items, kind, args.search) or [i for i in items if args.search.casefold() in i["id"]]
        return {"status": "ok", "count": len(items), "items": items}
    return run


def cmd_products(ctx, args):
    country_id, service_id = resolve(ctx, "country", args.country), resolve(ctx, "service", args.service)
    items = list_products(ctx, country_id, service_id)
    return {"status": "ok", "country_id": country_id, "service_id": service_id, "count": len(items), "items": items}


def cmd_buy(ctx, args):
    with bought_number(ctx, args) as order:
        ctx.log.notice(f"number {order['number']} (order {order['order_id']}) is yours; run `wait` within "
                       f"{args.hold:g}s.")
        return {"status": "waiting", **public_order(order), "hold_s": args.hold}


def cmd_wait(ctx, args):
    order = sole_waiting_order(ctx) if args.id is None else order_or_adopted(ctx, args.id)
    if order["state"] == "received" and order.get("code"):  # `check` already saw the code
        return confirmed(ctx, order, args, {"elapsed_s": 0.0, "polls": 0, "sms": order.get("sms")})
    if order["state"] != "waiting":
        raise Failure("usage", f"order {order['order_id']} is {order['state']}, not waiting for an SMS.",
                      **public_order(order))
    with ctx.store.transaction():
        owner = ctx.store.order(order["order_id"])["pid"]
        if owner != os.getpid() and pid_alive(owner):
            raise Failure("open_order", f"order {order['order_id']} is already being waited on by process {owner}.")
        ctx.store.update(order, pid=os.getpid())
    with cancelled_unless_used(ctx, order):
        return wait_and_settle(ctx, order, args)


def cmd_receive(ctx, args):
    with bought_number(ctx, args) as order:
        ctx.log.notice(f"number: {order['number']}  (order {order['order_id']}, price {order['price']}) — enter it on "
                       f"the site now; waiting up to {args.timeout:g}s for the SMS.")
        if args.number_file:
            write_atomically(Path(args.number_file), f"{order['number']}\n")
        return wait_and_settle(ctx, order, args)


def cmd_check(ctx, args):
    """One get-sms; read-only for orders the ledger does not know."""
    order = recorded_order(ctx, args.id)
    state = fetch_sms(ctx, order or {"order_id": args.id}, args.code_regex)
    if order and state.code and order["state"] == "waiting":
        ctx.store.update(order, state="received", code=state.code, sms=state.sms)
    elif order and state.closed and order["state"] in OPEN_STATES:
        ctx.store.update(order, state="closed", note="the platform closed the order")
    status = "received" if state.code else "closed" if state.closed else "waiting"
    return {"status": status, **(public_order(order) if order else {"order_id": str(args.id)}),
            "code": state.code, "sms": state.sms}


def cmd_change_status(status):
    def run(ctx, args):
        order, found = recorded_order(ctx, args.id), None
        if status == FINISH and not (order and order.get("code")):
            found = fetch_sms(ctx, order or {"order_id": args.id}, None)
            if not found.code:
                raise Failure("usage", f"order {args.id} has no code yet, and an order is never confirmed without "
                              "one: `wait` or `check` first, or `cancel` it.")
        order = order or adopted(ctx, args.id)
        if found:
            ctx.store.update(order, code=found.code, sms=found.sms)
        if status == CANCEL:
            cancel_or_fail(ctx, order)
        else:
            change_status(ctx, order, status)
        return {"status": order["state"], **public_order(order)}
    return run


def cmd_orders(ctx, args):
    orders = ctx.store.orders(None if args.all else OPEN_STATES)
    result = {"status": "ok", "count": len(orders), "orders": [public_order(o) for o in orders]}
    if args.all:
        paid = [o for o in orders if not o["test"] and o["price"]]
        result["spent"] = round(sum(o["price"] for o in paid if o["state"] in ("finished", "received")), 4)
        result["held"] = round(sum(o["price"] for o in paid if o["state"] in OPEN_STATES and o["state"] != "received"), 4)
    return result


def cmd_cleanup(ctx, args):
    """Finish the work of runs that died: cancel open orders without a code, resend pending confirms/refunds."""
    done, failed = [], []
    for order in ctx.store.orders(NO_CODE_STATES + ("finishing", "refunding")):
        live = order["pid"] != os.getpid() and pid_alive(order["pid"])
        if live and (not args.all or order["state"] == "buying"):  # a purchase in flight is never ours to touch
            continue
        if order["state"] == "buying":
            ctx.store.update(order, state="unknown", note="the buying process ended before an answer")
            continue
        try:
            action = PENDING_ACTION.get(order["state"], CANCEL)
            if action == CANCEL:
                cancel_or_fail(ctx, order)
            else:
                change_status(ctx, order, action)
            done.append(public_order(order))
        except Failure as failure:
            failed.append({**public_order(order), "error": failure.message})
    if failed:
        raise Failure("cancel_failed", f"{len(failed)} order(s) could not be settled; they stay in the ledger, run "
                      "`cleanup` again later.", settled=done, unsettled=failed)
    return {"status": "ok", "count": len(done), "settled": done}


def write_atomically(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


COMMANDS = {
    "countries": cmd_catalog("country"), "services": cmd_catalog("service"), "products": cmd_products,
    "buy": cmd_buy, "wait": cmd_wait, "receive": cmd_receive, "check": cmd_check,
    "finish": cmd_change_status(FINISH), "cancel": cmd_change_status(CANCEL), "refund": cmd_change_status(REFUND),
    "orders": cmd_orders, "cleanup": cmd_cleanup,
}
OFFLINE_COMMANDS = ("orders",)


# ----------------------------------------------------------------------------- CLI

class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def add_global_options(parser):
    """Global options, accepted before or after the command (SUPPRESS keeps one position from erasing the other)."""
    group = parser.add_argument_group("global options")
    s = argparse.SUPPRESS
    group.add_argument("--base-url", action="append", default=s, metavar="URL",
                       help="API base URL, repeatable, tried in order (env SMSONLINE_BASE_URLS)")
    group.add_argument("--proxy", default=s, metavar="URL", help="HTTP(S) proxy (env SMSONLINE_PROXY; HTTPS_PROXY works too)")
    group.add_argument("--state-dir", default=s, metavar="DIR", help="ledger and cache folder (env SMSONLINE_STATE_DIR, default ~/.smsonline)")
    group.add_argument("--connect-timeout", default=s, metavar="S", help="seconds (env SMSONLINE_CONNECT_TIMEOUT, default 5)")
    group.add_argument("--read-timeout", default=s, metavar="S", help="seconds (env SMSONLINE_READ_TIMEOUT, default 15)")
    group.add_argument("--test", action="store_true", default=s, help="add test=1 to buy-service (no charge)")
    group.add_argument("--refresh", action="store_true", default=s, help="ignore the cached country/service lists")
    group.add_argument("--sandbox", action="store_true", default=s, help="run against a local simulated platform")
    group.add_argument("-v", "--verbose", action="store_true", default=s, help="diagnostics on stderr")


GLOBAL_DEFAULTS = dict(base_url=None, proxy=None, state_dir=None, connect_timeout=None, read_timeout=None,
                       test=False, refresh=False, sandbox=False, verbose=False)


def add_buy_options(parser):
    parser.add_argument("--country", required=True, help="id or name: 中国, CN, China, 美国, UK …")
    parser.add_argument("--service", required=True, help="id or name: Soul, bilibili, 微信, WhatsApp …")
    parser.add_argument("--operator", help="operator id (default: the cheapest with stock)")
    parser.add_argument("--max-price", type=positive_number, help="refuse operators above this price")
    parser.add_argument("--replace", action="store_true", help="cancel an open order first instead of refusing")
    parser.add_argument("--hold", type=positive_number, default=600,
                        help="seconds this order is reserved for a later `wait` (default 600)")


def add_wait_options(parser):
    parser.add_argument("--timeout", type=positive_number, default=120,
                        help="seconds to wait for the SMS (default 120)")
    parser.add_argument("--interval", type=positive_number, default=5, help="seconds between polls (default 5)")
    parser.add_argument("--no-finish", action="store_true", help="do not confirm (status 3) after the code arrives")
    parser.add_argument("--code-regex", help="regex for the code in the SMS (group 1 if it has one)")


def order_id_option(parser, required=True):
    parser.add_argument("--id", required=required, help="order id (as printed by buy)")


def build_parser():
    parser = Parser(prog="smsonline_receive_sms.py", description=__doc__.split("\n\n")[0],
                    epilog=__doc__[__doc__.index("Usage:"):], formatter_class=argparse.RawDescriptionHelpFormatter)
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, text):
        sub = commands.add_parser(name, help=text, description=text)
        add_global_options(sub)
        return sub

    for name, text in (("countries", "list countries"), ("services", "list services")):
        command(name, text).add_argument("--search", metavar="TEXT", help="only names matching TEXT")
    products = command("products", "operators with price and stock, cheapest in stock first")
    products.add_argument("--country", required=True)
    products.add_argument("--service", required=True)
    add_buy_options(command("buy", "buy a number and record the order; `wait` collects the code"))
    wait = command("wait", "poll for the code, confirm it, or cancel on the deadline")
    order_id_option(wait, required=False)
    add_wait_options(wait)
    receive = command("receive", "buy then wait in one run (for a person at a terminal)")
    add_buy_options(receive)
    add_wait_options(receive)
    receive.add_argument("--number-file", metavar="FILE", help="also write the number to FILE")
    check = command("check", "one get-sms call, no waiting")
    order_id_option(check)
    check.add_argument("--code-regex", help="regex for the code in the SMS")
    for name, text in (("finish", "confirm an order that has its code (status 3)"),
                       ("cancel", "cancel an order and get the money back (status 4)"),
                       ("refund", "ask for a refund after an error (status 5)")):
        order_id_option(command(name, text))
    command("orders", "the ledger: open orders (--all: history and spend)").add_argument("--all", action="store_true")
    command("cleanup", "cancel open orders left by runs that died").add_argument(
        "--all", action="store_true", help="include orders whose process is still running")
    return parser


def parse_args(argv):
    args = build_parser().parse_args(argv)
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    number_file = getattr(args, "number_file", None)
    if number_file and not os.access(Path(number_file).resolve().parent, os.W_OK):
        raise UsageError(f"--number-file {number_file}: its folder does not exist or is not writable")
    if getattr(args, "code_regex", None):
        try:
            re.compile(args.code_regex)
        except re.error as exc:
            raise UsageError(f"--code-regex is not a valid regular expression: {exc}") from None
    return args


def start_sandbox(config, log):
    """--sandbox: the bundled simulator in a background thread; base URLs point at it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import smsonline_sandbox  # imported only here, so normal runs pay nothing for it

    try:
        with contextlib.redirect_stderr(io.StringIO()) as complaint:
            server = smsonline_sandbox.start(api_key=config.api_key, state_file=config.state_dir / "sandbox.json",
                                             options=config.sandbox_args)
    except SystemExit:  # its argparse rejected SMSONLINE_SANDBOX_ARGS
        problem = complaint.getvalue().strip().splitlines()[-1:] or ["unreadable"]
        raise Failure("config", f"SMSONLINE_SANDBOX_ARGS: {problem[0]}") from None
    config.base_urls = [server.base_url]
    log.debug(f"sandbox at {server.base_url}")
    return server


def run(args, environ, clock, sleep, guard, redact):
    config = load_config(args, environ)
    redact.key = config.api_key
    log = Log(redact, config.verbose)
    if not config.api_key and args.command not in OFFLINE_COMMANDS:
        raise Failure("config", f"no API key: set SMSONLINE_API_KEY in the environment or in {SKILL_DIR / '.env'} "
                      "(see .env.example); try --sandbox to rehearse without one.")
    sandbox = start_sandbox(config, log) if config.sandbox else None
    try:
        store = Store(config.state_dir, sandbox=config.sandbox, redact=redact)
        if sandbox:  # sandbox orders keep working across runs although the port changes
            store.db.execute("UPDATE orders SET base_url = ? WHERE sandbox = 1", (sandbox.base_url,))
        ctx = Context(config=config, store=store, api=Api(config, store, log), log=log, guard=guard, clock=clock,
                      sleep=sleep)
        return COMMANDS[args.command](ctx, args)
    finally:
        if sandbox:
            sandbox.stop()


def main(argv=None, environ=None, clock=time.monotonic, sleep=time.sleep):
    """Run one command and print its JSON line; returns the exit code."""
    environ = os.environ if environ is None else environ
    guard, command, redact = SignalGuard(), "unknown", Redactor(environ.get("SMSONLINE_API_KEY"))
    guard.install()
    try:
        args = parse_args(argv)
        command = args.command
        body = run(args, environ, clock, sleep, guard, redact)
        ok, code = True, 0
    except SystemExit as exit_:  # --help
        return exit_.code or 0
    except BaseException as exc:
        failure = Failure("usage", f"{exc}; see --help.") if isinstance(exc, UsageError) else as_failure(exc)
        body, ok, code = failure.line(), False, failure.exit_code
    finally:
        guard.restore()
    with contextlib.suppress(OSError, ValueError):
        print(json_line(command, ok, body, redact), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
