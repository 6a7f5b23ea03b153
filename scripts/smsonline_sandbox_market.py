"""The sandbox's platform, whatever protocol speaks it: the catalogue, the account (orders, their states, the
balance, the market's delivery dice), the refusals it makes, and what every protocol the sandbox speaks shares
(SandboxApi, read from the client's registry). The protocols are smsonline_sandbox_v1.py, _sms_activate.py and
_fivesim.py; the server and its command line are smsonline_sandbox.py (standard library only)."""
from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

from smsonline import platform as registry  # the protocols' registry: standard library only, nothing else imported

DEFAULT_KEY = "test-key-sandbox"
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


# every strict protocol prices in RUB-like amounts
SA_PRICE_SCALE = 50.0  # prices and the balance in RUB-like amounts: 0.25 -> 12.5


def float_or_zero(text):
    try:
        return float(text)
    except ValueError:
        return 0.0


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
