"""Intents, reports, the book, heartbeats, quarantine and hang-up through the Python SDK, checked
against the bytes the fake Fund sees."""

from __future__ import annotations

import signal
import threading
import time
from decimal import Decimal

import fundos
import fundos_abi
import pytest
from sdk_fakefund import Attach, FakeFund, instrument


def publish_market(fund: FakeFund) -> int:
    state = fundos_abi.FundState()
    instrument(state, 0, 11, "SPY", 45_012_000_000)
    instrument(state, 1, 12, "BTC", 9_000_000_000_000, lot_size=1_000)
    return int(fund.publish(state))


def test_submit_fills_the_slot_exactly(fund: FakeFund, agent: fundos.Agent) -> None:
    publish_market(fund)
    assert agent.wait_snapshot(timeout=5).seq == 1
    intent_id = agent.submit(kind="ORDER", symbol="SPY", side="buy", qty=Decimal("2.5"), limit_price=450.1,
                             client_tag=42)
    assert intent_id == 1
    slot = fund.intents().ring[0]
    assert slot.commit == 1
    assert (slot.intent_id, slot.agent_id, slot.snapshot_seq, slot.instrument_id) == (1, 7, 1, 11)
    assert slot.kind == fundos.IntentKind.ORDER and slot.side == fundos.Side.BUY
    assert slot.order_type == fundos.OrderType.LIMIT and slot.time_in_force == fundos.TimeInForce.DAY
    assert (slot.qty, slot.limit_price, slot.client_tag, slot.ref_intent_id) == (2_500_000, 45_010_000_000, 42, 0)
    assert bytes(slot.pad_44) == bytes(4) and bytes(slot.reserved_72) == bytes(56)

    assert agent.submit(kind=fundos.IntentKind.ORDER, instrument_id=12, side=fundos.Side.SELL, qty=0.001) == 2
    slot = fund.intents().ring[1]
    assert (slot.qty, slot.order_type, slot.limit_price, slot.instrument_id) == (1_000, fundos.OrderType.MARKET, 0, 12)
    assert agent.submit(kind="TARGET_POSITION", symbol="BTC", qty=-0.5) == 3
    assert fund.intents().ring[2].qty == -500_000 and fund.intents().ring[2].side == fundos.Side.NONE
    assert agent.submit(kind="CANCEL", ref_intent_id=1) == 4
    assert fund.intents().ring[3].ref_intent_id == 1
    assert agent.submit(kind="FLATTEN", instrument_id=11, intent_id=10) == 10
    assert agent.end_of_answer() == 11
    end = fund.intents().ring[5]
    assert end.kind == fundos.IntentKind.END_OF_ANSWER and end.snapshot_seq == 1 and end.commit == 6
    assert agent.status().intents_submitted == 6 and agent.status().last_intent_id == 11


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"kind": "BUY"}, fundos.InvalidArgument, "kind must be one of TARGET_POSITION, ORDER"),
        ({"kind": "ORDER", "symbol": "SPY", "qty": 1}, fundos.InvalidArgument, "needs side"),
        ({"kind": "ORDER", "side": "BUY", "qty": 1}, fundos.InvalidArgument, "needs instrument_id or symbol"),
        ({"kind": "ORDER", "symbol": "IWM", "side": "BUY", "qty": 1}, fundos.InvalidArgument, "no instrument 'IWM'"),
        ({"kind": "ORDER", "symbol": "SPY", "instrument_id": 11, "side": "BUY", "qty": 1}, fundos.InvalidArgument,
         "not both"),
        ({"kind": "ORDER", "symbol": "SPY", "side": "UP", "qty": 1}, fundos.InvalidArgument, "side must be"),
        ({"kind": "ORDER", "symbol": "SPY", "side": "BUY", "qty": float("nan")}, fundos.FixedPointError, "qty is NaN"),
        ({"kind": "ORDER", "symbol": "SPY", "side": "BUY", "qty": 1, "limit_price": 1e12}, fundos.FixedPointError,
         "limit_price 1000000000000.0 is out of range"),
        ({"kind": "CANCEL"}, fundos.InvalidArgument, "needs ref_intent_id"),
        ({"kind": "TARGET_POSITION", "symbol": "SPY"}, fundos.InvalidArgument, "needs qty"),
        ({"kind": "END_OF_ANSWER", "client_tag": -1}, fundos.InvalidArgument, "client_tag must be"),
        ({"kind": "ORDER", "symbol": "SPY", "side": "BUY", "qty": 9_223_372_036_855}, fundos.FixedPointError,
         "qty 9223372036855 is out of range"),
        ({"kind": "ORDER", "instrument_id": 11, "side": "BUY", "qty": True}, fundos.FixedPointError, "not a bool"),
        ({"kind": "ORDER", "instrument_id": 2**32, "side": "BUY", "qty": 1}, fundos.InvalidArgument,
         "instrument_id must be an int in 0..2\\*\\*32-1"),
        ({"kind": "ORDER", "instrument_id": 11, "side": 1, "qty": 1}, fundos.InvalidArgument, "side must be one of"),
        ({"kind": "END_OF_ANSWER", "intent_id": 1.0}, fundos.InvalidArgument, "intent_id must be"),
    ],
)
def test_submit_refuses_bad_arguments(fund: FakeFund, agent: fundos.Agent, kwargs: dict[str, object],
                                      error: type[fundos.FundosError], message: str) -> None:
    publish_market(fund)
    agent.wait_snapshot(timeout=5)
    with pytest.raises(error, match=message):
        agent.submit(**kwargs)  # type: ignore[arg-type]
    assert fund.intents().ring[0].commit == 0  # nothing written


def test_explicit_ids_must_increase(fund: FakeFund, agent: fundos.Agent) -> None:
    assert agent.submit(kind="END_OF_ANSWER", intent_id=5) == 5
    with pytest.raises(fundos.InvalidArgument):
        agent.submit(kind="END_OF_ANSWER", intent_id=5)
    assert agent.submit(kind="END_OF_ANSWER") == 6


def test_ring_full(fund: FakeFund, agent: fundos.Agent) -> None:
    for _ in range(fundos_abi.INTENT_RING_SLOTS):
        agent.end_of_answer()
    with pytest.raises(fundos.RingFull, match="intent ring is full"):
        agent.end_of_answer()
    fund.report_control().intents_consumed = 3
    for _ in range(3):
        agent.end_of_answer()
    with pytest.raises(fundos.RingFull):
        agent.end_of_answer()
    assert fund.intents().ring[2].commit == fundos_abi.INTENT_RING_SLOTS + 3


def test_ring_full_waits_when_asked(fund: FakeFund) -> None:
    fund.serve()
    with fundos.Agent(fund.path, 7, ring_full="wait", ring_full_timeout=5.0) as agent:
        fund.join()
        for _ in range(fundos_abi.INTENT_RING_SLOTS):
            agent.end_of_answer()
        timer = threading.Timer(0.05, lambda: setattr(fund.report_control(), "intents_consumed", 1))
        timer.start()
        started = time.monotonic()
        assert agent.end_of_answer() == fundos_abi.INTENT_RING_SLOTS + 1  # waited for the Fund (GIL released)
        assert 0.04 < time.monotonic() - started < 4
        timer.join()


def report(intent_id: int, kind: int = fundos_abi.ReportKind.FILLED, reason: int = 0) -> fundos_abi.IntentReport:
    out = fundos_abi.IntentReport()
    out.intent_id = intent_id
    out.kind = kind
    out.side = fundos_abi.Side.BUY
    out.reason = reason
    out.instrument_id = 11
    out.fill_qty = 1_500_000
    out.fill_price = 45_012_000_000
    out.fee = 10_000
    return out


def test_reports_are_decoded(fund: FakeFund, agent: fundos.Agent) -> None:
    assert agent.reports() == []
    fund.write_report(report(1, fundos_abi.ReportKind.ACCEPTED))
    fund.write_report(report(1))
    fund.write_report(report(2, fundos_abi.ReportKind.REJECTED, fundos_abi.RejectReason.PRICE_COLLAR))
    fund.write_report(report(3, kind=99))  # unknown kind: ignored
    fund.write_report(report(4, fundos_abi.ReportKind.REJECTED, reason=200))  # unknown reason: kept as a number
    reports = agent.reports()
    assert [(r.intent_id, r.kind) for r in reports] == [
        (1, fundos.ReportKind.ACCEPTED), (1, fundos.ReportKind.FILLED), (2, fundos.ReportKind.REJECTED),
        (4, fundos.ReportKind.REJECTED),
    ]
    filled = reports[1]
    assert (filled.fill_qty, filled.fill_price, filled.fee, filled.side) == (1.5, 450.12, 0.01, fundos.Side.BUY)
    assert reports[2].reason is fundos.RejectReason.PRICE_COLLAR and reports[2].reason_name == "PRICE_COLLAR"
    assert reports[3].reason == 200 and reports[3].reason_name == "UNKNOWN_200"
    assert agent.ignored_reports == 1
    with pytest.raises(AttributeError):
        filled.fill_qty = 2.0  # type: ignore[misc]
    assert agent.reports() == []


def test_lost_reports_are_reported_once(fund: FakeFund, agent: fundos.Agent) -> None:
    for intent_id in range(1, 301):
        fund.write_report(report(intent_id))
    with pytest.raises(fundos.ReportsLost) as caught:
        agent.reports()
    assert caught.value.lost == 300 - fundos_abi.REPORT_RING_SLOTS + 1
    reports = agent.reports()
    assert [r.intent_id for r in reports] == list(range(300 - fundos_abi.REPORT_RING_SLOTS + 2, 301))
    assert agent.status().reports_lost == caught.value.lost
    for intent_id in range(301, 301 + fundos_abi.REPORT_RING_SLOTS + 10):  # lap it again: 11 more lost
        fund.write_report(report(intent_id))
    with pytest.raises(fundos.ReportsLost) as again:
        agent.reports()
    assert again.value.lost == 11
    assert agent.reports()[0].intent_id == 301 + 11


def test_book(fund: FakeFund, agent: fundos.Agent) -> None:
    assert agent.book() is None
    book = fundos_abi.AgentBook()
    book.seq = 4
    book.account.agent_id = 7
    book.account.capital = 1_000_000_000_000
    book.account.intents_accepted = 3
    book.position_count = 1
    book.positions[0].instrument_id = 11
    book.positions[0].qty = -2_000_000
    book.positions[0].avg_cost = 45_000_000_000
    fund.write_book(book)
    out = agent.book()
    assert out is not None and out.seq == 4
    assert out.account.capital == 1_000_000.0 and out.account.intents_accepted == 3
    position = out.position(11)
    assert position is not None and (position.qty, position.avg_cost) == (-2.0, 450.0)
    assert out.position(12) is None


def test_heartbeat(fund: FakeFund, agent: fundos.Agent) -> None:
    agent.heartbeat()
    agent.heartbeat(3)
    heartbeat = fund.intents().heartbeat
    assert (heartbeat.counter, heartbeat.answered_seq) == (2, 3)
    agent.heartbeat()
    assert (heartbeat.counter, heartbeat.answered_seq) == (3, 3)


def test_quarantine(fund: FakeFund, agent: fundos.Agent) -> None:
    control = fund.report_control()
    control.status = fundos_abi.AgentStatus.SUSPENDED
    assert not agent.status().quarantined  # suspended by the operator: intents still read (and rejected)
    control.quarantine_reason = fundos_abi.RejectReason.CORRUPT_SLOT
    state = agent.status()
    assert state.quarantined and state.status is fundos.AgentStatus.SUSPENDED
    assert state.quarantine_reason is fundos.RejectReason.CORRUPT_SLOT
    with pytest.raises(fundos.Quarantined, match="quarantined agent 7 \\(CORRUPT_SLOT\\)") as caught:
        agent.end_of_answer()
    assert caught.value.reason is fundos.RejectReason.CORRUPT_SLOT


def test_hang_up_ends_the_snapshot_loop(fund: FakeFund, agent: fundos.Agent) -> None:
    publish_market(fund)
    threading.Timer(0.1, fund.hang_up).start()
    seen = []
    with pytest.raises(fundos.Disconnected):
        for snapshot in agent.snapshots():
            seen.append(snapshot.seq)
    assert seen == [1]
    assert not agent.status().connected


def test_stop_ends_the_snapshot_loop(fund: FakeFund, agent: fundos.Agent) -> None:
    publish_market(fund)
    threading.Timer(0.1, agent.stop).start()
    started = time.monotonic()
    assert [snapshot.seq for snapshot in agent.snapshots()] == [1]
    assert time.monotonic() - started < 2


def test_signal_handler_runs_while_waiting(fund: FakeFund, agent: fundos.Agent) -> None:
    fired = []

    def handler(signo: int, frame: object) -> None:
        fired.append(signo)
        agent.stop()

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(fundos.Interrupted):
            agent.wait_snapshot(timeout=5)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fired == [signal.SIGALRM]


def test_one_handle_one_thread(fund: FakeFund, agent: fundos.Agent) -> None:
    errors: list[RuntimeError] = []

    def other_thread() -> None:
        time.sleep(0.1)
        try:
            agent.latest_snapshot()
        except RuntimeError as error:
            errors.append(error)

    thread = threading.Thread(target=other_thread)
    thread.start()
    with pytest.raises(fundos.Timeout):
        agent.wait_snapshot(timeout=0.3)
    thread.join()
    assert len(errors) == 1
    assert "one agent handle belongs to one thread" in str(errors[0])


def test_new_attach_continues_intent_ids_from_the_book(fund: FakeFund) -> None:
    def hook(attach: Attach) -> None:
        book = fundos_abi.AgentBook()
        book.account.last_intent_id = 41
        fund.write_book(book)

    fund.serve(hook)
    with fundos.Agent(fund.path, 7) as agent:
        fund.join()
        assert agent.end_of_answer() == 42


# Keyword arguments of submit(), and whether the C++ layer packs them itself (the fast path) or
# hands them back to the Python checks; either way the record must be the one the Python checks
# build.
SUBMITS: list[tuple[dict[str, object], bool]] = [
    ({"kind": "ORDER", "instrument_id": 11, "side": "BUY", "qty": 2, "limit_price": 450.1, "client_tag": 42}, True),
    ({"kind": fundos.IntentKind.ORDER, "instrument_id": 12, "side": fundos.Side.SELL, "qty": 0.001,
      "order_type": fundos.OrderType.MARKET, "time_in_force": fundos.TimeInForce.IOC}, True),
    ({"kind": "ORDER", "instrument_id": 11, "side": "SELL", "qty": 1.5, "order_type": "LIMIT",
      "time_in_force": "GTC", "limit_price": 12, "snapshot_seq": 1}, True),
    ({"kind": "TARGET_POSITION", "instrument_id": 12, "qty": -0.5}, True),
    ({"kind": "CANCEL", "ref_intent_id": 1}, True),
    ({"kind": "FLATTEN", "instrument_id": 11}, True),
    ({"kind": "END_OF_ANSWER", "snapshot_seq": 1, "client_tag": 2**64 - 1}, True),
    ({"kind": "ORDER", "instrument_id": 11, "side": "BUY", "qty": 123.456789, "limit_price": 0.1}, True),
    ({"kind": "order", "instrument_id": 11, "side": "buy", "qty": 1}, False),  # names in another case
    ({"kind": "ORDER", "symbol": "SPY", "side": "BUY", "qty": 1}, False),  # a symbol to look up
    ({"kind": "ORDER", "instrument_id": 11, "side": "BUY", "qty": Decimal("2.5")}, False),
    ({"kind": "ORDER", "instrument_id": 11, "side": "BUY", "qty": 0.0000005}, False),  # a tie: to even
    ({"kind": "ORDER", "instrument_id": 11, "side": "BUY", "qty": 1, "limit_price": 1e4 + 0.000000005}, False),
    ({"kind": "ORDER", "instrument_id": 11, "side": "BUY", "qty": 9_223_372_036_854}, True),  # the largest int qty
]


@pytest.mark.parametrize(("kwargs", "fast"), SUBMITS)
def test_fast_and_checked_submits_build_the_same_record(fund: FakeFund, agent: fundos.Agent,
                                                        kwargs: dict[str, object], fast: bool) -> None:
    publish_market(fund)
    agent.wait_snapshot(timeout=5)
    args = [kwargs.get(name, default) for name, default in (
        ("kind", None), ("instrument_id", None), ("symbol", None), ("side", None), ("qty", None),
        ("limit_price", None), ("order_type", None), ("time_in_force", None), ("ref_intent_id", 0),
        ("client_tag", 0), ("snapshot_seq", None), ("intent_id", None))]
    first = agent._core.submit_fields(*args)  # the fast path alone
    if fast:
        assert first == 1
    else:
        assert first is None
        assert agent.submit(**kwargs) == 1  # type: ignore[arg-type]
    assert agent._submit_checked(*args) == 2  # type: ignore[arg-type]
    ring = fund.intents().ring
    one, two = bytearray(bytes(ring[0])), bytearray(bytes(ring[1]))
    assert (ring[0].commit, ring[0].intent_id, ring[1].commit, ring[1].intent_id) == (1, 1, 2, 2)
    for record in (one, two):
        record[0:16] = bytes(16)  # commit, intent_id
    assert one == two


def test_fixed_point_fast_paths_round_like_decimal(fund: FakeFund, agent: fundos.Agent) -> None:
    """The C++ layer's int and float conversions give what fundos.qty_to_raw / price_to_raw give."""
    publish_market(fund)
    agent.wait_snapshot(timeout=5)
    values: list[float | int] = [0.1, 0.2, 0.3, 1e-6, 4.5e-7, 1.0000005, 2.675, 450.12, 123.45678901, -2.5, 1e6 + 0.1,
                                 9_223_372.036854, 7, -12, 0, 1_000_000]
    seq = 0
    for value in values:
        for field in ("qty", "limit_price"):
            kwargs: dict[str, object] = {"kind": "ORDER", "instrument_id": 11, "side": "BUY", "qty": 1, field: value}
            try:
                expected = (fundos.qty_to_raw(value) if field == "qty"
                            else fundos.price_to_raw(value, what="limit_price"))
            except fundos.FixedPointError:
                continue
            agent.submit(**kwargs)  # type: ignore[arg-type]
            record = fund.intents().ring[seq % fundos_abi.INTENT_RING_SLOTS]
            assert getattr(record, field) == expected, (field, value)
            seq += 1
            fund.report_control().intents_consumed = seq


def test_reports_convert_large_fixed_point_exactly(fund: FakeFund, agent: fundos.Agent) -> None:
    big = report(1)
    big.fill_qty = 2**60 + 1
    big.fill_price = -(2**62) - 3
    big.fee = 2**53 + 1
    big.remaining_qty = 2**53
    fund.write_report(big)
    (got,) = agent.reports()
    assert got.fill_qty == (2**60 + 1) / 10**6
    assert got.fill_price == (-(2**62) - 3) / 10**8
    assert got.fee == (2**53 + 1) / 10**6
    assert got.remaining_qty == 2**53 / 10**6
    assert got == fundos.Report.from_record(big)
    assert isinstance(got, fundos.Report) and got._fields[0] == "intent_id"
