"""The one-step tool that turns a user's trace into a test case (issue 14, section 9): tests/trace_to_test.py."""
import json

import pytest

import test_traces
import trace_to_test

SHIPPED = test_traces.TRACES[0].parent / "primary-receive.jsonl"


def records(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write(path, lines):
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def user_trace(tmp_path):
    """A run recorded by an older code: it went on polling after the answer that holds the code (an exchange the
    current code never asks for) and printed a timeout."""
    lines = records(SHIPPED)
    last_poll = max(i for i, line in enumerate(lines) if line.get("exchange", {}).get("endpoint") == "get-sms")
    lines.insert(last_poll + 1, lines[last_poll])
    lines[-1] = {"outcome": {"exit": 1, "line": {"ok": False, "command": "receive", "status": "timeout",
                                                 "error": {"kind": "timeout", "message": "no SMS", "attempts": []}}}}
    return write(tmp_path / "run.jsonl", lines)


def test_the_saved_case_replays_to_its_outcome_with_every_exchange_used(user_trace, tmp_path, clock, capsys):
    assert trace_to_test.main([str(user_trace), "late-code", "--into", str(tmp_path)]) == 0
    saved = tmp_path / "late-code.jsonl"
    for run in test_traces.runs_in(saved):
        code, line, replay = test_traces.replay_run(run, tmp_path / "state", clock)
        recorded = run["outcome"]
        assert (code, test_traces.compared(line)) == (recorded["exit"], test_traces.compared(recorded["line"]))
        assert replay.pending == []
    assert records(saved)[:-1] == records(SHIPPED)[:-1]  # the exchange after the code is dropped, the rest kept
    outcome = records(saved)[-1]["outcome"]
    assert (outcome["exit"], outcome["line"]["code"]) == (0, records(SHIPPED)[-1]["outcome"]["line"]["code"])
    report = capsys.readouterr().out
    assert "1 exchange(s) no longer asked for, dropped" in report and "recorded (1, " in report
    assert str(saved) in report


def test_the_user_trace_as_it_came_would_not_replay(user_trace, tmp_path, clock):
    run, = test_traces.runs_in(user_trace)
    code, _, replay = test_traces.replay_run(run, tmp_path / "state", clock)
    assert replay.pending and code != run["outcome"]["exit"]  # what the tool fixes by itself


def test_a_trace_that_replays_as_recorded_is_saved_unchanged_but_for_the_outcome_line(tmp_path, capsys):
    assert trace_to_test.main([str(SHIPPED), "again.jsonl", "--into", str(tmp_path)]) == 0
    assert records(tmp_path / "again.jsonl")[:-1] == records(SHIPPED)[:-1]
    assert "0 exchange(s) no longer asked for, dropped; as recorded" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["Bad Name", "../escape", ""])
def test_a_name_that_is_not_a_plain_file_name_is_refused(tmp_path, name):
    with pytest.raises(SystemExit):
        trace_to_test.main([str(SHIPPED), name, "--into", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []


def test_an_existing_case_is_kept_unless_forced(tmp_path):
    write(tmp_path / "taken.jsonl", [{"run": {}}])
    with pytest.raises(SystemExit):
        trace_to_test.main([str(SHIPPED), "taken", "--into", str(tmp_path)])
    assert records(tmp_path / "taken.jsonl") == [{"run": {}}]
    assert trace_to_test.main([str(SHIPPED), "taken", "--into", str(tmp_path), "--force"]) == 0
    assert len(records(tmp_path / "taken.jsonl")) == len(records(SHIPPED))
