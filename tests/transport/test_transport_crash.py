"""Agents that die or hang: kill -9 in the middle of writing a slot, kill -9 under load, a
process stopped (SIGSTOP) so it no longer heartbeats, and an agent that simply goes silent.

The Fund marks the dead DEAD at once (socket hang-up) and hands a restart a fresh generation;
a silent agent becomes LATE and recovers when it heartbeats again. Throughout, a well-behaved
trader keeps being served and every intent the Fund accepted is reported exactly once.
"""

from __future__ import annotations

import ctypes
import mmap
import random
import signal
import socket
import struct
import time
from types import ModuleType
from typing import Any

import fundos_abi
import pytest
from transport_harness import (
    BURSTS_OK,
    Cluster,
    Host,
    assert_same_outcomes,
    attach_request,
    close_fds,
    host_outcomes,
    is_event,
    raw_attach,
)


def index_of(host: Host, event: dict[str, Any]) -> int:
    return next(i for i, e in enumerate(host.events.snapshot()) if e is event)


@pytest.mark.parametrize("partial", ["fields", "half"])
def test_kill_9_in_the_middle_of_a_slot_then_restart_on_a_fresh_generation(cluster: Cluster, partial: str) -> None:
    host = cluster.host((1, 2), *BURSTS_OK)
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")

    slow = cluster.c_agent("slow_writer", host, 2, "--before", "5", "--partial", partial)
    paused = slow.wait_for("paused")
    assert paused["position"] == 5 and paused["intent_id"] == 6
    mark = host.mark()
    before = host.accepted_count(1)
    slow.kill9()
    dead = host.wait_event("dead", agent=2, generation=1, start=mark)
    host.wait_event("detached", agent=2, generation=1, reason="hangup", start=mark)

    # Exactly the five committed intents were taken; the half-written slot never was.
    first = assert_same_outcomes(host, 2, slow.out.snapshot(), generations=[1], all_accepted=True)
    assert [i for i, _, _ in first] == [1, 2, 3, 4, 5]
    # The trader is served across the crash.
    host.wait_accepted(1, before + 10)

    again = cluster.c_agent("trader", host, 2, "--count", "20", "--interval-us", "0")
    lines = again.finish()
    attached = next(e for e in lines if e["event"] == "attached")
    assert attached["generation"] == 2
    assert (attached["book_accepted"], attached["book_last_intent_id"]) == (5, 5)
    event = host.wait_event("attached", agent=2, generation=2)
    assert event["t_ns"] > dead["t_ns"]
    second = assert_same_outcomes(host, 2, lines, generations=[2], all_accepted=True)
    assert [i for i, _, _ in second] == list(range(6, 26))
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)


def test_kill_9_under_load_loses_nothing_the_fund_accepted(cluster: Cluster) -> None:
    rng = random.Random(20261125)
    # Stream mode: snapshots by time, not one per intent. In pingpong mode every intent of the
    # fast victim publishes a snapshot, so the trader's answers age past --max-seq-lag within
    # one host round (32 records per agent) and are rightly rejected STALE_SNAPSHOT; that is
    # not what this test is about. The lag is generous so a descheduled trader is not either.
    host = cluster.host((1, 2), "--mode", "stream", "--publish-us", "1000", "--max-seq-lag", "1000")
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")

    for generation in range(1, 9):
        victim = cluster.c_agent("trader", host, 2, "--interval-us", "20")
        attached = victim.wait_for("attached")
        assert attached["generation"] == generation
        # The book the Fund hands a restart counts every intent it processed before.
        event = host.wait_event("attached", agent=2, generation=generation)
        earlier = [e for e in host.events.snapshot()[:index_of(host, event)]
                   if e["event"] == "intent" and e["agent"] == 2]
        assert attached["book_accepted"] == sum(1 for e in earlier if e["result"] == "accepted")
        assert attached["book_last_intent_id"] == (earlier[-1]["intent_id"] if earlier else 0)
        victim.wait_for("report")
        time.sleep(rng.uniform(0.02, 0.15))
        mark = host.mark()
        victim.kill9()
        host.wait_event("detached", agent=2, generation=generation, reason="hangup", start=mark)
        # What the victim saw before it died is a prefix of what the Fund reported for it.
        seen = [(e["intent_id"], e["kind"], e["reason"]) for e in victim.select("report")]
        fund = host_outcomes(host, 2, generations=[generation])
        assert seen and fund[:len(seen)] == seen

    last = cluster.c_agent("trader", host, 2, "--count", "10", "--interval-us", "0")
    lines = last.finish()
    attached = next(e for e in lines if e["event"] == "attached")
    assert attached["generation"] == 9
    everything = host_outcomes(host, 2, generations=range(1, 9))
    assert attached["book_accepted"] == sum(1 for _, kind, _ in everything if kind == "ACCEPTED")
    assert attached["book_last_intent_id"] == everything[-1][0]
    assert len(assert_same_outcomes(host, 2, lines, generations=[9], all_accepted=True)) == 10
    # One intent id is never processed twice, across all generations.
    ids = [i for i, _, _ in host_outcomes(host, 2)]
    assert ids == sorted(set(ids))
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)


def test_agents_that_stop_heartbeating_go_late_and_recover(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    fundos = fundos_sdk
    host = cluster.host((1, 2, 3), "--lease-ms", "300")
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    frozen = cluster.c_agent("trader", host, 2, "--interval-us", "1000")
    trader.wait_for("report")
    frozen.wait_for("report")

    # A process that stops (SIGSTOP): its heartbeat stalls; LATE after the lease.
    mark = host.mark()
    frozen.signal(signal.SIGSTOP)
    stopped_at = time.monotonic()
    late = host.wait_event("late", agent=2, start=mark, timeout=5)
    assert late["lease_ms"] == 300 and late["silent_ms"] >= 300
    assert time.monotonic() - stopped_at < 2.0
    before = host.accepted_count(1)
    host.wait_accepted(1, before + 50)  # served while the other is frozen

    # An agent in this process that attaches and never heartbeats: LATE, seen by itself (its
    # report region) and by everyone (the snapshot), then ACTIVE again after one heartbeat.
    with fundos.Agent(host.socket, 3, wait="futex") as silent:
        host.wait_event("late", agent=3, timeout=5)
        assert silent.status().status is fundos.AgentStatus.LATE
        deadline = time.monotonic() + 5
        while silent.wait_snapshot(timeout=5).agent(3).status is not fundos.AgentStatus.LATE:
            assert time.monotonic() < deadline
        mark3 = host.mark()
        silent.heartbeat()
        host.wait_event("recovered", agent=3, start=mark3, timeout=5)
        assert silent.status().status is fundos.AgentStatus.ACTIVE
        assert silent.latest_snapshot() is not None

    mark = host.mark()
    frozen.signal(signal.SIGCONT)
    host.wait_event("recovered", agent=2, start=mark, timeout=5)
    frozen_before = host.accepted_count(2)
    host.wait_accepted(2, frozen_before + 20)
    assert not host.events.select("dead", agent=2)

    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)
    # The frozen one may have answered a snapshot that aged while it was stopped (rejected as
    # STALE_SNAPSHOT); whatever the verdicts, it saw each exactly once.
    outcomes = assert_same_outcomes(host, 2, frozen.terminate())
    assert {reason for _, kind, reason in outcomes if kind == "REJECTED"} <= {"STALE_SNAPSHOT"}
    assert host.events.wait_for(is_event("detached", agent=3), timeout=1)["reason"] == "hangup"


def test_a_stale_generation_writes_into_memory_nobody_reads(cluster: Cluster) -> None:
    host = cluster.host((1, 2))
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")

    # Generation 1 of agent 2: attached by hand, its intent region mapped writable, then the
    # connection dropped (the process "crashed" but its memory lives on).
    held: list[socket.socket] = []
    reply = raw_attach(host.socket, attach_request(agent_id=2), keep=held)
    assert reply.status == fundos_abi.AttachStatus.OK and reply.reply is not None and len(reply.fds) == 3
    size = int(reply.reply.intent_region_size)
    stale = mmap.mmap(reply.fds[1], size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    close_fds(reply.fds)
    held[0].close()
    host.wait_event("detached", agent=2, generation=1, reason="hangup")

    fresh = cluster.c_agent("trader", host, 2, "--count", "40", "--interval-us", "2000")
    assert fresh.wait_for("attached")["generation"] == 2
    # While generation 2 trades, the stale process commits 60 well-formed records in its old ring.
    record_size = ctypes.sizeof(fundos_abi.IntentRecord)
    ring = ctypes.sizeof(fundos_abi.AgentHeartbeat)
    latest = host.select("intent")[-1]["latest_seq"] if host.select("intent") else 1
    for p in range(60):
        record = fundos_abi.IntentRecord()
        record.intent_id, record.snapshot_seq, record.agent_id = 1000 + p, latest, 2
        record.instrument_id, record.kind, record.side = 1, fundos_abi.IntentKind.ORDER, fundos_abi.Side.BUY
        record.order_type, record.time_in_force = fundos_abi.OrderType.MARKET, fundos_abi.TimeInForce.DAY
        record.qty = 1_000_000
        body = bytes(record)
        offset = ring + p * record_size
        stale[offset + 8:offset + record_size] = body[8:]
        struct.pack_into("<Q", stale, offset, p + 1)
        struct.pack_into("<Q", stale, 0, p + 1)  # and a heartbeat
        time.sleep(0.0005)
    lines = fresh.finish()
    stale.close()

    assert host.intents(2, generation=1) == []
    outcomes = assert_same_outcomes(host, 2, lines, all_accepted=True)
    assert [i for i, _, _ in outcomes] == list(range(1, 41))
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)
