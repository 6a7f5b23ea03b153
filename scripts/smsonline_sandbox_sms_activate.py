"""The sandbox speaking the sms-activate standard (`smsonline_sandbox.py --protocol sms-activate`):
/stubs/handler_api.php?api_key=&action=, plain-text answers (JSON for lists and getNumberV2), every refusal a bare
word with HTTP 200 (reference/sandbox.md). The platform is smsonline_sandbox_market's; this is only how the
sms-activate protocol speaks it (standard library only)."""
import time

from smsonline_sandbox_market import (COUNTRY, NO_CODE_SERVICE, SA_PRICE_SCALE, SERVICE_NAME, SILENT_SERVICE, Refused,
                                      SandboxApi, float_or_zero)


SA_PATH = "/stubs/handler_api.php"
# sms-activate country id: (the catalogue's country id, Russian name); the ids differ from SMSOnline's on purpose
SA_COUNTRIES = {0: (5, "Россия"), 3: (1, "Китай"), 6: (4, "Индонезия"), 16: (3, "Великобритания"), 187: (2, "США")}
SA_SERVICES = {"sl": 101, "bl": 102, "wa": 103, "wx": 104, "tg": 105, "nc": NO_CODE_SERVICE, "ot": SILENT_SERVICE}
SA_OPERATORS = {"mobile": 11, "unicom": 12, "telecom": 13}
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
