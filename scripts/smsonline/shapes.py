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


# the words of a key naming what a purchase charged (activationCost, totalPrice, fee …), and of one that never does
CHARGE_WORDS = frozenset(("price", "cost", "amount", "charge", "charged", "fee", "total", "paid", "sum"))
NOT_A_CHARGE_WORDS = frozenset(("balance", "count", "qty", "stock", "max", "min", "limit", "rate"))


def stated_charge(purchase, answer, depth=2):
    """The purchase charged at the highest price that any field of its answer naming a charge states (activationCost,
    totalPrice, fee …, in the answer or an object in it, `depth` levels down), and price_unreadable where such a
    field holds something that is no number: a charge in a field its reader does not know still meets the user's
    limits (reference/response-shapes.md). A zero or negative one charges nothing more."""
    prices, unreadable = stated_prices(answer, depth)
    known = [purchase["price"]] if purchase.get("price") else []
    return {**purchase, "price": max([*known, *prices], default=None),
            "price_unreadable": bool(purchase.get("price_unreadable")) or unreadable}


def stated_prices(mapping, depth):
    """([the prices stated], whether some charge could not be read) in a mapping's charge-named fields."""
    prices, unreadable = [], False
    for key, value in mapping.items() if isinstance(mapping, dict) and depth > 0 else ():
        words = set(re.sub(r"([a-z])([A-Z])", r"\1 \2", str(key)).lower().replace("_", " ").split())
        names_a_charge = bool(words & CHARGE_WORDS) and not words & NOT_A_CHARGE_WORDS
        if isinstance(value, dict):
            inner, inner_unreadable = stated_prices(value, depth - 1)
            prices, unreadable = prices + inner, unreadable or inner_unreadable or names_a_charge and not inner
        elif names_a_charge and value not in (None, "") and not isinstance(value, bool):
            price = to_number(value)
            prices += [price] if price is not None and price > 0 else []
            unreadable = unreadable or price is None
    return prices, unreadable
