"""Which offer to buy, by the expected time to a code learned from the user's own delivery history (history.py),
with price as the trade-off the user sets; and how long a number that gets nothing is worth waiting on. Pure: offers
and history in, ranked offers with the reason out. The rule, in words, is in reference/api.md ("Choosing the
operator"):

    rate      = (delivered + K·prior) / (decided + K)                K = 2; prior: the offer's own `rate` (0-100) from
                                                                    the platform where it carries one, else 50%
    hopeful   = min(1, rate + C·sqrt(ln(1 + N) / (decided + K)))     C = 0.5; N: decided orders of every operator here
    expected  = delay + (1 − hopeful) / hopeful · wait              delay: its median time to the SMS (else the
                                                                    median of every operator here, else 0); wait:
                                                                    give_up_after, else the timeout
"""
from __future__ import annotations

import collections
import math
import statistics

from .output import Failure

PRIOR_WEIGHT = 2.0  # K: the prior counts as two orders, so one failure is no verdict
PRIOR_RATE = 0.5  # an operator never bought here, when the platform gives no rate of its own
MIN_PRIOR_RATE = 0.01  # a platform rate of 0 is a prior, not a certainty
EXPLORE = 0.5  # C: how far a rarely tried operator is given the benefit of the doubt
PREFERENCES = {"fast": 0.0, "balanced": 0.25, "cheap": None}  # the slack over the best expected time (cheap: any)
DEFAULT_PREFERENCE = "balanced"
GIVE_UP_FACTOR = 2.0  # a number is given up at twice the time within which 95% of this operator's SMS came …
GIVE_UP_QUANTILE = 0.95
GIVE_UP_MIN_POLLS = 5  # … never before five polls …
GIVE_UP_MIN_DELIVERIES = 5  # … and only once five deliveries have a time

DEFAULT_TIMEOUT_S, DEFAULT_INTERVAL_S = 120.0, 5.0  # `buy` ranks offers as if its number were waited on as by `wait`

Ranked = collections.namedtuple("Ranked", "offer expected_s choice")


def preference(text):
    """SMSONLINE_PREFER -> fast, balanced (default) or cheap; anything else is a config error."""
    value = (text or DEFAULT_PREFERENCE).strip().lower()
    if value not in PREFERENCES:
        raise Failure("config", f"SMSONLINE_PREFER must be one of {', '.join(PREFERENCES)}, got {text!r}.")
    return value


def estimated_rate(stats, platform_rate=None):
    """The delivery rate with the prior: the platform's own rate (0-100) where given, else 50%, worth two orders."""
    prior = PRIOR_RATE if not isinstance(platform_rate, (int, float)) or isinstance(platform_rate, bool) or \
        not 0 <= platform_rate <= 100 else max(MIN_PRIOR_RATE, platform_rate / 100)
    delivered, decided = (stats.delivered, stats.decided) if stats else (0, 0)
    return (delivered + PRIOR_WEIGHT * prior) / (decided + PRIOR_WEIGHT)


def give_up_after(stats, timeout, interval):
    """Seconds after which a number of this operator that got nothing is given up, or None (the whole timeout):
    once at least five of its deliveries have a time, twice the time within which 95% of them came, never less than
    five polls, and only when that is shorter than the timeout."""
    if not stats or len(stats.delays) < GIVE_UP_MIN_DELIVERIES:
        return None
    seconds = max(GIVE_UP_FACTOR * stats.quantile(GIVE_UP_QUANTILE), GIVE_UP_MIN_POLLS * interval)
    return seconds if seconds < timeout else None


def rank(offers, history, timeout, interval, prefer=DEFAULT_PREFERENCE, tried=()):
    """offers (in stock, within the price limit; ids as text) + history {operator_id: Stats} -> [Ranked], best
    first. tried: the operators this run already bought, in order: they come after the others, the last one last."""
    all_delays = sorted(d for stats in history.values() for d in stats.delays)
    typical = statistics.median(all_delays) if all_delays else 0.0
    decided_here = sum(stats.decided for stats in history.values())
    judged = [judge(offer, history.get(str(offer["id"])), typical, decided_here, timeout, interval)
              for offer in offers]
    best, best_plain = min(j["expected"] for j in judged), min(j["plain"] for j in judged)
    slack = PREFERENCES[prefer]
    if slack is None:
        order = sorted(judged, key=lambda j: price_key(j["offer"]))
    else:
        near = [j for j in judged if j["expected"] <= best * (1 + slack) + 1e-9]
        order = sorted(near, key=lambda j: (price_key(j["offer"]) if slack else j["plain"], j["expected"])) + \
            sorted((j for j in judged if j not in near), key=lambda j: (j["expected"], price_key(j["offer"])))
    last = str(tried[-1]) if tried else None
    order.sort(key=lambda j: (str(j["offer"]["id"]) in map(str, tried), str(j["offer"]["id"]) == last))
    return [Ranked(j["offer"], round(j["expected"], 1), choice_of(j, prefer, (best, best_plain), bool(tried)))
            for j in order]


def for_the_run(offers, history, args, prefer_setting):
    """The best offer for a run's arguments (its --timeout and --interval, receive's tried operators) and the
    SMSONLINE_PREFER setting -> Ranked."""
    return rank(offers, history, getattr(args, "timeout", DEFAULT_TIMEOUT_S), getattr(args, "interval",
                DEFAULT_INTERVAL_S), preference(prefer_setting), getattr(args, "tried_operators", ()))[0]


def price_key(offer):
    return (offer.get("price") is None, offer.get("price") or 0)


def judge(offer, stats, typical, decided_here, timeout, interval):
    """One offer's rate, hopeful rate and expected seconds to a code."""
    rate = estimated_rate(stats, offer.get("rate"))
    seen = stats.decided if stats else 0
    hopeful = min(1.0, rate + EXPLORE * math.sqrt(math.log(1 + decided_here) / (seen + PRIOR_WEIGHT)))
    delay = stats.quantile(0.5) if stats and stats.delays else typical
    wait = give_up_after(stats, timeout, interval) or timeout
    return {"offer": offer, "stats": stats, "rate": rate, "seen": seen, "delay": delay, "wait": wait,
            "expected": delay + (1 - hopeful) / hopeful * wait, "plain": delay + (1 - rate) / rate * wait}


def evidence(judged):
    """What the history (or the platform) says of one operator, in words."""
    stats, rate = judged["stats"], judged["offer"].get("rate")
    platform = f"; the platform's own rate {rate:g}%" if isinstance(rate, (int, float)) and not isinstance(rate, bool) \
        else ""
    if not judged["seen"]:
        prior = f"{judged['rate']:.0%}"
        return f"never bought here yet (taken as {prior} until it is){platform}"
    median = f", median {stats.quantile(0.5):.1f} s to the SMS" if stats.delays else ""
    return f"{stats.delivered} of {stats.decided} delivered here{median}{platform}"


def choice_of(judged, prefer, bests, again):
    """The line's `choice`: the operator, its estimated delivery rate, how many of its orders are decided, and why.
    bests: the lowest expected time with the benefit of the doubt and without."""
    (best, best_plain), expected, slack = bests, judged["expected"], PREFERENCES[prefer]
    if slack is None:
        why = "the cheapest in stock (SMSONLINE_PREFER=cheap)"
    elif expected <= best + 1e-9:
        why = f"the shortest expected time to a code (~{expected:.0f} s)"
    elif expected <= best * (1 + slack) + 1e-9:
        why = f"the cheapest within {slack:.0%} of the shortest expected time to a code (~{expected:.0f} s against " \
              f"~{best:.0f} s)"
    else:
        why = f"an expected ~{expected:.0f} s to a code"
    if slack is not None and judged["plain"] > best_plain * (1 + slack) + 1e-9 and expected <= best * (1 + slack):
        why += ", tried again now and then while its orders are few"
    if again:
        why = f"the next number, not the operator that just failed: {why}"
    return {"operator_id": str(judged["offer"]["id"]), "delivery_rate": round(judged["rate"], 3),
            "seen": judged["seen"], "reason": f"{why}; {evidence(judged)}"}


def forced(operator_id, stats):
    """--operator: the user's word, with what the history says of it."""
    judged = {"offer": {"id": operator_id}, "stats": stats, "rate": estimated_rate(stats),
              "seen": stats.decided if stats else 0}
    return {"operator_id": str(operator_id), "delivery_rate": round(judged["rate"], 3), "seen": judged["seen"],
            "reason": f"--operator: the user's choice; {evidence(judged)}"}
