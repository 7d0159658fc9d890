"""Attach: many attach/detach/reattach cycles, and every way an attach is refused.

Forged requests (an ABI major or minor or layout hash the SDKs, built with the right ones, never
send) go over a raw Python socket. Each refusal must come back as an AttachReply naming both
sides' versions, be printed by the host as a "refused" event with the same message, and leave a
trading agent untouched. Agents built for an older released minor (forged with the layout hash of
its lock in schema/history/) attach at that minor.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import fundos_abi
import pytest
from transport_harness import (
    BURSTS_OK,
    ROOT,
    Cluster,
    Host,
    assert_same_outcomes,
    attach_request,
    close_fds,
    host_outcomes,
    raw_attach,
)

HASH = fundos_abi.ABI_LAYOUT_HASH
MAJOR, MINOR = fundos_abi.ABI_VERSION_MAJOR, fundos_abi.ABI_VERSION_MINOR
OWN = f"{MAJOR}.{MINOR}"  # the version this build speaks (an agent's default)
FUND = f"fund ABI {OWN}"
Status = fundos_abi.AttachStatus


def released_hashes() -> dict[int, int]:
    """minor -> layout hash of every released minor of this major older than this build, read from
    the release locks themselves (what an agent built for that minor sends)."""
    found = {}
    for lock in sorted((ROOT / "schema" / "history").glob("abi-*.lock.json")):
        data = json.loads(lock.read_text(encoding="utf-8"))
        major, minor = (int(part) for part in data["abi_version"].split("."))
        if major == MAJOR and minor < MINOR:
            found[minor] = int(data["ir"]["layout_hash"], 16)
    return found


RELEASED = released_hashes()
assert {0, 1} <= set(RELEASED), f"schema/history has no locks for ABI {MAJOR}.0 and {MAJOR}.1"


def wait_for_report(agent: Any, intent_id: int, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        reports = agent.reports()
        if reports:
            assert [r.intent_id for r in reports] == [intent_id], reports
            return reports[0]
        assert time.monotonic() < deadline, f"no report for intent {intent_id}"
        time.sleep(0.0002)


def test_attach_detach_reattach_many_times(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    fundos = fundos_sdk
    host = cluster.host((1, 2, 3), *BURSTS_OK)
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")
    before = host.accepted_count(1)

    # 200 cycles in this process (Python SDK): each one a new generation that trades once.
    seen: list[tuple[int, str, str]] = []
    for generation in range(1, 201):
        agent = fundos.Agent(host.socket, 2, wait="futex")
        agent.attach()
        reply = agent.attach_reply
        assert reply is not None and reply.generation == generation and reply.slot == 1
        snapshot = agent.latest_snapshot()
        assert snapshot is not None
        intent_id = agent.submit(kind="ORDER", instrument_id=1, side="BUY", qty=1, snapshot_seq=snapshot.seq)
        assert intent_id == generation  # ids continue across attaches (from the book)
        report = wait_for_report(agent, intent_id)
        seen.append((report.intent_id, report.kind.name, report.reason_name))
        agent.detach()
    # 10 more as separate C processes, each trading 3 intents.
    c_lines: list[dict[str, Any]] = []
    for generation in range(201, 211):
        lines = cluster.c_agent("trader", host, 2, "--count", "3", "--interval-us", "0").finish()
        attached = next(e for e in lines if e["event"] == "attached")
        assert attached["generation"] == generation
        assert attached["book_last_intent_id"] == 200 + 3 * (generation - 201)
        c_lines.extend(lines)
    host.wait_event("detached", agent=2, generation=210)

    attached_events = host.select("attached", agent=2)
    detached_events = host.select("detached", agent=2)
    assert [e["generation"] for e in attached_events] == list(range(1, 211))
    assert [e["generation"] for e in detached_events] == list(range(1, 211))
    assert all(e["reason"] == "hangup" for e in detached_events)
    assert not host.select("refused")
    assert host_outcomes(host, 2, generations=range(1, 201)) == seen
    assert all(kind == "ACCEPTED" for _, kind, _ in seen)
    assert_same_outcomes(host, 2, c_lines, generations=range(201, 211), all_accepted=True)
    assert len(host.intents(2)) == 230

    assert host.accepted_count(1) > before + 10, "the trader was not served during the cycles"
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)


FORGED = [
    # (name, request fields, expected status, text the reply must contain, agent ABI in the event)
    ("major_2", {"major": 2}, Status.VERSION_MISMATCH,
     [f"agent ABI 2.{MINOR}", FUND, "majors differ"], f"2.{MINOR}"),
    ("major_0", {"major": 0, "minor": 7}, Status.VERSION_MISMATCH, ["agent ABI 0.7", FUND], "0.7"),
    ("major_65535", {"major": 65535, "minor": 65535}, Status.VERSION_MISMATCH, ["agent ABI 65535.65535", FUND],
     "65535.65535"),
    ("newer_minor_other_hash", {"minor": 9, "layout_hash": 0x1234}, Status.LAYOUT_MISMATCH,
     ["agent ABI 1.9 layout 0x0000000000001234", f"{FUND} layout 0x{HASH:016x}", f"negotiated {OWN}"], "1.9"),
    ("older_minor_own_hash", {"minor": 0}, Status.LAYOUT_MISMATCH,
     [f"agent ABI 1.0 layout 0x{HASH:016x}", f"{FUND} layout 0x{RELEASED[0]:016x} for negotiated 1.0",
      "layout hashes differ"], "1.0"),
    ("older_minor_other_hash", {"minor": 1, "layout_hash": RELEASED[0]}, Status.LAYOUT_MISMATCH,
     [f"agent ABI 1.1 layout 0x{RELEASED[0]:016x}", f"{FUND} layout 0x{RELEASED[1]:016x} for negotiated 1.1"],
     "1.1"),
    ("future_minor_other_hash", {"minor": MINOR + 1, "layout_hash": RELEASED[0]}, Status.LAYOUT_MISMATCH,
     [f"agent ABI 1.{MINOR + 1} layout 0x{RELEASED[0]:016x}", f"{FUND} layout 0x{HASH:016x}",
      f"negotiated {OWN}"], f"1.{MINOR + 1}"),
    ("same_version_other_hash", {"layout_hash": HASH ^ 1}, Status.LAYOUT_MISMATCH,
     [f"agent ABI {OWN} layout 0x{HASH ^ 1:016x}", f"{FUND} layout 0x{HASH:016x}", "layout hashes differ"], OWN),
    ("zero_hash", {"layout_hash": 0}, Status.LAYOUT_MISMATCH,
     [f"agent ABI {OWN} layout 0x0000000000000000", f"{FUND} layout 0x{HASH:016x}"], OWN),
    ("bad_magic", {"magic": 0x1122334455667788}, Status.BAD_REQUEST,
     ["attach magic 0x1122334455667788", FUND], OWN),
    ("unknown_agent", {"agent_id": 99}, Status.UNKNOWN_AGENT, ["agent id 99 is not configured", "1,2,3"], OWN),
    ("agent_zero", {"agent_id": 0}, Status.UNKNOWN_AGENT, ["agent id 0 is not configured"], OWN),
]


def test_forged_attach_requests_are_refused_naming_both_versions(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    fundos = fundos_sdk
    host = cluster.host((1, 2, 3), "--handshake-ms", "300")
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")
    before = host.accepted_count(1)

    def check_refused(name: str, reply: Any, status: int, texts: list[str], agent_abi: str, agent: int) -> None:
        assert reply.reply is not None and reply.size == 256, name
        assert (reply.status, reply.fds) == (status, []), (name, reply.message)
        assert reply.reply.magic == fundos_abi.ATTACH_MAGIC and reply.reply.abi_major == 1, name
        for text in texts:
            assert text in reply.message, (name, text, reply.message)
        event = host.wait_event("refused", message=reply.message)
        assert (event["status"], event["status_code"], event["agent_abi"], event["agent"]) == (
            Status(status).name, status, agent_abi, agent), (name, event)
        assert event["pid"] == os.getpid() and event["uid"] == os.getuid()

    for name, fields, status, texts, agent_abi in FORGED:
        request = {"agent_id": 2, **fields}
        reply = raw_attach(host.socket, attach_request(**request))
        check_refused(name, reply, status, texts, agent_abi, request["agent_id"])

    # Wrong sizes: the request is not read as one.
    for size in (10, 63, 65, 200):
        payload = attach_request(agent_id=2).ljust(size, b"\0")[:size]
        reply = raw_attach(host.socket, payload)
        check_refused(f"size_{size}", reply, Status.BAD_REQUEST, [f"attach request of {size} bytes", FUND, "64 bytes"],
                      "", 0)
    # Nothing at all: refused when the handshake time is up.
    started = time.monotonic()
    reply = raw_attach(host.socket, None)
    assert time.monotonic() - started >= 0.25
    check_refused("silent", reply, Status.BAD_REQUEST, ["no attach request within 300 ms", FUND], "", 0)

    # A newer minor with the fund's own layout hash is what negotiation allows: attached at the fund's.
    held: list[socket.socket] = []
    reply = raw_attach(host.socket, attach_request(agent_id=3, minor=9), keep=held)
    assert (reply.status, reply.reply.abi_minor if reply.reply else None, len(reply.fds)) == (Status.OK, MINOR, 3)
    assert f"negotiated {OWN}" in reply.message
    assert host.wait_event("attached", agent=3)["abi_minor"] == MINOR
    # ... and a second attach of the same agent is refused while that socket lives.
    again = raw_attach(host.socket, attach_request(agent_id=3))
    check_refused("already_attached", again, Status.ALREADY_ATTACHED, ["agent 3 already has a live attachment"],
                  OWN, 3)
    with pytest.raises(fundos.AttachRefused) as refused:
        fundos.Agent(host.socket, 3).attach()
    assert refused.value.status is Status.ALREADY_ATTACHED and refused.value.refused_by_fund
    assert "agent 3 already has a live attachment" in refused.value.fund_message
    close_fds(reply.fds)
    held[0].close()
    host.wait_event("detached", agent=3, generation=1)

    # The SDKs report the Fund's refusal with its message.
    with pytest.raises(fundos.AttachRefused) as refused:
        fundos.Agent(host.socket, 99).attach()
    assert refused.value.status is Status.UNKNOWN_AGENT
    assert "agent id 99 is not configured" in refused.value.fund_message
    failed = cluster.c_agent("trader", host, 77).finish(expect=1)
    line = next(e for e in failed if e["event"] == "attach_failed")
    assert (line["name"], line["status"]) == ("FUNDOS_E_UNKNOWN_AGENT", Status.UNKNOWN_AGENT)
    assert "agent id 77 is not configured" in line["message"]

    # Nothing the forgers did reached the trader: still served, nothing lost.
    host.wait_accepted(1, before + 20)
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)
    # The agent that was refused as ALREADY_ATTACHED attaches fine now, generation 2.
    with fundos.Agent(host.socket, 3) as agent:
        assert agent.attach_reply is not None and agent.attach_reply.generation == 2
    assert len(host.select("refused")) == len(FORGED) + 4 + 1 + 1 + 2 + 1


def test_agents_of_every_released_minor_attach(cluster: Cluster) -> None:
    """An agent built for an older released minor sends that minor's layout hash (from its lock);
    the Fund attaches it at that minor, naming the same hash, alongside a trader of its own minor.
    A future minor negotiates down to the Fund's."""
    host = cluster.host((1, 2, 3))
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")
    for generation, (minor, layout_hash) in enumerate([*sorted(RELEASED.items()), (MINOR + 1, HASH)], start=1):
        held: list[socket.socket] = []
        reply = raw_attach(host.socket, attach_request(agent_id=2, minor=minor, layout_hash=layout_hash), keep=held)
        negotiated = min(minor, MINOR)
        assert reply.reply is not None, minor
        assert (reply.status, reply.reply.abi_major, reply.reply.abi_minor, len(reply.fds)) == (
            Status.OK, MAJOR, negotiated, 3), (minor, reply.message)
        assert reply.reply.layout_hash == (layout_hash if minor < MINOR else HASH)
        assert f"agent ABI 1.{minor}, {FUND}, negotiated 1.{negotiated}" in reply.message
        assert host.wait_event("attached", agent=2, generation=generation)["abi_minor"] == negotiated
        close_fds(reply.fds)
        held[0].close()
        host.wait_event("detached", agent=2, generation=generation)
    assert not host.select("refused")
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.005)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def fill_handshake_slots(host: Host, silent: list[socket.socket]) -> None:
    """16 connections that never send a request: every handshake slot of the Fund is taken."""
    for _ in range(16):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        silent.append(sock)
        sock.connect(host.socket)  # the listen queue is FIFO: the Fund accepts these first


def test_attach_handshake_flood_is_bounded_and_the_fund_keeps_serving(cluster: Cluster) -> None:
    host = cluster.host((1, 2), "--handshake-ms", "500")
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")
    silent: list[socket.socket] = []
    try:
        fill_handshake_slots(host, silent)
        # The next connection is turned away at once (FUND_FULL). Whether its AttachReply reaches
        # it is the product bug test_fund_full_refusal_reaches_the_agent shows; here only the
        # Fund's side is checked.
        mark = host.mark()
        started = time.monotonic()
        try:
            reply = raw_attach(host.socket, attach_request(agent_id=2))
            assert reply.status == Status.FUND_FULL
        except (ConnectionResetError, BrokenPipeError):
            pass
        assert time.monotonic() - started < 0.4
        event = host.wait_event("refused", status="FUND_FULL", start=mark)
        assert "too many attach handshakes in progress (16)" in event["message"]
        before = host.accepted_count(1)
        host.wait_accepted(1, before + 20)  # the attached trader does not notice
        for sock in silent:  # each silent peer is answered when its handshake time is up
            sock.settimeout(5)
            data = sock.recv(256)
            reply_status = fundos_abi.AttachReply.from_buffer_copy(data).status
            assert reply_status == Status.BAD_REQUEST
    finally:
        for sock in silent:
            sock.close()
    # Once the silent peers timed out, attaching works again.
    lines = cluster.c_agent("trader", host, 2, "--count", "5").finish()
    assert len(assert_same_outcomes(host, 2, lines, all_accepted=True)) == 5
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)


def test_fund_full_refusal_reaches_the_agent(cluster: Cluster) -> None:
    host = cluster.host((1, 2), "--handshake-ms", "3000")
    silent: list[socket.socket] = []
    waiting: list[socket.socket] = []
    outcomes: list[str] = []
    try:
        base = open_fds(host.pid)
        fill_handshake_slots(host, silent)
        wait_until(lambda: open_fds(host.pid) >= base + 16, "the Fund accepted the silent connections")
        # The agents' requests are queued before the Fund accepts their connections (it is
        # stopped meanwhile), as they are whenever the Fund is busy for a moment.
        os.kill(host.pid, signal.SIGSTOP)
        try:
            wait_until(lambda: process_state(host.pid) == "T", "the Fund stopped")
            for _ in range(5):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                waiting.append(sock)
                sock.settimeout(5)
                sock.connect(host.socket)
                sock.send(attach_request(agent_id=2))
        finally:
            os.kill(host.pid, signal.SIGCONT)
        wait_until(lambda: len(host.select("refused", status="FUND_FULL")) == 5, "five FUND_FULL refusals")
        for sock in waiting:
            try:
                data = sock.recv(256)
                outcomes.append(Status(fundos_abi.AttachReply.from_buffer_copy(data).status).name)
            except OSError as error:
                outcomes.append(type(error).__name__)
    finally:
        for sock in silent + waiting:
            sock.close()
    assert outcomes == ["FUND_FULL"] * 5, outcomes


def test_peer_credentials_not_allowed_are_refused(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    fundos = fundos_sdk
    other = 4242 if os.getuid() != 4242 else 4243
    host = cluster.host((1, 2), "--allow-uid", str(other))
    reply = raw_attach(host.socket, attach_request(agent_id=1))
    assert reply.status == Status.NOT_PERMITTED and reply.fds == []
    assert f"peer uid {os.getuid()} gid {os.getgid()} may not attach as agent 1" in reply.message
    assert f"fund allows uids {other}" in reply.message
    with pytest.raises(fundos.AttachRefused) as refused:
        fundos.Agent(host.socket, 2).attach()
    assert refused.value.status is Status.NOT_PERMITTED
    host.wait_event("refused", agent=2)
    events = host.select("refused")
    assert [(e["agent"], e["status"]) for e in events] == [(1, "NOT_PERMITTED"), (2, "NOT_PERMITTED")]
    assert not host.select("attached")
