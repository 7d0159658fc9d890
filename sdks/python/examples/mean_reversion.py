#!/usr/bin/env python3
"""A mean-reversion agent on the FundOS Python SDK: z-score entries, limit orders at the touch.

Strategy, for each instrument mapped to this agent, at every snapshot:

- price: the mid when both sides are quoted, else the last trade;
- z-score: (price - mean) / standard deviation over the last ``--window`` prices;
- target, against the deviation, with hysteresis: flat until |z| reaches ``--entry``; then long
  (price far below its mean) or short (far above; not with ``--long-only``) ``--notional`` worth,
  rounded down to whole lots and fixed at entry; back to flat once |z| falls to ``--exit``;
- orders: the difference between the target and the position in the agent's book is worked as
  one LIMIT order (time in force DAY) at the touch: a buy at the bid, a sell at the ask (at the
  last trade, on the tick, without a quote). When the touch, the size or the target changes, the
  working order is canceled (CANCEL) and replaced in the same answer; the Fund applies the
  cancel first.

Then END_OF_ANSWER for the snapshot (every snapshot read, even with nothing to do) and a
heartbeat. Decisions depend only on the snapshots and the book the Fund publishes with them (no
randomness, no wall clock).

Which instruments: ``--instruments`` (or FUNDOS_INSTRUMENTS), a comma-separated list of symbols
or ids; without it, every instrument in the snapshot, less each one the Fund rejects as
INSTRUMENT_NOT_MAPPED.

    mean_reversion.py [--socket PATH] [--agent-id N] [--window 20] [--entry 2.0] [--exit 0.5]
                      [--notional 10000] [--long-only] [--instruments SPY,QQQ]
                      [--wait spin|busy|futex] [--max-snapshots N] [--quiet]

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
    parser.add_argument("--window", type=int, default=20, help="prices in the rolling mean (default 20)")
    parser.add_argument("--entry", type=float, default=2.0, help="|z| that opens a position (default 2.0)")
    parser.add_argument("--exit", type=float, default=0.5, help="|z| that closes it (default 0.5)")
    parser.add_argument("--notional", type=float, default=10_000.0,
                        help="position size in quote currency per instrument (default 10000)")
    parser.add_argument("--long-only", action="store_true", help="never short; stay flat above the mean")
    parser.add_argument("--max-snapshots", type=int, default=0, help="stop after this many (0: never)")
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")
    args = parser.parse_args(argv)
    if args.wait not in ("spin", "busy", "futex"):  # a bad $FUNDOS_WAKE skips argparse's choices
        parser.error(f"FUNDOS_WAKE must be spin, busy or futex, not {args.wait!r}")
    if not args.socket:
        parser.error("no socket: give --socket or set FUNDOS_SOCKET")
    if args.agent_id is None or args.agent_id < 1:
        parser.error("no agent id: give --agent-id N (N >= 1) or set FUNDOS_AGENT_ID")
    if args.window < 2:
        parser.error("--window must be at least 2")
    if not 0 <= args.exit < args.entry:
        parser.error("need 0 <= --exit < --entry")
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


@dataclass
class ZScore:
    """Rolling window of prices, the z-score regime (-1 short, 0 flat, +1 long) and the target
    quantity fixed when the regime was entered."""

    window: int
    entry: float
    exit: float
    allow_short: bool
    prices: dict[int, deque[float]] = field(default_factory=dict)
    regime: dict[int, int] = field(default_factory=dict)
    target: dict[int, Decimal] = field(default_factory=dict)

    def update(self, instrument_id: int, price: float) -> float | None:
        """Add a price and move the regime; the z-score, or None until the window is full."""
        prices = self.prices.setdefault(instrument_id, deque(maxlen=self.window))
        prices.append(price)
        if len(prices) < self.window:
            return None
        mean = math.fsum(prices) / self.window
        deviation = math.sqrt(math.fsum((p - mean) ** 2 for p in prices) / self.window)
        z = (price - mean) / deviation if deviation > 0 else 0.0
        regime = self.regime.get(instrument_id, 0)
        if regime == 0:
            regime = 1 if z <= -self.entry else (-1 if z >= self.entry and self.allow_short else 0)
        elif (regime > 0 and z >= -self.exit) or (regime < 0 and z <= self.exit):
            regime = 0
        self.regime[instrument_id] = regime
        return z


@dataclass(frozen=True)
class WorkingOrder:
    intent_id: int
    side: fundos.Side
    qty: Decimal
    limit_raw: int


def lot_of(instrument: fundos.Instrument) -> Decimal:
    return Decimal(repr(instrument.lot_size)) if instrument.lot_size > 0 else Decimal(1)


def touch_raw(instrument: fundos.Instrument, side: fundos.Side) -> int:
    """The limit price at the touch as raw Price units on the tick: the bid for a buy, the ask
    for a sell; without that side quoted, the last trade rounded onto the tick (down for a buy,
    up for a sell); 0 when there is no price at all."""
    quoted = instrument.bid if side is fundos.Side.BUY else instrument.ask
    raw = fundos.price_to_raw(quoted if quoted > 0 else instrument.last)
    tick = fundos.price_to_raw(instrument.tick_size)
    if raw <= 0 or tick <= 0:
        return max(raw, 0)
    return (raw // tick) * tick if side is fundos.Side.BUY else -((-raw) // tick) * tick


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
        print(f"mean_reversion: cannot attach to {args.socket} as agent {args.agent_id}: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"mean_reversion: attached as agent {args.agent_id}; window {args.window}, entry {args.entry:g}, "
              f"exit {args.exit:g}, notional {args.notional:g}", flush=True)

    universe = Universe.parse(args.instruments)
    strategy = ZScore(args.window, args.entry, args.exit, not args.long_only)
    working: dict[int, WorkingOrder] = {}
    counts = {"snapshots": 0, "orders": 0, "cancels": 0, "fills": 0, "rejects": 0}
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
                counts["snapshots"] += 1
                for report in read_reports(agent):
                    settle(report, working, universe, counts, quiet=args.quiet)
                book = agent.book()
                halted = snapshot.trading_state is fundos.TradingState.HALTED
                for instrument in snapshot.instruments():
                    if not universe.trades(instrument):
                        continue
                    price = (instrument.bid + instrument.ask) / 2 if instrument.bid > 0 and instrument.ask > 0 \
                        else instrument.last
                    if price <= 0 or strategy.update(instrument.instrument_id, price) is None:
                        continue
                    iid = instrument.instrument_id
                    regime = strategy.regime[iid]
                    if regime == 0:
                        strategy.target[iid] = Decimal(0)
                    elif strategy.target.get(iid, Decimal(0)) == 0 or (strategy.target[iid] > 0) != (regime > 0):
                        lot = lot_of(instrument)
                        strategy.target[iid] = regime * math.floor(args.notional / price / float(lot)) * lot
                    if halted or instrument.status is not fundos.InstrumentStatus.TRADING:
                        continue
                    position = book.position(iid) if book is not None else None
                    held = Decimal(repr(position.qty)) if position is not None else Decimal(0)
                    work(agent, seq, instrument, strategy.target[iid] - held, working, counts,
                         nothing_working=position is not None and position.working_qty == 0, quiet=args.quiet)
                agent.end_of_answer(seq)
                agent.heartbeat(seq)
                if args.max_snapshots and counts["snapshots"] >= args.max_snapshots:
                    break
        except fundos.Disconnected:
            if not args.quiet:
                print("mean_reversion: the Fund hung up (end of the run)")
        except fundos.Interrupted:
            if not args.quiet:
                print("mean_reversion: stopped by a signal")
        except fundos.Quarantined as error:
            print(f"mean_reversion: {error}", file=sys.stderr)
            exit_code = 1
    print("mean_reversion: " + ", ".join(f"{value} {name}" for name, value in counts.items()), flush=True)
    return exit_code


def work(agent: fundos.Agent, seq: int, instrument: fundos.Instrument, delta: Decimal,
         working: dict[int, WorkingOrder], counts: dict[str, int], *, nothing_working: bool, quiet: bool) -> None:
    """Make the working order for ``instrument`` a LIMIT at the touch for ``delta`` (signed),
    canceling and replacing the one working when it differs. ``nothing_working``: the book shows
    no working quantity in the instrument (the order filled or stopped since the last reports)."""
    iid = instrument.instrument_id
    lot = lot_of(instrument)
    side = fundos.Side.BUY if delta > 0 else fundos.Side.SELL
    qty = (abs(delta) // lot) * lot
    limit_raw = touch_raw(instrument, side) if qty > 0 else 0
    wanted = WorkingOrder(0, side, qty, limit_raw) if qty > 0 and limit_raw > 0 else None
    current = working.get(iid)
    if current is not None and nothing_working:
        del working[iid]  # filled or gone since (the book shows nothing working)
        current = None
    if current is not None and wanted is not None and (current.side, current.qty, current.limit_raw) == (
            wanted.side, wanted.qty, wanted.limit_raw):
        return  # the right order is already working
    if current is not None:
        agent.submit(kind="CANCEL", instrument_id=iid, ref_intent_id=current.intent_id, snapshot_seq=seq)
        del working[iid]
        counts["cancels"] += 1
    if wanted is None:
        return
    limit = fundos.decimal_from_fixed(wanted.limit_raw, fundos.PRICE_DECIMALS)
    intent_id = agent.submit(kind="ORDER", instrument_id=iid, side=side, qty=qty, order_type="LIMIT",
                             time_in_force="DAY", limit_price=limit, snapshot_seq=seq)
    working[iid] = WorkingOrder(intent_id, side, qty, wanted.limit_raw)
    counts["orders"] += 1
    if not quiet:
        print(f"seq {seq}: {side.name} {qty} {instrument.symbol} LIMIT {limit} (intent {intent_id})")


def settle(report: fundos.Report, working: dict[int, WorkingOrder], universe: Universe, counts: dict[str, int],
           *, quiet: bool) -> None:
    """Forget orders that stopped working; drop instruments that are not this agent's."""
    current = working.get(report.instrument_id)
    done = report.kind in (fundos.ReportKind.REJECTED, fundos.ReportKind.CANCELED) or (
        report.kind is fundos.ReportKind.FILLED and report.remaining_qty == 0)
    if current is not None and current.intent_id == report.intent_id and done:
        del working[report.instrument_id]
    if report.kind is fundos.ReportKind.FILLED:
        counts["fills"] += 1
    elif report.kind is fundos.ReportKind.REJECTED:
        counts["rejects"] += 1
        if report.reason == fundos.RejectReason.INSTRUMENT_NOT_MAPPED:
            universe.not_mapped.add(report.instrument_id)
        elif not quiet:
            print(f"intent {report.intent_id} rejected: {report.reason_name}")


def read_reports(agent: fundos.Agent) -> list[fundos.Report]:
    """Every report waiting, oldest first (a loss is noted and reading goes on)."""
    out: list[fundos.Report] = []
    while True:
        try:
            batch = agent.reports()
        except fundos.ReportsLost as lost:
            print(f"mean_reversion: {lost.lost} reports were lost (read too slowly)", file=sys.stderr)
            continue
        out.extend(batch)
        if len(batch) < 256:
            return out


if __name__ == "__main__":
    sys.exit(main())
