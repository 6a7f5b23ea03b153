"""An SMS in which the code rule finds no code reaches the agent at once (status sms_without_code, exit 9, its text,
code null), and the order is held as a received one is: the skill neither confirms nor cancels it by itself. The agent
confirms it on its own reading (`finish --id X --code C`, recorded in the ledger), waits for another SMS
(`wait --next`) or cancels it. A platform that says "received" with no text, or with a status line for a text, is
never taken for an SMS. Both protocols, on `responses`."""
import argparse
import json

import pytest
import responses
from responses import matchers, registries

import fakes
from support import KEY, config

ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)
activate = responses.activate(assert_all_requests_are_fired=True)
RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13", "--timeout", "60", "--interval", "5")
HINDI = "आपका Soul सत्यापन कोड चार-आठ-दो है। इसे किसी के साथ साझा न करें।"  # a code the rule cannot read
TEXT_ONLY = {"status": 1, "data": {"orderId": 500001, "status": "received", "sms": HINDI}}
SA_SITE = "https://sa.example.test/stubs/handler_api.php"


def bought_then_text(*answers):
    fakes.buy()
    fakes.poll(fakes.WAITING)
    for answer in answers:
        fakes.poll(answer)


def held(store):
    return store.order(fakes.ORDER_ID)


# --- SMSOnline -------------------------------------------------------------------------------------------

@ordered
def test_the_wait_ends_at_the_next_poll_with_the_text_and_neither_confirm_nor_cancel(cli, clock, store):
    bought_then_text(TEXT_ONLY)
    start = clock.now
    run = cli(*RECEIVE)
    assert (run.code, run.line["ok"], run.line["status"], run.line["code"]) == (9, True, "sms_without_code", None)
    assert run.line["sms"] == HINDI and run.line["texts"] == [HINDI] and run.line["finished"] is False
    assert (run.line["polls"], clock.now - start) == (2, 5)  # one interval, not the 60 s deadline
    assert run.line["order_status"] == "sms_without_code" and fakes.calls_to("change-status") == []
    order = held(store)
    assert (order["state"], order["code"], order["sms"]) == ("sms_without_code", None, HINDI)
    assert order["settle_after"] == pytest.approx(store.now() + 600, abs=5)  # held for --hold, as a received one


@pytest.mark.parametrize("payload", [
    {"status": "received", "sms": ""},
    {"status": "received", "sms": "null"},
    {"status": "received", "sms": "OK"},
    {"status": "success", "sms": "STATUS_OK"},
    {"status": "received", "sms": "received"},
    {"status": "received", "sms": "No SMS yet, please wait"},
    {"status": "received", "sms": "SMS not received yet"},
    {"status": "received", "sms": "短信下发中，请稍后"},
    {"status": "received", "sms": "123456789012"},  # digits alone: an id, no SMS a person reads
    {"status": "received"},
    {"status": "waiting", "sms": "Welcome to Soul! Enjoy."},  # a waiting state outranks any text
], ids=["empty", "null", "ok", "status-ok", "received", "waiting-text", "not-received", "chinese-waiting", "digits",
        "no-text", "state-waiting"])
@activate
def test_a_said_received_with_no_sms_text_is_never_handed_over_and_is_cancelled_at_the_deadline(cli, store,
                                                                                                   payload):
    fakes.buy()
    fakes.poll({"status": 1, "data": {"orderId": 500001, **payload}})
    fakes.status(4)
    run = cli(*RECEIVE[:-4], "--timeout", "2", "--interval", "1")
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelled")
    assert "texts" not in run.line


@ordered
def test_finish_with_the_agents_code_confirms_and_the_ledger_records_whose_reading_it_was(cli, store):
    bought_then_text(TEXT_ONLY)
    assert cli(*RECEIVE).code == 9
    fakes.status(3)
    run = cli("finish", "--id", fakes.ORDER_ID, "--code", "482")
    assert (run.code, run.line["status"], run.line["code"], run.line["code_from"]) == (0, "finished", "482", "agent")
    order = held(store)
    assert (order["state"], order["code"], order["code_from"], order["sms"]) == ("finished", "482", "agent", HINDI)
    assert len(fakes.calls_to("change-status")) == 1


@ordered
def test_finish_without_a_code_on_such_an_order_sends_nothing_and_names_finish_code(cli, store):
    bought_then_text(TEXT_ONLY)
    assert cli(*RECEIVE).code == 9
    fakes.poll(TEXT_ONLY)
    run = cli("finish", "--id", fakes.ORDER_ID)
    assert (run.code, run.kind) == (2, "usage") and "--code" in run.line["error"]["message"]
    assert fakes.calls_to("change-status") == [] and held(store)["state"] == "sms_without_code"


@ordered
def test_finish_code_on_an_order_with_no_sms_sends_nothing(cli, store):
    fakes.buy()
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").code == 0
    fakes.poll(fakes.WAITING)
    run = cli("finish", "--id", fakes.ORDER_ID, "--code", "482913")
    assert (run.code, run.kind) == (2, "usage") and "no SMS yet" in run.line["error"]["message"]
    assert fakes.calls_to("change-status") == [] and held(store)["state"] == "waiting"


@pytest.mark.parametrize("code", ["12 34", "4", "48-", "a" * 21, "482;rm"])
def test_finish_code_takes_only_what_a_code_looks_like(cli, code):
    run = cli("finish", "--id", "500001", "--code", code)
    assert (run.code, run.kind) == (2, "usage") and "--code" in run.line["error"]["message"]


@ordered
def test_wait_next_on_it_takes_a_new_sms_with_a_code(cli, store):
    bought_then_text(TEXT_ONLY)
    assert cli(*RECEIVE).code == 9
    fakes.poll(TEXT_ONLY)  # the same SMS again: seen, so the wait goes on
    fakes.poll({"status": 1, "data": {"orderId": 500001, "status": "received",
                                      "messages": [{"text": HINDI}, {"text": fakes.SMS_TEXT}]}})
    run = cli("wait", "--id", fakes.ORDER_ID, "--next", "--timeout", "60", "--interval", "5")
    assert (run.code, run.line["status"], run.line["code"], run.line["polls"]) == (0, "received", "8848", 2)
    assert held(store)["state"] == "received"


@ordered
def test_wait_next_on_a_received_order_hands_over_a_new_sms_without_code_and_keeps_the_earlier_code(cli, store):
    fakes.buy()
    fakes.poll(fakes.RECEIVED)
    assert cli(*RECEIVE, "--no-finish").code == 0
    fakes.poll({"status": 1, "data": {"orderId": 500001, "status": "received",
                                      "messages": [{"text": fakes.SMS_TEXT}, {"text": HINDI}]}})
    run = cli("wait", "--id", fakes.ORDER_ID, "--next")
    assert (run.code, run.line["status"], run.line["code"], run.line["texts"]) == (9, "sms_without_code", None,
                                                                                  [HINDI])
    assert (held(store)["state"], held(store)["code"]) == ("received", "8848")  # cleanup would confirm on 8848


@ordered
def test_wait_without_next_shows_the_held_sms_again_without_a_request(cli, store):
    bought_then_text(TEXT_ONLY)
    assert cli(*RECEIVE).code == 9
    run = cli("wait", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["status"], run.line["texts"], run.line["polls"]) == (9, "sms_without_code", [HINDI], 0)


@ordered
def test_cancel_refused_because_the_sms_came_keeps_it_held_with_its_text(cli, store):
    bought_then_text(TEXT_ONLY)
    assert cli(*RECEIVE).code == 9
    fakes.status(4, body={"status": -1, "message": "SMS already received, the order cannot be cancelled"})
    fakes.poll(TEXT_ONLY)
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["status"], run.line["sms"]) == (9, "sms_without_code", HINDI)
    assert "--code" in run.line["warning"] and held(store)["state"] == "sms_without_code"


@ordered
def test_cancel_reaches_it_as_usual(cli, store):
    bought_then_text(TEXT_ONLY)
    assert cli(*RECEIVE).code == 9
    fakes.status(4)
    run = cli("cancel", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["status"]) == (0, "cancelled") and held(store)["state"] == "cancelled"


@ordered
def test_cleanup_leaves_it_within_its_hold_then_cancels_it_never_confirms(cli, store):
    bought_then_text(TEXT_ONLY)
    assert cli(*RECEIVE).code == 9
    within = cli("cleanup")
    assert (within.code, within.line["count"]) == (0, 0) and fakes.calls_to("change-status") == []
    fakes.status(4)
    after = cli("cleanup", now=lambda: store.now() + 601)
    assert (after.code, after.line["count"]) == (0, 1) and held(store)["state"] == "cancelled"
    assert [c.request.params["status"] for c in fakes.calls_to("change-status")] == ["4"]


@ordered
def test_a_new_purchase_is_not_blocked_by_it_and_leaves_it_to_the_agent_within_its_hold(cli, store):
    bought_then_text(TEXT_ONLY)
    assert cli(*RECEIVE).code == 9
    fakes.buy(body={"status": 1, "data": {"orderId": 500002, "number": "+8613800000002", "price": 0.3}})
    run = cli("buy", "--country", "1", "--service", "101", "--operator", "13")
    assert (run.code, run.line["order_id"], run.line["replaced"]) == (0, "500002", [])
    assert held(store)["state"] == "sms_without_code"


@ordered
def test_check_hands_it_over_and_records_it(cli, store):
    fakes.buy()
    assert cli("buy", "--country", "1", "--service", "101", "--operator", "13").code == 0
    fakes.poll(TEXT_ONLY)
    run = cli("check", "--id", fakes.ORDER_ID)
    assert (run.code, run.line["status"], run.line["texts"]) == (9, "sms_without_code", [HINDI])
    assert held(store)["state"] == "sms_without_code"


@ordered
def test_at_the_deadline_a_refused_cancel_that_shows_such_an_sms_hands_it_over(cli, store):
    fakes.buy()
    for _ in range(3):
        fakes.poll(fakes.WAITING)
    fakes.status(4, body={"status": -1, "message": "SMS already received, the order cannot be cancelled"})
    fakes.poll(TEXT_ONLY)
    run = cli(*RECEIVE[:-4], "--timeout", "2", "--interval", "1")
    assert (run.code, run.line["status"], run.line["sms"]) == (9, "sms_without_code", HINDI)
    assert "refused the cancel" in run.line["warning"] and held(store)["state"] == "sms_without_code"


@ordered
def test_attempts_never_move_on_while_a_number_holds_an_sms(cli, store):
    bought_then_text(TEXT_ONLY)
    run = cli(*RECEIVE, "--attempts", "3")
    assert (run.code, run.line["status"]) == (9, "sms_without_code")
    assert [a["outcome"] for a in run.line["attempts"]] == ["sms_without_code"]
    assert len(fakes.calls_to("buy-service")) == 1
    assert run.line["attempts_summary"] == "1 number tried, number 1 got an SMS without a code; " \
        "1 sms_without_code, 0.3 held until settled."


@activate
def test_attempts_say_what_became_of_every_number_in_one_sentence(cli, store):
    fakes.products()
    for order_id in (500001, 500002, 500003):
        responses.get(fakes.url("buy-service"), json={"status": 1, "data": {"orderId": order_id, "number":
                                                                             f"+86138000{order_id}", "price": 0.3}})
        fakes.poll(fakes.WAITING, order_id=order_id)
        fakes.status(4, order_id=order_id)
    run = cli("receive", "--country", "1", "--service", "101", "--timeout", "1", "--interval", "1", "--attempts", "3")
    assert (run.code, run.kind) == (1, "timeout")
    summary = "3 numbers tried, none got an SMS; all 3 cancelled, nothing spent."
    assert run.line["attempts_summary"] == summary and run.err.rstrip().endswith(summary)
    assert [(a["order_id"], a["outcome"], a["order_status"]) for a in run.line["attempts"]] == [
        (str(i), "timeout", "cancelled") for i in (500001, 500002, 500003)]
    for position, order_id in enumerate((500001, 500002, 500003), 1):
        assert f"number {position}: order {order_id} (operator" in run.err


# --- sms-activate ----------------------------------------------------------------------------------------

def sa(name, body, **params):
    query = {"api_key": KEY, "action": name, **{k: str(v) for k, v in params.items()}}
    return responses.get(SA_SITE, match=[matchers.query_param_matcher(query)], body=body)


def sa_bought(env):
    env["SMSONLINE_BASE_URLS"] = SA_SITE
    sa("getServicesList", json.dumps({"status": "success", "services": [{"code": "tg", "name": "Telegram"}]}))
    sa("getPrices", json.dumps({"0": {"tg": {"cost": 12.5, "count": 40}}}), service="tg", country="0")
    sa("getNumber", "ACCESS_NUMBER:7001:79161234567", service="tg", country="0")
    sa("getCountries", json.dumps({"0": {"id": 0, "rus": "Россия", "eng": "Russia", "chn": "俄罗斯"}}))


SA_RECEIVE = ("receive", "--country", "0", "--service", "tg", "--timeout", "60", "--interval", "5")


@ordered
def test_sms_activate_status_ok_with_a_text_and_no_code_is_handed_over(cli, env, store):
    sa_bought(env)
    sa("getStatus", "STATUS_WAIT_CODE", id="7001")
    sa("getStatus", f"STATUS_OK:{HINDI}", id="7001")
    run = cli(*SA_RECEIVE)
    assert (run.code, run.line["status"], run.line["texts"], run.line["polls"]) == (9, "sms_without_code", [HINDI], 2)
    assert "setStatus" not in " ".join(c.request.url for c in responses.calls)
    sa("setStatus", "ACCESS_ACTIVATION", id="7001", status="6")
    done = cli("finish", "--id", "7001", "--code", "482")
    assert (done.code, done.line["status"], store.order("7001")["code_from"]) == (0, "finished", "agent")


@pytest.mark.parametrize("answer", ["STATUS_OK:null", "STATUS_OK:OK", "STATUS_OK:waiting for sms",
                                    "STATUS_OK:123456789012", "STATUS_OK:-"])
@activate
def test_sms_activate_status_ok_with_no_sms_text_is_never_handed_over(cli, env, store, answer):
    sa_bought(env)
    sa("getStatus", answer, id="7001")
    sa("setStatus", "ACCESS_CANCEL", id="7001", status="8")
    run = cli(*SA_RECEIVE[:-4], "--timeout", "2", "--interval", "1")
    assert (run.code, run.kind, run.line["order_status"]) == (1, "timeout", "cancelled")


@ordered
def test_sms_activate_wait_next_asks_for_another_sms_and_skips_the_text_already_seen(cli, env, store):
    sa_bought(env)
    sa("getStatus", f"STATUS_OK:{HINDI}", id="7001")
    assert cli(*SA_RECEIVE).code == 9
    sa("setStatus", "ACCESS_RETRY_GET", id="7001", status="3")
    sa("getStatus", f"STATUS_OK:{HINDI}", id="7001")  # not yet the next one
    sa("getStatus", "STATUS_OK:Your Telegram code is 482-913", id="7001")
    run = cli("wait", "--id", "7001", "--next", "--timeout", "60", "--interval", "5")
    assert (run.code, run.line["status"], run.line["code"]) == (0, "received", "482913")


# --- adding a site keeps the defaults (issue 22 §3) -------------------------------------------------------

@pytest.mark.parametrize("settings, expected", [
    ({"SMSONLINE_EXTRA_BASE_URLS": SA_SITE}, ["https://premium.smsonline.cloud/api/v1", "https://smsonline.io/api/v1",
                                              SA_SITE]),
    ({"SMSONLINE_BASE_URLS": "https://a.example.test/api/v1", "SMSONLINE_EXTRA_BASE_URLS": f"{SA_SITE},"
      "https://a.example.test/api/v1/"}, ["https://a.example.test/api/v1", SA_SITE]),
])
def test_extra_base_urls_come_after_the_list_in_effect_once_each(env, settings, expected):
    environ = {**{k: v for k, v in env.items() if k != "SMSONLINE_BASE_URLS"}, **settings}
    args = argparse.Namespace(base_url=None, proxy=None, state_dir=None, connect_timeout=None, read_timeout=None,
                              trace=None, test=False, refresh=False, sandbox=False, verbose=False, quiet=False)
    assert config.load_config(args, environ).base_urls == expected
    assert config.load_config(argparse.Namespace(**{**vars(args), "base_url": [SA_SITE]}), environ).base_urls == \
        [SA_SITE]  # --base-url is the whole list
