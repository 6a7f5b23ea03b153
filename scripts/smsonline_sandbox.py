#!/usr/bin/env python3
"""A local simulator of the SMSOnline API, for rehearsals and end-to-end tests (standard library only).

It serves the six /api/v1/virtual-number/ endpoints with an apiKey check, a seeded catalogue,
an order state machine (waiting -> received -> finished; waiting -> cancelled/refunded/closed), a balance,
fault injection, five response shapes, and failing "fronts" placed before it in the base URL list; with
--protocol sms-activate, the same platform speaks sms-activate's /stubs/handler_api.php instead, and with
--protocol 5sim, 5sim's REST API under /v1 (the key as a Bearer header). The protocols are the client's registry's
(smsonline/platform.py): PROTOCOLS holds one class for each, under the same name.
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
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from smsonline import platform as registry  # the protocols' registry: standard library only, nothing else imported

DEFAULT_KEY = "test-key-sandbox"
PREFIX = "/api/v1/virtual-number/"
# id, names, number prefix, digits in the whole number: mobile ranges valid by libphonenumber's rules
COUNTRIES = [(1, "China", "中国", "+86138", 13), (2, "United States", "美国", "+12023", 11),
             (3, "United Kingdom", "英国", "+447912", 12), (4, "Indonesia", "印度尼西亚", "+62812", 13),
             (5, "Russia", "俄罗斯", "+7916", 11)]
SERVICES = [(101, "Soul"), (102, "bilibili"), (103, "WhatsApp"), (104, "WeChat"), (105, "Telegram"),
            (198, "No-Code Test Service"), (199, "Silent Test Service")]  # 198: an SMS with no code; 199: none
SILENT_SERVICE, NO_CODE_SERVICE = 199, 198
COUNTRY, SERVICE_NAME = {c[0]: c for c in COUNTRIES}, dict(SERVICES)
OPERATORS = [(11, "Mobile", 1.0, 120), (12, "Unicom", 0.7, 0), (13, "Telecom", 0.85, 45)]  # 12: cheapest, no stock
BASE_PRICE = {1: 0.35, 2: 0.5, 3: 0.6, 4: 0.2, 5: 0.25}
SMS_TEMPLATES = {
    101: "【Soul】您的验证码是{code}，5分钟内有效。订单20261128请勿泄露给他人。",
    102: "【哔哩哔哩】{code}为您的登录验证码，请于5分钟内填写。如非本人操作请忽略，客服95017。",
    103: "Your WhatsApp code: {dashed}\nDon't share this code with others. Ref 2026 4sgLq1p5sV6",
    104: "【腾讯科技】验证码 {code}，用于微信注册，15分钟内有效。尾号8848的手机号勿转发。",
    105: "Telegram code: {code}. You can also tap on this link to log in: t.me/login/{code}",
    NO_CODE_SERVICE: "Welcome to the No-Code Test Service! Your account is ready. Reply STOP to opt out.",
}
STATUS_NAMES = {3: "finished", 4: "cancelled", 5: "refunded"}
CLOSED_HTTP = {"http410": (410, "Order expired"), "http400": (400, "ORDER_CANCELLED")}
CLOSED_ANSWERS = ["state", *CLOSED_HTTP, "not-found"]  # how get-sms reports an order the platform closed


class Refused(Exception):
    """A platform-level refusal: (token, message, HTTP status); a `body` is served as is, whatever the shape."""

    def __init__(self, token, message, http_status=200, body=None):
        super().__init__(message)
        self.token, self.message, self.http_status, self.body = token, message, http_status, body


class Platform:
    """The simulated account: catalogue, orders and balance; thread-safe, optionally persisted to a file."""

    def __init__(self, api_key=DEFAULT_KEY, balance=100.0, sms_delay=3.0, early_cancel=0.0, state_file=None,
                 now=time.time, *, refuse_cancel_after_sms=False, close_after=0.0, closed_answer="state",
                 closed_word="cancelled", resend=0.0, price_scale=1.0, out_of_stock=(), delivery=None,
                 operator_delay=None, seed=None):
        self.api_key, self.sms_delay, self.early_cancel, self.resend = api_key, sms_delay, early_cancel, resend
        # a market: per operator, the share of orders whose SMS ever comes and its delay (dice seeded by --seed)
        self.delivery, self.operator_delay = dict(delivery or {}), dict(operator_delay or {})
        self.dice = random.Random(seed)
        self.price_scale, self.out_of_stock = price_scale, set(out_of_stock)
        self.refuse_cancel_after_sms, self.close_after = refuse_cancel_after_sms, close_after
        self.closed_answer, self.closed_word = closed_answer, closed_word
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
        return [{"countryId": cid, "name": name, "chn": chn} for cid, name, chn, *_ in COUNTRIES]

    def services(self):
        return [{"serviceId": sid, "name": name} for sid, name in SERVICES]

    def products(self, country_id, service_id):
        country, service = self.lookup(country_id, service_id)
        base = BASE_PRICE[country[0]] * (1.5 if service_id == 103 else 1.0)
        stocked = service[0] not in self.out_of_stock
        return [{"operatorId": oid, "name": f"{country[1]} {name}", "price": round(base * factor * self.price_scale, 2),
                 "count": stock if stocked else 0} for oid, name, factor, stock in OPERATORS]

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
            product = next((p for p in self.products(country_id, service_id)
                            if str(p["operatorId"]) == str(operator_id)),
                           None)
            if product is None or product["count"] <= 0:
                raise Refused("NO_NUMBERS", "No numbers available for this operator")
            price = product["price"]
            if not test and self.balance < price:
                raise Refused("NO_BALANCE", "Insufficient balance")
            order_id, self.next_id = self.next_id, self.next_id + 1
            now = self.now()
            self.orders[order_id] = {
                "id": order_id, "number": phone_number(country, order_id),
                "service_id": service[0], "price": price, "test": bool(test), "state": "waiting",
                "operator_id": product["operatorId"], "bought_at": now,
                "sms_at": self.sms_due(service[0], product["operatorId"]),
                "sms": None, "code": None, "charged": 0.0 if test else price,
            }
            self.balance = round(self.balance - self.orders[order_id]["charged"], 4)
            self.save()
            return dict(self.orders[order_id])

    def sms_due(self, service_id, operator_id=None):
        """When an SMS asked for now lands: after the operator's delay (else `sms_delay`); never for the silent
        service, nor for a purchase the operator's `delivery` share leaves without one (decided at purchase)."""
        if service_id == SILENT_SERVICE or self.dice.random() >= self.delivery.get(operator_id, 1.0):
            return None
        return self.now() + self.operator_delay.get(operator_id, self.sms_delay)

    def order(self, order_id):
        try:
            return self.orders[int(order_id)]
        except (KeyError, ValueError, TypeError):
            raise Refused("NO_ACTIVATION", "Order not found") from None

    def read_sms(self, order_id):
        with self.lock:
            order = self.order(order_id)
            self.settle(order)
            return dict(order)

    def get_sms(self, order_id):
        """read_sms as the get-sms endpoint answers it: an order the platform closed per `closed_answer`."""
        order = self.read_sms(order_id)
        if order["state"] != "closed":
            return order
        if self.closed_answer == "not-found":
            raise Refused("NO_ACTIVATION", "Order not found")
        if self.closed_answer in CLOSED_HTTP:
            status, message = CLOSED_HTTP[self.closed_answer]
            raise Refused("ORDER_CLOSED", message, status, body={"status": -1, "message": message})
        return {**order, "state": self.closed_word}

    def settle(self, order):
        """Bring an order up to now: its SMS lands when due, or the platform closes it at `close_after`; with
        `resend`, a received order gets a new SMS (a new code) every `resend` seconds, as when a site resends;
        after `another_sms`, the next SMS lands at its time."""
        now, sms_at = self.now(), order["sms_at"]
        if order["state"] == "received" and order.get("retry") is not None:
            return self.land_sms(order, None) if sms_at is not None and now >= sms_at else None
        if order["state"] == "received" and self.resend and now >= order.get("landed_at", now) + self.resend:
            return self.land_sms(order, None)
        if order["state"] != "waiting":
            return
        closes_at = order["bought_at"] + self.close_after if self.close_after else None
        if sms_at is not None and now >= sms_at and (closes_at is None or sms_at < closes_at):
            self.land_sms(order, None)
        elif closes_at is not None and now >= closes_at:
            self.close_order(order)

    def close_order(self, order):
        self.balance = round(self.balance + order["charged"], 4)
        order["charged"], order["state"] = 0.0, "closed"
        self.save()

    def close(self, order_id):
        """Close a waiting order now, as the platform does by itself (control endpoint)."""
        with self.lock:
            order = self.order(order_id)
            if order["state"] == "waiting":
                self.close_order(order)
            return dict(order)

    def close_due(self):
        """Close every waiting order past `close_after`, without waiting for a request about it."""
        if self.close_after:
            with self.lock:
                for order in self.orders.values():
                    self.settle(order)

    def land_sms(self, order, text, code=None):
        """An SMS lands: the text given, else the service's template around the code given or a random one."""
        template = SMS_TEMPLATES.get(order["service_id"], "Your code is {code}")
        code = code or (None if text or "{code}" not in template else f"{random.randint(100000, 999999)}")
        order["sms"] = text or template.format(code=code, dashed=f"{code[:3]}-{code[3:]}" if code else "")
        order["code"] = code  # what the text shape answers as STATUS_OK:code
        order.setdefault("messages", []).append({"text": order["sms"], "code": code, "at": self.now()})
        order["state"], order["landed_at"], order["retry"] = "received", self.now(), None
        self.save()

    def deliver(self, order_id, text=None, code=None):
        with self.lock:
            order = self.order(order_id)
            self.settle(order)
            if order["state"] in ("waiting", "received"):
                self.land_sms(order, text, code)
            return dict(order)

    def another_sms(self, order_id):
        """Another SMS asked for (sms-activate's status 3): the previous code stays `retry` until the next one lands
        `sms_delay` later; asking again while it is due changes nothing."""
        with self.lock:
            order = self.order(order_id)
            self.settle(order)
            if order["state"] != "received":
                raise Refused("BAD_STATUS", f"no SMS to follow: the order is {order['state']}")
            if order.get("retry") is None:
                order["retry"], order["sms_at"] = order["code"] or order["sms"], self.sms_due(order["service_id"])
                self.save()
            return dict(order)

    def change_status(self, order_id, status):
        with self.lock:
            order = self.order(order_id)
            self.settle(order)
            target = STATUS_NAMES.get(int(status)) if str(status).isdigit() else None
            if target is None:
                raise Refused("BAD_STATUS", "status must be 3, 4 or 5")
            if order["state"] == target:
                return dict(order)  # repeated status changes are idempotent
            if order["state"] not in ("waiting", "received"):
                raise Refused("BAD_STATUS", f"order is already {order['state']}")
            if target == "finished" and order["state"] != "received":
                raise Refused("BAD_STATUS", "cannot finish an order that has not received an SMS")
            if target == "cancelled" and order["sms"] and self.refuse_cancel_after_sms:
                raise Refused("BAD_STATUS", "SMS already received, the order cannot be cancelled")
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


def phone_number(country, order_id):
    """The country's prefix, the order id's last five digits (unique), random digits up to the number's length."""
    filler = country[4] - (len(country[3]) - 1) - 5
    return f"{country[3]}{order_id % 100000:05d}{random.randrange(10 ** filler):0{filler}d}"


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
        return "STATUS_WAIT_CODE" if payload["status"] == "waiting" else "STATUS_CANCEL"
    acknowledgements = {"finished": "ACCESS_ACTIVATION", "cancelled": "ACCESS_CANCEL", "refunded": "ACCESS_CANCEL"}
    return acknowledgements[payload["status"]]


def coded_ok(endpoint, payload):
    """A {code, msg, data} envelope, code 0 for success; while waiting, get-sms has no data at all."""
    if endpoint == "get-sms" and payload["status"] == "waiting":
        return {"code": 0, "msg": "waiting for sms", "data": None}
    if endpoint == "get-sms":
        messages = [{"content": payload["sms"]}] if payload["sms"] else []
        data = {"orderId": payload["orderId"], "status": payload["status"], "messages": messages}
    elif endpoint == "buy-service":
        data = {"orderId": payload["orderId"], "phone": payload["number"], "price": payload["price"]}
    else:
        data = None if endpoint == "change-status" else payload
    return {"code": 0, "msg": "ok", "data": data}


def nested_ok(endpoint, payload):
    """Like primary, but get-sms gives the SMS as an object, and while waiting a message quoting the order id."""
    if endpoint != "get-sms":
        return primary_ok(endpoint, payload)
    data = {"orderId": payload["orderId"], "status": payload["status"]}
    if payload["sms"]:
        data["sms"] = {"code": payload["code"], "content": payload["sms"]}
    elif payload["status"] == "waiting":
        data["message"] = f"Order {payload['orderId']} is waiting for SMS"
    return {"status": 1, "data": data}


SHAPES = {"primary": primary_ok, "flat": flat_ok, "text": text_ok, "coded": coded_ok, "nested": nested_ok}
CODED_ERRORS = {"BAD_KEY": 1001, "NO_NUMBERS": 1002, "NO_BALANCE": 1003, "NO_ACTIVATION": 1004, "BAD_STATUS": 1005,
                "EARLY_CANCEL_DENIED": 1006, "BAD_SERVICE": 1007}


def refusal_body(shape, refused):
    if shape == "text":
        return refused.token
    if shape == "flat":
        return {"success": False, "errorMessage": f"{refused.token}: {refused.message}"}
    if shape == "coded":
        return {"code": CODED_ERRORS.get(refused.token, -1), "msg": refused.message, "data": None}
    return {"status": -1, "message": refused.message, "error": refused.token}


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


def order_payload(order, *fields):
    return {"orderId": order["id"], **{name: order[name] for name in fields}, "status": order["state"]}


ENDPOINTS = {
    "get-countries": lambda p, q: p.countries(),
    "get-services": lambda p, q: p.services(),
    "get-products": lambda p, q: p.products(q.get("countryId"), q.get("serviceId")),
    "buy-service": lambda p, q: order_payload(p.buy(q.get("countryId"), q.get("serviceId"), q.get("operatorId"),
                                                    q.get("test") == "1"), "number", "price", "test"),
    "get-sms": lambda p, q: order_payload(p.get_sms(q.get("id")), "sms", "code"),
    "change-status": lambda p, q: order_payload(p.change_status(q.get("id"), q.get("status"))),
}


class SandboxApi:
    """What every protocol the sandbox speaks shares, read from the client's registry (smsonline/platform.py): its
    name, the prefix its base URLs need where nothing else claims them, and how the key travels (a query parameter
    or a header)."""
    name, base_path, bad_key_status, price_scale, refuses_cancel_after_sms = None, "", 401, 1.0, True

    @property
    def declared(self):
        return registry.declared(self.name)

    @property
    def key_param(self):
        return self.declared.key_param

    def key_in(self, headers, params):
        """The key the request carries, where the protocol puts it (None when it is not there)."""
        if self.declared.key_param:
            return params.get(self.declared.key_param)
        header, template = self.declared.key_header
        before, _, after = template.partition("{key}")
        value = headers.get(header) or ""
        fits = value.startswith(before) and value.endswith(after) and len(value) >= len(before) + len(after)
        return value[len(before):len(value) - len(after)] if fits else None

    def prefix_for(self, url):
        """The protocol's prefix, where the registry would not otherwise take the URL for this protocol."""
        return "" if registry.protocol_of(url)[0] == self.name else registry.BY_NAME[self.name].prefix

    @staticmethod
    def refusal_status(refused):
        return refused.http_status


class SmsOnlineV1(SandboxApi):
    """The SMSOnline v1 protocol: /api/v1/virtual-number/ENDPOINT?apiKey=, answered in one of the SHAPES."""
    name, base_path, refuses_cancel_after_sms = "smsonline-v1", "/api/v1", False

    def __init__(self, shape="primary"):
        self.shape = shape
        self.bad_key_status = 401 if shape in ("primary", "nested") else 200

    @staticmethod
    def endpoint(path, params):
        return path[len(PREFIX):] if path.startswith(PREFIX) else None

    @staticmethod
    def serves(endpoint):
        return endpoint in ENDPOINTS

    def serve(self, platform, endpoint, params):
        return SHAPES[self.shape](endpoint, ENDPOINTS[endpoint](platform, params))

    def refusal(self, refused):
        return refusal_body(self.shape, refused)


# the sms-activate protocol --------------------------------------------------------------

SA_PATH = "/stubs/handler_api.php"
# sms-activate country id: (the catalogue's country id, Russian name); the ids differ from SMSOnline's on purpose
SA_COUNTRIES = {0: (5, "Россия"), 3: (1, "Китай"), 6: (4, "Индонезия"), 16: (3, "Великобритания"), 187: (2, "США")}
SA_SERVICES = {"sl": 101, "bl": 102, "wa": 103, "wx": 104, "tg": 105, "nc": NO_CODE_SERVICE, "ot": SILENT_SERVICE}
SA_OPERATORS = {"mobile": 11, "unicom": 12, "telecom": 13}
SA_PRICE_SCALE = 50.0  # prices and the balance in RUB-like amounts: 0.25 -> 12.5
SA_ENDED = ("cancelled", "refunded", "closed")


class SmsActivate(SandboxApi):
    """The sms-activate protocol: /stubs/handler_api.php?api_key=&action=, plain-text answers (JSON for lists and
    getNumberV2), every refusal a bare word with HTTP 200; a cancel is refused once the SMS came."""
    name, base_path, bad_key_status, price_scale = "sms-activate", SA_PATH, 200, SA_PRICE_SCALE

    def __init__(self, countries_form="map"):
        self.countries_form = countries_form

    @staticmethod
    def endpoint(path, params):
        return params.get("action", "") if path == SA_PATH else None

    @staticmethod
    def serves(endpoint):
        return endpoint is not None

    def serve(self, platform, action, params):
        if action not in SA_ACTIONS:
            raise Refused("BAD_ACTION", "unknown action")
        return SA_ACTIONS[action](self, platform, params)

    @staticmethod
    def refusal(refused):
        return refused.token


def sa_ids(country, service):
    """The catalogue's (country id, service id) for sms-activate's country id and service code, or BAD_SERVICE."""
    try:
        return SA_COUNTRIES[int(country)][0], SA_SERVICES[service]
    except (KeyError, ValueError, TypeError):
        raise Refused("BAD_SERVICE", "unknown country or service") from None


def sa_countries(api, platform, params):
    entries = [{"id": sa_id, "rus": rus, "eng": COUNTRY[cid][1], "chn": COUNTRY[cid][2], "visible": 1, "retry": 1}
               for sa_id, (cid, rus) in SA_COUNTRIES.items()]
    return entries if api.countries_form == "list" else {str(entry["id"]): entry for entry in entries}


def sa_services(api, platform, params):
    return {"status": "success", "services": [{"code": code, "name": SERVICE_NAME[sid]}
                                              for code, sid in SA_SERVICES.items()]}


def sa_prices(api, platform, params):
    """{country: {service: {cost, count}}}: the price getNumber charges without an operator, and the stock."""
    countries = [params["country"]] if params.get("country") else list(SA_COUNTRIES)
    services = [params["service"]] if params.get("service") else list(SA_SERVICES)
    table = {}
    for country in countries:
        for service in services:
            products = platform.products(*sa_ids(country, service))
            in_stock = [p for p in products if p["count"] > 0] or products
            table.setdefault(str(country), {})[service] = {"cost": min(p["price"] for p in in_stock),
                                                           "count": sum(p["count"] for p in products)}
    return table


def sa_product(platform, country, service, operator):
    """The product getNumber sells: the operator's, or with none (or "any") the cheapest in stock; else NO_NUMBERS."""
    products = platform.products(country, service)
    if operator and operator != "any":
        products = [p for p in products if p["operatorId"] == SA_OPERATORS.get(operator)]
    in_stock = [p for p in products if p["count"] > 0]
    if not in_stock:
        raise Refused("NO_NUMBERS", "No numbers available")
    return min(in_stock, key=lambda product: product["price"])


def sa_buy(platform, params):
    """(order, product) of a getNumber: WRONG_MAX_PRICE:<cost> when maxPrice is below the cost, nothing bought."""
    country, service = sa_ids(params.get("country", "0"), params.get("service"))
    product = sa_product(platform, country, service, params.get("operator"))
    if params.get("maxPrice") and not float_or_zero(params["maxPrice"]) >= product["price"]:
        raise Refused(f"WRONG_MAX_PRICE:{product['price']}", "maxPrice is below the cost")
    return platform.buy(country, service, product["operatorId"]), product


def float_or_zero(text):
    try:
        return float(text)
    except ValueError:
        return 0.0


def sa_number(api, platform, params):
    order, _ = sa_buy(platform, params)
    return f"ACCESS_NUMBER:{order['id']}:{order['number'].lstrip('+')}"


def sa_number_v2(api, platform, params):
    order, product = sa_buy(platform, params)
    operator = next(name for name, oid in SA_OPERATORS.items() if oid == product["operatorId"])
    return {"activationId": order["id"], "phoneNumber": order["number"].lstrip("+"),
            "activationCost": order["price"], "countryCode": str(params.get("country", "0")), "canGetAnotherSms": "1",
            "activationTime": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(order["bought_at"])),
            "activationOperator": operator}


def sa_status(api, platform, params):
    order = platform.read_sms(params.get("id"))
    if order["state"] in SA_ENDED:
        return "STATUS_CANCEL"
    if order["state"] == "waiting":
        return "STATUS_WAIT_CODE"
    if order.get("retry") is not None and order["state"] == "received":
        return f"STATUS_WAIT_RETRY:{order['retry']}"
    return f"STATUS_OK:{order['code'] or order['sms']}"


def sa_ready(platform, order_id):
    if platform.read_sms(order_id)["state"] not in ("waiting", "received"):
        raise Refused("BAD_STATUS", "the order has ended")
    return "ACCESS_READY"


SA_SET_STATUS = {
    "1": sa_ready,
    "3": lambda platform, order_id: platform.another_sms(order_id) and "ACCESS_RETRY_GET",
    "6": lambda platform, order_id: platform.change_status(order_id, 3) and "ACCESS_ACTIVATION",
    "8": lambda platform, order_id: platform.change_status(order_id, 4) and "ACCESS_CANCEL",
}


def sa_set_status(api, platform, params):
    if params.get("status") not in SA_SET_STATUS:
        raise Refused("BAD_STATUS", "status must be 1, 3, 6 or 8")
    return SA_SET_STATUS[params["status"]](platform, params.get("id"))


SA_ACTIONS = {
    "getBalance": lambda api, platform, params: f"ACCESS_BALANCE:{platform.balance:.2f}",
    "getCountries": sa_countries,
    "getServicesList": sa_services,
    "getPrices": sa_prices,
    "getNumber": sa_number,
    "getNumberV2": sa_number_v2,
    "getStatus": sa_status,
    "setStatus": sa_set_status,
}
PROTOCOLS = {"smsonline-v1": lambda settings: SmsOnlineV1(settings["shape"]),
             "sms-activate": lambda settings: SmsActivate(settings["countries_form"]),
             "5sim": lambda settings: fivesim().FiveSim()}  # by the registry's names: a test holds them equal


def fivesim():
    """The 5sim protocol's module (smsonline_sandbox_fivesim.py), imported when first spoken."""
    import smsonline_sandbox_fivesim as module

    return module


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
    import smsonline_sandbox  # this file as a module: one copy of its classes, which the protocols' modules share

    smsonline_sandbox.main()
