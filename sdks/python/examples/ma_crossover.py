#!/usr/bin/env python3
"""A moving-average crossover agent on the FundOS Python SDK.

Strategy, for each instrument mapped to this agent, at every snapshot:

- price: the mid ((bid + ask) / 2) when both sides are quoted, else the last trade (``--price
  last`` uses the last trade always); an instrument without a price is skipped;
- fast and slow averages: the means of the last ``--fast`` and ``--slow`` prices (slow > fast);
  nothing happens until ``--slow`` prices have been seen;
- signal: long when fast > slow; otherwise flat, or short with ``--short``;
- when the signal changes, one TARGET_POSITION intent: ``--notional`` divided by the price,
  rounded down to whole lots (signed: negative when short; 0 when flat). The Fund works out the
  orders that reach it. The size is fixed when the signal flips; small price moves do not
  re-trade.

Then END_OF_ANSWER for the snapshot (every snapshot read, even with nothing to do) and a
heartbeat. Decisions depend only on the snapshots (no randomness, no wall clock), so the same
run gives the same intents.

Which instruments: ``--instruments`` (or FUNDOS_INSTRUMENTS), a comma-separated list of symbols
or ids; without it, every instrument in the snapshot, less each one the Fund rejects as
INSTRUMENT_NOT_MAPPED (dropped on the first such report).

    ma_crossover.py [--socket PATH] [--agent-id N] [--fast 10] [--slow 30] [--price mid|last]
                    [--notional 10000] [--short] [--instruments SPY,QQQ] [--wait spin|busy|futex]
                    [--max-snapshots N] [--quiet]

``--socket``, ``--agent-id`` and ``--wait`` default to FUNDOS_SOCKET, FUNDOS_AGENT_ID and
FUNDOS_WAKE, which ``fundos run`` sets. Exits 0 when the Fund hangs up at the end of the run (or
on SIGTERM/SIGINT, or after --max-snapshots), 1 when it cannot attach or is quarantined, 2 on a
usage error.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from types import FrameType

import fundos

HEARTBEAT_EVERY = 0.5
"""Seconds between heartbeats while no snapshot comes (the Fund's lease is longer)."""


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    summary = __doc__.split("\n\n")[0] if __doc__ else None
    parser = argparse.ArgumentParser(description=summary)
    parser.add_argument("--socket", default=os.environ.get("FUNDOS_SOCKET"),
                        help="the Fund's socket, <run-dir>/fund.sock (default: $FUNDOS_SOCKET)")
    parser.add_argument("--agent-id", type=int, default=_env_int("FUNDOS_AGENT_ID"),
                        help="this agent's configured id (default: $FUNDOS_AGENT_ID)")
    parser.add_argument("--wait", choices=["spin", "busy", "futex"],
                        default=os.environ.get("FUNDOS_WAKE") or "spin",
                        help="how to wait for snapshots (default: $FUNDOS_WAKE, else spin)")
    parser.add_argument("--instruments", default=os.environ.get("FUNDOS_INSTRUMENTS", ""),
                        help="comma-separated symbols or ids to trade (default: $FUNDOS_INSTRUMENTS, "
                             "else every instrument mapped to this agent)")
    parser.add_argument("--fast", type=int, default=10, help="prices in the fast average (default 10)")
    parser.add_argument("--slow", type=int, default=30, help="prices in the slow average (default 30)")
    parser.add_argument("--price", choices=["mid", "last"], default="mid",
                        help="mid (falls back to last without a two-sided quote) or last (default mid)")
    parser.add_argument("--notional", type=float, default=10_000.0,
                        help="position size in quote currency per instrument (default 10000)")
    parser.add_argument("--short", action="store_true", help="go short when fast < slow (default: flat)")
    parser.add_argument("--max-snapshots", type=int, default=0, help="stop after this many (0: never)")
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")
    args = parser.parse_args(argv)
    if args.wait not in ("spin", "busy", "futex"):  # a bad $FUNDOS_WAKE skips argparse's choices
        parser.error(f"FUNDOS_WAKE must be spin, busy or futex, not {args.wait!r}")
    if not args.socket:
        parser.error("no socket: give --socket or set FUNDOS_SOCKET")
    if args.agent_id is None or args.agent_id < 1:
        parser.error("no agent id: give --agent-id N (N >= 1) or set FUNDOS_AGENT_ID")
    if not 1 <= args.fast < args.slow:
        parser.error("need 1 <= --fast < --slow")
    if not args.notional > 0:
        parser.error("--notional must be positive")
    return args


@dataclass
class Universe:
    """The instruments this agent trades: a list given by the operator, or all of them less the
    ones the Fund said are not mapped to this agent."""

    wanted: frozenset[str]
    not_mapped: set[int] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str) -> Universe:
        return cls(frozenset(token.strip() for token in text.split(",") if token.strip()))

    def trades(self, instrument: fundos.Instrument) -> bool:
        if instrument.instrument_id in self.not_mapped:
            return False
        return not self.wanted or instrument.symbol in self.wanted or str(instrument.instrument_id) in self.wanted


def price_of(instrument: fundos.Instrument, use_mid: bool) -> float:
    """The mid when asked for and both sides are quoted, else the last trade; 0 when neither."""
    if use_mid and instrument.bid > 0 and instrument.ask > 0:
        return (instrument.bid + instrument.ask) / 2
    return instrument.last


def lots_for(notional: float, price: float, lot: float) -> Decimal:
    """``notional / price`` rounded down to whole lots, exactly (lot sizes like 0.01 stay exact)."""
    lot_size = Decimal(repr(lot)) if lot > 0 else Decimal(1)
    return math.floor(notional / price / float(lot_size)) * lot_size


@dataclass
class Crossover:
    """Per-instrument price windows, and the signal last sent for each instrument."""

    fast: int
    slow: int
    allow_short: bool
    prices: dict[int, deque[float]] = field(default_factory=dict)
    sent: dict[int, int] = field(default_factory=dict)  # -1 short, 0 flat (the start), +1 long

    def signal(self, instrument_id: int, price: float) -> int | None:
        """Add a price; the signal it gives (-1, 0, +1), or None until the slow window is full."""
        window = self.prices.setdefault(instrument_id, deque(maxlen=self.slow))
        window.append(price)
        if len(window) < self.slow:
            return None
        slow_mean = sum(window) / self.slow
        fast_mean = sum(list(window)[-self.fast:]) / self.fast
        return 1 if fast_mean > slow_mean else (-1 if self.allow_short else 0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    agent = fundos.Agent(args.socket, args.agent_id, wait=args.wait, ring_full="wait")

    def on_signal(signo: int, frame: FrameType | None) -> None:
        agent.stop()  # the wait below raises Interrupted within 50 ms

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        agent.attach()
    except fundos.FundosError as error:
        print(f"ma_crossover: cannot attach to {args.socket} as agent {args.agent_id}: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"ma_crossover: attached as agent {args.agent_id}; fast {args.fast}, slow {args.slow}, "
              f"notional {args.notional:g}", flush=True)

    universe = Universe.parse(args.instruments)
    strategy = Crossover(args.fast, args.slow, args.short)
    snapshots = intents = fills = rejects = 0
    exit_code = 0
    seq = 0
    with agent:
        try:
            while True:
                try:
                    snapshot = agent.wait_snapshot(after_seq=seq, timeout=HEARTBEAT_EVERY)
                except fundos.Timeout:
                    agent.heartbeat()
                    continue
                seq = snapshot.seq
                snapshots += 1
                # Reports on the previous step's intents: learn which instruments are not ours.
                for report in read_reports(agent):
                    if report.kind is fundos.ReportKind.FILLED:
                        fills += 1
                    elif report.kind is fundos.ReportKind.REJECTED:
                        rejects += 1
                        if report.reason == fundos.RejectReason.INSTRUMENT_NOT_MAPPED:
                            universe.not_mapped.add(report.instrument_id)
                        elif not args.quiet:
                            print(f"seq {seq}: intent {report.intent_id} rejected: {report.reason_name}")
                tradable_fund = snapshot.trading_state is not fundos.TradingState.HALTED
                for instrument in snapshot.instruments():
                    if not universe.trades(instrument):
                        continue
                    price = price_of(instrument, args.price == "mid")
                    if price <= 0:
                        continue
                    wanted = strategy.signal(instrument.instrument_id, price)
                    if wanted is None or wanted == strategy.sent.get(instrument.instrument_id, 0):
                        continue
                    if not (tradable_fund and instrument.status is fundos.InstrumentStatus.TRADING):
                        continue  # sent once it trades again, if the signal still says so
                    target = wanted * lots_for(args.notional, price, instrument.lot_size)
                    agent.submit(kind="TARGET_POSITION", instrument_id=instrument.instrument_id, qty=target,
                                 snapshot_seq=seq)
                    strategy.sent[instrument.instrument_id] = wanted
                    intents += 1
                    if not args.quiet:
                        print(f"seq {seq}: {instrument.symbol} {'long' if wanted > 0 else 'short' if wanted else 'flat'}"
                              f" at {price:.4f}: target {target}")
                agent.end_of_answer(seq)
                agent.heartbeat(seq)
                if args.max_snapshots and snapshots >= args.max_snapshots:
                    break
        except fundos.Disconnected:
            if not args.quiet:
                print("ma_crossover: the Fund hung up (end of the run)")
        except fundos.Interrupted:
            if not args.quiet:
                print("ma_crossover: stopped by a signal")
        except fundos.Quarantined as error:
            print(f"ma_crossover: {error}", file=sys.stderr)
            exit_code = 1
    print(f"ma_crossover: {snapshots} snapshots, {intents} intents, {fills} fills, {rejects} rejects", flush=True)
    return exit_code


def read_reports(agent: fundos.Agent) -> list[fundos.Report]:
    """Every report waiting, oldest first (a loss is noted and reading goes on)."""
    out: list[fundos.Report] = []
    while True:
        try:
            batch = agent.reports()
        except fundos.ReportsLost as lost:
            print(f"ma_crossover: {lost.lost} reports were lost (read too slowly)", file=sys.stderr)
            continue
        out.extend(batch)
        if len(batch) < 256:
            return out


if __name__ == "__main__":
    sys.exit(main())
