"""A test agent whose answer to each snapshot is a function of that snapshot alone (no memory, no
randomness, no wall clock), so a Fund resumed from its journal with this agent restarted must
write the same journal as an uninterrupted run (tests/fund/test_fund_recovery.py).

Per snapshot s and instrument row i that is trading with a last price: a TARGET_POSITION that
cycles through -40..30 lots, and every fifth (s + i) a DAY LIMIT buy 1 % under the last price
(it rests, so there are working orders to recover); then END_OF_ANSWER and a heartbeat. Intent
ids are the SDK's: above the book's last_intent_id at attach. Exits 0 when the Fund hangs up.

    stateless_agent.py   (FUNDOS_SOCKET and FUNDOS_AGENT_ID from the environment)

With FUNDOS_TEST_HOLD=SEQ:PATH it holds its answer to snapshot SEQ until the file PATH exists,
having created PATH.held: a test acts on the Fund while it waits for that answer, so what the
test does lands at a known step boundary (tests/config/test_config_reload.py). Its answers are
the same; only when they come changes.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import fundos


def answer(agent: fundos.Agent, snapshot: fundos.Snapshot) -> None:
    for row, instrument in enumerate(snapshot.instruments()):
        if instrument.status is not fundos.InstrumentStatus.TRADING or instrument.last <= 0:
            continue
        lot = instrument.lot_size if instrument.lot_size > 0 else 1.0
        tick = instrument.tick_size if instrument.tick_size > 0 else 0.01
        phase = (snapshot.seq + row) % 8
        agent.submit(kind="TARGET_POSITION", instrument_id=instrument.instrument_id, qty=lot * 10 * (phase - 4),
                     snapshot_seq=snapshot.seq)
        if (snapshot.seq + row) % 5 == 0:
            price = round(instrument.last * 0.99 / tick) * tick
            agent.submit(kind="ORDER", instrument_id=instrument.instrument_id, side="BUY", qty=lot,
                         limit_price=round(price, 8), time_in_force="DAY", snapshot_seq=snapshot.seq)
    agent.end_of_answer(snapshot.seq)


def hold(seq: int) -> None:
    """FUNDOS_TEST_HOLD: wait at snapshot SEQ until the test says go."""
    spec = os.environ.get("FUNDOS_TEST_HOLD", "")
    if not spec:
        return
    at, _, path = spec.partition(":")
    if int(at) != seq:
        return
    Path(path + ".held").touch()
    while not Path(path).exists():
        time.sleep(0.005)


def main() -> int:
    agent = fundos.Agent(os.environ["FUNDOS_SOCKET"], int(os.environ["FUNDOS_AGENT_ID"]), wait="spin")
    agent.attach()
    with agent:
        try:
            for snapshot in agent.snapshots(timeout=None):
                hold(snapshot.seq)
                answer(agent, snapshot)
                while len(agent.reports()) == 256:
                    pass
                agent.heartbeat(snapshot.seq)
        except fundos.Disconnected:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
