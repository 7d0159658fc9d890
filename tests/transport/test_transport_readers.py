"""Readers against a busy Fund: snapshots copied while the Fund publishes as fast as it can are
never torn, and an agent that stops reading its reports learns exactly how many it lost while its
book still counts every intent the Fund accepted.
"""

from __future__ import annotations

import time
from types import ModuleType

import pytest
from transport_harness import BURSTS_OK, Cluster, assert_same_outcomes

LAST_SIZE = 1_000_000  # the host's synthetic instruments trade this much per published step


def test_snapshots_copied_during_publishing_are_never_torn(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    fundos = fundos_sdk
    # Stream mode: snapshot s is the s-th publish; every publish after the first walks every
    # price one tick and adds LAST_SIZE to every session volume, stamping one quote time. So a
    # consistent copy of snapshot s has, for all 64 instruments, bid = last - tick,
    # ask = last + tick, session_volume = (s - 1) * LAST_SIZE and one common quote_time.
    host = cluster.host((1,), "--mode", "stream", "--publish-us", "2", "--instruments", "64")
    checked = 0
    seqs: set[int] = set()
    with fundos.Agent(host.socket, 1, wait="busy") as agent:
        last_seq = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            snapshot = agent.latest_snapshot()
            assert snapshot is not None
            state = snapshot.state
            seq = state.seq
            assert seq >= last_seq, (seq, last_seq)
            last_seq = seq
            assert state.instrument_count == 64 and state.agent_count == 1
            quote_time = state.instruments[0].quote_time
            assert quote_time <= state.clock
            for i in range(64):
                entry = state.instruments[i]
                assert entry.instrument_id == i + 1
                assert (entry.bid, entry.ask) == (entry.last - entry.tick_size, entry.last + entry.tick_size), (seq, i)
                assert entry.session_volume == (seq - 1) * LAST_SIZE, (seq, i, entry.session_volume)
                assert entry.quote_time == quote_time, (seq, i)
            checked += 1
            seqs.add(seq)
    # The reader really raced the writer: it copied hundreds of different snapshots.
    assert checked >= 1000 and len(seqs) >= 500, (checked, len(seqs))


def test_a_reader_that_falls_behind_learns_what_it_lost_and_the_book_counts_all(
        cluster: Cluster, fundos_sdk: ModuleType) -> None:
    fundos = fundos_sdk
    host = cluster.host((1, 2), *BURSTS_OK)
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")
    total = 700
    with fundos.Agent(host.socket, 2, wait="futex", ring_full="wait", ring_full_timeout=10.0) as agent:
        assert agent.latest_snapshot() is not None
        ids = [agent.submit(kind="ORDER", instrument_id=1, side="SELL", qty=2) for _ in range(total)]
        host.wait_event("intent", agent=2, intent_id=ids[-1])
        with pytest.raises(fundos.ReportsLost) as lost:
            agent.reports()
        kept = agent.reports()
        assert agent.reports() == []
        # The oldest slot of a full ring may be under rewrite: it counts as lost as well.
        assert lost.value.lost + len(kept) == total and 0 < len(kept) < 256, (lost.value.lost, len(kept))
        assert [r.intent_id for r in kept] == ids[-len(kept):]
        assert all(r.kind is fundos.ReportKind.ACCEPTED for r in kept)
        state = agent.status()
        assert (state.reports_lost, state.intents_consumed, state.reports_written) == (lost.value.lost, total, total)
        book = agent.book()
        assert book is not None
        assert (book.account.intents_accepted, book.account.intents_rejected) == (total, 0)
        assert book.account.last_intent_id == ids[-1]
    fund = [e for e in host.intents(2)]
    assert [e["intent_id"] for e in fund] == ids and all(e["result"] == "accepted" for e in fund)
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)
