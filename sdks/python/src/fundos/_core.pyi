"""Type stubs of fundos._core (src/fundos/_core.cpp): the C SDK for the fundos package."""

from collections.abc import Sequence
from typing import Final

from fundos._types import Report

ABI_VERSION_MAJOR: Final[int]
ABI_VERSION_MINOR: Final[int]
ABI_LAYOUT_HASH: Final[int]
SDK_VERSION: Final[tuple[int, int]]
PRICE_DECIMALS: Final[int]
QUANTITY_DECIMALS: Final[int]
MONEY_DECIMALS: Final[int]
WAIT_SPIN: Final[int]
WAIT_BUSY: Final[int]
WAIT_FUTEX: Final[int]
RING_FULL_FAIL: Final[int]
RING_FULL_WAIT: Final[int]
WAIT_FOREVER: Final[int]
FUND_STATE_SIZE: Final[int]
FUND_STATE_HEAD_SIZE: Final[int]
AGENT_BOOK_SIZE: Final[int]
INTENT_RECORD_SIZE: Final[int]
INTENT_REPORT_SIZE: Final[int]
ATTACH_REPLY_SIZE: Final[int]
DEFAULT_SPIN_COUNT: Final[int]
DEFAULT_YIELD_COUNT: Final[int]
DEFAULT_RING_FULL_TIMEOUT_NS: Final[int]
DEFAULT_ATTACH_TIMEOUT_NS: Final[int]

def error_codes() -> list[tuple[int, str, str]]: ...
def strerror(code: int) -> str: ...
def error_attach_status(code: int) -> int: ...
def set_report_types(report: type[tuple[object, ...]], kinds: Sequence[object | None], sides: Sequence[object | None],
                     reasons: Sequence[object | None]) -> None: ...
def set_intent_types(kind: type[object], kind_names: dict[str, int], side: type[object], side_names: dict[str, int],
                     order_type: type[object], order_type_names: dict[str, int], time_in_force: type[object],
                     time_in_force_names: dict[str, int]) -> None: ...
def agent_config(address: str, service: str) -> tuple[int, str, str, str]: ...
def validate_options(
    socket_path: str,
    agent_id: int,
    wait: int,
    spin_count: int,
    yield_count: int,
    ring_full: int,
    ring_full_timeout_ns: int,
) -> tuple[int, str]: ...

class Agent:
    def __init__(self) -> None: ...
    def attach(
        self,
        socket_path: str,
        agent_id: int,
        wait: int,
        spin_count: int,
        yield_count: int,
        ring_full: int,
        ring_full_timeout_ns: int,
        attach_timeout_ns: int,
    ) -> tuple[int, str, bytes | None]: ...
    def detach(self) -> None: ...
    @property
    def attached(self) -> bool: ...
    # (code, seq, the head of FundState and its rows in use, or None)
    def read_snapshot(self) -> tuple[int, int, bytes | None]: ...
    def wait_snapshot(self, after_seq: int, timeout_ns: int) -> tuple[int, int, bytes | None]: ...
    def latest_seq(self) -> int: ...
    def submit(self, record: bytes) -> tuple[int, bytes]: ...
    # the intent id (> 0) or a negative error code
    def submit_intent(
        self,
        kind: int,
        instrument_id: int,
        side: int,
        order_type: int,
        time_in_force: int,
        qty: int,
        limit_price: int,
        ref_intent_id: int,
        client_tag: int,
        snapshot_seq: int,
        intent_id: int,
    ) -> int: ...
    # fundos.Agent.submit's keyword arguments, in order: the intent id (> 0), a negative error code,
    # or None when they are not on the fast path
    def submit_fields(
        self,
        kind: object,
        instrument_id: object,
        symbol: object,
        side: object,
        qty: object,
        limit_price: object,
        order_type: object,
        time_in_force: object,
        ref_intent_id: object,
        client_tag: object,
        snapshot_seq: object,
        intent_id: object,
    ) -> int | None: ...
    def heartbeat(self, answered_seq: int) -> int: ...
    def poll_reports(self, capacity: int) -> tuple[int, bytes]: ...
    # a list of fundos.Report, or a negative error code
    def reports(self, capacity: int) -> list[Report] | int: ...
    @property
    def ignored_reports(self) -> int: ...
    def read_book(self) -> tuple[int, bytes | None]: ...
    def status(self) -> tuple[int, dict[str, int | bool]]: ...
    def fileno(self) -> int: ...
