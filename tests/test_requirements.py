"""Day one in a workspace (issue 14, section 8), in-process: requirements that do not load answer `config` before any
request; a missing phonenumberslite is named in the line's warning. tests/e2e/test_without_requirements.py runs the
script under interpreters without them."""
import sys

import pytest
import responses

import fakes
from support import KEY, ledger

INSTALL = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13", "--timeout", "2", "--interval", "1")


def block_imports(monkeypatch, *modules):
    """These modules cannot be imported from now on (as when they are not installed); what imported them goes too."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)
    for loaded in [name for name in sys.modules if name.startswith("smsonline.")]:
        if loaded.split(".")[1] in ("http", "flows", "doctor", "sms_activate", "smsonline_v1"):
            monkeypatch.delitem(sys.modules, loaded)


@pytest.mark.parametrize("command", [RECEIVE, ("buy", "--country", "1", "--service", "101"), ("products", "--country",
                                     "1", "--service", "101"), ("doctor",)])
@responses.activate(assert_all_requests_are_fired=True)
def test_requirements_that_do_not_load_answer_config_before_any_request(cli, env, monkeypatch, command):
    block_imports(monkeypatch, "requests")
    run = cli(*command)
    assert (run.code, run.kind) == (2, "config"), run.line
    assert "requests" in run.line["error"]["message"] and INSTALL in run.line["error"]["message"]
    assert len(responses.calls) == 0 and KEY not in run.out


@responses.activate(assert_all_requests_are_fired=True)
def test_nothing_is_recorded_as_bought_when_requests_does_not_load(cli, env, monkeypatch):
    block_imports(monkeypatch, "requests")
    assert cli(*RECEIVE).code == 2
    assert ledger.Store(env["SMSONLINE_STATE_DIR"]).db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0


@responses.activate(assert_all_requests_are_fired=True)
def test_a_missing_phonenumberslite_is_named_in_the_warning_with_the_install_command(cli, monkeypatch):
    fakes.buy()
    fakes.poll({"status": 1, "data": {"orderId": 500001, "sms": "Your code is 482913"}})
    fakes.status(3)
    monkeypatch.setitem(sys.modules, "phonenumbers", None)
    run = cli(*RECEIVE)
    assert run.code == 0 and (run.line["dial_code"], run.line["national_number"], run.line["region"]) == (None,) * 3
    assert "phonenumberslite" in run.line["warning"] and INSTALL in run.line["warning"]


@responses.activate(assert_all_requests_are_fired=True)
def test_with_phonenumberslite_the_line_has_the_fields_and_no_such_warning(cli):
    fakes.buy()
    fakes.poll({"status": 1, "data": {"orderId": 500001, "sms": "Your code is 482913"}})
    fakes.status(3)
    run = cli(*RECEIVE)
    assert run.code == 0 and run.line["region"] == "CN" and "phonenumberslite" not in run.line.get("warning", "")


@responses.activate(assert_all_requests_are_fired=True)
def test_a_timeout_line_without_phonenumberslite_names_it_too(cli, monkeypatch):
    fakes.buy()
    fakes.poll({"status": 1, "data": {"orderId": 500001}})
    fakes.status(4)
    monkeypatch.setitem(sys.modules, "phonenumbers", None)
    run = cli(*RECEIVE)
    assert (run.code, run.kind) == (1, "timeout") and "phonenumberslite" in run.line["warning"]
