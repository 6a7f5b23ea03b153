"""The sandbox speaking 5sim (`smsonline_sandbox.py --protocol 5sim`): REST under /v1, the key as the header
`Authorization: Bearer KEY`, JSON answers, every refusal 5sim's plain text with HTTP 400 (reference/sandbox.md, "The
5sim protocol"). The platform (catalogue, orders, balance) is smsonline_sandbox_market's; this is only how 5sim
speaks it (standard library only)."""
import time
from urllib.parse import unquote

from smsonline_sandbox_market import (COUNTRY, NO_CODE_SERVICE, SA_PRICE_SCALE, SILENT_SERVICE, Refused, SandboxApi,
                                      float_or_zero)

FS_PATH = "/v1"
# 5sim's country names: (the catalogue's country id, ISO code, dial code)
FS_COUNTRIES = {"russia": (5, "ru", "+7"), "china": (1, "cn", "+86"), "indonesia": (4, "id", "+62"),
                "england": (3, "gb", "+44"), "usa": (2, "us", "+1")}
FS_PRODUCTS = {"soul": 101, "bilibili": 102, "whatsapp": 103, "wechat": 104, "telegram": 105, "nocode": NO_CODE_SERVICE,
               "other": SILENT_SERVICE}
FS_OPERATORS = {"mobile": (11, 99.5), "unicom": (12, None), "telecom": (13, 87.2)}  # delivery rate, where given
FS_STATES = {"waiting": "PENDING", "received": "RECEIVED", "finished": "FINISHED", "cancelled": "CANCELED",
             "closed": "TIMEOUT", "refunded": "BANNED"}
FS_REFUSALS = {"BAD_KEY": "", "NO_NUMBERS": "no free phones", "NO_BALANCE": "not enough user balance",
               "BAD_SERVICE": "no product", "BAD_COUNTRY": "bad country", "NO_ACTIVATION": "order not found",
               "EARLY_CANCEL_DENIED": "you need to wait time", "BAD_STATUS": "order expired",
               "ORDER_HAS_SMS": "order has sms", "ORDER_NO_SMS": "order no sms"}
FS_SETTLE = {"finish": 3, "cancel": 4, "ban": 5}


class FiveSim(SandboxApi):
    """The 5sim protocol: GET /v1/…, the key as `Authorization: Bearer KEY`, JSON answers; every refusal plain text
    with HTTP 400 (a wrong key: 401, empty); a cancel is refused once the SMS came ("order has sms")."""
    name, base_path, price_scale = "5sim", FS_PATH, SA_PRICE_SCALE
    ROUTES = {("guest", "countries"): "countries", ("guest", "products"): "products", ("guest", "prices"): "prices",
              ("user", "profile"): "profile", ("user", "buy"): "buy", ("user", "check"): "check",
              **{("user", action): action for action in FS_SETTLE}}

    def endpoint(self, path, params):
        """The endpoint a path names; its path segments join the parameters (as `args`)."""
        if not path.startswith(FS_PATH + "/"):
            return None
        parts = [unquote(part) for part in path[len(FS_PATH) + 1:].split("/")]
        name = self.ROUTES.get(tuple(parts[:2]))
        if name:
            params["args"] = parts[3:] if name == "buy" and parts[2:3] == ["activation"] else parts[2:]
        return name

    @staticmethod
    def serves(endpoint):
        return endpoint is not None

    def serve(self, platform, endpoint, params):
        return getattr(self, f"answer_{endpoint}")(platform, params.pop("args"), params)

    @staticmethod
    def refusal(refused):
        return FS_REFUSALS.get(refused.token, refused.token)

    @staticmethod
    def refusal_status(refused):
        return 401 if refused.token == "BAD_KEY" else 400

    @staticmethod
    def answer_countries(platform, args, params):
        return {name: {"iso": {iso: 1}, "prefix": {dial: 1}, "text_en": COUNTRY[cid][1], "text_ru": COUNTRY[cid][1]}
                for name, (cid, iso, dial) in FS_COUNTRIES.items()}

    @staticmethod
    def answer_products(platform, args, params):
        """/guest/products/{country}/{operator}: every activation product, its stock and its lowest price."""
        country = FS_COUNTRIES.get(args[0] if args else "any", FS_COUNTRIES["russia"])[0]
        table = {}
        for name, sid in FS_PRODUCTS.items():
            offers = platform.products(country, sid)
            table[name] = {"Category": "activation", "Qty": sum(p["count"] for p in offers),
                           "Price": min(p["price"] for p in offers)}
        return table

    @staticmethod
    def answer_prices(platform, args, params):
        """/guest/prices?country=&product=: {country: {product: {operator: {cost, count, rate?}}}}."""
        countries = [params["country"]] if params.get("country") else list(FS_COUNTRIES)
        products = [params["product"]] if params.get("product") else list(FS_PRODUCTS)
        table = {}
        for country in countries:
            for product in products:
                if country in FS_COUNTRIES and product in FS_PRODUCTS:
                    table.setdefault(country, {})[product] = fs_offers(platform, country, product)
        return table

    @staticmethod
    def answer_profile(platform, args, params):
        return {"id": 1, "email": "sandbox@example.com", "vendor": "sandbox", "balance": platform.balance,
                "rating": 96, "default_country": {"name": "russia", "iso": "ru", "prefix": "+7"},
                "default_operator": {"name": ""}, "frozen_balance": 0}

    @staticmethod
    def answer_buy(platform, args, params):
        """/user/buy/activation/{country}/{operator}/{product}[?maxPrice=]: the cheapest in stock for `any`."""
        if len(args) != 3:
            raise Refused("BAD_SERVICE", "no product")
        country, operator, product = args
        if country not in FS_COUNTRIES:
            raise Refused("BAD_COUNTRY", "bad country")
        if product not in FS_PRODUCTS:
            raise Refused("BAD_SERVICE", "no product")
        offers = {name: offer for name, offer in fs_offers(platform, country, product).items()
                  if operator in ("any", name) and offer["count"] > 0}
        within = {name: offer for name, offer in offers.items()
                  if not params.get("maxPrice") or offer["cost"] <= float_or_zero(params["maxPrice"])}
        if not within:
            raise Refused("NO_NUMBERS", "no free phones")
        name = min(within, key=lambda one: within[one]["cost"])
        order = platform.buy(FS_COUNTRIES[country][0], FS_PRODUCTS[product], FS_OPERATORS[name][0])
        return fs_order(order, country, name, product)

    @staticmethod
    def answer_check(platform, args, params):
        return fs_order(platform.read_sms(args[0] if args else None))

    def answer_finish(self, platform, args, params):
        return self.settled(platform, args, "finish")

    def answer_cancel(self, platform, args, params):
        return self.settled(platform, args, "cancel")

    def answer_ban(self, platform, args, params):
        return self.settled(platform, args, "ban")

    @staticmethod
    def settled(platform, args, action):
        """finish, cancel, ban: the order in its new state; 5sim's own refusals for what the state refuses."""
        order = platform.read_sms(args[0] if args else None)
        if action == "cancel" and order["state"] == "received":
            raise Refused("ORDER_HAS_SMS", "the SMS came: no cancel")
        if action == "finish" and order["state"] == "waiting":
            raise Refused("ORDER_NO_SMS", "no SMS yet: no finish")
        return fs_order(platform.change_status(order["id"], FS_SETTLE[action]))


def fs_offers(platform, country, product):
    """{operator: {cost, count, rate?}} of one country and product."""
    by_id = {p["operatorId"]: p for p in platform.products(FS_COUNTRIES[country][0], FS_PRODUCTS[product])}
    offers = {}
    for name, (oid, rate) in FS_OPERATORS.items():
        offers[name] = {"cost": by_id[oid]["price"], "count": by_id[oid]["count"]}
        if rate is not None:
            offers[name]["rate"] = rate
    return offers


def fs_order(order, country=None, operator=None, product=None):
    """An order as 5sim answers it, with every SMS landed so far (oldest first)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(order["bought_at"]))
    product = product or next(name for name, sid in FS_PRODUCTS.items() if sid == order["service_id"])
    sms = [{"created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(m["at"])),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(m["at"])), "sender": product,
            "text": m["text"], "code": m["code"] or ""} for m in order.get("messages", [])]
    return {"id": order["id"], "phone": order["number"], "operator": operator or "any", "product": product,
            "price": order["price"], "status": FS_STATES[order["state"]], "expires": stamp, "sms": sms,
            "created_at": stamp, "country": country or "any"}
