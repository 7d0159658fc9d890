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

Which instruments: those the agent's configuration maps to it, read before attaching from
``--config`` as ``--service`` (FUNDOS_CONFIG and FUNDOS_SERVICE, which `fundos run` sets), narrowed
by ``--instruments``, a comma-separated list of symbols or ids; without a configuration, the
``--instruments``, or every instrument in the snapshot less each one the Fund rejects as
INSTRUMENT_NOT_MAPPED (dropped on the first such report).

    ma_crossover.py [--socket PATH] [--agent-id N] [--config ADDRESS --service FUND/AGENT]
                    [--fast 10] [--slow 30] [--price mid|last]
                    [--notional 10000] [--short] [--instruments SPY,QQQ] [--wait spin|busy|futex]
                    [--max-snapshots N] [--quiet]

The options every agent takes, the answer loop and the exit codes are :mod:`fundos.program`'s.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import fundos
from fundos.program import Universe, agent_arguments, parse_agent_arguments, run_agent, whole_lots


@dataclass
class Crossover:
    """Per-instrument price windows, the signal last sent for each instrument, and counts."""

    fast: int
    slow: int
    allow_short: bool
    use_mid: bool
    notional: float
    universe: Universe
    quiet: bool
    prices: dict[int, deque[float]] = field(default_factory=dict)
    sent: dict[int, int] = field(default_factory=dict)  # -1 short, 0 flat (the start), +1 long
    intents: int = 0
    fills: int = 0
    rejects: int = 0

    def signal(self, instrument_id: int, price: float) -> int | None:
        """Add a price; the signal it gives (-1, 0, +1), or None until the slow window is full."""
        window = self.prices.setdefault(instrument_id, deque(maxlen=self.slow))
        window.append(price)
        if len(window) < self.slow:
            return None
        slow_mean = sum(window) / self.slow
        fast_mean = sum(list(window)[-self.fast:]) / self.fast
        return 1 if fast_mean > slow_mean else (-1 if self.allow_short else 0)

    def step(self, agent: fundos.Agent, snapshot: fundos.Snapshot, reports: Sequence[fundos.Report]) -> None:
        for report in reports:  # on the previous step's intents
            self.universe.learn(report)
            if report.kind is fundos.ReportKind.FILLED:
                self.fills += 1
            elif report.kind is fundos.ReportKind.REJECTED:
                self.rejects += 1
                if report.reason != fundos.RejectReason.INSTRUMENT_NOT_MAPPED and not self.quiet:
                    print(f"seq {snapshot.seq}: intent {report.intent_id} rejected: {report.reason_name}")
        tradable_fund = snapshot.trading_state is not fundos.TradingState.HALTED
        for instrument in snapshot.instruments():
            if not self.universe.trades(instrument):
                continue
            price = price_of(instrument, self.use_mid)
            if price <= 0:
                continue
            wanted = self.signal(instrument.instrument_id, price)
            if wanted is None or wanted == self.sent.get(instrument.instrument_id, 0):
                continue
            if not (tradable_fund and instrument.status is fundos.InstrumentStatus.TRADING):
                continue  # sent once it trades again, if the signal still says so
            target = wanted * whole_lots(self.notional, price, instrument)
            agent.submit(kind="TARGET_POSITION", instrument_id=instrument.instrument_id, qty=target,
                         snapshot_seq=snapshot.seq)
            self.sent[instrument.instrument_id] = wanted
            self.intents += 1
            if not self.quiet:
                print(f"seq {snapshot.seq}: {instrument.symbol} {'long' if wanted > 0 else 'short' if wanted else 'flat'}"
                      f" at {price:.4f}: target {target}")

    def summary(self) -> str:
        return f"{self.intents} intents, {self.fills} fills, {self.rejects} rejects"


def price_of(instrument: fundos.Instrument, use_mid: bool) -> float:
    """The mid when asked for and both sides are quoted, else the last trade; 0 when neither."""
    if use_mid and instrument.bid > 0 and instrument.ask > 0:
        return (instrument.bid + instrument.ask) / 2
    return instrument.last


def main(argv: list[str] | None = None) -> int:
    parser = agent_arguments(__doc__)
    parser.add_argument("--fast", type=int, default=10, help="prices in the fast average (default 10)")
    parser.add_argument("--slow", type=int, default=30, help="prices in the slow average (default 30)")
    parser.add_argument("--price", choices=["mid", "last"], default="mid",
                        help="mid (falls back to last without a two-sided quote) or last (default mid)")
    parser.add_argument("--notional", type=float, default=10_000.0,
                        help="position size in quote currency per instrument (default 10000)")
    parser.add_argument("--short", action="store_true", help="go short when fast < slow (default: flat)")
    args = parse_agent_arguments(parser, argv)
    if not 1 <= args.fast < args.slow:
        parser.error("need 1 <= --fast < --slow")
    if not args.notional > 0:
        parser.error("--notional must be positive")
    strategy = Crossover(args.fast, args.slow, args.short, args.price == "mid", args.notional,
                         Universe.from_arguments(args), args.quiet)
    return run_agent("ma_crossover", args, strategy,
                     f"fast {args.fast}, slow {args.slow}, notional {args.notional:g}")


if __name__ == "__main__":
    sys.exit(main())
