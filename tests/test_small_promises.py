"""Smaller promises (issue 12, section 7): the number's country from the platform's own list, nothing raw from the
platform on the terminal, one trace record per line, signals from the first moments, local arguments checked first."""
import json
import signal
import weakref

import pytest
import responses
from responses import registries

import fakes
from support import names, output, signals, sms

activate = responses.activate(assert_all_requests_are_fired=True)
ordered = responses.activate(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry)

BUY = ("buy", "--country", "{country}", "--service", "101", "--operator", "13")
WORLD = {"status": 1, "data": [{"countryId": 1, "name": "China", "chn": "中国"}, {"countryId": 33, "name": "Colombia"},
                               {"countryId": 43, "name": "Germany"}, {"countryId": 187, "name": "United States"},
                               {"countryId": 99, "name": "Atlantis"}]}


def bought(number, order_id=fakes.ORDER_ID):
    return {"status": 1, "data": {"orderId": order_id, "number": number, "price": 0.3}}


def buy_argv(country):
    return [arg.format(country=country) for arg in BUY]


# --- the number's country comes from the platform's list, never a guess ----------------------------------------

@pytest.mark.parametrize("country, platform_number, number, region", [
    (1, "13123456789", "+8613123456789", "CN"),  # read alone, +1 312 345 6789 is a valid US number
    (33, "3123456789", "+573123456789", "CO"),
    (43, "015112345678", "+4915112345678", "DE"),
    (187, "2025550143", "+12025550143", "US"),
])
@ordered
def test_a_country_given_by_id_is_looked_up_in_the_platforms_list_once(cli, store, country, platform_number, number,
                                                                         region):
    fakes.buy(country=country, body=bought(platform_number))
    fakes.add("get-countries", WORLD)  # after the purchase is recorded: only a number without "+" needs it
    run = cli(*buy_argv(country))
    assert run.code == 0, run.line
    assert (run.line["number"], run.line["region"], "warning" in run.line) == (number, region, False)
    assert run.line["number"] == f"+{run.line['dial_code']}{run.line['national_number']}"
    assert store.order(fakes.ORDER_ID)["number"] == number  # the ledger has it too
    fakes.status(4)
    fakes.buy(country=country, body=bought(platform_number, "500002"))
    assert cli(*buy_argv(country), "--replace").line["region"] == region  # now from the cache: no second GET
    assert len(fakes.calls_to("get-countries")) == 1


@pytest.mark.parametrize("countries", [
    fakes.refused(),  # the list cannot be had
    {"status": 1, "data": [{"countryId": 1, "name": "China"}]},  # the list lacks the id
    {"status": 1, "data": [{"countryId": 99, "name": "Atlantis"}]},  # a name that is no known country
])
@activate
def test_when_the_country_cannot_be_known_the_fields_are_null_and_the_order_is_kept(cli, store, countries):
    fakes.buy(country=99, body=bought("13123456789"))
    fakes.add("get-countries", countries)  # only the site that sold it is asked: another site's ids mean others
    run = cli(*buy_argv(99))
    assert (run.code, run.line["order_id"], run.line["order_status"]) == (0, fakes.ORDER_ID, "waiting")
    assert (run.line["number"], run.line["dial_code"], run.line["national_number"], run.line["region"]) == \
        ("13123456789", None, None, None)
    assert "country 99" in run.line["warning"]
    assert store.order(fakes.ORDER_ID)["state"] == "waiting"


@activate
def test_a_number_with_its_plus_needs_no_country_list(cli):
    fakes.buy(country=99, body=bought("+8613123456789"))
    run = cli(*buy_argv(99))
    assert (run.code, run.line["region"]) == (0, "CN") and not fakes.calls_to("get-countries")


@pytest.mark.parametrize("text", ["13123456789", "2025550143", "8613800001234"])
def test_without_the_orders_country_a_number_without_plus_is_never_guessed(text):
    assert names.number_fields(text, None) == {"number": text, "dial_code": None, "national_number": None,
                                               "region": None}


def test_a_reading_in_another_country_than_the_orders_is_refused():
    assert names.number_fields("13123456789", "CN")["region"] == "CN"
    assert names.number_fields("12025550143", "CN")["region"] is None  # +1 …: not a Chinese number


@pytest.mark.parametrize("platform_name, region", [
    ("Colombia", "CO"), ("Côte d'Ivoire", "CI"), ("Cote d Ivoire", "CI"), ("Ivory Coast", "CI"),
    ("Saint Kitts and Nevis", "KN"), ("St. Kitts & Nevis", "KN"), ("The Gambia", "GM"), ("korea (south)", "KR"),
    ("中国", "CN"), ("USA", "US"), ("Russian Federation", "RU"), ("Atlantis", None), ("", None),
])
def test_the_platforms_country_names_map_to_regions(platform_name, region):
    assert names.regions_by_name().get(names.name_key(platform_name)) == region


# --- nothing the platform sends reaches the terminal raw -------------------------------------------------------

FAKE = "500001\x1b[8m hidden\x1b[0m\r13900000000\x1b]0;title\x07\u202e\x9b2J"


def test_control_characters_and_escape_sequences_never_reach_stderr(capsys):
    output.to_stderr(f"order {FAKE} is yours")
    err = capsys.readouterr().err
    assert err == "order 500001 hidden13900000000 is yours\n"


@activate
def test_an_order_id_with_escape_sequences_cannot_fake_a_number_on_stderr(cli):
    fakes.buy(body={"status": 1, "data": {"orderId": FAKE, "number": fakes.NUMBER, "price": 0.3}})
    run = cli(*buy_argv(1))
    assert run.code == 0 and "13900000000" in run.err
    assert not any(char in run.err for char in "\x1b\r\x07\u202e\x9b")


def test_the_live_line_keeps_its_own_controls_and_strips_the_platforms(monkeypatch, capsys):
    monkeypatch.setattr(output, "stderr_is_a_terminal", lambda: True)
    progress = output.Progress("+86138\x1b[2J\r00000001", timeout=60)
    progress.update(5.0, 1)
    progress.done(bell=True)
    err = capsys.readouterr().err
    assert err.startswith("\r+8613800000001: waiting for the SMS") and err.endswith("\x1b[K\r\x1b[K\a")
    assert "\x1b[2J" not in err and err.count("\r") == 2


# --- trace files: one record per line for any line splitter ---------------------------------------------------

def test_a_trace_record_with_unicode_line_breaks_stays_on_one_line(tmp_path):
    path = tmp_path / "trace.jsonl"
    record = {"text": "a\u2028b\u2029c\x85d\ne"}
    output.Tracer(str(path)).write("exchange", record)
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 1 and json.loads(text) == {"exchange": record}


# --- signals from the first moments ---------------------------------------------------------------------------

def test_a_signal_held_while_the_package_loaded_stops_the_run_at_once(env, capsys):
    before = [signal.getsignal(signum) for signum in signals.SignalGuard.SIGNALS]
    code = sms.cli.main(sms.__doc__, ["orders"], environ=env, early_signals=[signal.SIGTERM])
    line = json.loads(capsys.readouterr().out)
    assert (code, line["status"], line["error"]["kind"]) == (130, "interrupted", "interrupted")
    assert "SIGTERM" in line["error"]["message"]
    assert [signal.getsignal(signum) for signum in signals.SignalGuard.SIGNALS] == before


# --- every local argument is checked before anything is bought ------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["receive", "--country", "1", "--service", "101", "--number-file", "n" * 300],
    ["receive", "--country", "1", "--service", "101", "--number-file", "number.txt/n"],
    ["cancel", "--id", "500001\udcff"], ["check", "--id", "\udce9"], ["finish", "--id", "\udcff"],
    ["cleanup", "--forget", "\udcff"], ["wait", "--id", "5\udcc3"], ["buy", "--country", "\udcff", "--service", "1"],
])
@activate
def test_a_bad_local_argument_is_a_usage_error_before_any_request(cli, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "number.txt").write_text("")
    run = cli(*argv)
    assert (run.code, run.kind) == (2, "usage"), run.line
    assert len(responses.calls) == 0


def test_a_signal_whose_exception_python_would_only_print_is_sent_again():
    """A signal handled inside a weakref callback (as an import's module lock has one): Python prints the exception
    there and goes on; the guard sends the signal again, so that it still stops the run."""
    class Thing:
        pass

    def callback(_ref):
        signal.raise_signal(signal.SIGTERM)  # its handler runs here, inside the callback

    guard = signals.SignalGuard()
    guard.install()
    try:
        thing = Thing()
        ref = weakref.ref(thing, callback)
        del thing
        assert ref() is None and guard.redelivery is not None
        with pytest.raises(output.Interrupted):
            guard.redelivery.join(timeout=5)  # the signal comes again while the run goes on
    finally:
        guard.restore()
