"""The ledger: rule 3 is atomic across processes, states, what it records (never the key; an empty text stays
empty) and the one-line output."""
import json
import sqlite3

import pytest

from support import KEY, PRIMARY, ledger, output

WHAT = {"country": "1", "service": "101", "operator": "13", "price": 0.3}


def test_two_processes_reserving_at_once_get_one_purchase(tmp_path):
    first, second = ledger.Store(tmp_path), ledger.Store(tmp_path)  # two connections, as two processes have
    second.sandbox = first.sandbox
    reservation, _, _ = first.reserve_purchase(WHAT, PRIMARY, 600, replace=False, test=False)
    first.update(dict(reservation), pid=_live_pid())
    with pytest.raises(output.Failure) as caught:
        second.reserve_purchase(WHAT, PRIMARY, 600, replace=False, test=False)
    assert caught.value.kind == "open_order" and caught.value.exit_code == 5


def _live_pid():
    import os
    return os.getppid()  # the test runner's parent: alive for the whole test


def test_an_unanswered_purchase_blocks_the_next_for_the_order_lifetime_then_only_warns(tmp_path):
    clock = [1_000_000.0]
    store = ledger.Store(tmp_path, now=lambda: clock[0])
    reservation, _, _ = store.reserve_purchase(WHAT, PRIMARY, 600, replace=False, test=False)
    store.update(dict(reservation), pid=None)  # the buying process died before buy-service answered
    with pytest.raises(output.Failure) as caught:
        store.reserve_purchase(WHAT, PRIMARY, 600, replace=True, test=False)  # not even --replace can cancel it
    assert caught.value.kind == "open_order" and "cleanup --forget attempt-1" in caught.value.message
    assert caught.value.data["open_orders"][0]["attempt"] == "attempt-1"
    clock[0] += ledger.ORDER_LIFETIME_S + 1
    _, _, warnings = store.reserve_purchase(WHAT, PRIMARY, 600, replace=False, test=False)
    assert len(warnings) == 1 and "cleanup --forget attempt-1" in warnings[0]
    unknown = store.orders(("unknown",))[0]
    assert (unknown["country_id"], unknown["service_id"], unknown["operator_id"], unknown["price"]) == \
        ("1", "101", "13", 0.3)


def test_a_version_1_ledger_is_migrated_in_place(tmp_path):
    db = sqlite3.connect(tmp_path / "ledger.sqlite3")
    db.executescript(ledger.SCHEMA + "; PRAGMA user_version = 1;")
    db.execute("INSERT INTO orders (order_id, base_url, state, hold_s, created_at, updated_at) "
               "VALUES ('7', 'https://x.test/api/v1', 'waiting', 600, 100, 100)")
    db.commit()
    db.close()
    order = ledger.Store(tmp_path).order("7")
    assert order["settle_after"] == 700 and order["region"] is None


def test_a_ledger_that_cannot_be_written_is_a_config_error_before_anything(tmp_path, monkeypatch):
    ledger.Store(tmp_path)
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda path, **kw: real_connect(f"file:{path}?mode=ro", uri=True, **kw))
    with pytest.raises(output.Failure) as caught:
        ledger.Store(tmp_path)  # opening and reading work; the write probe does not
    assert caught.value.kind == "config" and "readonly" in caught.value.message
    assert ledger.Store(tmp_path, probe=False).orders() == []  # `orders` only reads, so it still works


def test_sandbox_and_real_orders_never_mix(tmp_path):
    ledger.Store(tmp_path, sandbox=True).adopt("1", "http://127.0.0.1:1/api/v1")
    assert ledger.Store(tmp_path).orders() == []
    assert len(ledger.Store(tmp_path, sandbox=True).orders()) == 1


def test_an_unusable_state_dir_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(output.Failure) as caught:
        ledger.Store(blocker / "state")
    assert caught.value.kind == "config" and caught.value.exit_code == 2


def test_the_key_never_reaches_the_ledger_even_as_an_order_id(store):
    output.REDACT.use([KEY])
    order = store.record(store.adopt("9", PRIMARY), number=f"+86{KEY}", note=f"echo {KEY}")
    row = store.order("9")
    assert KEY not in str(dict(row)) and row["number"] == "***" and order["order_id"] == "9"


def test_an_empty_text_stays_empty_in_the_ledger(store):
    store.record(store.adopt("9", PRIMARY), sms=None, note=None)
    assert (store.order("9")["sms"], store.order("9")["note"]) == (None, None)


@pytest.mark.parametrize("breaker", ["\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x1c"])
def test_the_line_stays_one_line_whatever_the_sms_holds(breaker):
    line = output.json_line("check", True, {"sms": f"验证码{breaker}1234"})
    assert len(line.splitlines()) == 1
    assert json.loads(line)["sms"] == f"验证码{breaker}1234"
    assert "验证码" in line  # not ASCII-escaped


def test_the_folders_the_ledger_creates_are_private(tmp_path):
    ledger.Store(tmp_path / "home" / ".smsonline" / "sandbox")
    for folder in (tmp_path / "home", tmp_path / "home" / ".smsonline", tmp_path / "home" / ".smsonline" / "sandbox"):
        assert folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("ended", ["closed", "forgotten"])  # by the platform, or by hand on the website
@pytest.mark.parametrize("facts, spent", [
    ({"sms": "Welcome to Telegram! Tap the link"}, 0.5),  # its SMS came, then the order was ended: paid
    ({"code": "482913"}, 0.5),
    ({}, 0.0),  # ended before any SMS: a refund
])
def test_an_order_ended_without_confirming_counts_as_spent_once_its_sms_had_come(store, ended, facts, spent):
    store.record(store.adopt("9", PRIMARY), price=0.5, state="sms_without_code" if facts else "waiting", **facts)
    store.record(store.order("9"), state=ended)
    assert store.money() == (spent, 0.0)
