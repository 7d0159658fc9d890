"""Times the Fund's market-data replay in events/s; rewrites its section of bench/RESULTS.md.

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
  - 8 C agents (futex wait: 8 spinning agents on 2 cores starve the Fund's sequencer);
  - NautilusTrader (PyPI nautilus_trader, installed by this script in bench/.venv, never a project
    dependency): a BacktestEngine with one Strategy doing the same on the same ticks (on every
    trade tick read the price and size; every 1000 ticks submit a market order of 1, alternately
    buy and sell), in the same run.

events/s of the Fund = events replayed / the wall time of its replay loop, which the Fund prints
itself (the `timing` event on stdout: from the first event taken off the ingestion queue to the
end of the data). That leaves out start-up (configuration, mapping the data, waiting for the
agents to attach) and the end (report.json, fills.csv, equity.csv, which `done` follows); the
process's whole wall time is given too. NautilusTrader's events/s = ticks / the wall time of
`BacktestEngine.run()` (the ticks are built and added before the clock starts). Peak memory:
the Fund's ru_maxrss (wait4 on the child), also at 4x and 16x the data (decisions every 1000
events there; nothing the Fund keeps grows with the number of steps either: the equity curve
streams to equity.csv).

Pinning: with one agent, the Fund (its sequencer and ingestion threads) on CPU 0 and the agent on
CPU 1, as in bench_transport.py; otherwise none. Each row is run --repeat times (the rows
interleaved run by run); a figure is the median with [min, max] over the runs.

Usage: .venv/bin/python bench/bench_fund.py [--repeat 3] [--quick] [--output bench/RESULTS.md]
                                            [--no-nautilus]
The script also runs itself as the NautilusTrader side (first argument _nautilus, in bench/.venv).
"""

from __future__ import annotations

import argparse
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
from bench_common import BUILD, ROOT, bench_venv_package, build_release, compile_c, load_average, machine, run

LEAN = ROOT.parent / "shared" / "data" / "lean"
TICKS = LEAN / "equity" / "usa" / "tick" / "spy"
DATA_DIR = BUILD / "bench-data"
NAUTILUS = "nautilus_trader==1.221.0"
EVERY = 1000  # ticks between two orders
NO_AGENT_TARGET, C_TARGET = 5_000_000.0, 1_000_000.0
FUND_CPU, AGENT_CPU = 0, 1


# ---------------------------------------------------------------- NautilusTrader (bench/.venv)

def role_nautilus(args: argparse.Namespace) -> int:
    """Run NautilusTrader's BacktestEngine `args.repeat` times on the ticks of `args.fmd`; print
    one JSON line per run."""
    import numpy as np
    import pandas as pd
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig, StrategyConfig
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.data import TradeTick
    from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
    from nautilus_trader.model.identifiers import InstrumentId, Venue
    from nautilus_trader.model.objects import Money, Quantity
    from nautilus_trader.persistence.wranglers import TradeTickDataWrangler
    from nautilus_trader.test_kit.providers import TestInstrumentProvider
    from nautilus_trader.trading.strategy import Strategy

    class ReplayConfig(StrategyConfig, frozen=True):  # type: ignore[misc,call-arg]  # bench/.venv only
        instrument_id: InstrumentId
        every: int = EVERY

    class ReplayStrategy(Strategy):  # type: ignore[misc]  # bench/.venv only
        """On every trade tick: read its price and size; every `every` ticks a market order of 1,
        alternately buy and sell (the FundOS bench agents' logic)."""

        def __init__(self, config: ReplayConfig) -> None:
            super().__init__(config)
            self.instrument_id = config.instrument_id
            self.every = config.every
            self.ticks = 0
            self.orders = 0
            self.checksum = 0.0
            self.one = Quantity.from_int(1)

        def on_start(self) -> None:
            self.subscribe_trade_ticks(self.instrument_id)

        def on_trade_tick(self, tick: TradeTick) -> None:
            self.ticks += 1
            self.checksum += tick.price.as_double() + tick.size.as_double()
            if self.ticks % self.every == 0:
                side = OrderSide.BUY if self.orders % 2 == 0 else OrderSide.SELL
                self.submit_order(self.order_factory.market(self.instrument_id, side, self.one))
                self.orders += 1

    record = np.dtype([("time", "<u8"), ("seq", "<u4"), ("instrument_id", "<u4"), ("source", "<u2"),
                       ("kind", "u1"), ("flags", "u1"), ("period_s", "<u4"), ("v", "<i8", (5,))])
    header = np.fromfile(args.fmd, dtype="<u8", count=16)
    records = np.fromfile(args.fmd, dtype=record, offset=int(header[5]))  # records_offset
    instrument = TestInstrumentProvider.equity("SPY", "XNAS")
    frame = pd.DataFrame({"price": records["v"][:, 0] / 1e8, "quantity": records["v"][:, 1] / 1e6,
                          "trade_id": records["seq"].astype(str)},
                         index=pd.to_datetime(records["time"].astype("int64"), unit="ns", utc=True))
    ticks = TradeTickDataWrangler(instrument).process(frame)
    for _ in range(args.repeat):
        engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
        engine.add_venue(venue=Venue("XNAS"), oms_type=OmsType.NETTING, account_type=AccountType.MARGIN,
                         base_currency=USD, starting_balances=[Money(1_000_000, USD)])
        engine.add_instrument(instrument)
        engine.add_data(ticks)
        strategy = ReplayStrategy(ReplayConfig(instrument_id=instrument.id))
        engine.add_strategy(strategy)
        t0 = time.perf_counter_ns()
        engine.run()
        wall = time.perf_counter_ns() - t0
        filled = sum(1 for order in engine.cache.orders() if order.is_closed)
        print(json.dumps({"events": len(ticks), "wall_ns": wall, "ticks_seen": strategy.ticks,
                          "orders": strategy.orders, "orders_closed": filled}), flush=True)
        engine.dispose()
    return 0


# ---------------------------------------------------------------- the Fund

@dataclass
class Row:
    key: str
    label: str
    runs: list[dict[str, float]] = field(default_factory=list)

    def figure(self, name: str) -> tuple[float, float, float]:
        values = [r[name] for r in self.runs]
        return statistics.median(values), min(values), max(values)


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


def pin(pid: int, cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > cpu:
        os.sched_setaffinity(pid, {cpu})


def run_fund(tools: dict[str, Path], work: Path, config: Path, agent: str, agents: int) -> dict[str, float]:
    """One run of `fund run` with `agents` agents of kind `agent` ("c", "python" or ""); the
    Fund's replay figures and peak RSS."""
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    # A run at one step per event writes ~400 MB of journal and equity.csv; without a sync the
    # next run's journal writes are throttled by the writeback of the previous run's pages.
    os.sync()
    argv = [str(tools["fund"]), "run", "--config", str(config), "--run-dir", str(run_dir), "--quiet"]
    t0 = time.perf_counter_ns()
    fund = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pinned = agents == 1
    if pinned:
        pin(fund.pid, FUND_CPU)
    procs: list[subprocess.Popen[str]] = []
    try:
        assert fund.stdout is not None
        ready = json.loads(fund.stdout.readline())
        if ready.get("event") != "ready":
            raise RuntimeError(f"fund did not start: {ready}")
        wake = {spec["id"]: spec["wake"] for spec in ready["agents"]}  # as configured (write_config)
        for agent_id in range(1, agents + 1):
            common = ["--socket", ready["socket"], "--agent-id", str(agent_id), "--every", str(EVERY),
                      "--wait", wake[agent_id]]
            if agent == "c":
                cmd = [str(tools["agent"]), *common]
            else:
                cmd = [sys.executable, str(ROOT / "bench/agents/replay_agent.py"), *common]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if pinned:
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
    finally:
        for proc in [fund, *procs]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    timing = events["timing"]
    subprocess.run(["rm", "-rf", str(run_dir)], check=False)
    return {"events": float(timing["events"]), "steps": float(timing["steps"]),
            "eps": timing["events"] / (timing["wall_ns"] / 1e9), "wall_s": timing["wall_ns"] / 1e9,
            "total_s": total_ns / 1e9, "rss_mb": usage.ru_maxrss / 1024}


def run_nautilus(python: Path, fmd: Path, repeat: int) -> list[dict[str, float]]:
    done = run([str(python), str(Path(__file__).resolve()), "_nautilus", "--fmd", str(fmd), "--repeat", str(repeat)],
               timeout=1800)
    runs = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            runs.append({"events": float(r["events"]), "eps": r["events"] / (r["wall_ns"] / 1e9),
                         "wall_s": r["wall_ns"] / 1e9, "orders": float(r["orders"]),
                         "orders_closed": float(r["orders_closed"])})
    if not runs:
        raise RuntimeError(f"no NautilusTrader result:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return runs


# ---------------------------------------------------------------- report

def eps_text(value: float) -> str:
    return f"{value / 1e6:.3f} M" if value >= 1e6 else f"{value / 1e3:.1f} k"


def cell(row: Row, name: str, fmt: str = "eps") -> str:
    median, low, high = row.figure(name)
    if fmt == "eps":
        return f"{eps_text(median)} [{eps_text(low)}, {eps_text(high)}]"
    return f"{median:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def report(args: argparse.Namespace, rows: dict[str, Row], memory: dict[int, Row], nautilus_note: str, started: str,
           load_start: str, command: str, cc: Path) -> tuple[str, bool]:
    cc_version = run([str(cc), "--version"]).stdout.splitlines()[0]
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
         "each copy shifted by whole weeks (`bench/fmd_repeat.c`)"),
        ("- Fund: `fund run --quiet`, one instrument, decision `{\"events\": 1}` (a snapshot and a wait for "
         "every agent's answer after every event) unless the row says otherwise; events/s = events / the wall "
         "time of the Fund's replay loop (its `timing` event: from the first event taken off the ingestion "
         "queue to the end of the data; start-up, attaching and writing the run's files are outside it, the "
         "whole process's wall time is in the last column)"),
        (f"- agents: bench/agents/replay_agent.c (C SDK) and replay_agent.py (public `fundos.Agent` API): on every "
         f"snapshot read the last price and size, every {EVERY} snapshots one ORDER MARKET of 1 share "
         "(alternately BUY and SELL), then END_OF_ANSWER; every run checks each agent answered every step and "
         "had nothing rejected. One agent: Fund on CPU 0, agent on CPU 1, busy-polling; 8 agents: not pinned, "
         "futex wait (on 2 cores, 8 spinning agents starve the Fund: the SDK's default spin wait measured 2x "
         "slower than futex)"),
        (f"- {args.repeat} runs per row, rows interleaved run by run, `sync` before each Fund run (a run at one "
         "step per event writes ~400 MB of journal and equity.csv, whose writeback otherwise throttles the next "
         "run's journal writes); a figure is the median with [min, max] over the runs; peak RSS is the Fund's "
         "ru_maxrss"),
        "",
        "| replay | events | events/s | peak RSS MB | process wall s | target | result |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    ok = True
    nautilus = rows.get("nautilus")
    for key, row in rows.items():
        if key == "nautilus" or not row.runs:
            continue
        target, verdict = "-", ""
        median = row.figure("eps")[0]
        if key == "c":
            target = f"> {C_TARGET / 1e6:g} M/s"
            passed = median > C_TARGET
        elif key == "python" and nautilus is not None and nautilus.runs:
            target = ">= NautilusTrader"
            passed = median >= nautilus.figure("eps")[0]
        else:
            passed = True
        if target != "-":
            verdict = "PASS" if passed else "FAIL"
            ok = ok and passed
        lines.append(f"| {row.label} | {row.runs[0]['events']:.0f} | {cell(row, 'eps')} | {cell(row, 'rss_mb', '.0f')} "
                     f"| {cell(row, 'total_s', '.2f')} | {target} | {verdict} |")
    if nautilus is not None and nautilus.runs:
        lines.append(f"| {nautilus.label} | {nautilus.runs[0]['events']:.0f} | {cell(nautilus, 'eps')} | - | - | - | |")
        py = rows.get("python")
        if py is not None and py.runs:
            ratio = py.figure("eps")[0] / nautilus.figure("eps")[0]
            lines += ["", (f"FundOS Python agent / NautilusTrader (medians): {ratio:.2f}x. NautilusTrader: "
                           f"{nautilus_note}")]
    else:
        lines += ["", f"NautilusTrader: {nautilus_note}"]
    lines += [
        "",
        ("Replay with no agent, and peak memory against data length: decision every 1000 events (with nobody "
         "to ask, a step is only the journal's and the equity curve's record of the fund; the row above is the "
         "same replay with a step after every event). The no-agent target is on the 1x row. The ingestion "
         "thread drops the pages behind the replay cursor and the equity curve streams to its file, so the "
         "data's length should not show in the memory:"),
        "",
        "| data | events | events/s | peak RSS MB | process wall s | target | result |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for n, row in sorted(memory.items()):
        target, verdict = "-", ""
        if n == 1:
            target = f"> {NO_AGENT_TARGET / 1e6:g} M/s"
            passed = row.figure("eps")[0] > NO_AGENT_TARGET
            verdict = "PASS" if passed else "FAIL"
            ok = ok and passed
        lines.append(f"| {n}x | {row.runs[0]['events']:.0f} | {cell(row, 'eps')} | {cell(row, 'rss_mb', '.0f')} "
                     f"| {cell(row, 'total_s', '.2f')} | {target} | {verdict} |")
    lines += [
        "",
        (f"Overall: {'PASS' if ok else 'FAIL'} against the targets (no agent > {NO_AGENT_TARGET / 1e6:g} M events/s, "
         f"one C agent > {C_TARGET / 1e6:g} M events/s, one Python agent >= NautilusTrader on the same ticks)."),
    ]
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_nautilus":
        parser = argparse.ArgumentParser()
        parser.add_argument("role")
        parser.add_argument("--fmd", required=True)
        parser.add_argument("--repeat", type=int, default=1)
        return role_nautilus(parser.parse_args(argv))

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="2 runs per row unless --repeat, agents' rows on the first 300k events, data 1x and 4x")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-nautilus", action="store_true")
    args = parser.parse_args(argv)
    if args.quick and "--repeat" not in argv:
        args.repeat = 2
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
             "repeat": compile_c(cc, [ROOT / "bench/fmd_repeat.c"], out / "fmd_repeat")}
    nautilus_python, nautilus_note = ((None, "not measured (--no-nautilus)") if args.no_nautilus
                                      else bench_venv_package(NAUTILUS, "nautilus_trader"))
    lengths = [1, 4] if args.quick else [1, 4, 16]
    agent_steps = 300_000 if args.quick else 0  # 0: the whole data
    many_steps = 100_000  # 8 agents on 2 cores: a prefix of the data
    rows = {
        "none": Row("none", "no agent, a step after every event"),
        "c": Row("c", "one C agent" + (f" (first {agent_steps} events)" if agent_steps else "")),
        "python": Row("python", "one Python agent (fundos.Agent)" + (f" (first {agent_steps} events)" if agent_steps
                                                                     else "")),
        "c8": Row("c8", f"8 C agents (first {many_steps} events)"),
        "nautilus": Row("nautilus", "NautilusTrader BacktestEngine, Python Strategy, same ticks (reference)"),
    }
    memory = {n: Row(f"x{n}", f"{n}x") for n in lengths}
    with tempfile.TemporaryDirectory(prefix="fundos-bench-fund-") as tmp:
        work = Path(tmp)
        files = prepare_data(tools, work, lengths)
        configs = {
            "none": (write_config(work, "none", files[1], 0, 1, 0), "", 0),
            "c": (write_config(work, "c", files[1], 1, 1, agent_steps), "c", 1),
            "python": (write_config(work, "python", files[1], 1, 1, agent_steps), "python", 1),
            "c8": (write_config(work, "c8", files[1], 8, 1, many_steps, wake="futex"), "c", 8),
        }
        mem_configs = {n: write_config(work, f"x{n}", files[n], 0, 1000, 0) for n in lengths}
        for index in range(args.repeat):
            for key, (config, agent, count) in configs.items():
                result = run_fund(tools, work, config, agent, count)
                rows[key].runs.append(result)
                print(f"bench: run {index + 1}/{args.repeat} {key}: {eps_text(result['eps'])} events/s, "
                      f"{result['rss_mb']:.0f} MB", flush=True)
            for n, config in mem_configs.items():
                result = run_fund(tools, work, config, "", 0)
                memory[n].runs.append(result)
                print(f"bench: run {index + 1}/{args.repeat} {n}x: {eps_text(result['eps'])} events/s, "
                      f"{result['rss_mb']:.0f} MB", flush=True)
        if nautilus_python is not None:
            try:
                rows["nautilus"].runs = run_nautilus(nautilus_python, files[1], args.repeat)
                sample = rows["nautilus"].runs[0]
                nautilus_note = (f"{NAUTILUS} from PyPI in `bench/.venv` (made by this script; not a project "
                                 "dependency), BacktestEngine, one XNAS venue (netting, margin account), "
                                 "TestInstrumentProvider.equity('SPY'), log level ERROR; the ticks come from the same "
                                 f".fmd through TradeTickDataWrangler; {sample['orders']:.0f} market orders per run, "
                                 f"{sample['orders_closed']:.0f} filled; events/s = ticks / wall time of "
                                 "`engine.run()`, in the same run as the Fund's rows.")
                for r in rows["nautilus"].runs:
                    print(f"bench: NautilusTrader: {eps_text(r['eps'])} events/s", flush=True)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                nautilus_note = f"failed to run: {str(error)[:400]}".replace("\n", " ")
    text, ok = report(args, rows, memory, nautilus_note, started, load_start, command, cc)
    results_file.write_section(args.output, "fund", text)
    print(text)
    print(f"bench: wrote {args.output}: {'PASS' if ok else 'FAIL'} against the targets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
