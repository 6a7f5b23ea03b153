"""The common shapes every protocol's reader returns and the flows read: an order's SMS state, one SMS, how an SMS
is recognised again (`wait --next`), and a number read from an answer. Protocol-free and dependency-free, so the
flows and the platform layer use them without importing any protocol's reader."""
from __future__ import annotations

import collections
import math

# said_received: the order's state says received/success but no SMS or code could be read (payload kept to show it)
SmsState = collections.namedtuple("SmsState", "code sms closed said_received texts payload",
                                  defaults=(None, None, False, False, (), None))
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
