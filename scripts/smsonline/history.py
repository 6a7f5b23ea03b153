"""The delivery history: the ledger's sold orders as statistics per site, country, service and operator, --test
orders apart from real ones (sandbox ones live in their own ledger): bought, delivered (an SMS came, read or not),
time from purchase to the SMS, cancelled, closed by the platform. Pure: rows in (ledger.Store.deliveries), numbers
out; `stats` shows them and choice.py learns from them."""
from __future__ import annotations

import math

NO_VERDICT_STATES = ("buying", "waiting")  # an order still waiting for its SMS says nothing yet


class Stats:
    """One site, country, service and operator (and test or not)."""

    def __init__(self):
        self.bought = self.delivered = self.waiting = self.cancelled = self.closed = 0
        self.delays = []  # seconds from purchase to the SMS, of the deliveries whose time is known, sorted

    def add(self, row):
        self.bought += 1
        if row["delivered"]:
            self.delivered += 1
            if row["sms_at"] is not None:
                self.delays = sorted([*self.delays, max(0.0, row["sms_at"] - row["created_at"])])
        elif row["state"] in NO_VERDICT_STATES:
            self.waiting += 1
        self.cancelled += row["state"] == "cancelled"
        self.closed += row["state"] == "closed"
        return self

    @property
    def decided(self):
        """Orders whose outcome is known: delivered, or ended without an SMS."""
        return self.bought - self.waiting

    @property
    def rate(self):
        return self.delivered / self.decided if self.decided else None

    def quantile(self, q):
        """The nearest-rank quantile of the delays (None without any)."""
        if not self.delays:
            return None
        return self.delays[max(0, math.ceil(q * len(self.delays)) - 1)]


def key_of(row):
    return row["base_url"], row["country_id"], row["service_id"], row["operator_id"], bool(row["test"])


def summarize(rows):
    """Rows -> {(site, country_id, service_id, operator_id, test): Stats}, in the order first seen."""
    table = {}
    for row in rows:
        table.setdefault(key_of(row), Stats()).add(row)
    return table


def by_operator(rows, test):
    """One site, country and service's rows -> {operator_id: Stats}, over orders of the same kind (test or real)."""
    return {key[3]: stats for key, stats in summarize(rows).items() if key[4] == bool(test)}


def known_here(ctx, base, country_id, service_id):
    """{operator_id: Stats} of one site, country and service in the run's ledger, over orders of the run's kind
    (--test or not)."""
    return by_operator(ctx.store.deliveries(base, country_id, service_id), ctx.config.test)


def rounded(seconds):
    return None if seconds is None else round(seconds, 1)


def stats_row(key, stats):
    """One row of `stats`."""
    site, country_id, service_id, operator_id, test = key
    rate = stats.rate
    return {"site": site, "country_id": country_id, "service_id": service_id, "operator_id": operator_id,
            "test": test, "bought": stats.bought, "delivered": stats.delivered,
            "delivery_rate": None if rate is None else round(rate, 3), "median_s": rounded(stats.quantile(0.5)),
            "p90_s": rounded(stats.quantile(0.9)), "cancelled": stats.cancelled, "closed": stats.closed,
            "waiting": stats.waiting}


STATS_COLUMNS = (("site", 28), ("country_id", 7), ("service_id", 7), ("operator_id", 9), ("test", 5), ("bought", 6),
                 ("delivered", 9), ("delivery_rate", 8), ("median_s", 8), ("p90_s", 7), ("cancelled", 9),
                 ("closed", 6))


def table(rows):
    """The rows as a table for a person at a terminal: its lines."""
    def cell(value, width):
        text = "-" if value is None else "yes" if value is True else "no" if value is False else str(value)
        return (text if len(text) <= width else "…" + text[-(width - 1):]).ljust(width)
    header = "  ".join(name.replace("_id", "").replace("delivery_", "").ljust(width) for name, width in STATS_COLUMNS)
    return [header.rstrip()] + ["  ".join(cell(row[name], width) for name, width in STATS_COLUMNS).rstrip()
                                for row in rows]
