"""The choice of the operator from the delivery history (choice.py, history.py): pure, with an injected history. A
table of markets and the offer each must put first, the prior, the exploration, the price trade-off, the early
give-up, and the documentation tied to the code."""
import re
from pathlib import Path

import pytest

from support import output
from smsonline import choice, history

ROOT = Path(__file__).resolve().parent.parent
CHEAP = {"id": "13", "price": 0.3, "stock": 9}
DEAR = {"id": "11", "price": 0.35, "stock": 5}
DEAREST = {"id": "14", "price": 0.6, "stock": 5}


def past(delivered=0, failed=0, delay=2.0, waiting=0, closed=0):
    """One operator's history: so many orders delivered after `delay` s, failed (cancelled), closed, still waiting."""
    rows = [{"delivered": 1, "sms_at": 100.0 + delay, "created_at": 100.0, "state": "finished"}] * delivered + \
        [{"delivered": 0, "sms_at": None, "created_at": 100.0, "state": "cancelled"}] * failed + \
        [{"delivered": 0, "sms_at": None, "created_at": 100.0, "state": "closed"}] * closed + \
        [{"delivered": 0, "sms_at": None, "created_at": 100.0, "state": "waiting"}] * waiting
    stats = history.Stats()
    for row in rows:
        stats.add(row)
    return stats


def first(offers, known, prefer="balanced", tried=(), timeout=120.0, interval=5.0):
    return choice.rank(offers, known, timeout, interval, prefer, tried)[0]


MARKETS = [  # (what the case shows, offers, history, SMSONLINE_PREFER, tried, the operator chosen)
    ("nothing known: the cheapest", [CHEAP, DEAR], {}, "balanced", (), "13"),
    ("the cheap one fails, the dearer delivers: the dearer", [CHEAP, DEAR],
     {"13": past(delivered=2, failed=8), "11": past(delivered=9, failed=1)}, "balanced", (), "11"),
    ("one failure among deliveries is no verdict: still the cheapest", [CHEAP, DEAR],
     {"13": past(delivered=5, failed=1), "11": past(delivered=6)}, "balanced", (), "13"),
    ("an unseen operator is tried before one that failed", [CHEAP, DEAR], {"13": past(failed=1)}, "balanced", (),
     "11"),
    ("close enough in time: the cheaper of the two", [CHEAP, DEAR],
     {"13": past(delivered=18, failed=2), "11": past(delivered=20)}, "balanced", (), "13"),
    ("fast: the shortest expected time even when dearer", [CHEAP, DEAR],
     {"13": past(delivered=18, failed=2), "11": past(delivered=20)}, "fast", (), "11"),
    ("cheap: the cheapest whatever the history", [CHEAP, DEAR],
     {"13": past(delivered=2, failed=8), "11": past(delivered=9, failed=1)}, "cheap", (), "13"),
    ("slow to deliver counts too", [CHEAP, DEAR],
     {"13": past(delivered=10, delay=90), "11": past(delivered=10, delay=5)}, "balanced", (), "11"),
    ("the next number never goes straight back to the one that just failed", [CHEAP, DEAR],
     {"13": past(delivered=2, failed=8), "11": past(delivered=9, failed=1)}, "balanced", ("11",), "13"),
    ("after both were tried: the one that failed before the last", [CHEAP, DEAR],
     {"13": past(delivered=2, failed=8), "11": past(delivered=9, failed=1)}, "balanced", ("11", "13"), "11"),
    ("orders still waiting say nothing yet", [CHEAP, DEAR],
     {"13": past(waiting=6), "11": past(delivered=1, failed=1)}, "balanced", (), "13"),
    ("closed by the platform counts as no SMS", [CHEAP, DEAR],
     {"13": past(closed=10), "11": past(delivered=9, failed=1)}, "balanced", (), "11"),
    ("the platform's own rate is the prior of an unseen operator", [{**CHEAP, "rate": 10}, {**DEAR, "rate": 95}], {},
     "balanced", (), "11"),
    ("history outweighs the platform's rate", [{**CHEAP, "rate": 10}, {**DEAR, "rate": 95}],
     {"13": past(delivered=30), "11": past(delivered=3, failed=27)}, "balanced", (), "13"),
]


@pytest.mark.parametrize("offers, known, prefer, tried, chosen", [case[1:] for case in MARKETS],
                         ids=[case[0] for case in MARKETS])
def test_the_offer_put_first(offers, known, prefer, tried, chosen):
    assert first(offers, known, prefer, tried).offer["id"] == chosen


def test_every_offer_is_ranked_once_and_only_offers_given_are_ranked():
    ranked = choice.rank([CHEAP, DEAR, DEAREST], {"11": past(delivered=9, failed=1)}, 120, 5)
    assert sorted(r.offer["id"] for r in ranked) == ["11", "13", "14"]


def test_an_operator_rarely_tried_is_tried_again_once_enough_orders_went_elsewhere():
    """Deterministic exploration: after one failure the cheap operator waits its turn, and gets it back only once the
    dearer one has many orders (the benefit of the doubt grows with the orders decided here)."""
    def chosen_after(dear_orders):
        known = {"13": past(failed=1), "11": past(delivered=dear_orders * 7 // 10, failed=dear_orders * 3 // 10)}
        return first([CHEAP, DEAR], known, timeout=60, interval=5)
    early, late = chosen_after(10), chosen_after(1000)
    assert early.offer["id"] == "11"
    assert late.offer["id"] == "13" and "tried again now and then" in late.choice["reason"]
    assert chosen_after(10) == early  # the same inputs, the same choice


def test_the_choice_says_which_operator_its_estimated_rate_how_much_is_known_and_why():
    known = {"13": past(delivered=2, failed=8), "11": past(delivered=9, failed=1, delay=4)}
    best = first([CHEAP, DEAR], known)
    assert best.choice == {"operator_id": "11", "delivery_rate": round(10 / 12, 3), "seen": 10,
                           "reason": best.choice["reason"]}
    assert "9 of 10 delivered here, median 4.0 s" in best.choice["reason"]
    assert "shortest expected time" in best.choice["reason"]
    unseen = first([CHEAP, DEAR], {}).choice
    assert (unseen["seen"], unseen["delivery_rate"]) == (0, 0.5) and "never bought here" in unseen["reason"]


@pytest.mark.parametrize("rate, prior", [(80, 0.8), (0, 0.01), (None, 0.5), ("90", 0.5), (True, 0.5), (140, 0.5)])
def test_the_platforms_rate_is_the_prior_only_when_it_is_a_number_from_0_to_100(rate, prior):
    assert choice.estimated_rate(None, rate) == pytest.approx(prior)


def test_the_prior_is_worth_two_orders():
    assert choice.estimated_rate(past(failed=1)) == pytest.approx(1 / 3)
    assert choice.estimated_rate(past(delivered=8, failed=2)) == pytest.approx(9 / 12)


@pytest.mark.parametrize("stats, timeout, interval, seconds", [
    (None, 120, 5, None),  # no history: the whole timeout
    (past(delivered=4, delay=10), 120, 5, None),  # fewer than five deliveries with a time
    (past(delivered=5, delay=10), 120, 5, 25.0),  # five polls beat twice 10 s
    (past(delivered=20, delay=40), 120, 5, 80.0),  # twice the 95th percentile
    (past(delivered=20, delay=70), 120, 5, None),  # 140 s is past the timeout: the timeout stays
    (past(delivered=5, delay=1), 8, 0.5, 2.5),  # the floor: five polls
])
def test_a_number_is_given_up_at_twice_where_95_percent_of_its_sms_came(stats, timeout, interval, seconds):
    assert choice.give_up_after(stats, timeout, interval) == seconds


def test_the_95th_percentile_is_by_nearest_rank():
    stats = history.Stats()
    for delay in range(1, 21):  # 1 … 20 s
        stats.add({"delivered": 1, "sms_at": 100.0 + delay, "created_at": 100.0, "state": "finished"})
    assert (stats.quantile(0.5), stats.quantile(0.9), stats.quantile(0.95)) == (10.0, 18.0, 19.0)


@pytest.mark.parametrize("text, value", [(None, "balanced"), ("", "balanced"), ("fast", "fast"), (" Cheap ", "cheap")])
def test_the_preference_setting(text, value):
    assert choice.preference(text) == value


def test_an_unknown_preference_is_a_config_error_naming_the_choices():
    with pytest.raises(output.Failure) as caught:
        choice.preference("quick")
    assert caught.value.kind == "config" and "fast, balanced, cheap" in caught.value.message


def test_the_forced_operator_keeps_the_users_word_and_says_what_is_known():
    forced = choice.forced("13", past(delivered=1, failed=3))
    assert forced["operator_id"] == "13" and forced["seen"] == 4 and forced["reason"].startswith("--operator")


def test_the_documented_rule_is_the_codes():
    """api.md and .env.example name the same preferences, constants and give-up rule as choice.py."""
    api = (ROOT / "reference" / "api.md").read_text(encoding="utf-8")
    section = api[api.index("## Choosing the operator"):]
    section = section[:section.index("\n## ", 3)]
    assert set(re.findall(r"`SMSONLINE_PREFER=(\w+)`", section)) == set(choice.PREFERENCES)
    for number in (choice.PRIOR_WEIGHT, choice.EXPLORE, choice.GIVE_UP_FACTOR, choice.GIVE_UP_MIN_POLLS,
                   choice.GIVE_UP_MIN_DELIVERIES):
        assert f"{number:g}" in section
    assert f"{choice.PREFERENCES['balanced']:.0%}" in section and f"{choice.GIVE_UP_QUANTILE:.0%}" in section
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(r"SMSONLINE_PREFER=balanced\b", example) and all(p in example for p in choice.PREFERENCES)
