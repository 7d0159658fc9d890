"""Exceptions of the fundos package: one table from the C SDK's error codes to exception classes.

Every SDK call that fails raises a :class:`FundosError` subclass whose message is a sentence for
the user (for attach: the C SDK's explanation, e.g. "fund speaks ABI 2.0 (layout 0x...), this
agent was built for ABI 1.1 (layout 0x...)"). ``code`` and ``name`` are the C SDK's
``fundos_error`` value and enumerator.
"""

from __future__ import annotations

from fundos_abi import AttachStatus

from fundos import _core
from fundos.config.errors import ConfigError


class FundosError(Exception):
    """Base class of every error the fundos SDK raises."""

    code: int
    """The C SDK's ``fundos_error`` value (negative)."""
    name: str
    """Its enumerator, e.g. ``"FUNDOS_E_RING_FULL"``."""

    def __init__(self, message: str, *, code: int = -1) -> None:
        super().__init__(message)
        self.code = code
        self.name = _NAMES.get(code, "FUNDOS_E_UNKNOWN")

    @property
    def message(self) -> str:
        """The sentence for the user."""
        return str(self.args[0]) if self.args else ""


class InvalidArgument(FundosError, ValueError):
    """An argument or option is out of range (also raised by the Python layer's own checks)."""


class SystemCallFailed(FundosError, OSError):
    """A system call failed inside the SDK."""


class AttachError(FundosError):
    """Attaching to the Fund failed."""


class ConnectFailed(AttachError, ConnectionError):
    """The Fund's socket cannot be reached: the Fund is not running, the path is wrong, or the
    agent's user is not in the Fund's group."""


class ProtocolError(FundosError):
    """The Fund sent something the transport protocol (docs/TRANSPORT.md) does not allow."""


class BadRegion(AttachError):
    """A shared-memory region from the Fund failed its checks (header, size, seals)."""


class AttachRefused(AttachError):
    """The Fund refused the attach request (or, for :class:`AbiMismatch`, one side refused the
    other's ABI).

    ``status`` is the Fund's :class:`fundos_abi.AttachStatus` for the refusal; ``fund_message``
    the Fund's own words from its AttachReply; ``refused_by_fund`` is False when this agent
    refused what the Fund sent (an :class:`AbiMismatch` found in the reply or a region header).
    """

    status: AttachStatus | None
    fund_message: str
    refused_by_fund: bool

    def __init__(self, message: str, *, code: int = -1, status: AttachStatus | None = None,
                 fund_message: str = "", refused_by_fund: bool = True) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.fund_message = fund_message
        self.refused_by_fund = refused_by_fund


class AbiMismatch(AttachRefused):
    """The Fund and this agent do not speak the same ABI: the majors differ
    (``status == VERSION_MISMATCH``) or the same version has another layout hash
    (``LAYOUT_MISMATCH``). Raised whichever side noticed; rebuild the agent against the Fund's
    generated headers."""


class NotAvailable(FundosError):
    """Nothing is published yet (no snapshot, no book)."""


class Timeout(FundosError, TimeoutError):
    """A wait ended at its timeout."""


class Interrupted(FundosError, InterruptedError):
    """A wait was interrupted (a signal, or :meth:`fundos.Agent.stop`)."""


class RingFull(FundosError):
    """The intent ring is full: the Fund has not consumed earlier intents yet. Retry later, or
    attach with ``ring_full="wait"``."""


class ReportsLost(FundosError):
    """Reports were overwritten before this agent read them; ``lost`` says how many. Raised once
    per loss; the next :meth:`fundos.Agent.reports` call continues with the oldest report still
    readable. The book (:meth:`fundos.Agent.book`) is always current."""

    lost: int

    def __init__(self, message: str, *, code: int = -1, lost: int = 0) -> None:
        super().__init__(message, code=code)
        self.lost = lost


class Quarantined(FundosError):
    """The Fund quarantined this agent: it no longer reads its intents. ``reason`` (a
    :class:`fundos_abi.RejectReason` or its number) says why, when known."""

    reason: object

    def __init__(self, message: str, *, code: int = -1, reason: object = None) -> None:
        super().__init__(message, code=code)
        self.reason = reason


class Disconnected(FundosError, ConnectionError):
    """The Fund hung up the agent's socket (it stopped or crashed)."""


class FixedPointError(FundosError, ValueError):
    """A number is NaN, infinite or does not fit its fixed-point ABI type."""


class AgentConfigError(FundosError, ConfigError):
    """An agent's configuration cannot be read or is invalid (:func:`fundos.config.agent_config`):
    a bad address or service, an unreachable database, an invalid configuration, no such agent.
    The message is the Fund's loader's, naming the source (never a password) and the service or
    field. Also a :class:`fundos.config.ConfigError` (``exit_code`` 2: bad input)."""


_NAMES: dict[int, str] = {code: name for code, name, _text in _core.error_codes()}

ERROR_TABLE: dict[str, type[FundosError]] = {
    "FUNDOS_E_INVALID_ARGUMENT": InvalidArgument,
    "FUNDOS_E_SYSTEM": SystemCallFailed,
    "FUNDOS_E_CONNECT": ConnectFailed,
    "FUNDOS_E_PROTOCOL": ProtocolError,
    "FUNDOS_E_VERSION_MISMATCH": AbiMismatch,
    "FUNDOS_E_LAYOUT_MISMATCH": AbiMismatch,
    "FUNDOS_E_BAD_REGION": BadRegion,
    "FUNDOS_E_BAD_REQUEST": AttachRefused,
    "FUNDOS_E_UNKNOWN_AGENT": AttachRefused,
    "FUNDOS_E_NOT_PERMITTED": AttachRefused,
    "FUNDOS_E_ALREADY_ATTACHED": AttachRefused,
    "FUNDOS_E_FUND_FULL": AttachRefused,
    "FUNDOS_E_SHUTTING_DOWN": AttachRefused,
    "FUNDOS_E_AGAIN": NotAvailable,
    "FUNDOS_E_TIMEOUT": Timeout,
    "FUNDOS_E_INTERRUPTED": Interrupted,
    "FUNDOS_E_RING_FULL": RingFull,
    "FUNDOS_E_REPORTS_LOST": ReportsLost,
    "FUNDOS_E_QUARANTINED": Quarantined,
    "FUNDOS_E_DISCONNECTED": Disconnected,
    "FUNDOS_E_RANGE": FixedPointError,
    "FUNDOS_E_CONFIG": AgentConfigError,
}
"""The C SDK's error names (``fundos_error_name()``) and the exception each one raises. Every C
code but FUNDOS_OK has a row (checked at import)."""

_missing = sorted(set(_NAMES.values()) - set(ERROR_TABLE) - {"FUNDOS_OK"})
if _missing:  # pragma: no cover - guards a C SDK newer than this table
    raise ImportError(f"fundos: the C SDK has error codes without a Python exception: {', '.join(_missing)}")


def error_class(code: int) -> type[FundosError]:
    """The exception class for a C SDK code (FundosError for unknown codes)."""
    return ERROR_TABLE.get(_NAMES.get(code, ""), FundosError)


def make_error(code: int, message: str | None = None, **details: object) -> FundosError:
    """An exception for ``code``; ``message`` defaults to the C SDK's sentence for it."""
    cls = error_class(code)
    text = message if message else _core.strerror(code)
    if issubclass(cls, AttachRefused):
        raw_status = _core.error_attach_status(code)
        status = AttachStatus(raw_status) if raw_status else None
        return cls(text, code=code, status=status, fund_message=str(details.get("fund_message", "")),
                   refused_by_fund=bool(details.get("refused_by_fund", True)))
    if cls is ReportsLost:
        lost = details.get("lost", 0)
        return ReportsLost(text, code=code, lost=lost if isinstance(lost, int) else 0)
    if cls is Quarantined:
        return Quarantined(text, code=code, reason=details.get("reason"))
    return cls(text, code=code)


def check(code: int, message: str | None = None) -> None:
    """Raise the exception for ``code`` unless it is 0."""
    if code != 0:
        raise make_error(code, message)
