"""The agent's day (issue 14): refusals that tell the truth, orders whose run is gone, a platform that keeps
closing orders."""
import responses
from responses import registries

import fakes
from support import PRIMARY

ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)
RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13", "--timeout", "60", "--interval", "1")


def closed_at_once(order_id, advised=False):
    bought = {"status": 1, "data": {"orderId": int(order_id), "number": fakes.NUMBER, "price": 0.3}}
    closed = {"status": 1, "data": {"orderId": int(order_id), "status": "cancelled", "sms": None}}
    fakes.buy(body=bought)
    fakes.poll(closed, order_id=order_id)
    if advised:
        fakes.products()  # the next cheapest operator in stock, for the advice
    fakes.status(4, body={"status": -1, "message": "BAD_STATUS: already cancelled"}, order_id=order_id)
    fakes.poll(closed, order_id=order_id)


@ordered
def test_a_platform_that_keeps_closing_orders_is_named_with_a_count_and_another_operator(cli, store):
    closed_at_once("500001")
    first = cli(*RECEIVE)
    assert first.kind == "order_closed" and first.line["closes_in_last_hour"] == 1
    assert "buy a new number" in first.line["error"]["message"]
    closed_at_once("500002", advised=True)
    second = cli(*RECEIVE)
    assert second.line["closes_in_last_hour"] == 2 and "closed 2 orders" in second.line["error"]["message"]
    assert "operator 11" in second.line["error"]["message"] and "third" in second.line["error"]["message"]
    closed_at_once("500003", advised=True)
    third = cli(*RECEIVE)
    assert third.line["closes_in_last_hour"] == 3 and "ask the user" in third.line["error"]["message"]


def test_a_waiting_order_whose_wait_is_gone_is_shown_abandoned_with_cleanup_next(cli, store):
    order = store.adopt("9", PRIMARY)
    store.update(order, pid=2 ** 22 + 12345, settle_after=store.now() - 1)  # its wait was killed
    with responses.RequestsMock():
        listed = cli("orders").line["orders"]
    assert [o["order_status"] for o in listed] == ["abandoned"]
    assert store.order("9")["state"] == "waiting"  # only shown: `cleanup` cancels it


def test_a_bought_order_still_within_its_hold_is_waiting_not_abandoned(cli, store):
    order = store.adopt("9", PRIMARY)
    store.update(order, pid=2 ** 22 + 12345)  # `buy` ended, as it does: the agent runs `wait` next
    with responses.RequestsMock():
        assert [o["order_status"] for o in cli("orders").line["orders"]] == ["waiting"]
