"""The soak scenarios' agent (tests/soak/test_soak_fund.py), on the Python SDK.

    soak_agent.py [--symbol SYM] [--delay-ms MS] [--die K --seed S] [--hostile MODE] [--flood N]

Socket and agent id come from `fundos run` (FUNDOS_SOCKET, FUNDOS_AGENT_ID); the symbol defaults
to the first instrument the snapshot shows trading. On every snapshot it answers one MARKET DAY
order of one lot (BUY on odd snapshots, SELL on even), END_OF_ANSWER and a heartbeat, and logs
one JSON line per intent submitted ("sub": id, t_ns) and per report read ("rep": id, kind,
reason, t_ns), then sleeps --delay-ms (paces the run). The test pairs them (exactly one report per intent) and takes round trips.

--die K --seed S: while its attach generation is <= K it dies at its n-th snapshot, n and how
chosen from (S, generation) by fate() below, which the test calls too: "mid_write" writes half
of the next intent slot's fields and SIGKILLs itself, "unpublished" all of them but not the
commit word, "external" waits for the test's SIGKILL (at a random moment of its answer loop).

--hostile MODE: besides trading, "garbage" fills its whole intent region with random bytes,
commit words included, once (the Fund must quarantine it); "replay" writes an old accepted slot
again with a valid commit word; "race" keeps rewriting the slot it just committed while the
Fund reads it; "flood" submits --flood intents per snapshot (above its rate limit and, with
--flood above 1024, above what the Fund holds for one answer), waiting when its ring is full; "readonly"
tries to write, grow, truncate, remap writable and mprotect every region the Fund gave it
read-only and logs each errno ("readonly": what, errno), which must all fail; "forged" attaches
a second time with another agent's id and with an unknown id, and sends raw attach requests
with a forged major, minor and layout hash, magic and size (FORGED_REQUESTS), logging the refusals; "stale"
attaches, keeps its own mappings of the snapshot region and of its intent ring, detaches and
attaches again (the Fund rotates it to a new generation), then on every snapshot reads the old
snapshot mapping and commits a well-formed ORDER (ids from 2^41) into the old ring: memory
nobody reads any more, so none of them may reach the journal.
"""

from __future__ import annotations

import ctypes
import errno
import json
import mmap
import os
import random
import signal
import sys
import time
from typing import Any

import fundos
import fundos_abi

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "transport"))
from transport_harness import RawReply, attach_request, close_fds, raw_attach

RECORD = ctypes.sizeof(fundos_abi.IntentRecord)
SLOTS: int = fundos_abi.INTENT_RING_SLOTS


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def fate(seed: int, generation: int) -> tuple[str, int]:
    """How and at which snapshot the agent of this generation dies (shared with the test)."""
    rng = random.Random(f"{seed}:{generation}")
    return rng.choice(["mid_write", "unpublished", "external", "external"]), rng.randint(2, 6)


def region(name: str, perms: str) -> tuple[int, int]:
    """(start, end) of this process's mapping of memfd `name` with `perms` (e.g. rw-s)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[1] == perms and f"memfd:{name}" in line:
                start, end = (int(x, 16) for x in fields[0].split("-"))
                return start, end
    raise RuntimeError(f"no {perms} mapping of memfd:{name} in /proc/self/maps")


def slot_address(agent: fundos.Agent, position: int) -> int:
    start, _ = region("fundos-intents", "rw-s")
    ring: int = fundos_abi.AgentIntentRegion.ring.offset
    return start + ring + (position % SLOTS) * RECORD


def partial_slot(agent: fundos.Agent, seq: int, upto: int) -> None:
    """Write the next slot's fields from offset 8 (after commit) to `upto`, never its commit."""
    record = fundos_abi.IntentRecord()
    record.intent_id = 1 << 40
    record.snapshot_seq = seq
    record.agent_id = int(os.environ["FUNDOS_AGENT_ID"])
    record.kind = int(fundos.IntentKind.END_OF_ANSWER)
    image = bytes(record)
    ctypes.memmove(slot_address(agent, agent.status().intents_submitted) + 8, image[8:upto], upto - 8)


def try_readonly(agent: fundos.Agent) -> None:
    """Every way to change a Fund-written region; each must fail."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    libc.ftruncate.argtypes = [ctypes.c_int, ctypes.c_long]
    for name in ("fundos-snapshot", "fundos-reports"):
        try:
            start, end = region(name, "r--s")
        except RuntimeError:
            emit(event="readonly", what=f"{name}: no read-only mapping", errno=0, failed=False)
            continue
        rc = libc.mprotect(ctypes.c_void_p(start), end - start, mmap.PROT_READ | mmap.PROT_WRITE)
        emit(event="readonly", what=f"mprotect {name}", errno=ctypes.get_errno(), failed=rc != 0)
        # The SDK keeps no fd of a mapped region: get one back from the mapping itself, read-write
        # when the kernel lets it be reopened so (the seals, not the open mode, must refuse).
        path = f"/proc/self/map_files/{start:x}-{end:x}"
        try:
            fd = os.open(path, os.O_RDWR)
            emit(event="reopened", what=f"{name} O_RDWR")
        except OSError:
            fd = os.open(path, os.O_RDONLY)
        try:
            for what, action in (("ftruncate 0", lambda fd=fd: os.ftruncate(fd, 0)),
                                 ("ftruncate grow", lambda fd=fd: os.ftruncate(fd, 1 << 30)),
                                 ("pwrite", lambda fd=fd: os.pwrite(fd, b"\xff" * 8, 0)),
                                 ("mmap writable", lambda fd=fd: mmap.mmap(fd, 4096, mmap.MAP_SHARED,
                                                                            mmap.PROT_READ | mmap.PROT_WRITE))):
                try:
                    action()
                except OSError as error:
                    emit(event="readonly", what=f"{what} {name}", errno=error.errno, failed=True)
                else:
                    emit(event="readonly", what=f"{what} {name}", errno=0, failed=False)
        finally:
            os.close(fd)


# Attach requests with one field forged (raw, as a hostile process would write them); the id is
# this agent's own, which the Fund would take back on a valid request after a hang-up.
FORGED_REQUESTS: dict[str, dict[str, int]] = {
    "major": {"major": fundos_abi.ABI_VERSION_MAJOR + 1},
    "major_0": {"major": 0},
    "newer_minor_other_hash": {"minor": fundos_abi.ABI_VERSION_MINOR + 7, "layout_hash": 0x1234},
    "own_minor_other_hash": {"layout_hash": fundos_abi.ABI_LAYOUT_HASH ^ 1},
    "magic": {"magic": fundos_abi.ATTACH_MAGIC ^ 0xFF},
}


def status_name(reply: RawReply) -> str:
    return fundos_abi.AttachStatus(reply.status).name if reply.reply is not None else "no reply"


def try_forged(socket: str, me: int) -> None:
    for name, fields in FORGED_REQUESTS.items():
        reply = raw_attach(socket, attach_request(agent_id=me, **fields))
        close_fds(reply.fds)
        refused = reply.reply is not None and reply.status != fundos_abi.AttachStatus.OK and not reply.fds
        emit(event="forged", agent_id=name, refused=refused, status=status_name(reply),
             why=reply.message if reply.reply is not None else "")
    truncated = raw_attach(socket, attach_request(agent_id=me)[:40])
    close_fds(truncated.fds)
    emit(event="forged", agent_id="truncated", refused=truncated.reply is not None and not truncated.fds
         and truncated.status != fundos_abi.AttachStatus.OK, status=status_name(truncated),
         why=truncated.message if truncated.reply else "")
    for agent_id in (1, 4242):  # the trader's id (attached already), an id nobody has
        forged = fundos.Agent(socket, agent_id, wait="spin")
        try:
            forged.attach()
        except fundos.AttachRefused as error:
            emit(event="forged", agent_id=agent_id, refused=True, why=str(error),
                 status=error.status.name if error.status is not None else "refused by the agent")
        except fundos.FundosError as error:
            emit(event="forged", agent_id=agent_id, refused=True, why=f"{type(error).__name__}: {error}")
        else:
            emit(event="forged", agent_id=agent_id, refused=False, why="")
            forged.detach()


def keep_mappings() -> tuple[mmap.mmap, mmap.mmap]:
    """Own mappings of the snapshot region (read-only) and the intent ring (writable), which
    outlive the SDK's detach."""
    held = []
    for name, perms, prot in (("fundos-snapshot", "r--s", mmap.PROT_READ),
                              ("fundos-intents", "rw-s", mmap.PROT_READ | mmap.PROT_WRITE)):
        start, end = region(name, perms)
        fd = os.open(f"/proc/self/map_files/{start:x}-{end:x}", os.O_RDWR if prot & mmap.PROT_WRITE else os.O_RDONLY)
        try:
            held.append(mmap.mmap(fd, os.fstat(fd).st_size, mmap.MAP_SHARED, prot))
        finally:
            os.close(fd)
    return held[0], held[1]


def stale_generation(socket: str, me: int) -> tuple[mmap.mmap, mmap.mmap]:
    """Generation 1: attach, answer 3 snapshots, keep the mappings, detach."""
    first = fundos.Agent(socket, me, wait="futex")
    first.attach()
    reply = first.attach_reply
    assert reply is not None
    emit(event="attached", generation=reply.generation, pid=os.getpid())
    for n, snapshot in enumerate(first.snapshots(timeout=None), start=1):
        first.end_of_answer(snapshot.seq)
        first.heartbeat(snapshot.seq)
        if n == 3:
            break
    held = keep_mappings()
    first.detach()
    emit(event="detached", generation=reply.generation)
    return held


def stale_write(ring: mmap.mmap, position: int, seq: int, me: int, instrument_id: int) -> int:
    """A well-formed ORDER committed at `position` of a ring nobody reads; returns its id."""
    record = fundos_abi.IntentRecord()
    record.intent_id, record.snapshot_seq, record.agent_id = (1 << 41) + position, seq, me
    record.instrument_id, record.kind, record.side = instrument_id, int(fundos.IntentKind.ORDER), int(fundos.Side.BUY)
    record.order_type, record.time_in_force = int(fundos.OrderType.MARKET), int(fundos.TimeInForce.DAY)
    record.qty = 1_000_000
    offset = fundos_abi.AgentIntentRegion.ring.offset + (position % SLOTS) * RECORD
    ring[offset + 8:offset + RECORD] = bytes(record)[8:]
    ring[offset:offset + 8] = (position + 1).to_bytes(8, "little")
    return int(record.intent_id)


def read_reports(agent: fundos.Agent) -> list[fundos.Report]:
    """The new reports; a flood outruns its report ring, which the SDK says once (ReportsLost):
    logged, then the reports still readable."""
    try:
        return agent.reports()
    except fundos.ReportsLost as lost:
        emit(event="reports_lost", lost=lost.lost)
        return agent.reports()


def main() -> int:
    args = sys.argv[1:]
    opts = dict(zip(args[::2], args[1::2], strict=False))
    socket, me = os.environ["FUNDOS_SOCKET"], int(os.environ["FUNDOS_AGENT_ID"])
    hostile = opts.get("--hostile", "")
    stale = stale_generation(socket, me) if hostile == "stale" else None
    # A flood waits for room in a full ring rather than stop, to push past what the Fund holds
    # for one answer (fund_run.cpp's kMaxPending).
    agent = fundos.Agent(socket, me, wait="futex", ring_full="wait" if hostile == "flood" else "fail")
    signal.signal(signal.SIGTERM, lambda signo, frame: agent.stop())
    agent.attach()
    reply = agent.attach_reply
    assert reply is not None
    generation = reply.generation
    emit(event="attached", generation=generation, pid=os.getpid())
    how, die_at = ("", 0)
    if "--die" in opts and generation <= int(opts["--die"]):
        how, die_at = fate(int(opts["--seed"]), generation)
    accepted_slots: list[bytes] = []
    n = 0
    with agent:
        try:
            for snapshot in agent.snapshots(timeout=None):
                n += 1
                for rep in read_reports(agent):
                    emit(rep=rep.intent_id, kind=rep.kind.name, reason=rep.reason_name, t=time.monotonic_ns())
                if n == die_at and how in ("mid_write", "unpublished"):
                    partial_slot(agent, snapshot.seq, 64 if how == "mid_write" else RECORD)
                    emit(event="dying", how=how, n=n, generation=generation)
                    os.kill(os.getpid(), signal.SIGKILL)
                if n == die_at and how == "external":
                    emit(event="dying", how=how, n=n, generation=generation)  # the test kills it from now on
                if hostile == "replay" and n == 6 and accepted_slots:
                    position = agent.status().intents_submitted
                    image = bytearray(accepted_slots[0])
                    image[0:8] = (position + 1).to_bytes(8, "little")
                    address = slot_address(agent, position)
                    ctypes.memmove(address + 8, bytes(image[8:]), RECORD - 8)
                    ctypes.c_uint64.from_address(address).value = position + 1
                    emit(event="replayed", position=position, intent_id=int.from_bytes(image[8:16], "little"))
                    # The SDK does not know the slot is used: its next record goes into the same
                    # slot (and is never read); give the Fund time to read ours first.
                    time.sleep(0.05)
                row = next((i for i in snapshot.instruments()
                            if i.status is fundos.InstrumentStatus.TRADING and i.last > 0
                            and (opts.get("--symbol", i.symbol) == i.symbol)), None)
                if row is not None:
                    times = int(opts.get("--flood", "1")) if hostile == "flood" else 1
                    for k in range(times):
                        try:
                            intent_id = agent.submit(kind="ORDER", instrument_id=row.instrument_id,
                                                     side="BUY" if (n + k) % 2 else "SELL", qty=row.lot_size or 1,
                                                     order_type="MARKET", time_in_force="DAY",
                                                     snapshot_seq=snapshot.seq)
                        except fundos.RingFull:
                            emit(event="ring_full", n=n, k=k)
                            break
                        emit(sub=intent_id, t=time.monotonic_ns())
                        position = agent.status().intents_submitted - 1
                        if len(accepted_slots) < 4:
                            accepted_slots.append(ctypes.string_at(slot_address(agent, position), RECORD))
                        if hostile == "race" and n % 3 == 0:
                            address = slot_address(agent, position)
                            for flip in range(2000):  # the Fund copies it meanwhile: one consistent copy or CORRUPT_SLOT
                                ctypes.c_int64.from_address(address + 48).value = (row_qty := flip % 7 + 1) * 1_000_000
                            emit(event="raced", position=position, last_qty=row_qty)
                if hostile == "garbage" and n == 6:
                    start, end = region("fundos-intents", "rw-s")
                    noise = random.Random(me).randbytes(end - start)
                    ctypes.memmove(start, noise, len(noise))
                    emit(event="garbage", bytes=len(noise))
                if stale is not None and row is not None:
                    old_snapshot, old_ring = stale
                    checksum = sum(old_snapshot[:4096])  # still mapped, still readable: no SIGBUS
                    emit(event="stale", intent_id=stale_write(old_ring, n, snapshot.seq, me, row.instrument_id),
                         checksum=checksum)
                if hostile == "readonly" and n == 3:
                    try_readonly(agent)
                if hostile == "forged" and n == 3:
                    try_forged(socket, me)
                agent.end_of_answer(snapshot.seq)
                agent.heartbeat(snapshot.seq)
                if "--delay-ms" in opts:
                    time.sleep(float(opts["--delay-ms"]) / 1000)
        except (fundos.Disconnected, fundos.Quarantined, fundos.ProtocolError) as error:
            # ProtocolError: the SDK found its own ring changed behind it (replay, garbage)
            emit(event="ended", why=type(error).__name__)
        except OSError as error:  # e.g. the region scribbled over: never a traceback
            emit(event="ended", why=f"OSError {errno.errorcode.get(error.errno or 0, error.errno)}")
        try:  # the verdicts of the last answer, written before the Fund hung up
            for rep in agent.reports():
                emit(rep=rep.intent_id, kind=rep.kind.name, reason=rep.reason_name, t=time.monotonic_ns())
        except fundos.FundosError as error:
            emit(event="last_reports", why=type(error).__name__)
    emit(event="done", snapshots=n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
