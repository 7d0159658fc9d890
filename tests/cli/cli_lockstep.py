"""A lock-step Fund for the example agents' tests, over tests/sdk's FakeFund.

Each :meth:`LockstepFund.step` publishes one snapshot, then reads the agent's intent ring until
the END_OF_ANSWER for that snapshot arrives (as the real Fund does), marks the records consumed,
and applies a toy execution: TARGET_POSITION sets the position, ORDER MARKET fills at once at
the touch, ORDER LIMIT stays working until canceled, FLATTEN closes the position. Intents on an
instrument not in ``mapped`` are rejected with INSTRUMENT_NOT_MAPPED. Reports and the book are
written before the next snapshot, as the Fund does between steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import fundos_abi
from sdk_fakefund import FakeFund, instrument

PRICE = 100_000_000  # raw Price units per 1.0
QTY = 1_000_000  # raw Quantity units per 1.0


@dataclass
class Quote:
    """One instrument in a snapshot: id, symbol and the last price (raw); bid/ask one tick
    (0.01) around it when ``quoted``."""

    instrument_id: int
    symbol: str
    last: int
    quoted: bool = True


@dataclass
class LockstepFund:
    fake: FakeFund
    mapped: set[int]
    seq: int = 0
    consumed: int = 0
    intents: list[fundos_abi.IntentRecord] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)
    working: dict[int, fundos_abi.IntentRecord] = field(default_factory=dict)  # intent id -> order

    def step(self, quotes: list[Quote], timeout: float = 10.0) -> list[fundos_abi.IntentRecord]:
        """Publish a snapshot of ``quotes``; return the intents the agent answered it with
        (END_OF_ANSWER last)."""
        state = fundos_abi.FundState()
        state.trading_state = fundos_abi.TradingState.ACTIVE
        state.mode = fundos_abi.Mode.SIMULATION
        for index, quote in enumerate(quotes):
            instrument(state, index, quote.instrument_id, quote.symbol, quote.last)
            if not quote.quoted:
                state.instruments[index].bid = 0
                state.instruments[index].ask = 0
        self.seq = self.fake.publish(state)
        answer: list[fundos_abi.IntentRecord] = []
        ring = self.fake.intents().ring
        deadline = time.monotonic() + timeout
        while True:
            slot = ring[self.consumed % fundos_abi.INTENT_RING_SLOTS]
            if slot.commit != self.consumed + 1:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no END_OF_ANSWER for snapshot {self.seq} within {timeout} s; got {answer}")
                time.sleep(0.0005)
                continue
            record = fundos_abi.IntentRecord.from_buffer_copy(slot)
            self.consumed += 1
            self.fake.report_control().intents_consumed = self.consumed
            answer.append(record)
            if record.kind == fundos_abi.IntentKind.END_OF_ANSWER:
                assert record.snapshot_seq == self.seq, f"END_OF_ANSWER for {record.snapshot_seq}, not {self.seq}"
                break
        self.answered.append(self.seq)
        self.intents.extend(answer)
        for record in answer:
            self._execute(record, {quote.instrument_id: quote for quote in quotes})
        self._write_book()
        return answer

    def _report(self, record: fundos_abi.IntentRecord, kind: int, *, reason: int = 0, fill_qty: int = 0,
                fill_price: int = 0, remaining: int = 0) -> None:
        report = fundos_abi.IntentReport()
        report.intent_id = record.intent_id
        report.snapshot_seq = record.snapshot_seq
        report.instrument_id = record.instrument_id
        report.kind = kind
        report.side = record.side
        report.reason = reason
        report.fill_qty = fill_qty
        report.fill_price = fill_price
        report.remaining_qty = remaining
        self.fake.write_report(report)

    def _execute(self, record: fundos_abi.IntentRecord, quotes: dict[int, Quote]) -> None:
        kinds = fundos_abi.IntentKind
        if record.kind == kinds.END_OF_ANSWER:
            return
        if record.kind != kinds.CANCEL and record.instrument_id not in self.mapped:
            self._report(record, fundos_abi.ReportKind.REJECTED, reason=fundos_abi.RejectReason.INSTRUMENT_NOT_MAPPED)
            return
        iid = record.instrument_id
        if record.kind == kinds.TARGET_POSITION:
            self.positions[iid] = record.qty
            self._report(record, fundos_abi.ReportKind.ACCEPTED)
        elif record.kind == kinds.FLATTEN:
            self.positions[iid] = 0
            self._report(record, fundos_abi.ReportKind.ACCEPTED)
        elif record.kind == kinds.CANCEL:
            order = self.working.pop(record.ref_intent_id, None)
            if order is None:
                self._report(record, fundos_abi.ReportKind.REJECTED, reason=fundos_abi.RejectReason.UNKNOWN_ORDER)
            else:
                self._report(order, fundos_abi.ReportKind.CANCELED, remaining=order.qty)
        elif record.kind == kinds.ORDER and record.order_type == fundos_abi.OrderType.MARKET:
            signed = record.qty if record.side == fundos_abi.Side.BUY else -record.qty
            self.positions[iid] = self.positions.get(iid, 0) + signed
            self._report(record, fundos_abi.ReportKind.ACCEPTED)
            self._report(record, fundos_abi.ReportKind.FILLED, fill_qty=record.qty, fill_price=quotes[iid].last)
        elif record.kind == kinds.ORDER:
            self.working[record.intent_id] = record
            self._report(record, fundos_abi.ReportKind.ACCEPTED, remaining=record.qty)

    def _write_book(self) -> None:
        book = fundos_abi.AgentBook()
        book.seq = self.seq
        ids = sorted(set(self.positions) | {order.instrument_id for order in self.working.values()})
        for row, iid in enumerate(ids):
            position = book.positions[row]
            position.instrument_id = iid
            position.qty = self.positions.get(iid, 0)
            position.working_qty = sum(order.qty if order.side == fundos_abi.Side.BUY else -order.qty
                                       for order in self.working.values() if order.instrument_id == iid)
        book.position_count = len(ids)
        self.fake.write_book(book)
