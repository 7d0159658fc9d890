"""Fixed-point conversions: exact, round trip, ties to even, NaN / inf / overflow refused."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import fundos
import pytest
import yaml
from fundos import _fixed

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_decimals_are_the_specs() -> None:
    spec = yaml.safe_load((REPO / "schema" / "abi.yaml").read_text())
    types = spec["types"]
    assert fundos.PRICE_DECIMALS == types["Price"]["decimals"]
    assert fundos.QUANTITY_DECIMALS == types["Quantity"]["decimals"]
    assert fundos.MONEY_DECIMALS == types["Money"]["decimals"]


@pytest.mark.parametrize(
    ("value", "decimals", "raw"),
    [
        (0.1, 8, 10_000_000),
        (450.12, 8, 45_012_000_000),
        (123.45678901, 8, 12_345_678_901),
        (-2.5, 6, -2_500_000),
        (1, 6, 1_000_000),
        (Decimal("0.000001"), 6, 1),
        (Decimal("0.0000005"), 6, 0),  # tie: to even
        (Decimal("0.0000015"), 6, 2),  # tie: to even
        (Decimal("-0.0000025"), 6, -2),
        (0.30000000000000004, 8, 30_000_000),  # float noise beyond the resolution rounds away
        (Decimal("92233720368.54775807"), 8, 2**63 - 1),
        (Decimal("-92233720368.54775808"), 8, -(2**63)),
        (Fraction(1, 4), 2, 25),
    ],
)
def test_to_fixed_is_exact(value: float | Decimal, decimals: int, raw: int) -> None:
    assert fundos.to_fixed(value, decimals) == raw


def test_round_trip_of_every_cent() -> None:
    for cents in range(-100_000, 100_001, 7):
        price = cents / 100
        raw = fundos.price_to_raw(price)
        assert raw == cents * 1_000_000
        assert _fixed.price(raw) == price
        assert fundos.decimal_from_fixed(raw, 8) == Decimal(cents).scaleb(-2)


def test_from_fixed_is_correctly_rounded() -> None:
    assert fundos.from_fixed(45_012_000_000, 8) == 450.12
    assert fundos.from_fixed(2**63 - 1, 6) == float(Fraction(2**63 - 1, 10**6))
    assert fundos.from_fixed(-1, 8) == -1e-8


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, "is NaN"),
        (math.inf, "is infinite"),
        (-math.inf, "is infinite"),
        (Decimal("NaN"), "is NaN"),
        (Decimal("-Infinity"), "is infinite"),
        (1e11, "out of range"),
        (Decimal("92233720368.54775808"), "out of range"),
        (Decimal("1e30"), "out of range"),
        (10**30, "out of range"),
        (True, "not a bool"),
        ("1.5", "must be an int, float or Decimal"),
    ],
)
def test_to_fixed_refuses(value: object, message: str) -> None:
    with pytest.raises(fundos.FixedPointError, match=message) as caught:
        fundos.to_fixed(value, 8, what="limit_price")  # type: ignore[arg-type]
    assert "limit_price" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert caught.value.name == "FUNDOS_E_RANGE"


def _exact(value: float, decimals: int) -> int:
    """to_fixed's exact path, written out: the float's shortest repr, scaled, half to even."""
    return int((Decimal(repr(value)) * Decimal(10) ** decimals).to_integral_value(rounding="ROUND_HALF_EVEN"))


def test_float_fast_path_equals_the_exact_path() -> None:
    import random

    rng = random.Random(20261125)
    values = [rng.uniform(-1, 1) * 10 ** rng.randint(-9, 11) for _ in range(20_000)]
    # decimal ties and near-ties at the last decimal: k / 10^d + 5 / 10^(d+1), give or take an ulp
    for decimals in (6, 8):
        for k in range(-500, 500, 7):
            tie = (k + 0.5) / 10**decimals
            values += [tie, math.nextafter(tie, math.inf), math.nextafter(tie, -math.inf)]
    for value in values:
        for decimals in (0, 2, 6, 8):
            try:
                expected = _exact(value, decimals)
            except ArithmeticError:
                continue
            if not -(2**63) <= expected < 2**63:
                continue
            assert fundos.to_fixed(value, decimals) == expected, (value, decimals)


def test_int_fast_path_keeps_the_range_check() -> None:
    assert fundos.to_fixed(9_223_372_036, 9) == 9_223_372_036_000_000_000
    with pytest.raises(fundos.FixedPointError, match="out of range"):
        fundos.to_fixed(9_223_372_037, 9)
    assert fundos.to_fixed(-(2**63), 0) == -(2**63)
