"""Every trace in tests/traces/ replays, through `responses`, to the outcome it recorded.

A trace is what `--trace FILE` writes: per run a `run` line (the command line and base URLs), one `exchange` line
per HTTP exchange (endpoint, parameters without the key, status, content type, the charset that read the answer and
its text, its bytes too when no charset could read it, or the transport error), and an `outcome` line (exit code
and JSON line). To turn a real run into a regression test: `python -m tests.trace_to_test RUN.jsonl NAME`
(tests/trace_to_test.py, with this file's replay); if the parser read it wrongly, fix the parser and correct the
`outcome` line (reference/response-shapes.md).
"""
import contextlib
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from support import KEY, sms
from smsonline.platform import protocol_of  # noqa: E402  (support sets the path)

TRACES = sorted((Path(__file__).parent / "traces").glob("*.jsonl"))
COMPARED = ("ok", "command", "status", "order_id", "number", "dial_code", "national_number", "region", "code",
            "order_status", "finished", "count", "verdict")
ENVIRONMENT_FLAGS = {"--sandbox": 0, "--base-url": 1, "--proxy": 1, "--state-dir": 1, "--trace": 1}


def runs_in(path):
    """[{"run": …, "exchanges": […], "outcome": …}] in the order the trace holds them."""
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        (kind, body), = json.loads(line).items()
        if kind == "run":
            runs.append({"run": body, "exchanges": [], "outcome": None})
        else:
            runs[-1]["exchanges" if kind == "exchange" else "outcome"] = \
                runs[-1]["exchanges"] + [body] if kind == "exchange" else body
    return runs


def replayed_argv(argv):
    """The recorded command line without what pointed it at its environment (the replay sets its own)."""
    kept, skip = [], 0
    for arg in argv:
        if skip:
            skip -= 1
        elif arg.split("=", 1)[0] in ENVIRONMENT_FLAGS:
            skip = ENVIRONMENT_FLAGS[arg] if "=" not in arg else 0
        else:
            kept.append(arg)
    return kept


def as_exception(error):
    """A recorded transport failure as requests raises it: before the request left, or after."""
    if not error.get("sent", True):
        reason = NewConnectionError(None, f"recorded: {error.get('said')}")
        return requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason))
    return requests.exceptions.ConnectionError(f"recorded after the request was sent: {error.get('said')}")


class Replay:
    """Answers each request with the next recorded exchange for its endpoint and parameters, in recorded order;
    once they are used up, the last one again (a replay may poll once more than the recording did)."""

    def __init__(self, exchanges):
        self.recorded, self.pending = list(exchanges), list(exchanges)
        self.last = {}

    def used(self):
        """The recorded exchanges the run asked for, in recorded order."""
        return [exchange for exchange in self.recorded if all(exchange is not left for left in self.pending)]

    def answer(self, request):
        params = {k: v for k, v in parse_qsl(urlsplit(request.url).query) if k not in KEY_PARAMS}
        key = (urlsplit(request.url).path, tuple(sorted(params.items())))
        for index, exchange in enumerate(self.pending):
            if (recorded_path(exchange), tuple(sorted(exchange["params"].items()))) == key:
                self.last[key] = self.pending.pop(index)
                break
        exchange = self.last.get(key)
        if exchange is None:
            return requests.exceptions.ConnectionError(f"the trace has no exchange for {key[0]} {params}")
        if exchange.get("status") is None:
            return as_exception(exchange.get("error", {}))
        return exchange["status"], {"Content-Type": exchange.get("content_type") or ""}, recorded_body(exchange)


KEY_PARAMS = ("apiKey", "api_key")  # the protocols' key parameters: the replay's key is the test suite's


def recorded_path(exchange):
    """The URL path a recorded exchange answered: its base URL's and its own `path` below it. An exchange recorded
    before exchanges were named by operation (`endpoint` then held SMSOnline's last path segment, and there was no
    `path`) is SMSOnline's /virtual-number/<endpoint>: both forms replay."""
    base_path = urlsplit(protocol_of(exchange["base"])[1]).path.rstrip("/")
    if "path" in exchange:
        return base_path + exchange["path"]
    return f"{base_path}/virtual-number/{exchange['endpoint']}"


def recorded_body(exchange):
    """The answer's bytes: as recorded for one no charset could read, else its text in the charset that read it
    (traces from before charsets were recorded: UTF-8)."""
    if "bytes" in exchange:
        return exchange["bytes"].encode("latin-1")
    return exchange.get("text", "").encode(exchange.get("charset") or "utf-8")


def compared(line):
    error = line.get("error") or {}
    return {**{name: line[name] for name in COMPARED if name in line}, "kind": error.get("kind")}


def test_the_shipped_traces_cover_several_shapes():
    shapes = {path.name.split("-")[0] for path in TRACES}
    assert len(TRACES) >= 3 and {"primary", "text", "coded"} <= shapes


def replay_run(run, state, clock):
    """One recorded run against the current code -> (exit code, JSON line, the Replay that served it). state: the
    state dir, shared by a file's runs (a buy, then a wait, replays as one story)."""
    replay = Replay(run["exchanges"])
    environ = {"SMSONLINE_API_KEY": KEY, "SMSONLINE_STATE_DIR": str(state), "SMSONLINE_ENV_FILE": "/dev/null",
               "SMSONLINE_BASE_URLS": ",".join(run["run"]["bases"])}
    out = io.StringIO()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(io.StringIO()):
        mock.add_callback(responses.GET, re.compile(r"https?://.*"), callback=replay.answer)
        code = sms.main(replayed_argv(run["run"]["argv"]), environ=environ, clock=clock, sleep=clock.sleep)
    return code, json.loads(out.getvalue()), replay


@pytest.mark.parametrize("path", TRACES, ids=lambda path: path.name)
def test_a_recorded_trace_replays_to_its_recorded_outcome(path, tmp_path, clock):
    for number, run in enumerate(runs_in(path), 1):
        code, line, replay = replay_run(run, tmp_path / "state", clock)
        outcome = run["outcome"]
        assert (code, compared(line)) == (outcome["exit"], compared(outcome["line"])), f"run {number} of {path.name}"
        assert replay.pending == [], f"run {number} of {path.name} did not use every recorded exchange"


def test_replay_strips_what_pointed_the_run_at_its_environment():
    assert replayed_argv(["wait", "--sandbox", "--base-url", "http://x/api/v1", "--state-dir=/tmp/s", "--interval",
                          "1", "--proxy", "http://p:1", "-q"]) == ["wait", "--interval", "1", "-q"]


@responses.activate(assert_all_requests_are_fired=True)
def test_trace_lines_hold_each_exchange_whole_and_redacted(cli, tmp_path):
    trace = tmp_path / "trace.jsonl"
    echo = {"status": 1, "data": [{"id": 1, "name": f"China {KEY} {KEY.replace('-', '%2D')}"}], "pad": "x" * 70000}
    responses.get("https://premium.example.test/api/v1/virtual-number/get-countries", json=echo)
    run = cli("countries", "--trace", str(trace))
    assert run.code == 0
    text = trace.read_text(encoding="utf-8")
    assert KEY not in text and "test%2Dkey" not in text and "apiKey" not in text
    run_line, exchange, outcome = [json.loads(line) for line in text.splitlines()]
    assert run_line["run"]["argv"] == ["countries"] and run_line["run"]["bases"][0].startswith("https://premium")
    record = exchange["exchange"]
    assert (record["endpoint"], record["path"], record["params"], record["status"]) == \
        ("countries", "/virtual-number/get-countries", {}, 200)
    assert record["content_type"] == "application/json" and isinstance(record["ms"], int)
    assert json.loads(record["text"])["pad"] == "x" * 70000  # the whole answer as read: a cut one could not replay
    assert outcome["outcome"]["exit"] == 0 and outcome["outcome"]["line"]["count"] == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_a_transport_failure_is_traced_with_whether_the_request_left(cli, tmp_path, env):
    env["SMSONLINE_TRACE"] = str(tmp_path / "trace.jsonl")
    responses.get("https://premium.example.test/api/v1/virtual-number/get-countries",
                  body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.get("https://backup.example.test/api/v1/virtual-number/get-countries",
                  body=requests.exceptions.ReadTimeout("read timed out"))
    assert cli("countries").code == 4
    exchanges = [json.loads(line)["exchange"] for line in (tmp_path / "trace.jsonl").read_text().splitlines()
                 if "exchange" in line]
    assert [(e["status"], e["error"]["sent"]) for e in exchanges] == [(None, False), (None, True)]


@responses.activate(assert_all_requests_are_fired=True)
def test_sms_activate_exchanges_are_named_by_operation_not_by_their_shared_path(cli, tmp_path, env):
    """Every sms-activate action shares one path (handler_api.php): the trace names each exchange by its operation
    (platform.Op), with the path below the base URL and the query, so that a replay can tell them apart."""
    site = "https://sa.example.test/stubs/handler_api.php"
    env["SMSONLINE_BASE_URLS"] = site
    responses.get(site, json={"0": {"id": 0, "eng": "Russia"}})
    trace = tmp_path / "trace.jsonl"
    assert cli("countries", "--trace", str(trace)).code == 0
    records = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    exchange, = [record["exchange"] for record in records if "exchange" in record]
    assert (exchange["endpoint"], exchange["path"], exchange["params"]) == ("countries", "",
                                                                            {"action": "getCountries"})


def test_shipped_traces_of_both_protocols_and_both_record_forms_replay():
    exchanges = [exchange for path in TRACES for run in runs_in(path) for exchange in run["exchanges"]]
    bases = {protocol_of(exchange["base"])[0] for exchange in exchanges}
    assert bases == {"sms-activate", "smsonline-v1"}
    assert {"path" in exchange for exchange in exchanges} == {True, False}  # named by operation, and the older form
