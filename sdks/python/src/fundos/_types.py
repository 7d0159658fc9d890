"""Immutable values the SDK hands out: snapshots, instruments, reports, the book.

Each is built from a private copy of the bytes the C core copied out of shared memory, decoded
through the generated ctypes mirrors in :mod:`fundos_abi`; fixed-point fields become floats
(raw times 10^-decimals of their ABI type).
"""

from __future__ import annotations

import ctypes
import enum
from dataclasses import dataclass
from typing import TypeVar

import fundos_abi
from fundos_abi import (
    AgentStatus,
    InstrumentStatus,
    Mode,
    RejectReason,
    ReportKind,
    Side,
    TradingState,
)

from fundos._errors import ProtocolError
from fundos._fixed import money, price, qty

E = TypeVar("E", bound=enum.IntEnum)


def _strict(enum_type: type[E], value: int, where: str) -> E:
    """Enums whose readers reject unknown values (on_unknown: reject)."""
    try:
        return enum_type(value)
    except ValueError:
        raise ProtocolError(
            f"{where} holds {value}, which is not a {enum_type.__name__} of ABI "
            f"{fundos_abi.ABI_VERSION_MAJOR}.{fundos_abi.ABI_VERSION_MINOR}"
        ) from None


def _lenient(enum_type: type[E], value: int) -> E | int:
    """Enums whose readers ignore unknown values (on_unknown: ignore): the number stays."""
    try:
        return enum_type(value)
    except ValueError:
        return value


def _symbol(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", errors="replace")


@dataclass(frozen=True, slots=True)
class Instrument:
    """One row of the snapshot's instrument table. Prices and sizes are floats converted from the
    ABI's fixed point; times are nanoseconds since the epoch."""

    instrument_id: int
    symbol: str
    status: InstrumentStatus
    trading_state: TradingState
    tick_size: float
    lot_size: float
    bid: float
    ask: float
    last: float
    bid_size: float
    ask_size: float
    last_size: float
    quote_time: int
    trade_time: int
    session_volume: float

    @classmethod
    def from_entry(cls, entry: fundos_abi.InstrumentEntry) -> Instrument:
        where = f"instrument {entry.instrument_id}"
        return cls(
            instrument_id=entry.instrument_id,
            symbol=_symbol(bytes(entry.symbol)),
            status=_strict(InstrumentStatus, entry.status, f"{where}: status"),
            trading_state=_strict(TradingState, entry.trading_state, f"{where}: trading_state"),
            tick_size=price(entry.tick_size),
            lot_size=qty(entry.lot_size),
            bid=price(entry.bid),
            ask=price(entry.ask),
            last=price(entry.last),
            bid_size=qty(entry.bid_size),
            ask_size=qty(entry.ask_size),
            last_size=qty(entry.last_size),
            quote_time=entry.quote_time,
            trade_time=entry.trade_time,
            session_volume=qty(entry.session_volume),
        )


@dataclass(frozen=True, slots=True)
class AgentView:
    """One row of the snapshot's agent table: an agent as the Fund sees it."""

    agent_id: int
    status: AgentStatus
    trading_state: TradingState | int
    generation: int
    lease_ns: int
    heartbeat_seen: int
    last_answered_seq: int

    @classmethod
    def from_slot(cls, slot: fundos_abi.AgentSlot) -> AgentView:
        return cls(
            agent_id=slot.agent_id,
            status=_strict(AgentStatus, slot.status, f"agent {slot.agent_id}: status"),
            # an EMPTY or DETACHED row may carry 0 here
            trading_state=_lenient(TradingState, slot.trading_state),
            generation=slot.generation,
            lease_ns=slot.lease,
            heartbeat_seen=slot.heartbeat_seen,
            last_answered_seq=slot.last_answered_seq,
        )


class Snapshot:
    """One consistent FundState, copied out of shared memory by the C core's seqlock reader.

    Immutable: it holds the copy's bytes (:attr:`raw`). :attr:`state` decodes them into the
    generated ctypes struct :class:`fundos_abi.FundState` (a fresh copy on every access; keep a
    reference if you read many fields), and the properties and methods here decode the common
    fields, with fixed point converted to floats.
    """

    __slots__ = ("_instruments", "_raw", "_state")

    _raw: bytes
    _state: fundos_abi.FundState
    _instruments: tuple[Instrument, ...] | None

    def __init__(self, raw: bytes) -> None:
        if len(raw) != ctypes.sizeof(fundos_abi.FundState):
            raise ValueError(f"a FundState is {ctypes.sizeof(fundos_abi.FundState)} bytes, got {len(raw)}")
        object.__setattr__(self, "_raw", bytes(raw))
        object.__setattr__(self, "_state", fundos_abi.FundState.from_buffer_copy(raw))
        object.__setattr__(self, "_instruments", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Snapshot is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Snapshot is immutable")

    def __repr__(self) -> str:
        return f"<Snapshot seq={self.seq} instruments={self.instrument_count} nav={self.nav}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    @property
    def raw(self) -> bytes:
        """The FundState bytes, exactly as copied."""
        return self._raw

    @property
    def state(self) -> fundos_abi.FundState:
        """A fresh ctypes copy of the whole FundState (yours to change; the snapshot stays)."""
        return fundos_abi.FundState.from_buffer_copy(self._raw)

    @property
    def seq(self) -> int:
        """Snapshot sequence number; strictly increasing."""
        return int(self._state.seq)

    @property
    def clock(self) -> int:
        """The Fund's clock at this step, ns since the epoch (simulated in simulation mode)."""
        return int(self._state.clock)

    @property
    def mode(self) -> Mode:
        return _strict(Mode, self._state.mode, "FundState.mode")

    @property
    def trading_state(self) -> TradingState:
        """Fund-wide permission; HALTED when the kill switch is on."""
        return _strict(TradingState, self._state.trading_state, "FundState.trading_state")

    @property
    def nav(self) -> float:
        return money(self._state.nav)

    @property
    def cash(self) -> float:
        return money(self._state.cash)

    @property
    def gross_exposure(self) -> float:
        return money(self._state.gross_exposure)

    @property
    def net_exposure(self) -> float:
        return money(self._state.net_exposure)

    @property
    def realized_pnl(self) -> float:
        return money(self._state.realized_pnl)

    @property
    def unrealized_pnl(self) -> float:
        return money(self._state.unrealized_pnl)

    @property
    def fees(self) -> float:
        return money(self._state.fees)

    @property
    def instrument_count(self) -> int:
        return min(int(self._state.instrument_count), fundos_abi.MAX_INSTRUMENTS)

    def instruments(self) -> tuple[Instrument, ...]:
        """The instrument table's rows in use."""
        if self._instruments is None:
            rows = tuple(Instrument.from_entry(self._state.instruments[i]) for i in range(self.instrument_count))
            object.__setattr__(self, "_instruments", rows)
            return rows
        return self._instruments

    def instrument(self, key: str | int) -> Instrument:
        """The instrument with this symbol (``"SPY"``) or id; KeyError when there is none."""
        for row in self.instruments():
            if (row.symbol == key) if isinstance(key, str) else (row.instrument_id == key):
                return row
        known = ", ".join(row.symbol for row in self.instruments()) or "none"
        raise KeyError(f"no instrument {key!r} in snapshot {self.seq} (known: {known})")

    def agents(self) -> tuple[AgentView, ...]:
        """The agent table's rows in use."""
        count = min(int(self._state.agent_count), fundos_abi.MAX_AGENTS)
        return tuple(AgentView.from_slot(self._state.agents[i]) for i in range(count))

    def agent(self, agent_id: int) -> AgentView:
        """The agent table row of ``agent_id``; KeyError when there is none."""
        for row in self.agents():
            if row.agent_id == agent_id:
                return row
        raise KeyError(f"no agent {agent_id} in snapshot {self.seq}")


@dataclass(frozen=True, slots=True)
class Report:
    """What the Fund reported about one of this agent's intents. ``reason`` and ``side`` keep
    their number when this SDK does not know the value."""

    intent_id: int
    client_tag: int
    snapshot_seq: int
    clock: int
    instrument_id: int
    kind: ReportKind
    side: Side | int
    reason: RejectReason | int
    fill_qty: float
    fill_price: float
    fee: float
    remaining_qty: float

    @property
    def reason_name(self) -> str:
        """``reason`` as a name (``"UNKNOWN_22"`` for a number this SDK does not know)."""
        return self.reason.name if isinstance(self.reason, RejectReason) else f"UNKNOWN_{self.reason}"

    @classmethod
    def from_record(cls, record: fundos_abi.IntentReport) -> Report | None:
        """None for a report of a kind this SDK does not know (readers ignore those)."""
        kind = _lenient(ReportKind, record.kind)
        if not isinstance(kind, ReportKind):
            return None
        return cls(
            intent_id=record.intent_id,
            client_tag=record.client_tag,
            snapshot_seq=record.snapshot_seq,
            clock=record.clock,
            instrument_id=record.instrument_id,
            kind=kind,
            side=_lenient(Side, record.side),
            reason=_lenient(RejectReason, record.reason),
            fill_qty=qty(record.fill_qty),
            fill_price=price(record.fill_price),
            fee=money(record.fee),
            remaining_qty=qty(record.remaining_qty),
        )


@dataclass(frozen=True, slots=True)
class Position:
    """This agent's position in one instrument."""

    instrument_id: int
    qty: float
    avg_cost: float
    realized_pnl: float
    unrealized_pnl: float
    fees: float
    working_qty: float


@dataclass(frozen=True, slots=True)
class Account:
    """This agent's capital and results."""

    agent_id: int
    capital: float
    cash: float
    equity: float
    gross_exposure: float
    net_exposure: float
    realized_pnl: float
    unrealized_pnl: float
    fees: float
    intents_accepted: int
    intents_rejected: int
    last_intent_id: int


@dataclass(frozen=True, slots=True)
class Book:
    """This agent's own account and positions as of snapshot ``seq``."""

    seq: int
    account: Account
    positions: tuple[Position, ...]

    def position(self, instrument_id: int) -> Position | None:
        for row in self.positions:
            if row.instrument_id == instrument_id:
                return row
        return None

    @classmethod
    def from_bytes(cls, raw: bytes) -> Book:
        book = fundos_abi.AgentBook.from_buffer_copy(raw)
        a = book.account
        account = Account(
            agent_id=a.agent_id, capital=money(a.capital), cash=money(a.cash), equity=money(a.equity),
            gross_exposure=money(a.gross_exposure), net_exposure=money(a.net_exposure),
            realized_pnl=money(a.realized_pnl), unrealized_pnl=money(a.unrealized_pnl), fees=money(a.fees),
            intents_accepted=a.intents_accepted, intents_rejected=a.intents_rejected,
            last_intent_id=a.last_intent_id,
        )
        positions = tuple(
            Position(
                instrument_id=p.instrument_id, qty=qty(p.qty), avg_cost=price(p.avg_cost),
                realized_pnl=money(p.realized_pnl), unrealized_pnl=money(p.unrealized_pnl), fees=money(p.fees),
                working_qty=qty(p.working_qty),
            )
            for p in (book.positions[i] for i in range(min(int(book.position_count), fundos_abi.MAX_INSTRUMENTS)))
        )
        return cls(seq=book.seq, account=account, positions=positions)


@dataclass(frozen=True, slots=True)
class AgentState:
    """What the SDK knows about this agent's attachment (:meth:`fundos.Agent.status`)."""

    agent_id: int
    slot: int
    abi_major: int
    abi_minor: int
    status: AgentStatus | int
    quarantined: bool
    quarantine_reason: RejectReason | int
    connected: bool
    generation: int
    intents_submitted: int
    intents_consumed: int
    reports_written: int
    reports_read: int
    reports_lost: int
    last_intent_id: int
    last_snapshot_seq: int

    @classmethod
    def from_dict(cls, values: dict[str, int | bool]) -> AgentState:
        return cls(
            agent_id=int(values["agent_id"]), slot=int(values["slot"]), abi_major=int(values["abi_major"]),
            abi_minor=int(values["abi_minor"]), status=_lenient(AgentStatus, int(values["status"])),
            quarantined=bool(values["quarantined"]),
            quarantine_reason=_lenient(RejectReason, int(values["quarantine_reason"])),
            connected=bool(values["connected"]), generation=int(values["generation"]),
            intents_submitted=int(values["intents_submitted"]), intents_consumed=int(values["intents_consumed"]),
            reports_written=int(values["reports_written"]), reports_read=int(values["reports_read"]),
            reports_lost=int(values["reports_lost"]), last_intent_id=int(values["last_intent_id"]),
            last_snapshot_seq=int(values["last_snapshot_seq"]),
        )
