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

Which instruments: those the agent's configuration maps to it, read before attaching from
``--config`` as ``--service`` (FUNDOS_CONFIG and FUNDOS_SERVICE, which `fundos run` sets), narrowed
by ``--instruments``, a comma-separated list of symbols or ids; without a configuration, the
``--instruments``, or every instrument in the snapshot less each one the Fund rejects as
INSTRUMENT_NOT_MAPPED.

    mean_reversion.py [--socket PATH] [--agent-id N] [--config ADDRESS --service FUND/AGENT]
                      [--window 20] [--entry 2.0] [--exit 0.5]
                      [--notional 10000] [--long-only] [--instruments SPY,QQQ]
                      [--wait spin|busy|futex] [--max-snapshots N] [--quiet]

The options every agent takes, the answer loop and the exit codes are :mod:`fundos.program`'s.
"""

from __future__ import annotations

import math
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import fundos
from fundos.program import (
    Universe,
    agent_arguments,
    lot_of,
    mid_or_last,
    parse_agent_arguments,
    run_agent,
    whole_lots,
)


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


@dataclass
class MeanReversion:
    """The z-score regimes, the order working in each instrument, and counts."""

    zscore: ZScore
    notional: float
    universe: Universe
    quiet: bool
    working: dict[int, WorkingOrder] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"orders": 0, "cancels": 0, "fills": 0, "rejects": 0})

    def step(self, agent: fundos.Agent, snapshot: fundos.Snapshot, reports: Sequence[fundos.Report]) -> None:
        for report in reports:
            self.settle(report)
        book = agent.book()
        halted = snapshot.trading_state is fundos.TradingState.HALTED
        strategy = self.zscore
        for instrument in snapshot.instruments():
            if not self.universe.trades(instrument):
                continue
            price = mid_or_last(instrument)
            if price <= 0 or strategy.update(instrument.instrument_id, price) is None:
                continue
            iid = instrument.instrument_id
            regime = strategy.regime[iid]
            if regime == 0:
                strategy.target[iid] = Decimal(0)
            elif strategy.target.get(iid, Decimal(0)) == 0 or (strategy.target[iid] > 0) != (regime > 0):
                strategy.target[iid] = regime * whole_lots(self.notional, price, instrument)
            if halted or instrument.status is not fundos.InstrumentStatus.TRADING:
                continue
            position = book.position(iid) if book is not None else None
            held = Decimal(repr(position.qty)) if position is not None else Decimal(0)
            self.work(agent, snapshot.seq, instrument, strategy.target[iid] - held,
                      nothing_working=position is not None and position.working_qty == 0)

    def work(self, agent: fundos.Agent, seq: int, instrument: fundos.Instrument, delta: Decimal, *,
             nothing_working: bool) -> None:
        """Make the working order for ``instrument`` a LIMIT at the touch for ``delta`` (signed),
        canceling and replacing the one working when it differs. ``nothing_working``: the book shows
        no working quantity in the instrument (the order filled or stopped since the last reports)."""
        iid = instrument.instrument_id
        lot = lot_of(instrument)
        side = fundos.Side.BUY if delta > 0 else fundos.Side.SELL
        qty = (abs(delta) // lot) * lot
        limit_raw = touch_raw(instrument, side) if qty > 0 else 0
        wanted = WorkingOrder(0, side, qty, limit_raw) if qty > 0 and limit_raw > 0 else None
        current = self.working.get(iid)
        if current is not None and nothing_working:
            del self.working[iid]  # filled or gone since (the book shows nothing working)
            current = None
        if current is not None and wanted is not None and (current.side, current.qty, current.limit_raw) == (
                wanted.side, wanted.qty, wanted.limit_raw):
            return  # the right order is already working
        if current is not None:
            agent.submit(kind="CANCEL", instrument_id=iid, ref_intent_id=current.intent_id, snapshot_seq=seq)
            del self.working[iid]
            self.counts["cancels"] += 1
        if wanted is None:
            return
        limit = fundos.decimal_from_fixed(wanted.limit_raw, fundos.PRICE_DECIMALS)
        intent_id = agent.submit(kind="ORDER", instrument_id=iid, side=side, qty=qty, order_type="LIMIT",
                                 time_in_force="DAY", limit_price=limit, snapshot_seq=seq)
        self.working[iid] = WorkingOrder(intent_id, side, qty, wanted.limit_raw)
        self.counts["orders"] += 1
        if not self.quiet:
            print(f"seq {seq}: {side.name} {qty} {instrument.symbol} LIMIT {limit} (intent {intent_id})")

    def settle(self, report: fundos.Report) -> None:
        """Forget orders that stopped working; drop instruments that are not this agent's."""
        self.universe.learn(report)
        current = self.working.get(report.instrument_id)
        done = report.kind in (fundos.ReportKind.REJECTED, fundos.ReportKind.CANCELED) or (
            report.kind is fundos.ReportKind.FILLED and report.remaining_qty == 0)
        if current is not None and current.intent_id == report.intent_id and done:
            del self.working[report.instrument_id]
        if report.kind is fundos.ReportKind.FILLED:
            self.counts["fills"] += 1
        elif report.kind is fundos.ReportKind.REJECTED:
            self.counts["rejects"] += 1
            if report.reason != fundos.RejectReason.INSTRUMENT_NOT_MAPPED and not self.quiet:
                print(f"intent {report.intent_id} rejected: {report.reason_name}")

    def summary(self) -> str:
        return ", ".join(f"{value} {name}" for name, value in self.counts.items())


def main(argv: list[str] | None = None) -> int:
    parser = agent_arguments(__doc__)
    parser.add_argument("--window", type=int, default=20, help="prices in the rolling mean (default 20)")
    parser.add_argument("--entry", type=float, default=2.0, help="|z| that opens a position (default 2.0)")
    parser.add_argument("--exit", type=float, default=0.5, help="|z| that closes it (default 0.5)")
    parser.add_argument("--notional", type=float, default=10_000.0,
                        help="position size in quote currency per instrument (default 10000)")
    parser.add_argument("--long-only", action="store_true", help="never short; stay flat above the mean")
    args = parse_agent_arguments(parser, argv)
    if args.window < 2:
        parser.error("--window must be at least 2")
    if not 0 <= args.exit < args.entry:
        parser.error("need 0 <= --exit < --entry")
    if not args.notional > 0:
        parser.error("--notional must be positive")
    strategy = MeanReversion(ZScore(args.window, args.entry, args.exit, not args.long_only), args.notional,
                             Universe.from_arguments(args), args.quiet)
    return run_agent("mean_reversion", args, strategy,
                     f"window {args.window}, entry {args.entry:g}, exit {args.exit:g}, notional {args.notional:g}")


if __name__ == "__main__":
    sys.exit(main())
