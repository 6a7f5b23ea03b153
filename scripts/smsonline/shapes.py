"""The common shapes every protocol's reader returns and the flows read: an order's SMS state, one SMS, how an SMS
is recognised again (`wait --next`), a number read from an answer, and what a purchase answer says it charged.
Protocol-free and dependency-free, so the flows and the platform layer use them without importing any protocol's
reader."""
from __future__ import annotations

import collections
import math
import re

# said_received: the order's state says received/success but no SMS or code could be read (payload kept to show it);
# new_texts: the SMS texts not seen before (`seen`) in which the code rule found no code, newest first, as the
# protocol's reader judges them to be SMS texts (never a status line, a protocol word or an empty text)
SmsState = collections.namedtuple("SmsState", "code sms closed said_received texts payload new_texts",
                                  defaults=(None, None, False, False, (), None, ()))
# One SMS: its text, the code field that came with it (already judged as evidence), and its date and id, if given.
Message = collections.namedtuple("Message", "text code date sms_id", defaults=(None, None, None, None))


def to_number(value, kind=float):
    """A finite number, or None (NaN, infinity and anything else are no price and no stock)."""
    try:
        number = float(value) if value not in (None, "") and not isinstance(value, (dict, list, bool)) else None
    except (TypeError, ValueError, OverflowError):
        return None
    return kind(number) if number is not None and math.isfinite(number) else None


def identity(message):
    """How an SMS is recognised again (for `wait --next`): its text, else its code."""
    return message.text if message.text else f"code:{message.code}"


def seen_after(seen, state):
    """What `wait --next` must not return again: every SMS seen so far and the code taken (a multiset)."""
    counts = collections.Counter(seen)
    counts |= collections.Counter([*state.texts, *([f"code:{state.code}"] if state.code else [])])
    return list(counts.elements())


# what a key naming a purchase's charge holds (in any of its words: activationCost, totalprice, USDprice, fees), or is
# (sum); and the words of a key that never names one (a balance, a count, a limit, a currency or time of a charge)
CHARGE_STEMS = ("price", "cost", "amount", "charge", "fee", "total", "paid")
CHARGE_WORDS = frozenset(("sum",))
NOT_A_CHARGE_WORDS = frozenset(("balance", "count", "qty", "quantity", "stock", "max", "min", "limit", "rate", "rates",
                                "currency", "time", "date", "at", "type", "status", "id", "unit", "name", "code",
                                "left", "remaining", "discount"))


def stated_charge(purchase, answer, depth=4):
    """The purchase charged at the highest price that any field of its answer naming a charge states (activationCost,
    total-price, fees …, in the answer and its objects and lists, `depth` levels down), and price_unreadable where
    such a field holds something that is no number: a charge in a field its reader does not know still meets the
    user's limits (reference/response-shapes.md). A zero charges nothing, nor does a label inside a charge's object
    ({"price": {"value": 9, "tier": "standard"}})."""
    prices, unreadable = stated_prices(answer, depth)
    known = [purchase["price"]] if purchase.get("price") else []
    return {**purchase, "price": max([*known, *prices], default=None),
            "price_unreadable": bool(purchase.get("price_unreadable")) or unreadable}


def key_words(key):
    """A key's words: activationCost -> {activation, cost}; total-price -> {total, price}; USDprice -> {usdprice}."""
    return set(re.split(r"[^a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", str(key)).lower())) - {""}


def names_a_charge(words, within_a_charge=False):
    """Whether a key's words name a charge, or, inside a field that does, leave it one (its currency, time or id
    never is)."""
    named = bool(words & CHARGE_WORDS or any(stem in word for word in words for stem in CHARGE_STEMS))
    return (named or within_a_charge) and not words & NOT_A_CHARGE_WORDS


def stated_prices(value, depth, charge=False):
    """([the prices stated], whether some charge could not be read) in a value: every field naming a charge, and
    every number or text in one."""
    prices, unreadable = [], False
    if depth <= 0:
        return prices, unreadable
    if isinstance(value, dict):  # (named a charge itself, within one, the value)
        items = [(names_a_charge(key_words(key)), names_a_charge(key_words(key), charge), inner)
                 for key, inner in value.items()]
    elif isinstance(value, list):
        items = [(False, charge, inner) for inner in value]
    else:
        items = []
    for named, is_charge, inner in items:
        if isinstance(inner, (dict, list)):
            found, lost = stated_prices(inner, depth - 1, is_charge)
            prices, unreadable = prices + found, unreadable or lost
        elif is_charge and isinstance(inner, (int, float, str)) and not isinstance(inner, bool) and \
                (named or re.search(r"\d", str(inner))):  # a label beside a charge ("standard") is none
            price = to_number(inner) if str(inner).strip() else 0
            prices += [price] if price is not None and price > 0 else []
            unreadable = unreadable or price is None
    return prices, unreadable
