"""The ledger's delivery history: the time of the first SMS (schema 3, old ledgers migrated in place), and `stats`:
per site, country, service and operator, --test orders and sandbox orders apart from real ones."""
import sqlite3

import pytest
import responses

import fakes
from support import PRIMARY, BACKUP, commands, ledger

activate = responses.activate(assert_all_requests_are_fired=True)


def sold(store, operator="13", state="cancelled", sms_at=None, code=None, base=PRIMARY, test=False, country="1",
         service="101", created_at=1000.0):
    """One order in the ledger as a past run left it."""
    store.db.execute(
        "INSERT INTO orders (order_id, base_url, test, country_id, service_id, operator_id, price, state, code, "
        "sms_at, hold_s, settle_after, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0.3, ?, ?, ?, 600, 0, ?, ?)",
        (str(store.db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] + 600001), base, int(test), country,
         service, operator, state, code, sms_at, created_at, created_at))


def test_the_first_sms_is_timed_when_the_ledger_learns_it_and_kept_once_settled(tmp_path):
    clock = [5000.0]
    store = ledger.Store(tmp_path, now=lambda: clock[0])
    reservation, _, _ = store.reserve_purchase(fakes.WHAT, PRIMARY, 600, replace=False, test=False)
    order = store.record(reservation, order_id="500001", state="waiting")
    clock[0] += 7
    store.update(order, state="received", code="8848", sms="code 8848")
    clock[0] += 30
    store.update(order, state="received", code="9911", sms="code 9911")  # wait --next: a later SMS
    store.update(order, state="finished")
    assert store.order("500001")["sms_at"] == 5007.0


def test_a_version_2_ledger_survives_the_migration_and_its_deliveries_still_count(tmp_path):
    db = sqlite3.connect(tmp_path / "ledger.sqlite3")
    db.executescript(ledger.SCHEMA)
    for column in ledger.ADDED_COLUMNS[:-2]:  # every column but code_from and sms_at: a ledger of schema 2
        db.execute(f"ALTER TABLE orders ADD COLUMN {column}")
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO orders (order_id, base_url, country_id, service_id, operator_id, state, code, hold_s, "
               "created_at, updated_at) VALUES ('7', ?, '1', '101', '13', 'finished', '8848', 600, 100, 100)",
               (PRIMARY,))
    db.commit()
    db.close()
    store = ledger.Store(tmp_path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION == 4
    assert store.order("7")["sms_at"] is None
    [row] = store.deliveries()
    assert row["delivered"] and row["sms_at"] is None  # delivered, its time unknown: no delay is made up


def test_stats_counts_bought_delivered_times_cancelled_and_closed_per_operator(cli, store):
    for delay in (4, 6, 8, 10, 30):
        sold(store, "11", "finished", sms_at=1000.0 + delay, code="1234")
    sold(store, "11", "cancelled")
    sold(store, "13", "cancelled")
    sold(store, "13", "closed")
    sold(store, "13", "waiting")  # no verdict yet
    run = cli("stats")
    assert run.code == 0 and run.line["count"] == 2
    by_operator = {row["operator_id"]: row for row in run.line["rows"]}
    assert by_operator["11"] == {"site": PRIMARY, "country_id": "1", "service_id": "101", "operator_id": "11",
                                 "test": False, "bought": 6, "delivered": 5, "delivery_rate": 0.833, "median_s": 8.0,
                                 "p90_s": 30.0, "cancelled": 1, "closed": 0, "waiting": 0}
    assert (by_operator["13"]["bought"], by_operator["13"]["delivered"], by_operator["13"]["delivery_rate"],
            by_operator["13"]["closed"], by_operator["13"]["waiting"]) == (3, 0, 0.0, 1, 1)


def test_stats_keeps_test_orders_other_sites_and_the_sandbox_apart(cli, store, env):
    sold(store, "13", "finished", sms_at=1005.0, code="1234")
    sold(store, "13", "cancelled", test=True)
    sold(store, "13", "cancelled", base=BACKUP)
    ledger.Store(env["SMSONLINE_STATE_DIR"], sandbox=True).adopt("9", PRIMARY)  # a sandbox order: never counted here
    rows = cli("stats").line["rows"]
    assert sorted((row["site"], row["test"], row["bought"], row["delivered"]) for row in rows) == [
        (BACKUP, False, 1, 0), (PRIMARY, False, 1, 1), (PRIMARY, True, 1, 0)]


@pytest.mark.parametrize("filters, operators", [
    ((), {"11", "13", "14"}),
    (("--country", "1"), {"11", "13"}),
    (("--country", "China", "--service", "Soul"), {"13"}),  # names, from the cached lists (no request)
    (("--service", "bilibili"), {"11"}),
    (("--country", "2"), set()),
])
def test_stats_filters_by_country_and_service_by_id_or_cached_name(cli, store, filters, operators):
    store.put_value(f"catalog:country:{PRIMARY}", {"items": [{"id": "1", "name": "China"}, {"id": "3", "name": "UK"}]})
    store.put_value(f"catalog:service:{PRIMARY}", {"items": [{"id": "101", "name": "Soul"},
                                                             {"id": "102", "name": "bilibili"}]})
    sold(store, "13", "cancelled")
    sold(store, "11", "cancelled", service="102")
    sold(store, "14", "cancelled", country="3")
    run = cli("stats", *filters)  # responses is not active: any request would fail the run
    assert run.code == 0 and {row["operator_id"] for row in run.line["rows"]} == operators


def test_stats_shows_a_table_at_a_terminal_and_only_the_line_on_stdout(cli, store, monkeypatch):
    monkeypatch.setattr(commands, "stderr_is_a_terminal", lambda: True)
    sold(store, "13", "finished", sms_at=1004.0, code="1234")
    run = cli("stats")
    header, row = run.err.strip().splitlines()
    assert header.split()[:4] == ["site", "country", "service", "operator"]
    assert row.split()[-7:] == ["1", "1", "1.0", "4.0", "4.0", "0", "0"]


def test_stats_needs_no_key_and_sends_nothing(cli, env):
    del env["SMSONLINE_API_KEY"]
    run = cli("stats")
    assert (run.code, run.line["rows"]) == (0, [])


@activate
def test_a_received_code_records_when_the_sms_came(cli, store):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    fakes.status(3)
    run = cli("receive", "--country", "1", "--service", "101", "--operator", "13", "--timeout", "5",
              now=lambda: 2000.0)
    assert run.code == 0 and store.order("500001")["sms_at"] == 2000.0
    [row] = cli("stats").line["rows"]
    assert (row["delivered"], row["median_s"]) == (1, 0.0)
