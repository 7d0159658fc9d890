"""Fuzzing the intent path (issue #9): generated records through fund_fuzz_intent (the real memfd
ring, IntentRingReader and validate_intent; fund/tests/fuzz_intent.cpp, which aborts on any
breach of the validator's contract):

- hypothesis builds records field by field near every check's edge and compares each verdict
  with a model of docs/TRANSPORT.md's table written here (first failure wins);
- the probe's own generator (--random) pushes the bulk of the records;
- in `make soak`, libFuzzer (coverage-guided) runs on the same target built with clang++, from
  a corpus of generated inputs (fund_fuzz_intent --corpus).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fund_build import build_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from soak_harness import Scenario, count, reproduce, soak

HERE = "tests/soak/test_soak_fuzz.py"
AGENT, FIRST_LAST_ID, LATEST, LAG = 7, 10, 100, 5
MAX_QTY = MAX_PRICE = 1_000_000_000_000
# instrument id -> (status TRADING/HALTED/UNUSED, tick, lot, mapped): fuzz_intent.cpp's table
TABLE = {1: ("TRADING", 1_000_000, 100_000_000, True), 2: ("TRADING", 1, 1, False),
         3: ("UNUSED", 0, 0, True), 4: ("HALTED", 0, 0, True)}
KINDS = {1: "TARGET_POSITION", 2: "ORDER", 3: "CANCEL", 4: "FLATTEN", 5: "END_OF_ANSWER"}
SIDES, ORDER_TYPES, TIFS = {0, 1, 2}, {0, 1, 2}, {0, 1, 2, 3, 4}  # NONE + values
INT64 = (1 << 63) - 1


@dataclass
class Rec:
    intent_id: int
    snapshot_seq: int
    ref: int
    agent: int
    instrument: int
    kind: int
    side: int
    order_type: int
    tif: int
    pad: int
    qty: int
    price: int
    reserved: int

    def image(self) -> bytes:
        def u(v: int, n: int) -> bytes:
            return (v % (1 << (8 * n))).to_bytes(n, "little")
        out = (u(0, 8) + u(self.intent_id, 8) + u(self.snapshot_seq, 8) + u(self.ref, 8) + u(self.agent, 4)
               + u(self.instrument, 4) + bytes([self.kind, self.side, self.order_type, self.tif])
               + u(self.pad, 4) + u(self.qty, 8) + u(self.price, 8) + u(0, 8) + u(self.reserved, 56))
        assert len(out) == 128
        return out


def expected(r: Rec, last: int) -> tuple[str, bool]:
    """(reason, intent id consumed) by the table of docs/TRANSPORT.md, first failure wins."""
    if r.agent != AGENT:
        return "BAD_AGENT_ID", False
    if r.kind not in KINDS or r.side not in SIDES or r.order_type not in ORDER_TYPES or r.tif not in TIFS:
        return "UNKNOWN_ENUM", False
    if r.intent_id <= last:
        return "INTENT_ID_NOT_INCREASING", False
    kind = KINDS[r.kind]
    if r.snapshot_seq == 0 or r.snapshot_seq > LATEST or LATEST - r.snapshot_seq > LAG:
        return "STALE_SNAPSHOT", True
    row = None
    if kind == "END_OF_ANSWER":
        if r.instrument != 0:
            return "BAD_FIELD_COMBINATION", True
    elif not (kind == "CANCEL" and r.instrument == 0):
        entry = TABLE.get(r.instrument)
        if r.instrument == 0 or entry is None or entry[0] == "UNUSED":
            return "UNKNOWN_INSTRUMENT", True
        if not entry[3]:
            return "INSTRUMENT_NOT_MAPPED", True
        row = entry
    side_ok = (r.side != 0) if kind == "ORDER" else (r.side == 0)
    order_ok = (r.order_type != 0 and r.tif != 0) if kind == "ORDER" else (r.order_type == 0 and r.tif == 0)
    ref_ok = (0 < r.ref < r.intent_id) if kind == "CANCEL" else r.ref == 0
    if not (side_ok and order_ok and ref_ok):
        return "BAD_FIELD_COMBINATION", True
    if kind in ("CANCEL", "FLATTEN", "END_OF_ANSWER") and r.qty != 0:
        return "BAD_QUANTITY", True
    if kind == "ORDER" and r.qty <= 0:
        return "BAD_QUANTITY", True
    if r.qty != 0 and (abs(r.qty) > MAX_QTY or (row is not None and row[2] > 0 and r.qty % row[2] != 0)):
        return "BAD_QUANTITY", True
    if kind == "ORDER" and r.order_type == 2:  # LIMIT
        if r.price <= 0 or r.price > MAX_PRICE or (row is not None and row[1] > 0 and r.price % row[1] != 0):
            return "BAD_PRICE", True
    elif r.price != 0:
        return "BAD_PRICE", True
    if r.pad or r.reserved:
        return "RESERVED_NOT_ZERO", True
    return "NONE", True


def edge(*values: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(values), st.integers(-(1 << 63), INT64))


def records() -> st.SearchStrategy[Rec]:
    return st.builds(
        Rec,
        intent_id=st.integers(0, 40),
        snapshot_seq=st.one_of(st.integers(LATEST - LAG - 1, LATEST + 1), st.integers(0, (1 << 64) - 1)),
        ref=st.one_of(st.just(0), st.integers(0, 41)),
        agent=st.one_of(st.just(AGENT), st.integers(0, 9)),
        instrument=st.one_of(st.sampled_from([0, 1, 1, 2, 3, 4, 4]), st.integers(0, (1 << 32) - 1)),
        kind=st.one_of(st.sampled_from(sorted(KINDS)), st.integers(0, 255)),
        side=st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 255)),
        order_type=st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 255)),
        tif=st.one_of(st.sampled_from([0, 1, 2, 3, 4]), st.integers(0, 255)),
        pad=st.one_of(st.just(0), st.integers(0, (1 << 32) - 1)),
        qty=edge(0, 100_000_000, -100_000_000, 300_000_000, 1, MAX_QTY, MAX_QTY + 1, -MAX_QTY - 1),
        price=edge(0, 1_000_000, 25_000_000, 1, MAX_PRICE, MAX_PRICE + 1, -1),
        reserved=st.one_of(st.just(0), st.just(0), st.integers(0, (1 << 448) - 1)),
    )


class Probe:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([str(build_dir() / "fund/fund_fuzz_intent")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ask(self, batch: list[Rec]) -> list[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(b"".join(r.image() for r in batch).hex() + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the probe died: {self.proc.stderr.read() if self.proc.stderr else ''}"
        return line.split()

    def close(self) -> None:
        _, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err


def test_fuzz_intents_against_the_model_and_the_contract(tmp_path: Path) -> None:
    scenario = Scenario("fuzz", unit="generated intent",
                        command=reproduce(f"{HERE}::test_fuzz_intents_against_the_model_and_the_contract"))
    outcomes: Counter[str] = Counter()
    probe = Probe()
    checked = 0

    @settings(max_examples=count("fuzz_hypothesis"), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(records(), min_size=1, max_size=40))
    def model(batch: list[Rec]) -> None:
        nonlocal checked
        got = probe.ask(batch)
        last = FIRST_LAST_ID
        want = []
        for r in batch:
            reason, consumed = expected(r, last)
            if consumed:
                last = r.intent_id
            want.append(reason)
        assert got == want
        outcomes.update(got)
        checked += len(got)

    try:
        model()
    finally:
        probe.close()

    random_run = subprocess.run([str(build_dir() / "fund/fund_fuzz_intent"), "--random", str(count("fuzz_random")),
                                 "--seed", "20261126"], capture_output=True, text=True, check=False, timeout=1800)
    assert random_run.returncode == 0, random_run.stderr
    bulk = json.loads(random_run.stdout)
    assert bulk["records"] == count("fuzz_random")
    outcomes.update(bulk["outcomes"])
    checked += bulk["processed"]
    # every transport reason and acceptance reached, and the quarantine
    assert {"NONE", "UNKNOWN_ENUM", "BAD_AGENT_ID", "STALE_SNAPSHOT", "INTENT_ID_NOT_INCREASING",
            "UNKNOWN_INSTRUMENT", "INSTRUMENT_NOT_MAPPED", "BAD_QUANTITY", "BAD_PRICE", "BAD_FIELD_COMBINATION",
            "RESERVED_NOT_ZERO", "QUARANTINED"} <= {k for k, v in outcomes.items() if v}

    libfuzzer_inputs = 0
    if soak() and count("fuzz_libfuzzer_runs"):
        libfuzzer_inputs = _libfuzzer(tmp_path, count("fuzz_libfuzzer_runs"))
    scenario.runs = checked
    scenario.refusals = {k: v for k, v in outcomes.items() if k not in ("NONE", "EMPTY")}
    scenario.accepted_intents = outcomes["NONE"]
    scenario.figures = {"hypothesis_examples": count("fuzz_hypothesis"), "random_records": bulk["records"],
                        "records_checked": checked, "libfuzzer_inputs": libfuzzer_inputs,
                        "contract_breaches": 0}
    scenario.notes.append("records after a quarantine in the same input are never read (the ring is dead); "
                          "'runs' counts the records that were read")
    scenario.write()


def _libfuzzer(tmp_path: Path, runs: int) -> int:
    """Build the libFuzzer target (clang++), run it for `runs` inputs; returns the inputs run."""
    clang = shutil.which("clang++")
    assert clang, "make soak fuzzes with libFuzzer: install clang and its runtime (apt-get install clang libclang-rt-14-dev)"
    built = subprocess.run(["cmake", "--build", str(build_dir()), "--target", "fund_fuzz_intent_libfuzzer"],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeded = subprocess.run([str(build_dir() / "fund/fund_fuzz_intent"), "--corpus", str(corpus), "64", "--seed", "3"],
                            capture_output=True, text=True, check=False)
    assert seeded.returncode == 0, seeded.stderr
    # -rss_limit_mb=0: libFuzzer's RSS limit reads getrusage's peak, which a child started by this
    # (large) test process inherits across exec (Linux keeps the pre-exec peak): it stopped a run at
    # "3713 MB" whose own peak was 418. Leaks are LeakSanitizer's to find (detect_leaks=1), and one
    # allocation above 2 GB still fails the run (-malloc_limit_mb). A failing input is kept in
    # FUNDOS_BUILD_DIR/soak/ (libFuzzer's artifact prefix) for `fund_fuzz_intent FILE`.
    artifacts = build_dir() / "soak" / "libfuzzer-"
    artifacts.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([str(build_dir() / "fund/fund_fuzz_intent_libfuzzer"), f"-runs={runs}", "-seed=1",
                           "-max_len=4096", "-print_final_stats=1", "-rss_limit_mb=0", "-malloc_limit_mb=2048",
                           f"-artifact_prefix={artifacts}", str(corpus)],
                          capture_output=True, text=True, check=False, timeout=3600,
                          env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1"})
    assert done.returncode == 0, done.stderr[-4000:]
    found = re.search(r"stat::number_of_executed_units:\s+(\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1))
