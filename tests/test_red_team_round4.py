"""What a red team reproduced in round 4 beyond the code rule: limits an agent's environment could move, forgetting
that hid money, keys with JSON's own escapes, purchases in odd shapes, SMS ids too long for a number."""
import json

import pytest
import responses

import fakes
from support import KEY, PRIMARY, config, output, smsonline_reader

activate = responses.activate(assert_all_requests_are_fired=True)
BUY = ("buy", "--country", "1", "--service", "101", "--operator", "13")


@pytest.fixture
def users_env_file(tmp_path, monkeypatch):
    """The skill's own .env, the user's: here a file of the test's."""
    path = tmp_path / "skill.env"
    monkeypatch.setattr(config, "USER_ENV_FILE", str(path))
    return path


def spent_in(state_dir, price):
    from support import ledger
    store = ledger.Store(str(state_dir))
    store.update(store.adopt("9", PRIMARY), state="finished", price=price)


def test_an_environment_state_dir_cannot_hide_what_the_users_ledger_spent(cli, env, tmp_path, users_env_file):
    users = tmp_path / "users-ledger"
    users_env_file.write_text(f"SMSONLINE_DAILY_BUDGET=0.5\nSMSONLINE_STATE_DIR={users}\n")
    spent_in(users, 0.6)
    env["SMSONLINE_STATE_DIR"] = str(tmp_path / "agents-empty-ledger")
    with responses.RequestsMock():  # nothing may be sent
        run = cli(*BUY)
    assert (run.code, run.kind, run.line["user_state_dir"]) == (2, "usage", str(users))
    del env["SMSONLINE_STATE_DIR"]
    with responses.RequestsMock():
        assert cli(*BUY).kind == "budget"  # in the user's own ledger, the budget is used up


def test_a_home_of_the_agents_cannot_move_the_users_default_ledger(cli, env, tmp_path, users_env_file, monkeypatch):
    users_env_file.write_text("SMSONLINE_DAILY_BUDGET=0.5\n")
    monkeypatch.setattr(config, "account_home", lambda: str(tmp_path / "account"))
    spent_in(tmp_path / "account" / ".smsonline", 0.6)
    monkeypatch.setenv("HOME", str(tmp_path / "agents-home"))
    del env["SMSONLINE_STATE_DIR"]
    with responses.RequestsMock():
        run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget")  # counted in the account's own ledger, not in $HOME's


@activate
def test_an_env_file_of_the_agents_cannot_drop_the_users_limits(cli, env, users_env_file):
    users_env_file.write_text(f"SMSONLINE_MAX_PRICE=0.4\nSMSONLINE_STATE_DIR={env['SMSONLINE_STATE_DIR']}\n")
    env["SMSONLINE_ENV_FILE"] = "/dev/null"
    fakes.products(body={"status": 1, "data": [{"operatorId": 13, "name": "Telecom", "price": 0.9, "count": 9}]})
    run = cli("buy", "--country", "1", "--service", "101")
    assert (run.code, run.kind) == (3, "budget") and not fakes.calls_to("buy-service")


def test_a_waiting_order_is_cancelled_not_forgotten(cli, store):
    store.adopt("9", PRIMARY)
    with responses.RequestsMock():
        run = cli("cleanup", "--forget", "9")
    assert (run.code, run.kind) == (2, "usage") and "cancel --id 9" in run.line["error"]["message"]
    assert store.order("9")["state"] == "waiting"


def test_a_forgotten_order_that_had_its_code_still_counts_as_spent(cli, store):
    store.update(store.adopt("9", PRIMARY), state="received", price=0.3, code="482913")
    assert cli("cleanup", "--forget", "9").code == 0
    assert store.money() == (0.3, 0.0)


@pytest.mark.parametrize("key", ['test-key-with"quote', "test-key-back\\slash", 'test-key-"both\\ones"'])
def test_a_key_with_quotes_or_backslashes_is_redacted_in_json_text(key):
    output.REDACT.use([key])
    try:
        shown = output.excerpt(json.dumps({"echo": f"your key {key} is odd"}), 300)
    finally:
        output.REDACT.use([KEY])
    assert "***" in shown and "quote" not in shown and "slash" not in shown and "ones" not in shown


@pytest.mark.parametrize("payload, order_id, number", [
    ({"orderId": 500001, "phone": {"countryCode": "86", "number": "13800001549"}, "price": 0.3}, "500001",
     "8613800001549"),
    ({"orderId": 500001.0, "number": "+8613800001549"}, "500001", "+8613800001549"),
    ({"orderId": 500001, "number": ["+8613800001549"]}, "500001", "+8613800001549"),
])
def test_a_purchase_in_an_odd_shape_keeps_its_order_id(payload, order_id, number):
    purchase = smsonline_reader.read_purchase(smsonline_reader.Answer(payload, True))
    assert (purchase["order_id"], purchase["number"]) == (order_id, number)


def test_a_boolean_is_no_order_id():
    with pytest.raises(output.Failure) as caught:
        smsonline_reader.read_purchase(smsonline_reader.Answer({"orderId": True, "number": "+8613800001549"}, True))
    assert caught.value.reason == "uncertain"


def test_an_sms_id_too_long_for_a_number_is_no_id():
    items = [{"id": "9" * 5000, "text": "Your code is 111111"}, {"id": 7, "text": "Your code is 222222"}]
    state = smsonline_reader.read_sms(smsonline_reader.Answer({"messages": items}, True), {"order_id": "1"})
    assert state.code == "222222"  # the last given is the newest when ids cannot be compared
