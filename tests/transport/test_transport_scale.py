"""Many agents at once, and the SDK examples as agents.

32 agents (MAX_AGENTS: C test agents and Python SDK agents) attach, all are seen ACTIVE in one
snapshot, then each submits its intents; every one is accepted and every report is seen. The
C and Python momentum examples trade against a streaming Fund and see what it reports.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from transport_harness import BURSTS_OK, AgentProcess, Cluster, assert_same_outcomes, host_outcomes

AGENTS = 32
PYTHON_AGENTS = 4  # the last four slots
INTENTS = 300


def test_32_agents_attached_at_once_all_served(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    ids = list(range(101, 101 + AGENTS))
    # Stream mode: the agent table is republished every millisecond, so "go" sees everyone. The
    # agents block on stdin (no heartbeats) until all 32 are ready, which takes seconds on a busy
    # machine: a long lease keeps them ACTIVE meanwhile (liveness is tested elsewhere).
    host = cluster.host(ids, "--mode", "stream", "--publish-us", "1000", "--lease-ms", "60000", *BURSTS_OK)
    agents: list[AgentProcess] = []
    for n, agent_id in enumerate(ids):
        args = ("--count", str(INTENTS), "--interval-us", "0", "--wait-go")
        if n >= AGENTS - PYTHON_AGENTS:
            agents.append(cluster.py_agent(host, agent_id, *args, stdin=True))
        else:
            agents.append(cluster.c_agent("trader", host, agent_id, *args, stdin=True))
    for agent in agents:
        agent.wait_for("ready", timeout=30)
    attached = host.select("attached")
    assert sorted(e["agent"] for e in attached) == ids
    assert sorted(e["slot"] for e in attached) == list(range(AGENTS))
    assert not host.select("detached") and not host.select("refused")

    for agent in agents:
        agent.send_line("go")
    for agent_id, agent in zip(ids, agents):
        lines = agent.finish(timeout=60)
        go = next(e for e in lines if e["event"] == "go")
        assert (go["wait_rc"], go["active_agents"], go["agent_count"]) == ("FUNDOS_OK", AGENTS, AGENTS), go
        outcomes = assert_same_outcomes(host, agent_id, lines, all_accepted=True)
        assert [i for i, _, _ in outcomes] == list(range(1, INTENTS + 1))
    stopped = host.stop()
    assert (stopped["intents"], stopped["accepted"], stopped["rejected"]) == (AGENTS * INTENTS, AGENTS * INTENTS, 0)


REPORT = re.compile(r"^report: intent (\d+) (\w+)(?: (\w+))? fill ")


def example_outcomes(lines: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    out = []
    for line in lines:
        match = REPORT.match(line.get("line", ""))
        if match:
            out.append((int(match.group(1)), match.group(2), match.group(3) or "NONE"))
    return out


def test_sdk_examples_trade_and_see_what_the_fund_reports(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    host = cluster.host((1, 2), "--mode", "stream", "--publish-us", "1000")
    args = ("--threshold-bps", "0.5", "--window", "3", "--max-snapshots", "400")
    c_example = cluster.c_example(host, 1, "--wait", "spin", *args)
    py_example = cluster.py_example(host, 2, "--wait", "futex", *args)
    for agent_id, example in ((1, c_example), (2, py_example)):
        lines = example.finish(timeout=60)
        assert lines[0]["line"].startswith(f"attached as agent {agent_id} (slot {agent_id - 1}, generation 1")
        assert re.match(r"momentum_agent: 400 snapshots, \d+ orders, \d+ reports, 0 reports lost", lines[-1]["line"])
        seen = example_outcomes(lines)
        host.wait_event("detached", agent=agent_id)
        fund = host_outcomes(host, agent_id)
        # The example stops right after its last END_OF_ANSWER without waiting for the last
        # reports: what it saw is exactly the start of what the Fund reported. The unseen tail is
        # at most what it sent for its last two snapshots (an order per instrument plus
        # END_OF_ANSWER each): under load the reports for the one before may still be in flight
        # when it last polls.
        per_snapshot = int(host.ready["instruments"]) + 1
        assert seen == fund[:len(seen)] and 0 <= len(fund) - len(seen) <= 2 * per_snapshot, (len(seen), len(fund))
        assert all(kind == "ACCEPTED" for _, kind, _ in fund), [o for o in fund if o[1] != "ACCEPTED"][:5]
        kinds = {e["kind"] for e in host.intents(agent_id)}
        assert kinds == {"ORDER", "END_OF_ANSWER"}, kinds
