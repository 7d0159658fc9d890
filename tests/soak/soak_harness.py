"""What every soak scenario (tests/soak/test_soak_*.py, issue #9) shares: how long it runs, the
checks made on a run's journal, and the summary JSON a run leaves for docs/RELIABILITY.md.

Scale: the same scenario code runs short in `make test` and long in `make soak`, which sets
FUNDOS_SOAK=1. Each count can also be set alone: FUNDOS_SOAK_<NAME> (e.g.
FUNDOS_SOAK_AGENT_KILLS=50). The summary goes to FUNDOS_SOAK_SUMMARY (default:
FUNDOS_BUILD_DIR/soak/summary.json); each scenario replaces its own entry.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fault_harness import Record, journal, report
from fund_build import build_dir

SOAK_AGENT = Path(__file__).resolve().parent / "agents" / "soak_agent.py"

# name: (make test, make soak)
COUNTS: dict[str, tuple[int, int]] = {
    "agent_kills": (4, 1000),           # agent SIGKILL + restart cycles
    "hostile_rounds": (1, 20),          # runs of every hostile behaviour
    "fuzz_random": (200_000, 1_000_000),  # generated records through fund_fuzz_intent --random
    "fuzz_hypothesis": (150, 3000),     # hypothesis examples (up to 40 records each), checked against a model
    "fuzz_libfuzzer_runs": (0, 3_000_000),  # libFuzzer inputs of 1..32 records (make soak: needs clang)
    "fund_kills": (3, 100),             # Fund SIGKILL + --resume
    "fund_days": (2, 10),               # days of market in each of those runs
    "load_agents": (32, 32),
    "load_steps": (40, 12_000),         # about a minute of 32 agents in lock step (make soak)
}


def soak() -> bool:
    return os.environ.get("FUNDOS_SOAK", "") not in ("", "0")


def count(name: str) -> int:
    override = os.environ.get(f"FUNDOS_SOAK_{name.upper()}")
    if override:
        return int(override)
    short, long = COUNTS[name]
    return long if soak() else short


def reproduce(test: str) -> str:
    """The command that runs `test` again at this run's scale."""
    scale = " ".join(f"FUNDOS_SOAK_{k.upper()}={count(k)}" for k in COUNTS)
    return (f"FUNDOS_BUILD_DIR=<build> {scale} .venv/bin/pytest -q "
            f"{shlex.quote(test)}")


@dataclass
class Scenario:
    """One scenario's figures, as docs/RELIABILITY.md shows them."""

    name: str
    runs: int = 0                     # how many times the scenario's unit (cycle, run, input) ran
    unit: str = "run"
    fund_crashes: int = 0
    accepted_intents: int = 0
    accepted_lost: int = 0
    fills: int = 0
    fills_lost_or_duplicated: int = 0
    invariant_checks: int = 0
    invariant_failures: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    command: str = ""

    def add(self, check: JournalCheck) -> None:
        self.accepted_intents += check.accepted
        self.accepted_lost += check.accepted_lost
        self.fills += check.fills
        self.fills_lost_or_duplicated += check.fills_lost_or_duplicated
        self.invariant_checks += check.invariant_checks
        self.invariant_failures += check.invariant_failures
        for reason, n in check.refusals.items():
            self.refusals[reason] = self.refusals.get(reason, 0) + n

    def write(self) -> None:
        _update_summary(lambda data: data.setdefault("scenarios", {}).__setitem__(self.name, asdict(self)))


def record_failure(test: str, message: str) -> None:
    """A soak test that failed: the summary (and so docs/RELIABILITY.md) names it and why."""
    _update_summary(lambda data: data.setdefault("failures", {}).__setitem__(test, message))


def _update_summary(change: Callable[[dict[str, Any]], object]) -> None:
    path = summary_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    change(data)
    data["soak"] = soak()
    data["counts"] = {k: count(k) for k in COUNTS}
    data["python"] = sys.version.split()[0]
    data["build_dir"] = str(build_dir())
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def summary_path() -> Path:
    explicit = os.environ.get("FUNDOS_SOAK_SUMMARY")
    return Path(explicit) if explicit else build_dir() / "soak" / "summary.json"


def _signed(record: Record) -> int:
    qty = round(float(record["qty"]) * 1_000_000)
    return qty if record["side"] == "BUY" else -qty


@dataclass
class JournalCheck:
    """The run's journal read back: after every step, the sum of the agents' positions against
    the fund's (per instrument, from allocations and crosses against fills); every intent once
    with one verdict; every fill of a parent allocated exactly; fills.csv and report.json
    agreeing with the journal; refusals counted per reason (transport, quarantine and risk)."""

    steps: int = 0
    accepted: int = 0
    accepted_lost: int = 0
    fills: int = 0
    fills_lost_or_duplicated: int = 0
    invariant_checks: int = 0
    invariant_failures: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(what)


def check_journal(run_dir: Path, *, finished: bool = True) -> JournalCheck:
    """`finished`: the run wrote its reports (report.json, fills.csv) to compare with."""
    check = JournalCheck()
    fund: Counter[int] = Counter()             # instrument -> fund position (fills)
    agents: Counter[tuple[int, int]] = Counter()  # (agent, instrument) -> position
    seen: set[tuple[str, str]] = set()
    filled: Counter[str] = Counter()           # parent -> filled qty
    allocated: Counter[str] = Counter()        # parent -> allocated qty
    csv_rows = 0
    for r in journal(run_dir):
        if r.type == "intent":
            key = (r["agent"], r["id"])
            if key in seen:
                check.fail(f"intent {key} has two verdicts: {r.text}")
                check.accepted_lost += 1
            seen.add(key)
            if r.get("verdict") == "ACCEPTED":
                check.accepted += 1
            elif r.get("verdict") == "REJECTED":
                check.refusals[r["reason"]] += 1
            elif r.get("verdict") not in ("JOURNALED",):
                check.fail(f"an intent without a verdict: {r.text}")
                check.accepted_lost += 1
        elif r.type == "refusal":
            check.refusals[r["reason"]] += 1
        elif r.type == "fill":
            fund[int(r["instrument"])] += _signed(r)
            filled[r["parent"]] += abs(_signed(r))
            check.fills += 1
        elif r.type == "allocation":
            agents[(int(r["agent"]), int(r["instrument"]))] += _signed(r)
            allocated[r["parent"]] += abs(_signed(r))
            csv_rows += 1
        elif r.type == "cross":
            agents[(int(r["agent"]), int(r["instrument"]))] += _signed(r)
            csv_rows += 1
        elif r.type == "step_end":
            check.steps += 1
            check.invariant_checks += 1
            summed: Counter[int] = Counter()
            for (_, instrument), qty in agents.items():
                summed[instrument] += qty
            if +summed != +fund:
                check.invariant_failures += 1
                check.fail(f"step {r['seq']}: agents sum to {dict(summed)}, the fund holds {dict(fund)}")
    for parent in filled.keys() | allocated.keys():
        if filled[parent] != allocated[parent]:
            check.fills_lost_or_duplicated += 1
            check.fail(f"parent {parent}: filled {filled[parent]}, allocated {allocated[parent]}")
    if finished:
        rows = (run_dir / "fills.csv").read_text().splitlines()[1:]
        if len(rows) != csv_rows:
            check.fills_lost_or_duplicated += abs(len(rows) - csv_rows)
            check.fail(f"fills.csv has {len(rows)} rows, the journal {csv_rows} allocations and crosses")
        reported = Counter(report(run_dir)["fund"]["rejects"])
        if +reported != +check.refusals:
            check.fail(f"report.json counts refusals {dict(reported)}, the journal {dict(check.refusals)}")
    return check


def agent_lines(log: Path) -> list[dict[str, Any]]:
    """soak_agent.py's JSON lines (a torn last line of a killed agent skipped)."""
    lines = []
    if log.exists():
        for text in log.read_text(errors="replace").splitlines():
            if text.startswith("{"):
                try:
                    lines.append(json.loads(text))
                except json.JSONDecodeError:
                    continue
    return lines
