#!/usr/bin/env python3
"""A probe for the stale-market-data guard in paper mode (tests/paper): at every snapshot it prints
each change of an instrument's status ("seq N SYMBOL STALE", "... TRADING") and, while an
instrument is STALE, sends one MARKET order of one lot in it, which the Fund must refuse with
STALE_MARKET_DATA. Its answers depend only on the snapshots.

    stale_probe_agent.py [--socket PATH] [--agent-id N] [the options of fundos.program]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import fundos
from fundos.program import agent_arguments, parse_agent_arguments, run_agent


@dataclass
class StaleProbe:
    status: dict[int, str] = field(default_factory=dict)
    probes: int = 0
    stale_rejects: int = 0

    def step(self, agent: fundos.Agent, snapshot: fundos.Snapshot, reports: Sequence[fundos.Report]) -> None:
        for report in reports:
            if report.kind is fundos.ReportKind.REJECTED and report.reason == fundos.RejectReason.STALE_MARKET_DATA:
                self.stale_rejects += 1
                print(f"seq {snapshot.seq} intent {report.intent_id} REJECTED STALE_MARKET_DATA", flush=True)
        for instrument in snapshot.instruments():
            name = instrument.status.name
            if self.status.get(instrument.instrument_id) != name:
                self.status[instrument.instrument_id] = name
                print(f"seq {snapshot.seq} {instrument.symbol} {name}", flush=True)
            if instrument.status is fundos.InstrumentStatus.STALE:
                lot = instrument.lot_size if instrument.lot_size > 0 else 1.0
                agent.submit(kind="ORDER", instrument_id=instrument.instrument_id, side=fundos.Side.BUY, qty=lot,
                             order_type="MARKET", time_in_force="DAY", snapshot_seq=snapshot.seq)
                self.probes += 1

    def summary(self) -> str:
        return f"{self.probes} probes, {self.stale_rejects} STALE_MARKET_DATA rejects"


def main(argv: list[str] | None = None) -> int:
    args = parse_agent_arguments(agent_arguments(__doc__), argv)
    return run_agent("stale_probe_agent", args, StaleProbe())


if __name__ == "__main__":
    sys.exit(main())
