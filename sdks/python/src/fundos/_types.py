"""Immutable values the SDK hands out: snapshots, instruments, reports, the book.

The hot ones are light: a :class:`Snapshot` keeps the bytes the C core copied (the head of
FundState and the rows in use) and decodes a field only when it is read; :class:`Instrument`,
:class:`AgentView` and :class:`Report` are named tuples (reports are built by the C++ binding).
Fixed-point fields become floats (raw times 10^-decimals of their ABI type, correctly rounded);
the layouts come from the generated ctypes mirrors in :mod:`fundos_abi`.
"""

from __future__ import annotations

import ctypes
import enum
import struct
from dataclasses import dataclass
from typing import Final, NamedTuple, TypeVar

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

from fundos import _core
from fundos._errors import ProtocolError
from fundos._fixed import MONEY_DECIMALS, PRICE_DECIMALS, QUANTITY_DECIMALS, money, price, qty

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


def _members(enum_type: type[E]) -> dict[int, E]:
    """value -> member, for lookups that must not pay for Enum.__call__."""
    return {int(member): member for member in enum_type}


def _table(enum_type: type[E]) -> list[E | None]:
    """Item v is the member of value v, None where there is none (for the C++ binding)."""
    members = _members(enum_type)
    return [members.get(value) for value in range(max(members) + 1)]


def _symbol(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", errors="replace")


_CODES: Final[dict[object, str]] = {ctypes.c_uint8: "B", ctypes.c_uint16: "H", ctypes.c_uint32: "I", ctypes.c_uint64: "Q",
                 ctypes.c_int64: "q"}


def _layout(struct_type: type[ctypes.Structure], names: tuple[str, ...]) -> struct.Struct:
    """A struct.Struct that unpacks ``names`` (in this order, which must be the layout's) from the
    bytes of ``struct_type``, at the generated offsets; everything between them is skipped."""
    types = {field[0]: field[1] for field in struct_type._fields_}
    fmt, at = "<", 0
    for name in names:
        field = getattr(struct_type, name)
        if field.offset < at:
            raise AssertionError(f"{struct_type.__name__}.{name} is out of layout order")
        fmt += "x" * (field.offset - at)
        ctype = types[name]
        fmt += _CODES.get(ctype, f"{field.size}s")  # char arrays: bytes
        at = field.offset + field.size
    layout = struct.Struct(fmt)
    assert layout.size <= ctypes.sizeof(struct_type)
    return layout


_HEAD_FIELDS: Final = ("seq", "clock", "mode", "trading_state", "instrument_count", "agent_count", "nav", "cash",
                       "gross_exposure", "net_exposure", "realized_pnl", "unrealized_pnl", "fees")
_HEAD: Final = _layout(fundos_abi.FundState, _HEAD_FIELDS)
_HEAD_SIZE: Final[int] = fundos_abi.FundState.instruments.offset
_INSTRUMENTS_AT: Final[int] = fundos_abi.FundState.instruments.offset
_AGENTS_AT: Final[int] = fundos_abi.FundState.agents.offset
_STATE_SIZE: Final[int] = ctypes.sizeof(fundos_abi.FundState)
_INSTRUMENT_SIZE: Final[int] = ctypes.sizeof(fundos_abi.InstrumentEntry)
_AGENT_SIZE: Final[int] = ctypes.sizeof(fundos_abi.AgentSlot)
_MAX_INSTRUMENTS: Final[int] = fundos_abi.MAX_INSTRUMENTS
_MAX_AGENTS: Final[int] = fundos_abi.MAX_AGENTS
_INSTRUMENT: Final = _layout(fundos_abi.InstrumentEntry, (
    "instrument_id", "status", "trading_state", "symbol", "tick_size", "lot_size", "bid", "ask", "last", "bid_size",
    "ask_size", "last_size", "quote_time", "trade_time", "session_volume"))
_AGENT: Final = _layout(fundos_abi.AgentSlot, (
    "agent_id", "status", "trading_state", "generation", "lease", "heartbeat_seen", "last_answered_seq"))
_SYMBOL_AT: Final[int] = fundos_abi.InstrumentEntry.symbol.offset
_SYMBOL_LEN: Final[int] = fundos_abi.InstrumentEntry.symbol.size
_ID_LEN: Final[int] = fundos_abi.InstrumentEntry.instrument_id.size
_PRICE_SCALE: Final[int] = 10**PRICE_DECIMALS
_QUANTITY_SCALE: Final[int] = 10**QUANTITY_DECIMALS
_MONEY_SCALE: Final[int] = 10**MONEY_DECIMALS
if _HEAD_SIZE != int(_core.FUND_STATE_HEAD_SIZE):  # pragma: no cover - the extension and fundos_abi disagree
    raise ImportError("fundos: fundos._core and fundos_abi disagree on the FundState head")

_INSTRUMENT_STATUSES: Final = _members(InstrumentStatus)
_TRADING_STATES: Final = _members(TradingState)
_AGENT_STATUSES: Final = _members(AgentStatus)
_MODES: Final = _members(Mode)
_tuple_new = tuple.__new__


class Instrument(NamedTuple):
    """One row of the snapshot's instrument table (a named tuple). Prices and sizes are floats
    converted from the ABI's fixed point; times are nanoseconds since the epoch."""

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
        return _instrument(bytes(entry), 0)


def _instrument(data: bytes, offset: int) -> Instrument:
    """The InstrumentEntry at ``offset`` of ``data``."""
    (instrument_id, status, trading_state, symbol, tick_size, lot_size, bid, ask, last, bid_size, ask_size, last_size,
     quote_time, trade_time, session_volume) = _INSTRUMENT.unpack_from(data, offset)
    status_member = _INSTRUMENT_STATUSES.get(status)
    if status_member is None:
        status_member = _strict(InstrumentStatus, status, f"instrument {instrument_id}: status")
    state_member = _TRADING_STATES.get(trading_state)
    if state_member is None:
        state_member = _strict(TradingState, trading_state, f"instrument {instrument_id}: trading_state")
    return _tuple_new(Instrument, (
        instrument_id, _symbol(symbol), status_member, state_member, tick_size / _PRICE_SCALE,
        lot_size / _QUANTITY_SCALE, bid / _PRICE_SCALE, ask / _PRICE_SCALE, last / _PRICE_SCALE,
        bid_size / _QUANTITY_SCALE, ask_size / _QUANTITY_SCALE, last_size / _QUANTITY_SCALE, quote_time, trade_time,
        session_volume / _QUANTITY_SCALE))


class AgentView(NamedTuple):
    """One row of the snapshot's agent table (a named tuple): an agent as the Fund sees it."""

    agent_id: int
    status: AgentStatus
    trading_state: TradingState | int
    generation: int
    lease_ns: int
    heartbeat_seen: int
    last_answered_seq: int

    @classmethod
    def from_slot(cls, slot: fundos_abi.AgentSlot) -> AgentView:
        return _agent_view(bytes(slot), 0)


def _agent_view(data: bytes, offset: int) -> AgentView:
    agent_id, status, trading_state, generation, lease, heartbeat_seen, last_answered_seq = _AGENT.unpack_from(
        data, offset)
    status_member = _AGENT_STATUSES.get(status)
    if status_member is None:
        status_member = _strict(AgentStatus, status, f"agent {agent_id}: status")
    # an EMPTY or DETACHED row may carry 0 as its trading state
    state: TradingState | int = _TRADING_STATES.get(trading_state, trading_state)
    return _tuple_new(AgentView, (agent_id, status_member, state, generation, lease, heartbeat_seen,
                                  last_answered_seq))


# Where each symbol's (and instrument id's) row was last seen, with the row's exact bytes: tables
# rarely change, so a lookup checks one row (bytes.startswith, no copy) and rebuilds the map from
# the snapshot at hand only when that row holds something else. Shared by every snapshot; always
# checked, so never wrong.
_symbol_rows: dict[str, tuple[int, bytes]] = {}
_id_rows: dict[int, tuple[int, bytes]] = {}


class Snapshot:
    """One consistent FundState, copied out of shared memory by the C core's seqlock reader.

    Immutable and lazy: it keeps the copy's head and the rows in use (the rows past the counts
    are zero) and decodes a field when it is read. :attr:`raw` is the whole FundState's bytes,
    :attr:`state` a fresh ctypes :class:`fundos_abi.FundState` made from them (keep a reference if
    you read many fields), and the properties and methods here decode the common fields, with
    fixed point converted to floats.
    """

    __slots__ = ("_cache", "_data", "_head", "_seq")

    _seq: int
    _data: bytes  # the head, instruments[0, n), agents[0, m), back to back
    _head: tuple[int, ...] | None
    _cache: dict[object, object] | None

    def __init__(self, raw: bytes) -> None:
        """A snapshot of ``raw``, the bytes of a whole FundState (as :attr:`raw` gives them)."""
        if len(raw) != _STATE_SIZE:
            raise ValueError(f"a FundState is {_STATE_SIZE} bytes, got {len(raw)}")
        raw = bytes(raw)
        head = _HEAD.unpack_from(raw)
        instruments = min(head[4], _MAX_INSTRUMENTS) * _INSTRUMENT_SIZE
        agents = min(head[5], _MAX_AGENTS) * _AGENT_SIZE
        self._seq = head[0]
        self._data = (raw[:_HEAD_SIZE] + raw[_INSTRUMENTS_AT:_INSTRUMENTS_AT + instruments]
                      + raw[_AGENTS_AT:_AGENTS_AT + agents])
        self._head = head
        self._cache = {"raw": raw}

    def __repr__(self) -> str:
        return f"<Snapshot seq={self.seq} instruments={self.instrument_count} nav={self.nav}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and other._data == self._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __reduce__(self) -> tuple[object, ...]:
        return (Snapshot, (self.raw,))

    def _fields(self) -> tuple[int, ...]:
        head = self._head
        if head is None:
            head = self._head = _HEAD.unpack_from(self._data)
        return head

    def _memo(self) -> dict[object, object]:
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        return cache

    @property
    def raw(self) -> bytes:
        """The whole FundState's bytes, as copied (rows past the counts are zero)."""
        cache = self._memo()
        raw = cache.get("raw")
        if not isinstance(raw, bytes):
            data = self._data
            instruments = self.instrument_count * _INSTRUMENT_SIZE
            end = _HEAD_SIZE + instruments
            raw = b"".join((data[:end], bytes(_AGENTS_AT - _INSTRUMENTS_AT - instruments), data[end:],
                            bytes(_STATE_SIZE - _AGENTS_AT - (len(data) - end))))
            cache["raw"] = raw
        return raw

    @property
    def state(self) -> fundos_abi.FundState:
        """A fresh ctypes copy of the whole FundState (yours to change; the snapshot stays)."""
        return fundos_abi.FundState.from_buffer_copy(self.raw)

    @property
    def seq(self) -> int:
        """Snapshot sequence number; strictly increasing."""
        return self._seq

    @property
    def clock(self) -> int:
        """The Fund's clock at this step, ns since the epoch (simulated in simulation mode)."""
        return self._fields()[1]

    @property
    def mode(self) -> Mode:
        value = self._fields()[2]
        member = _MODES.get(value)
        return member if member is not None else _strict(Mode, value, "FundState.mode")

    @property
    def trading_state(self) -> TradingState:
        """Fund-wide permission; HALTED when the kill switch is on."""
        value = self._fields()[3]
        member = _TRADING_STATES.get(value)
        return member if member is not None else _strict(TradingState, value, "FundState.trading_state")

    @property
    def nav(self) -> float:
        return self._fields()[6] / _MONEY_SCALE

    @property
    def cash(self) -> float:
        return self._fields()[7] / _MONEY_SCALE

    @property
    def gross_exposure(self) -> float:
        return self._fields()[8] / _MONEY_SCALE

    @property
    def net_exposure(self) -> float:
        return self._fields()[9] / _MONEY_SCALE

    @property
    def realized_pnl(self) -> float:
        return self._fields()[10] / _MONEY_SCALE

    @property
    def unrealized_pnl(self) -> float:
        return self._fields()[11] / _MONEY_SCALE

    @property
    def fees(self) -> float:
        return self._fields()[12] / _MONEY_SCALE

    @property
    def instrument_count(self) -> int:
        return min(self._fields()[4], _MAX_INSTRUMENTS)

    @property
    def agent_count(self) -> int:
        return min(self._fields()[5], _MAX_AGENTS)

    def _row(self, index: int) -> Instrument:
        cache = self._memo()
        row = cache.get(index)
        if not isinstance(row, Instrument):
            row = cache[index] = _instrument(self._data, _HEAD_SIZE + index * _INSTRUMENT_SIZE)
        return row

    def instruments(self) -> tuple[Instrument, ...]:
        """The instrument table's rows in use."""
        cache = self._memo()
        rows = cache.get("instruments")
        if not isinstance(rows, tuple):
            rows = cache["instruments"] = tuple(self._row(i) for i in range(self.instrument_count))
        return rows

    def instrument(self, key: str | int) -> Instrument:
        """The instrument with this symbol (``"SPY"``) or id; KeyError when there is none."""
        seen = _symbol_rows.get(key) if isinstance(key, str) else _id_rows.get(key)
        if seen is not None and self._holds(seen, key):
            return self._row(seen[0])
        self._index_rows()
        seen = _symbol_rows.get(key) if isinstance(key, str) else _id_rows.get(key)
        if seen is not None:
            return self._row(seen[0])
        known = ", ".join(row.symbol for row in self.instruments()) or "none"
        raise KeyError(f"no instrument {key!r} in snapshot {self.seq} (known: {known})")

    def _holds(self, seen: tuple[int, bytes], key: str | int) -> bool:
        """Whether row seen[0] of this snapshot still has the symbol or id bytes seen[1]."""
        index, value = seen
        if index >= self.instrument_count:
            return False
        at = _HEAD_SIZE + index * _INSTRUMENT_SIZE + (_SYMBOL_AT if isinstance(key, str) else 0)
        return self._data.startswith(value, at)

    def _index_rows(self) -> None:
        """Rebuild the symbol and id maps from this snapshot's rows (the first row wins)."""
        data = self._data
        symbols: dict[str, tuple[int, bytes]] = {}
        ids: dict[int, tuple[int, bytes]] = {}
        for index in range(self.instrument_count):
            at = _HEAD_SIZE + index * _INSTRUMENT_SIZE
            symbol_bytes = data[at + _SYMBOL_AT:at + _SYMBOL_AT + _SYMBOL_LEN]
            id_bytes = data[at:at + _ID_LEN]
            symbols.setdefault(_symbol(symbol_bytes), (index, symbol_bytes))
            ids.setdefault(int.from_bytes(id_bytes, "little"), (index, id_bytes))
        _symbol_rows.clear()
        _symbol_rows.update(symbols)
        _id_rows.clear()
        _id_rows.update(ids)

    def agents(self) -> tuple[AgentView, ...]:
        """The agent table's rows in use."""
        at = _HEAD_SIZE + self.instrument_count * _INSTRUMENT_SIZE
        return tuple(_agent_view(self._data, at + i * _AGENT_SIZE) for i in range(self.agent_count))

    def agent(self, agent_id: int) -> AgentView:
        """The agent table row of ``agent_id``; KeyError when there is none."""
        for row in self.agents():
            if row.agent_id == agent_id:
                return row
        raise KeyError(f"no agent {agent_id} in snapshot {self.seq}")


_snapshot_new = object.__new__


def snapshot_from_core(seq: int, data: bytes) -> Snapshot:
    """The Snapshot of what fundos._core's read_snapshot / wait_snapshot returned."""
    snapshot: Snapshot = _snapshot_new(Snapshot)
    snapshot._seq = seq
    snapshot._data = data
    snapshot._head = None
    snapshot._cache = None
    return snapshot


class Report(NamedTuple):
    """What the Fund reported about one of this agent's intents (a named tuple). ``reason`` and
    ``side`` keep their number when this SDK does not know the value."""

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


# fundos._core.Agent.reports() builds Reports itself, from these.
_core.set_report_types(Report, _table(ReportKind), _table(Side), _table(RejectReason))


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
