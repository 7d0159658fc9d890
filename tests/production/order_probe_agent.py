#!/usr/bin/env python3
"""An agent for tests/production: every 5th snapshot it sends one MARKET order of --lots lots in
its first instrument (buying, then selling, in turn; only buying with --buy-only), and it prints
every report it gets as "report INTENT KIND REASON", so a test reads what reached the agent (a
venue's reject arrives as CANCELED with reason VENUE_REJECT). Its answers depend only on the
snapshots.

    order_probe_agent.py [--lots N] [--buy-only] [--socket PATH] [--agent-id N] [the options of fundos.program]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import fundos
from fundos.program import agent_arguments, parse_agent_arguments, run_agent


@dataclass
class OrderProbe:
    lots: int = 1
    buy_only: bool = False
    snapshots: int = 0
    orders: int = 0
    reports: int = 0

    def step(self, agent: fundos.Agent, snapshot: fundos.Snapshot, reports: Sequence[fundos.Report]) -> None:
        for report in reports:
            self.reports += 1
            reason = report.reason.name if isinstance(report.reason, fundos.RejectReason) else str(report.reason)
            print(f"report {report.intent_id} {report.kind.name} {reason}", flush=True)
        self.snapshots += 1
        instruments = list(snapshot.instruments())
        if not instruments or self.snapshots % 5 != 0:
            return
        instrument = instruments[0]
        lot = instrument.lot_size if instrument.lot_size > 0 else 1.0
        side = fundos.Side.BUY if self.buy_only or self.orders % 2 == 0 else fundos.Side.SELL
        agent.submit(kind="ORDER", instrument_id=instrument.instrument_id, side=side, qty=lot * self.lots,
                     order_type="MARKET",
                     time_in_force="DAY", snapshot_seq=snapshot.seq)
        self.orders += 1

    def summary(self) -> str:
        return f"{self.orders} orders, {self.reports} reports"


def main(argv: list[str] | None = None) -> int:
    parser = agent_arguments(__doc__)
    parser.add_argument("--lots", type=int, default=1, help="lots per order (default 1)")
    parser.add_argument("--buy-only", action="store_true", help="only buy")
    args = parse_agent_arguments(parser, argv)
    return run_agent("order_probe_agent", args, OrderProbe(lots=args.lots, buy_only=args.buy_only))


if __name__ == "__main__":
    sys.exit(main())
