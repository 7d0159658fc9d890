"""The Python agent of bench/bench_fund.py, on the public fundos.Agent API.

The same strategy as bench/agents/replay_agent.c and as the NautilusTrader strategy the benchmark
runs on the same ticks: at every snapshot (the Fund decides on every market event, so one
snapshot per trade tick) read the first instrument's last trade price and size; every --every
snapshots submit one ORDER MARKET DAY of --qty units, alternately BUY and SELL; then
END_OF_ANSWER. Reports are drained on the snapshot after an order, a heartbeat goes out with each
order. Exits 0 when the Fund hangs up at the end of the run and prints one JSON line (snapshots,
orders, reports, rejects, checksum of the prices read, peak RSS as maxrss_kb).

    python replay_agent.py --socket PATH --agent-id N [--every 1000] [--qty 1] [--wait busy|spin|futex]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys

import fundos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--agent-id", type=int, required=True)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--qty", type=int, default=1)
    parser.add_argument("--wait", choices=["busy", "spin", "futex"], default="busy")
    args = parser.parse_args(argv)

    agent = fundos.Agent(args.socket, args.agent_id, wait=args.wait, ring_full="wait")
    agent.attach()
    every = args.every
    snapshots = orders = seen_reports = rejects = 0
    checksum = 0.0
    seq = 0
    rejected = fundos.ReportKind.REJECTED
    try:
        while True:
            snapshot = agent.wait_snapshot(after_seq=seq)
            seq = snapshot.seq
            snapshots += 1
            instrument = snapshot.instruments()[0]
            checksum += instrument.last + instrument.last_size
            if snapshots % every == 1 and snapshots > 1:
                for report in agent.reports():
                    seen_reports += 1
                    rejects += report.kind is rejected
            if snapshots % every == 0:
                agent.submit(kind="ORDER", instrument_id=instrument.instrument_id,
                             side="BUY" if orders % 2 == 0 else "SELL", qty=args.qty, order_type="MARKET",
                             time_in_force="DAY", snapshot_seq=seq)
                orders += 1
                agent.heartbeat()
            agent.end_of_answer(seq)
    except fundos.Disconnected:
        pass
    finally:
        agent.detach()
    print(json.dumps({"snapshots": snapshots, "orders": orders, "reports": seen_reports, "rejects": rejects,
                      "checksum": checksum,
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
