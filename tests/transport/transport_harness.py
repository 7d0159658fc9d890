"""Drivers of the transport tests: the host program and agent processes, their JSON lines, and the
checks every test shares ("the Fund loses nothing it accepted").

A :class:`Host` runs ``fundos-transport-host`` with a temporary run dir and reads its JSON events
in a thread; an :class:`AgentProcess` runs one agent (a C test agent, an SDK example, or a Python
SDK agent) and reads its JSON lines the same way. Both keep every line, so a test can wait for an
event, count events, and compare what the Fund reported with what each agent saw.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import fundos_abi

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TEST_AGENTS = ("trader", "garbage_writer", "slow_writer", "ro_abuser")

# Host options for tests whose agents submit in bursts in pingpong mode. There every intent
# publishes a snapshot, so an agent that writes 20 intents answering the same snapshot before the
# Fund reads the first gets the 17th and later rejected STALE_SNAPSHOT (default --max-seq-lag 16):
# correct, but not what those tests are about. Staleness itself is tested with the default lag.
BURSTS_OK = ("--max-seq-lag", "1000000000")

Event = dict[str, Any]
Predicate = Callable[[Event], bool]


class LineReader:
    """Reads a process's stdout line by line in a thread; JSON lines become dicts, other lines
    become {"event": "_text", "line": ...}. Every line is kept in order."""

    def __init__(self, stream: IO[str], name: str) -> None:
        self.name = name
        self.lines: list[Event] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, args=(stream,), name=f"reader-{name}", daemon=True)
        self._thread.start()

    def _run(self, stream: IO[str]) -> None:
        try:
            for raw in stream:
                text = raw.rstrip("\n")
                try:
                    value = json.loads(text)
                    item: Event = value if isinstance(value, dict) else {"event": "_text", "line": text}
                except ValueError:
                    item = {"event": "_text", "line": text}
                with self._cond:
                    self.lines.append(item)
                    self._cond.notify_all()
        finally:
            stream.close()
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"{self.name}: its output did not end"

    @property
    def closed(self) -> bool:
        return self._closed

    def wait_for(self, predicate: Predicate, timeout: float = 10.0, start: int = 0, what: str = "") -> Event:
        """The first line at index >= start that matches; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        i = start
        with self._cond:
            while True:
                while i < len(self.lines):
                    if predicate(self.lines[i]):
                        return self.lines[i]
                    i += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    tail = self.lines[-5:]
                    raise AssertionError(f"{self.name}: no line {what or predicate} within {timeout} s "
                                         f"(closed={self._closed}); last lines: {tail}")
                self._cond.wait(remaining)

    def snapshot(self) -> list[Event]:
        with self._cond:
            return list(self.lines)

    def select(self, event: str, **fields: Any) -> list[Event]:
        return [e for e in self.snapshot() if e.get("event") == event and all(e.get(k) == v for k, v in fields.items())]

    def __len__(self) -> int:
        with self._cond:
            return len(self.lines)


def is_event(event: str, **fields: Any) -> Predicate:
    return lambda e: e.get("event") == event and all(e.get(k) == v for k, v in fields.items())


class Host:
    """One ``fundos-transport-host`` process (see the usage at the top of fund/tools/transport_host.cpp)."""

    def __init__(self, binary: Path, run_dir: Path, agents: Sequence[int], *args: str, log_dir: Path) -> None:
        self.run_dir = run_dir
        self.agents = list(agents)
        self.argv = [str(binary), "--run-dir", str(run_dir), "--agents", ",".join(map(str, agents)), *args]
        self._stderr_path = log_dir / f"host-{os.getpid()}-{time.monotonic_ns()}.stderr"
        self._stderr = self._stderr_path.open("w")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     stdin=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        self.events = LineReader(self.proc.stdout, "host")
        self.stopped: Event | None = None
        try:
            self.ready = self.events.wait_for(is_event("ready"), timeout=20.0, what="ready")
        except AssertionError:
            self.proc.kill()
            self.proc.wait()
            raise
        self.socket = str(self.ready["socket"])

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr(self) -> str:
        self._stderr.flush()
        return self._stderr_path.read_text(errors="replace")

    def wait_for(self, predicate: Predicate, timeout: float = 10.0, start: int = 0, what: str = "") -> Event:
        return self.events.wait_for(predicate, timeout, start, what)

    def wait_event(self, event: str, timeout: float = 10.0, start: int = 0, **fields: Any) -> Event:
        return self.events.wait_for(is_event(event, **fields), timeout, start, what=f"{event} {fields}")

    def select(self, event: str, **fields: Any) -> list[Event]:
        return self.events.select(event, **fields)

    def mark(self) -> int:
        """An index into the event list: wait_for(start=mark) sees only later events."""
        return len(self.events)

    def intents(self, agent: int, generation: int | None = None) -> list[Event]:
        events = self.select("intent", agent=agent)
        return [e for e in events if generation is None or e["generation"] == generation]

    def accepted_count(self, agent: int) -> int:
        return sum(1 for e in self.select("intent", agent=agent) if e["result"] == "accepted")

    def wait_accepted(self, agent: int, count: int, timeout: float = 15.0) -> None:
        """Until the host has accepted at least `count` intents of `agent` in all."""
        deadline = time.monotonic() + timeout
        while self.accepted_count(agent) < count:
            assert time.monotonic() < deadline, (f"agent {agent}: {self.accepted_count(agent)} intents accepted, "
                                                 f"expected {count} within {timeout} s")
            assert self.proc.poll() is None, f"the host died: {self.proc.returncode}\n{self.stderr()}"
            time.sleep(0.01)

    def stop(self) -> Event:
        """SIGTERM; asserts exit status 0, a final "stopped" event, no unparsed output or "error"."""
        if self.stopped is not None:
            return self.stopped
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the host did not stop within 20 s of SIGTERM") from None
        self.events.join()
        self._stderr.close()
        stderr = self._stderr_path.read_text(errors="replace")
        lines = self.events.snapshot()
        assert rc == 0, f"host exit status {rc}; stderr:\n{stderr[-4000:]}"
        assert lines and lines[-1]["event"] == "stopped", f"last host event: {lines[-1:]}; stderr:\n{stderr[-2000:]}"
        assert not [e for e in lines if e["event"] in ("_text", "error")], "unexpected host output"
        self.stopped = lines[-1]
        assert self.stopped["signal"] == "SIGTERM"
        assert not Path(self.socket).exists(), "the host left its socket file behind"
        # The totals agree with the events (every intent line is printed with --intent-events all).
        if "--intent-events" not in self.argv:
            intents = [e for e in lines if e["event"] == "intent"]
            assert self.stopped["intents"] == len(intents)
            assert self.stopped["accepted"] == sum(1 for e in intents if e["result"] == "accepted")
        return self.stopped

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()


class AgentProcess:
    """One agent process whose stdout is JSON lines (the test agents) or text (the examples)."""

    def __init__(self, argv: Sequence[str], name: str, log_dir: Path, stdin: bool = False,
                 env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.name = name
        self._stderr_path = log_dir / f"{name}-{time.monotonic_ns()}.stderr"
        self._stderr = self._stderr_path.open("w")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, env=env)
        assert self.proc.stdout is not None
        self.out = LineReader(self.proc.stdout, name)
        self.returncode: int | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr(self) -> str:
        self._stderr.flush()
        return self._stderr_path.read_text(errors="replace")

    def wait_for(self, event: str, timeout: float = 10.0, **fields: Any) -> Event:
        try:
            return self.out.wait_for(is_event(event, **fields), timeout, what=f"{event} {fields}")
        except AssertionError as error:
            raise AssertionError(f"{error}\nstderr of {self.name}:\n{self.stderr()[-3000:]}") from None

    def select(self, event: str, **fields: Any) -> list[Event]:
        return self.out.select(event, **fields)

    def send_line(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass

    def signal(self, signo: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signo)

    def wait(self, timeout: float = 20.0) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} did not exit within {timeout} s; stderr:\n{self.stderr()[-3000:]}") \
                from None
        self.close_stdin()
        self.out.join()
        self._stderr.close()
        self.returncode = rc
        return rc

    def finish(self, timeout: float = 20.0, expect: int = 0) -> list[Event]:
        """Wait for a clean exit with status `expect`; returns its lines."""
        rc = self.wait(timeout)
        assert rc == expect, f"{self.name} exited {rc}, expected {expect}; stderr:\n{self.stderr()[-3000:]}"
        return self.out.snapshot()

    def terminate(self, timeout: float = 20.0) -> list[Event]:
        """SIGTERM, then finish() (exit 0)."""
        self.signal(signal.SIGTERM)
        return self.finish(timeout)

    def kill9(self) -> None:
        self.signal(signal.SIGKILL)
        rc = self.wait()
        assert rc == -signal.SIGKILL, f"{self.name}: exit {rc}, expected SIGKILL"

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.close_stdin()
        if not self._stderr.closed:
            self._stderr.close()


@dataclass(frozen=True)
class Binaries:
    build_dir: Path
    host: Path
    momentum: Path
    agents: dict[str, Path]



@dataclass
class Cluster:
    """Hosts and agents of one test; everything is stopped at teardown (agents first)."""

    binaries: Binaries
    log_dir: Path
    hosts: list[Host] = field(default_factory=list)
    processes: list[AgentProcess] = field(default_factory=list)
    run_dirs: list[str] = field(default_factory=list)

    def host(self, agents: tuple[int, ...] | list[int] = (1, 2, 3), *args: str) -> Host:
        # Short: a Unix socket path has at most 107 bytes.
        base = tempfile.mkdtemp(prefix="fos-", dir="/tmp")
        self.run_dirs.append(base)
        host = Host(self.binaries.host, Path(base) / "run", agents, *args, log_dir=self.log_dir)
        self.hosts.append(host)
        return host

    def _spawn(self, argv: list[str], name: str, stdin: bool = False) -> AgentProcess:
        process = AgentProcess(argv, name, self.log_dir, stdin=stdin)
        self.processes.append(process)
        return process

    def c_agent(self, kind: str, host: Host, agent_id: int, *args: str, stdin: bool = False) -> AgentProcess:
        argv = [str(self.binaries.agents[kind]), "--socket", host.socket, "--agent-id", str(agent_id), *args]
        return self._spawn(argv, f"{kind}-{agent_id}", stdin)

    def py_agent(self, host: Host, agent_id: int, *args: str, stdin: bool = False) -> AgentProcess:
        argv = [sys.executable, str(HERE / "agents" / "py_trader.py"), "--socket", host.socket, "--agent-id",
                str(agent_id), *args]
        return self._spawn(argv, f"py_trader-{agent_id}", stdin)

    def c_example(self, host: Host, agent_id: int, *args: str) -> AgentProcess:
        argv = [str(self.binaries.momentum), "--socket", host.socket, "--agent-id", str(agent_id), *args]
        return self._spawn(argv, f"momentum_c-{agent_id}")

    def py_example(self, host: Host, agent_id: int, *args: str) -> AgentProcess:
        argv = [sys.executable, str(ROOT / "sdks" / "python" / "examples" / "momentum_agent.py"), "--socket",
                host.socket, "--agent-id", str(agent_id), *args]
        return self._spawn(argv, f"momentum_py-{agent_id}")

    def teardown(self) -> None:
        for process in self.processes:
            process.cleanup()
        try:
            for host in self.hosts:
                host.stop()
        finally:
            for host in self.hosts:
                host.kill()
            for base in self.run_dirs:
                shutil.rmtree(base, ignore_errors=True)



# ---- what "loses nothing it accepted" means, checked per agent

def host_outcomes(host: Host, agent: int, generations: Iterable[int] | None = None) -> list[tuple[int, str, str]]:
    """(intent_id, ACCEPTED|REJECTED, reason) for every intent the host reported for `agent`."""
    wanted = set(generations) if generations is not None else None
    return [(e["intent_id"], "ACCEPTED" if e["result"] == "accepted" else "REJECTED", e["reason"])
            for e in host.select("intent", agent=agent) if wanted is None or e["generation"] in wanted]


def agent_outcomes(lines: Iterable[Event]) -> list[tuple[int, str, str]]:
    return [(e["intent_id"], e["kind"], e["reason"]) for e in lines if e.get("event") == "report"]


def assert_same_outcomes(host: Host, agent: int, lines: Sequence[Event], generations: Iterable[int] | None = None,
                         all_accepted: bool = False) -> list[tuple[int, str, str]]:
    """Every intent the host processed for `agent` has exactly one report the agent read, in the
    same order with the same verdict and reason, and the agent read no report the host did not
    print. Intent ids strictly increase. Returns the outcomes."""
    fund = host_outcomes(host, agent, generations)
    seen = agent_outcomes(lines)
    assert seen == fund, (f"agent {agent}: reports seen by the agent differ from the Fund's events: "
                          f"{len(seen)} seen, {len(fund)} reported; first difference at "
                          f"{next((i for i, (a, b) in enumerate(zip(seen, fund)) if a != b), min(len(seen), len(fund)))}")
    ids = [i for i, _, _ in fund]
    assert ids == sorted(set(ids)), f"agent {agent}: intent ids not strictly increasing"
    if all_accepted:
        assert all(kind == "ACCEPTED" for _, kind, _ in fund), [o for o in fund if o[1] != "ACCEPTED"][:5]
    summaries = [e for e in lines if e.get("event") == "summary"]
    if summaries:  # one per process whose lines these are
        assert sum(s["reports"] for s in summaries) == len(seen)
        for summary in summaries:
            assert summary["reports_lost"] == 0, summary
            assert summary["submitted"] == summary["reports"], f"agent {agent}: reports missing after the drain: {summary}"
    return fund


# ---- raw attach requests (what an agent built for another ABI would send)

@dataclass
class RawReply:
    reply: fundos_abi.AttachReply | None
    size: int
    fds: list[int]

    @property
    def status(self) -> int:
        assert self.reply is not None
        return int(self.reply.status)

    @property
    def message(self) -> str:
        assert self.reply is not None
        return bytes(self.reply.message).split(b"\0", 1)[0].decode()


def attach_request(*, agent_id: int, major: int = fundos_abi.ABI_VERSION_MAJOR,
                   minor: int = fundos_abi.ABI_VERSION_MINOR, layout_hash: int = fundos_abi.ABI_LAYOUT_HASH,
                   magic: int = fundos_abi.ATTACH_MAGIC) -> bytes:
    request = fundos_abi.AttachRequest()
    request.magic = magic
    request.abi_major = major
    request.abi_minor = minor
    request.agent_id = agent_id
    request.layout_hash = layout_hash
    request.pid = os.getpid()
    return bytes(request)


def raw_attach(socket_path: str, payload: bytes | None, timeout: float = 5.0,
               keep: list[socket.socket] | None = None) -> RawReply:
    """Connect, send `payload` as one SEQPACKET message (None: send nothing), read the reply and
    any fds. The socket is closed afterwards unless `keep` is given (it is appended there)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        if payload is not None:
            sock.send(payload)
        size = ctypes.sizeof(fundos_abi.AttachReply)
        data, ancillary, _flags, _addr = sock.recvmsg(size, socket.CMSG_SPACE(8 * 4))
        fds: list[int] = []
        for level, kind, blob in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(blob) - len(blob) % 4
                fds.extend(int.from_bytes(blob[i:i + 4], "little") for i in range(0, usable, 4))
        reply = fundos_abi.AttachReply.from_buffer_copy(data) if len(data) == size else None
        return RawReply(reply, len(data), fds)
    finally:
        if keep is not None:
            keep.append(sock)
        else:
            sock.close()


def close_fds(fds: Iterable[int]) -> None:
    for fd in fds:
        os.close(fd)
