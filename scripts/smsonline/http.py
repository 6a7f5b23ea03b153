"""HTTP and base-URL fallback, imported only when a request is about to be made.

One Session and one kept-alive connection per run; urllib3's Retry per endpoint; a wall-clock cap on every exchange
(connect, send, answer and urllib3's own retries: a trickling or silent server cannot hold a run past its deadline);
answers read as a stream and capped at 1 MiB; and for every failure whether the request can have reached the server,
which decides whether a purchase may be tried elsewhere.
"""
from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
import time
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, LocationParseError, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from .decoding import Reply, decode
from .config import proxy_for, shown_proxy, site_key_variable
from .output import REDACT, Failure, Tracer, excerpt
from .platform import Kind, kind_of, module_for, protocol_of
from .smsonline_reader import purchase_in

MAX_ANSWER_BYTES = 1024 * 1024


class Watchdog:
    """Caps one exchange at a wall-clock time: when it fires, it shuts the socket in use, so a read blocked on a
    trickling or silent server returns at once, and no retry or new connection starts afterwards."""

    def __init__(self):
        self.lock, self.generation, self.connection, self.expired = threading.Lock(), 0, None, False
        self.ends_at = float("inf")

    def time_left(self):
        return max(0.0, self.ends_at - time.monotonic())

    @contextlib.contextmanager
    def cap(self, seconds):
        with self.lock:
            self.generation += 1
            self.expired, self.connection, self.ends_at = False, None, time.monotonic() + seconds
        timer = threading.Timer(seconds, self.fire, args=(self.generation,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with self.lock:
                self.generation += 1  # a timer that fires late finds another generation and does nothing
                self.connection = None

    def fire(self, generation):
        with self.lock:
            if generation != self.generation:
                return
            self.expired = True
            # an answer that closes its connection (Connection: close, HTTP/1.0, no length) took the socket from
            # the connection as it began (connection.sock is None then): the one noted at connect() is shut instead
            sock = getattr(self.connection, "sock", None) or getattr(self.connection, "smsonline_socket", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's: SSLSocket's touches TLS state

    def check(self, connection):
        """Called as a connection is used: note it, or refuse to start once the time is up."""
        with self.lock:
            self.connection = connection
            if self.expired:
                raise ConnectTimeoutError(connection, "the exchange's time was up before this attempt")


WATCHDOG = Watchdog()  # the script is single-threaded: one exchange at a time


class _TrackedConnection:
    """Marks every failure of connect() (DNS, refused, connect timeout, proxy, TLS handshake) as "nothing was
    sent"; any other failure may have reached the server."""

    def connect(self):
        try:
            WATCHDOG.check(self)
            address = bounded_lookup(self._dns_host, self.port, WATCHDOG.time_left())
            if address:  # connect to the address just resolved: a second, unbounded lookup could hang
                self._dns_host = address
            super().connect()
        except Exception as exc:
            exc.smsonline_before_send = True
            raise
        self.smsonline_socket = self.sock

    def request(self, *args, **kwargs):
        try:
            WATCHDOG.check(self)
        except ConnectTimeoutError as exc:
            exc.smsonline_before_send = True
            raise
        return super().request(*args, **kwargs)


def bounded_lookup(host, port, seconds):
    """Resolve host in a helper thread, waiting at most `seconds` -> its first address (None for an address given):
    the watchdog can only shut a socket, and a lookup stuck on a resolver that never answers has none yet. The
    connection then uses that address (TLS still checks the name: urllib3 verifies against `host`, not the address)."""
    if re.fullmatch(r"[0-9.]+|\[?[0-9a-fA-F:]+\]?", host or ""):
        return None
    outcome = {}

    def lookup():
        try:
            outcome["address"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]
        except Exception as exc:  # noqa: BLE001  (OSError, or UnicodeError for a name IDNA refuses: raised below)
            outcome["error"] = exc
    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise ConnectTimeoutError(None, f"the DNS lookup of {host} took longer than {seconds:.3g}s")
    if "error" in outcome:
        error = outcome["error"]
        raise error if isinstance(error, OSError) else OSError(f"the name {host} cannot be looked up ({error})")
    return outcome["address"]


class TrackedHTTPConnection(_TrackedConnection, HTTPConnection):
    pass


class TrackedHTTPSConnection(_TrackedConnection, HTTPSConnection):
    pass


class TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = TrackedHTTPConnection


class TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = TrackedHTTPSConnection


POOLS = {"http": TrackedHTTPPool, "https": TrackedHTTPSPool}


class DeadlineRetry(Retry):
    """urllib3's Retry, except that nothing is retried once the exchange's wall-clock cap has passed."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if WATCHDOG.expired:
            raise MaxRetryError(_pool, url, error or ResponseError("the exchange's time was up"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


GENERAL_RETRY = DeadlineRetry(total=4, connect=2, read=False, status=2, other=0, redirect=2, backoff_factor=0.2,
                              backoff_max=1, status_forcelist=(500, 502, 503, 504), raise_on_status=False,
                              respect_retry_after_header=False)
# a purchase: only failures that prove nothing reached the server (refused, DNS); never reads or 5xx.
BUY_RETRY = DeadlineRetry(total=2, connect=2, read=False, status=0, other=0, redirect=0, backoff_factor=0.2,
                          backoff_max=1, raise_on_status=False)
# a status change is idempotent, so a lost answer is worth asking again: that is the cancel's retry (bounded: a
# cancel at the deadline must be over within seconds).
STATUS_RETRY = DeadlineRetry(total=3, connect=2, read=1, status=2, other=1, redirect=2, backoff_factor=0.25,
                             backoff_max=1, status_forcelist=(500, 502, 503, 504), raise_on_status=False,
                             respect_retry_after_header=False)
RETRIES = {Kind.BUY: BUY_RETRY, Kind.SETTLE: STATUS_RETRY, Kind.READ: GENERAL_RETRY}  # by the operation's kind,
# never by the URL: every sms-activate action shares one path


class KindRetryAdapter(HTTPAdapter):
    """One connection pool for every operation (one kept-alive connection per run), each sent with its kind's retry
    policy, over connections that know whether a request can have left."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS

    def proxy_manager_for(self, proxy, **kwargs):
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = POOLS
        return manager

    def send(self, request, *args, **kwargs):
        self.max_retries = RETRIES[self.kind]  # set by Api.exchange before each request (one at a time)
        return super().send(request, *args, **kwargs)


def build_session(config):
    session = requests.Session()
    session.headers["User-Agent"] = "karuo-smsonline-skill/2.0"
    session.trust_env = not config.sandbox  # HTTPS_PROXY is honoured, except for the local sandbox
    adapter = KindRetryAdapter()
    adapter.kind = Kind.READ
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)
    return session, adapter


# ----------------------------------------------------------------------------- transport failures

class TransportError(Exception):
    """No HTTP answer: what happened (`said`), whether the request can have reached the server, and a tag."""

    def __init__(self, said, sent, tag):
        super().__init__(said)
        self.said, self.sent, self.tag = said, sent, tag


def causes(exc):
    """An exception and what it wraps (requests -> urllib3 -> socket/ssl), without following __context__."""
    found, stack = [], [exc]
    while stack and len(found) < 24:
        current = stack.pop()
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        stack += [getattr(current, "reason", None), getattr(current, "original_error", None), current.__cause__]
        stack += list(getattr(current, "args", ()))
    return found


class OffSiteRedirect(Exception):
    """A redirect to another scheme, host or port: following it would carry the key (apiKey) there."""

    def __init__(self, target):
        super().__init__(target)
        self.target = target


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url):
    """(scheme, host, port) of a URL; a port that cannot be read is an origin of its own."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = "unreadable"
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


def refuse_off_site_redirects(response, *args, **kwargs):
    """A response hook: a redirect that leaves the site, or whose address cannot be read, is closed and raised, never
    followed."""
    if response.is_redirect:
        try:
            target = urljoin(response.url, response.headers["Location"])
            moved = origin(target) != origin(response.url) and shown_base(target)
        except ValueError:  # urlsplit: "Invalid IPv6 URL" and the like
            moved = "an address that cannot be read"
        if moved:
            response.close()
            raise OffSiteRedirect(moved)
    return response


def shown_base(url):
    """Where a redirect points, as the base URL to configure: no credentials, and no query (it may hold the key)."""
    parts = urlsplit(url)
    return excerpt(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path.split('/virtual-number/')[0]}", 200)


def nothing_was_sent(exc):
    """True only when the failure proves the request never left: DNS, refused, connect timeout, an unreachable
    proxy or a TLS handshake failure (all raised by connect()). Anything later may have reached the server."""
    return any(getattr(cause, "smsonline_before_send", False) or
               isinstance(cause, (ConnectTimeoutError, requests.exceptions.ConnectTimeout, LocationParseError,
                                  requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                                  requests.exceptions.MissingSchema)) for cause in causes(exc))


def tls_detail(exc):
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLError):
            return getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or str(cause)
    return excerpt(exc, 80)


def cut_at_cap(cap, sent):
    return TransportError(f"no complete answer within {cap:.3g}s", sent, "slow")


def transport_error(exc, expired, cap):
    """A requests exception -> TransportError with a short description a person can act on."""
    sent = not nothing_was_sent(exc)
    if expired:
        return cut_at_cap(cap, sent)
    if isinstance(exc, requests.exceptions.ProxyError):
        return TransportError(f"proxy failed ({excerpt(exc, 100)})", sent, "proxy")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransportError("connect timeout", False, "connect")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TransportError("no answer within the read timeout", sent, "slow")
    if isinstance(exc, requests.exceptions.SSLError):
        if sent:
            return TransportError(f"TLS error after the request was sent ({tls_detail(exc)})", True, "broken")
        return TransportError(f"TLS handshake failed ({tls_detail(exc)})", False, "tls")
    text = str(exc)
    for needle, said in (("Name or service not known", "DNS lookup failed"),
                         ("nodename nor servname", "DNS lookup failed"),
                         ("Failed to resolve", "DNS lookup failed"), ("Connection refused", "connection refused"),
                         ("Connection reset", "connection reset"), ("RemoteDisconnected", "connection closed")):
        if needle in text:
            return TransportError(said + ("" if not sent else " after the request was sent"), sent,
                                  "broken" if sent else "connect")
    return TransportError(f"{type(exc).__name__}: {excerpt(text, 160)}", sent, "broken" if sent else "connect")


def next_step(tag, base, config):
    """What a person does about one base URL's failure."""
    used, source = proxy_for(config, base)
    proxy = f"the proxy {shown_proxy(used)} ({source})" if used else None
    steps = {
        "tls": "the TLS handshake is blocked on this network: try --proxy http://127.0.0.1:7890 (your local proxy), "
               "or run `doctor` to find one",
        "connect": f"check {proxy} or the network" if proxy else "check the network, or try --proxy; `doctor` "
                   "shows where it fails",
        "proxy": f"{proxy or 'the proxy'} is not answering: start it, or fix --proxy / SMSONLINE_PROXY",
        "slow": f"no answer through {proxy}: the proxy, or the site behind it, is hanging; check the proxy (or try "
                "without it)" if proxy else "the site is slow or hanging: try again later, or another base URL",
        "broken": "the connection broke mid-answer: try again; `doctor` shows where it fails",
        "auth": f"keys are per site: set {site_key_variable(base)} to this site's own key (run `doctor`)",
        "no_key": f"set {site_key_variable(base)} or SMSONLINE_API_KEY",
        "no_operation": "another site, whose protocol has it, may do it",
        "html": "something other than the API answered (a block page or captive portal): try --proxy, or run `doctor`",
        "moved": "set --base-url or SMSONLINE_BASE_URLS to the new address once you know it is the platform's own",
        "no_list": "the site has no such list: give the site's own code (see its API page)",
    }
    return steps.get(tag, "-v shows the answer; try again later")


def read_capped(response):
    """The body, read as a stream and abandoned past MAX_ANSWER_BYTES."""
    declared = response.headers.get("Content-Length", "")
    too_large = Failure("api", f"the answer is larger than {MAX_ANSWER_BYTES // 1024} KiB, which no platform answer "
                               "should be: abandoned unread", reason="too_large")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise too_large
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise too_large
    return bytes(body)


# ----------------------------------------------------------------------------- the API

class Api:
    """The platforms' operations over one Session, with fallback from site to site (base URLs, each speaking its
    protocol: platform.protocol_of)."""

    def __init__(self, config, store, log, clock=time.monotonic, tracer=None):
        self.config, self.store, self.log, self.clock, self.tracer = config, store, log, clock, tracer
        self.session, self.adapter = build_session(config)
        self.stop_at = None  # when set (monotonic), no exchange may run past it

    def bases_in_order(self):
        return self.store.in_order(self.config.base_urls)

    def call(self, op, params, *, bases=None, cap=None, **context):
        """One operation -> (its result, base URL). A base that fails in transport, refuses the key or answers
        unreadably hands over to the next, except after a purchase may have reached it; the error names every base,
        what happened there and what to do. context (order, code_regex, seen) goes to the protocol's reader."""
        attempts, answered, buying = [], None, kind_of(op) is Kind.BUY
        for base in bases or self.bases_in_order():
            host, module = urlsplit(protocol_of(base)[1]).netloc, module_for(protocol_of(base)[0])
            key = self.config.key_for(base)[0]
            if not module.PROTOCOL.has(op) or not key:
                said = "no API key for this site" if not key else \
                    f"its protocol ({module.PROTOCOL.name}) has no {op.value}"
                attempts.append(attempt(host, said, next_step("no_key" if not key else "no_operation", base,
                                                              self.config)))
                continue
            reply = None
            try:
                reply = self.exchange(base, module, op, params, key, cap)
                result = module.read(op, reply, **context)
            except TransportError as exc:
                attempts.append(attempt(host, exc.said, next_step(exc.tag, base, self.config)))
                self.store.mark_base_failed(base)
                if buying and exc.sent:
                    failure = Failure("network", f"the purchase got no answer after the request was sent ({exc.said}), "
                                      f"so an order may exist: check the website's orders page ({host}) before "
                                      "buying again.", attempts=attempts, reason="uncertain")
                    failure.base = base
                    raise failure from None
                continue
            except Failure as failure:
                attempts.append(attempt(host, failure.message, next_step(failure.reason or failure.kind, base,
                                                                         self.config)))
                failure.attempts, failure.reply, failure.base = attempts, reply, base
                if buying and failure.kind == "api" and failure.reason != "refused":  # unreadable, 5xx, HTML …
                    failure.message += f"; an order may exist: check the website's orders page ({host}) before " \
                                       "buying again."
                    failure.reason = "uncertain"
                    raise
                if buying and reply is not None and purchase_in(reply):
                    raise  # a refusal naming an order: no other base may sell a second number (see purchased())
                if failure.kind == "auth" or failure.kind == "api" and not buying:
                    answered = answered or failure
                    continue
                raise
            self.store.mark_base_ok(base)
            return result, base
        raise all_bases_failed(attempts, answered)

    def exchange(self, base, module, op, params, key, cap=None):
        """One GET, capped in wall-clock time and size -> Reply; TransportError when no answer came."""
        cap = min(cap or self.config.connect_timeout + self.config.read_timeout, self.time_left())
        if cap <= 0.05:
            raise TransportError("no time left before the run's hard stop", False, "slow")
        path, query = module.request(op, params)
        self.adapter.kind, protocol = kind_of(op), module.PROTOCOL
        started = time.monotonic()
        try:
            with WATCHDOG.cap(cap):
                try:
                    response = self.session.get(
                        protocol_of(base)[1] + path, params={**query, **protocol.key_query(key)},
                        headers=protocol.key_headers(key), stream=True,
                        allow_redirects=self.adapter.kind is Kind.READ,  # one intent, one request where money moves
                        hooks={"response": refuse_off_site_redirects},
                        timeout=(min(self.config.connect_timeout, cap), min(self.config.read_timeout, cap)),
                        proxies=proxies_for(self.config, base))
                    with contextlib.closing(response):
                        reply = Reply(response.status_code, response.reason, response.headers.get("Content-Type", ""),
                                      read_capped(response))
                    if WATCHDOG.expired:  # an answer that ends with its connection ends alike when cut at the cap
                        raise cut_at_cap(cap, True)
                except requests.exceptions.RequestException as exc:
                    raise transport_error(exc, WATCHDOG.expired, cap) from None
                except OffSiteRedirect as moved:
                    raise Failure("api", f"moved to {moved.target}: update the base URL (a redirect to another site "
                                  "is not followed: it would carry the key there)", reason="moved") from None
        except (TransportError, Failure) as problem:
            self.traced(base, op, path, query, started, error=problem)
            raise
        self.traced(base, op, path, query, started, reply=reply)
        return reply

    def time_left(self):
        return float("inf") if self.stop_at is None else self.stop_at - self.clock()

    def traced(self, base, op, path, params, started, reply=None, error=None):
        """-v's line and --trace's record of one exchange, named by its operation (platform.Op: the same on every
        protocol, whatever its path says; an sms-activate action, a REST order id), with the path below the base URL
        and the query (the key excluded) that a replay matches requests by."""
        if not (self.log.verbose or self.tracer):
            return  # nothing to show: an ordinary poll decodes nothing twice
        elapsed_ms = round((time.monotonic() - started) * 1000)
        outcome = f"-> {reply.status}" if reply else f"failed: {error}"
        self.log.debug(f"GET {urlsplit(protocol_of(base)[1]).netloc} {op.value} {path or '(base URL)'} "
                       f"{sorted(params.items())} {outcome} in {elapsed_ms} ms")
        decoded = decode(reply) if reply else None  # redacted as decoded, before JSON's escapes
        if decoded and decoded.lossy:
            self.log.debug(f"its bytes (no charset reads them): {ascii(REDACT(reply.body.decode('latin-1')))}")
        if not self.tracer:
            return
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "base": base, "endpoint": op.value, "path": path,
                  "params": {k: str(v) for k, v in params.items()}, "ms": elapsed_ms}
        if reply:
            record.update(status=reply.status, content_type=reply.content_type, charset=decoded.charset,
                          text=REDACT(decoded.text[:Tracer.TEXT_CAP]))
            if decoded.lossy:
                record["bytes"] = REDACT(reply.body.decode("latin-1"))  # one character per byte, for the maintainer
        elif isinstance(error, TransportError):
            record.update(status=None, error={"said": error.said, "sent": error.sent, "tag": error.tag})
        else:
            record.update(status=None, error={"said": error.message, "reason": error.reason})
        self.tracer.write("exchange", record)


def proxies_for(config, base):
    """requests' proxies for one base, every key given (None: none), so that only proxy_for decides, from this run's
    environment: NO_PROXY honoured, the proxy of the base's scheme."""
    proxy = proxy_for(config, base)[0]
    return {"http": proxy, "https": proxy, "all": proxy}


def attempt(host, error, step):
    return {"host": host, "error": error, "next_step": step}


def all_bases_failed(attempts, answered):
    """One failure naming every base URL with what happened there and the next step for each (a request bound to
    one site, as an order's are, just says what happened there)."""
    summary = "; ".join(f"{a['host']}: {a['error']} (next: {a['next_step']})" for a in attempts)
    one_site = len(attempts) == 1
    if answered:
        return Failure(answered.kind, summary if one_site else f"no base URL worked. {summary}", attempts=attempts,
                       reason=answered.reason)
    return Failure("network", f"could not reach {summary}" if one_site else f"no base URL could be reached. {summary}",
                   attempts=attempts)
