"""Type stubs of fundos._core (src/fundos/_core.cpp): the C SDK for the fundos package."""

from typing import Final

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
    def read_snapshot(self) -> tuple[int, bytes | None]: ...
    def wait_snapshot(self, after_seq: int, timeout_ns: int) -> tuple[int, bytes | None]: ...
    def latest_seq(self) -> int: ...
    def submit(self, record: bytes) -> tuple[int, bytes]: ...
    def heartbeat(self, answered_seq: int) -> int: ...
    def poll_reports(self, capacity: int) -> tuple[int, bytes]: ...
    def read_book(self) -> tuple[int, bytes | None]: ...
    def status(self) -> tuple[int, dict[str, int | bool]]: ...
    def fileno(self) -> int: ...
