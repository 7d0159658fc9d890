"""One mechanism for the Fund's fault tests (test_fund_faults.py): a small configuration on
synthetic data with scripted agents (agents/fault_agent.py), the Fund run as `fundos run` or as
`fund run` with the agents started here, and readers for what a run leaves behind (journal,
report, agent logs).

Programs come from the CMake build in FUNDOS_BUILD_DIR (skipped when it is not set, like
test_fund_run.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fund_build import build_dir

ROOT = Path(__file__).resolve().parents[2]
FAULT_AGENT = Path(__file__).resolve().parent / "agents" / "fault_agent.py"
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")


def fundos_cli() -> str:
    return shutil.which("fundos", path=str(Path(sys.executable).parent)) or "fundos"


@dataclass
class Agent:
    """One configured agent running agents/fault_agent.py with `args`."""

    id: int
    symbol: str
    args: list[str] = field(default_factory=list)
    silent_policy: str = "cancel_orders"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"agent{self.id}"


def write_config(tmp_path: Path, agents: list[Agent], *, answer_timeout_ms: int = 2000, max_steps: int = 60,
                 launch: bool = True, days: int = 1, decision: dict[str, Any] | None = None) -> Path:
    """fund/examples/demo.json cut down: 2 synthetic symbols, `days` days, `agents`; `launch`
    False leaves the commands out (the test starts the agents itself); `decision` replaces the
    example's (a step per bar)."""
    build = build_dir()
    data = tmp_path / f"synth-{days}d.fmd"
    if not data.exists():
        subprocess.run([str(build / "fund/fundos-data"), "synth", "--out", str(data), "--symbols", "2", "--days",
                        str(days), "--seed", "11"], check=True, capture_output=True, env=ENV)
    config = json.loads((ROOT / "fund/examples/demo.json").read_text())
    config.pop("$schema", None)
    config["name"] = "faults"
    config["simulation"].update(data=[str(data)], answer_timeout_ms=answer_timeout_ms, start_timeout_ms=20000,
                                max_steps=max_steps)
    if decision is not None:
        config["simulation"]["decision"] = decision
    config["instruments"] = config["instruments"][:2]
    config["agents"] = []
    for agent in agents:
        entry: dict[str, Any] = {
            "id": agent.id, "name": agent.name, "instruments": [agent.symbol], "capital": "100000",
            "silent_policy": agent.silent_policy, "wake": "futex",
            "risk": {"max_position": "50", "max_order_notional": "50000"},
        }
        if launch:
            entry["command"] = [sys.executable, str(FAULT_AGENT), *agent.args]
        entry.update(agent.extra)
        config["agents"].append(entry)
    path = tmp_path / "faults.json"
    path.write_text(json.dumps(config, indent=1))
    return path


class Run:
    """A running `fundos run --config C --run-dir D` (cli=True) or `fund run ...` (cli=False);
    its stdout lines are collected by a thread. With `fund run`, start_agents() launches the
    configured agents' commands given to it (logs in D/agents/NAME.log, as `fundos run` does)."""

    def __init__(self, config: Path, run_dir: Path, *, cli: bool) -> None:
        build = build_dir()
        self.run_dir = run_dir
        self.lines: list[str] = []
        self.agents: dict[int, subprocess.Popen[bytes]] = {}
        env = dict(ENV, FUNDOS_FUND=str(build / "fund/fund"))
        argv = ([fundos_cli(), "run", "--quiet"] if cli else [str(build / "fund/fund"), "run", "--quiet"])
        argv += ["--config", str(config), "--run-dir", str(run_dir)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     start_new_session=True)
        self.stderr = ""
        self._threads = [threading.Thread(target=self._pump, daemon=True),
                         threading.Thread(target=self._pump_err, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:  # closed at the end of the output (the process ended)
            for line in self.proc.stdout:
                self.lines.append(line)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:
            self.stderr = self.proc.stderr.read()

    def events(self, kind: str) -> list[dict[str, Any]]:
        """The Fund's JSON events of `kind` so far (`fund run` only: `fundos run` shows them to people)."""
        found = []
        for line in list(self.lines):
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict) and event.get("event") == kind:
                found.append(event)
        return found

    def start_agents(self, config: Path, argv: dict[int, list[str]]) -> None:
        """`fund run` only: start fault_agent.py for each agent id in `argv` with those args."""
        ready = wait_for(lambda: self.events("ready"), 30, "the Fund's ready event", self)[0]
        symbols = {a["id"]: a["instruments"][0] for a in json.loads(config.read_text())["agents"]}
        (self.run_dir / "agents").mkdir(exist_ok=True)
        for agent_id, args in argv.items():
            with (self.run_dir / "agents" / f"agent{agent_id}.log").open("ab") as log:  # the child keeps its copy
                self.agents[agent_id] = subprocess.Popen(
                    [sys.executable, str(FAULT_AGENT), "--socket", ready["socket"], "--agent-id", str(agent_id),
                     "--symbol", symbols[agent_id], *args], stdout=log, stderr=subprocess.STDOUT, env=ENV)

    def wait(self, timeout: float = 60) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the run did not finish within {timeout} s; stderr:\n{self.stderr}") from None
        for thread in self._threads:
            thread.join(5)
        for agent in self.agents.values():
            try:
                agent.wait(10)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
        return code

    def kill(self) -> None:
        for proc in (self.proc, *self.agents.values()):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, run: Run | None = None) -> Any:
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if run is not None and run.proc.poll() is not None:
            value = predicate()
            if value:
                return value
            raise AssertionError(f"the run ended (status {run.proc.returncode}) before {what}:\n{run.stderr}")
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def agent_log(run_dir: Path, agent_id: int) -> list[dict[str, Any]]:
    """The JSON lines of fault_agent.py's log (other lines, e.g. `fundos run`'s restart notes, skipped)."""
    path = run_dir / "agents" / f"agent{agent_id}.log"
    if not path.exists():
        return []
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line still being written
    return lines


def agent_events(run_dir: Path, agent_id: int, kind: str) -> list[dict[str, Any]]:
    return [line for line in agent_log(run_dir, agent_id) if line.get("event") == kind]


@dataclass
class Record:
    """One journal record as `fund journal` describes it: its type name and key=value fields."""

    type: str
    fields: dict[str, str]
    text: str

    def __getitem__(self, key: str) -> str:
        return self.fields[key]

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)


def journal(run_dir: Path) -> list[Record]:
    done = subprocess.run([str(build_dir() / "fund/fund"), "journal", str(run_dir / "journal.fj"), "--json"],
                          capture_output=True, text=True, env=ENV, check=False)
    assert done.returncode == 0, done.stderr
    records = []
    for line in done.stdout.splitlines():
        text = json.loads(line)["text"]
        name, *pairs = text.split(" ")
        records.append(Record(name, dict(pair.split("=", 1) for pair in pairs if "=" in pair), text))
    return records


def of_type(records: list[Record], record_type: str, /, **match: object) -> Iterator[Record]:
    """The records of `record_type` whose fields equal every `match` (compared as strings)."""
    return (r for r in records if r.type == record_type and all(r.get(k) == str(v) for k, v in match.items()))


def report(run_dir: Path) -> dict[str, Any]:
    value = json.loads((run_dir / "report.json").read_text())
    assert isinstance(value, dict)
    return value


def agent_report(run_dir: Path, agent_id: int) -> dict[str, Any]:
    agents = report(run_dir)["agents"]
    found = [a for a in agents if a.get("id") == agent_id]
    assert found, f"agent {agent_id} is not in report.json: {agents}"
    return found[0]


def steps_done(run_dir: Path) -> int:
    """Steps committed to the journal so far (the Fund commits once per step)."""
    path = run_dir / "journal.fj"
    if not path.exists():
        return 0
    return sum(1 for r in journal(run_dir) if r.type == "step_end")
