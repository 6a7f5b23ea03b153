"""The sandbox itself: its state machine, money, faults, and that it never crashes on odd requests."""
import json
import urllib.request
from urllib.error import HTTPError

import pytest

import smsonline_sandbox as sandbox_module
from smsonline_sandbox import Platform, Refused


@pytest.fixture
def platform():
    return Platform(sms_delay=0, now=lambda: 1000.0)


def test_a_purchase_charges_the_price_and_a_cancel_gives_it_back(platform):
    order = platform.buy(1, 101, 13)
    assert platform.balance == pytest.approx(100 - order["price"])
    platform.change_status(order["id"], 4)
    platform.change_status(order["id"], 4)  # idempotent
    assert platform.balance == pytest.approx(100)


def test_test_purchases_charge_nothing(platform):
    platform.buy(1, 101, 13, test=True)
    assert platform.balance == 100


def test_out_of_stock_and_unknown_orders_are_refused(platform):
    with pytest.raises(Refused, match="No numbers"):
        platform.buy(1, 101, 12)
    with pytest.raises(Refused) as caught:
        platform.read_sms(None)
    assert caught.value.token == "NO_ACTIVATION"


def test_finishing_needs_an_sms_and_is_final(platform):
    order = platform.buy(1, 199, 13)  # the silent service never gets an SMS
    with pytest.raises(Refused, match="has not received"):
        platform.change_status(order["id"], 3)
    assert platform.read_sms(order["id"])["sms"] is None
    platform.deliver(order["id"], "验证码 4521")
    platform.change_status(order["id"], 3)
    with pytest.raises(Refused, match="already finished"):
        platform.change_status(order["id"], 4)


def test_early_cancels_are_refused_within_the_window():
    clock = [1000.0]
    platform = Platform(early_cancel=30, now=lambda: clock[0])
    order = platform.buy(1, 101, 13)
    with pytest.raises(Refused) as caught:
        platform.change_status(order["id"], 4)
    assert caught.value.token == "EARLY_CANCEL_DENIED"
    clock[0] += 31
    assert platform.change_status(order["id"], 4)["state"] == "cancelled"


def test_state_persists_across_instances(tmp_path):
    state = tmp_path / "sandbox.json"
    order = Platform(state_file=state, sms_delay=0).buy(1, 101, 13)
    again = Platform(state_file=state)
    assert again.read_sms(order["id"])["state"] == "received" and again.balance < 100


@pytest.fixture
def server():
    parsed = sandbox_module.build_parser().parse_args(["--api-key", "test-key-sandbox-unit"])
    running = sandbox_module.build(parsed).start_background()
    yield running
    running.stop()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


def test_odd_requests_get_answers_not_crashes(server, capfd):
    base = server.base_url + "/virtual-number/"
    assert get(base + "get-sms?apiKey=test-key-sandbox-unit")[0] == 200  # no id: a refusal in the body
    assert "Order not found" in get(base + "get-sms?apiKey=test-key-sandbox-unit")[1]
    assert get(base + "get-countries?apiKey=wrong")[0] == 401
    assert get(base + "nope?apiKey=test-key-sandbox-unit")[0] == 404
    assert json.loads(get(server.base_url.replace("/api/v1", "") + "/sandbox/state")[1])["balance"] == 100
    assert "Traceback" not in capfd.readouterr().err


def test_the_standalone_help_runs(capsys):
    with pytest.raises(SystemExit) as exit_:
        sandbox_module.main(["--help"])
    assert exit_.value.code == 0 and "Usage:" in capsys.readouterr().out
