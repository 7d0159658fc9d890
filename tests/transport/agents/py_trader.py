"""A well-behaved test agent on the Python SDK: the same rounds and JSON lines as trader.c.

    python py_trader.py --socket RUN_DIR/fund.sock --agent-id N [--count N] [--interval-us U]
                        [--wait-go] [--kind order|eoa] [--drain-ms MS]

Each round: the newest snapshot, one intent answering it (ORDER: BUY 1 unit of instrument 1 at
the market, DAY; or END_OF_ANSWER), the new reports (a "report" line each), a heartbeat. After
--count intents (0: until SIGTERM) it waits up to --drain-ms for every report and prints
"summary". With --wait-go it prints "ready" once attached and reads one stdin line first.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from types import FrameType
from typing import Any

import fundos


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def report_line(report: fundos.Report) -> None:
    emit(event="report", intent_id=report.intent_id, kind=report.kind.name, reason=report.reason_name,
         client_tag=report.client_tag, snapshot_seq=report.snapshot_seq)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--agent-id", type=int, required=True)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--interval-us", type=int, default=1000)
    parser.add_argument("--drain-ms", type=int, default=20000)
    parser.add_argument("--wait-go", action="store_true")
    parser.add_argument("--kind", choices=["order", "eoa"], default="order")
    args = parser.parse_args()

    stop = False

    def on_signal(signo: int, frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    agent = fundos.Agent(args.socket, args.agent_id, wait="futex", ring_full="wait", ring_full_timeout=2.0)
    try:
        agent.attach()
    except fundos.AttachError as error:
        emit(event="attach_failed", name=error.name, why=str(error),
             status=int(error.status) if isinstance(error, fundos.AttachRefused) and error.status else 0)
        return 1
    reply = agent.attach_reply
    assert reply is not None
    book = agent.book()
    emit(event="attached", agent=args.agent_id, slot=reply.slot, generation=reply.generation,
         abi_minor=reply.abi_minor, book=book is not None,
         book_accepted=book.account.intents_accepted if book else 0,
         book_last_intent_id=book.account.last_intent_id if book else 0, sdk="python")
    if args.wait_go:
        emit(event="ready")
        if not sys.stdin.readline():
            stop = True
        first = agent.latest_snapshot()
        snapshot = agent.wait_snapshot(after_seq=first.seq if first is not None else 0, timeout=5.0)
        active = sum(1 for view in snapshot.agents() if view.status is fundos.AgentStatus.ACTIVE)
        emit(event="go", wait_rc="FUNDOS_OK", active_agents=active, agent_count=len(snapshot.agents()))

    submitted = accepted = rejected = seen = 0
    exit_code = 0

    def take(reports: list[fundos.Report]) -> None:
        nonlocal seen, accepted, rejected
        for report in reports:
            report_line(report)
            seen += 1
            accepted += report.kind is fundos.ReportKind.ACCEPTED
            rejected += report.kind is fundos.ReportKind.REJECTED

    while not stop and (args.count == 0 or submitted < args.count):
        latest = agent.latest_snapshot()
        assert latest is not None
        snapshot = latest
        try:
            if args.kind == "eoa":
                agent.end_of_answer(snapshot.seq)
            else:
                agent.submit(kind="ORDER", instrument_id=1, side="BUY", qty=1, order_type="MARKET",
                             time_in_force="DAY", snapshot_seq=snapshot.seq, client_tag=submitted + 1)
        except fundos.FundosError as error:
            emit(event="submit_error", name=error.name, why=str(error))
            exit_code = 1
            break
        submitted += 1
        try:
            take(agent.reports())
        except fundos.ReportsLost:
            emit(event="reports_lost")
        agent.heartbeat(snapshot.seq)
        if args.interval_us:
            time.sleep(args.interval_us / 1e6)

    deadline = time.monotonic() + args.drain_ms / 1000
    while time.monotonic() < deadline:
        state = agent.status()
        if state.reports_read >= state.intents_submitted:
            break
        reports = agent.reports()
        take(reports)
        if not reports:
            agent.heartbeat()
            time.sleep(0.0001)
    state = agent.status()
    emit(event="summary", submitted=submitted, reports=seen, accepted=accepted, rejected=rejected,
         reports_lost=state.reports_lost, intents_consumed=state.intents_consumed, generation=state.generation,
         last_intent_id=state.last_intent_id, status=int(state.status), quarantined=int(state.quarantined),
         connected=int(state.connected))
    agent.detach()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
