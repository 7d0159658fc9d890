"""A scripted agent for the Fund's fault tests (tests/fund/test_fund_faults.py), on the Python SDK.

    fault_agent.py [--socket S] [--agent-id N] [--symbol SYM] [--pattern alternate|buy]
                   [--delay-ms MS] [--limit-at N] [--silent-after N] [--garbage-at N]

Socket and agent id default to what `fundos run` passes (FUNDOS_SOCKET, FUNDOS_AGENT_ID), the
symbol to the first instrument of the agent's own configuration (read from FUNDOS_CONFIG as
FUNDOS_SERVICE, fundos.config.agent_config); it waits as FUNDOS_WAKE says. For the n-th snapshot it sees
(n = 1, 2, ...) it answers with one MARKET DAY order of one lot of SYM (pattern "alternate": BUY
on odd n, SELL on even n; "buy": always BUY) and END_OF_ANSWER, then reads its reports and
heartbeats. While the snapshot shows it REDUCING or HALTED it answers with a BUY (adds risk: the
Fund must refuse it) and, when its book holds a long position, a SELL of one lot (reduces risk:
the Fund must accept it). Options:

    --delay-ms MS     sleep after each answer (paces the run so a test can act mid-run)
    --limit-at N      at snapshot N also a LIMIT BUY GTC 3% under the last price (rests)
    --silent-after N  after snapshot N never answer again (still attached and heartbeating)
    --garbage-at N    at snapshot N first write records the Fund must refuse (bad enums, a
                      double NaN's bits and a negative number as the quantity, INT64_MAX as the
                      price, an unknown instrument) straight into the ring, then the normal
                      answer; at snapshot N + 2 write an impossible commit (the ring is
                      quarantined) and never answer again

Every observation is one JSON line on stdout: "attached" (generation, pid), "snapshot" (n, seq,
its trading_state as the snapshot shows it), "report" (intent_id, kind, reason), "garbage"
(the ids written), "quarantine" (ring position), "done".
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import sys
import time
from types import FrameType
from typing import Any

import fundos
import fundos.config
import fundos_abi

NAN_BITS = 0x7FF8000000000000  # what a double NaN stored into an int64 fixed-point field looks like
INT64_MAX = (1 << 63) - 1


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", default=os.environ.get("FUNDOS_SOCKET", ""))
    parser.add_argument("--agent-id", type=int, default=int(os.environ.get("FUNDOS_AGENT_ID", "0")))
    parser.add_argument("--symbol", default="")
    parser.add_argument("--pattern", choices=["alternate", "buy"], default="alternate")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--limit-at", type=int, default=0)
    parser.add_argument("--silent-after", type=int, default=0)
    parser.add_argument("--garbage-at", type=int, default=0)
    args = parser.parse_args()
    address, service = os.environ.get("FUNDOS_CONFIG"), os.environ.get("FUNDOS_SERVICE")
    if not args.symbol and address and service:
        try:
            args.symbol = next(iter(fundos.config.agent_config(address, service).symbols), "")
        except fundos.AgentConfigError as error:
            parser.error(str(error))
    if not args.socket or not args.agent_id or not args.symbol:
        parser.error("--socket, --agent-id and --symbol are needed (or FUNDOS_SOCKET, FUNDOS_AGENT_ID, "
                     "FUNDOS_CONFIG and FUNDOS_SERVICE)")
    return args


def write_garbage(agent: fundos.Agent, seq: int, instrument: fundos.Instrument) -> list[int]:
    """Records the SDK would never build, through its raw path (plain stores, then the commit
    with a release store: only the content is garbage)."""
    core = agent._core  # the raw submit: no argument checks, as a buggy or hostile agent would write
    lot = fundos.qty_to_raw(instrument.lot_size or 1)
    iid = instrument.instrument_id
    order, buy, market, limit, day = (int(fundos.IntentKind.ORDER), int(fundos.Side.BUY),
                                      int(fundos.OrderType.MARKET), int(fundos.OrderType.LIMIT),
                                      int(fundos.TimeInForce.DAY))
    cases = [
        (99, iid, buy, market, day, lot, 0),               # unknown kind -> UNKNOWN_ENUM
        (order, iid, 9, market, day, lot, 0),              # unknown side -> UNKNOWN_ENUM
        (order, iid, buy, market, day, NAN_BITS, 0),       # NaN bits as quantity -> BAD_QUANTITY
        (order, iid, buy, market, day, -lot, 0),           # negative quantity -> BAD_QUANTITY
        (order, iid, buy, limit, day, lot, INT64_MAX),     # absurd price -> BAD_PRICE
        (order, 999, buy, market, day, lot, 0),            # unknown instrument -> UNKNOWN_INSTRUMENT
    ]
    ids = []
    for kind, instrument_id, side, order_type, tif, qty, price in cases:
        result = core.submit_intent(kind, instrument_id, side, order_type, tif, qty, price, 0, 0, seq, 0)
        if result <= 0:
            raise RuntimeError(f"the raw submit failed: {fundos.ERROR_TABLE.get(result, result)}")
        ids.append(result)
    return ids


def write_impossible_commit(agent: fundos.Agent) -> int:
    """Commit the next slot with position + 1 + 1000: no producer can have written that."""
    position = agent.status().intents_submitted
    start = 0
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[1] == "rw-s" and "memfd:fundos-intents" in line:
                start = int(fields[0].split("-")[0], 16)
                break
    if not start:
        raise RuntimeError("the intent region is not in /proc/self/maps")
    slot = position % fundos_abi.INTENT_RING_SLOTS
    address = start + fundos_abi.AgentIntentRegion.ring.offset + slot * ctypes.sizeof(fundos_abi.IntentRecord)
    ctypes.c_uint64.from_address(address).value = position + 1 + 1000
    return position


def main() -> int:
    args = parse_args()
    agent = fundos.Agent(args.socket, args.agent_id, wait=os.environ.get("FUNDOS_WAKE", "futex"))

    def on_signal(signo: int, frame: FrameType | None) -> None:
        agent.stop()

    signal.signal(signal.SIGTERM, on_signal)
    agent.attach()
    reply = agent.attach_reply
    assert reply is not None
    emit(event="attached", agent=args.agent_id, generation=reply.generation, pid=os.getpid())
    n = 0
    quarantined = False
    try:
        for snapshot in agent.snapshots(timeout=None):
            n += 1
            me = snapshot.agent(args.agent_id)
            state = me.trading_state if me is not None else None
            emit(event="snapshot", n=n, seq=snapshot.seq,
                 trading_state=getattr(state, "name", str(state)))
            for report in agent.reports():
                emit(event="report", intent_id=report.intent_id, kind=report.kind.name, reason=report.reason_name)
            if quarantined or (args.silent_after and n > args.silent_after):
                agent.heartbeat()
                continue
            if args.garbage_at and n == args.garbage_at + 2:
                emit(event="quarantine", position=write_impossible_commit(agent))
                quarantined = True
                continue
            instrument = snapshot.instrument(args.symbol)
            if instrument.status is fundos.InstrumentStatus.TRADING and instrument.last > 0:
                if args.garbage_at and n == args.garbage_at:
                    emit(event="garbage", ids=write_garbage(agent, snapshot.seq, instrument))
                lot = instrument.lot_size or 1
                sides = ["BUY" if args.pattern == "buy" or n % 2 == 1 else "SELL"]
                if state not in (fundos.TradingState.ACTIVE, None):
                    book = agent.book()
                    position = book.position(instrument.instrument_id) if book is not None else None
                    sides = ["BUY"] + (["SELL"] if position is not None and position.qty > 0 else [])
                for side in sides:
                    agent.submit(kind="ORDER", instrument_id=instrument.instrument_id, side=side, qty=lot,
                                 order_type="MARKET", time_in_force="DAY", snapshot_seq=snapshot.seq)
                if n == args.limit_at:
                    tick = instrument.tick_size or 0.01
                    price = round(int(instrument.last * 0.97 / tick) * tick, 8)
                    agent.submit(kind="ORDER", instrument_id=instrument.instrument_id, side="BUY", qty=lot,
                                 order_type="LIMIT", limit_price=price, time_in_force="GTC",
                                 snapshot_seq=snapshot.seq)
            agent.end_of_answer(snapshot.seq)
            agent.heartbeat(snapshot.seq)
            if args.delay_ms:
                time.sleep(args.delay_ms / 1000)
    except (fundos.Disconnected, fundos.Quarantined) as error:
        emit(event="ended", why=type(error).__name__)
    emit(event="done", snapshots=n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
