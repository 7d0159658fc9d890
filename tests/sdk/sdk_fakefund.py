"""A minimal Fund for the SDK's tests, in Python: a SOCK_SEQPACKET socket, memfd regions with the
seals of docs/TRANSPORT.md, one AttachReply with three fds (socket.send_fds), and the Fund's
side of the snapshot, report and book protocols through the generated ctypes mirrors.

Python stores of aligned 8-byte ctypes fields are single stores and CPython executes statements
in order, which is the writer protocol on x86_64 (TSO); the concurrent seqlock test runs only
there. Everything else here is single-threaded publish-then-read.
"""

from __future__ import annotations

import ctypes
import fcntl
import mmap
import os
import platform
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fundos_abi

F_SEAL_FUTURE_WRITE = getattr(fcntl, "F_SEAL_FUTURE_WRITE", 0x0010)
_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}.get(platform.machine())
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Region:
    """One memfd region and the Fund's writable mapping of it."""

    name: str
    fd: int
    size: int
    map: mmap.mmap

    @classmethod
    def create(cls, name: str, size: int) -> Region:
        fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(fd, size)
        return cls(name, fd, size, mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE))

    def view(self, struct: type[ctypes.Structure]) -> ctypes.Structure:
        return struct.from_buffer(self.map)

    def seal(self, *, fund_written: bool) -> None:
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
        if fund_written:
            fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, F_SEAL_FUTURE_WRITE | fcntl.F_SEAL_SEAL)


@dataclass
class Attach:
    """What the fund thread built for one attach; a hook may change any of it before it is sent."""

    request: fundos_abi.AttachRequest
    reply: fundos_abi.AttachReply
    snapshot: Region
    intents: Region
    reports: Region
    send_fds: bool = True
    extra_fds: list[int] = field(default_factory=list)
    seal: bool = True
    answer: bool = True

    @property
    def snapshot_header(self) -> fundos_abi.RegionHeader:
        return fundos_abi.RegionHeader.from_buffer(self.snapshot.map)

    @property
    def report_header(self) -> fundos_abi.RegionHeader:
        return fundos_abi.RegionHeader.from_buffer(self.reports.map)


Hook = Callable[[Attach], None]


def fill_header(header: fundos_abi.RegionHeader, kind: int, size: int, generation: int, agent_id: int) -> None:
    header.magic = fundos_abi.REGION_MAGIC
    header.abi_major = fundos_abi.ABI_VERSION_MAJOR
    header.abi_minor = fundos_abi.ABI_VERSION_MINOR
    header.kind = kind
    header.header_size = ctypes.sizeof(fundos_abi.RegionHeader)
    header.layout_hash = fundos_abi.ABI_LAYOUT_HASH
    header.region_size = size
    header.generation = generation
    header.agent_id = agent_id


class FakeFund:
    """Listens at ``<tmp>/run/fund.sock`` and answers one attach per :meth:`serve` call."""

    def __init__(self, tmp_path: Path) -> None:
        run_dir = tmp_path / "run"
        run_dir.mkdir(mode=0o750)
        self.path = str(run_dir / "fund.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.conn: socket.socket | None = None
        self.attach: Attach | None = None
        self.error: Exception | None = None
        self._thread: threading.Thread | None = None
        self.generation = 0
        self.reports_written = 0
        self.books_written = 0

    # ---- attach
    def serve(self, hook: Hook | None = None) -> None:
        """Answer the next attach in a background thread (join() waits for it)."""
        self._thread = threading.Thread(target=self._serve, args=(hook,), daemon=True)
        self._thread.start()

    def join(self) -> Attach:
        assert self._thread is not None
        self._thread.join(10)
        if self.error is not None:
            raise self.error
        assert self.attach is not None
        return self.attach

    def _serve(self, hook: Hook | None) -> None:
        try:
            conn, _ = self.listener.accept()
            self.conn = conn
            data = conn.recv(4096)
            request = fundos_abi.AttachRequest.from_buffer_copy(data)
            self.generation += 1
            attach = Attach(
                request=request,
                reply=fundos_abi.AttachReply(),
                snapshot=Region.create("fake-snapshot", ctypes.sizeof(fundos_abi.SnapshotRegion)),
                intents=Region.create("fake-intents", ctypes.sizeof(fundos_abi.AgentIntentRegion)),
                reports=Region.create("fake-reports", ctypes.sizeof(fundos_abi.AgentReportRegion)),
            )
            fill_header(attach.snapshot_header, fundos_abi.RegionKind.SNAPSHOT, attach.snapshot.size, 0, 0)
            fill_header(attach.report_header, fundos_abi.RegionKind.AGENT_REPORTS, attach.reports.size,
                        self.generation, request.agent_id)
            reply = attach.reply
            reply.magic = fundos_abi.ATTACH_MAGIC
            reply.status = fundos_abi.AttachStatus.OK
            reply.abi_major = fundos_abi.ABI_VERSION_MAJOR
            reply.abi_minor = min(fundos_abi.ABI_VERSION_MINOR, request.abi_minor)
            reply.slot = 0
            reply.layout_hash = fundos_abi.ABI_LAYOUT_HASH
            reply.generation = self.generation
            reply.snapshot_region_size = attach.snapshot.size
            reply.intent_region_size = attach.intents.size
            reply.report_region_size = attach.reports.size
            self.attach = attach
            if hook is not None:
                hook(attach)
            if attach.seal:
                attach.snapshot.seal(fund_written=True)
                attach.reports.seal(fund_written=True)
                attach.intents.seal(fund_written=False)
            if not attach.answer:
                return
            fds = [attach.snapshot.fd, attach.intents.fd, attach.reports.fd] + attach.extra_fds
            if reply.status == fundos_abi.AttachStatus.OK and attach.send_fds:
                socket.send_fds(conn, [bytes(reply)], fds)
            else:
                conn.send(bytes(reply))
        except Exception as error:  # noqa: BLE001 - re-raised in the test thread by join()
            self.error = error

    def hang_up(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join(10)
        self.hang_up()
        self.listener.close()
        if self.attach is not None:
            for region in (self.attach.snapshot, self.attach.intents, self.attach.reports):
                os.close(region.fd)
        self.attach = None  # the mmaps close when the last ctypes view is gone

    # ---- the Fund's writers
    def _region(self, name: str) -> Region:
        assert self.attach is not None
        region: Region = getattr(self.attach, name)
        return region

    def latest(self) -> int:
        """The newest published snapshot number."""
        return int(fundos_abi.SnapshotRegion.from_buffer(self._region("snapshot").map).control.latest)

    def publish(self, state: fundos_abi.FundState | None = None) -> int:
        """Publish ``state`` as the next snapshot (its seq is set here); returns the number."""
        region = fundos_abi.SnapshotRegion.from_buffer(self._region("snapshot").map)
        s = region.control.latest + 1
        slot = region.slots[s % fundos_abi.SNAPSHOT_SLOTS]
        state = state if state is not None else fundos_abi.FundState()
        state.seq = s
        slot.sequence = 2 * s - 1
        # The head and the rows in use only, as the Fund does: rows past the counts keep what an
        # older snapshot of this slot left there (readers must not hand them out).
        head = fundos_abi.FundState.instruments.offset
        instruments = min(state.instrument_count, fundos_abi.MAX_INSTRUMENTS)
        agents = min(state.agent_count, fundos_abi.MAX_AGENTS)
        ctypes.memmove(ctypes.addressof(slot.state), ctypes.addressof(state), head)
        ctypes.memmove(ctypes.addressof(slot.state.instruments), ctypes.addressof(state.instruments),
                       instruments * ctypes.sizeof(fundos_abi.InstrumentEntry))
        ctypes.memmove(ctypes.addressof(slot.state.agents), ctypes.addressof(state.agents),
                       agents * ctypes.sizeof(fundos_abi.AgentSlot))
        slot.sequence = 2 * s
        region.control.latest = s
        region.control.futex_word = (region.control.futex_word + 1) & 0xFFFFFFFF
        if _SYS_FUTEX is not None:
            _libc.syscall(_SYS_FUTEX, ctypes.c_void_p(ctypes.addressof(region.control) + 8), 1, 0x7FFFFFFF, 0, 0, 0)
        return int(s)

    def write_report(self, report: fundos_abi.IntentReport) -> None:
        region = fundos_abi.AgentReportRegion.from_buffer(self._region("reports").map)
        r = self.reports_written
        slot = region.ring[r & (fundos_abi.REPORT_RING_SLOTS - 1)]
        ctypes.memmove(ctypes.addressof(slot) + 8, ctypes.addressof(report) + 8, ctypes.sizeof(report) - 8)
        slot.commit = r + 1
        region.control.reports_written = r + 1
        self.reports_written = r + 1

    def write_book(self, book: fundos_abi.AgentBook) -> None:
        region = fundos_abi.AgentReportRegion.from_buffer(self._region("reports").map)
        self.books_written += 1
        n = self.books_written
        region.book.sequence = 2 * n - 1
        ctypes.memmove(ctypes.addressof(region.book.book), ctypes.addressof(book), ctypes.sizeof(book))
        region.book.sequence = 2 * n

    def intents(self) -> fundos_abi.AgentIntentRegion:
        region: fundos_abi.AgentIntentRegion = fundos_abi.AgentIntentRegion.from_buffer(self._region("intents").map)
        return region

    def report_control(self) -> fundos_abi.ReportControl:
        control: fundos_abi.ReportControl = fundos_abi.AgentReportRegion.from_buffer(self._region("reports").map).control
        return control


def instrument(state: fundos_abi.FundState, index: int, instrument_id: int, symbol: str, last: int,
               lot_size: int = 1_000_000) -> None:
    """Fill row ``index`` of the instrument table (raw fixed-point ``last``)."""
    entry = state.instruments[index]
    entry.instrument_id = instrument_id
    entry.symbol = symbol.encode()
    entry.status = fundos_abi.InstrumentStatus.TRADING
    entry.trading_state = fundos_abi.TradingState.ACTIVE
    entry.tick_size = 1_000_000
    entry.lot_size = lot_size
    entry.last = last
    entry.bid = last - 1_000_000
    entry.ask = last + 1_000_000
    state.instrument_count = max(state.instrument_count, index + 1)
