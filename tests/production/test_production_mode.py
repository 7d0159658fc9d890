"""Production mode end to end (issue #7), on loopback only: `fundos-feed serve` replays a synthetic
session as a live feed on a multicast group on 127.0.0.1; `fundos-exchange` hears the same feed and
accepts FIX 4.4 on 127.0.0.1; `fundos run` runs the Fund in mode "production" with the unchanged
example agents (the C breakout agent, the Python moving-average agent), its orders going to the
exchange over FIX. Each test checks what the exchange did (its counters, the fills in its FIX
message log, its positions as it answers a RequestForPositions) against what the Fund journaled
and reported:

- immediate fills: the session trades, the report is written, the journal replays byte for byte,
  every fill the exchange sent is in fills.csv once, latency.json counts every new order;
- partial fills, with a feed that loses packets: three fills per order, the stale guard trips on
  the gaps and clears after the recoveries; the exchange's positions are the Fund's, and a second,
  fresh Fund refuses to trade against that venue (not flat): exit 1, reconciliation.json, no journal;
- reject mode: each order's VENUE_REJECT reaches the agent as a CANCELED report;
- disconnect mode: the exchange drops the FIX session again and again; after each reconnect the
  reports due are resent, and no fill is lost or counted twice;
- SIGKILL of the Fund while orders work at the exchange, then --resume: the fills the exchange made
  meanwhile are recovered by reconciliation, the run goes on in the same journal, which replays;
  against a new exchange that lost the orders the resume is refused, and nothing is sent to it
  (not even QuickFIX's resend of the old orders);
- the kill switch through the control socket cancels every working order at the exchange, and so
  does a dead agent's silent policy (cancel_orders) for its own.

The feed runs at 3000x: the session's 390 one-minute bars take about 8 s of wall clock."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
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
    return build_dir("fund/fundos-feed", "fund/fundos-exchange", "sdks/c/fundos_breakout_agent")


@pytest.fixture(scope="module")
def data(build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One session of one-minute bars and quotes of 2 symbols (1560 events)."""
    return synth_session(build, tmp_path_factory.mktemp("production"), 2, 1)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[Started]]:
    """What a test starts, killed when it ends; and, should a test fail midway, the Fund and agents
    `fundos run` started in sessions of their own (found by the test's folder in their command or
    environment), which would otherwise wait for a feed that is gone."""
    with killed_at_exit() as started:
        yield started
    for pid in pids_mentioning(tmp_path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@dataclass(frozen=True)
class Ports:
    """One test's loopback addresses: the feed's UDP port and multicast group, its recovery port,
    and the exchange's FIX port (a group of its own, so concurrent tests never hear each other)."""

    udp: int
    tcp: int
    fix: int
    group: str


def new_ports() -> Ports:
    udp, tcp, fix = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    return Ports(udp, tcp, fix, f"239.255.{udp % 250 + 1}.{tcp % 250 + 1}")


def agents(build: Path, which: tuple[str, ...]) -> list[dict[str, Any]]:
    """The example agents, launched as the demo launches them; `probe` is order_probe_agent.py."""
    table: dict[str, dict[str, Any]] = {
        "breakout_c": {"command": [str(build / "sdks" / "c" / "fundos_breakout_agent")], "silent_policy": "flatten",
                       "risk": {"max_order_qty": "100", "max_position": "500", "max_open_orders": 8}},
        "ma_crossover": {"command": [sys.executable, str(ROOT / "sdks" / "python" / "examples" / "ma_crossover.py"),
                                     "--quiet", "--fast", "3", "--slow", "8"], "silent_policy": "cancel_orders"},
        "probe": {"command": [sys.executable, str(HERE / "order_probe_agent.py")], "silent_policy": "cancel_orders"},
        "buyer": {"command": [sys.executable, str(HERE / "order_probe_agent.py"), "--buy-only", "--lots", "3"],
                  "silent_policy": "cancel_orders"},
    }
    return [{"id": i + 1, "name": name, "instruments": ["SYN001", "SYN002"], "capital": "250000", **table[name]}
            for i, name in enumerate(which)]


def write_config(folder: Path, build: Path, ports: Ports, which: tuple[str, ...], name: str = "production",
                 **venue: Any) -> Path:
    config: dict[str, Any] = {
        "name": f"{name}-test", "mode": "production", "capital": "1000000",
        "market_data": {"source": "live", "address": ports.group, "port": ports.udp, "recovery_port": ports.tcp,
                        "publish_interval": "50ms", "heartbeat_interval": "500ms", "stale_after": "2s"},
        "simulation": {"data": [], "start_timeout_ms": 30000},
        "execution": {"fill_model": "venue", "fee_per_share": "0.005",
                      "venue": {"host": "127.0.0.1", "port": ports.fix, "sender_comp_id": "FUND",
                                "target_comp_id": "FUNDOS-EX", "heartbeat_s": 1, **venue}},
        "instruments": [{"id": 1, "symbol": "SYN001"}, {"id": 2, "symbol": "SYN002"}],
        "agents": agents(build, which),
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def exchange(processes: list[Started], build: Path, folder: Path, ports: Ports, *mode: str,
             name: str = "exchange") -> Started:
    """fundos-exchange on the test's feed and FIX port, its FIX messages logged in FOLDER/NAME-log;
    returns once it is ready."""
    started = Started([str(build / "fund" / "fundos-exchange"), "--feed-port", str(ports.udp), "--recovery-port",
                       str(ports.tcp), "--multicast", ports.group, "--fix-port", str(ports.fix), "--quiet",
                       "--log-dir", str(folder / f"{name}-log"), *mode],
                      env_of(build), folder, name)
    processes.append(started)
    deadline = time.monotonic() + 30
    while not any(line["event"] == "ready" for line in started.lines()):
        assert started.process.poll() is None, started.err_path.read_text()
        assert time.monotonic() < deadline, "the exchange did not start"
        time.sleep(0.02)
    return started


def exchange_done(started: Started) -> dict[str, Any]:
    """Stops the exchange (SIGTERM) and returns its counters."""
    started.process.send_signal(signal.SIGTERM)
    code, _, err = started.finish(timeout=30)
    assert code == 0, err
    return next(line for line in started.lines() if line["event"] == "done")


def start_fund(processes: list[Started], build: Path, folder: Path, config: Path, run_dir: Path,
               *extra: str, name: str = "fundos") -> Started:
    """`fundos run` in production; returns once the Fund's feed socket is bound (it opens it before
    it creates the run folder), so a feed started next is heard from its first packet."""
    existed = run_dir.exists()
    run = Started([sys.executable, "-m", "fundos.cli", "run", "--config", str(config), "--run-dir", str(run_dir),
                   *extra], env_of(build), folder, name)
    processes.append(run)
    deadline = time.monotonic() + 30
    while not existed and not run_dir.exists():
        assert run.process.poll() is None, run.err_path.read_text()
        assert time.monotonic() < deadline, "the Fund did not start"
        time.sleep(0.02)
    return run


def serve(processes: list[Started], build: Path, folder: Path, data: Path, ports: Ports, *faults: str) -> Started:
    server = Started([str(build / "fund" / "fundos-feed"), "serve", "--data", str(data), "--speed", SPEED,
                      "--port", str(ports.udp), "--recovery-port", str(ports.tcp), "--multicast", ports.group,
                      "--quiet", *faults], env_of(build), folder, "serve")
    processes.append(server)
    return server


def control(run_dir: Path, request: dict[str, Any]) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(run_dir / "control.sock"))
        s.sendall((json.dumps(request) + "\n").encode())
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = s.recv(65536)
            assert chunk, "the Fund closed the control socket"
            answer += chunk
    result: dict[str, Any] = json.loads(answer)
    return result


def wait_for(run: Started, what: str, condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert run.process.poll() is None, run.err_path.read_text()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def working_parents(run_dir: Path, which: str = "working_parents") -> int:
    """Parents the Fund holds as working at the venue (`acknowledged_parents`: of those, the ones
    the venue acknowledged)."""
    try:
        return int(control(run_dir, {"cmd": "status"})["venue"][which])
    except (OSError, KeyError):
        return -1


def fund_positions(run_dir: Path) -> dict[str, float]:
    """The fund's position per symbol: the signed sum of fills.csv (internal crosses sum to 0)."""
    held: dict[str, float] = defaultdict(float)
    for (symbol, side), qty in fund_traded(run_dir).items():
        held[symbol] += qty if side == "BUY" else -qty
    return {symbol: qty for symbol, qty in held.items() if abs(qty) > 1e-9}


def fund_traded(run_dir: Path) -> dict[tuple[str, str], float]:
    """What the Fund bought and sold at the venue, per (symbol, side): fills.csv without crosses."""
    traded: dict[tuple[str, str], float] = defaultdict(float)
    for row in (run_dir / "fills.csv").read_text().splitlines()[1:]:
        _, _, symbol, _, side, qty, _, _, internal = row.split(",")
        if internal == "false":
            traded[symbol, side] += float(qty)
    return dict(traded)


def exchange_traded(log_dir: Path) -> dict[tuple[str, str], float]:
    """What the exchange filled, per (symbol, side), from its FIX message log: every
    ExecutionReport of a trade (150=F) it sent, each ExecID once (a resend repeats it)."""
    traded: dict[tuple[str, str], float] = defaultdict(float)
    seen: set[str] = set()
    for path in log_dir.glob("*.messages.current.log"):
        for line in path.read_text().splitlines():
            fields = dict(f.split("=", 1) for f in line.split(" : ", 1)[-1].split("\x01") if "=" in f)
            if fields.get("35") != "8" or fields.get("49") != "FUNDOS-EX" or fields.get("150") != "F":
                continue
            if fields["17"] not in seen:
                seen.add(fields["17"])
                traded[fields["55"], "BUY" if fields["54"] == "1" else "SELL"] += float(fields["32"])
    return dict(traded)


def venue_positions(build: Path, folder: Path, ports: Ports) -> dict[str, float]:
    """The exchange's positions for the account, as it answers a RequestForPositions: a fresh Fund
    (a new run folder, sequence numbers reset at logon) must find the venue not flat and refuse to
    trade (exit 1), writing both views into its reconciliation.json."""
    config = write_config(folder, build, ports, ("probe",), name="positions", reset_on_logon=True)
    run_dir = folder / "positions-run"
    done = subprocess.run([str(build / "fund" / "fund"), "run", "--config", str(config), "--run-dir", str(run_dir)],
                          check=False, capture_output=True, text=True, env=env_of(build), timeout=60)
    assert done.returncode == 1, done.stderr
    assert "difference(s) the journal cannot explain; refusing to trade" in done.stderr
    assert not (run_dir / "journal.fj").exists()  # refused before the journal exists: nothing was sent
    found = json.loads((run_dir / "reconciliation.json").read_text())
    assert found["at"] == "start" and not found["ok"] and found["mismatches"]
    assert all(line.startswith("position in ") for line in found["mismatches"]), found["mismatches"]
    return {p["symbol"]: float(p["qty"]) for p in found["venue"]["positions"] if float(p["qty"]) != 0}


def pids_mentioning(folder: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                text = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            except OSError:
                continue
            if str(folder).encode() in text:
                found.append(int(entry.name))
    return found


def pid_of(run_dir: Path, program: bytes) -> int:
    """The process of RUN_DIR whose command's first or second word ends with `program`: the `fund`
    process names RUN_DIR in its arguments, an agent in its environment (FUNDOS_SOCKET); `fundos
    run` starts each in a session of its own."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if any(word.endswith(program) for word in argv[:2]) and (
                str(run_dir).encode() in argv or f"{run_dir}/fund.sock".encode() in environ):
            return int(entry.name)
    raise AssertionError(f"no {program.decode()} process for {run_dir}")


def venue_events(build: Path, run_dir: Path) -> list[str]:
    return [record for record in journal_records(build, run_dir) if record.startswith("venue_event")]


def run_session(processes: list[Started], build: Path, data: Path, folder: Path, which: tuple[str, ...],
                mode: tuple[str, ...], faults: tuple[str, ...] = ()) -> tuple[Ports, Path, Started]:
    """A whole session against a fresh exchange; the exchange is left running."""
    ports = new_ports()
    venue = exchange(processes, build, folder, ports, *mode)
    config = write_config(folder, build, ports, which)
    run_dir = folder / "run"
    run = start_fund(processes, build, folder, config, run_dir)
    serve(processes, build, folder, data, ports, "--linger", "60", *faults)
    code, _, err = run.finish(timeout=90)
    assert code == 0, err
    return ports, run_dir, venue


def test_production_trades_with_the_example_agents_and_replays(build: Path, data: Path, tmp_path: Path,
                                                               processes: list[Started]) -> None:
    _, run_dir, venue = run_session(processes, build, data, tmp_path, ("breakout_c", "ma_crossover"),
                                    ("--mode", "immediate"))
    facts = report(run_dir)
    assert facts["run"]["mode"] == "production" and facts["run"]["stopped_by"] == "end of session"
    assert facts["run"]["events"] == 1560
    trades = {agent["name"]: agent["trades"] for agent in facts["agents"]}
    assert trades["breakout_c"] > 0, trades
    assert facts["venue"]["unconfirmed_parents"] == [] and not facts["venue"]["anomalous"]
    started = json.loads((run_dir / "reconciliation.json").read_text())
    assert started["at"] == "start" and started["ok"] and started["mismatches"] == []

    records = journal_records(build, run_dir)
    new_orders = sum(1 for r in records if r.startswith("venue_command") and "kind=new" in r)
    fills = sum(1 for r in records if r.startswith("venue_event") and "kind=fill" in r and "verdict=applied" in r)
    assert new_orders > 0 and fills >= new_orders
    latency = json.loads((run_dir / "latency.json").read_text())
    assert latency["count"] == new_orders and latency["p50"] > 0 and latency["p99"] >= latency["p50"]
    check_replay(build, run_dir, tmp_path / "replayed")

    traded = fund_traded(run_dir)
    assert traded and exchange_traded(tmp_path / "exchange-log") == pytest.approx(traded)
    done = exchange_done(venue)
    assert done["orders"] == new_orders and done["fills"] == fills and done["rejects"] == 0


def test_partial_fills_and_a_gapped_feed(build: Path, data: Path, tmp_path: Path, processes: list[Started]) -> None:
    ports, run_dir, venue = run_session(processes, build, data, tmp_path, ("buyer",),
                                        ("--mode", "partial", "--pieces", "3"), ("--gap-every", "60"))
    records = journal_records(build, run_dir)
    fills = [r for r in records if r.startswith("venue_event") and "kind=fill" in r and "verdict=applied" in r]
    new_orders = [r for r in records if r.startswith("venue_command") and "kind=new" in r]
    # Three fills per order, one per market event; the session's end cancels the rest of the last.
    assert new_orders and 2 * len(new_orders) < len(fills) <= 3 * len(new_orders), (len(fills), len(new_orders))
    # The feed lost packets: the stale guard tripped for each gap and cleared after its recovery.
    statuses = [r for r in records if r.startswith("feed_status")]
    assert "feed_status instrument=1 feed=tripped" in statuses and statuses[-1].endswith("feed=ok")
    assert report(run_dir)["venue"]["unconfirmed_parents"] == []
    check_replay(build, run_dir, tmp_path / "replayed")
    # The buyer is long at the end: a fresh Fund must refuse this venue (not flat), and the
    # positions the venue names (its RequestForPositions answer) are the first Fund's.
    held = fund_positions(run_dir)
    assert held and all(qty > 0 for qty in held.values()), held
    assert venue_positions(build, tmp_path, ports) == pytest.approx(held)
    done = exchange_done(venue)
    assert done["fills"] == len(fills)


def test_venue_rejects_reach_the_agent_as_canceled_reports(build: Path, data: Path, tmp_path: Path,
                                                           processes: list[Started]) -> None:
    _, run_dir, venue = run_session(processes, build, data, tmp_path, ("probe",), ("--mode", "reject"))
    facts = report(run_dir)
    assert facts["agents"][0]["trades"] == 0
    log = (run_dir / "agents" / "probe.log").read_text().splitlines()
    rejected = [line for line in log if line.startswith("report ") and line.endswith(" CANCELED VENUE_REJECT")]
    assert len(rejected) > 5, log[-20:]
    new_orders = sum(1 for r in journal_records(build, run_dir) if r.startswith("venue_command") and "kind=new" in r)
    assert len(rejected) <= new_orders
    done = exchange_done(venue)
    assert done["rejects"] == new_orders and done["fills"] == 0
    check_replay(build, run_dir, tmp_path / "replayed")


def test_a_dropped_fix_session_loses_and_repeats_no_fill(build: Path, data: Path, tmp_path: Path,
                                                         processes: list[Started]) -> None:
    _, run_dir, venue = run_session(processes, build, data, tmp_path, ("breakout_c", "ma_crossover"),
                                    ("--mode", "disconnect", "--disconnect-every", "7"))
    fills = [r for r in venue_events(build, run_dir) if "kind=fill" in r and "verdict=applied" in r]
    facts = report(run_dir)
    assert facts["venue"]["excess_fills"] == 0 and facts["venue"]["unconfirmed_parents"] == []
    check_replay(build, run_dir, tmp_path / "replayed")
    assert exchange_traded(tmp_path / "exchange-log") == pytest.approx(fund_traded(run_dir))
    done = exchange_done(venue)
    assert done["disconnects"] >= 2 and done["logons"] >= 3, done
    assert done["fills"] == len(fills) > 0, (done, len(fills))


def test_a_killed_fund_resumes_with_reconciliation(build: Path, data: Path, tmp_path: Path,
                                                   processes: list[Started]) -> None:
    ports = new_ports()
    venue = exchange(processes, build, tmp_path, ports, "--mode", "delayed", "--delay-ms", "300")
    # The buyer never cancels: the order working when the Fund dies fills while it is down.
    config = write_config(tmp_path, build, ports, ("breakout_c", "buyer"))
    run_dir = tmp_path / "run"
    run = start_fund(processes, build, tmp_path, config, run_dir)
    serve(processes, build, tmp_path, data, ports, "--linger", "60")
    wait_for(run, "orders working at the exchange", lambda: working_parents(run_dir) > 0)
    os.kill(pid_of(run_dir, b"/fund"), signal.SIGKILL)  # the Fund process itself (`fundos run` started it)
    run.finish(timeout=30)  # the launcher notices, and its agents go with it
    time.sleep(1.0)  # the exchange fills the working orders while the Fund is down

    resumed = start_fund(processes, build, tmp_path, config, run_dir, "--resume", name="resumed")
    code, _, err = resumed.finish(timeout=90)
    assert code == 0, err
    found = json.loads((run_dir / "reconciliation.json").read_text())
    assert found["at"] == "resume" and found["ok"], found
    assert found["fund"]["parents"] and any(event["kind"] == "fill" for event in found["recovered"]), found
    assert "applied as a recovered fill" in err
    recovered = [r for r in venue_events(build, run_dir) if "exec_id=reconcile-" in r]
    assert recovered, "no recovered venue event in the journal"
    facts = report(run_dir)
    assert facts["run"]["stopped_by"] == "end of session" and facts["venue"]["unconfirmed_parents"] == []
    assert facts["venue"]["excess_fills"] == 0
    check_replay(build, run_dir, tmp_path / "replayed")  # one journal, across both processes
    assert exchange_traded(tmp_path / "exchange-log") == pytest.approx(fund_traded(run_dir))
    assert exchange_done(venue)["orders"] > 0


def test_a_resume_against_a_venue_that_lost_the_orders_is_refused(build: Path, data: Path, tmp_path: Path,
                                                                  processes: list[Started]) -> None:
    ports = new_ports()
    venue = exchange(processes, build, tmp_path, ports, "--mode", "delayed", "--delay-ms", "600000")
    config = write_config(tmp_path, build, ports, ("buyer",))
    run_dir = tmp_path / "run"
    run = start_fund(processes, build, tmp_path, config, run_dir)
    serve(processes, build, tmp_path, data, ports, "--linger", "60")
    wait_for(run, "orders acknowledged by the exchange",
             lambda: working_parents(run_dir, "acknowledged_parents") >= 2)
    time.sleep(0.5)  # a few steps: the acknowledgements are committed to the journal
    os.kill(pid_of(run_dir, b"/fund"), signal.SIGKILL)
    run.finish(timeout=30)
    assert exchange_done(venue)["orders"] >= 2
    # A new exchange on the same port: it knows neither the orders nor the FIX session, and asks
    # for every message again; the NewOrderSingles of the killed process are not resent to it.
    stranger = exchange(processes, build, tmp_path, ports, name="stranger")
    refused = subprocess.run([str(build / "fund" / "fund"), "run", "--config", str(config), "--run-dir", str(run_dir),
                              "--resume"], check=False, capture_output=True, text=True, env=env_of(build), timeout=60)
    assert refused.returncode == 1, refused.stderr
    assert "difference(s) the journal cannot explain; refusing to trade" in refused.stderr
    found = json.loads((run_dir / "reconciliation.json").read_text())
    assert found["at"] == "resume" and not found["ok"] and found["fund"]["parents"]
    # Every parent the venue acknowledged and no longer knows is a mismatch; one the journal never
    # saw acknowledged (sent just before the kill) is explained: it is taken as never sent.
    unknown = [line for line in found["mismatches"] if line.endswith("is working in the journal; the venue does not "
                                                                     "know it")]
    acknowledged = [p for p in found["fund"]["parents"] if p["accepted"]]
    assert len(acknowledged) >= 2 and len(unknown) == len(acknowledged), found
    assert len(found["explained"]) == len(found["fund"]["parents"]) - len(acknowledged), found
    assert exchange_done(stranger)["orders"] == 0  # nothing was sent to it, resends included


def test_the_kill_switch_cancels_every_working_order_at_the_exchange(build: Path, data: Path, tmp_path: Path,
                                                                     processes: list[Started]) -> None:
    ports = new_ports()
    venue = exchange(processes, build, tmp_path, ports, "--mode", "delayed", "--delay-ms", "600000")
    config = write_config(tmp_path, build, ports, ("buyer",))  # a buy every 5th snapshot, never canceled
    run_dir = tmp_path / "run"
    run = start_fund(processes, build, tmp_path, config, run_dir)
    serve(processes, build, tmp_path, data, ports, "--linger", "60")
    wait_for(run, "orders working at the exchange", lambda: working_parents(run_dir) >= 3)
    assert control(run_dir, {"cmd": "kill_switch", "scope": "fund", "on": True})["ok"]
    # While the Fund still runs: the exchange confirms every cancel, nothing is left working.
    wait_for(run, "the kill switch's cancels", lambda: working_parents(run_dir) == 0, timeout=30)
    run.process.send_signal(signal.SIGTERM)
    code, _, err = run.finish(timeout=60)
    assert code == 0, err
    records = journal_records(build, run_dir)
    assert any(r.startswith("kill_switch") for r in records)
    new_orders = sum(1 for r in records if r.startswith("venue_command") and "kind=new" in r)
    done = exchange_done(venue)
    assert done["fills"] == 0 and done["orders"] == new_orders >= 2
    assert done["cancels"] == done["orders"], done
    check_replay(build, run_dir, tmp_path / "replayed")


def test_a_dead_agents_orders_are_canceled_at_the_exchange(build: Path, data: Path, tmp_path: Path,
                                                           processes: list[Started]) -> None:
    ports = new_ports()
    venue = exchange(processes, build, tmp_path, ports, "--mode", "delayed", "--delay-ms", "600000")
    config = write_config(tmp_path, build, ports, ("buyer",))  # silent_policy: cancel_orders
    run_dir = tmp_path / "run"
    # `fund run` itself, the agent started here: `fundos run` would stop the Fund once its only
    # agent is dead, and the shutdown's cancels would hide the policy's.
    fund = Started([str(build / "fund" / "fund"), "run", "--config", str(config), "--run-dir", str(run_dir)],
                   env_of(build), tmp_path, "fund")
    processes.append(fund)
    wait_for(fund, "the run folder", run_dir.exists, timeout=30)
    serve(processes, build, tmp_path, data, ports, "--linger", "60")
    wait_for(fund, "the Fund's ready line", lambda: any(line["event"] == "ready" for line in fund.lines()))
    agent = Started([sys.executable, str(HERE / "order_probe_agent.py"), "--buy-only", "--lots", "3", "--socket",
                     str(run_dir / "fund.sock"), "--agent-id", "1"], env_of(build), tmp_path, "buyer")
    processes.append(agent)
    wait_for(fund, "orders working at the exchange", lambda: working_parents(run_dir) >= 3)
    agent.process.send_signal(signal.SIGKILL)
    wait_for(fund, "the dead agent's cancels", lambda: working_parents(run_dir) == 0, timeout=30)
    fund.process.send_signal(signal.SIGTERM)
    code, _, err = fund.finish(timeout=60)
    assert code == 0, err
    records = journal_records(build, run_dir)
    assert any(r.startswith("policy") and "cancel_orders" in r for r in records), [r for r in records
                                                                                 if r.startswith("policy")]
    new_orders = sum(1 for r in records if r.startswith("venue_command") and "kind=new" in r)
    done = exchange_done(venue)
    assert done["fills"] == 0 and done["orders"] == done["cancels"] == new_orders >= 3, done


def test_a_venue_nobody_answers_is_named_and_nothing_is_journaled(build: Path, data: Path, tmp_path: Path,
                                                                  processes: list[Started]) -> None:
    ports = new_ports()  # nothing listens on ports.fix
    config = write_config(tmp_path, build, ports, ("probe",))
    document = json.loads(config.read_text())
    document["simulation"]["start_timeout_ms"] = 1500
    config.write_text(json.dumps(document))
    run_dir = tmp_path / "run"
    fund = Started([str(build / "fund" / "fund"), "run", "--config", str(config), "--run-dir", str(run_dir)],
                   env_of(build), tmp_path, "fund")
    processes.append(fund)
    wait_for(fund, "the run folder", run_dir.exists, timeout=30)
    serve(processes, build, tmp_path, data, ports, "--linger", "30")
    code, _, err = fund.finish(timeout=60)
    assert code == 1, err
    assert f"execution.venue: not logged on to the venue at 127.0.0.1:{ports.fix}" in err
    assert not (run_dir / "journal.fj").exists() and not (run_dir / "reconciliation.json").exists()
