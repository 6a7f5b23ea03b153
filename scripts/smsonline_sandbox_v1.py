"""The sandbox speaking SMSOnline v1 (the default): /api/v1/virtual-number/ENDPOINT?apiKey=, answered in one of
five SHAPES, since the platform's real formats are unpublished (reference/sandbox.md). The platform is
smsonline_sandbox_market's; this is only how SMSOnline v1 speaks it (standard library only)."""
from smsonline_sandbox_market import SandboxApi


PREFIX = "/api/v1/virtual-number/"


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
