"""Times the FundOS transport's round trip and snapshot copy; rewrites its section of bench/RESULTS.md.

What one round trip is (``--mode pingpong`` of ``fundos-transport-host``, busy-polling agent): the
host publishes a snapshot -> the agent sees it and copies it (seqlock read of the FundState's head
and its rows in use; the rest of the caller's FundState is zeroed) ->
the agent writes one ORDER answering it into its intent ring -> the host's busy loop sees the
commit, copies the slot, validates the copy, writes the report, publishes the next snapshot (and
the agent's book) -> the agent sees the report. The agent takes the time at each report sighting;
since the host publishes the next snapshot right after writing a report, the interval between two
consecutive sightings is exactly one full round trip. Measured for:

  - a C agent (bench/transport_rt_agent.c over the C SDK, FUNDOS_WAIT_BUSY);
  - a Python agent on the public SDK API (fundos.Agent: wait_snapshot, submit, reports), and the
    same loop one layer down on fundos._core (the SDK's pybind11 layer, no Python objects);
  - iceoryx2's Python binding (PyPI iceoryx2, in its own venv bench/.venv that this script makes):
    a publish-subscribe ping-pong of an 8-byte payload between two processes, as the reference;
  - a bare C cache-line ping-pong between two processes (bench/cacheline_pingpong.c), the floor;
  - several agents: 1, 2, 4, 8, 16 and 32 C agents at once against one host (--agents), each
    sleeping in futex_wait (transport_rt_agent --wait futex; on 2 cores spinning agents starve
    the host), all on one CPU, the host spinning on the other: round trips per second of all
    agents together, the mean round trip, and the pooled percentiles.

Each FundOS figure is also given as a ratio, run by run, to the floor's p50 and to the FundOS
Python agent's p50 (iceoryx2's row against the same), and every run's figures go to
results/transport.json beside --output (for bench_plots.py).

Snapshot read cost: ns per consistent copy of the FundState (head and rows in use out of shared
memory, the other rows zeroed), C (fundos_read_snapshot) and Python (fundos.Agent.latest_snapshot,
fundos._core read_snapshot), with the host idle (no publishes racing the copy).

Everything runs against a Release build (-DCMAKE_BUILD_TYPE=Release -DFUNDOS_SANITIZE=OFF in
build-bench/). The two processes of each measurement are pinned to CPUs 0 and 1 (host or pong on
0, agent or ping on 1). Each measurement is repeated (--repeat) in fresh processes; the tables give
the median over the runs and the [min, max] spread. Targets on a 2-core machine: C p50 < 1 us,
Python (public API) p50 < 5 us.

Usage: .venv/bin/python bench/bench_transport.py [--repeat 7] [--count 100000] [--output bench/RESULTS.md]
                                                  [--no-iceoryx2] [--agents 1,2,4,8,16,32] [--agents-count 100000]
The script also runs itself as the Python agents (first argument _py-rt, _py-read, _iox).
"""

from __future__ import annotations

import argparse
import array
import ctypes
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import results_file  # bench/, beside this script
from bench_common import BUILD, ROOT, bench_venv_package, build_release, compile_c, machine, pinned, run

ICEORYX2 = pinned("iceoryx2")
HOST_CPU, AGENT_CPU = 0, 1
C_TARGET_US, PY_TARGET_US = 1.0, 5.0


# ---------------------------------------------------------------- the agents (run as subprocesses)

def pin_self(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > cpu:
        os.sched_setaffinity(0, {cpu})


def role_py_rt(args: argparse.Namespace) -> int:
    import fundos
    import fundos_abi
    from fundos import _core

    pin_self(AGENT_CPU)
    values = array.array("Q")
    clock = time.perf_counter_ns
    total = args.warmup + args.count
    if args.api == "public":
        agent = fundos.Agent(args.socket, args.agent_id, wait="busy")
        agent.attach()
        last = prev = 0
        for i in range(total):
            snapshot = agent.wait_snapshot(after_seq=last)
            last = snapshot.seq
            agent.submit(kind="ORDER", instrument_id=1, side="BUY", qty=1, order_type="MARKET",
                         time_in_force="DAY", snapshot_seq=last)
            while not (reports := agent.reports()):
                pass
            now = clock()
            if reports[0].kind is not fundos.ReportKind.ACCEPTED:
                print(f"rejected: {reports[0]}", file=sys.stderr)
                return 1
            if i >= args.warmup:
                values.append(now - prev)
            prev = now
        agent.detach()
    elif args.api == "phases":
        # The public-API loop with a clock read between the calls: where its time goes. Three
        # numbers per round (wait_snapshot, submit, reports until the report is there).
        agent = fundos.Agent(args.socket, args.agent_id, wait="busy")
        agent.attach()
        last = 0
        for i in range(total):
            t0 = clock()
            snapshot = agent.wait_snapshot(after_seq=last)
            t1 = clock()
            last = snapshot.seq
            agent.submit(kind="ORDER", instrument_id=1, side="BUY", qty=1, order_type="MARKET",
                         time_in_force="DAY", snapshot_seq=last)
            t2 = clock()
            while not agent.reports():
                pass
            t3 = clock()
            if i >= args.warmup:
                values.extend((t1 - t0, t2 - t1, t3 - t2))
        agent.detach()
    else:
        core = _core.Agent()
        code, why, _ = core.attach(args.socket, args.agent_id, _core.WAIT_BUSY, _core.DEFAULT_SPIN_COUNT,
                                   _core.DEFAULT_YIELD_COUNT, _core.RING_FULL_FAIL, _core.DEFAULT_RING_FULL_TIMEOUT_NS,
                                   _core.DEFAULT_ATTACH_TIMEOUT_NS)
        if code != 0:
            print(f"attach: {why}", file=sys.stderr)
            return 1
        order, buy = int(fundos_abi.IntentKind.ORDER), int(fundos_abi.Side.BUY)
        market, day = int(fundos_abi.OrderType.MARKET), int(fundos_abi.TimeInForce.DAY)
        last = prev = 0
        accepted = int(fundos_abi.ReportKind.ACCEPTED)
        for i in range(total):
            code, last, raw = core.wait_snapshot(last, 5_000_000_000)
            assert code == 0 and raw is not None, code
            intent_id = core.submit_intent(order, 1, buy, market, day, 1_000_000, 0, 0, 0, last, 0)
            assert intent_id > 0, intent_id
            while True:
                code, data = core.poll_reports(1)
                if data:
                    break
            now = clock()
            if data[44] != accepted:  # IntentReport.kind
                print("rejected", file=sys.stderr)
                return 1
            if i >= args.warmup:
                values.append(now - prev)
            prev = now
        core.detach()
    with open(args.out, "wb") as out:
        values.tofile(out)
    return 0


def role_py_read(args: argparse.Namespace) -> int:
    import fundos
    from fundos import _core

    pin_self(AGENT_CPU)
    values = array.array("Q")
    batch = 1000
    clock = time.perf_counter_ns
    if args.api == "public":
        agent = fundos.Agent(args.socket, args.agent_id, wait="busy")
        agent.attach()
        read = agent.latest_snapshot
        for _ in range(max(1, args.count // batch)):
            t0 = clock()
            for _ in range(batch):
                read()
            values.append((clock() - t0) // batch)
        agent.detach()
    else:
        core = _core.Agent()
        code, why, _ = core.attach(args.socket, args.agent_id, _core.WAIT_BUSY, _core.DEFAULT_SPIN_COUNT,
                                   _core.DEFAULT_YIELD_COUNT, _core.RING_FULL_FAIL, _core.DEFAULT_RING_FULL_TIMEOUT_NS,
                                   _core.DEFAULT_ATTACH_TIMEOUT_NS)
        assert code == 0, why
        read_core = core.read_snapshot
        for _ in range(max(1, args.count // batch)):
            t0 = clock()
            for _ in range(batch):
                read_core()
            values.append((clock() - t0) // batch)
        core.detach()
    with open(args.out, "wb") as out:
        values.tofile(out)
    return 0


def role_iox(args: argparse.Namespace) -> int:
    """iceoryx2 publish-subscribe ping-pong (runs under bench/.venv's Python)."""
    import ctypes

    import iceoryx2 as iox2

    class Payload(ctypes.Structure):
        _fields_ = [("value", ctypes.c_uint64)]

    stop_value = 2**64 - 1
    iox2.set_log_level_from_env_or(iox2.LogLevel.Warn)
    node = iox2.NodeBuilder.new().create(iox2.ServiceType.Ipc)

    def service(name: str) -> Any:
        return (node.service_builder(iox2.ServiceName.new(f"fundos-bench/{args.tag}/{name}"))
                .publish_subscribe(Payload).open_or_create())

    ping, pong = service("ping"), service("pong")
    if args.iox_role == "pong":
        pin_self(HOST_CPU)
        subscriber = ping.subscriber_builder().create()
        publisher = pong.publisher_builder().create()
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            sample = subscriber.receive()
            if sample is None:
                continue
            value = sample.payload().contents.value
            del sample
            publisher.loan_uninit().write_payload(Payload(value=value)).send()
            if value == stop_value:
                return 0
        return 1
    pin_self(AGENT_CPU)
    publisher = ping.publisher_builder().create()
    subscriber = pong.subscriber_builder().create()
    # Until the pong side is connected, samples are lost: resend 0 until it echoes.
    deadline = time.monotonic() + 30
    echoed = False
    while not echoed:
        assert time.monotonic() < deadline, "iceoryx2 pong never answered"
        publisher.loan_uninit().write_payload(Payload(value=0)).send()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.005:
            if subscriber.receive() is not None:
                echoed = True
                break
    time.sleep(0.05)
    while subscriber.receive() is not None:
        pass
    values = array.array("Q")
    clock = time.perf_counter_ns
    prev = clock()
    for n in range(1, args.warmup + args.count + 1):
        publisher.loan_uninit().write_payload(Payload(value=n)).send()
        while True:
            sample = subscriber.receive()
            if sample is not None and sample.payload().contents.value == n:
                break
        del sample
        now = clock()
        if n > args.warmup:
            values.append(now - prev)
        prev = now
    publisher.loan_uninit().write_payload(Payload(value=stop_value)).send()
    with open(args.out, "wb") as out:
        values.tofile(out)
    return 0


# ---------------------------------------------------------------- orchestration

def build() -> dict[str, Path]:
    cc = build_release(["fundos-transport-host", "fundos_agent"])
    out = BUILD / "bench"
    rt = compile_c(cc, [ROOT / "bench/transport_rt_agent.c"], out / "transport_rt_agent", agent_sdk=True)
    floor = compile_c(cc, [ROOT / "bench/cacheline_pingpong.c"], out / "cacheline_pingpong")
    return {"host": BUILD / "fund" / "fundos-transport-host", "rt": rt, "floor": floor, "cc": cc}


def pin(pid: int, cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > cpu:
        os.sched_setaffinity(pid, {cpu})


class Host:
    """fundos-transport-host in pingpong mode, busy-polling, pinned to HOST_CPU, with agents
    1..`agents`; `futex`: a FUTEX_WAKE after each publish (for agents that sleep), and any snapshot
    lag accepted (with several agents a snapshot is published after every agent's intent)."""

    def __init__(self, binary: Path, work: Path, agents: int = 1, futex: bool = False) -> None:
        run_dir = Path(tempfile.mkdtemp(prefix="fos-bench-", dir="/tmp")) / "run"
        self.argv = [str(binary), "--run-dir", str(run_dir), "--agents", ",".join(map(str, range(1, agents + 1))),
                     "--mode", "pingpong", "--intent-events", "none", "--spin-us", "60000000",
                     "--lease-ms", "86400000"]
        self.argv += ["--max-seq-lag", "1000000"] if futex else ["--no-futex-wake"]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        pin(self.proc.pid, HOST_CPU)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.ready = json.loads(line)
        assert self.ready["event"] == "ready", line
        self.socket = self.ready["socket"]
        self.run_dir = run_dir

    def stop(self) -> dict[str, Any]:
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        if self.proc.returncode != 0 or not events or events[-1]["event"] != "stopped":
            raise RuntimeError(f"host failed ({self.proc.returncode}): {err[-2000:]}")
        try:
            self.run_dir.rmdir()
            self.run_dir.parent.rmdir()
        except OSError:
            pass
        stopped: dict[str, Any] = events[-1]
        return stopped


def read_values(path: Path) -> list[int]:
    values = array.array("Q")
    with path.open("rb") as f:
        values.frombytes(f.read())
    return list(values)


def percentile(sorted_values: list[int], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of an already sorted list."""
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * p // 100)))
    return float(sorted_values[int(rank) - 1])


def latency_stats(values: list[int]) -> dict[str, float]:
    s = sorted(values)
    return {"n": len(s), "p50": percentile(s, 50), "p99": percentile(s, 99), "p99.9": percentile(s, 99.9),
            "max": float(s[-1])}


@dataclass
class Measure:
    name: str
    runs: list[dict[str, float]]
    note: str = ""

    def figure(self, key: str) -> tuple[float, float, float]:
        values = [run[key] for run in self.runs]
        return statistics.median(values), min(values), max(values)


def measure_fundos(kind: str, tools: dict[str, Path], work: Path, count: int, warmup: int) -> dict[str, float]:
    host = Host(tools["host"], work)
    out = work / f"{kind}-{time.monotonic_ns()}.bin"
    try:
        if kind == "c":
            argv = [str(tools["rt"]), "rt", "--socket", host.socket, "--agent-id", "1", "--count", str(count),
                    "--warmup", str(warmup), "--out", str(out)]
            agent = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
            pin(agent.pid, AGENT_CPU)
        else:
            argv = [sys.executable, str(Path(__file__).resolve()), "_py-rt", "--api", kind, "--socket", host.socket,
                    "--agent-id", "1", "--count", str(count), "--warmup", str(warmup), "--out", str(out)]
            agent = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        _, err = agent.communicate(timeout=600)
        if agent.returncode != 0:
            raise RuntimeError(f"{kind} agent failed: {err[-2000:]}")
    finally:
        stopped = host.stop()
    if stopped["accepted"] != count + warmup or stopped["rejected"] != 0:
        raise RuntimeError(f"the host accepted {stopped['accepted']} and rejected {stopped['rejected']} intents")
    values = read_values(out)
    out.unlink()
    if kind == "phases":
        return {name: float(statistics.median(values[k::3]))
                for k, name in enumerate(("wait_snapshot", "submit", "reports"))}
    return latency_stats(values)


def measure_agents(tools: dict[str, Path], work: Path, agents: int, total: int) -> dict[str, float]:
    """`agents` C agents at once against one host, futex wait, all on AGENT_CPU (the host spins on
    HOST_CPU): each does max(200, total // agents) timed round trips after a tenth of that in
    warm-up, all of them starting together once every one has attached (--start-file). Pooled
    percentiles and mean of every agent's round trips, and the round trips per second of all
    agents together (every round, warm-up included, over the wall time from the start to the
    last agent's exit)."""
    count = max(200, total // agents)
    warmup = max(20, count // 10)
    host = Host(tools["host"], work, agents=agents, futex=True)
    tag = time.monotonic_ns()
    start = work / f"start-{tag}"
    outs = [work / f"agents{agents}-{i}-{tag}.bin" for i in range(1, agents + 1)]
    procs: list[subprocess.Popen[str]] = []
    try:
        for i, out in enumerate(outs, start=1):
            argv = [str(tools["rt"]), "rt", "--socket", host.socket, "--agent-id", str(i), "--count", str(count),
                    "--warmup", str(warmup), "--out", str(out), "--wait", "futex", "--start-file", str(start)]
            procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            pin(procs[-1].pid, AGENT_CPU)
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "attached":
                raise RuntimeError(f"an agent did not attach: {proc.communicate(timeout=30)[1][-2000:]}")
        t0 = time.perf_counter()
        start.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"agent failed: {err[-2000:]}")
        wall = time.perf_counter() - t0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stopped = host.stop()
        start.unlink(missing_ok=True)
    if stopped["accepted"] != agents * (count + warmup) or stopped["rejected"] != 0:
        raise RuntimeError(f"the host accepted {stopped['accepted']} and rejected {stopped['rejected']} intents")
    pooled: list[int] = []
    for out in outs:
        pooled += read_values(out)
        out.unlink()
    stats = latency_stats(pooled)
    stats.update(mean=statistics.fmean(pooled), rate=agents * (count + warmup) / wall, count=float(count))
    return stats


def measure_read(kind: str, tools: dict[str, Path], work: Path, count: int) -> dict[str, float]:
    host = Host(tools["host"], work)
    out = work / f"read-{kind}-{time.monotonic_ns()}.bin"
    try:
        if kind == "c":
            argv = [str(tools["rt"]), "read", "--socket", host.socket, "--agent-id", "1", "--count", str(count),
                    "--out", str(out)]
            agent = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
            pin(agent.pid, AGENT_CPU)
        else:
            argv = [sys.executable, str(Path(__file__).resolve()), "_py-read", "--api", kind, "--socket", host.socket,
                    "--agent-id", "1", "--count", str(count), "--out", str(out)]
            agent = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        _, err = agent.communicate(timeout=600)
        if agent.returncode != 0:
            raise RuntimeError(f"{kind} reader failed: {err[-2000:]}")
    finally:
        host.stop()
    batches = read_values(out)
    out.unlink()
    return {"ns": float(statistics.median(batches)), "batches": len(batches)}


def measure_floor(tools: dict[str, Path], work: Path, count: int, warmup: int) -> dict[str, float]:
    out = work / f"floor-{time.monotonic_ns()}.bin"
    cpus = f"{AGENT_CPU},{HOST_CPU}" if (os.cpu_count() or 1) > 1 else "-1,-1"
    run([str(tools["floor"]), "--count", str(count), "--warmup", str(warmup), "--out", str(out), "--cpus", cpus])
    stats = latency_stats(read_values(out))
    out.unlink()
    return stats


def prepare_iceoryx2() -> tuple[Path | None, str]:
    """bench/.venv with iceoryx2; (its python, "") or (None, why not)."""
    return bench_venv_package("iceoryx2", "iceoryx2")


def measure_iceoryx2(python: Path, work: Path, count: int, warmup: int) -> dict[str, float]:
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    out = work / f"iox-{tag}.bin"
    script = str(Path(__file__).resolve())
    common = ["--tag", tag, "--count", str(count), "--warmup", str(warmup), "--out", str(out)]
    pong = subprocess.Popen([str(python), script, "_iox", "--iox-role", "pong", *common],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        ping = run([str(python), script, "_iox", "--iox-role", "ping", *common], timeout=900)
        del ping
        _, err = pong.communicate(timeout=30)
        if pong.returncode != 0:
            raise RuntimeError(f"iceoryx2 pong failed: {err[-2000:]}")
    finally:
        if pong.poll() is None:
            pong.kill()
            pong.wait()
    stats = latency_stats(read_values(out))
    out.unlink()
    return stats


def us(ns: float) -> str:
    return f"{ns / 1000:.3f}"


def cell(measure: Measure, key: str) -> str:
    median, low, high = measure.figure(key)
    return f"{us(median)} [{us(low)}, {us(high)}]"


def ratio_cell(measure: Measure, base: Measure | None) -> str:
    """The p50 of `measure` over the p50 of `base`, run k against run k, median [min, max]."""
    if base is None:
        return "-"
    ratios = [run["p50"] / other["p50"] for run, other in zip(measure.runs, base.runs) if other["p50"] > 0]
    return f"{statistics.median(ratios):.1f}x [{min(ratios):.1f}, {max(ratios):.1f}]" if ratios else "-"


def copied_bytes(instruments: int = 4, agents: int = 1) -> tuple[int, int]:
    """Bytes of a FundState a reader copies out of shared memory (the head and the rows in use),
    and the FundState's size."""
    import fundos_abi

    head = fundos_abi.FundState.instruments.offset
    copied = head + instruments * ctypes.sizeof(fundos_abi.InstrumentEntry) + agents * ctypes.sizeof(fundos_abi.AgentSlot)
    return int(copied), ctypes.sizeof(fundos_abi.FundState)


def write_section(path: Path, text: str) -> None:
    results_file.write_section(path, "transport", text)


def report(args: argparse.Namespace, tools: dict[str, Path], results: dict[str, Measure],
           reads: dict[str, Measure], iox_note: str, started: str, load_start: str, command: str) -> tuple[str, bool]:
    floor = results["floor"]
    cc_version = run([str(tools["cc"]), "--version"]).stdout.splitlines()[0]
    load_end = "/".join(f"{x:.2f}" for x in os.getloadavg())
    copied, state_size = copied_bytes()
    rows = [
        ("FundOS", "C agent (C SDK, busy poll)", "c", f"< {C_TARGET_US:g} us", C_TARGET_US),
        ("FundOS", "Python agent (fundos.Agent public API, busy poll)", "public", f"< {PY_TARGET_US:g} us",
         PY_TARGET_US),
        ("FundOS", "Python agent on fundos._core (no Python objects)", "core", "-", None),
        ("iceoryx2", "iceoryx2 Python pub-sub ping-pong (reference)", "iceoryx2", "-", None),
        ("floor", "bare C cache-line ping-pong (floor)", "floor", "-", None),
    ]
    lines = [
        "# Transport benchmark",
        "",
        "Written by `bench/bench_transport.py`; do not edit by hand. Regenerate with `make bench` or the command below.",
        "",
        f"- date: {started}",
        f"- machine: {machine()}",
        f"- command: `{command}`",
        f"- build: `{BUILD.relative_to(ROOT)}/`, CMake Release, -DFUNDOS_SANITIZE=OFF; bench C programs: {cc_version}, -O2",
        (f"- load average (1/5/15 min): {load_start} at the start, {load_end} at the end (the machine is shared; "
        "read the spread)"),
        (f"- pinning: host (or pong, or the floor's child) on CPU {HOST_CPU}, agent (or ping, or the floor's parent) "
        f"on CPU {AGENT_CPU}"),
        (f"- round trips: {args.count} timed after {args.warmup} warm-up, per run; {args.repeat} runs per row, each in "
        "fresh processes; a figure is the median over the runs with [min, max] over the runs"),
        "- every FundOS run checks the host's totals: all intents accepted, none rejected",
        "",
        ("What one round trip is: the host publishes a snapshot; the agent, busy-polling, sees it and copies it "
        f"(seqlock read of the FundState's head and rows in use, {copied} of its {state_size} bytes with the "
        "host's 4 instruments and 1 agent; the C SDK zeroes the other rows of the caller's copy); it writes one ORDER "
        "answering that snapshot into its intent ring; the "
        "host, busy-polling its rings, sees the commit, copies the slot, validates the copy, writes the report and "
        "publishes the next snapshot (and the agent's book); the agent sees the report. The agent takes the time at "
        "each report sighting, and the interval between two sightings is one full round trip "
        "(`fundos-transport-host --mode pingpong --intent-events none --no-futex-wake --spin-us 60000000`). "
        "iceoryx2: one 8-byte sample each way (publish, then the other process's subscriber receives it and "
        "publishes it back), both sides busy-polling `receive()`. Floor: one 8-byte store each way on its own cache "
        "line, both sides spinning, no protocol."),
        "",
        ("| system | round trip | p50 us | p99 us | p99.9 us | p50 / floor p50 (per run) "
         "| p50 / FundOS Python agent p50 (per run) | target | result |"),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    ok = True
    python = results.get("public")
    for system, label, key, target, limit in rows:
        measure = results.get(key)
        if measure is None:
            lines.append(f"| {system} | {label} | not measured | | | | | {target} | |")
            continue
        p50 = measure.figure("p50")[0]
        verdict = ""
        if limit is not None:
            passed = p50 / 1000 < limit
            verdict = "PASS" if passed else "FAIL"
            ok = ok and passed
        # Per run (the rows run interleaved, run k of each next to run k of the floor), so a shift
        # of the whole machine between runs cancels out.
        lines.append(f"| {system} | {label} | {cell(measure, 'p50')} | {cell(measure, 'p99')} | {cell(measure, 'p99.9')} "
                     f"| {ratio_cell(measure, floor)} | {ratio_cell(measure, python)} | {target} | {verdict} |")
    scaling = {int(key[len("agents"):]): measure for key, measure in results.items() if key.startswith("agents")}
    if scaling:
        lines += [
            "",
            ("Round trip with several agents: N C agents at once against one host (`fundos-transport-host "
             "--agents 1,..,N --mode pingpong`, FUTEX_WAKE after each publish, `--max-seq-lag 1000000`), each "
             "agent the same loop as above but sleeping in futex_wait for the snapshot and, until its report is "
             "there, for the next snapshot (`transport_rt_agent --wait futex`): on 2 cores N spinning agents would "
             f"starve the host. The host spins on CPU {HOST_CPU}, all N agents share CPU {AGENT_CPU}; "
             f"max(200, {args.agents_count} / N) timed round trips per agent and run after a tenth of that in "
             "warm-up, every agent starting once all have attached. The host publishes after every intent and "
             "wakes every sleeping agent, and the kernel runs one agent at a time on the agents' CPU, so an agent's "
             "round trips are bimodal: a few us while it holds the CPU, a scheduler slice while the others run; the "
             "mean and the round trips per second of all agents together (every round of the run over its wall "
             "time, from the common start to the last agent's exit) say more than the p50. Percentiles and the "
             "mean pool every agent's round trips of a run; the ratio is the p50 to the floor's p50 of the same "
             "round:"),
            "",
            ("| system | agents | round trips/s, all agents | mean round trip us | p50 us | p99 us "
             "| p99.9 us | p50 / floor p50 (per run) |"),
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for n, measure in sorted(scaling.items()):
            rate, low, high = measure.figure("rate")
            lines.append(f"| FundOS | {n} | {rate / 1e3:.1f} k [{low / 1e3:.1f} k, {high / 1e3:.1f} k] "
                         f"| {cell(measure, 'mean')} | {cell(measure, 'p50')} | {cell(measure, 'p99')} "
                         f"| {cell(measure, 'p99.9')} | {ratio_cell(measure, floor)} |")
    phases = results.get("phases")
    if phases is not None:
        lines += [
            "",
            ("Where the Python public-API round trip goes (the same loop with a clock read between the calls, "
            f"{args.count // 4} rounds per run; median per call, then median [min, max] over the runs):"),
            "",
            "| fundos.Agent call | us per call |",
            "| --- | ---: |",
            f"| wait_snapshot (busy wait, copy, Snapshot object) | {cell(phases, 'wait_snapshot')} |",
            f"| submit (ORDER from keyword arguments) | {cell(phases, 'submit')} |",
            f"| reports until the report is there (includes the Fund's part) | {cell(phases, 'reports')} |",
        ]
    lines += [
        "",
        "| snapshot read (one consistent copy of the FundState, host idle) | ns per copy |",
        "| --- | ---: |",
    ]
    for label, key in (("C: fundos_read_snapshot (head and rows in use copied, other rows zeroed)", "c"),
                       ("Python: fundos.Agent.latest_snapshot (head and rows in use as bytes, lazy Snapshot)",
                        "public"),
                       ("Python: fundos._core read_snapshot (head and rows in use as bytes)", "core")):
        measure = reads[key]
        median, low, high = measure.figure("ns")
        lines.append(f"| {label} | {median:.0f} [{low:.0f}, {high:.0f}] |")
    lines += [
        "",
        (f"Read cost: each run times {args.read_count} copies in batches of 1000 and takes the median batch; "
        f"{args.repeat} runs per row."),
        "",
        f"iceoryx2: {iox_note}",
        "",
        (f"Overall: {'PASS' if ok else 'FAIL'} against the targets (C p50 < {C_TARGET_US:g} us, Python public-API "
        f"p50 < {PY_TARGET_US:g} us)."),
    ]
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("_"):
        parser = argparse.ArgumentParser()
        parser.add_argument("role", choices=["_py-rt", "_py-read", "_iox"])
        parser.add_argument("--api", choices=["public", "core", "phases"], default="public")
        parser.add_argument("--socket", default="")
        parser.add_argument("--agent-id", type=int, default=1)
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--warmup", type=int, default=5_000)
        parser.add_argument("--out", default="")
        parser.add_argument("--tag", default="")
        parser.add_argument("--iox-role", choices=["ping", "pong"], default="ping")
        args = parser.parse_args(argv)
        return {"_py-rt": role_py_rt, "_py-read": role_py_read, "_iox": role_iox}[args.role](args)

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=("Exit 1 when a target is missed. Writes its section of --output and results/transport.json "
                "beside it."))
    parser.add_argument("--repeat", type=int, default=7, help="runs per row (default 7)")
    parser.add_argument("--count", type=int, default=100_000, help="timed round trips per run (default 100000)")
    parser.add_argument("--warmup", type=int, default=10_000, help="untimed round trips first (default 10000)")
    parser.add_argument("--read-count", type=int, default=100_000,
                        help="timed snapshot copies per run (default 100000)")
    parser.add_argument("--agents", default="1,2,4,8,16,32",
                        help=("agent counts of the several-agents table, comma-separated (default 1,2,4,8,16,32; "
                              "'' none)"))
    parser.add_argument("--agents-count", type=int, default=100_000,
                        help=("timed round trips per run of the several-agents table, shared by the agents "
                              "(default 100000)"))
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md",
                        help="the results file whose transport section is rewritten (default bench/RESULTS.md)")
    parser.add_argument("--no-iceoryx2", action="store_true", help="leave iceoryx2 out")
    args = parser.parse_args(argv)
    counts = sorted({int(n) for n in args.agents.split(",") if n.strip()})
    command = shlex.join([".venv/bin/python", "bench/bench_transport.py", *argv])
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = "/".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        import fundos  # noqa: F401
    except ImportError as error:
        print(f"bench: the Python SDK `fundos` is not importable ({error}); install it: "
              "python -m pip install -e sdks/python", file=sys.stderr)
        return 2

    print("bench: building the Release host and the bench programs in build-bench/", flush=True)
    tools = build()
    iox_python, iox_note = (None, "not measured (--no-iceoryx2)") if args.no_iceoryx2 else prepare_iceoryx2()
    results: dict[str, Measure] = {}
    reads: dict[str, Measure] = {}
    with tempfile.TemporaryDirectory(prefix="fundos-bench-") as tmp:
        work = Path(tmp)
        plan: list[tuple[str, Any]] = [
            ("floor", lambda: measure_floor(tools, work, args.count, args.warmup)),
            ("c", lambda: measure_fundos("c", tools, work, args.count, args.warmup)),
            ("public", lambda: measure_fundos("public", tools, work, args.count, args.warmup)),
            ("core", lambda: measure_fundos("core", tools, work, args.count, args.warmup)),
            ("phases", lambda: measure_fundos("phases", tools, work, args.count // 4, args.warmup // 4)),
        ]
        if iox_python is not None:
            plan.append(("iceoryx2", lambda: measure_iceoryx2(iox_python, work, args.count, args.warmup)))
        for n in counts:
            plan.append((f"agents{n}", lambda n=n: measure_agents(tools, work, n, args.agents_count)))
        # Interleave the rows run by run, so a burst of load elsewhere hits all of them alike.
        for run_index in range(args.repeat):
            for key, measure in plan:
                try:
                    stats = measure()
                except (RuntimeError, subprocess.TimeoutExpired) as error:
                    if key != "iceoryx2":
                        raise
                    iox_note = f"failed to run: {str(error)[:400]}".replace("\n", " ")
                    plan = [(k, m) for k, m in plan if k != "iceoryx2"]
                    results.pop("iceoryx2", None)
                    continue
                results.setdefault(key, Measure(key, [])).runs.append(stats)
                print(f"bench: run {run_index + 1}/{args.repeat} {key}: "
                      + ", ".join(f"{name} {us(value)} us" for name, value in stats.items()
                                  if name not in ("n", "count", "rate")),
                      flush=True)
            for key in ("c", "public", "core"):
                stats = measure_read(key, tools, work, args.read_count)
                reads.setdefault(key, Measure(key, [])).runs.append(stats)
                print(f"bench: run {run_index + 1}/{args.repeat} read {key}: {stats['ns']:.0f} ns per copy", flush=True)
    if "iceoryx2" in results:
        iox_note = (f"{ICEORYX2} from PyPI in `bench/.venv` (made by this script; not a project dependency), "
                    "default config, `ServiceType.Ipc`, measured in the same run as FundOS.")
    text, ok = report(args, tools, results, reads, iox_note, started, load_start, command)
    write_section(args.output, text)
    results_file.write_data(args.output, "transport", {
        "date": started, "machine": machine(), "command": command,
        "round_trip": {key: {"runs": measure.runs} for key, measure in results.items()},
        "read": {key: {"runs": measure.runs} for key, measure in reads.items()}})
    print(text)
    print(f"bench: wrote {args.output}: {'PASS' if ok else 'FAIL'} against the targets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
