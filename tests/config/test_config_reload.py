"""Changes while running (docs/CONFIG.md): a real Fund on synthetic data, with two stateless agents
(tests/fund/stateless_agent.py) that keep sending intents, changes its risk limits and mappings
when its configuration changes: a JSON file (`fundos config set --run-dir`, the control socket's
reload), SQLite (SIGHUP) and PostgreSQL (NOTIFY alone). Each change applies whole at one step
boundary and is journaled with its old and new values; later intents meet the new limits. An
invalid change is refused whole (by `fundos config set` before anything is written, or by the
Fund, which keeps its configuration). A resumed run replays the changes and writes the
uninterrupted run's journal and reports, byte for byte.

Agent "a" holds its answer to snapshot HOLD (FUNDOS_TEST_HOLD) until the test releases it: what
the test changes meanwhile lands at the boundary after step HOLD, whatever the wall clock does.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from config_helpers import env, fund, fundos, synth
from pg_server import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
AGENT = ROOT / "tests/fund/stateless_agent.py"
HOLD = 40
REPORTS = ("report.json", "fills.csv", "equity.csv")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, fund_build: Path) -> Path:
    return synth(fund_build, tmp_path_factory.mktemp("reload-data") / "synth.fmd", symbols=3, days=1, seed=11)


def _config(data: Path) -> dict[str, Any]:
    risk = {"max_position": "400", "max_intents_per_window": 12, "rate_window": "5m", "max_open_orders": 6}
    return {
        "name": "reload",
        "capital": "1000000",
        "risk": {"reducing_loss": "50000", "halt_loss": "100000"},
        "simulation": {"data": [str(data)], "decision": {"every": "bar"}, "answer_timeout_ms": 20000,
                       "start_timeout_ms": 30000, "stale_after": "5m"},
        "execution": {"slippage_bps": 1, "fee_per_share": "0.005", "participation_pct": 25},
        "instruments": [{"id": i, "symbol": f"SYN00{i}", "price_collar_bps": 500} for i in (1, 2, 3)],
        "agents": [
            {"id": 1, "name": "a", "command": [sys.executable, str(AGENT)], "instruments": ["SYN001", "SYN002"],
             "capital": "300000", "silent_policy": "cancel_orders", "risk": dict(risk)},
            {"id": 2, "name": "b", "command": [sys.executable, str(AGENT)],
             "instruments": ["SYN001", "SYN002", "SYN003"], "capital": "300000", "silent_policy": "flatten",
             "risk": dict(risk)},
        ],
    }


def _write(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def _wait(predicate: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Run:
    """`fund run` on SOURCE with the stateless agents; agent a holds at snapshot HOLD (when
    `hold`) until release()."""

    def __init__(self, build: Path, source: str, run_dir: Path, *extra: str, hold: bool = True) -> None:
        self.build = build
        self.run_dir = run_dir
        self.go = run_dir.parent / f"{run_dir.name}.go"
        self.go.unlink(missing_ok=True)
        Path(f"{self.go}.held").unlink(missing_ok=True)
        self.events: list[dict[str, Any]] = []
        self.stderr = ""
        base = env(build, leaks=False)
        self.proc = subprocess.Popen([str(build / "fund/fund"), "run", "--config", source, "--run-dir", str(run_dir),
                                      *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base)
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        ready = self.wait_event(lambda e: e["event"] == "ready", "the ready event")
        self.resumed = ready.get("resumed")
        self.agents = []
        for agent in ready["agents"]:
            agent_env = dict(base, FUNDOS_SOCKET=ready["socket"], FUNDOS_AGENT_ID=str(agent["id"]))
            if hold and agent["id"] == 1:
                agent_env["FUNDOS_TEST_HOLD"] = f"{HOLD}:{self.go}"
            self.agents.append(subprocess.Popen(agent["command"], env=agent_env, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL))

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:  # closed at the end of the output (the process ended)
            for line in self.proc.stdout:
                self.events.append(json.loads(line))

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:
            self.stderr = self.proc.stderr.read()

    def wait_event(self, match: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            hits = [e for e in list(self.events) if match(e)]
            if hits:
                return hits[0]
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise AssertionError(f"the Fund ended (status {self.proc.returncode}) before {what}: {self.stderr}")
            return None

        result: dict[str, Any] = _wait(found, what)
        return result

    def config_events(self) -> list[dict[str, Any]]:
        return [e for e in list(self.events) if e["event"] == "config"]

    def held(self) -> None:
        _wait(lambda: Path(f"{self.go}.held").exists(), f"agent a to hold at snapshot {HOLD}")

    def status(self) -> dict[str, Any]:
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5)
            conn.connect(str(self.run_dir / "control.sock"))
            conn.sendall(b'{"cmd":"status"}\n')
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        answer: dict[str, Any] = json.loads(data)
        return answer

    def prepared(self, count: int) -> None:
        """Wait until the Fund has read `count` re-reads (they wait for the next boundary)."""
        _wait(lambda: self.status()["config"]["prepared"] >= count, f"{count} prepared re-read(s)")

    def release(self) -> None:
        self.go.touch()

    def finish(self) -> None:
        assert self.proc.wait(120) == 0, self.stderr
        for agent in self.agents:
            agent.wait(30)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(60)
        self.release()  # a held agent then finds the Fund gone
        for agent in self.agents:
            agent.wait(30)


@dataclass
class Record:
    index: int
    text: str

    @property
    def kind(self) -> str:
        return self.text.split(" ", 1)[0]

    def field(self, key: str) -> str:
        for part in self.text.split(" "):
            if part.startswith(f"{key}="):
                return part.split("=", 1)[1]
        return ""


def _journal(build: Path, run_dir: Path) -> list[Record]:
    done = fund(["journal", str(run_dir / "journal.fj"), "--json"], build)
    assert done.returncode == 0, done.stderr
    return [Record(int(line["index"]), str(line["text"])) for line in map(json.loads, done.stdout.splitlines())]


def _changes(records: list[Record]) -> list[Record]:
    return [r for r in records if r.kind == "config_change"]


def _verdicts(records: list[Record], agent: str, instrument: str | None = None) -> set[str]:
    """The reasons (or ACCEPTED) of agent's intents in `records`."""
    out = set()
    for r in records:
        if r.kind == "intent" and r.field("agent") == agent and r.field("kind") != "END_OF_ANSWER" and (
                instrument is None or r.field("instrument") == instrument):
            out.add(r.field("reason") or r.field("verdict"))
    return out


def _split_at_change(records: list[Record]) -> tuple[list[Record], Record, list[Record]]:
    changes = _changes(records)
    assert len(changes) == 1, [c.text for c in changes]
    at = records.index(changes[0])
    return records[:at], changes[0], records[at + 1:]


def _config_set(build: Path, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    program = Path(sys.executable).parent / "fundos"
    argv = [str(program)] if program.exists() else [sys.executable, "-m", "fundos.cli"]
    return subprocess.Popen([*argv, "config", "set", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env(build), cwd=cwd)


def _check_lowered_limit_and_lost_mapping(records: list[Record], trigger: str) -> None:
    before, change, after = _split_at_change(records)
    assert change.field("after_seq") == str(HOLD), change.text
    assert change.field("status") == "applied" and change.field("trigger") == trigger
    assert change.field("changes") == "2"
    assert ('values={agents[0].instruments: ["SYN001","SYN002"] -> ["SYN001"]; '
            'agents[0].risk.max_position: "400" -> "5"}') in change.text
    # The step after it is the first to see it: every intent of a before it met the old limit.
    assert "POSITION_LIMIT" not in _verdicts(before, "1")
    assert "POSITION_LIMIT" in _verdicts(after, "1", "1")
    assert "POSITION_LIMIT" not in _verdicts(after, "2")  # b's limits did not change
    # a lost SYN002: its working orders there were canceled with the change, and from then on the
    # engine refuses what would add to its position there.
    assert after[0].kind == "cancel" and "cause=unmapped reason=INSTRUMENT_NOT_MAPPED" in after[0].text
    assert "INSTRUMENT_NOT_MAPPED" in _verdicts(after, "1", "2")
    assert "INSTRUMENT_NOT_MAPPED" not in _verdicts(before, "1", "2")
    next_steps = [r for r in after if r.kind == "step_begin"]
    assert next_steps and next_steps[0].field("seq") == str(HOLD + 1)


def test_file_change_applies_at_one_step(tmp_path: Path, data: Path, fund_build: Path) -> None:
    config = _write(tmp_path / "reload.json", _config(data))
    run = Run(fund_build, str(config), tmp_path / "run")
    run.held()
    setter = _config_set(fund_build, str(config), "agents[a].risk.max_position=5", 'agents[a].instruments=["SYN001"]',
                         "--run-dir", str(run.run_dir))
    run.prepared(1)
    run.release()
    out, err = setter.communicate(timeout=60)
    assert setter.returncode == 0, err
    assert f'{config}: agents[0].risk.max_position: "400" -> "5"' in out
    assert f'{config}: agents[0].instruments: ["SYN001","SYN002"] -> ["SYN001"]' in out
    assert f"applied it from step {HOLD + 1}" in out
    run.finish()
    # The file keeps its own spelling; only the values set changed.
    written = json.loads(config.read_text())
    expected = _config(data)
    expected["agents"][0]["risk"]["max_position"] = 5
    expected["agents"][0]["instruments"] = ["SYN001"]
    assert written == expected
    _check_lowered_limit_and_lost_mapping(_journal(fund_build, run.run_dir), "control")
    [event] = run.config_events()
    assert event["status"] == "applied" and event["applies_from_step"] == HOLD + 1
    status = json.loads((run.run_dir / "report.json").read_text())
    assert status["agents"][0]["rejects"].get("POSITION_LIMIT", 0) > 0


def test_sqlite_change_by_sighup(tmp_path: Path, data: Path, fund_build: Path) -> None:
    url = f"sqlite://{tmp_path / 'config.db'}"
    assert fundos(["config", "init", url], fund_build).returncode == 0
    done = fundos(["config", "import", str(_write(tmp_path / "reload.json", _config(data))), url], fund_build)
    assert done.returncode == 0, done.stderr
    run = Run(fund_build, f"{url}#reload", tmp_path / "run")
    run.held()
    # No Fund to tell in the current folder: it only writes, in one transaction.
    setter = _config_set(fund_build, f"{url}#reload", "agents[a].risk.max_position=5",
                         'agents[a].instruments=["SYN001"]', cwd=tmp_path)
    out, err = setter.communicate(timeout=60)
    assert setter.returncode == 0, err
    assert "no running Fund was told" in out
    run.proc.send_signal(signal.SIGHUP)
    run.prepared(1)
    run.release()
    run.finish()
    _check_lowered_limit_and_lost_mapping(_journal(fund_build, run.run_dir), "sighup")
    exported = fundos(["config", "export", f"{url}#reload"], fund_build)
    assert json.loads(exported.stdout)["agents"][0]["risk"]["max_position"] == "5"


def test_postgresql_change_by_notify(tmp_path: Path, data: Path, fund_build: Path, postgres: PostgresServer) -> None:
    url = postgres.url(postgres.create_database())
    assert fundos(["config", "init", url], fund_build).returncode == 0
    assert fundos(["config", "import", str(_write(tmp_path / "reload.json", _config(data))), url],
                  fund_build).returncode == 0
    run = Run(fund_build, f"{url}#reload", tmp_path / "run")
    _wait(lambda: run.status()["config"].get("listening"), "the Fund's LISTEN connection")
    # A lost LISTEN connection is reported and made again, not fatal.
    with psycopg.connect(postgres.admin_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name = 'fund (configuration changes)'")
    run.wait_event(lambda e: e["event"] == "config" and e.get("status") == "listen_lost", "the lost LISTEN report")
    run.wait_event(lambda e: e["event"] == "config" and e.get("status") == "listening", "LISTEN again")
    run.prepared(1)  # back, it re-read once: a notification may have been missed meanwhile
    run.held()
    setter = _config_set(fund_build, f"{url}#reload", "agents[a].risk.max_position=5",
                         'agents[a].instruments=["SYN001"]', cwd=tmp_path)
    out, err = setter.communicate(timeout=60)
    assert setter.returncode == 0, err
    assert "NOTIFY fundos_config 'reload' sent" in out
    run.prepared(2)  # no signal: the notification alone
    run.release()
    run.finish()
    records = _journal(fund_build, run.run_dir)
    _check_lowered_limit_and_lost_mapping(records, "notify")
    assert [e["status"] for e in run.config_events()] == ["listen_lost", "listening", "unchanged", "applied"]


def test_invalid_changes_are_rejected_whole(tmp_path: Path, data: Path, fund_build: Path) -> None:
    config = _write(tmp_path / "reload.json", _config(data))
    original = config.read_bytes()
    run = Run(fund_build, str(config), tmp_path / "run")
    run.held()
    # Refused by `fundos config set` itself: nothing written.
    refused = {
        "agents[a].risk.max_position=-5": 'agents[0].risk.max_position: must be >= 0, got -5',
        'agents[a].instruments=["SYN001","NOPE"]': 'agents[0].instruments[1]: no instrument "NOPE" in instruments',
        "execution.slippage_bps=3": "execution.slippage_bps: 1 -> 3 cannot change while the Fund runs",
        "agents[zed].risk.max_position=5": "agents has no agent with name 'zed'",
        "agents[a].risk.max_postion=5": 'agents[0].risk has no field \'max_postion\' (did you mean "max_position"?)',
    }
    for assignment, message in refused.items():
        setter = _config_set(fund_build, str(config), assignment, "--run-dir", str(run.run_dir))
        out, err = setter.communicate(timeout=60)
        assert setter.returncode == 2, (assignment, out, err)
        assert message in err and "Traceback" not in err, (assignment, err)
        assert config.read_bytes() == original
    # Written behind the Fund's back, then SIGHUP: refused by the Fund, which keeps its limits.
    bad = _config(data)
    bad["agents"][0]["risk"]["max_position"] = "-5"
    _write(config, bad)
    run.proc.send_signal(signal.SIGHUP)
    run.prepared(1)
    other = _config(data)
    other["agents"][0]["risk"]["max_position"] = "5"
    other["capital"] = "2000000"
    _write(config, other)
    run.proc.send_signal(signal.SIGHUP)
    run.prepared(2)
    config.write_bytes(original)
    run.release()
    run.finish()
    records = _journal(fund_build, run.run_dir)
    changes = _changes(records)
    assert [c.field("status") for c in changes] == ["rejected", "rejected"]
    assert all(c.field("after_seq") == str(HOLD) and c.field("trigger") == "sighup" for c in changes)
    assert 'agents[0].risk.max_position: must be >= 0, got "-5"}' in changes[0].text
    assert 'reason={' + f'{config}: capital: "1000000" -> "2000000" cannot change while the Fund runs' in changes[1].text
    assert "POSITION_LIMIT" not in _verdicts(records, "1")  # the old limits all along
    assert [e["status"] for e in run.config_events()] == ["rejected", "rejected"]
    assert run.proc.returncode == 0


def _run_with_change(build: Path, config: Path, run_dir: Path, *, kill: bool) -> Run:
    run = Run(build, str(config), run_dir)
    run.held()
    setter = _config_set(build, str(config), "agents[a].risk.max_position=5", 'agents[a].instruments=["SYN001"]',
                         "--run-dir", str(run_dir))
    run.prepared(1)
    run.release()
    _, err = setter.communicate(timeout=60)
    assert setter.returncode == 0, err
    if kill:
        run.wait_event(lambda e: e["event"] == "progress" and e["step"] >= 200, "step 200")
        run.kill()
        assert not (run_dir / "report.json").exists()
    else:
        run.finish()
    return run


def test_resume_after_a_change_reproduces_the_uninterrupted_run(tmp_path: Path, data: Path, fund_build: Path) -> None:
    # The same configuration twice, in one folder (agents' working_dir is the file's folder).
    reference_config = _write(tmp_path / "reference.json", _config(data))
    killed_config = _write(tmp_path / "killed.json", _config(data))
    reference = _run_with_change(fund_build, reference_config, tmp_path / "reference", kill=False).run_dir
    killed = _run_with_change(fund_build, killed_config, tmp_path / "killed", kill=True).run_dir
    # The source now holds the changed values; the run folder the ones it started with.
    assert json.loads((killed / "config.json").read_text())["agents"][0]["risk"]["max_position"] == "400"
    resumed = Run(fund_build, str(killed_config), killed, "--resume", "--quiet", hold=False)
    assert resumed.resumed is not None and resumed.resumed["step"] > HOLD
    resumed.finish()
    assert resumed.config_events() == []  # nothing new to apply
    for name in ("journal.fj", *REPORTS):
        assert (killed / name).read_bytes() == (reference / name).read_bytes(), name


def test_resume_applies_what_the_source_holds_beyond_the_journal(tmp_path: Path, data: Path,
                                                                 fund_build: Path) -> None:
    config = _write(tmp_path / "reload.json", _config(data))
    run = Run(fund_build, str(config), tmp_path / "run")
    run.held()
    setter = _config_set(fund_build, str(config), "agents[a].risk.max_position=5", cwd=tmp_path)
    assert setter.communicate(timeout=60) and setter.returncode == 0
    run.kill()  # before the Fund heard of it
    resumed = Run(fund_build, str(config), run.run_dir, "--resume", "--quiet", hold=False)
    step = resumed.resumed["step"] if resumed.resumed else 0
    resumed.finish()
    [change] = _changes(_journal(fund_build, run.run_dir))
    assert change.field("trigger") == "resume" and change.field("after_seq") == str(step)
    assert 'values={agents[0].risk.max_position: "400" -> "5"}' in change.text
    assert [e["applies_from_step"] for e in resumed.config_events()] == [step + 1]
    # A source changed where a running Fund cannot follow is refused, naming the field.
    _write(config, dict(_config(data), capital="2000000"))
    done = fund(["run", "--config", str(config), "--run-dir", str(run.run_dir), "--resume"], fund_build)
    assert done.returncode == 2
    assert f"{run.run_dir}/journal.fj: it was written with a different configuration" in done.stderr
    assert f'{config}: capital: "1000000" -> "2000000" cannot change while the Fund runs' in done.stderr
