"""What a sloppy platform does to the money promises, one case per test (each was first reproduced by a red-team
review against fake servers): 5xx and unknown errors on buy-service, redirects, refusals hidden in the payload,
successes that look like refusals, reused order ids, escaped keys echoed back, NaN prices."""
import json
import math

import pytest
import responses
from responses import registries

import fakes
from support import KEY, PRIMARY, ledger

activate = responses.activate(assert_all_requests_are_fired=True)
ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)
BUY = ("buy", "--country", "1", "--service", "101", "--operator", "13")
RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13")


def buy_answers(body, **kwargs):
    return fakes.add("buy-service", body, params={"countryId": 1, "serviceId": 101, "operatorId": 13}, **kwargs)


@pytest.mark.parametrize("body, status, content_type", [
    ({"status": -1, "message": "Internal Server Error"}, 500, "application/json"),
    ("upstream connection reset", 502, "text/plain"),  # a proxy's own answer
    ("ERROR_SQL", 200, "text/plain"),  # an error nobody documented
    ({"status": -1, "message": "something odd happened"}, 200, "application/json"),
])
@activate
def test_an_answer_to_buy_service_that_is_not_a_known_refusal_is_an_uncertain_purchase(cli, store, body, status,
                                                                                          content_type):
    call = buy_answers(body, status=status, content_type=content_type)
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "api") and "an order may exist" in run.line["error"]["message"]
    assert call.call_count == 1 and [o["state"] for o in store.orders()] == ["unknown"]
    again = cli(*BUY)
    assert (again.code, again.kind) == (5, "open_order") and call.call_count == 1


@activate
def test_buy_service_never_follows_a_redirect(cli, store):
    call = buy_answers("", status=302, headers={"Location": fakes.url("buy-service", "https://other.test/api/v1")})
    run = cli(*BUY)
    assert run.code == 3 and call.call_count == 1 and [o["state"] for o in store.orders()] == ["unknown"]


@ordered
def test_a_success_that_looks_like_a_refusal_is_still_a_purchase_and_is_cancelled_if_unused(cli, store):
    fakes.buy(body={"status": -1, "message": "NO_BALANCE", "data": {"orderId": 500001, "number": "+8613800000001"}})
    fakes.poll(fakes.WAITING)
    fakes.poll(fakes.WAITING)
    fakes.status(4)
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.line["order_id"], run.line["order_status"]) == (1, "500001", "cancelled")


@ordered
def test_a_cancel_refused_inside_the_payload_is_checked_and_the_code_collected(cli, store):
    coded = {"code": 0, "msg": "success"}
    fakes.buy(body={**coded, "data": {"orderId": 500001, "number": "+8613800000001"}})
    fakes.poll({**coded, "data": {"status": "waiting"}})
    fakes.poll({**coded, "data": {"status": "waiting"}})
    fakes.status(4, body={**coded, "data": {"success": False, "message": "Cannot cancel: SMS already received"}})
    fakes.poll({**coded, "data": {"sms": "Your Soul verification code is 771234"}})
    fakes.status(3, body={**coded, "data": None})
    run = cli(*RECEIVE, "--timeout", "1")
    assert (run.code, run.line["code"], run.line["order_status"]) == (0, "771234", "finished")


@activate
def test_a_reused_order_id_never_locks_the_skill(cli, store):
    first = store.adopt("777", PRIMARY)
    store.update(first, state="received", code="4821", settle_after=store.now() - 1, pid=None)
    store.update(store.adopt("777", PRIMARY), state="finished", code="4821")
    fakes.status(3, body={"status": -1, "message": "Order status cannot be changed"}, order_id="777")
    fakes.poll({"status": 1, "data": {"status": "received", "sms": "code 4821"}}, order_id="777")
    fakes.buy()
    bought = cli(*BUY)  # the stale confirm is refused: said, not blocking
    assert bought.code == 0 and "777" in bought.line["warning"]
    assert cli("cleanup", "--forget", "777").line["order_status"] == "forgotten"


@ordered
def test_a_new_purchase_with_an_id_already_open_closes_the_old_row(cli, store):
    old = store.adopt(fakes.ORDER_ID, PRIMARY)
    store.update(old, state="received", code="1234", pid=None)
    fakes.buy()
    assert cli(*BUY).code == 0
    states = sorted(o["state"] for o in store.orders() if o["order_id"] == fakes.ORDER_ID)
    assert states == ["closed", "waiting"]


@activate
def test_a_key_echoed_with_json_escapes_stays_out_of_the_trace(cli, env, tmp_path):
    key = "test-key-Rt7/Kq+Zx9/wLm=="
    env["SMSONLINE_API_KEY"] = key
    echoed = json.dumps({"status": -1, "message": "Invalid API key", "apiKey": key}).replace("/", "\\/")
    responses.get(fakes.url("get-countries"), body=echoed, status=401,
                  match=[responses.matchers.query_param_matcher({"apiKey": key})])
    responses.get(fakes.url("get-countries", fakes.BACKUP), body=echoed, status=401,
                  match=[responses.matchers.query_param_matcher({"apiKey": key})])
    cli("countries", "--trace", str(tmp_path / "t.jsonl"))
    text = (tmp_path / "t.jsonl").read_text()
    assert "Rt7" not in text and "wLm" not in text and KEY not in text


@ordered
def test_a_nan_price_never_makes_the_line_invalid_json(cli, store):
    fakes.buy(body='{"status": 1, "data": {"orderId": 500001, "number": "+8613800000001", "price": NaN}}')
    run = cli(*BUY)
    assert run.code == 0 and run.line["price"] is None
    json.loads(run.out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON line"))
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in run.line.values())
    assert ledger.Store(store.db.execute("PRAGMA database_list").fetchone()[2].rsplit("/", 1)[0]).order(
        fakes.ORDER_ID)["price"] is None


@ordered
def test_a_purchase_charged_above_the_price_limit_is_cancelled_at_once(cli, env, store):
    env["SMSONLINE_MAX_PRICE"] = "0.32"
    fakes.products()  # lists operator 13 at 0.3 …
    fakes.buy(body={"status": 1, "data": {"orderId": 500001, "number": "+8613800000001", "price": 0.9}})  # … charges 0.9
    fakes.status(4)
    run = cli(*BUY)
    assert (run.code, run.kind, run.line["order_status"]) == (3, "budget", "cancelled")
    assert "0.9" in run.line["error"]["message"]


@ordered
def test_a_purchase_that_passes_the_daily_budget_when_charged_is_cancelled_at_once(cli, env, store):
    env["SMSONLINE_DAILY_BUDGET"] = "0.5"
    fakes.products()
    fakes.buy(body={"status": 1, "data": {"orderId": 500001, "number": "+8613800000001", "price": 0.6}})
    fakes.status(4)
    run = cli(*BUY)
    assert (run.code, run.kind, run.line["order_status"]) == (3, "budget", "cancelled")
