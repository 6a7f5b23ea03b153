"""Money counted per site and currency (issue 19 §4): `orders` never sums across currencies; each budget counts
only the orders it covers; the human line at a terminal says the same."""
from support import PRIMARY, commands

GRIZZLY = "https://grizzly.example.test/stubs/handler_api.php"


def finished(store, order_id, base, price):
    return store.update(store.adopt(order_id, base), state="finished", price=price)


def test_orders_counts_money_per_site_and_each_budget_over_its_own_orders(cli, env, store, monkeypatch):
    env.update(SMSONLINE_DAILY_BUDGET="2", SMSONLINE_DAILY_BUDGET_GRIZZLY_EXAMPLE_TEST="100")
    finished(store, "7001", GRIZZLY, 18.5)  # roubles
    finished(store, "9", PRIMARY, 0.4)  # SMSOnline's currency
    monkeypatch.setattr(commands, "stderr_is_a_terminal", lambda: True)
    run = cli("orders", "--all")
    line = run.line
    assert (line["spent"], line["held"], line["spent_24h"]) == (None, None, None)  # never one sum of two currencies
    assert [(s["site"], s["spent"], s["spent_24h"]) for s in line["sites"]] == \
        [("grizzly.example.test", 18.5, 18.5), ("premium.example.test", 0.4, 0.4)]
    assert [(b["variable"], b["spent_24h"], b["budget_left"]) for b in line["budgets"]] == \
        [("SMSONLINE_DAILY_BUDGET", 0.4, 1.6), ("SMSONLINE_DAILY_BUDGET_GRIZZLY_EXAMPLE_TEST", 18.5, 81.5)]
    assert (line["budget"], line["budget_left"]) == (2.0, 1.6)
    assert "SMSONLINE_DAILY_BUDGET: 1.6 of 2 left" in run.err and "grizzly.example.test: 18.5 spent" in run.err
    assert "18.9" not in run.out + run.err


def test_orders_of_one_currency_keep_their_totals(cli, store):
    finished(store, "9", PRIMARY, 0.4)
    finished(store, "10", "https://smsonline.example.test/api/v1", 0.3)  # another SMSOnline site: one currency
    line = cli("orders").line
    assert (line["spent"], len(line["sites"])) == (0.7, 2)
