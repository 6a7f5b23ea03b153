"""The sandbox speaking 5sim: the Bearer-header key check, each endpoint, 5sim's plain-text refusals with HTTP 400,
the order's SMS list and the money, over real HTTP on loopback. Time is the platform's clock, moved by the tests."""
import json
import urllib.request
from urllib.error import HTTPError

import pytest

from strict_support import serving

KEY = "test-key-sandbox-5sim"
serve = serving("5sim", KEY)


def get(server, path, key=KEY, query=""):
    """(status, content type, body: JSON when it is JSON) of one GET below the base URL, the key as 5sim takes it."""
    url = server.root_url + "/v1" + path + (f"?{query}" if query else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            status, kind, text = answer.status, answer.headers["Content-Type"], answer.read().decode()
    except HTTPError as error:
        status, kind, text = error.code, error.headers["Content-Type"], error.read().decode()
    try:
        return status, kind, json.loads(text)
    except ValueError:
        return status, kind, text


def bought(server, product="telegram"):
    status, _, order = get(server, f"/user/buy/activation/russia/any/{product}")
    assert status == 200 and order["status"] == "PENDING" and order["phone"].startswith("+7916")
    return order


def test_its_base_url_carries_the_5sim_prefix_and_so_do_its_fronts(serve):
    server = serve("--fronts", "tls-fail,html-block")
    assert server.base_url == f"5sim+{server.root_url}/v1"
    assert [url.split("://")[0] for url in server.base_urls] == ["5sim+https", "5sim+http", "5sim+http"]


@pytest.mark.parametrize("key, query", [(None, ""), ("test-key-wrong", ""), (None, f"apiKey={KEY}"),
                                        (None, f"api_key={KEY}")])
def test_only_the_bearer_header_carries_the_key(serve, key, query):
    server = serve()
    assert get(server, "/user/profile", key=key, query=query)[0] == 401
    assert get(server, "/user/profile")[0] == 200


def test_profile_countries_products_and_prices(serve):
    server = serve()
    assert get(server, "/user/profile")[2]["balance"] == 5000.0
    assert get(server, "/guest/countries")[2]["russia"]["text_en"] == "Russia"
    assert get(server, "/guest/products/any/any")[2]["telegram"]["Category"] == "activation"
    prices = get(server, "/guest/prices", query="country=russia&product=telegram")[2]
    assert prices["russia"]["telegram"]["mobile"] == {"cost": 12.5, "count": 120, "rate": 99.5}
    assert "rate" not in prices["russia"]["telegram"]["unicom"]


@pytest.mark.parametrize("path, text", [("/user/buy/activation/mars/any/telegram", "bad country"),
                                        ("/user/buy/activation/russia/any/nosuch", "no product"),
                                        ("/user/buy/activation/russia/unicom/telegram", "no free phones"),
                                        ("/user/check/999", "order not found")])
def test_refusals_are_plain_text_with_http_400(serve, path, text):
    status, kind, body = get(serve(), path)
    assert (status, body) == (400, text) and kind.startswith("text/plain")


def test_max_price_below_the_cost_buys_nothing(serve):
    server = serve()
    assert get(server, "/user/buy/activation/russia/any/telegram", query="maxPrice=5")[2] == "no free phones"
    assert get(server, "/user/buy/activation/russia/any/telegram", query="maxPrice=11")[2]["price"] == 10.62
    assert len(server.platform.snapshot()["orders"]) == 1


def test_the_sms_list_keeps_every_sms_and_cancel_is_refused_after_one(serve, clock):
    server = serve("--sms-delay", "5")
    order = bought(server)
    clock.now += 6
    first = get(server, f"/user/check/{order['id']}")[2]
    assert first["status"] == "RECEIVED" and len(first["sms"]) == 1 and first["sms"][0]["code"]
    server.platform.deliver(order["id"], code="771204")
    assert [sms["code"] for sms in get(server, f"/user/check/{order['id']}")[2]["sms"]][1:] == ["771204"]
    assert get(server, f"/user/cancel/{order['id']}")[1:] == ("text/plain; charset=utf-8", "order has sms")
    assert get(server, f"/user/finish/{order['id']}")[2]["status"] == "FINISHED"


def test_cancel_refunds_and_repeats_alike_finish_needs_an_sms_ban_refunds(serve):
    server = serve("--sms-delay", "60")
    order, other = bought(server), bought(server)
    assert get(server, f"/user/finish/{order['id']}")[2] == "order no sms"
    assert get(server, f"/user/cancel/{order['id']}")[2]["status"] == "CANCELED"
    assert get(server, f"/user/cancel/{order['id']}")[2]["status"] == "CANCELED"
    assert get(server, f"/user/ban/{other['id']}")[2]["status"] == "BANNED"
    assert server.platform.balance == 5000.0


def test_early_cancel_and_a_closed_order(serve, clock):
    server = serve("--early-cancel", "30", "--close-after", "60", "--sms-delay", "600")
    order = bought(server)
    assert get(server, f"/user/cancel/{order['id']}")[:3:2] == (400, "you need to wait time")
    clock.now += 61
    assert get(server, f"/user/check/{order['id']}")[2]["status"] == "TIMEOUT"
    assert get(server, f"/user/cancel/{order['id']}")[2] == "order expired"
