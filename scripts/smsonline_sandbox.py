#!/usr/bin/env python3
"""A local simulator of the SMSOnline API, for rehearsals and end-to-end tests (standard library only).

It serves the six /api/v1/virtual-number/ endpoints with an apiKey check, a seeded catalogue,
an order state machine (waiting -> received -> finished; waiting -> cancelled/refunded/closed), a balance,
fault injection, five response shapes, and failing "fronts" placed before it in the base URL list; with
--protocol sms-activate, the same platform speaks sms-activate's /stubs/handler_api.php instead, and with
--protocol 5sim, 5sim's REST API under /v1 (the key as a Bearer header). The protocols are the client's registry's
(smsonline/platform.py): PROTOCOLS holds one class for each, under the same name. This file is the server (faults,
fronts, the command line); the platform is smsonline_sandbox_market.py, and each protocol's speech its own module
(smsonline_sandbox_v1.py, _sms_activate.py, _fivesim.py).
`smsonline_receive_sms.py --sandbox` starts it in a background thread.

Usage:
  python scripts/smsonline_sandbox.py --port 8765
  python scripts/smsonline_sandbox.py --sms-delay 1 --fail-rate 0.3 --fault-endpoints get-sms
  python scripts/smsonline_sandbox.py --invalid-key            # plays smsonline.io refusing a premium key
  python scripts/smsonline_sandbox.py --early-cancel 60 --shape text
  python scripts/smsonline_sandbox.py --refuse-cancel-after-sms --shape coded
  python scripts/smsonline_sandbox.py --close-after 20 --closed-word CANCELED_BY_TIMEOUT   # closes idle orders
  python scripts/smsonline_sandbox.py --close-after 20 --closed-answer http410
  python scripts/smsonline_sandbox.py --trickle 0.5 --fault-endpoints get-sms     # one byte of the body every 0.5 s
  python scripts/smsonline_sandbox.py --oversize 64 --fault-endpoints get-sms     # a 64 MiB JSON answer
  python scripts/smsonline_sandbox.py --nest 100000 --fault-endpoints get-sms     # JSON nested 100000 levels deep
  python scripts/smsonline_sandbox.py --shape nested --sms-delay 5
  python scripts/smsonline_sandbox.py --fronts tls-fail,html-block,other-site     # base URLs that fail, then this one
  python scripts/smsonline_sandbox.py --protocol sms-activate --early-cancel 120   # handler_api.php, RUB-like prices
  python scripts/smsonline_sandbox.py --protocol sms-activate --drop-answer --fault-endpoints getNumber
  python scripts/smsonline_sandbox.py --protocol 5sim --early-cancel 60     # 5sim+http://127.0.0.1:PORT/v1

Control (no apiKey needed):
  GET /sandbox/deliver?id=ORDER&text=...   delivers an SMS to an order now (&code=... : the template with this code)
  GET /sandbox/close?id=ORDER              closes a waiting order now and refunds it, as the platform does on its own
  GET /sandbox/state                       orders, balance, calls and connection count
"""
from __future__ import annotations

import argparse
import json
import random
import shlex
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from smsonline_sandbox_fivesim import FiveSim
from smsonline_sandbox_market import CLOSED_ANSWERS, DEFAULT_KEY, OPERATORS, SERVICE_NAME, Platform, Refused
from smsonline_sandbox_sms_activate import SA_OPERATORS, SA_SERVICES, SmsActivate
from smsonline_sandbox_v1 import SHAPES, SmsOnlineV1


class Faults:
    """What the sandbox gets wrong on purpose."""

    def __init__(self, latency=0.0, fail_rate=0.0, non_json_rate=0.0, endpoints=None, invalid_key=False, seed=None,
                 trickle=0.0, oversize=0.0, nest=0, drop_answer=False):
        self.latency, self.fail_rate, self.non_json_rate = latency, fail_rate, non_json_rate
        self.endpoints, self.invalid_key = set(endpoints or ()), invalid_key
        self.trickle, self.oversize, self.nest, self.drop_answer = trickle, oversize, nest, drop_answer
        self.random = random.Random(seed)

    def applies(self, endpoint):
        return not self.endpoints or endpoint in self.endpoints

    def roll(self, rate):
        return rate > 0 and self.random.random() < rate

    def body_override(self):
        """(chunks, length) replacing the answer's body under --oversize or --nest, else None."""
        if self.oversize:
            return oversize_chunks(max(int(self.oversize * MIB), len(OVERSIZE_HEAD) + len(OVERSIZE_TAIL)))
        if self.nest:
            nested = b'{"data":' * self.nest + b"null" + b"}" * self.nest
            return [nested], len(nested)
        return None


MIB = 1024 * 1024
OVERSIZE_HEAD, OVERSIZE_TAIL = b'{"status":1,"data":{"sms":"', b'"}}'


def oversize_chunks(length, chunk=64 * 1024):
    """A valid JSON document of exactly `length` bytes, an SMS of x's, generated in chunks: (chunks, length)."""
    def chunks():
        yield OVERSIZE_HEAD
        block, left = b"x" * chunk, length - len(OVERSIZE_HEAD) - len(OVERSIZE_TAIL)
        while left > 0:
            yield block[:left]
            left -= chunk
        yield OVERSIZE_TAIL
    return chunks(), length



class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a run's polls share one connection
    server_version = "SMSOnlineSandbox/1.0"
    faulty = False  # whether this request's endpoint is one the faults apply to

    def log_message(self, *_):  # quiet: the call record says what happened
        pass

    def setup(self):
        super().setup()
        # headers and body go out as two writes: without this, Nagle meets the client's delayed ACK (+40 ms)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.platform.lock:
            self.server.platform.connections += 1

    def do_GET(self):
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.faulty = False
        if url.path.startswith("/sandbox/"):
            return self.control(url.path, params)
        platform, faults, api = self.server.platform, self.server.faults, self.server.api
        endpoint = api.endpoint(url.path, params)
        record = {"endpoint": endpoint or url.path, "params": {k: v for k, v in params.items() if k != api.key_param},
                  "t": time.monotonic(), "wall": time.time()}
        with platform.lock:
            platform.calls.append(record)
        if faults.latency:
            time.sleep(faults.latency)
        if not api.serves(endpoint):
            record["status"] = 404
            return self.send(404, {"status": -1, "message": "unknown endpoint"})
        self.faulty = faults.applies(endpoint)
        if self.faulty and faults.roll(faults.fail_rate):
            record["status"] = 503
            return self.send(503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
        if self.faulty and faults.roll(faults.non_json_rate):
            record["status"] = 200
            return self.send(200, "<html><body>Cloudflare: checking your browser…</body></html>")
        try:
            if faults.invalid_key or api.key_in(self.headers, params) != platform.api_key:
                raise Refused("BAD_KEY", "Invalid API key", api.bad_key_status)
            body = api.serve(platform, endpoint, params)
        except Refused as refused:
            status = api.refusal_status(refused)
            record["status"], record["refused"] = status, refused.token
            return self.answer(status, refused.body if refused.body is not None else api.refusal(refused))
        except Exception as exc:  # a sandbox bug answers 500, never a traceback on the client's terminal
            record["status"] = 500
            return self.send(500, {"status": -1, "message": f"sandbox error: {type(exc).__name__}: {exc}"})
        record["status"] = 200
        self.answer(200, body)

    def control(self, path, params):
        platform = self.server.platform
        try:
            if path == "/sandbox/deliver":
                return self.send(200, platform.deliver(params.get("id"), params.get("text"), params.get("code")))
            if path == "/sandbox/close":
                return self.send(200, platform.close(params.get("id")))
            if path == "/sandbox/state":
                return self.send(200, platform.snapshot())
        except Refused as refused:
            return self.send(404, {"error": refused.message})
        self.send(404, {"error": "unknown control path"})

    def answer(self, status, body):
        """The platform's answer, unless --oversize or --nest replace it, or --drop-answer closes the connection
        without any (after the request took effect)."""
        if self.faulty and self.server.faults.drop_answer:
            self.close_connection = True
            return None
        override = self.server.faults.body_override() if self.faulty else None
        if override is None:
            return self.send(status, body)
        self.send_bytes(200, "application/json", *override)

    def send(self, status, body):
        data = (body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)).encode("utf-8")
        content_type = "text/plain; charset=utf-8" if isinstance(body, str) else "application/json"
        self.send_bytes(status, content_type, [data], len(data))

    def send_bytes(self, status, content_type, chunks, length):
        """Headers at once, then the body, under --trickle one byte at a time; a client hanging up stops the writes
        with an OSError, which ends the connection quietly (Listener.handle_error)."""
        trickle = self.server.faults.trickle if self.faulty else 0
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        for chunk in chunks:
            if trickle:
                self.write_slowly(chunk, trickle)
            else:
                self.wfile.write(chunk)

    def write_slowly(self, chunk, every):
        for byte in chunk:
            time.sleep(every)
            self.wfile.write(bytes([byte]))



PROTOCOLS = {"smsonline-v1": lambda settings: SmsOnlineV1(settings["shape"]),
             "sms-activate": lambda settings: SmsActivate(settings["countries_form"]),
             "5sim": lambda settings: FiveSim()}  # by the registry's names: a test holds them equal


class Listener(ThreadingHTTPServer):
    """A quiet loopback server, served from a daemon thread; counts the connections it accepts."""
    daemon_threads = True
    scheme = "http"

    def __init__(self, handler, host="127.0.0.1", port=0, api=None):
        super().__init__((host, port), handler)
        self.thread, self.connections, self.speaks = None, 0, api or SmsOnlineV1()

    @property
    def root_url(self):
        """Scheme, host and port: where the /sandbox/ control paths are."""
        host, port = self.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    @property
    def base_url(self):
        """Where the client is pointed: the protocol's path, and its prefix where the registry needs one."""
        url = self.root_url + self.speaks.base_path
        return self.speaks.prefix_for(url) + url

    def start_background(self):
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def process_request(self, request, client_address):
        self.connections += 1
        super().process_request(request, client_address)

    def handle_error(self, request, client_address):
        """Quiet: a client hanging up mid-answer is normal here, and tracebacks would reach the script's stderr."""

    def stop(self):
        if self.thread:
            self.shutdown()
        self.server_close()


class Sandbox(Listener):
    """The simulated platform, speaking `api` (SMSOnline v1 in `shape` by default); its fronts (failing base URLs)
    come before it in `base_urls`."""

    def __init__(self, platform, faults, shape="primary", host="127.0.0.1", port=0, fronts=(), api=None):
        self.platform, self.faults, self.shape, self.fronts = platform, faults, shape, list(fronts)
        self.api = api or SmsOnlineV1(shape)
        # after: a port in use closes the server, which stops the fronts
        super().__init__(Handler, host, port, self.api)

    @property
    def base_urls(self):
        return [front.base_url for front in self.fronts] + [self.base_url]

    def service_actions(self):
        """Between requests: the platform closes the orders that waited too long (--close-after)."""
        self.platform.close_due()

    def server_close(self):
        super().server_close()
        for front in self.fronts:
            front.stop()


class NotTls(socketserver.BaseRequestHandler):
    """Reads the ClientHello and answers plain HTTP, as a TLS-intercepting network does to premium.smsonline.cloud."""

    def handle(self):
        self.request.settimeout(5)
        try:
            self.request.recv(65536)
            self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass


class TlsFailFront(Listener):
    """An https:// base URL whose TLS handshake always fails."""
    scheme = "https"

    def __init__(self, host="127.0.0.1", api=None):
        super().__init__(NotTls, host, api=api)


BLOCK_PAGE = ("<!DOCTYPE html><html><head><title>Access denied</title></head><body><h1>Access denied</h1>"
              "<p>Sorry, this site is blocked by your network administrator.</p></body></html>").encode()


class BlockPage(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BLOCK_PAGE)))
        self.end_headers()
        self.wfile.write(BLOCK_PAGE)


class HtmlBlockFront(Listener):
    """A base URL answering every request with HTTP 200 and a captive-portal block page."""

    def __init__(self, host="127.0.0.1", api=None):
        super().__init__(BlockPage, host, api=api)


def other_site(settings):
    """A second, independent platform accepting only its own key, as smsonline.io refuses a premium key."""
    api = speaking(settings)
    platform = Platform(api_key=settings["other_site_key"], balance=100.0 * api.price_scale,
                        sms_delay=settings["sms_delay"], price_scale=api.price_scale)
    return Sandbox(platform, Faults(), settings["shape"], settings["host"], api=api)


def speaking(settings):
    """The protocol the settings name, ready to serve."""
    return PROTOCOLS[settings["protocol"]](settings)


FRONTS = {"tls-fail": lambda settings: TlsFailFront(settings["host"], speaking(settings)),
          "html-block": lambda settings: HtmlBlockFront(settings["host"], speaking(settings)),
          "other-site": other_site}


def names(text):
    return [name.strip() for name in text.split(",") if name.strip()]


def front_list(text):
    """argparse type of --fronts: checks the names, keeps the text (build() splits it, as overrides are text too)."""
    unknown = [name for name in names(text) if name not in FRONTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown front {unknown[0]!r} (choose from {', '.join(FRONTS)})")
    return text


def service_ids(text):
    """The catalogue's service ids for a comma list of ids or sms-activate codes; ValueError for an unknown one."""
    ids = [SA_SERVICES.get(name) or int(name) for name in names(text)]
    unknown = [name for name, sid in zip(names(text), ids) if sid not in SERVICE_NAME]
    if unknown:
        raise ValueError(unknown[0])
    return ids


def service_list(text):
    """argparse type of --out-of-stock: checks the services, keeps the text."""
    try:
        service_ids(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"unknown service in {text!r}") from None
    return text


def operator_values(text):
    """--delivery / --operator-delay: "13=0.2,11=0.9" (operator ids, or sms-activate names like telecom=0.2) ->
    {operator id: number}; argparse's type, so a wrong list is a usage error."""
    values = {}
    for entry in names(text):
        operator, _, value = entry.partition("=")
        operator_id = SA_OPERATORS.get(operator.strip()) or (int(operator) if operator.strip().isdigit() else None)
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if operator_id not in {o[0] for o in OPERATORS} or not number >= 0:
            raise argparse.ArgumentTypeError(f"{entry!r}: give OPERATOR=NUMBER, operators {', '.join(SA_OPERATORS)} "
                                             "or 11, 12, 13")
        values[operator_id] = number
    return values


def build_parser():
    parser = argparse.ArgumentParser(prog="smsonline_sandbox.py", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__[__doc__.index("Usage:"):],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_KEY)
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS), default="smsonline-v1",
                        help="the API spoken: SMSOnline v1 (default), sms-activate's handler_api.php or 5sim's REST "
                        "API")
    parser.add_argument("--countries-form", choices=("map", "list"), default="map",
                        help="sms-activate getCountries as a map by id (default) or a list, as some clones answer")
    parser.add_argument("--balance", type=float, help="starting balance (default 100, 5000 with sms-activate)")
    parser.add_argument("--out-of-stock", type=service_list, default="", metavar="LIST",
                        help="comma list of services (ids or sms-activate codes) with no numbers left")
    parser.add_argument("--sms-delay", type=float, default=3.0, help="seconds from purchase to SMS (default 3)")
    parser.add_argument("--delivery", type=operator_values, default={}, metavar="OP=SHARE,…",
                        help="a market: the share (0-1) of each operator's orders whose SMS ever comes, e.g. "
                        "13=0.2,11=0.9 (default 1; the dice follow --seed)")
    parser.add_argument("--operator-delay", type=operator_values, default={}, metavar="OP=S,…",
                        help="seconds from purchase to SMS per operator, e.g. 13=2,11=1 (default --sms-delay)")
    parser.add_argument("--early-cancel", type=float, default=0.0, help="refuse cancels for this many seconds")
    parser.add_argument("--refuse-cancel-after-sms", action="store_true",
                        help="refuse to cancel an order once its SMS has landed (BAD_STATUS); finishing still works")
    parser.add_argument("--resend", type=float, default=0.0, metavar="S",
                        help="after an SMS lands, a new one (new code) every S s, as when a site resends (0: never)")
    parser.add_argument("--close-after", type=float, default=0.0, metavar="S",
                        help="the platform closes a waiting order S seconds after purchase and refunds it (0: never)")
    parser.add_argument("--closed-answer", choices=CLOSED_ANSWERS, default="state",
                        help="how get-sms reports a closed order (default state)")
    parser.add_argument("--closed-word", default="cancelled",
                        help="the order state get-sms shows for a closed order with --closed-answer state")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="fraction of answers that are HTTP 503")
    parser.add_argument("--non-json-rate", type=float, default=0.0, help="fraction of answers that are HTML")
    parser.add_argument("--fault-endpoints", default="", help="comma list the faults apply to (default all)")
    parser.add_argument("--trickle", type=float, default=0.0, metavar="S", help="send answer bodies one byte every S s")
    parser.add_argument("--oversize", type=float, default=0.0, metavar="MIB", help="answer a valid JSON of MIB MiB")
    parser.add_argument("--nest", type=int, default=0, metavar="N", help="answer a valid JSON nested N levels deep")
    parser.add_argument("--drop-answer", action="store_true",
                        help="the request takes effect, then the connection closes without an answer")
    parser.add_argument("--invalid-key", action="store_true", help="refuse every key, as smsonline.io does")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="primary", help="response shape (default primary)")
    parser.add_argument("--fronts", type=front_list, default="", metavar="LIST",
                        help=f"comma list of failing base URLs served before this one: {', '.join(FRONTS)}")
    parser.add_argument("--other-site-key", default="test-key-other-site", help="the key the other-site front accepts")
    parser.add_argument("--seed", type=int, help="seed for the fault dice and the --delivery dice")
    parser.add_argument("--state-file", help="persist orders and balance here")
    return parser


def build(options, **overrides):
    """A Sandbox from parsed options; overrides win."""
    settings = {**vars(options), **{k: v for k, v in overrides.items() if v is not None}}
    api = speaking(settings)
    scale = api.price_scale
    balance = settings["balance"] if settings["balance"] is not None else 100.0 * scale
    platform = Platform(api_key=settings["api_key"], balance=balance, sms_delay=settings["sms_delay"],
                        early_cancel=settings["early_cancel"], state_file=settings["state_file"],
                        refuse_cancel_after_sms=settings["refuse_cancel_after_sms"] or api.refuses_cancel_after_sms,
                        close_after=settings["close_after"], closed_answer=settings["closed_answer"],
                        closed_word=settings["closed_word"], resend=settings["resend"], price_scale=scale,
                        out_of_stock=service_ids(settings["out_of_stock"]), delivery=settings["delivery"],
                        operator_delay=settings["operator_delay"], seed=settings["seed"])
    faults = Faults(settings["latency"], settings["fail_rate"], settings["non_json_rate"],
                    names(settings["fault_endpoints"]), settings["invalid_key"], settings["seed"],
                    settings["trickle"], settings["oversize"], settings["nest"], settings["drop_answer"])
    fronts = [FRONTS[name](settings).start_background() for name in names(settings["fronts"])]
    return Sandbox(platform, faults, settings["shape"], settings["host"], settings["port"], fronts, api)


def start(api_key=None, state_file=None, options="", port=None):
    """Start a sandbox in a background thread; `options` takes the command-line flags as one string."""
    parsed = build_parser().parse_args(shlex.split(options))
    return build(parsed, api_key=api_key, state_file=str(state_file) if state_file else None, port=port)\
        .start_background()


def main(argv=None):
    sandbox = build(build_parser().parse_args(argv))
    urls = {"base_url": sandbox.base_url, "base_urls": sandbox.base_urls}
    print(json.dumps({**urls, "api_key": sandbox.platform.api_key}), flush=True)
    try:
        sandbox.serve_forever(poll_interval=0.05)  # also how often --close-after is checked between requests
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.server_close()


if __name__ == "__main__":
    main()
