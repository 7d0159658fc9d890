"""Property tests of the engine's pro-rata allocation and netting, through the real C++ code.

``fund_netting_probe`` (fund/tests/netting_probe.cpp) answers one request per line: ``alloc``
requests run ``allocate_pro_rata`` (largest remainder in whole lots), ``net`` requests run a real
Engine step with market orders from several agents and report the internal crosses and the
residual parent order. Hypothesis generates the cases; the invariants are those stated in
fund/include/fundos/engine/netting.hpp: the shares sum exactly, each is a multiple of the lot and
within one lot of its exact pro-rata share, and the answer is deterministic.

The probe comes from the CMake build tox made (FUNDOS_BUILD_DIR; a missing binary there fails the
test), or from a Debug build of our own under build/ (as tests/layout and tests/transport do).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
PROBE = "fund_netting_probe"


def _build_dir() -> Path:
    given_dir = os.environ.get("FUNDOS_BUILD_DIR")
    build = Path(given_dir) if given_dir else ROOT / "build"
    probe = build / "fund" / PROBE
    if given_dir:
        assert probe.is_file(), f"{probe} was not built (cmake --build {build} --target {PROBE})"
        return build
    for argv in (
        ["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Debug"],
        ["cmake", "--build", str(build), "-j2", "--target", PROBE],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert probe.is_file(), f"{probe} was not built"
    return build


class Probe:
    """One long-lived probe process; ask() sends a line and returns the answer line."""

    def __init__(self, binary: Path) -> None:
        self._proc = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )

    def ask(self, line: str) -> str:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline()
        assert answer, f"the probe died (exit {self._proc.poll()}) on: {line}"
        return answer.rstrip("\n")

    def close(self) -> None:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.close()
        rest = self._proc.stdout.read()
        self._proc.stdout.close()
        assert self._proc.wait(timeout=30) == 0, f"the probe failed: {rest}"


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    made = Probe(_build_dir() / "fund" / PROBE)
    try:
        yield made
    finally:
        made.close()


def alloc(probe: Probe, lot: int, fill: int, weights: list[int], keys: list[int] | None = None) -> list[int]:
    line = f"lot {lot} fill {fill} q {' '.join(map(str, weights))}"
    if keys is not None:
        line += f" keys {' '.join(map(str, keys))}"
    answer = probe.ask(line).split()
    assert answer[0] == "ok", f"{line} -> {' '.join(answer)}"
    return [int(x) for x in answer[1:]]


def check_shares(lot: int, total: int, weights: list[int], shares: list[int]) -> None:
    assert len(shares) == len(weights)
    assert sum(shares) == total
    whole = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert share % lot == 0
        assert 0 <= share <= weight
        if whole:
            assert abs(Fraction(share) - Fraction(total * weight, whole)) < lot


LOTS = st.sampled_from([1, 100, 1_000_000, 100_000_000]) | st.integers(min_value=1, max_value=10_000)
SLOW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def allocation_case(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    lot = draw(LOTS)
    lots = draw(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=24))
    fill_lots = draw(st.integers(min_value=0, max_value=sum(lots)))
    return lot, fill_lots * lot, [n * lot for n in lots]


@SLOW
@given(case=allocation_case())
def test_allocation_invariants(probe: Probe, case: tuple[int, int, list[int]]) -> None:
    lot, fill, weights = case
    shares = alloc(probe, lot, fill, weights)
    check_shares(lot, fill, weights, shares)
    assert alloc(probe, lot, fill, weights) == shares  # deterministic


@SLOW
@given(case=allocation_case(), data=st.data())
def test_allocation_follows_keys_not_input_order(probe: Probe, case: tuple[int, int, list[int]],
                                                 data: st.DataObject) -> None:
    lot, fill, weights = case
    keys = list(range(1, len(weights) + 1))
    order = data.draw(st.permutations(range(len(weights))))
    shares = alloc(probe, lot, fill, weights, keys)
    permuted = alloc(probe, lot, fill, [weights[i] for i in order], [keys[i] for i in order])
    assert permuted == [shares[i] for i in order]


@SLOW
@given(lots=st.lists(st.integers(min_value=1, max_value=50), min_size=2, max_size=10))
def test_ties_go_to_the_lower_key(probe: Probe, lots: list[int]) -> None:
    # equal weights, one lot fewer than the participants: the highest key goes without
    n = len(lots)
    weights = [1] * n
    shares = alloc(probe, 1, n - 1, weights, list(range(10, 10 + n)))
    assert shares == [1] * (n - 1) + [0]


def test_allocation_rejects_bad_requests(probe: Probe) -> None:
    assert probe.ask("lot 1 fill 5 q 1 2").startswith("error")
    assert probe.ask("lot 2 fill 3 q 4 4").startswith("error")
    assert probe.ask("lot 0 fill 0 q 4 4").startswith("error")
    assert probe.ask("lot 1 fill 1 q 1 x").startswith("error")
    assert probe.ask("lot 100 q 300 500 200 | fill 700") == "ok 200 400 100"


@st.composite
def netting_case(draw: st.DrawFn) -> tuple[int, list[int], list[int]]:
    lot = draw(st.sampled_from([1, 100, 1_000_000]))
    buys = draw(st.lists(st.integers(min_value=0, max_value=500), min_size=0, max_size=12))
    sells = draw(st.lists(st.integers(min_value=0, max_value=500), min_size=0, max_size=12))
    if not buys and not sells:
        buys = [1]
    return lot, [b * lot for b in buys], [s * lot for s in sells]


@SLOW
@given(case=netting_case())
def test_engine_netting_invariants(probe: Probe, case: tuple[int, list[int], list[int]]) -> None:
    lot, buys, sells = case
    line = f"net lot {lot} buys {' '.join(map(str, buys))} sells {' '.join(map(str, sells))}"
    answer = probe.ask(line).split()
    assert answer[:2] == ["ok", "cross"], f"{line} -> {' '.join(answer)}"
    bar = answer.index("|")
    at_parent = answer.index("parent")
    at_children = answer.index("children")
    crossed_buys = [int(x) for x in answer[2:bar]]
    crossed_sells = [int(x) for x in answer[bar + 1:at_parent]]
    parent = int(answer[at_parent + 1])
    children = [int(x) for x in answer[at_children + 1:]]
    crossed = min(sum(buys), sum(sells))
    check_shares(lot, crossed, buys, crossed_buys)
    check_shares(lot, crossed, sells, crossed_sells)
    # only the residual goes out, as one parent on the larger side, children = what is left
    assert parent == sum(buys) - sum(sells)
    left = [b - c for b, c in zip(buys, crossed_buys, strict=True)] + [
        s - c for s, c in zip(sells, crossed_sells, strict=True)
    ]
    assert children == left
    assert all(x == 0 for x in left[len(buys):]) or all(x == 0 for x in left[: len(buys)])
    assert probe.ask(line) == " ".join(answer)  # deterministic
