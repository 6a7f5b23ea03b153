"""The money suite once per protocol, as one parametrised suite: SMSOnline v1, the sms-activate standard
(handler_api.php) and 5sim (REST, the key in a Bearer header) through the bundled sandbox, with real subprocesses,
real sockets and real signals; a scenario that spends its seconds on the platform's clock runs the three side by side.
Whatever the protocol: the code comes only with an SMS, an unused number is cancelled and refunded, a purchase that
may have reached the platform is never bought again, and every order settles."""
import collections
import signal
import time

import pytest

from e2e_support import Runner, calls, orders_in, side_by_side, wait_until
from smsonline.platform import declared

Protocol = collections.namedtuple("Protocol", "options by_ids silent names buy_call read_call")
PROTOCOLS = {
    "smsonline-v1": Protocol({}, ("--country", "1", "--service", "101", "--operator", "13"),
                             ("--country", "1", "--service", "199", "--operator", "13"),
                             ("--country", "China", "--service", "Soul"), "buy-service", "get-sms"),
    "sms-activate": Protocol({"protocol": "sms-activate"}, ("--country", "3", "--service", "sl"),
                             ("--country", "3", "--service", "ot"), ("--country", "China", "--service", "Soul"),
                             "getNumber", "getStatus"),
    "5sim": Protocol({"protocol": "5sim"}, ("--country", "china", "--service", "soul"),
                     ("--country", "china", "--service", "other"), ("--country", "China", "--service", "Soul"),
                     "buy", "check"),
}
FAST = ("--interval", "0.5")


@pytest.fixture(params=sorted(PROTOCOLS))
def protocol(request):
    return PROTOCOLS[request.param]


@pytest.fixture
def site(make_sandbox, protocol):
    def make(**options):
        return make_sandbox(**protocol.options, **options)
    return make


def polled(sandbox, protocol):
    """The order is sold, recorded and guarded: the script is polling for its SMS."""
    return wait_until(lambda: calls(sandbox, protocol.read_call), timeout=15)


def test_receive_by_names_confirms_only_the_sms_code(tmp_path, site, protocol):
    sandbox = site()
    before = sandbox.platform.balance
    result = Runner(tmp_path, [sandbox.base_url])("receive", *protocol.names, *FAST)
    assert result.code == 0 and result.line["finished"] and result.line["code"] == orders_in(sandbox)[0]["code"]
    assert result.line["region"] == "CN" and result.line["number"].startswith("+86")
    assert len(calls(sandbox, protocol.buy_call)) == 1
    assert sandbox.platform.balance == pytest.approx(before - result.line["price"])


def test_no_sms_times_out_and_the_number_is_refunded(tmp_path, make_sandbox):
    def timed_out(name, home):
        sandbox = make_sandbox(**PROTOCOLS[name].options)
        before = sandbox.platform.balance
        return sandbox, before, Runner(home, [sandbox.base_url])("receive", *PROTOCOLS[name].silent, "--timeout", "1",
                                                                 *FAST)

    for name, (sandbox, before, result) in side_by_side(timed_out, sorted(PROTOCOLS), tmp_path).items():
        assert (result.code, result.kind, result.line["order_status"]) == (1, "timeout", "cancelled"), name
        assert orders_in(sandbox)[0]["state"] == "cancelled", name
        assert sandbox.platform.balance == pytest.approx(before), name


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_waiting_cancels_and_refunds(tmp_path, site, protocol, signum):
    sandbox = site()
    before = sandbox.platform.balance
    process = Runner(tmp_path, [sandbox.base_url]).start("receive", *protocol.silent, "--timeout", "30", *FAST)
    assert polled(sandbox, protocol)
    process.send_signal(signum)
    result = Runner.finish(process)
    assert (result.code, result.kind) == (130, "interrupted")
    assert orders_in(sandbox)[0]["state"] == "cancelled" and sandbox.platform.balance == pytest.approx(before)


def test_an_early_cancel_window_is_waited_out_by_cleanup(tmp_path, make_sandbox):
    def timed_out(name, home):
        sandbox = make_sandbox(**PROTOCOLS[name].options, early_cancel=2.0)
        before, run = sandbox.platform.balance, Runner(home, [sandbox.base_url])
        return sandbox, before, run, run("receive", *PROTOCOLS[name].silent, "--timeout", "0.5", *FAST)

    for name, (sandbox, before, run, result) in side_by_side(timed_out, sorted(PROTOCOLS), tmp_path).items():
        assert (result.code, result.kind, result.line["order_status"]) == (1, "timeout", "cancelling"), name
        assert result.line["cancel_after"], name
        assert [o["order_status"] for o in run("orders").line["orders"]] == ["cancelling"], name
        wait_until(lambda: time.time() - orders_in(sandbox)[0]["bought_at"] > 2.0, timeout=5)
        assert run("cleanup").code == 0 and orders_in(sandbox)[0]["state"] == "cancelled", name
        assert sandbox.platform.balance == pytest.approx(before), name


def test_a_purchase_whose_answer_is_dropped_is_never_bought_again(tmp_path, site, protocol):
    sandbox = site(drop_answer=True, fault_endpoints=protocol.buy_call)
    run = Runner(tmp_path, [sandbox.base_url])
    result = run("buy", *protocol.by_ids)
    assert (result.code, result.kind) == (4, "network") and "orders page" in result.line["error"]["message"]
    again = run("buy", *protocol.by_ids)
    assert (again.code, again.kind) == (5, "open_order")
    assert len(calls(sandbox, protocol.buy_call)) == 1 and len(orders_in(sandbox)) == 1  # one number, never two


def test_two_buyers_at_once_make_one_purchase(tmp_path, site, protocol):
    sandbox = site()
    run = Runner(tmp_path, [sandbox.base_url])
    results = [Runner.finish(p) for p in [run.start("buy", *protocol.silent) for _ in range(2)]]
    assert sorted(r.code for r in results) == [0, 5]
    assert len(calls(sandbox, protocol.buy_call)) == 1 and len(orders_in(sandbox)) == 1
    bought = next(r for r in results if r.code == 0).line["order_id"]
    assert run("cancel", "--id", bought).code == 0 and orders_in(sandbox)[0]["state"] == "cancelled"


def test_an_order_the_platform_closes_is_no_code_and_costs_nothing(tmp_path, site, protocol):
    sandbox = site(close_after=0.5)
    before = sandbox.platform.balance
    result = Runner(tmp_path, [sandbox.base_url])("receive", *protocol.silent, "--timeout", "20", *FAST)
    assert (result.code, result.kind) == (3, "order_closed") and sandbox.platform.balance == pytest.approx(before)


def test_wait_next_gives_a_new_code_on_the_same_number(tmp_path, make_sandbox):
    def two_codes(name, home):
        run = Runner(home, [make_sandbox(**PROTOCOLS[name].options, resend=0.5).base_url])
        bought = run("buy", *PROTOCOLS[name].by_ids)
        first = run("wait", *FAST)
        second = run("wait", "--id", bought.line["order_id"], "--next", *FAST)
        return first, second, run("finish", "--id", bought.line["order_id"])

    for name, (first, second, finished) in side_by_side(two_codes, sorted(PROTOCOLS), tmp_path).items():
        assert first.code == second.code == 0 and first.line["code"] != second.line["code"], name
        assert finished.line["order_status"] == "finished", name


def test_a_dead_smsonline_base_hands_over_to_an_sms_activate_site(tmp_path, make_sandbox, closed_port_url):
    activate = make_sandbox(protocol="sms-activate")
    result = Runner(tmp_path, [closed_port_url, activate.base_url])("receive", "--country", "China", "--service",
                                                                    "Soul", *FAST)
    assert result.code == 0 and result.line["base_url"] == activate.base_url and result.line["finished"]
    assert len(calls(activate, "getNumber")) == 1


def test_doctor_checks_the_key_in_the_sites_own_protocol_spending_nothing(tmp_path, site, protocol):
    sandbox = site()
    before = sandbox.platform.balance
    result = Runner(tmp_path, [sandbox.base_url])("doctor")
    assert result.code == 0 and result.line["bases"][0]["verdict"] == "works"
    assert result.line["bases"][0]["protocol"] == protocol.options.get("protocol", "smsonline-v1")
    assert sandbox.platform.balance == before and orders_in(sandbox) == []


@pytest.mark.parametrize("name", [name for name in sorted(PROTOCOLS) if not declared(name).test_mode])
@pytest.mark.parametrize("command", [("doctor", "--flow", "--test"), ("receive", "--test", "--country", "China",
                                                                      "--service", "Soul")])
def test_test_mode_is_refused_before_anything_is_bought_where_there_is_none(tmp_path, make_sandbox, name, command):
    sandbox = make_sandbox(**PROTOCOLS[name].options)
    result = Runner(tmp_path, [sandbox.base_url])(*command)
    assert (result.code, result.kind) == (2, "usage") and "no test mode" in result.line["error"]["message"]
    assert orders_in(sandbox) == [] and calls(sandbox, PROTOCOLS[name].buy_call) == []


def test_a_killed_wait_leaves_an_abandoned_order_that_cleanup_refunds(tmp_path, site, protocol):
    sandbox = site()
    before = sandbox.platform.balance
    run = Runner(tmp_path, [sandbox.base_url])
    assert run("buy", *protocol.silent).code == 0
    process = run.start("wait", "--timeout", "30", *FAST)
    assert polled(sandbox, protocol)
    process.kill()
    process.wait()
    assert [o["order_status"] for o in run("orders").line["orders"]] == ["abandoned"]
    assert run("cleanup").code == 0 and orders_in(sandbox)[0]["state"] == "cancelled"
    assert sandbox.platform.balance == pytest.approx(before)


def test_a_purchase_answered_with_a_5xx_is_sent_once_and_never_retried(tmp_path, site, protocol):
    sandbox = site(fail_rate=1.0, fault_endpoints=protocol.buy_call)  # every purchase answer is a 503
    result = Runner(tmp_path, [sandbox.base_url])("buy", *protocol.by_ids)
    assert (result.code, result.kind) == (3, "api") and "orders page" in result.line["error"]["message"]
    assert len(calls(sandbox, protocol.buy_call)) == 1  # urllib3's retries never resend a purchase
