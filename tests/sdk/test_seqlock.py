"""The C core's seqlock reader, through the Python SDK, against a writer in another process that
publishes snapshots as fast as it can with the Fund's writer protocol (sdk_fakefund.publish: the
head and the rows in use only). Every 8-byte word of the head and of the rows holds a value
derived from seq, and so do the counts, which jump up and down: a torn copy cannot pass, and
neither can a stale row (left in the slot by an older snapshot with larger counts) handed out
past the counts, where the copy must be zero."""

from __future__ import annotations

import ctypes
import multiprocessing
import platform
import struct
import time

import fundos
import fundos_abi
import pytest
from sdk_fakefund import FakeFund

pytestmark = pytest.mark.skipif(
    platform.machine() != "x86_64",
    reason="the Python writer relies on x86-64 store ordering; sdks/c/tests/test_seqlock.c covers every arch",
)

SIZE = ctypes.sizeof(fundos_abi.FundState)
COUNTS = fundos_abi.FundState.instrument_count.offset
INSTRUMENTS = fundos_abi.FundState.instruments.offset
AGENTS = fundos_abi.FundState.agents.offset
ROW, AGENT_ROW = ctypes.sizeof(fundos_abi.InstrumentEntry), ctypes.sizeof(fundos_abi.AgentSlot)


def word(seq: int) -> int:
    return (seq * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF


def counts(seq: int) -> tuple[int, int]:
    """Instrument and agent counts of snapshot seq: 0..max, sometimes above (clamped by readers)."""
    return (seq * 37) % (fundos_abi.MAX_INSTRUMENTS + 9), (seq * 13) % (fundos_abi.MAX_AGENTS + 5)


def published(seq: int) -> bytes:
    """What the writer publishes as snapshot seq: every word from seq, then the counts."""
    data = bytearray(struct.pack("<Q", seq) + struct.pack("<Q", word(seq)) * (SIZE // 8 - 1))
    struct.pack_into("<HH", data, COUNTS, *counts(seq))
    return bytes(data)


def payload(seq: int) -> bytes:
    """What a reader must get for snapshot seq: counts clamped, zeros past them."""
    data = bytearray(published(seq))
    instruments = min(counts(seq)[0], fundos_abi.MAX_INSTRUMENTS)
    agents = min(counts(seq)[1], fundos_abi.MAX_AGENTS)
    struct.pack_into("<HH", data, COUNTS, instruments, agents)
    data[INSTRUMENTS + instruments * ROW:AGENTS] = bytes(AGENTS - INSTRUMENTS - instruments * ROW)
    data[AGENTS + agents * AGENT_ROW:] = bytes(SIZE - AGENTS - agents * AGENT_ROW)
    return bytes(data)


def writer(fund: FakeFund, seconds: float) -> None:
    seq = fund.latest() + 1
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert fund.publish(fundos_abi.FundState.from_buffer_copy(published(seq))) == seq
        seq += 1


def test_every_copy_is_consistent(fund: FakeFund, agent: fundos.Agent) -> None:
    first = fundos_abi.FundState.from_buffer_copy(published(1))
    fund.publish(first)
    context = multiprocessing.get_context("fork")
    process = context.Process(target=writer, args=(fund, 1.0))
    process.start()
    reads = distinct = last = 0
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            snapshot = agent.latest_snapshot()
            assert snapshot is not None
            assert snapshot.raw == payload(snapshot.seq), f"torn copy of snapshot {snapshot.seq}"
            assert snapshot.seq >= last
            distinct += snapshot.seq != last
            last = snapshot.seq
            reads += 1
    finally:
        process.join(10)
    assert process.exitcode == 0
    assert reads > 100 and distinct > 10, (reads, distinct)


def test_waits_see_every_new_snapshot(fund: FakeFund, agent: fundos.Agent) -> None:
    context = multiprocessing.get_context("fork")
    process = context.Process(target=writer, args=(fund, 0.5))
    process.start()
    seen = 0
    last = 0
    try:
        while True:
            try:
                snapshot = agent.wait_snapshot(after_seq=last, timeout=0.3)
            except fundos.Timeout:
                break
            assert snapshot.seq > last
            assert snapshot.raw == payload(snapshot.seq)
            last = snapshot.seq
            seen += 1
    finally:
        process.join(10)
    assert seen > 10


def test_shrinking_counts_leave_no_stale_rows(fund: FakeFund, agent: fundos.Agent) -> None:
    full = fundos_abi.FundState.from_buffer_copy(b"\xa5" * SIZE)
    full.instrument_count, full.agent_count = fundos_abi.MAX_INSTRUMENTS, fundos_abi.MAX_AGENTS
    for _ in range(fundos_abi.SNAPSHOT_SLOTS):  # every slot holds every row
        fund.publish(full)
    for keep in (2, 1, 0):
        for _ in range(fundos_abi.SNAPSHOT_SLOTS):
            state = fundos_abi.FundState()
            state.instrument_count = state.agent_count = keep
            for i in range(keep):
                state.instruments[i].instrument_id = 100 + i
                state.instruments[i].status = fundos.InstrumentStatus.TRADING
                state.instruments[i].trading_state = fundos.TradingState.ACTIVE
                state.agents[i].agent_id = 200 + i
                state.agents[i].status = fundos.AgentStatus.ACTIVE
            fund.publish(state)
            snapshot = agent.latest_snapshot()
            assert snapshot is not None and snapshot.raw == bytes(state)
            assert [row.instrument_id for row in snapshot.instruments()] == [100 + i for i in range(keep)]
            assert [row.agent_id for row in snapshot.agents()] == [200 + i for i in range(keep)]
