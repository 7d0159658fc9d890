"""Live latency benchmark: market data received to order on the wire, in production mode.

Each run starts `fundos-exchange` (immediate fills, FIX 4.4 on 127.0.0.1), the Fund in mode
"production" with the replay benchmark's C agent (bench/agents/replay_agent.c, an order on every
--every-th snapshot, alternately BUY and SELL one share) and `fundos-feed serve`
replaying one synthetic session (`fundos-data synth`, 2 symbols) as a live feed on a loopback
multicast group both hear, for about --seconds of wall clock. The Fund writes, per new order, the
time from the receive time of the last market event its step applied to the moment FixVenue has
handed the NewOrderSingle to QuickFIX's socket write, into RUN/latency.json (docs/FUND.md,
"Production mode"); this script takes p50, p90, p99 and max of each run and reports the median over
--runs runs with [min, max] over the runs, in its section of bench/RESULTS.md and in
bench/results/live.json.

What the figure includes: the Fund's apply of the event, the step (risk checks, netting), the
journal commit that must precede the send (write-ahead: write(2) and fdatasync), and QuickFIX's
encoding and send. What it does not: the agent's think time (its intent is already waiting when
the step comes) and the network beyond the loopback socket write.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_common import BUILD, ROOT, build_release, compile_c, load_average, machine, run
from results_file import write_data, write_section

SESSION_MINUTES = 390  # one synthetic session of one-minute bars
AGENT = ROOT / "bench" / "agents" / "replay_agent.c"


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(folder: Path, udp: int, tcp: int, fix: int, group: str) -> Path:
    document: dict[str, Any] = {
        "name": "bench-live", "mode": "production", "capital": "1000000",
        "market_data": {"source": "live", "address": group, "port": udp, "recovery_port": tcp,
                        "publish_interval": "1ms", "heartbeat_interval": "100ms", "stale_after": "2s"},
        "simulation": {"data": [], "start_timeout_ms": 30000},
        "execution": {"fill_model": "venue", "fee_per_share": "0.005",
                      "venue": {"host": "127.0.0.1", "port": fix, "sender_comp_id": "FUND",
                                "target_comp_id": "FUNDOS-EX", "heartbeat_s": 5}},
        "instruments": [{"id": 1, "symbol": "SYN001"}, {"id": 2, "symbol": "SYN002"}],
        "agents": [{"id": 1, "name": "replay_c", "instruments": ["SYN001", "SYN002"], "capital": "500000", "wake": "spin",
                    "risk": {"max_order_qty": "100", "max_position": "500", "max_open_orders": 8}}],
    }
    path = folder / "bench-live.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def one_run(build: Path, agent_program: Path, every: int, data: Path, work: Path, speed: float) -> dict[str, Any]:
    """One session: exchange, Fund, agent, feed; the Fund's latency.json."""
    udp, tcp, fix = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    group = f"239.255.{udp % 250 + 1}.{tcp % 250 + 1}"
    folder = Path(tempfile.mkdtemp(prefix="live-", dir=work))
    run_dir = folder / "run"
    procs: list[subprocess.Popen[str]] = []
    try:
        exchange = subprocess.Popen([str(build / "fund/fundos-exchange"), "--feed-port", str(udp), "--recovery-port",
                                     str(tcp), "--multicast", group, "--fix-port", str(fix), "--quiet"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(exchange)
        assert exchange.stdout is not None
        if json.loads(exchange.stdout.readline()).get("event") != "ready":
            raise RuntimeError("fundos-exchange did not start")
        fund = subprocess.Popen([str(build / "fund/fund"), "run", "--config",
                                 str(config(folder, udp, tcp, fix, group)), "--run-dir", str(run_dir),
                                 "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(fund)
        deadline = time.monotonic() + 30
        while not run_dir.exists():  # the feed socket is bound before the run folder exists
            if fund.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Fund did not start: {fund.stderr.read() if fund.stderr else ''}")
            time.sleep(0.01)
        feed = subprocess.Popen([str(build / "fund/fundos-feed"), "serve", "--data", str(data), "--speed",
                                 f"{speed:g}x", "--port", str(udp), "--recovery-port", str(tcp), "--multicast", group,
                                 "--linger", "30", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        procs.append(feed)
        assert fund.stdout is not None
        ready = json.loads(fund.stdout.readline())
        if ready.get("event") != "ready":
            raise RuntimeError(f"the Fund did not start: {ready} {fund.stderr.read() if fund.stderr else ''}")
        agent = subprocess.Popen([str(agent_program), "--socket", ready["socket"], "--agent-id", "1", "--every",
                                  str(every), "--wait", "spin"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 text=True)
        procs.append(agent)
        _, err = fund.communicate(timeout=300)
        if fund.returncode != 0:
            raise RuntimeError(f"the Fund failed ({fund.returncode}): {err[-2000:]}")
        latency: dict[str, Any] = json.loads((run_dir / "latency.json").read_text())
        facts = json.loads((run_dir / "report.json").read_text())
        latency["events"] = facts["run"]["events"]
        latency["trades"] = facts["fund"]["trades"]
        if latency["count"] == 0:
            raise RuntimeError("no order was sent")
        return latency
    finally:
        for proc in reversed(procs):
            stop(proc)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} [{min(values):.1f}, {max(values):.1f}]"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None,
                                     epilog="Writes its section of --output and results/live.json beside it.")
    parser.add_argument("--runs", type=int, default=5, help="sessions (default 5)")
    parser.add_argument("--seconds", type=float, default=5.0, help="wall clock of each session (default 5)")
    parser.add_argument("--every", type=int, default=2, help="the agent orders on every N-th snapshot (default 2)")
    parser.add_argument("--build", type=Path, default=None,
                        help="a Release build folder holding fund, fundos-exchange, fundos-feed, fundos-data and "
                             "bench/replay_agent (default: build them in build-bench/)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md",
                        help="the results file whose live section is rewritten (default bench/RESULTS.md)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.seconds <= 0 or args.every < 1:
        parser.error("--runs and --every must be at least 1 and --seconds above 0")
    command = shlex.join([".venv/bin/python", "bench/bench_live.py", *argv])
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.build is None:
        print("bench: building the Release Fund, exchange, feed and C agent in build-bench/", flush=True)
        cc = build_release(["fund", "fundos-exchange", "fundos-feed", "fundos-data", "fundos_agent"])
        build = BUILD
        agent_program = compile_c(cc, [AGENT], BUILD / "bench" / "replay_agent", agent_sdk=True)
    else:
        build = args.build.resolve()
        agent_program = build / "bench" / "replay_agent"
        if not agent_program.exists():
            parser.error(f"--build {args.build}: no bench/replay_agent in it (bench/bench_fund.py builds it there)")
    speed = SESSION_MINUTES * 60 / args.seconds
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp)
        data = work / "synth.fmd"
        run([str(build / "fund/fundos-data"), "synth", "--out", str(data), "--symbols", "2", "--days", "1",
             "--seed", "1"])
        for i in range(args.runs):
            result = one_run(build, agent_program, args.every, data, work, speed)
            print(f"bench: live run {i + 1}/{args.runs}: {result['count']} orders, p50 {result['p50']:.1f} us, "
                  f"p99 {result['p99']:.1f} us", flush=True)
            results.append(result)
    rows = {key: [float(r[key]) for r in results] for key in ("p50", "p90", "p99", "max")}
    orders = [float(r["count"]) for r in results]
    text = f"""# Live: market data to order on the wire

Written by `bench/bench_live.py`; do not edit by hand. Regenerate with `make bench` or the command below.

- date: {started}
- machine: {machine()}
- command: `{command}`
- build: `{build.relative_to(ROOT) if build.is_relative_to(ROOT) else build}` (CMake Release)
- load average (1/5/15 min) when the runs ended: {load_average()} (the machine is shared; read the spread)
- each run: `fundos-exchange` (immediate fills), the Fund in production with one C agent
  (bench/agents/replay_agent.c: a market order of one share on one snapshot in {args.every}), and
  `fundos-feed serve` replaying one synthetic session (2 symbols, 1560 events) at {speed:g}x, about
  {args.seconds:g} s, on a loopback multicast group; `market_data.publish_interval` 1 ms
- per new order: from the ingestion thread's receive time of the last market event the step applied
  to the return of FixVenue::send (the NewOrderSingle written to QuickFIX's socket); it includes the
  step, the write-ahead journal commit (fdatasync) and QuickFIX's encoding and send, not the agent's
  think time; figures from each run's `latency.json`
- {args.runs} runs; a figure is the median over the runs with [min, max] over the runs

| system | what | orders per run | p50 us | p90 us | p99 us | max us |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
| FundOS | market data received to NewOrderSingle on the wire | {spread(orders)} | {spread(rows['p50'])} | {spread(rows['p90'])} | {spread(rows['p99'])} | {spread(rows['max'])} |
"""
    write_section(args.output, "live", text)
    write_data(args.output, "live", {"date": started, "command": command, "speed": speed, "runs": results})
    print(f"bench: wrote the live section of {args.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
