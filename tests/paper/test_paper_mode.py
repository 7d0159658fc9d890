"""Paper mode end to end (issue #7), on loopback only: `fundos-feed serve` replays a synthetic
session as a live UDP feed, `fundos run` runs the Fund in mode "paper" with the unchanged example
agents (the C breakout agent, the Python moving-average agent), and

- the session trades, ends with the feed's session, and writes its report, fills and equity curve;
- its journal holds every market event whole (kMarketEvent, no kMarketRange), and `fundos replay`
  rebuilds report.json, fills.csv and equity.csv from it byte for byte;
- a gap injected by the feed server trips the stale guard: kFeedStatus records, STALE in the
  agents' snapshots, and TRADING again once the snapshot recovery has run;
- a gap that cannot be recovered (the recovery port is closed) keeps the instrument STALE, so the
  probe's orders are refused STALE_MARKET_DATA; SIGTERM then stops the Fund cleanly, and that
  session replays to the same outputs too;
- the same agents run unchanged in mode "simulation" on the same data.

The feed runs at 3000x: the session's 390 one-minute bars take about 8 s of wall clock."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fund_build import build_dir
from live_harness import (
    ROOT,
    Started,
    check_replay,
    env_of,
    free_port,
    journal_records,
    killed_at_exit,
    report,
    synth_session,
)

HERE = Path(__file__).resolve().parent
SPEED = "3000x"


@pytest.fixture(scope="module")
def build() -> Path:
    return build_dir("fund/fundos-feed", "sdks/c/fundos_breakout_agent")


@pytest.fixture(scope="module")
def data(build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One session of one-minute bars and quotes of 2 symbols (1560 events)."""
    return synth_session(build, tmp_path_factory.mktemp("paper"), 2, 1)


@pytest.fixture
def processes() -> Iterator[list[Started]]:
    with killed_at_exit() as started:
        yield started


def agents(build: Path, which: tuple[str, ...]) -> list[dict[str, Any]]:
    """The example agents, launched as the demo launches them; `probe` is tests/paper's."""
    table: dict[str, dict[str, Any]] = {
        "breakout_c": {"command": [str(build / "sdks" / "c" / "fundos_breakout_agent")], "silent_policy": "flatten",
                       "risk": {"max_order_qty": "100", "max_position": "500", "max_open_orders": 8}},
        "ma_crossover": {"command": [sys.executable, str(ROOT / "sdks" / "python" / "examples" / "ma_crossover.py"),
                                     "--quiet", "--fast", "3", "--slow", "8"], "silent_policy": "cancel_orders"},
        "probe": {"command": [sys.executable, str(HERE / "stale_probe_agent.py")]},
    }
    return [{"id": i + 1, "name": name, "instruments": ["SYN001", "SYN002"], "capital": "250000", **table[name]}
            for i, name in enumerate(which)]


def write_config(folder: Path, build: Path, mode: str, which: tuple[str, ...], data: Path | None = None,
                 market_data: dict[str, Any] | None = None) -> Path:
    config: dict[str, Any] = {
        "name": f"{mode}-test", "mode": mode, "capital": "1000000",
        "simulation": {"data": [str(data)] if data else [], "start_timeout_ms": 30000},
        "execution": {"fee_per_share": "0.005", "participation_pct": 25},
        "instruments": [{"id": 1, "symbol": "SYN001"}, {"id": 2, "symbol": "SYN002"}],
        "agents": agents(build, which),
    }
    if market_data is not None:
        config["market_data"] = market_data
    path = folder / f"{mode}.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def live_feed(udp: int, tcp: int, **extra: Any) -> dict[str, Any]:
    return {"source": "live", "port": udp, "recovery_port": tcp, "publish_interval": "50ms",
            "heartbeat_interval": "500ms", "stale_after": "2s", **extra}


def start_paper(processes: list[Started], build: Path, folder: Path, config: Path, run_dir: Path) -> Started:
    """`fundos run` in paper mode; returns once the Fund's feed socket is bound (it opens it before
    it creates the run folder), so a server started next is heard from its first packet."""
    run = Started([sys.executable, "-m", "fundos.cli", "run", "--config", str(config), "--run-dir", str(run_dir)],
                  env_of(build), folder, "fundos")
    processes.append(run)
    deadline = time.monotonic() + 30
    while not run_dir.exists():
        assert run.process.poll() is None, run.err_path.read_text()
        assert time.monotonic() < deadline, "the Fund did not start"
        time.sleep(0.02)
    return run


def serve(processes: list[Started], build: Path, folder: Path, data: Path, udp: int, tcp: int,
          *faults: str) -> Started:
    server = Started([str(build / "fund" / "fundos-feed"), "serve", "--data", str(data), "--speed", SPEED,
                      "--port", str(udp), "--recovery-port", str(tcp), "--linger", "3", "--quiet", *faults],
                     env_of(build), folder, "serve")
    processes.append(server)
    return server


def test_a_paper_session_trades_and_replays_from_its_journal(build: Path, data: Path, tmp_path: Path,
                                                             processes: list[Started]) -> None:
    udp, tcp = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    config = write_config(tmp_path, build, "paper", ("breakout_c", "ma_crossover"), market_data=live_feed(udp, tcp))
    run_dir = tmp_path / "run"
    run = start_paper(processes, build, tmp_path, config, run_dir)
    server = serve(processes, build, tmp_path, data, udp, tcp)
    code, _, err = run.finish(timeout=90)
    assert code == 0, err
    served = [json.loads(line) for line in server.finish(timeout=30)[1].splitlines() if line.startswith("{")]
    sent = next(line for line in served if line["event"] == "done")

    facts = report(run_dir)
    assert facts["run"]["mode"] == "paper"
    assert facts["run"]["stopped_by"] == "end of session"
    assert facts["run"]["events"] == sent["market_messages"] == 1560  # every event the feed sent, applied
    assert facts["run"]["steps"] > 20
    trades = {agent["name"]: agent["trades"] for agent in facts["agents"]}
    assert trades["breakout_c"] > 0, trades
    rows = (run_dir / "fills.csv").read_text().splitlines()
    assert len(rows) - 1 == sum(trades.values())
    assert len((run_dir / "equity.csv").read_text().splitlines()) == facts["run"]["steps"] + 1

    kinds = [record.split()[0] for record in journal_records(build, run_dir)]
    assert kinds.count("market_event") == 1560 and "market_range" not in kinds
    assert kinds.count("step_begin") == facts["run"]["steps"]
    check_replay(build, run_dir, tmp_path / "replayed")
    # A paper run is not resumed live: its market data is gone (the replay rebuilds it instead).
    resumed = subprocess.run([str(build / "fund" / "fund"), "run", "--config", str(config), "--run-dir", str(run_dir),
                              "--resume"], check=False, capture_output=True, text=True, env=env_of(build), timeout=60)
    assert resumed.returncode == 2 and "is not resumed live" in resumed.stderr, resumed.stderr


def test_a_feed_gap_trips_the_stale_guard_until_recovered(build: Path, data: Path, tmp_path: Path,
                                                          processes: list[Started]) -> None:
    udp, tcp = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    config = write_config(tmp_path, build, "paper", ("probe",), market_data=live_feed(udp, tcp))
    run_dir = tmp_path / "run"
    run = start_paper(processes, build, tmp_path, config, run_dir)
    server = serve(processes, build, tmp_path, data, udp, tcp, "--gap-every", "60")
    code, _, err = run.finish(timeout=90)
    assert code == 0, err
    served = [json.loads(line) for line in server.finish(timeout=30)[1].splitlines() if line.startswith("{")]
    done = next(line for line in served if line["event"] == "done")
    assert done["dropped"] >= 3 and done["snapshots"] >= 3  # gaps, each recovered by a snapshot

    statuses = [record for record in journal_records(build, run_dir) if record.startswith("feed_status")]
    assert "feed_status instrument=1 feed=tripped" in statuses
    assert "feed_status instrument=1 feed=ok" in statuses
    assert statuses.index("feed_status instrument=1 feed=tripped") < statuses.index("feed_status instrument=1 feed=ok")
    assert statuses[-1].endswith("feed=ok")  # the last gap was recovered too

    seen = [line.split()[2:] for line in (run_dir / "agents" / "probe.log").read_text().splitlines()
            if line.startswith("seq ") and "REJECTED" not in line]
    assert ["SYN001", "STALE"] in seen, seen
    assert seen.index(["SYN001", "TRADING"], seen.index(["SYN001", "STALE"])) > 0  # and trading again
    assert report(run_dir)["run"]["stopped_by"] == "end of session"
    check_replay(build, run_dir, tmp_path / "replayed")


def test_an_unrecovered_gap_refuses_new_risk_and_sigterm_stops_the_session(build: Path, data: Path,
                                                                          tmp_path: Path,
                                                                          processes: list[Started]) -> None:
    udp, tcp, closed = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    # The Fund asks for its snapshots on a port nobody listens on: after the first gap, every
    # instrument stays gapped, and the session's end (held behind the gap) never comes.
    config = write_config(tmp_path, build, "paper", ("probe",),
                          market_data=live_feed(udp, tcp, recovery_port=closed, recovery_timeout="200ms"))
    run_dir = tmp_path / "run"
    run = start_paper(processes, build, tmp_path, config, run_dir)
    serve(processes, build, tmp_path, data, udp, tcp, "--gap-every", "40")
    log = run_dir / "agents" / "probe.log"
    deadline = time.monotonic() + 60
    while not (log.exists() and "REJECTED STALE_MARKET_DATA" in log.read_text()):
        assert run.process.poll() is None, run.err_path.read_text()
        assert time.monotonic() < deadline, "no STALE_MARKET_DATA reject"
        time.sleep(0.05)
    run.process.send_signal(signal.SIGTERM)
    code, _, err = run.finish(timeout=60)
    assert code == 0, err
    facts = report(run_dir)
    assert facts["run"]["stopped_by"] == "SIGTERM"
    assert facts["agents"][0]["rejects"].get("STALE_MARKET_DATA", 0) > 0, facts["agents"][0]
    assert "feed_status instrument=1 feed=tripped" in journal_records(build, run_dir)
    check_replay(build, run_dir, tmp_path / "replayed")


def test_the_same_agents_run_unchanged_in_simulation(build: Path, data: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, build, "simulation", ("breakout_c", "ma_crossover"), data=data)
    run_dir = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "fundos.cli", "run", "--config", str(config), "--run-dir",
                           str(run_dir)], check=False, capture_output=True, text=True, env=env_of(build),
                          timeout=120)
    assert done.returncode == 0, done.stderr
    facts = report(run_dir)
    assert facts["run"]["mode"] == "simulation" and facts["run"]["stopped_by"] == "end of data"
    assert {agent["name"]: agent["trades"] for agent in facts["agents"]}["breakout_c"] > 0
    check_replay(build, run_dir, tmp_path / "replayed")  # `fund replay` serves a simulation too


def test_a_feed_that_never_comes_and_a_bad_feed_address(build: Path, tmp_path: Path) -> None:
    udp, tcp = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    config = write_config(tmp_path, build, "paper", ("probe",), market_data=live_feed(udp, tcp))
    document = json.loads(config.read_text())
    document["simulation"]["start_timeout_ms"] = 300
    config.write_text(json.dumps(document))
    done = subprocess.run([str(build / "fund" / "fund"), "run", "--config", str(config), "--run-dir",
                           str(tmp_path / "quiet")], check=False, capture_output=True, text=True, env=env_of(build),
                          timeout=60)
    assert done.returncode == 1
    assert f"start_timeout passed: the feed at 127.0.0.1:{udp} has not defined SYN001, SYN002" in done.stderr

    document["market_data"]["address"] = "300.1.1.1"
    config.write_text(json.dumps(document))
    done = subprocess.run([str(build / "fund" / "fund"), "run", "--config", str(config), "--run-dir",
                           str(tmp_path / "bad")], check=False, capture_output=True, text=True, env=env_of(build),
                          timeout=60)
    assert done.returncode == 2
    assert f"{config}: market_data: feed address 300.1.1.1: not an IPv4 address" in done.stderr
    assert not (tmp_path / "bad").exists()  # refused before the run folder exists
