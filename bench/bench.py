#!/usr/bin/env python3
"""Speed and cost of the skill, measured against the sandbox (run by hand, not in CI).

Every figure is a ratio or a count taken side by side in one run (medians over repeats, baseline runs interleaved
with measured ones), so a noisy machine moves both sides alike. Results: a table on stdout, JSON with --json.

Usage:
  .venv/bin/python bench/bench.py
  .venv/bin/python bench/bench.py --repeat 5 --json bench/results/latest.json
  .venv/bin/python bench/bench.py --only market     # history-based choice against cheapest-first (a few minutes)
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "smsonline_receive_sms.py"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import smsonline_sandbox  # noqa: E402
from e2e_support import HangingServer  # noqa: E402

KEY = "test-key-bench"
# per protocol: sandbox options, a receive by ids, the read's and the purchase's names, the operator argument
PROTOCOLS = {
    "SMSOnline v1": ({}, ["--country", "1", "--service", "101", "--operator", "13"], "get-sms",
                     ("get-products", "buy-service"), ["--operator", "13"], ("buy-service",)),
    "sms-activate": ({"protocol": "sms-activate"}, ["--country", "3", "--service", "sl", "--operator", "mobile"],
                     "getStatus", ("getPrices", "getNumber"), ["--operator", "mobile"], ("getNumber",)),
    "5sim": ({"protocol": "5sim"}, ["--country", "china", "--service", "soul", "--operator", "mobile"], "check",
             ("prices", "buy"), ["--operator", "mobile"], ("buy",)),
}


class Bench:
    def __init__(self, repeat, market_timeout=8.0):
        self.repeat, self.rows, self.market_timeout = repeat, [], market_timeout
        self.sandbox = self.new_sandbox()
        self.state_dir = Path(tempfile.mkdtemp(prefix="smsonline-bench-"))

    @staticmethod
    def new_sandbox(**options):
        parsed = smsonline_sandbox.build_parser().parse_args([])
        return smsonline_sandbox.build(parsed, api_key=KEY, **options).start_background()

    def env(self, *bases, state_dir=None):
        return {"PATH": os.environ["PATH"], "HOME": str(self.state_dir), "SMSONLINE_API_KEY": KEY,
                "SMSONLINE_STATE_DIR": str(state_dir or self.state_dir), "SMSONLINE_ENV_FILE": os.devnull,
                "SMSONLINE_BASE_URLS": ",".join(bases or [self.sandbox.base_url])}

    def script(self, *argv):
        return [sys.executable, str(SCRIPT), *argv]

    @staticmethod
    def run(command, env=None):
        """Run a command; returns (wall seconds, CPU seconds, peak RSS in MiB, stdout)."""
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = process.stdout.read()
        _, _, usage = os.wait4(process.pid, 0)
        return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out

    def record(self, figure, value, target, met, unit="", detail=""):
        self.rows.append({"figure": figure, "value": value, "unit": unit, "target": target, "met": met,
                          "detail": detail})

    def calls(self, sandbox=None):
        return (sandbox or self.sandbox).platform.snapshot()["calls"]

    # 1 -------------------------------------------------------------------------------------------------
    def startup(self):
        env = self.env()
        self.run(self.script("countries"), env)  # warm the cache (and write the modules' bytecode)
        self.run(self.script("orders"), env)
        small = [sys.executable, "-c", "import sqlite3, json, argparse"]
        heavy = [sys.executable, "-c", "import requests"]
        offline = {"orders": ["orders"], "--help": ["--help"], "countries (cached)": ["countries"],
                   "cleanup (nothing to do)": ["cleanup"]}
        online = {"products (one request)": ["products", "--country", "1", "--service", "101"]}
        times = {name: [] for name in ["small", "heavy", *offline, *online]}
        for _ in range(self.repeat * 3):
            times["small"].append(self.run(small, env)[0])
            times["heavy"].append(self.run(heavy, env)[0])
            for name, argv in {**offline, **online}.items():
                times[name].append(self.run(self.script(*argv), env)[0])
        small_s, heavy_s = statistics.median(times["small"]), statistics.median(times["heavy"])
        for name in offline:
            ratio = statistics.median(times[name]) / small_s
            self.record(f"start-up: `{name}` / `import sqlite3, json, argparse`", round(ratio, 2), "≤ 1.5",
                        ratio <= 1.5, "×", f"{statistics.median(times[name]) * 1000:.0f} ms vs {small_s * 1000:.0f} ms")
        for name in online:
            ratio = statistics.median(times[name]) / heavy_s
            self.record(f"start-up: `{name}` / `import requests`", round(ratio, 2), "≤ 1.3", ratio <= 1.3, "×",
                        f"{statistics.median(times[name]) * 1000:.0f} ms vs {heavy_s * 1000:.0f} ms")

    # 2 -------------------------------------------------------------------------------------------------
    def detection(self):
        for name, (options, by_ids, read_call, *_) in PROTOCOLS.items():
            self.detection_on(name, options, by_ids, read_call)

    def detection_on(self, name, options, by_ids, read_call):
        sandbox = self.new_sandbox(sms_delay=1e9, **options)  # the SMS lands only when we deliver it
        ratios = []
        for _ in range(self.repeat * 3):
            state = Path(tempfile.mkdtemp(prefix="smsonline-bench-"))
            seen = len(self.calls(sandbox))
            process = subprocess.Popen(self.script("receive", *by_ids, "--interval", "1"),
                                       env=self.env(sandbox.base_url, state_dir=state),
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            while not [c for c in self.calls(sandbox)[seen:] if c["endpoint"] == read_call]:  # this run's 1st poll
                if process.poll() is not None:
                    raise SystemExit(f"receive ended before polling: {process.stdout.read()!r}")
                time.sleep(0.01)
            time.sleep(random.uniform(0, 3))  # a whole number of intervals: every phase of the poll cycle alike
            order_id = sandbox.platform.snapshot()["orders"][-1]["id"]
            delivered = time.monotonic()
            sandbox.platform.deliver(order_id)
            process.stdout.readline()
            ratios.append((time.monotonic() - delivered) / 1.0)
            process.wait()
        sandbox.stop()
        median, worst = statistics.median(ratios), max(ratios)
        self.record(f"{name}: detection latency / interval (median)", round(median, 2), "≤ 0.6", median <= 0.6)
        self.record(f"{name}: detection latency / interval (max)", round(worst, 2), "≤ 1.1", worst <= 1.1,
                    detail=f"{len(ratios)} deliveries at random moments, --interval 1")

    # 3 -------------------------------------------------------------------------------------------------
    def deadline(self):
        lateness = []
        for _ in range(self.repeat):
            state = Path(tempfile.mkdtemp(prefix="smsonline-bench-"))
            before = len(self.calls())
            self.run(self.script("receive", "--country", "1", "--service", "199", "--operator", "13",
                                 "--timeout", "1.7", "--interval", "0.5"), self.env(state_dir=state))
            calls = self.calls()[before:]
            first_poll = next(c["t"] for c in calls if c["endpoint"] == "get-sms")
            cancel = next(c["t"] for c in calls if c["endpoint"] == "change-status")
            lateness.append(cancel - first_poll - 1.7)
        worst = max(lateness)
        self.record("deadline → cancel at the sandbox (max)", round(worst, 3), "≤ 0.3", worst <= 0.3, "s",
                    f"median {statistics.median(lateness):.3f} s; measured from the first (immediate) poll")

    # 4 -------------------------------------------------------------------------------------------------
    def requests_per_flow(self):
        for name, (options, _, _, by_names, operator, with_operator) in PROTOCOLS.items():
            self.requests_on(name, options, by_names, operator, with_operator)

    def requests_on(self, name, options, by_names, operator, with_operator):
        sandbox = self.new_sandbox(sms_delay=0.5, **options)
        state = Path(tempfile.mkdtemp(prefix="smsonline-bench-"))
        env = self.env(sandbox.base_url, state_dir=state)
        self.run(self.script("countries"), env)
        self.run(self.script("services"), env)
        for label, extra, minimum in (("by names, no --operator", [], by_names), ("with --operator", operator,
                                                                                 with_operator)):
            before = len(self.calls(sandbox))
            out = self.run(self.script("receive", "--country", "China", "--service", "Soul", "--interval", "0.5",
                                       *extra), env)[3]
            made = [c["endpoint"] for c in self.calls(sandbox)[before:]]
            polls = json.loads(out)["polls"]
            needed = len(minimum) + polls + 1  # + the finish
            extra_calls = len(made) - needed
            self.record(f"{name}: requests per warm `receive` {label}", len(made), f"= {needed} (minimum)",
                        extra_calls == 0, "", ", ".join(sorted(set(made))) + f"; {polls} polls")
        sandbox.stop()

    # 5 -------------------------------------------------------------------------------------------------
    def dead_base(self):
        hanging = HangingServer()
        state = Path(tempfile.mkdtemp(prefix="smsonline-bench-"))
        argv = self.script("--read-timeout", "2", "products", "--country", "1", "--service", "101")
        with_dead = self.env(hanging.base_url, self.sandbox.base_url, state_dir=state)
        healthy = self.env(state_dir=state)
        first = self.run(argv, with_dead)[0]
        base = statistics.median(self.run(argv, healthy)[0] for _ in range(3))
        self.record("dead (hanging) base: first run's extra cost", round(first - base, 2), "≤ 1 timeout (2 s)",
                    first - base <= 2.5, "s", f"{hanging.connections} connection(s) to the dead base")
        dead_runs, clean_runs = [], []
        for _ in range(10):
            dead_runs.append(self.run(argv, with_dead)[0])
            clean_runs.append(self.run(argv, healthy)[0])
        ratio = statistics.median(dead_runs) / statistics.median(clean_runs)
        self.record("dead base: next 10 runs / runs without it", round(ratio, 2), "≤ 1.1", ratio <= 1.1, "×",
                    f"{hanging.connections} connection(s) to the dead base in all")
        hanging.close()

    # 6 and 7 -------------------------------------------------------------------------------------------
    def polling_cost_and_memory(self):
        """CPU per poll as the slope between a short and a long wait (start-up and imports cancel out)."""
        state = Path(tempfile.mkdtemp(prefix="smsonline-bench-"))
        env = self.env(state_dir=state)
        connections = self.sandbox.platform.snapshot()["connections"]
        runs = {}
        for timeout in ("2", "8"):
            samples = [self.run(self.script("receive", "--country", "1", "--service", "199", "--operator", "13",
                                            "--timeout", timeout, "--interval", "0.5"), env) for _ in range(3)]
            runs[timeout] = (statistics.median(s[1] for s in samples), json.loads(samples[0][3])["polls"],
                             max(s[2] for s in samples))
        (cpu_short, polls_short, _), (cpu_long, polls_long, rss) = runs["2"], runs["8"]
        per_poll = (cpu_long - cpu_short) / (polls_long - polls_short)
        self.record("CPU per poll", round(per_poll * 1000, 2), "near 0", per_poll < 0.005, "ms",
                    f"{polls_short} and {polls_long} polls: {cpu_short:.3f} s and {cpu_long:.3f} s CPU (medians of 3)")
        used = (self.sandbox.platform.snapshot()["connections"] - connections) / 6
        self.record("connections per `receive` run", used, "1", used == 1, "", "keep-alive across buy, polls, cancel")
        self.record("peak memory of a `receive` run", round(rss, 1), "report", True, "MiB")

    # 8 -------------------------------------------------------------------------------------------------
    def market(self, codes=30, learned_after=10):
        """A market on the sandbox: operator 13 (0.30) delivers 20% of the time, operator 11 (0.35) 90%, both after
        1 s. `codes` receives in sequence with --attempts 3, history-based choice (the default) against
        cheapest-first (SMSONLINE_PREFER=cheap), run after run in turn, each with its own ledger and its own sandbox
        (the same seed: the same dice). Time to a code is each run's wall time (start-up included, alike on both
        sides); money is the sandbox balance spent, after every refund."""
        timeout = self.market_timeout
        argv = self.script("receive", "--country", "1", "--service", "101", "--attempts", "3", "--timeout",
                           f"{timeout:g}", "--interval", "0.5")
        sides = {}
        for name, prefer in (("history", None), ("cheapest-first", "cheap")):
            sandbox = self.new_sandbox(delivery={13: 0.2, 11: 0.9}, sms_delay=1.0, seed=23)
            env = self.env(sandbox.base_url, state_dir=Path(tempfile.mkdtemp(prefix="smsonline-bench-")))
            env.update({"SMSONLINE_PREFER": prefer} if prefer else {})
            sides[name] = {"sandbox": sandbox, "env": env, "runs": [], "balance": sandbox.platform.balance}
        for _ in range(codes):
            for side in sides.values():
                wall, _, _, out = self.run(argv, side["env"])
                side["runs"].append((wall, json.loads(out)["ok"]))
        figures = {name: self.market_figures(side, learned_after) for name, side in sides.items()}
        for name, (per_code, mean, p90, spent, bought, got) in figures.items():
            self.record(f"market, {name}: seconds per code after the first {learned_after} runs", round(per_code, 2),
                        "report", True, "s", f"runs with a code: mean {mean:.2f} s, p90 {p90:.2f} s; {got} codes in "
                        f"{codes} runs; {bought} numbers bought; {spent:.2f} spent after refunds "
                        f"({spent / max(got, 1):.3f} per code)")
        ratio = figures["cheapest-first"][0] / figures["history"][0]
        more = figures["history"][3] / max(figures["history"][5], 1) - \
            figures["cheapest-first"][3] / max(figures["cheapest-first"][5], 1)
        self.record(f"market: cheapest-first ÷ history, seconds per code after the first {learned_after} runs",
                    round(ratio, 2), "≥ 3", ratio >= 3, "×", f"--attempts 3 --timeout {timeout:g} --interval 0.5")
        self.record("market: money per code, history − cheapest-first", round(more, 3), "≤ 0", more <= 1e-9, "",
                    "the dearer operator delivers most of history's codes; refunds make every failed number free")
        for side in sides.values():
            side["sandbox"].stop()

    @staticmethod
    def market_figures(side, learned_after):
        """(seconds per code after the learning runs, mean and p90 of those runs that got a code, money spent,
        numbers bought, codes) of one side."""
        later = side["runs"][learned_after:]
        got = [wall for wall, ok in later if ok]
        snapshot = side["sandbox"].platform.snapshot()
        spent = side["balance"] - snapshot["balance"]
        bought = sum(1 for call in snapshot["calls"] if call["endpoint"] == "buy-service")
        p90 = sorted(got)[max(0, -(-len(got) * 9 // 10) - 1)] if got else float("nan")
        return (sum(wall for wall, _ in later) / max(len(got), 1), statistics.mean(got) if got else float("nan"), p90,
                spent, bought, sum(ok for _, ok in side["runs"]))

    def report(self):
        width = max(len(r["figure"]) for r in self.rows)
        print(f"{'figure'.ljust(width)}  {'value':>9}  {'target':<22} met  detail")
        for r in self.rows:
            value = f"{r['value']}{r['unit']}"
            print(f"{r['figure'].ljust(width)}  {value:>9}  {r['target']:<22} {'yes' if r['met'] else 'NO '}  "
                  f"{r['detail']}")


STEPS = ("startup", "detection", "deadline", "requests_per_flow", "dead_base", "polling_cost_and_memory", "market")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__[__doc__.index("Usage:"):],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="repeats per figure (default 5)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--only", choices=STEPS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--market-timeout", type=float, default=8.0, metavar="S",
                        help="the market's --timeout per number (default 8; the SMS come after 1 s)")
    args = parser.parse_args(argv)
    bench = Bench(args.repeat, args.market_timeout)
    for name in args.only or STEPS:
        getattr(bench, name)()
    bench.report()
    machine = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "platform": sys.platform,
               "date": time.strftime("%Y-%m-%d")}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"machine": machine, "figures": bench.rows}, ensure_ascii=False,
                                              indent=1))
    print(json.dumps({"machine": machine, "figures": bench.rows}, ensure_ascii=False))
    bench.sandbox.stop()


if __name__ == "__main__":
    main()
