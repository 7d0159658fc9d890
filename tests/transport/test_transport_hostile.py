"""Hostile agents: garbage in the intent ring, a scribbled ring, writes to read-only regions.

In every case the Fund rejects or quarantines only the offender, keeps serving a well-behaved
trader (its accepted count grows while the attack runs), and loses nothing it accepted.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from transport_harness import BURSTS_OK, Cluster, assert_same_outcomes, host_outcomes

# Every RejectReason the transport's validator can give for a record committed correctly.
VALIDATION_REASONS = {
    "UNKNOWN_ENUM", "BAD_AGENT_ID", "INTENT_ID_NOT_INCREASING", "STALE_SNAPSHOT", "UNKNOWN_INSTRUMENT",
    "BAD_FIELD_COMBINATION", "BAD_QUANTITY", "BAD_PRICE", "RESERVED_NOT_ZERO",
}


def accepted_between(host_events: list[dict[str, Any]], agent: int, t0: int, t1: int) -> int:
    return sum(1 for e in host_events if e["event"] == "intent" and e["agent"] == agent
               and e["result"] == "accepted" and t0 < e["t_ns"] < t1)


def test_garbage_records_get_their_reject_reason_then_an_impossible_commit_quarantines(cluster: Cluster) -> None:
    lag = 200
    host = cluster.host((1, 2), "--mode", "stream", "--publish-us", "500", "--max-seq-lag", str(lag))
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")

    garbage = cluster.c_agent("garbage_writer", host, 2, "--max-seq-lag", str(lag), "--then", "quarantine")
    lines = garbage.finish(timeout=40)

    # What the agent saw: each crafted record got the reason the validator's order gives it.
    cases = [e for e in lines if e["event"] == "case"]
    assert len(cases) >= 40, cases
    wrong = [c for c in cases if not c["got"] or c["reason"] != c["expected"]
             or c["kind"] != ("ACCEPTED" if c["expected"] == "NONE" else "REJECTED")
             or c["report_intent_id"] != c["intent_id"]]
    assert not wrong, wrong
    assert {c["reason"] for c in cases} == VALIDATION_REASONS | {"NONE"}

    # What the Fund printed: the same records, in order, each once.
    fund = host_outcomes(host, 2)
    assert fund == [(c["intent_id"], c["kind"], c["reason"]) for c in cases]
    unknown = [e for e in host.select("intent", agent=2) if e["kind_code"] == 200]
    assert len(unknown) == 1 and unknown[0]["kind"] == "UNKNOWN" and unknown[0]["reason"] == "UNKNOWN_ENUM"

    # A heartbeat claiming it answered snapshot 2^64-1 is not believed.
    answered = next(e for e in lines if e["event"] == "answered_seq")
    assert answered["rc"] == "FUNDOS_OK"
    assert answered["last_answered_seq"] <= answered["snapshot_seq"] and answered["last_answered_seq"] > 0

    # The impossible commit: quarantined, the Fund names the slot, the SDK refuses to submit.
    bad = next(e for e in lines if e["event"] == "impossible_commit")
    quarantined = host.wait_event("quarantined", agent=2)
    assert (quarantined["reason"], quarantined["position"], quarantined["index"], quarantined["commit"]) == (
        "CORRUPT_SLOT", bad["position"], bad["index"], bad["commit"])
    seen = next(e for e in lines if e["event"] == "quarantined")
    assert (seen["quarantined"], seen["status"], seen["reason"]) == (1, "SUSPENDED", "CORRUPT_SLOT")
    assert seen["intents_consumed"] == bad["position"]
    assert next(e for e in lines if e["event"] == "submit_after")["name"] == "FUNDOS_E_QUARANTINED"
    assert len(host_outcomes(host, 2)) == len(cases), "a record was processed after the quarantine"

    # The trader kept trading while the garbage was written.
    events = host.events.snapshot()
    t0 = host.wait_event("attached", agent=2)["t_ns"]
    t1 = host.wait_event("detached", agent=2, generation=1)["t_ns"]
    assert accepted_between(events, 1, t0, t1) >= 5

    # The offender comes back clean: a new generation, fresh regions, ids after its last one.
    again = cluster.c_agent("trader", host, 2, "--count", "20", "--interval-us", "0")
    again_lines = again.finish()
    attached = next(e for e in again_lines if e["event"] == "attached")
    assert attached["generation"] == 2
    assert attached["book_last_intent_id"] == max(i for i, _, _ in fund)
    outcomes = assert_same_outcomes(host, 2, again_lines, generations=[2], all_accepted=True)
    assert len(outcomes) == 20 and outcomes[0][0] == attached["book_last_intent_id"] + 1

    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)
    assert host.stop()["quarantined"] == 1


def test_scribbled_ring_quarantines_only_the_scribbler(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    fundos = fundos_sdk
    host = cluster.host((1, 2, 3), *BURSTS_OK)
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")
    scribbler = cluster.c_agent("garbage_writer", host, 2, "--skip-cases", "--then", "scribble", "--hold", stdin=True)
    scribbled = scribbler.wait_for("scribbled")
    quarantined = host.wait_event("quarantined", agent=2)
    assert (quarantined["reason"], quarantined["position"], quarantined["commit"]) == (
        "CORRUPT_SLOT", scribbled["position"], scribbled["commit"])
    seen = scribbler.wait_for("quarantined")
    assert (seen["quarantined"], seen["status"], seen["reason"]) == (1, "SUSPENDED", "CORRUPT_SLOT")
    assert scribbler.wait_for("submit_after")["name"] == "FUNDOS_E_QUARANTINED"
    scribbler.wait_for("holding")

    # While the scribbler stays attached (quarantined): the trader is served, and every agent
    # sees the scribbler SUSPENDED in the snapshot.
    before = host.accepted_count(1)
    host.wait_accepted(1, before + 30)
    with fundos.Agent(host.socket, 3, wait="futex") as watcher:
        deadline = time.monotonic() + 5
        while True:
            snapshot = watcher.wait_snapshot(timeout=5)
            if snapshot.agent(2).status is fundos.AgentStatus.SUSPENDED:
                break
            assert time.monotonic() < deadline, snapshot.agent(2)
        assert snapshot.agent(1).status is fundos.AgentStatus.ACTIVE
    assert host.select("intent", agent=2) == []

    scribbler.close_stdin()
    assert scribbler.finish()[-1]["event"] == "done"
    host.wait_event("detached", agent=2, generation=1, reason="hangup")

    # Back with a new generation (Python SDK): served again.
    again = cluster.py_agent(host, 2, "--count", "10", "--interval-us", "0")
    lines = again.finish(timeout=30)
    assert next(e for e in lines if e["event"] == "attached")["generation"] == 2
    assert len(assert_same_outcomes(host, 2, lines, all_accepted=True)) == 10
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)


SEALED_OPS = {
    # op: the errno the kernel must answer with (F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
    "mmap_shared_write": {"EPERM"},
    "mprotect_write": {"EACCES"},
    "madvise_remove": {"EACCES", "EPERM"},
    "pwrite_header": {"EPERM"},
    "pwrite_middle": {"EPERM"},
    "write": {"EPERM"},
    "ftruncate_zero": {"EPERM"},
    "ftruncate_shrink": {"EPERM"},
    "ftruncate_grow": {"EPERM"},
    "fallocate_punch_hole": {"EPERM"},
    "fallocate_grow": {"EPERM"},
    "add_seal_write": {"EPERM"},
    "reopen_pwrite": {"EPERM"},
    "reopen_mmap_shared_write": {"EPERM"},
}


def test_read_only_regions_cannot_be_written_truncated_or_punched(cluster: Cluster, fundos_sdk: ModuleType) -> None:
    fundos = fundos_sdk
    host = cluster.host((1, 2, 3))
    trader = cluster.c_agent("trader", host, 1, "--interval-us", "1000")
    trader.wait_for("report")
    abuser = cluster.c_agent("ro_abuser", host, 2, stdin=True)
    abuser.wait_for("attacks_done")
    attempts = abuser.select("attempt")

    for region in ("snapshot", "reports"):
        ops = {e["op"]: e for e in attempts if e["region"] == region}
        assert set(SEALED_OPS) <= set(ops), sorted(ops)
        wrong = {op: (ops[op]["ok"], ops[op]["errno"]) for op, allowed in SEALED_OPS.items()
                 if ops[op]["ok"] or ops[op]["errno"] not in allowed}
        assert not wrong, f"{region}: writes that were not refused as expected: {wrong}"
        # A private copy-on-write mapping is allowed, and stays private.
        assert ops["mmap_private_write"]["ok"] == 1
        assert abuser.select("private_write", region=region)[0]["visible_in_shared_mapping"] == 0
        seals = abuser.select("seals", region=region)[0]
        assert seals["seals"] == 0x1 | 0x2 | 0x4 | 0x10  # SEAL | SHRINK | GROW | FUTURE_WRITE
        assert abuser.select("size_after", region=region)[0]["size"] == seals["size"]
    # The agent's own intent region is writable, but its size is sealed (the Fund maps it).
    own = {e["op"]: e for e in attempts if e["region"] == "intents"}
    for op in ("ftruncate_zero", "ftruncate_shrink", "ftruncate_grow", "fallocate_grow"):
        assert (own[op]["ok"], own[op]["errno"]) == (0, "EPERM"), own[op]
    assert abuser.select("size_after", region="intents")[0]["size"] == host.ready["intent_region_size"]
    regions = abuser.wait_for("regions")
    assert regions["snapshot_header_ok"] == 1 and regions["reports_header_ok"] == 1

    # The Fund is alive and serving; a new agent's checks of every header pass and the
    # snapshot reads as the Fund wrote it.
    assert host.proc.poll() is None
    before = host.accepted_count(1)
    host.wait_accepted(1, before + 20)
    with fundos.Agent(host.socket, 3, wait="futex") as checker:
        snapshot = checker.latest_snapshot()
        assert snapshot is not None
        assert [(i.instrument_id, i.symbol, i.last) for i in snapshot.instruments()] == [
            (n, f"SYM{n}", n * 100.0) for n in range(1, 5)]
        assert snapshot.agent(2).status is fundos.AgentStatus.ACTIVE

    abuser.close_stdin()
    assert abuser.finish()[-1]["event"] == "done"
    host.wait_event("detached", agent=2, reason="hangup")
    assert_same_outcomes(host, 1, trader.terminate(), all_accepted=True)
