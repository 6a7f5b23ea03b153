"""A user's trace as a regression test, in one step (from the skill folder, with the test requirements installed):

    .venv/bin/python -m tests.trace_to_test RUN.jsonl NAME

Replays every run of RUN.jsonl against the current code exactly as tests/test_traces.py does, keeps the exchanges
each run still asks for (a run that now stops sooner leaves the rest out), writes each run's outcome as the current
code prints it, saves the case as tests/traces/NAME.jsonl and prints what each run did. If an outcome is wrong (say a
waiting answer was taken for a code), fix the parser and run this again, or correct that `outcome` line to what it
should be: tests/test_traces.py then holds the fix.
"""
import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import test_traces  # noqa: E402  (the path above: the replay the tests use)
from support import FakeClock, output  # noqa: E402

TRACES = Path(__file__).resolve().parent / "traces"
NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def converted(runs, state):
    """The trace's records as the current code replays them, and one line per run saying what changed."""
    records, report, clock = [], [], FakeClock()
    for number, run in enumerate(runs, 1):
        code, line, replay = test_traces.replay_run(run, state, clock)
        used = replay.used()
        records += [{"run": run["run"]}, *({"exchange": exchange} for exchange in used),
                    {"outcome": {"exit": code, "line": line}}]
        report.append(run_report(number, run, code, line, len(run["exchanges"]) - len(used)))
    return records, report


def run_report(number, run, code, line, dropped):
    before = run["outcome"] and (run["outcome"]["exit"], test_traces.compared(run["outcome"]["line"]))
    now = (code, test_traces.compared(line))
    change = "as recorded" if before == now else f"recorded {before}" if before else "no outcome was recorded"
    return (f"run {number} ({' '.join(test_traces.replayed_argv(run['run']['argv']))}): exit {code}, "
            f"{shown(now[1])}; {dropped} exchange(s) no longer asked for, dropped; {change}")


def shown(fields):
    return ", ".join(f"{name}={value}" for name, value in fields.items() if value is not None)


def save(records, path):
    path.write_text("".join(output.one_line_json(record) + "\n" for record in records), encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.trace_to_test", description=__doc__.split("\n\n")[0])
    parser.add_argument("trace", type=Path, help="the trace a run wrote (--trace FILE)")
    parser.add_argument("name", help="what it shows, e.g. premium-receive-test (saved as NAME.jsonl)")
    parser.add_argument("--into", type=Path, default=TRACES, help="folder (default tests/traces)")
    parser.add_argument("--force", action="store_true", help="replace a test case of that name")
    args = parser.parse_args(argv)
    name = args.name[:-len(".jsonl")] if args.name.endswith(".jsonl") else args.name
    target = args.into / f"{name}.jsonl"
    if not NAME.fullmatch(name):
        parser.error("NAME: lower-case letters, digits and dashes")
    if target.exists() and not args.force:
        parser.error(f"{target} exists: another NAME, or --force")
    runs = test_traces.runs_in(args.trace)
    if not runs:
        parser.error(f"{args.trace} holds no run: give the file written by --trace")
    with tempfile.TemporaryDirectory() as state:
        records, report = converted(runs, Path(state) / "state")
    save(records, target)
    print("\n".join([*report, f"saved {target}; check: .venv/bin/python -m pytest tests/test_traces.py -k {name}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
