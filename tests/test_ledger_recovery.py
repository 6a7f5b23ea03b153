"""A ledger that survives the usual tools, and one that cannot be read keeps its orders in sight (issue 15 §4)."""
import sqlite3
from pathlib import Path

import responses

import fakes
from support import PRIMARY, ledger

activate = responses.activate(assert_all_requests_are_fired=True)


def test_a_ledger_rebuilt_with_iterdump_keeps_working(cli, env, store):
    store.update(store.adopt("9", PRIMARY), price=0.3)
    path = Path(env["SMSONLINE_STATE_DIR"]) / "ledger.sqlite3"
    dump = list(store.db.iterdump())  # what `sqlite3 ledger.sqlite3 .dump` writes: no user_version
    store.db.close()
    path.unlink()
    rebuilt = sqlite3.connect(path)
    rebuilt.executescript("\n".join(dump))
    rebuilt.close()
    with responses.RequestsMock():
        listed = cli("orders")
    assert listed.code == 0 and [o["order_id"] for o in listed.line["orders"]] == ["9"]
    again = ledger.Store(env["SMSONLINE_STATE_DIR"])
    assert again.db.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION


@activate
def test_an_unreadable_ledger_says_where_its_orders_are_and_cancel_still_works(cli, env):
    path = Path(env["SMSONLINE_STATE_DIR"]) / "ledger.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    listed = cli("orders")
    message = listed.line["error"]["message"]
    assert (listed.code, listed.kind) == (2, "config") and str(path) in message and "cancel --id" in message
    assert "--state-dir" not in message and "another ledger" in message
    fakes.status(4)
    cancelled = cli("cancel", "--id", fakes.ORDER_ID)
    assert (cancelled.code, cancelled.line["order_status"]) == (0, "cancelled") and "in memory" in cancelled.err


def test_orders_lists_at_most_limit_newest_first_with_exact_totals(cli, store):
    for number in range(1, 121):
        store.update(store.adopt(str(number), PRIMARY), state="finished", price=0.5)
    with responses.RequestsMock():
        listed = cli("orders", "--all", "--limit", "10").line
    assert (listed["count"], listed["total"], listed["spent"]) == (10, 120, 60.0)
    assert [o["order_id"] for o in listed["orders"]][:2] == ["120", "119"]
    with responses.RequestsMock():
        assert cli("orders", "--all").line["count"] == 50
