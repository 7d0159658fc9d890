#!/usr/bin/env python3
"""A momentum agent on the FundOS Python SDK (the same strategy as sdks/c/examples/momentum_agent.c).

For every snapshot: keep a moving average of each instrument's last price over the last
--window snapshots; when the price is more than --threshold-bps above it, BUY --lots lots at the
market, when it is as far below, SELL; then mark the snapshot answered (END_OF_ANSWER), read
the Fund's reports and heartbeat. Stops cleanly on SIGTERM or SIGINT (detach: the Fund sees the
hang-up), when the Fund goes away, or after --max-snapshots.

    python momentum_agent.py --socket RUN_DIR/fund.sock --agent-id 2 [--window 5]
        [--threshold-bps 5] [--lots 1] [--wait spin|busy|futex] [--max-snapshots N] [--quiet]
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections import deque
from types import FrameType

import fundos


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--socket", required=True, help="the Fund's socket, <run-dir>/fund.sock")
    parser.add_argument("--agent-id", type=int, required=True)
    parser.add_argument("--window", type=int, default=5, help="snapshots in the moving average")
    parser.add_argument("--threshold-bps", type=float, default=5.0, help="move from the average that trades")
    parser.add_argument("--lots", type=int, default=1, help="order size in lots")
    parser.add_argument("--wait", choices=["spin", "busy", "futex"], default="spin")
    parser.add_argument("--max-snapshots", type=int, default=0, help="stop after this many (0: never)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.window < 1 or args.lots < 1:
        parser.error("--window and --lots must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    agent = fundos.Agent(args.socket, args.agent_id, wait=args.wait)

    def on_signal(signo: int, frame: FrameType | None) -> None:
        agent.stop()  # snapshots() ends within 50 ms

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        agent.attach()
    except fundos.AttachError as error:
        print(f"momentum_agent: cannot attach: {error}", file=sys.stderr)
        return 1
    reply = agent.attach_reply
    assert reply is not None
    print(f"attached as agent {args.agent_id} (slot {reply.slot}, generation {reply.generation}, "
          f"ABI {reply.abi_major}.{reply.abi_minor})", flush=True)

    prices: dict[int, deque[float]] = {}
    snapshots = orders = report_count = 0
    exit_code = 0
    with agent:
        try:
            for snapshot in agent.snapshots(timeout=None):
                snapshots += 1
                for instrument in snapshot.instruments():
                    if instrument.status is not fundos.InstrumentStatus.TRADING or instrument.last <= 0:
                        continue
                    window = prices.setdefault(instrument.instrument_id, deque(maxlen=args.window))
                    mean = sum(window) / len(window) if len(window) == args.window else 0.0
                    window.append(instrument.last)
                    if mean <= 0:
                        continue  # window not full yet
                    move_bps = (instrument.last - mean) / mean * 1e4
                    if abs(move_bps) <= args.threshold_bps:
                        continue
                    side = fundos.Side.BUY if move_bps > 0 else fundos.Side.SELL
                    lot = instrument.lot_size if instrument.lot_size > 0 else 1.0
                    try:
                        intent_id = agent.submit(kind="ORDER", instrument_id=instrument.instrument_id, side=side,
                                                 qty=lot * args.lots, order_type="MARKET",
                                                 time_in_force="DAY", snapshot_seq=snapshot.seq)
                    except fundos.RingFull:
                        continue  # the Fund is behind; skip this signal
                    orders += 1
                    if not args.quiet:
                        print(f"seq {snapshot.seq}: {side.name} {instrument.symbol} at {instrument.last:.4f} "
                              f"(average {mean:.4f}, {move_bps:+.1f} bps) intent {intent_id}")

                agent.end_of_answer(snapshot.seq)
                while True:
                    try:
                        reports = agent.reports()
                    except fundos.ReportsLost as lost:
                        print(f"{lost.lost} reports were lost (read too slowly)")
                        continue
                    for report in reports:
                        report_count += 1
                        if not args.quiet:
                            reason = f" {report.reason_name}" if report.reason != fundos.RejectReason.NONE else ""
                            print(f"report: intent {report.intent_id} {report.kind.name}{reason} "
                                  f"fill {report.fill_qty:.6f} @ {report.fill_price:.4f}")
                    if len(reports) < 256:
                        break
                agent.heartbeat(snapshot.seq)
                if not args.quiet:
                    sys.stdout.flush()
                if args.max_snapshots and snapshots >= args.max_snapshots:
                    break
        except fundos.Disconnected:
            print("the Fund hung up; stopping")
        except fundos.Quarantined as error:
            print(f"momentum_agent: {error}", file=sys.stderr)
            exit_code = 1
        state = agent.status()
    print(f"momentum_agent: {snapshots} snapshots, {orders} orders, {report_count} reports, "
          f"{state.reports_lost} reports lost; detached", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
