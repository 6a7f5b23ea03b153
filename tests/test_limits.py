"""The user's spending limits, which no flag moves: --state-dir, --test and the environment cannot loosen them."""
from pathlib import Path

import pytest
import responses

import fakes
from support import PRIMARY, ledger

activate = responses.activate(assert_all_requests_are_fired=True)
ordered = responses.activate(assert_all_requests_are_fired=True, registry=responses.registries.OrderedRegistry)
BUY = ("buy", "--country", "1", "--service", "101", "--operator", "13")
CHARGED_2_50 = {"status": 1, "data": {"orderId": 500001, "number": fakes.NUMBER, "price": 2.5}}


def finished(store, order_id, price, test=False):
    order = store.adopt(order_id, PRIMARY)
    return store.update(order, state="finished", price=price, test=int(test))


# --- a state dir moved by a flag ----------------------------------------------------------------------------

def spent_0_6_of_0_5(env, store):
    env["SMSONLINE_DAILY_BUDGET"] = "0.5"
    finished(store, "9", 0.6)
    return "budget"


def an_order_waiting(env, store):
    store.adopt("9", PRIMARY)
    return "open_order"


@pytest.mark.parametrize("user_ledger", [spent_0_6_of_0_5, an_order_waiting])
@pytest.mark.parametrize("test_flag", [(), ("--test",)])
def test_a_purchase_in_a_ledger_moved_by_state_dir_is_refused_before_any_request(cli, env, store, tmp_path,
                                                                                   user_ledger, test_flag):
    blocked_by = user_ledger(env, store)
    with responses.RequestsMock():  # no request at all may be sent
        moved = cli(*BUY, *test_flag, "--state-dir", str(tmp_path / "empty"))
        assert (moved.code, moved.kind) == (2, "usage")
        assert env["SMSONLINE_STATE_DIR"] in moved.line["error"]["message"]
        same = cli(*BUY, *test_flag, "--state-dir", env["SMSONLINE_STATE_DIR"] + "/")  # the user's own, spelt anew
    assert same.kind == blocked_by
    rehearsal = cli(*BUY, "--sandbox", "--state-dir", str(tmp_path / "rehearsal"))  # the sandbox spends nothing
    assert rehearsal.code == 0 and len(ledger.Store(tmp_path / "rehearsal", sandbox=True).orders()) == 1


# --- --test purchases -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", [{"SMSONLINE_MAX_PRICE": "0.5"}, {"SMSONLINE_DAILY_BUDGET": "1"}])
@ordered
def test_a_test_purchase_charged_above_a_limit_is_cancelled_at_once(cli, env, store, limit):
    env.update(limit)
    fakes.products()
    fakes.buy(body=CHARGED_2_50, test=1)  # a platform that ignores test=1
    fakes.status(4)
    run = cli(*BUY, "--test")
    assert (run.code, run.kind, run.line["order_status"], run.line["test"]) == (3, "budget", "cancelled", True)
    assert "2.5" in run.line["error"]["message"]


@activate
def test_what_test_purchases_spent_counts_against_the_daily_budget(cli, env, store):
    env["SMSONLINE_DAILY_BUDGET"] = "1"
    finished(store, "9", 2.5, test=True)
    run = cli(*BUY, "--test")
    assert (run.code, run.kind, run.line["spent"]) == (3, "budget", 2.5) and not responses.calls


def test_orders_counts_test_spend_with_the_rest_and_shows_it_apart(cli, env, store):
    env["SMSONLINE_DAILY_BUDGET"] = "5"
    finished(store, "9", 0.3)
    finished(store, "10", 2.5, test=True)
    store.update(store.adopt("11", PRIMARY), price=0.5, test=1)
    line = cli("orders").line
    assert (line["spent"], line["held"], line["test_spent"], line["test_held"], line["budget_left"]) == \
        (2.8, 0.5, 2.5, 0.5, 1.7)


# --- limits in the environment ------------------------------------------------------------------------------

@pytest.mark.parametrize("variable, refused_as", [("SMSONLINE_MAX_PRICE", "budget"),
                                                  ("SMSONLINE_DAILY_BUDGET", "budget")])
@activate
def test_a_limit_in_the_environment_lowers_the_env_file_one_and_never_raises_it(cli, env, tmp_path, variable,
                                                                                refused_as):
    products = fakes.products()  # the cheapest operator in stock costs 0.3
    env_file = Path(env["SMSONLINE_ENV_FILE"])
    for in_file, in_environment in (("0.25", "100"), ("100", "0.25")):
        env_file.write_text(f"{variable}={in_file}\n")
        env[variable] = in_environment
        run = cli(*BUY)
        assert (run.code, run.kind) == (3, refused_as), (in_file, in_environment)
    assert products.call_count == 2 and not fakes.calls_to("buy-service")
