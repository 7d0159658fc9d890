"""Recovery from kill -9 (issue #5): the real Fund on synthetic data with stateless agents
(stateless_agent.py) is SIGKILLed mid-run and restarted with --resume. The engine state it
recovers must be the uninterrupted run's at the same step, and since the agents' answers depend
only on the snapshots, the resumed run must write the uninterrupted run's journal and reports,
byte for byte. A journal written with another configuration is refused."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from fund_build import build_dir

ROOT = Path(__file__).resolve().parents[2]
AGENT = Path(__file__).with_name("stateless_agent.py")
REPORTS = ("report.json", "fills.csv", "equity.csv")


@dataclass
class Setup:
    build: Path
    config: Path
    tmp: Path

    @property
    def fund(self) -> Path:
        return self.build / "fund/fund"


def _write_config(tmp: Path, build: Path, name: str = "recovery", capital: str = "1000000") -> Path:
    data = tmp / "synth.fmd"
    if not data.exists():
        subprocess.run([str(build / "fund/fundos-data"), "synth", "--out", str(data), "--symbols", "3", "--days", "2",
                        "--seed", "11"], check=True, capture_output=True)
    risk = {"max_position": "400", "max_intents_per_window": 12, "rate_window": "5m", "max_open_orders": 6}
    config = {
        "name": name,
        "mode": "simulation",
        "capital": capital,
        "risk": {"reducing_loss": "50000", "halt_loss": "100000"},
        "simulation": {"data": [str(data)], "decision": {"every": "bar"}, "answer_timeout_ms": 20000,
                       "start_timeout_ms": 30000, "stale_after": "5m"},
        "execution": {"slippage_bps": 1, "fee_per_share": "0.005", "latency": "0ms", "participation_pct": 25},
        "instruments": [{"id": i, "symbol": f"SYN00{i}", "price_collar_bps": 500} for i in (1, 2, 3)],
        "agents": [
            {"id": 1, "name": "a", "command": [sys.executable, str(AGENT)], "instruments": ["SYN001", "SYN002"],
             "capital": "300000", "silent_policy": "cancel_orders", "risk": risk},
            {"id": 2, "name": "b", "command": [sys.executable, str(AGENT)],
             "instruments": ["SYN001", "SYN002", "SYN003"], "capital": "300000", "silent_policy": "flatten",
             "risk": risk},
        ],
    }
    path = tmp / f"{name}-{capital}.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    build = build_dir()
    tmp = tmp_path_factory.mktemp("recovery")
    return Setup(build, _write_config(tmp, build), tmp)


class FundRun:
    """`fund run` and its agents, started by hand (so the test holds the Fund's pid and stdout)."""

    def __init__(self, setup: Setup, run_dir: Path, *extra: str) -> None:
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        self.agents: list[subprocess.Popen[bytes]] = []
        self.proc = subprocess.Popen([str(setup.fund), "run", "--config", str(setup.config), "--run-dir",
                                      str(run_dir), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        assert self.proc.stdout is not None
        self.stdout: IO[str] = self.proc.stdout
        self.ready = self.next_event("ready")
        for agent in self.ready["agents"]:
            agent_env = dict(env, FUNDOS_SOCKET=self.ready["socket"], FUNDOS_AGENT_ID=str(agent["id"]))
            self.agents.append(subprocess.Popen(agent["command"], env=agent_env, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL))

    def events(self) -> Iterator[dict[str, Any]]:
        for line in self.stdout:
            yield json.loads(line)

    def next_event(self, kind: str) -> dict[str, Any]:
        for event in self.events():
            if event["event"] == kind:
                return event
        _, err = self.proc.communicate(timeout=60)
        raise AssertionError(f"the Fund ended before a {kind!r} event (exit {self.proc.returncode}): {err}")

    def finish(self) -> dict[str, Any]:
        done = self.next_event("done")
        _, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err
        self.reap_agents()
        return done

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=60)
        self.reap_agents()

    def reap_agents(self) -> None:
        for agent in self.agents:
            try:
                agent.wait(timeout=10)  # they exit when the Fund hangs up
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()


def _journal(fund: Path, path: Path) -> list[str]:
    done = subprocess.run([str(fund), "journal", str(path)], capture_output=True, text=True, check=True,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    return [line.split(None, 1)[1] for line in done.stdout.splitlines()]


def _records(path: Path) -> list[tuple[int, int, bytes]]:
    """(type, index, payload) of each record (fund/include/fundos/runtime/journal.hpp: a 128-byte
    header, then records of size u32, type u16, reserved u16, index u64, payload, crc32c, padded
    to 8 bytes)."""
    data = path.read_bytes()
    out = []
    offset = 128
    while offset < len(data):
        size = int.from_bytes(data[offset:offset + 4], "little")
        kind = int.from_bytes(data[offset + 4:offset + 6], "little")
        index = int.from_bytes(data[offset + 8:offset + 16], "little")
        payload = data[offset + 16:offset + 16 + size]
        out.append((kind, index, payload))
        offset += (16 + size + 4 + 7) & ~7
    return out


def _step_end(lines: list[str], step: int) -> str:
    ends = [line for line in lines if line.startswith("step_end ")]
    return ends[step - 1]


@pytest.fixture(scope="module")
def uninterrupted(setup: Setup) -> Path:
    run_dir = setup.tmp / "uninterrupted"
    done = FundRun(setup, run_dir, "--quiet").finish()
    assert done["status"] == "ok" and done["steps"] > 400, done
    return run_dir


def _kill_and_resume(setup: Setup, run_dir: Path, progress_lines: int, delay: float) -> dict[str, Any]:
    """Run, SIGKILL after `progress_lines` progress events and `delay` seconds, resume to the end.
    Returns the resumed Fund's ready event."""
    first = FundRun(setup, run_dir)
    for _ in range(progress_lines):
        first.next_event("progress")
    time.sleep(delay)
    first.kill()
    assert first.proc.returncode == -signal.SIGKILL
    assert not (run_dir / "report.json").exists()

    second = FundRun(setup, run_dir, "--resume", "--quiet")
    resumed = second.ready["resumed"]
    done = second.finish()
    assert done["status"] == "ok", done
    # Steps are committed 64 KiB at a time: some of the last ones before the kill are redone.
    assert 0 < resumed["step"] <= done["steps"], resumed
    assert done["steps"] >= resumed["step"]  # equal: killed after its last step, before the report
    return dict(resumed)


def _check_resumed_run(setup: Setup, run_dir: Path, uninterrupted: Path, resumed: dict[str, Any]) -> None:
    step = resumed["step"]
    assert resumed["seq"] == step  # one snapshot per step, numbered on across the restart
    # (a) the recovered engine is the uninterrupted one at that step: its state hash, and the
    # step_end record (NAV, cash, exposures, PnL, fees, working orders, parents) the replay wrote
    reference = _journal(setup.fund, uninterrupted / "journal.fj")
    hash_text = re.search(r" state_hash=([0-9a-f]+)", _step_end(reference, step))
    assert hash_text is not None and f"0x{hash_text.group(1)}" == resumed["state_hash"]
    resumed_lines = _journal(setup.fund, run_dir / "journal.fj")
    assert _step_end(resumed_lines, step) == _step_end(reference, step)
    working = [int(m.group(1)) for line in reference if (m := re.search(r" working=(\d+) ", line))]
    assert max(working) > 0, "the scenario never had working orders to recover"
    # (b) and the rest of the run, answered by restarted stateless agents, is the same run: the
    # same journal and report files, byte for byte (record by record first, for a readable failure)
    resumed_records = _records(run_dir / "journal.fj")
    reference_records = _records(uninterrupted / "journal.fj")
    assert len(resumed_records) == len(reference_records)
    for index, (got, want) in enumerate(zip(resumed_records, reference_records, strict=True)):
        assert got == want, f"journal record {index}: {resumed_lines[index]!r} != {reference[index]!r}"
    assert (run_dir / "journal.fj").read_bytes() == (uninterrupted / "journal.fj").read_bytes()
    for name in REPORTS:
        assert (run_dir / name).read_bytes() == (uninterrupted / name).read_bytes(), name
    report = json.loads((run_dir / "report.json").read_text())
    assert report, "empty report"


def test_kill_after_progress_and_resume(setup: Setup, uninterrupted: Path) -> None:
    run_dir = setup.tmp / "killed-at-progress"
    resumed = _kill_and_resume(setup, run_dir, progress_lines=2, delay=0.0)
    _check_resumed_run(setup, run_dir, uninterrupted, resumed)


def test_kill_at_a_random_point_and_resume(setup: Setup, uninterrupted: Path) -> None:
    rng = random.Random(20240605)
    run_dir = setup.tmp / "killed-at-random"
    resumed = _kill_and_resume(setup, run_dir, progress_lines=rng.randint(1, 7), delay=rng.uniform(0.0, 0.05))
    _check_resumed_run(setup, run_dir, uninterrupted, resumed)


def test_torn_tail_and_unfinished_step_are_redone(setup: Setup, uninterrupted: Path) -> None:
    # A journal cut in the middle of a step (as a crash mid-write leaves it): the whole records
    # of the unfinished step and the torn one are dropped, and the step is done again.
    run_dir = setup.tmp / "torn"
    run_dir.mkdir()
    full = (uninterrupted / "journal.fj").read_bytes()
    lines = subprocess.run([str(setup.fund), "journal", str(uninterrupted / "journal.fj"), "--json"],
                           capture_output=True, text=True, check=True,
                           env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0")).stdout.splitlines()
    step_ends = [i for i, line in enumerate(lines) if json.loads(line)["text"].startswith("step_end ")]
    # keep 150 whole steps plus half of the next step's records, then 5 bytes of the next record
    keep_records = (step_ends[150] + step_ends[149]) // 2
    (run_dir / "journal.fj").write_bytes(full[:_record_offset(full, keep_records) + 5])
    second = FundRun(setup, run_dir, "--resume", "--quiet")
    resumed = second.ready["resumed"]
    second.finish()
    assert resumed["step"] == 150
    _check_resumed_run(setup, run_dir, uninterrupted, resumed)


def _record_offset(journal: bytes, index: int) -> int:
    """Byte offset of record `index` (journal.hpp: a 128-byte header, then records of
    16 + payload + 4 bytes rounded up to 8)."""
    offset = 128
    for _ in range(index):
        payload = int.from_bytes(journal[offset:offset + 4], "little")
        offset += (16 + payload + 4 + 7) & ~7
    return offset


def test_resume_with_another_config_is_refused(setup: Setup, uninterrupted: Path) -> None:
    run_dir = setup.tmp / "other-config"
    shutil.copytree(uninterrupted, run_dir)
    before = (run_dir / "journal.fj").read_bytes()
    other = _write_config(setup.tmp, setup.build, capital="2000000")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    done = subprocess.run([str(setup.fund), "run", "--config", str(other), "--run-dir", str(run_dir), "--resume"],
                          check=False, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"{run_dir}/journal.fj" in done.stderr
    assert "different configuration" in done.stderr
    assert "Traceback" not in done.stderr
    assert (run_dir / "journal.fj").read_bytes() == before
    # the same through the CLI: `fundos run --resume` passes the flag and the Fund's exit status
    fundos = shutil.which("fundos", path=str(Path(sys.executable).parent)) or "fundos"
    cli = subprocess.run([fundos, "run", "--quiet", "--config", str(other), "--run-dir", str(run_dir), "--resume"],
                         check=False, capture_output=True, text=True, env=dict(env, FUNDOS_FUND=str(setup.fund)),
                         timeout=60)
    assert cli.returncode == 2, cli.stdout + cli.stderr
    assert "different configuration" in cli.stderr
    assert (run_dir / "journal.fj").read_bytes() == before


def test_existing_journal_without_resume_is_refused(setup: Setup, uninterrupted: Path) -> None:
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    before = (uninterrupted / "journal.fj").read_bytes()
    done = subprocess.run([str(setup.fund), "run", "--config", str(setup.config), "--run-dir", str(uninterrupted)],
                          check=False, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert f"{uninterrupted} already holds a journal; use --resume or another --run-dir" in done.stderr
    assert (uninterrupted / "journal.fj").read_bytes() == before
    missing = setup.tmp / "never-ran"
    done = subprocess.run([str(setup.fund), "run", "--config", str(setup.config), "--run-dir", str(missing),
                           "--resume"], check=False, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert f"{missing}/journal.fj: no journal to resume from" in done.stderr
