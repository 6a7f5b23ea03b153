"""The money promises against platforms that misbehave after the request left: broken TLS, answers that trickle or
never end, cancels refused, orders closed by the platform, a ledger that cannot be written. Real subprocesses,
real sockets, loopback only."""
import resource

import pytest

from e2e_support import Runner, calls, orders_in, side_by_side
from loopback import TlsBreakServer, TlsHandshakeFailServer, self_signed_cert

BY_IDS = ("--country", "1", "--service", "101", "--operator", "13")  # buy-service is the first request
SILENT = ("--country", "1", "--service", "199", "--operator", "13")  # never gets an SMS


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


# --- 1. "nothing was sent" means provably nothing -----------------------------------------------------

@pytest.mark.parametrize("mode", ["garbage", "reset", "eof"])
def test_tls_broken_after_the_request_left_is_an_unknown_purchase_never_bought_again(tmp_path, sandbox, cert, mode):
    broken = TlsBreakServer(*cert, mode)
    try:
        run = Runner(tmp_path, [broken.base_url, sandbox.base_url])
        result = run("buy", *BY_IDS, REQUESTS_CA_BUNDLE=str(cert[0]))
        assert (result.code, result.kind) == (4, "network")
        assert "website" in result.line["error"]["message"] and "after the request was sent" in \
            result.line["error"]["message"]
        assert len(broken.requests) == 1 and broken.requests[0].startswith("GET /api/v1/virtual-number/buy-service")
        assert calls(sandbox, "buy-service") == []  # never sent to the next base: that would be a second number
        listed = run("orders").line["orders"]
        assert [(o["order_status"], o["country_id"], o["service_id"], o["operator_id"], o["attempt"])
                for o in listed] == [("unknown", "1", "101", "13", "attempt-1")]
        assert listed[0]["created_at"] and listed[0]["base_url"] == broken.base_url
        again = run("buy", *BY_IDS, REQUESTS_CA_BUNDLE=str(cert[0]))
        assert (again.code, again.kind) == (5, "open_order") and "cleanup --forget attempt-1" in \
            again.line["error"]["message"]
        assert run("cleanup", "--forget", "attempt-1").line["order_status"] == "forgotten"
        assert run("buy", "--base-url", sandbox.base_url, *BY_IDS).code == 0
        assert run("cleanup").code == 0
    finally:
        broken.close()


def test_a_failed_tls_handshake_proves_nothing_was_sent_so_the_next_base_sells(tmp_path, sandbox):
    blocked = TlsHandshakeFailServer()
    try:
        result = Runner(tmp_path, [blocked.base_url, sandbox.base_url])("buy", *BY_IDS)
        assert result.code == 0 and result.line["base_url"] == sandbox.base_url
        assert len(calls(sandbox, "buy-service")) == 1 and blocked.connections >= 1
        assert result.line["order_status"] == "waiting"
    finally:
        blocked.close()


# --- 4. every order can settle: the platform closes it, refuses the cancel ------------------------------

# how the platform says it closed an order -> (the sandbox's closed_answer, its closed_word)
CLOSED_ANSWERS = {"the state CANCELED_BY_TIMEOUT": ("state", "CANCELED_BY_TIMEOUT"), "the state 已取消": ("state", "已取消"),
                  "HTTP 410": ("http410", "cancelled"), "HTTP 400": ("http400", "cancelled"),
                  "not found": ("not-found", "cancelled")}


def test_an_order_the_platform_closes_stops_polling_at_once_and_nothing_bricks(tmp_path, make_sandbox):
    """Each way of saying "closed" side by side (each waits for the platform to close its order)."""
    def receive(case, home):
        answer, word = CLOSED_ANSWERS[case]
        closing = make_sandbox(close_after=1.0, closed_answer=answer, closed_word=word)
        run = Runner(home, [closing.base_url])
        return closing, run, run("receive", *SILENT, "--timeout", "30", "--interval", "0.5")

    for case, (closing, run, result) in side_by_side(receive, list(CLOSED_ANSWERS), tmp_path).items():
        assert (result.code, result.kind, result.line["order_status"]) == (3, "order_closed", "closed"), case
        assert result.elapsed < 6, case  # not 30: polling stopped when the platform said so
        assert [c["params"]["status"] for c in calls(closing, "change-status")] == ["4"], case  # a cancel, to be sure
        assert orders_in(closing)[0]["state"] == "closed" and closing.platform.balance == pytest.approx(100), case
        assert run("buy", *BY_IDS).code == 0 and run("cleanup").code == 0, case


def test_a_cancel_the_platform_refuses_forever_ends_in_forget_and_then_buy_works(tmp_path, make_sandbox):
    strict = make_sandbox(refuse_cancel_after_sms=True, sms_delay=0)
    run = Runner(tmp_path, [strict.base_url])
    bought = run("buy", *SILENT)
    order_id = bought.line["order_id"]
    # the platform counts something as an SMS that is no text a person reads (an SMS with words is handed over as
    # sms_without_code instead: test_sms_without_code_end_to_end.py): nothing to confirm, and no cancel goes through
    assert strict.platform.deliver(order_id, "0000")
    result = run("wait", "--timeout", "1", "--interval", "0.5")
    assert (result.code, result.kind) == (6, "cancel_failed")
    assert "cleanup --forget" in result.line["error"]["message"] and "0000" in result.line["last_answer"]
    assert run("cleanup").code == 6  # still refused: said again, with what to do
    assert run("buy", *BY_IDS).code == 6  # rule 3: the open order holds a number
    assert run("cleanup", "--forget", order_id).code == 0
    assert run("buy", *BY_IDS).code == 0 and run("cleanup").code == 0


# --- 5. shapes the parser was not built on, end to end --------------------------------------------------

def test_unusual_shapes_give_the_code_and_never_a_false_one(tmp_path, make_sandbox):
    def receive(shape, home):
        unusual = make_sandbox(shape=shape, sms_delay=1.2)
        return unusual, Runner(home, [unusual.base_url])("receive", "--country", "1", "--service", "101",
                                                         "--interval", "0.5")

    for shape, (unusual, result) in side_by_side(receive, ["coded", "nested"], tmp_path).items():
        assert result.code == 0 and result.line["polls"] >= 3, shape  # waiting answers were not taken for codes
        assert result.line["code"] == orders_in(unusual)[0]["code"] or result.line["code"] in result.line["sms"], shape
        assert result.line["code"] != result.line["order_id"], shape


# --- 6 and 7. the deadline is a wall-clock promise; answers are bounded ---------------------------------

# what trickles a byte a second -> (the sandbox's faults, the run, the most seconds it may take): the deadline is 3 s,
# and a settlement after it has its grace (8 s) however slowly the platform answers
TRICKLING = {
    "the polls and the cancel": ({"fault_endpoints": "get-sms,change-status"}, SILENT, 3 + 10),
    "the polls": ({"fault_endpoints": "get-sms"}, SILENT, 3 + 4),
    "the confirm": ({"fault_endpoints": "change-status", "sms_delay": 0.5}, BY_IDS, 3 + 10),
}


def test_a_trickling_platform_cannot_hold_a_run_past_its_deadline(tmp_path, make_sandbox):
    """The three cases side by side (each spends its seconds waiting): a cancel that trickles too is said, not hidden
    (cancel_failed, with `cleanup`); a cancel that answers still ends the order cancelled; a confirm that trickles
    leaves the code in hand and says `cleanup` will settle it."""
    def run(name, home):
        faults, order, _ = TRICKLING[name]
        slow = make_sandbox(trickle=1.0, **faults)
        return Runner(home, [slow.base_url])("receive", *order, "--timeout", "3", "--interval", "0.5")

    results = side_by_side(run, list(TRICKLING), tmp_path)
    for name, result in results.items():
        assert result.elapsed < TRICKLING[name][2], (name, result.elapsed)
    cancel_trickled, polls_trickled, confirm_trickled = results.values()
    assert (cancel_trickled.code, cancel_trickled.kind) == (6, "cancel_failed")
    assert "cleanup" in cancel_trickled.line["error"]["message"]
    assert (polls_trickled.code, polls_trickled.line["order_status"]) == (1, "cancelled")
    assert confirm_trickled.code == 0 and confirm_trickled.line["code"]
    assert "cleanup" in confirm_trickled.line["warning"]


def test_an_oversize_answer_is_abandoned_at_1_mib_without_the_memory(tmp_path, make_sandbox):
    huge = make_sandbox(oversize=400, fault_endpoints="get-countries")
    result = Runner(tmp_path, [huge.base_url])("countries")
    assert (result.code, result.kind) == (3, "api") and "larger than 1024 KiB" in result.line["error"]["message"]
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 200 * 1024  # KiB: no child held the answer


def test_a_deeply_nested_answer_is_unreadable_not_a_bug(tmp_path, make_sandbox):
    nested = make_sandbox(nest=100_000, fault_endpoints="get-countries")
    result = Runner(tmp_path, [nested.base_url])("countries")
    assert (result.code, result.kind) == (3, "api") and "nested too deeply" in result.line["error"]["message"]


# --- 8. the ledger failing is a designed outcome ---------------------------------------------------------

def test_a_state_dir_that_cannot_be_written_stops_the_run_before_any_request(tmp_path, sandbox):
    run = Runner(tmp_path, [sandbox.base_url])
    run.state_dir.mkdir()  # `orders` would not make it: a read-only command creates no ledger
    (run.state_dir / "ledger.sqlite3").write_bytes(b"this is not a database")
    result = run("buy", *BY_IDS)
    assert (result.code, result.kind) == (2, "config") and "ledger" in result.line["error"]["message"]
    assert sandbox.platform.snapshot()["calls"] == []


def test_sandbox_flags_asking_for_help_or_a_taken_port_are_one_config_line(tmp_path, sandbox):
    run = Runner(tmp_path, ["https://unused.invalid/api/v1"])
    helped = run("countries", "--sandbox", SMSONLINE_SANDBOX_ARGS="--help")
    port = sandbox.base_url.split(":")[2].split("/")[0]
    taken = run("countries", "--sandbox", SMSONLINE_SANDBOX_ARGS=f"--port {port}")
    assert (helped.code, helped.kind, taken.code, taken.kind) == (2, "config", 2, "config")
