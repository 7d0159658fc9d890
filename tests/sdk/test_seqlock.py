"""The C core's seqlock reader, through the Python SDK, against a writer in another process that
publishes snapshots as fast as it can with the Fund's writer protocol (sdk_fakefund.publish).
Every 8-byte word after `seq` holds a value derived from seq, so a torn copy cannot pass."""

from __future__ import annotations

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


def word(seq: int) -> int:
    return (seq * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF


def payload(seq: int) -> bytes:
    size = len(bytes(fundos_abi.FundState()))
    return struct.pack("<Q", seq) + struct.pack("<Q", word(seq)) * (size // 8 - 1)


def writer(fund: FakeFund, seconds: float) -> None:
    seq = fund.latest() + 1
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert fund.publish(fundos_abi.FundState.from_buffer_copy(payload(seq))) == seq
        seq += 1


def test_every_copy_is_consistent(fund: FakeFund, agent: fundos.Agent) -> None:
    first = fundos_abi.FundState.from_buffer_copy(payload(1))
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
