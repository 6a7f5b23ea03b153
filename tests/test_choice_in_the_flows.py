"""The choice and the attempts follow the delivery history, with every money rule intact: the line says why, the
price limit and --operator win, the next number goes elsewhere, and a number past where its operator's SMS come is
given up early (cancelled first; kept where the platform allows no cancel yet)."""
import json

import pytest
import responses

import fakes
from support import PRIMARY

activate = responses.activate(assert_all_requests_are_fired=True)
RECEIVE = ("receive", "--country", "1", "--service", "101", "--interval", "1")


def sold(store, operator, delivered=0, failed=0, delay=2.0, test=False):
    """Past orders of one operator: so many delivered after `delay` s, so many cancelled without an SMS."""
    for got in [True] * delivered + [False] * failed:
        store.db.execute(
            "INSERT INTO orders (order_id, base_url, test, country_id, service_id, operator_id, price, state, code, "
            "sms_at, hold_s, settle_after, created_at, updated_at) VALUES ('9', ?, ?, '1', '101', ?, 0.3, ?, ?, ?, "
            "600, 0, 1000, 1000)", (PRIMARY, int(test), operator, "finished" if got else "cancelled",
                                    "1234" if got else None, 1000 + delay if got else None))


def order(order_id, operator, price):
    fakes.buy(operator=operator, body={"status": 1, "data": {"orderId": order_id, "number": f"+86138000{order_id}",
                                                             "price": price}})


def bought_and_received_at_once(operator, price, products=True):
    """A run that buys one number of this operator (after listing the offers, unless --operator), gets its code at
    the first poll and confirms it."""
    if products:
        fakes.products()
    order(500001, operator, price)
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)


def received(order_id):
    return {"status": 1, "data": {**fakes.RECEIVED["data"], "orderId": order_id}}


@activate
def test_the_operator_that_delivers_is_bought_and_the_line_says_why(cli, store):
    sold(store, "13", delivered=1, failed=9)
    sold(store, "11", delivered=9, failed=1)
    bought_and_received_at_once(11, 0.35)
    run = cli(*RECEIVE, "--timeout", "20")
    assert (run.code, run.line["operator_id"]) == (0, "11")
    assert run.line["choice"]["operator_id"] == "11" and run.line["choice"]["seen"] == 10
    assert "9 of 10 delivered here" in run.line["choice"]["reason"]


@activate
def test_test_orders_teach_nothing_about_real_ones(cli, store):
    sold(store, "13", failed=10, test=True)  # --test orders the platform never delivers
    bought_and_received_at_once(13, 0.3)  # a real run still starts on the cheapest
    run = cli(*RECEIVE, "--timeout", "20")
    assert (run.code, run.line["choice"]["seen"]) == (0, 0)


@activate
def test_the_price_limit_holds_whatever_the_history_says(cli, store):
    sold(store, "13", failed=10)
    sold(store, "11", delivered=10)
    bought_and_received_at_once(13, 0.3)
    run = cli(*RECEIVE, "--timeout", "20", "--max-price", "0.32")
    assert (run.code, run.line["operator_id"]) == (0, "13")


@activate
def test_the_users_operator_wins_over_the_history(cli, store):
    sold(store, "13", failed=10)
    sold(store, "11", delivered=10)
    bought_and_received_at_once(13, 0.3, products=False)  # the operator is given: no products call
    run = cli(*RECEIVE, "--timeout", "20", "--operator", "13")
    assert (run.code, run.line["operator_id"]) == (0, "13")
    assert run.line["choice"]["reason"].startswith("--operator") and run.line["choice"]["seen"] == 10


@activate
def test_buy_says_why_too(cli, store):
    sold(store, "13", failed=3)
    sold(store, "11", delivered=10)
    fakes.products()
    order(500001, 11, 0.35)
    run = cli("buy", "--country", "1", "--service", "101")
    assert (run.code, run.line["choice"]["operator_id"]) == (0, "11")


@activate
def test_a_number_past_where_its_sms_come_is_cancelled_early_and_the_next_goes_elsewhere(cli, store, clock):
    sold(store, "13", delivered=8, delay=2)  # the cheapest, which always delivered within 2 s
    fakes.products()
    order(500001, 13, 0.3)
    fakes.poll(fakes.WAITING)
    cancels = []
    responses.add_callback(responses.GET, fakes.url("change-status"), match=[fakes.query(id="500001", status=4)],
                           callback=lambda request: (cancels.append(clock.now), (200, {}, json.dumps(fakes.DONE)))[1])
    order(500002, 11, 0.35)
    fakes.poll(received(500002), order_id="500002")
    fakes.status(3, order_id="500002")
    started = clock.now
    run = cli(*RECEIVE, "--timeout", "60", "--attempts", "3")
    assert (run.code, run.line["order_id"]) == (0, "500002")
    assert cancels == [started + 5]  # given up at five polls (twice 2 s is less), not after 60 s
    assert [(a["operator_id"], a["outcome"], a["order_status"]) for a in run.line["attempts"]] == [
        ("13", "timeout", "cancelled"), ("11", "received", "finished")]
    assert "the next number after 5s without one" in run.err
    assert run.line["choice"]["reason"].startswith("the next number, not the operator that just failed")


@activate
def test_without_history_a_number_keeps_its_whole_timeout(cli, clock):
    fakes.products()
    order(500001, 13, 0.3)
    fakes.poll(fakes.WAITING)
    fakes.status(4)
    order(500002, 11, 0.35)
    fakes.poll(received(500002), order_id="500002")
    fakes.status(3, order_id="500002")
    run = cli(*RECEIVE, "--timeout", "30", "--attempts", "2")
    assert run.code == 0
    assert len([c for c in fakes.calls_to("get-sms") if "id=500001" in c.request.url]) == 31  # 0 … 30 s


@activate
def test_the_last_number_is_never_given_up_early(cli, store):
    sold(store, "13", delivered=8, delay=2)
    fakes.products()
    order(500001, 13, 0.3)
    fakes.poll(fakes.WAITING)
    fakes.status(4)
    run = cli(*RECEIVE, "--timeout", "30")  # one number: nothing to move on to
    assert (run.code, run.kind) == (1, "timeout")
    assert len(fakes.calls_to("get-sms")) == 31


@activate
def test_a_platform_that_allows_no_cancel_yet_keeps_the_number_for_its_whole_timeout(cli, store, clock):
    sold(store, "13", delivered=8, delay=2)
    fakes.products()
    order(500001, 13, 0.3)
    polls = []
    responses.add_callback(responses.GET, fakes.url("get-sms"), match=[fakes.query(id="500001")],
                           callback=lambda request: (polls.append(clock.now), (200, {}, json.dumps(
                               fakes.WAITING if len(polls) < 12 else fakes.RECEIVED)))[1])
    early = responses.get(fakes.url("change-status"), match=[fakes.query(id="500001", status=4)],
                          json={"status": -1, "message": "EARLY_CANCEL_DENIED"})
    fakes.status(3)
    started = clock.now
    run = cli(*RECEIVE, "--timeout", "30", "--attempts", "3")
    assert (run.code, run.line["order_id"], run.line["finished"]) == (0, "500001", True)  # the code came at 10 s
    assert early.call_count == 1 and 5 < polls[-1] - started < 30  # the code came after the refused give-up
    assert "allows no cancel yet" in run.err and len(fakes.calls_to("buy-service")) == 1


@activate
def test_a_number_given_up_whose_cancel_says_the_sms_came_gives_its_code(cli, store):
    sold(store, "13", delivered=8, delay=2)
    fakes.products()
    order(500001, 13, 0.3)
    answers = [fakes.WAITING] * 6 + [fakes.RECEIVED]  # six polls to the give-up; the check after the refusal
    responses.add_callback(responses.GET, fakes.url("get-sms"), match=[fakes.query(id="500001")],
                           callback=lambda request: (200, {}, json.dumps(answers.pop(0), ensure_ascii=False)))
    fakes.status(4, body={"status": -1, "message": "SMS already received, the order cannot be cancelled"})
    fakes.status(3)
    run = cli(*RECEIVE, "--timeout", "60", "--attempts", "2")
    assert (run.code, run.line["code"], run.line["finished"]) == (0, "8848", True)
    assert len(fakes.calls_to("buy-service")) == 1


@activate
@pytest.mark.parametrize("refusal", ["server busy"])
def test_a_cancel_that_fails_when_giving_up_stops_the_run_rule_3(cli, store, refusal):
    sold(store, "13", delivered=8, delay=2)
    fakes.products()
    order(500001, 13, 0.3)
    fakes.poll(fakes.WAITING)
    fakes.status(4, body={"status": -1, "message": refusal})
    run = cli(*RECEIVE, "--timeout", "60", "--attempts", "3")
    assert (run.code, run.kind) == (6, "cancel_failed") and len(fakes.calls_to("buy-service")) == 1


@activate
def test_an_unknown_preference_stops_the_run_before_anything_is_bought(cli, env):
    env["SMSONLINE_PREFER"] = "quickest"
    fakes.products()
    run = cli(*RECEIVE, "--timeout", "20")
    assert (run.code, run.kind) == (2, "config") and fakes.calls_to("buy-service") == []
