#!/usr/bin/env python3
"""A local simulator of the SMSOnline API, for rehearsals and end-to-end tests (standard library only).

It serves the six /api/v1/virtual-number/ endpoints with an apiKey check, a seeded catalogue,
an order state machine (waiting -> received -> finished; waiting -> cancelled/refunded), a balance,
and fault injection. `smsonline_receive_sms.py --sandbox` starts it in a background thread.

Usage:
  python scripts/smsonline_sandbox.py --port 8765
  python scripts/smsonline_sandbox.py --sms-delay 1 --fail-rate 0.3 --fault-endpoints get-sms
  python scripts/smsonline_sandbox.py --invalid-key            # plays smsonline.io refusing a premium key
  python scripts/smsonline_sandbox.py --early-cancel 60 --shape text

Control (no apiKey needed):
  GET /sandbox/deliver?id=ORDER&text=...   delivers an SMS to an order now
  GET /sandbox/state                       orders, balance, calls and connection count
"""
from __future__ import annotations

import argparse
import json
import random
import shlex
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DEFAULT_KEY = "test-key-sandbox"
PREFIX = "/api/v1/virtual-number/"
COUNTRIES = [(1, "China", "中国", "+86138"), (2, "United States", "美国", "+1202"), (3, "United Kingdom", "英国", "+4477"),
             (4, "Indonesia", "印度尼西亚", "+62812"), (5, "Russia", "俄罗斯", "+7916")]
SERVICES = [(101, "Soul"), (102, "bilibili"), (103, "WhatsApp"), (104, "WeChat"), (105, "Telegram"),
            (199, "Silent Test Service")]  # 199 never receives an SMS
SILENT_SERVICE = 199
OPERATORS = [(11, "Mobile", 1.0, 120), (12, "Unicom", 0.7, 0), (13, "Telecom", 0.85, 45)]  # 12: cheapest, no stock
BASE_PRICE = {1: 0.35, 2: 0.5, 3: 0.6, 4: 0.2, 5: 0.25}
SMS_TEMPLATES = {
    101: "【Soul】您的验证码是{code}，5分钟内有效。订单20261128请勿泄露给他人。",
    102: "【哔哩哔哩】{code}为您的登录验证码，请于5分钟内填写。如非本人操作请忽略，客服95017。",
    103: "Your WhatsApp code: {dashed}\nDon't share this code with others. Ref 2026 4sgLq1p5sV6",
    104: "【腾讯科技】验证码 {code}，用于微信注册，15分钟内有效。尾号8848的手机号勿转发。",
    105: "Telegram code: {code}. You can also tap on this link to log in: t.me/login/{code}",
}
STATUS_NAMES = {3: "finished", 4: "cancelled", 5: "refunded"}


class Refused(Exception):
    """A platform-level refusal: (token, message, HTTP status)."""

    def __init__(self, token, message, http_status=200):
        super().__init__(message)
        self.token, self.message, self.http_status = token, message, http_status


class Platform:
    """The simulated account: catalogue, orders and balance; thread-safe, optionally persisted to a file."""

    def __init__(self, api_key=DEFAULT_KEY, balance=100.0, sms_delay=3.0, early_cancel=0.0, state_file=None,
                 now=time.time):
        self.api_key, self.sms_delay, self.early_cancel = api_key, sms_delay, early_cancel
        self.state_file, self.now = Path(state_file) if state_file else None, now
        self.lock = threading.Lock()
        self.balance, self.orders, self.next_id = balance, {}, 500001
        self.calls, self.connections = [], 0
        if self.state_file and self.state_file.is_file():
            saved = json.loads(self.state_file.read_text(encoding="utf-8"))
            self.balance, self.next_id = saved["balance"], saved["next_id"]
            self.orders = {int(k): v for k, v in saved["orders"].items()}

    def save(self):
        if self.state_file:
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"balance": self.balance, "next_id": self.next_id, "orders": self.orders}),
                           encoding="utf-8")
            tmp.replace(self.state_file)

    # catalogue
    def countries(self):
        return [{"countryId": cid, "name": name, "chn": chn} for cid, name, chn, _ in COUNTRIES]

    def services(self):
        return [{"serviceId": sid, "name": name} for sid, name in SERVICES]

    def products(self, country_id, service_id):
        country, _ = self.lookup(country_id, service_id)
        base = BASE_PRICE[country[0]] * (1.5 if service_id == 103 else 1.0)
        return [{"operatorId": oid, "name": f"{country[1]} {name}", "price": round(base * factor, 2), "count": stock}
                for oid, name, factor, stock in OPERATORS]

    def lookup(self, country_id, service_id):
        country = next((c for c in COUNTRIES if str(c[0]) == str(country_id)), None)
        service = next((s for s in SERVICES if str(s[0]) == str(service_id)), None)
        if not country or not service:
            raise Refused("BAD_SERVICE", "unknown countryId or serviceId")
        return country, service

    # orders
    def buy(self, country_id, service_id, operator_id, test=False):
        with self.lock:
            country, service = self.lookup(country_id, service_id)
            product = next((p for p in self.products(country_id, service_id) if str(p["operatorId"]) == str(operator_id)),
                           None)
            if product is None or product["count"] <= 0:
                raise Refused("NO_NUMBERS", "No numbers available for this operator")
            price = product["price"]
            if not test and self.balance < price:
                raise Refused("NO_BALANCE", "Insufficient balance")
            order_id, self.next_id = self.next_id, self.next_id + 1
            now = self.now()
            self.orders[order_id] = {
                "id": order_id, "number": f"{country[3]}{order_id % 100000:05d}{random.randint(100, 999)}",
                "service_id": service[0], "price": price, "test": bool(test), "state": "waiting",
                "bought_at": now, "sms_at": None if service[0] == SILENT_SERVICE else now + self.sms_delay,
                "sms": None, "code": None, "charged": 0.0 if test else price,
            }
            self.balance = round(self.balance - self.orders[order_id]["charged"], 4)
            self.save()
            return dict(self.orders[order_id])

    def order(self, order_id):
        try:
            return self.orders[int(order_id)]
        except (KeyError, ValueError, TypeError):
            raise Refused("NO_ACTIVATION", "Order not found") from None

    def read_sms(self, order_id):
        with self.lock:
            order = self.order(order_id)
            if order["state"] == "waiting" and order["sms_at"] is not None and self.now() >= order["sms_at"]:
                self.land_sms(order, None)
            return dict(order)

    def land_sms(self, order, text):
        code = f"{random.randint(100000, 999999)}"
        template = SMS_TEMPLATES.get(order["service_id"], "Your code is {code}")
        order["sms"] = text or template.format(code=code, dashed=f"{code[:3]}-{code[3:]}")
        order["code"] = None if text else code  # what the text shape answers as STATUS_OK:code
        order["state"] = "received"
        self.save()

    def deliver(self, order_id, text=None):
        with self.lock:
            order = self.order(order_id)
            if order["state"] in ("waiting", "received"):
                self.land_sms(order, text)
            return dict(order)

    def change_status(self, order_id, status):
        with self.lock:
            order = self.order(order_id)
            target = STATUS_NAMES.get(int(status)) if str(status).isdigit() else None
            if target is None:
                raise Refused("BAD_STATUS", "status must be 3, 4 or 5")
            if order["state"] == target:
                return dict(order)  # repeated status changes are idempotent
            if order["state"] not in ("waiting", "received"):
                raise Refused("BAD_STATUS", f"order is already {order['state']}")
            if target == "finished" and order["state"] != "received":
                raise Refused("BAD_STATUS", "cannot finish an order that has not received an SMS")
            if target == "cancelled" and self.now() - order["bought_at"] < self.early_cancel:
                raise Refused("EARLY_CANCEL_DENIED", "Too early to cancel, wait before cancelling")
            if target in ("cancelled", "refunded"):
                self.balance = round(self.balance + order["charged"], 4)
                order["charged"] = 0.0
            order["state"] = target
            self.save()
            return dict(order)

    def snapshot(self):
        with self.lock:
            return {"balance": self.balance, "orders": [dict(o) for o in self.orders.values()],
                    "calls": list(self.calls), "connections": self.connections}


class Faults:
    """What the sandbox gets wrong on purpose."""

    def __init__(self, latency=0.0, fail_rate=0.0, non_json_rate=0.0, endpoints=None, invalid_key=False, seed=None):
        self.latency, self.fail_rate, self.non_json_rate = latency, fail_rate, non_json_rate
        self.endpoints, self.invalid_key = set(endpoints or ()), invalid_key
        self.random = random.Random(seed)

    def applies(self, endpoint):
        return not self.endpoints or endpoint in self.endpoints

    def roll(self, rate):
        return rate > 0 and self.random.random() < rate


# response shapes -----------------------------------------------------------------

def primary_ok(endpoint, payload):
    """The primary shape gives the SMS text only: the client must find the code, as on the real platform."""
    return {"status": 1, "message": "OK", "data": {k: v for k, v in payload.items() if k != "code"}
            if isinstance(payload, dict) else payload}


def flat_ok(endpoint, payload):
    if endpoint in ("get-countries", "get-services", "get-products"):
        key = {"get-countries": "countries", "get-services": "services", "get-products": "operators"}[endpoint]
        keyed = {}
        for item in payload:
            item = dict(item)
            item_id = item.pop("countryId", None) or item.pop("serviceId", None) or item.pop("operatorId")
            if "price" in item:
                item["cost"], item["stock"] = item.pop("price"), item.pop("count")
            if endpoint == "get-countries":
                item["eng"] = item.pop("name")
            keyed[str(item_id)] = item
        return {"success": True, key: keyed}
    if endpoint == "buy-service":
        return {"success": True, "activationId": str(payload["orderId"]), "phoneNumber": payload["number"].lstrip("+"),
                "cost": payload["price"]}
    if endpoint == "get-sms":
        messages = [{"text": payload["sms"], "smsCode": payload["code"]}] if payload["sms"] else []
        return {"success": True, "state": payload["status"], "sms": messages}
    return {"success": True, "state": payload["status"]}


def text_ok(endpoint, payload):
    if endpoint in ("get-countries", "get-services", "get-products"):
        return payload  # sms-activate also answers lists in JSON
    if endpoint == "buy-service":
        return f"ACCESS_NUMBER:{payload['orderId']}:{payload['number'].lstrip('+')}"
    if endpoint == "get-sms":
        if payload["sms"]:
            return f"STATUS_OK:{payload['code'] or payload['sms']}"
        return "STATUS_CANCEL" if payload["status"] in ("cancelled", "refunded") else "STATUS_WAIT_CODE"
    return {"finished": "ACCESS_ACTIVATION", "cancelled": "ACCESS_CANCEL", "refunded": "ACCESS_CANCEL"}[payload["status"]]


SHAPES = {"primary": primary_ok, "flat": flat_ok, "text": text_ok}


def refusal_body(shape, refused):
    if shape == "text":
        return refused.token
    if shape == "flat":
        return {"success": False, "errorMessage": f"{refused.token}: {refused.message}"}
    return {"status": -1, "message": refused.message, "error": refused.token}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a run's polls share one connection
    server_version = "SMSOnlineSandbox/1.0"

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
        if url.path.startswith("/sandbox/"):
            return self.control(url.path, params)
        endpoint = url.path[len(PREFIX):] if url.path.startswith(PREFIX) else None
        platform, faults = self.server.platform, self.server.faults
        record = {"endpoint": endpoint or url.path, "params": {k: v for k, v in params.items() if k != "apiKey"},
                  "t": time.monotonic(), "wall": time.time()}
        with platform.lock:
            platform.calls.append(record)
        if faults.latency:
            time.sleep(faults.latency)
        if endpoint not in ENDPOINTS:
            record["status"] = 404
            return self.send(404, {"status": -1, "message": "unknown endpoint"})
        if faults.applies(endpoint) and faults.roll(faults.fail_rate):
            record["status"] = 503
            return self.send(503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
        if faults.applies(endpoint) and faults.roll(faults.non_json_rate):
            record["status"] = 200
            return self.send(200, "<html><body>Cloudflare: checking your browser…</body></html>")
        shape = self.server.shape
        try:
            if faults.invalid_key or params.get("apiKey") != platform.api_key:
                raise Refused("BAD_KEY", "Invalid API key", 401 if shape == "primary" else 200)
            payload = ENDPOINTS[endpoint](platform, params)
        except Refused as refused:
            record["status"], record["refused"] = refused.http_status, refused.token
            return self.send(refused.http_status, refusal_body(shape, refused))
        except Exception as exc:  # a sandbox bug answers 500, never a traceback on the client's terminal
            record["status"] = 500
            return self.send(500, {"status": -1, "message": f"sandbox error: {type(exc).__name__}: {exc}"})
        record["status"] = 200
        self.send(200, SHAPES[shape](endpoint, payload))

    def control(self, path, params):
        platform = self.server.platform
        try:
            if path == "/sandbox/deliver":
                return self.send(200, platform.deliver(params.get("id"), params.get("text")))
            if path == "/sandbox/state":
                return self.send(200, platform.snapshot())
        except Refused as refused:
            return self.send(404, {"error": refused.message})
        self.send(404, {"error": "unknown control path"})

    def send(self, status, body):
        data = (body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def order_payload(order, *fields):
    return {"orderId": order["id"], **{name: order[name] for name in fields}, "status": order["state"]}


ENDPOINTS = {
    "get-countries": lambda p, q: p.countries(),
    "get-services": lambda p, q: p.services(),
    "get-products": lambda p, q: p.products(q.get("countryId"), q.get("serviceId")),
    "buy-service": lambda p, q: order_payload(p.buy(q.get("countryId"), q.get("serviceId"), q.get("operatorId"),
                                                    q.get("test") == "1"), "number", "price", "test"),
    "get-sms": lambda p, q: order_payload(p.read_sms(q.get("id")), "sms", "code"),
    "change-status": lambda p, q: order_payload(p.change_status(q.get("id"), q.get("status"))),
}


class Sandbox(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, platform, faults, shape="primary", host="127.0.0.1", port=0):
        super().__init__((host, port), Handler)
        self.platform, self.faults, self.shape = platform, faults, shape
        self.thread = None

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/api/v1"

    def start_background(self):
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def handle_error(self, request, client_address):
        """Quiet: a client hanging up mid-answer is normal here, and tracebacks would reach the script's stderr."""

    def stop(self):
        self.shutdown()
        self.server_close()


def build_parser():
    parser = argparse.ArgumentParser(prog="smsonline_sandbox.py", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__[__doc__.index("Usage:"):],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_KEY)
    parser.add_argument("--balance", type=float, default=100.0)
    parser.add_argument("--sms-delay", type=float, default=3.0, help="seconds from purchase to SMS (default 3)")
    parser.add_argument("--early-cancel", type=float, default=0.0, help="refuse cancels for this many seconds")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="fraction of answers that are HTTP 503")
    parser.add_argument("--non-json-rate", type=float, default=0.0, help="fraction of answers that are HTML")
    parser.add_argument("--fault-endpoints", default="", help="comma list the faults apply to (default all)")
    parser.add_argument("--invalid-key", action="store_true", help="refuse every key, as smsonline.io does")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="primary", help="response shape (default primary)")
    parser.add_argument("--seed", type=int, help="seed for the fault dice")
    parser.add_argument("--state-file", help="persist orders and balance here")
    return parser


def build(options, **overrides):
    """A Sandbox from parsed options; overrides win."""
    settings = {**vars(options), **{k: v for k, v in overrides.items() if v is not None}}
    platform = Platform(api_key=settings["api_key"], balance=settings["balance"], sms_delay=settings["sms_delay"],
                        early_cancel=settings["early_cancel"], state_file=settings["state_file"])
    faults = Faults(settings["latency"], settings["fail_rate"], settings["non_json_rate"],
                    [e for e in settings["fault_endpoints"].split(",") if e], settings["invalid_key"], settings["seed"])
    return Sandbox(platform, faults, settings["shape"], settings["host"], settings["port"])


def start(api_key=None, state_file=None, options="", port=None):
    """Start a sandbox in a background thread; `options` takes the command-line flags as one string."""
    parsed = build_parser().parse_args(shlex.split(options))
    return build(parsed, api_key=api_key, state_file=str(state_file) if state_file else None, port=port)\
        .start_background()


def main(argv=None):
    sandbox = build(build_parser().parse_args(argv))
    print(json.dumps({"base_url": sandbox.base_url, "api_key": sandbox.platform.api_key}), flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.server_close()


if __name__ == "__main__":
    main()
