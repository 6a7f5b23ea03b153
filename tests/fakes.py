"""Canned platform answers registered on `responses`, matched by query parameters (apiKey included)."""
import ssl

import requests
import responses
from responses import matchers
from urllib3.exceptions import MaxRetryError, NewConnectionError, SSLError

from support import BACKUP, KEY, PRIMARY

COUNTRIES = {"status": 1, "data": [{"countryId": 1, "name": "China", "chn": "中国"},
                                   {"countryId": 2, "name": "United States"},
                                   {"countryId": 3, "name": "United Kingdom"}, {"countryId": 4, "name": "Ukraine"}]}
SERVICES = {"status": 1, "data": [{"serviceId": 101, "name": "Soul"}, {"serviceId": 102, "name": "bilibili"},
                                  {"serviceId": 104, "name": "WeChat"}, {"serviceId": 105, "name": "WeChat Pay"},
                                  {"serviceId": 106, "name": "WhatsApp"}]}
PRODUCTS = {"status": 1, "data": [{"operatorId": 11, "name": "Mobile", "price": 0.35, "count": 5},
                                  {"operatorId": 12, "name": "Unicom", "price": 0.2, "count": 0},
                                  {"operatorId": 13, "name": "Telecom", "price": 0.3, "count": 9}]}
WHAT = {"site": PRIMARY, "country": "1", "service": "101", "operator": "13", "price": 0.3, "max_price": None,
        "test": False}
ORDER_ID = "500001"
NUMBER = "+8613800000001"
BOUGHT = {"status": 1, "data": {"orderId": 500001, "number": NUMBER, "price": 0.3}}
WAITING = {"status": 1, "data": {"orderId": 500001, "status": "waiting", "sms": None}}
SMS_TEXT = "【Soul】您的验证码是8848，5分钟内有效。订单20261128请勿泄露。"
RECEIVED = {"status": 1, "data": {"orderId": 500001, "status": "received", "sms": SMS_TEXT}}
CLOSED = {"status": 1, "data": {"orderId": 500001, "status": "cancelled", "sms": None}}
DONE = {"status": 1, "data": {"orderId": 500001}}


def refused():
    """What requests raises for a refused connection: nothing reached the server."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/api/v1", reason))


def handshake_failed():
    """What requests raises when the TLS handshake fails: connect() raised it, so the connection marked it as
    "nothing was sent" (as smsonline/http.py's _TrackedConnection does)."""
    reason = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    reason.smsonline_before_send = True
    return requests.exceptions.SSLError(MaxRetryError(None, "/api/v1", SSLError(reason)))


def url(endpoint, base=PRIMARY):
    return f"{base}/virtual-number/{endpoint}"


def query(**params):
    return matchers.query_param_matcher({"apiKey": KEY, **{k: str(v) for k, v in params.items()}})


def add(endpoint, body=None, *, base=PRIMARY, status=200, params=None, **kwargs):
    """Register one answer for endpoint at base; body may be a dict, a string or an exception."""
    if isinstance(body, BaseException):
        kwargs["body"] = body
    elif isinstance(body, str):
        kwargs["body"] = body
    else:
        kwargs["json"] = body
    return responses.get(url(endpoint, base), status=status, match=[query(**(params or {}))], **kwargs)


def catalogue(base=PRIMARY):
    add("get-countries", COUNTRIES, base=base)
    add("get-services", SERVICES, base=base)


def products(country=1, service=101, body=PRODUCTS, base=PRIMARY):
    return add("get-products", body, base=base, params={"countryId": country, "serviceId": service})


def buy(country=1, service=101, operator=13, body=BOUGHT, base=PRIMARY, status=200, **extra):
    return add("buy-service", body, base=base, status=status,
               params={"countryId": country, "serviceId": service, "operatorId": operator, **extra})


def poll(body, base=PRIMARY, order_id=ORDER_ID, **kwargs):
    return add("get-sms", body, base=base, params={"id": order_id}, **kwargs)


def status(code, body=DONE, base=PRIMARY, order_id=ORDER_ID, **kwargs):
    return add("change-status", body, base=base, params={"id": order_id, "status": code}, **kwargs)


def calls_to(endpoint):
    return [c for c in responses.calls if f"/virtual-number/{endpoint}" in c.request.url]


def hosts_called():
    return [c.request.url.split("/")[2] for c in responses.calls]


__all__ = ["BACKUP", "PRIMARY"]
