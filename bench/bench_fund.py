"""Times the Fund's market-data replay in events/s against NautilusTrader, backtrader and
hftbacktest on the same ticks; rewrites its section of bench/RESULTS.md.

The data: the real SPY trade ticks of ../shared/data/lean (1,887,460 trades over 5 sessions),
imported once with the project's importer (`fundos-data import-lean`) into
build-bench/bench-data/spy_ticks.fmd; longer replays (4x, 16x) are that file repeated, each copy
shifted by whole weeks (bench/fmd_repeat.c), written to a temporary folder.

What runs: the real `fund` binary (Release, no sanitizers, build-bench/) in simulation mode on
one instrument (SPY), with the decision policy {"events": 1} (a step, i.e. a snapshot and a wait
for every agent's answer, after every market event) and:

  - no agent (with a step after every event, and with a step every 1000 events: the replay's
    own speed, where the no-agent target applies, also at 4x and 16x the data for peak memory);
  - one C agent (bench/agents/replay_agent.c on the C SDK, busy-polling), which on every snapshot
    reads the instrument's last price and size and answers END_OF_ANSWER, and every 1000 ticks
    first submits an ORDER MARKET of 1 share (alternately BUY and SELL);
  - one Python agent doing the same on the public fundos.Agent API (bench/agents/replay_agent.py);
  - scaling: 1, 2, 4, 8, 16 and 32 C agents on the first --scaling-events events, futex wait
    (on 2 cores, spinning agents starve the Fund's sequencer), each agent timing the step round
    trip it sees (snapshot to next snapshot; --intervals of replay_agent.c);
  - the peers (bench/peers.py, under bench/.venv's Python with bench/requirements.txt, never a
    project dependency), one process per run: NautilusTrader (BacktestEngine with a Strategy
    doing the same), backtrader (Cerebro with a Strategy doing the same) and, as a further
    reference, hftbacktest (its Getting Started setup with a Numba strategy doing the same, on
    the ticks converted to its event format).

events/s of the Fund = events replayed / the wall time of its replay loop, which the Fund prints
itself (the `timing` event on stdout: from the first event taken off the ingestion queue to the
end of the data). That leaves out start-up (configuration, mapping the data, waiting for the
agents to attach) and the end (report.json, fills.csv, equity.csv, which `done` follows); the
process's whole wall time is given too. A peer's events/s = ticks / the wall time of its event
loop (its input built before the clock starts; bench/peers.py says what each clock covers).
Peak memory: each process's ru_maxrss (wait4 on the child; the agents report their own), also
at 4x and 16x the data for the Fund. Ratios to FundOS: each row's events/s over the FundOS Python
agent's, run by run (run k of every row ran in the same round), then the median and [min, max].

Pinning: with one agent, the Fund (its sequencer and ingestion threads) on CPU 0 and the agent on
CPU 1, as in bench_transport.py; otherwise none. Each row is run --repeat times (the rows
interleaved run by run), after --warmup discarded rounds of the FundOS rows (the first round after a
Release build is slow); a figure is the median with [min, max] over the runs. The script also
writes results/fund.json beside --output (every run's figures, for bench_plots.py).

Usage: .venv/bin/python bench/bench_fund.py [--repeat 3] [--warmup 1] [--quick] [--output bench/RESULTS.md]
         [--no-nautilus] [--no-backtrader] [--no-hftbacktest] [--peer-events N]
         [--agents 1,2,4,8,16,32] [--scaling-events 100000]
Exit status: 0 when every target is met, 1 when one is missed, 2 without the data.
"""

from __future__ import annotations

import argparse
import array
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import results_file  # bench/, beside this script
from bench_common import (
    BUILD,
    ROOT,
    bench_venv_package,
    build_release,
    compile_c,
    load_average,
    machine,
    pinned,
    run,
    run_measured,
)

LEAN = ROOT.parent / "shared" / "data" / "lean"
TICKS = LEAN / "equity" / "usa" / "tick" / "spy"
DATA_DIR = BUILD / "bench-data"
EVERY = 1000  # ticks between two orders
NO_AGENT_TARGET, C_TARGET = 5_000_000.0, 1_000_000.0
FUND_CPU, AGENT_CPU = 0, 1
PEER_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Peer:
    key: str
    package: str  # as bench/requirements.txt names it
    module: str
    system: str
    label: str
    how: str  # what runs, for the note under the table (bench/peers.py has the details)


PEERS = (
    Peer("nautilus", "nautilus_trader", "nautilus_trader", "NautilusTrader",
         "BacktestEngine, Python Strategy, same ticks",
         ("BacktestEngine, one XNAS venue (netting, margin account), TestInstrumentProvider.equity('SPY'), log "
          "level ERROR, the ticks through TradeTickDataWrangler; clock: `engine.run()`")),
    Peer("backtrader", "backtrader", "backtrader", "backtrader", "Cerebro, Python Strategy, same ticks",
         ("Cerebro(stdstats=False), one data feed of the ticks (timeframe Ticks, OHLC = the trade price, volume = "
          "its size, preloaded: backtrader's default), a Strategy whose next() runs once per tick, buy(size=1) / "
          "sell(size=1); clock: Strategy.start() to Strategy.stop()")),
    Peer("hftbacktest", "hftbacktest", "hftbacktest", "hftbacktest",
         "Numba @njit strategy, same ticks converted to its events (further reference)",
         ("the setup of its Getting Started tutorial (BacktestAsset ... no_partial_fill_exchange(), "
          "HashMapMarketDepthBacktest, an @njit strategy loop: wait_next_feed, last_trades, every 1000 trades "
          "a MARKET order of 1 at the best price), latency 0, no fees; the LEAN ticks have no book and no "
          "aggressor side, so each trade became a TRADE_EVENT (side by the tick rule) preceded, when its price "
          "changed, by a one-tick book (DEPTH_BBO_EVENTs bid = price - 0.01, ask = price + 0.01); its JIT "
          "compilation runs on the first 3000 events, outside the clock; clock: the strategy's run. A single "
          "compiled process with no IPC, so not the same kind of system: a reference for what a compiled "
          "backtester does on these ticks")),
)


SHORT = {"none": "FundOS, no agent", "c": "FundOS, 1 C agent", "python": "FundOS, 1 Python agent",
         "c8": "FundOS, 8 C agents", "nautilus": "NautilusTrader", "backtrader": "backtrader",
         "hftbacktest": "hftbacktest (reference)"}  # names in the plots


@dataclass
class Row:
    key: str
    system: str
    label: str
    runs: list[dict[str, float]] = field(default_factory=list)
    note: str = ""

    def figure(self, name: str) -> tuple[float, float, float]:
        values = [r[name] for r in self.runs]
        return statistics.median(values), min(values), max(values)


# ---------------------------------------------------------------- the Fund

def prepare_data(tools: dict[str, Path], work: Path, lengths: list[int]) -> dict[int, Path]:
    """The imported ticks (build-bench/bench-data/spy_ticks.fmd, imported once) and the longer
    copies in `work`."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    base = DATA_DIR / "spy_ticks.fmd"
    zips = sorted(TICKS.glob("*_trade.zip"))
    if not base.exists() or base.stat().st_mtime < max(z.stat().st_mtime for z in zips):
        print(f"bench: importing {len(zips)} LEAN tick files into {base.relative_to(ROOT)}", flush=True)
        run([str(tools["data"]), "import-lean", "--out", str(base), str(TICKS)])
    files = {1: base}
    for n in lengths:
        if n > 1:
            files[n] = work / f"spy_ticks_x{n}.fmd"
            run([str(tools["repeat"]), str(base), str(files[n]), str(n)])
    return files


def write_config(work: Path, name: str, data: Path, agents: int, every_events: int, max_steps: int,
                 wake: str = "busy") -> Path:
    """A configuration for the bench; `wake` is how its agents wait (run_fund starts them so), which
    tells the Fund whether a snapshot needs a futex wake (busy-polling agents need none)."""
    config: dict[str, Any] = {
        "name": name,
        "capital": "10000000",
        "simulation": {"data": [str(data)], "decision": {"events": every_events}, "answer_timeout_ms": 10000,
                       "start_timeout_ms": 60000, "max_steps": max_steps},
        "instruments": [{"id": 1, "symbol": "SPY"}],
        "agents": [{"id": i, "name": f"agent{i}", "instruments": ["SPY"], "capital": "100000", "lease": "30s",
                    "wake": wake} for i in range(1, agents + 1)],
    }
    path = work / f"{name}.json"
    path.write_text(json.dumps(config))
    return path


@dataclass(frozen=True)
class FundRun:
    """One row's configuration: its file, the agents' kind ("c", "python" or ""), how many, whether
    the Fund and the agent are pinned, whether the agents time the step round trip."""

    config: Path
    agent: str
    agents: int
    pinned: bool
    intervals: bool = False


def pin(pid: int, cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > cpu:
        os.sched_setaffinity(pid, {cpu})


def floor_us(tools: dict[str, Path], work: Path) -> float:
    """The bare C cache-line ping-pong's p50 round trip (bench/cacheline_pingpong.c, FUND_CPU and
    AGENT_CPU), measured right before a pinned run: this VM's cross-CPU latency moves between runs
    (0.12 us in one state, 0.33-0.40 us in another), and a lock-step run follows it."""
    out = work / "floor.bin"
    run([str(tools["floor"]), "--count", "100000", "--warmup", "10000", "--out", str(out),
         "--cpus", f"{FUND_CPU},{AGENT_CPU}"])
    values = array.array("Q")
    values.frombytes(out.read_bytes())
    return statistics.median(values) / 1000.0


def run_fund(tools: dict[str, Path], work: Path, spec: FundRun) -> dict[str, float]:
    """One run of `fund run` with its agents; the Fund's replay figures, its peak RSS and the
    agents' (summed), and agent 1's step round trip percentiles when `spec.intervals`."""
    floor = floor_us(tools, work) if spec.pinned else 0.0
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    # A run at one step per event writes ~400 MB of journal and equity.csv; without a sync the
    # next run's journal writes are throttled by the writeback of the previous run's pages.
    os.sync()
    argv = [str(tools["fund"]), "run", "--config", str(spec.config), "--run-dir", str(run_dir), "--quiet"]
    t0 = time.perf_counter_ns()
    fund = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if spec.pinned:
        pin(fund.pid, FUND_CPU)
    procs: list[subprocess.Popen[str]] = []
    summaries: list[dict[str, Any]] = []
    try:
        assert fund.stdout is not None
        ready = json.loads(fund.stdout.readline())
        if ready.get("event") != "ready":
            raise RuntimeError(f"fund did not start: {ready}")
        wake = {agent["id"]: agent["wake"] for agent in ready["agents"]}  # as configured (write_config)
        for agent_id in range(1, spec.agents + 1):
            common = ["--socket", ready["socket"], "--agent-id", str(agent_id), "--every", str(EVERY),
                      "--wait", wake[agent_id]]
            if spec.agent == "c":
                cmd = [str(tools["agent"]), *common, "--intervals", "1" if spec.intervals else "0"]
            else:
                cmd = [sys.executable, str(ROOT / "bench/agents/replay_agent.py"), *common]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if spec.pinned:
                pin(proc.pid, AGENT_CPU)
            procs.append(proc)
        events: dict[str, dict[str, Any]] = {}
        for line in fund.stdout:
            event = json.loads(line)
            events[event["event"]] = event
            if event["event"] == "done":
                break
        _, status, usage = os.wait4(fund.pid, 0)
        fund.returncode = os.waitstatus_to_exitcode(status)
        total_ns = time.perf_counter_ns() - t0
        err = fund.stderr.read() if fund.stderr else ""
        if fund.returncode != 0 or events.get("done", {}).get("status") != "ok" or "timing" not in events:
            raise RuntimeError(f"fund failed ({fund.returncode}): {events.get('done')} {err[-2000:]}")
        for proc in procs:
            out, perr = proc.communicate(timeout=60)
            if proc.returncode != 0:
                raise RuntimeError(f"agent failed ({proc.returncode}): {perr[-2000:]}")
            summary = json.loads(out.strip().splitlines()[-1])
            if summary["snapshots"] != events["timing"]["steps"] or summary["rejects"] != 0:
                raise RuntimeError(f"agent answered {summary} of {events['timing']['steps']} steps")
            summaries.append(summary)
    finally:
        for proc in [fund, *procs]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    timing = events["timing"]
    subprocess.run(["rm", "-rf", str(run_dir)], check=False)
    result = {"events": float(timing["events"]), "steps": float(timing["steps"]),
              "eps": timing["events"] / (timing["wall_ns"] / 1e9), "wall_s": timing["wall_ns"] / 1e9,
              "total_s": total_ns / 1e9, "rss_mb": usage.ru_maxrss / 1024,
              "agents_rss_mb": sum(s["maxrss_kb"] for s in summaries) / 1024}
    if spec.pinned:
        result["floor_us"] = floor
    if spec.intervals and summaries and "step_ns" in summaries[0]:
        result.update({f"step_{name}": float(summaries[0]["step_ns"][name]) for name in ("p50", "p99", "p99.9")})
    return result


def run_peer(python: Path, peer: Peer, fmd: Path, events: int) -> dict[str, float]:
    """One run of bench/peers.py for `peer` in a fresh process; its figures and peak RSS."""
    done = run_measured([str(python), str(ROOT / "bench" / "peers.py"), peer.key, "--fmd", str(fmd), "--events",
                         str(events), "--every", str(EVERY)], timeout=PEER_TIMEOUT_S)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{peer.system} failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1500:]}")
    r = json.loads(lines[-1])
    if r["orders"] == 0 or r["filled"] < r["orders"] - 1:  # the last order may still be in flight at the end
        raise RuntimeError(f"{peer.system}: {r['orders']} orders, {r['filled']} filled")
    return {"events": float(r["events"]), "eps": r["events"] / (r["wall_ns"] / 1e9), "wall_s": r["wall_ns"] / 1e9,
            "total_s": done.wall_s, "rss_mb": done.rss_mb, "ticks_seen": float(r["ticks_seen"]),
            "orders": float(r["orders"]), "filled": float(r["filled"]), "feed_events": float(r["feed_events"]),
            "prep_s": float(r["prep_s"])}


# ---------------------------------------------------------------- report

def eps_text(value: float) -> str:
    return f"{value / 1e6:.3f} M" if value >= 1e6 else f"{value / 1e3:.1f} k"


def spread(values: list[float], fmt: str) -> str:
    if not values:
        return "-"
    median, low, high = statistics.median(values), min(values), max(values)
    if fmt == "eps":
        return f"{eps_text(median)} [{eps_text(low)}, {eps_text(high)}]"
    if fmt == "x":
        return f"{median:.2f}x [{low:.2f}, {high:.2f}]"
    return f"{median:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def cell(row: Row, name: str, fmt: str = "eps") -> str:
    return spread([r[name] for r in row.runs if name in r], fmt)


def ratio_cell(row: Row, base: Row | None) -> str:
    """Row's events/s over `base`'s, run k against run k (the same round of the same invocation)."""
    if base is None or not base.runs:
        return "-"
    return spread([r["eps"] / b["eps"] for r, b in zip(row.runs, base.runs) if b["eps"] > 0], "x")


def us_cell(row: Row, name: str) -> str:
    return spread([r[name] / 1000 for r in row.runs if name in r], ".2f")


def peer_note(peer: Peer, row: Row) -> str:
    if not row.runs:
        return f"{peer.system}: {row.note}"
    sample = row.runs[0]
    text = (f"{peer.system}: {row.note}; {peer.how}; {sample['orders']:.0f} market orders per run, "
            f"{sample['filled']:.0f} filled; building its input took {cell(row, 'prep_s', '.1f')} s outside the clock")
    if peer.key == "hftbacktest":
        text += (f"; its event array holds {sample['feed_events']:.0f} events for {sample['events']:.0f} trades "
                 "(a trade each, plus a one-tick BBO, two events, whenever the trade price changes), and "
                 "the figure counts trades")
    return text + "."


def report(args: argparse.Namespace, rows: dict[str, Row], scaling: dict[int, Row], memory: dict[int, Row],
           started: str, load_start: str, command: str, cc: Path) -> tuple[str, bool]:
    cc_version = run([str(cc), "--version"]).stdout.splitlines()[0]
    python = rows["python"]
    lines = [
        "# Fund replay-throughput benchmark",
        "",
        "Written by `bench/bench_fund.py`; do not edit by hand. Regenerate with `make bench` or the command below.",
        "",
        f"- date: {started}",
        f"- machine: {machine()}",
        f"- command: `{command}`",
        (f"- build: `{BUILD.relative_to(ROOT)}/`, CMake Release, -DFUNDOS_SANITIZE=OFF; bench C programs: "
         f"{cc_version}, -O2"),
        (f"- load average (1/5/15 min): {load_start} at the start, {load_average()} at the end (the machine has 2 "
         "cores, shared with other work: read the spread)"),
        ("- data: SPY trade ticks of `../shared/data/lean` (1,887,460 trades, 2013-10-07..11), imported with "
         "`fundos-data import-lean` into `build-bench/bench-data/spy_ticks.fmd`; the longer replays repeat it with "
         "each copy shifted by whole weeks (`bench/fmd_repeat.c`); every system reads the same .fmd"),
        ("- Fund: `fund run --quiet`, one instrument, decision `{\"events\": 1}` (a snapshot and a wait for "
         "every agent's answer after every event) unless the row says otherwise; events/s = events / the wall "
         "time of the Fund's replay loop (its `timing` event: from the first event taken off the ingestion "
         "queue to the end of the data; start-up, attaching and writing the run's files are outside it, the "
         "whole process's wall time is in the process wall column)"),
        (f"- strategy, the same in every system: on every trade tick read its price and size; every {EVERY} ticks "
         "one market order of 1 share (alternately buy and sell). FundOS agents: bench/agents/replay_agent.c (C "
         "SDK) and replay_agent.py (public `fundos.Agent` API), which answer END_OF_ANSWER at every step; every "
         "run checks each agent answered every step and had nothing rejected. One agent: Fund on CPU 0, agent on "
         "CPU 1, busy-polling; several agents: not pinned, futex wait (on 2 cores, spinning agents starve the "
         "Fund: the SDK's default spin wait measured 2x slower than futex with 8 agents)"),
        ("- peers: `bench/peers.py` under `bench/.venv` (`bench/requirements.txt`, pinned; never a project "
         "dependency), one fresh process per run; their events/s = ticks / the wall time of their event loop, "
         "their input built before the clock starts"),
        (f"- {args.warmup} discarded warm-up round(s) of the FundOS rows first, then {args.repeat} runs per row, "
         "rows interleaved run by run, `sync` before each Fund run (a run at one "
         "step per event writes ~400 MB of journal and equity.csv, whose writeback otherwise throttles the next "
         "run's journal writes); a figure is the median with [min, max] over the runs; a ratio is taken run by "
         "run (run k of each row against run k of the FundOS Python agent, the same round), then its median "
         "and [min, max]"),
        ("- peak RSS: each process's ru_maxrss (wait4 on the child; each agent reports its own, summed over the "
         "agents; an agent's counts the shared regions it maps, so the sum counts them once per agent); a peer's "
         "is its whole process, the ticks it holds and its libraries included"),
        "",
        ("| system | replay | events | events/s | ratio to FundOS Python agent | peak RSS MB (Fund, or the peer's "
         "process) | agents' peak RSS MB | process wall s | target | result |"),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    ok = True
    nautilus = rows.get("nautilus")
    for key, row in rows.items():
        if not row.runs:
            if key in {peer.key for peer in PEERS}:
                lines.append(f"| {row.system} | {row.label} | - | not measured | - | - | - | - | - | |")
            continue
        target, verdict = "-", ""
        median = row.figure("eps")[0]
        passed = True
        if key == "c":
            target = f"> {C_TARGET / 1e6:g} M/s"
            passed = median > C_TARGET
        elif key == "python" and nautilus is not None and nautilus.runs:
            target = ">= NautilusTrader"
            passed = median >= nautilus.figure("eps")[0]
        if target != "-":
            verdict = "PASS" if passed else "FAIL"
            ok = ok and passed
        agents_rss = cell(row, "agents_rss_mb", ".0f") if row.runs[0].get("agents_rss_mb") else "-"
        lines.append(f"| {row.system} | {row.label} | {row.runs[0]['events']:.0f} | {cell(row, 'eps')} "
                     f"| {ratio_cell(row, python)} | {cell(row, 'rss_mb', '.0f')} | {agents_rss} "
                     f"| {cell(row, 'total_s', '.2f')} | {target} | {verdict} |")
    lines.append("")
    for row in rows.values():
        if row.runs and "floor_us" in row.runs[0]:
            per_run = ", ".join(f"{eps_text(r['eps'])} at {r['floor_us']:.2f} us" for r in row.runs)
            lines += [(f"- {row.label}, run by run, with the cache-line floor (bare C ping-pong p50 between the "
                       "two CPUs, measured just before the run; this VM moves between about 0.12 us and 0.33-0.40 "
                       f"us, and a lock-step run follows it): {per_run}")]
    for peer in PEERS:
        if peer.key in rows:
            lines += [f"- {peer_note(peer, rows[peer.key])}"]
    if nautilus is not None and nautilus.runs and python.runs:
        ratio = python.figure("eps")[0] / nautilus.figure("eps")[0]
        lines += ["", f"FundOS Python agent / NautilusTrader (medians): {ratio:.2f}x."]
    if scaling:
        base = scaling.get(min(scaling))
        lines += [
            "",
            (f"Scaling with the number of agents: C agents (replay_agent.c), futex wait, not pinned, on the first "
             f"{args.scaling_events} events, decision `{{\"events\": 1}}`. The step round trip is what agent 1 "
             "sees between two consecutive snapshots (snapshot seen -> its answer -> every other agent's answer -> "
             "the Fund's step and its next event -> next snapshot seen; CLOCK_MONOTONIC at each snapshot, "
             "percentiles from a 10 ns histogram, median [min, max] over the runs). The ratio is to the first "
             "row, run by run:"),
            "",
            ("| system | agents | events | events/s | ratio to 1 agent | step round trip p50 us | p99 us "
             "| p99.9 us | Fund peak RSS MB | agents' peak RSS MB |"),
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for n, row in sorted(scaling.items()):
            lines.append(f"| FundOS | {n} | {row.runs[0]['events']:.0f} | {cell(row, 'eps')} | {ratio_cell(row, base)} "
                         f"| {us_cell(row, 'step_p50')} | {us_cell(row, 'step_p99')} | {us_cell(row, 'step_p99.9')} "
                         f"| {cell(row, 'rss_mb', '.0f')} | {cell(row, 'agents_rss_mb', '.0f')} |")
    lines += [
        "",
        ("Replay with no agent, and peak memory against data length: decision every 1000 events (with nobody "
         "to ask, a step is only the journal's and the equity curve's record of the fund; the first table's "
         "no-agent row is the same replay with a step after every event). The no-agent target is on the 1x row. "
         "The ingestion thread drops the pages behind the replay cursor and the equity curve streams to its "
         "file, so the data's length should not show in the memory; the ratio is each row's peak RSS to the 1x "
         "row's, run by run:"),
        "",
        ("| system | data | events | events/s | peak RSS MB | ratio of peak RSS to 1x | process wall s | target "
         "| result |"),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    one = memory.get(1)
    for n, row in sorted(memory.items()):
        target, verdict = "-", ""
        if n == 1:
            target = f"> {NO_AGENT_TARGET / 1e6:g} M/s"
            passed = row.figure("eps")[0] > NO_AGENT_TARGET
            verdict = "PASS" if passed else "FAIL"
            ok = ok and passed
        rss_ratio = spread([r["rss_mb"] / b["rss_mb"] for r, b in zip(row.runs, one.runs)], "x") if one else "-"
        lines.append(f"| FundOS | {n}x | {row.runs[0]['events']:.0f} | {cell(row, 'eps')} "
                     f"| {cell(row, 'rss_mb', '.0f')} | {rss_ratio} | {cell(row, 'total_s', '.2f')} | {target} "
                     f"| {verdict} |")
    lines += [
        "",
        (f"Overall: {'PASS' if ok else 'FAIL'} against the targets (no agent > {NO_AGENT_TARGET / 1e6:g} M events/s, "
         f"one C agent > {C_TARGET / 1e6:g} M events/s, one Python agent >= NautilusTrader on the same ticks)."),
    ]
    return "\n".join(lines), ok


def data(rows: dict[str, Row], scaling: dict[int, Row], memory: dict[int, Row], started: str,
         command: str) -> dict[str, Any]:
    def dump(row: Row) -> dict[str, Any]:
        return {"key": row.key, "system": row.system, "label": row.label, "short": SHORT.get(row.key, row.label),
                "note": row.note, "runs": row.runs}

    return {"date": started, "machine": machine(), "command": command,
            "replay": [dump(row) for row in rows.values()],
            "scaling": {str(n): dump(row) for n, row in sorted(scaling.items())},
            "memory": {str(n): dump(row) for n, row in sorted(memory.items())}}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=("Needs ../shared/data/lean (exit 2 without it). Exit 1 when a target is missed. Writes its "
                "section of --output and results/fund.json beside it."))
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (default 3)")
    parser.add_argument("--warmup", type=int, default=1,
                        help=("rounds of the FundOS rows run first and discarded (default 1): the first round after "
                              "the Release build measured up to 2.7x slower on every lock-step row"))
    parser.add_argument("--quick", action="store_true",
                        help=("2 runs per row unless --repeat; agents' and peers' rows on the first 300k events, "
                              "scaling on the first 20k, data 1x and 4x"))
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md",
                        help="the results file whose fund section is rewritten (default bench/RESULTS.md)")
    parser.add_argument("--no-nautilus", action="store_true", help="leave NautilusTrader out")
    parser.add_argument("--no-backtrader", action="store_true", help="leave backtrader out")
    parser.add_argument("--no-hftbacktest", action="store_true", help="leave hftbacktest out")
    parser.add_argument("--peer-events", type=int, default=None,
                        help="the peers replay only the first N ticks (default: all; 300000 with --quick)")
    parser.add_argument("--agents", default="1,2,4,8,16,32",
                        help="agent counts of the scaling table, comma-separated (default 1,2,4,8,16,32; '' none)")
    parser.add_argument("--scaling-events", type=int, default=None,
                        help="events of each scaling run (default 100000; 20000 with --quick)")
    args = parser.parse_args(argv)
    if args.quick and "--repeat" not in argv:
        args.repeat = 2
    agent_steps = 300_000 if args.quick else 0  # 0: the whole data
    if args.peer_events is None:
        args.peer_events = agent_steps
    if args.scaling_events is None:
        args.scaling_events = 20_000 if args.quick else 100_000
    counts = sorted({int(n) for n in args.agents.split(",") if n.strip()})
    command = shlex.join([".venv/bin/python", "bench/bench_fund.py", *argv])
    if not TICKS.is_dir() or not any(TICKS.glob("*_trade.zip")):
        print(f"bench: the LEAN SPY trade ticks are not in {TICKS} (the shared data folder next to the "
              "repository, ../shared/data/lean); this benchmark needs them", file=sys.stderr)
        return 2
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = load_average()
    print("bench: building the Release Fund and the bench programs in build-bench/", flush=True)
    cc = build_release(["fund", "fundos-data", "fundos_agent"])
    out = BUILD / "bench"
    tools = {"fund": BUILD / "fund" / "fund", "data": BUILD / "fund" / "fundos-data",
             "agent": compile_c(cc, [ROOT / "bench/agents/replay_agent.c"], out / "replay_agent", agent_sdk=True),
             "repeat": compile_c(cc, [ROOT / "bench/fmd_repeat.c"], out / "fmd_repeat"),
             "floor": compile_c(cc, [ROOT / "bench/cacheline_pingpong.c"], out / "cacheline_pingpong")}
    lengths = [1, 4] if args.quick else [1, 4, 16]
    first = f" (first {agent_steps} events)" if agent_steps else ""
    peer_first = f" (first {args.peer_events} events)" if args.peer_events else ""
    rows = {
        "none": Row("none", "FundOS", "no agent, a step after every event"),
        "c": Row("c", "FundOS", "one C agent" + first),
        "python": Row("python", "FundOS", "one Python agent (fundos.Agent)" + first),
    }
    if 8 in counts:
        rows["c8"] = Row("c8", "FundOS", f"8 C agents (first {args.scaling_events} events, futex wait)")
    peers: dict[str, Path] = {}
    for peer in PEERS:
        row = rows[peer.key] = Row(peer.key, peer.system, peer.label + peer_first)
        if getattr(args, f"no_{peer.key}"):
            row.note = f"not measured (--no-{peer.key})"
            continue
        python, why = bench_venv_package(peer.package, peer.module)
        if python is None:
            row.note = why
        else:
            peers[peer.key] = python
            row.note = f"{pinned(peer.package)} from PyPI in `bench/.venv`"
    scaling = {n: Row(f"n{n}", "FundOS", f"{n} C agents") for n in counts}
    memory = {n: Row(f"x{n}", "FundOS", f"{n}x") for n in lengths}
    with tempfile.TemporaryDirectory(prefix="fundos-bench-fund-") as tmp:
        work = Path(tmp)
        files = prepare_data(tools, work, lengths)
        plan: dict[str, FundRun] = {
            "none": FundRun(write_config(work, "none", files[1], 0, 1, 0), "", 0, False),
            "c": FundRun(write_config(work, "c", files[1], 1, 1, agent_steps), "c", 1, True),
            "python": FundRun(write_config(work, "python", files[1], 1, 1, agent_steps), "python", 1, True),
        }
        scaling_plan = {n: FundRun(write_config(work, f"n{n}", files[1], n, 1, args.scaling_events, wake="futex"),
                                   "c", n, False, intervals=True) for n in counts}
        memory_plan = {n: FundRun(write_config(work, f"x{n}", files[n], 0, 1000, 0), "", 0, False) for n in lengths}
        for index in range(args.warmup):
            for key, spec in plan.items():
                result = run_fund(tools, work, spec)
                print(f"bench: warm-up {index + 1}/{args.warmup} {key}: {eps_text(result['eps'])} events/s "
                      "(discarded)", flush=True)
        for index in range(args.repeat):
            tag = f"bench: run {index + 1}/{args.repeat}"
            for key, spec in plan.items():
                result = run_fund(tools, work, spec)
                rows[key].runs.append(result)
                floor = f", floor {result['floor_us']:.2f} us" if "floor_us" in result else ""
                print(f"{tag} {key}: {eps_text(result['eps'])} events/s, {result['rss_mb']:.0f} MB{floor}", flush=True)
            for n, spec in scaling_plan.items():
                result = run_fund(tools, work, spec)
                scaling[n].runs.append(result)
                print(f"{tag} {n} agents: {eps_text(result['eps'])} events/s, step p50 "
                      f"{result.get('step_p50', 0) / 1000:.2f} us", flush=True)
            for n, spec in memory_plan.items():
                result = run_fund(tools, work, spec)
                memory[n].runs.append(result)
                print(f"{tag} {n}x: {eps_text(result['eps'])} events/s, {result['rss_mb']:.0f} MB", flush=True)
            for peer in PEERS:
                python = peers.get(peer.key)
                if python is None:
                    continue
                try:
                    result = run_peer(python, peer, files[1], args.peer_events)
                except (RuntimeError, OSError) as error:
                    rows[peer.key].runs.clear()
                    rows[peer.key].note = f"failed to run: {str(error)[:400]}".replace("\n", " ")
                    del peers[peer.key]
                    print(f"{tag} {peer.key}: {rows[peer.key].note}", flush=True)
                    continue
                rows[peer.key].runs.append(result)
                print(f"{tag} {peer.key}: {eps_text(result['eps'])} events/s, {result['rss_mb']:.0f} MB", flush=True)
    if 8 in counts:
        rows["c8"].runs = scaling[8].runs
        rows = {key: rows[key] for key in ("none", "c", "python", "c8", *(peer.key for peer in PEERS))}
    text, ok = report(args, rows, scaling, memory, started, load_start, command, cc)
    results_file.write_section(args.output, "fund", text)
    results_file.write_data(args.output, "fund", data(rows, scaling, memory, started, command))
    print(text)
    print(f"bench: wrote {args.output}: {'PASS' if ok else 'FAIL'} against the targets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
