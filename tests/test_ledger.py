"""The ledger: rule 3 is atomic across processes, states and the one-line output."""
import json

import pytest

from support import PRIMARY, sms


def test_two_processes_reserving_at_once_get_one_purchase(tmp_path):
    first, second = sms.Store(tmp_path), sms.Store(tmp_path)  # two connections, as two processes have
    second.sandbox = first.sandbox
    reservation, _ = first.reserve_purchase(PRIMARY, 600, replace=False, test=False)
    first.update(dict(reservation), pid=_live_pid())
    with pytest.raises(sms.Failure) as caught:
        second.reserve_purchase(PRIMARY, 600, replace=False, test=False)
    assert caught.value.kind == "open_order" and caught.value.exit_code == 5


def _live_pid():
    import os
    return os.getppid()  # the test runner's parent: alive for the whole test


def test_a_buying_row_of_a_dead_process_becomes_unknown_and_stops_blocking(tmp_path):
    store = sms.Store(tmp_path)
    reservation, _ = store.reserve_purchase(PRIMARY, 600, replace=False, test=False)
    store.update(dict(reservation), pid=None)
    store.reserve_purchase(PRIMARY, 600, replace=False, test=False)
    assert [o["state"] for o in store.orders()] == ["unknown", "buying"]


def test_sandbox_and_real_orders_never_mix(tmp_path):
    sms.Store(tmp_path, sandbox=True).adopt("1", "http://127.0.0.1:1/api/v1")
    assert sms.Store(tmp_path).orders() == []
    assert len(sms.Store(tmp_path, sandbox=True).orders()) == 1


def test_an_unusable_state_dir_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(sms.Failure) as caught:
        sms.Store(blocker / "state")
    assert caught.value.kind == "config" and caught.value.exit_code == 2


@pytest.mark.parametrize("breaker", ["\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x1c"])
def test_the_line_stays_one_line_whatever_the_sms_holds(breaker):
    line = sms.json_line("check", True, {"sms": f"验证码{breaker}1234"}, sms.Redactor())
    assert len(line.splitlines()) == 1
    assert json.loads(line)["sms"] == f"验证码{breaker}1234"
    assert "验证码" in line  # not ASCII-escaped


def test_the_folders_the_ledger_creates_are_private(tmp_path):
    sms.Store(tmp_path / "home" / ".smsonline" / "sandbox")
    for folder in (tmp_path / "home", tmp_path / "home" / ".smsonline", tmp_path / "home" / ".smsonline" / "sandbox"):
        assert folder.stat().st_mode & 0o777 == 0o700
