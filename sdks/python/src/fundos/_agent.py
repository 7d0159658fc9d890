"""fundos.Agent: one attachment to the Fund, over the C SDK."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Final, Literal, Self

import fundos_abi
from fundos_abi import AttachStatus, IntentKind, OrderType, RejectReason, Side, TimeInForce

from fundos import _core
from fundos._errors import (
    AbiMismatch,
    AttachRefused,
    Disconnected,
    FundosError,
    InvalidArgument,
    NotAvailable,
    Quarantined,
    Timeout,
    check,
    error_class,
    make_error,
)
from fundos._fixed import Number, price_to_raw, qty_to_raw
from fundos._types import AgentState, Book, Report, Snapshot, snapshot_from_core

WaitPolicy = Literal["spin", "busy", "futex"]
RingFullPolicy = Literal["fail", "wait"]

_WAIT: Final = {"spin": _core.WAIT_SPIN, "busy": _core.WAIT_BUSY, "futex": _core.WAIT_FUTEX}
_RING_FULL: Final = {"fail": _core.RING_FULL_FAIL, "wait": _core.RING_FULL_WAIT}
_CODES: Final = {name: code for code, name, _ in _core.error_codes()}
_SLICE_NS: Final = 50_000_000  # Python signal handlers and stop() are seen at least this often
_INVALID: Final = _CODES["FUNDOS_E_INVALID_ARGUMENT"]
_AGAIN: Final = _CODES["FUNDOS_E_AGAIN"]
_TIMEOUT: Final = _CODES["FUNDOS_E_TIMEOUT"]
_QUARANTINED: Final = _CODES["FUNDOS_E_QUARANTINED"]
_REPORTS_LOST: Final = _CODES["FUNDOS_E_REPORTS_LOST"]
_REPORT_SLOTS: Final[int] = fundos_abi.REPORT_RING_SLOTS
_U32_MAX: Final = 2**32 - 1
_U64_MAX: Final = 2**64 - 1
_ORDER: Final = int(IntentKind.ORDER)
_TARGET_POSITION: Final = int(IntentKind.TARGET_POSITION)
_CANCEL: Final = int(IntentKind.CANCEL)
_NEEDS_INSTRUMENT: Final = frozenset(int(kind) for kind in (IntentKind.ORDER, IntentKind.TARGET_POSITION,
                                                           IntentKind.FLATTEN))
_LIMIT: Final = int(OrderType.LIMIT)
_MARKET: Final = int(OrderType.MARKET)
_DAY: Final = int(TimeInForce.DAY)
_NO_SIDE: Final = int(Side.NONE)


def _seconds_to_ns(seconds: float | None, what: str) -> int:
    """None: forever."""
    if seconds is None:
        return int(_core.WAIT_FOREVER)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or math.isnan(seconds) or seconds < 0:
        raise InvalidArgument(f"{what} must be a number of seconds >= 0 or None, not {seconds!r}",
                              code=_CODES["FUNDOS_E_INVALID_ARGUMENT"])
    if math.isinf(seconds):
        return int(_core.WAIT_FOREVER)
    return min(int(seconds * 1e9), int(_core.WAIT_FOREVER) - 1)


EnumArg = type[IntentKind] | type[Side] | type[OrderType] | type[TimeInForce]
_NAMES: Final[dict[EnumArg, dict[str, int]]] = {
    enum_type: {member.name: int(member) for member in enum_type}
    for enum_type in (IntentKind, Side, OrderType, TimeInForce)
}
_core.set_intent_types(IntentKind, _NAMES[IntentKind], Side, _NAMES[Side], OrderType, _NAMES[OrderType], TimeInForce,
                       _NAMES[TimeInForce])


def _enum_arg(enum_type: EnumArg, value: object, what: str) -> int:
    """The value of ``value``: a member of ``enum_type`` or its name (any case)."""
    if isinstance(value, str):
        names = _NAMES[enum_type]
        code = names.get(value)
        if code is None:
            code = names.get(value.upper())
        if code is not None:
            return code
    elif isinstance(value, enum_type):
        return int(value)
    names_text = ", ".join(member.name for member in enum_type)
    raise InvalidArgument(f"{what} must be one of {names_text} (or the {enum_type.__name__} member), not {value!r}",
                          code=_INVALID)


def _id_arg(name: str, value: object, limit: int = _U64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        bound = "2**64-1" if limit == _U64_MAX else "2**32-1"
        raise InvalidArgument(f"{name} must be an int in 0..{bound}, not {value!r}", code=_INVALID)
    return value


class Agent:
    """An agent's connection to the Fund: attach, read snapshots, submit intents, read reports.

    ``socket_path`` is the Fund's ``<run-dir>/fund.sock``; ``agent_id`` the id the Fund's
    configuration gives this agent. ``wait`` picks how snapshot waits wait: ``"spin"`` (spin,
    then yield, then sleep on the futex; the default), ``"busy"`` (poll, one core at 100%) or
    ``"futex"`` (sleep at once). ``ring_full`` picks what :meth:`submit` does when the intent ring
    is full: ``"fail"`` (raise :class:`RingFull`) or ``"wait"`` (up to ``ring_full_timeout``
    seconds; None waits forever).

    Nothing is connected until :meth:`attach`, or entering the ``with`` block, which detaches on
    exit::

        with fundos.Agent("/run/fundos/fund.sock", 7) as agent:
            for snapshot in agent.snapshots():
                ...

    One Agent belongs to one thread (the C SDK's rule); using it from two threads at once raises
    RuntimeError.
    """

    def __init__(self, socket_path: str | os.PathLike[str], agent_id: int, *, wait: WaitPolicy = "spin",
                 spin_count: int | None = None, yield_count: int | None = None, ring_full: RingFullPolicy = "fail",
                 ring_full_timeout: float | None = 1.0, attach_timeout: float = 5.0) -> None:
        invalid = _CODES["FUNDOS_E_INVALID_ARGUMENT"]
        if wait not in _WAIT:
            raise InvalidArgument(f"wait must be 'spin', 'busy' or 'futex', not {wait!r}", code=invalid)
        if ring_full not in _RING_FULL:
            raise InvalidArgument(f"ring_full must be 'fail' or 'wait', not {ring_full!r}", code=invalid)
        if isinstance(agent_id, bool) or not isinstance(agent_id, int) or not 0 <= agent_id < 2**32:
            raise InvalidArgument(f"agent_id must be an int in 1..{2**32 - 1}, not {agent_id!r}", code=invalid)
        for name, count in (("spin_count", spin_count), ("yield_count", yield_count)):
            if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                      or not 0 <= count < 2**32):
                raise InvalidArgument(f"{name} must be an int in 0..{2**32 - 1} or None, not {count!r}", code=invalid)
        self._socket_path = os.fspath(socket_path)
        self._agent_id = agent_id
        self._wait = _WAIT[wait]
        self._spin_count = int(_core.DEFAULT_SPIN_COUNT) if spin_count is None else spin_count
        self._yield_count = int(_core.DEFAULT_YIELD_COUNT) if yield_count is None else yield_count
        self._ring_full = _RING_FULL[ring_full]
        self._ring_full_timeout_ns = _seconds_to_ns(ring_full_timeout, "ring_full_timeout")
        self._attach_timeout_ns = max(1, _seconds_to_ns(attach_timeout, "attach_timeout"))
        code, why = _core.validate_options(self._socket_path, agent_id, self._wait, self._spin_count,
                                           self._yield_count, self._ring_full, self._ring_full_timeout_ns)
        check(code, why)
        self._core = _core.Agent()
        self._reply: fundos_abi.AttachReply | None = None
        self._last: Snapshot | None = None
        self._last_seq = 0
        self._stop = False
        self._reports_lost_seen = 0

    # ---- attach / detach
    def attach(self) -> Self:
        """Connect to the Fund and map its regions; returns self.

        Raises :class:`AttachRefused` (the Fund's ``status`` and ``fund_message``),
        :class:`AbiMismatch` (either side found the other's ABI incompatible),
        :class:`ConnectFailed`, :class:`BadRegion`, :class:`ProtocolError` or :class:`Timeout`,
        each with a sentence saying what to do.
        """
        code, why, reply_bytes = self._core.attach(self._socket_path, self._agent_id, self._wait, self._spin_count,
                                                   self._yield_count, self._ring_full, self._ring_full_timeout_ns,
                                                   self._attach_timeout_ns)
        reply = fundos_abi.AttachReply.from_buffer_copy(reply_bytes) if reply_bytes is not None else None
        if code != 0:
            refused_by_fund = reply is not None and reply.status != AttachStatus.OK
            fund_message = reply.message.decode("utf-8", errors="replace") if refused_by_fund and reply else ""
            cls = error_class(code)
            if issubclass(cls, AttachRefused) and not refused_by_fund and cls is not AbiMismatch:
                refused_by_fund = True
            raise make_error(code, why, fund_message=fund_message, refused_by_fund=refused_by_fund)
        self._reply = reply
        self._stop = False
        return self

    def detach(self) -> None:
        """Unmap the regions and hang up (the Fund marks the agent DEAD). Safe to call twice."""
        self._core.detach()

    def __enter__(self) -> Self:
        if not self._core.attached:
            self.attach()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.detach()

    @property
    def attached(self) -> bool:
        return bool(self._core.attached)

    @property
    def agent_id(self) -> int:
        return self._agent_id

    @property
    def attach_reply(self) -> fundos_abi.AttachReply | None:
        """The Fund's AttachReply (slot, generation, negotiated ABI), once attached."""
        return self._reply

    def fileno(self) -> int:
        """The socket to the Fund, for select/poll (POLLHUP: the Fund is gone). Do not use it."""
        return int(self._core.fileno())

    # ---- snapshots
    def latest_snapshot(self) -> Snapshot | None:
        """The newest snapshot, or None before the Fund has published one."""
        code, seq, data = self._core.read_snapshot()
        if code != 0:
            if code == _AGAIN:
                return None
            check(code)
        assert data is not None
        self._last = snapshot = snapshot_from_core(seq, data)
        self._last_seq = seq
        return snapshot

    def wait_snapshot(self, after_seq: int | None = None, timeout: float | None = None) -> Snapshot:
        """Wait for a snapshot newer than ``after_seq`` (default: the last one this agent saw) and
        return the newest. Raises :class:`Timeout` after ``timeout`` seconds (None: no limit),
        :class:`Interrupted` after :meth:`stop`, :class:`Disconnected` if the Fund hangs up.
        Python signal handlers (Ctrl-C) run while it waits."""
        after = self._last_seq if after_seq is None else after_seq
        if timeout is None and not self._stop:
            # The common case, in one call: the first wait slice of the loop below.
            code, seq, data = self._core.wait_snapshot(after, _SLICE_NS)
            if code == 0:
                assert data is not None
                self._last = snapshot = snapshot_from_core(seq, data)
                self._last_seq = seq
                return snapshot
            if code != _TIMEOUT:
                check(code)
        deadline_ns = _seconds_to_ns(timeout, "timeout")
        start = time.monotonic_ns()
        while True:
            if self._stop:
                raise make_error(_CODES["FUNDOS_E_INTERRUPTED"], "stop() was called")
            elapsed = time.monotonic_ns() - start
            remaining = deadline_ns - elapsed if deadline_ns != int(_core.WAIT_FOREVER) else deadline_ns
            slice_ns = max(0, min(remaining, _SLICE_NS))
            code, seq, data = self._core.wait_snapshot(after, slice_ns)
            if code == 0:
                assert data is not None
                self._last = snapshot = snapshot_from_core(seq, data)
                self._last_seq = seq
                return snapshot
            if code == _TIMEOUT and remaining > _SLICE_NS:
                continue  # a slice ended: signal handlers ran; look at stop() and wait on
            if code == _TIMEOUT:
                raise Timeout(f"no snapshot after {after} within {timeout} s", code=code)
            check(code)

    def snapshots(self, *, timeout: float | None = None) -> Iterator[Snapshot]:
        """Each new snapshot, newest first when the agent falls behind (intermediate ones are
        skipped: a snapshot is the whole state). Ends after :meth:`stop`; raises
        :class:`Disconnected` when the Fund hangs up and :class:`Timeout` when no snapshot comes
        for ``timeout`` seconds."""
        while not self._stop:
            try:
                yield self.wait_snapshot(timeout=timeout)
            except FundosError as error:
                if error.name == "FUNDOS_E_INTERRUPTED" and self._stop:
                    return
                raise

    def stop(self) -> None:
        """Make :meth:`snapshots` end and waits raise :class:`Interrupted` (within 50 ms). Safe to
        call from a signal handler."""
        self._stop = True

    # ---- intents
    def submit(self, *, kind: IntentKind | str, instrument_id: int | None = None, symbol: str | None = None,
               side: Side | str | None = None, qty: Number | None = None, limit_price: Number | None = None,
               order_type: OrderType | str | None = None, time_in_force: TimeInForce | str | None = None,
               ref_intent_id: int = 0, client_tag: int = 0, snapshot_seq: int | None = None,
               intent_id: int | None = None) -> int:
        """Write one intent into the ring and return its intent id.

        ``kind``: ``"ORDER"``, ``"TARGET_POSITION"``, ``"CANCEL"``, ``"FLATTEN"``,
        ``"END_OF_ANSWER"`` (or the :class:`fundos_abi.IntentKind`). The instrument is
        ``instrument_id`` or ``symbol`` (looked up in the newest snapshot this agent read).
        ``qty`` is in instrument units and ``limit_price`` in quote currency, as int, float or
        Decimal, converted exactly to the ABI's fixed point. For an ORDER, ``order_type`` defaults
        to LIMIT when ``limit_price`` is given and MARKET otherwise, ``time_in_force`` to DAY.
        ``snapshot_seq`` defaults to the newest snapshot read; ``intent_id`` to the next id.

        Raises :class:`RingFull`, :class:`Quarantined`, :class:`FixedPointError` or
        :class:`InvalidArgument`. The Fund validates everything again and answers in
        :meth:`reports`.
        """
        # The common intents are checked and packed by the C++ layer at once; it hands anything
        # else (a symbol, a Decimal, a bad argument, ...) back to _submit_checked.
        result = self._core.submit_fields(kind, instrument_id, symbol, side, qty, limit_price, order_type,
                                          time_in_force, ref_intent_id, client_tag, snapshot_seq, intent_id)
        if result is None:
            result = self._submit_checked(kind, instrument_id, symbol, side, qty, limit_price, order_type,
                                          time_in_force, ref_intent_id, client_tag, snapshot_seq, intent_id)
        if result > 0:
            return result
        if result == _QUARANTINED:
            state = self.status()
            raise Quarantined(
                f"the Fund quarantined agent {self._agent_id} ({_reason_name(state.quarantine_reason)}) and no "
                "longer reads its intents; detach and fix the agent", code=result, reason=state.quarantine_reason)
        check(result)
        raise AssertionError("unreachable: a submit that failed with code 0")

    def _submit_checked(self, kind: IntentKind | str, instrument_id: int | None, symbol: str | None,
                        side: Side | str | None, qty: Number | None, limit_price: Number | None,
                        order_type: OrderType | str | None, time_in_force: TimeInForce | str | None,
                        ref_intent_id: int, client_tag: int, snapshot_seq: int | None, intent_id: int | None) -> int:
        """submit(), every argument checked and converted here: the intent id or an error code."""
        kind_code = _enum_arg(IntentKind, kind, "kind")
        if instrument_id is not None and symbol is not None:
            raise InvalidArgument("give instrument_id or symbol, not both", code=_INVALID)
        if symbol is not None:
            snapshot = self._last if self._last is not None else self.latest_snapshot()
            if snapshot is None:
                raise NotAvailable(f"cannot look up symbol {symbol!r}: no snapshot has been published yet",
                                   code=_AGAIN)
            try:
                instrument_id = snapshot.instrument(symbol).instrument_id
            except KeyError as error:
                raise InvalidArgument(str(error.args[0]), code=_INVALID) from None
        if instrument_id is None:
            if kind_code in _NEEDS_INSTRUMENT:
                raise InvalidArgument(f"a {IntentKind(kind_code).name} intent needs instrument_id or symbol",
                                      code=_INVALID)
            instrument_id = 0
        elif type(instrument_id) is not int or not 0 <= instrument_id <= _U32_MAX:
            _id_arg("instrument_id", instrument_id, _U32_MAX)
        order_type_code = time_in_force_code = 0
        if kind_code == _ORDER:
            if side is None or qty is None:
                raise InvalidArgument("an ORDER needs side ('BUY' or 'SELL') and qty", code=_INVALID)
            if order_type is None:
                order_type_code = _LIMIT if limit_price is not None else _MARKET
            if time_in_force is None:
                time_in_force_code = _DAY
        elif kind_code == _TARGET_POSITION and qty is None:
            raise InvalidArgument("a TARGET_POSITION intent needs qty (the signed target)", code=_INVALID)
        elif kind_code == _CANCEL and not ref_intent_id:
            raise InvalidArgument("a CANCEL intent needs ref_intent_id (the order's intent id)", code=_INVALID)
        side_code = _NO_SIDE if side is None else _enum_arg(Side, side, "side")
        if order_type is not None:
            order_type_code = _enum_arg(OrderType, order_type, "order_type")
        if time_in_force is not None:
            time_in_force_code = _enum_arg(TimeInForce, time_in_force, "time_in_force")
        qty_raw = qty_to_raw(qty) if qty is not None else 0
        limit_raw = price_to_raw(limit_price, what="limit_price") if limit_price is not None else 0
        seq = snapshot_seq or 0
        new_id = intent_id or 0
        if not (type(ref_intent_id) is int and type(client_tag) is int and type(seq) is int and type(new_id) is int
                and 0 <= ref_intent_id <= _U64_MAX and 0 <= client_tag <= _U64_MAX and 0 <= seq <= _U64_MAX
                and 0 <= new_id <= _U64_MAX):
            _id_arg("ref_intent_id", ref_intent_id)
            _id_arg("client_tag", client_tag)
            _id_arg("snapshot_seq", seq)
            _id_arg("intent_id", new_id)
        return self._core.submit_intent(kind_code, instrument_id, side_code, order_type_code, time_in_force_code,
                                        qty_raw, limit_raw, ref_intent_id, client_tag, seq, new_id)

    def end_of_answer(self, snapshot_seq: int | None = None) -> int:
        """Tell the Fund this agent has sent every intent for ``snapshot_seq`` (default: the
        newest snapshot read); returns the intent id."""
        return self.submit(kind=IntentKind.END_OF_ANSWER, snapshot_seq=snapshot_seq)

    def heartbeat(self, answered_seq: int | None = None) -> None:
        """Tell the Fund this agent is alive (at least once per lease); with ``answered_seq``,
        also that it has answered that snapshot."""
        check(self._core.heartbeat(answered_seq or 0))

    # ---- reports, book, status
    def reports(self, max_reports: int = 256) -> list[Report]:
        """New reports about this agent's intents, oldest first (at most ``max_reports``).

        Raises :class:`ReportsLost` (with ``lost``) once when the Fund overwrote reports before
        they were read; the next call continues with the oldest report still readable."""
        capacity = max_reports if 0 < max_reports <= _REPORT_SLOTS else max(1, min(max_reports, _REPORT_SLOTS))
        result = self._core.reports(capacity)
        if type(result) is list:
            return result
        assert isinstance(result, int)
        if result == _REPORTS_LOST:
            total = self.status().reports_lost
            lost, self._reports_lost_seen = total - self._reports_lost_seen, total
            raise make_error(result, f"{lost} reports were overwritten before agent {self._agent_id} read them "
                                     "(read reports more often); the book is current", lost=lost)
        check(result)
        return []

    @property
    def ignored_reports(self) -> int:
        """Reports of a kind this SDK does not know, skipped by :meth:`reports`."""
        return int(self._core.ignored_reports)

    def book(self) -> Book | None:
        """This agent's account and positions, or None before the Fund has written them."""
        code, raw = self._core.read_book()
        if code == _CODES["FUNDOS_E_AGAIN"]:
            return None
        check(code)
        assert raw is not None
        return Book.from_bytes(raw)

    def status(self) -> AgentState:
        """The Fund's view of this agent (quarantined?) and the SDK's counters. ``connected`` is
        False once the Fund has hung up (no exception here)."""
        code, values = self._core.status()
        if code not in (0, _CODES["FUNDOS_E_DISCONNECTED"]):
            check(code)
        return AgentState.from_dict(values)

    def raise_if_disconnected(self) -> None:
        """Raise :class:`Disconnected` if the Fund has hung up."""
        if not self.status().connected:
            raise Disconnected("the Fund hung up (it stopped or crashed)", code=_CODES["FUNDOS_E_DISCONNECTED"])


def _reason_name(reason: RejectReason | int) -> str:
    return reason.name if isinstance(reason, RejectReason) else f"reason {reason}"
