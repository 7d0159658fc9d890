"""FundOS agent SDK for Python.

An agent attaches to the Fund through its Unix socket, then reads snapshots of the whole fund
from shared memory, writes intents (orders, target positions, cancels) into its own ring, and
reads the Fund's reports and its own book. The protocol (docs/TRANSPORT.md) is the C SDK's
(sdks/c), compiled into :mod:`fundos._core`; this package turns its bytes into Python values and
its return codes into exceptions.

Example::

    import fundos

    with fundos.Agent("/run/fundos/fund.sock", agent_id=7) as agent:
        for snapshot in agent.snapshots():
            spy = snapshot.instrument("SPY")
            if spy.last > 0:
                agent.submit(kind="ORDER", symbol="SPY", side="BUY", qty=1, limit_price=spy.bid)
            agent.end_of_answer()
            for report in agent.reports():
                print(report.kind.name, report.reason_name, report.fill_qty)
            agent.heartbeat(snapshot.seq)

Errors are :class:`FundosError` subclasses with a sentence for the user: :class:`AttachRefused`
(with the Fund's ``status`` and ``fund_message``), :class:`AbiMismatch`, :class:`ConnectFailed`,
:class:`BadRegion`, :class:`RingFull`, :class:`ReportsLost`, :class:`Quarantined`,
:class:`Disconnected`, :class:`Timeout`, :class:`FixedPointError`, :class:`AgentConfigError` (an
agent's configuration, :func:`fundos.config.agent_config`), ...
"""

from __future__ import annotations

import fundos_abi
from fundos_abi import (
    AgentStatus,
    AttachStatus,
    InstrumentStatus,
    IntentKind,
    Mode,
    OrderType,
    RejectReason,
    ReportKind,
    Side,
    TimeInForce,
    TradingState,
)

from fundos import _core

if (fundos_abi.ABI_VERSION_MAJOR, fundos_abi.ABI_VERSION_MINOR, fundos_abi.ABI_LAYOUT_HASH) != (
    _core.ABI_VERSION_MAJOR,
    _core.ABI_VERSION_MINOR,
    _core.ABI_LAYOUT_HASH,
):
    raise ImportError(
        f"fundos: the installed fundos_abi module is ABI {fundos_abi.ABI_VERSION_MAJOR}.{fundos_abi.ABI_VERSION_MINOR} "
        f"(layout 0x{fundos_abi.ABI_LAYOUT_HASH:016x}) but fundos._core was built for ABI "
        f"{_core.ABI_VERSION_MAJOR}.{_core.ABI_VERSION_MINOR} (layout 0x{_core.ABI_LAYOUT_HASH:016x}): "
        "rebuild the SDK (pip install -e sdks/python) after regenerating generated/"
    )

from fundos._agent import Agent, RingFullPolicy, WaitPolicy
from fundos._errors import (
    ERROR_TABLE,
    AbiMismatch,
    AgentConfigError,
    AttachError,
    AttachRefused,
    BadRegion,
    ConnectFailed,
    Disconnected,
    FixedPointError,
    FundosError,
    Interrupted,
    InvalidArgument,
    NotAvailable,
    ProtocolError,
    Quarantined,
    ReportsLost,
    RingFull,
    SystemCallFailed,
    Timeout,
)
from fundos._fixed import (
    MONEY_DECIMALS,
    PRICE_DECIMALS,
    QUANTITY_DECIMALS,
    decimal_from_fixed,
    from_fixed,
    money_to_raw,
    price_to_raw,
    qty_to_raw,
    to_fixed,
)
from fundos._types import (
    Account,
    AgentState,
    AgentView,
    Book,
    Instrument,
    Position,
    Report,
    Snapshot,
)

__version__ = "0.1.0"
ABI_VERSION: tuple[int, int] = (int(_core.ABI_VERSION_MAJOR), int(_core.ABI_VERSION_MINOR))
"""The ABI major.minor this SDK was built for."""
ABI_LAYOUT_HASH: int = int(_core.ABI_LAYOUT_HASH)
"""The layout hash this SDK was built for."""

__all__ = [
    "ABI_LAYOUT_HASH",
    "ABI_VERSION",
    "ERROR_TABLE",
    "MONEY_DECIMALS",
    "PRICE_DECIMALS",
    "QUANTITY_DECIMALS",
    "AbiMismatch",
    "Account",
    "Agent",
    "AgentConfigError",
    "AgentState",
    "AgentStatus",
    "AgentView",
    "AttachError",
    "AttachRefused",
    "AttachStatus",
    "BadRegion",
    "Book",
    "ConnectFailed",
    "Disconnected",
    "FixedPointError",
    "FundosError",
    "Instrument",
    "InstrumentStatus",
    "IntentKind",
    "Interrupted",
    "InvalidArgument",
    "Mode",
    "NotAvailable",
    "OrderType",
    "Position",
    "ProtocolError",
    "Quarantined",
    "RejectReason",
    "Report",
    "ReportKind",
    "ReportsLost",
    "RingFull",
    "RingFullPolicy",
    "Side",
    "Snapshot",
    "SystemCallFailed",
    "TimeInForce",
    "Timeout",
    "TradingState",
    "WaitPolicy",
    "decimal_from_fixed",
    "from_fixed",
    "money_to_raw",
    "price_to_raw",
    "qty_to_raw",
    "to_fixed",
]
