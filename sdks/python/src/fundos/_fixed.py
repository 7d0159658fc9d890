"""Exact conversions between Python numbers and the ABI's fixed-point integers.

The ABI stores prices, quantities and money as int64 raw values times 10^-decimals (Price: 8,
Quantity and Money: 6; :data:`PRICE_DECIMALS` and friends come from the C SDK's header). Numbers
go in through :class:`decimal.Decimal`, so ``0.1`` becomes exactly ``10_000_000`` (a float goes
through its shortest repr, the digits the user typed, not its binary expansion); a value with
more decimals than the type holds is rounded half to even at the last one. NaN, infinities,
booleans and values outside int64 are refused with :class:`fundos.FixedPointError`.
"""

from __future__ import annotations

import decimal
import numbers
from decimal import Decimal
from typing import Final

from fundos import _core
from fundos._errors import FixedPointError

PRICE_DECIMALS: Final[int] = int(_core.PRICE_DECIMALS)
QUANTITY_DECIMALS: Final[int] = int(_core.QUANTITY_DECIMALS)
MONEY_DECIMALS: Final[int] = int(_core.MONEY_DECIMALS)

Number = Decimal | int | float
"""What the conversions accept: ``int``, ``float``, ``Decimal`` (and numbers.Integral / Real)."""

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_CONTEXT: Final = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_EVEN)
_PRICE_SCALE: Final[int] = 10**PRICE_DECIMALS
_QUANTITY_SCALE: Final[int] = 10**QUANTITY_DECIMALS
_MONEY_SCALE: Final[int] = 10**MONEY_DECIMALS
_SCALES: Final[tuple[int, ...]] = tuple(10**d for d in range(19))
_FAST_FLOAT_LIMIT: Final = float(2**40)
_RANGE: Final = next(code for code, name, _ in _core.error_codes() if name == "FUNDOS_E_RANGE")


def _as_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool):
        raise FixedPointError(f"{what} must be a number, not a bool ({value!r})", code=_RANGE)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, numbers.Integral):
        return Decimal(int(value))
    elif isinstance(value, numbers.Real):
        result = Decimal(float.__repr__(float(value)))  # the shortest repr: the digits typed
    else:
        raise FixedPointError(f"{what} must be an int, float or Decimal, not {type(value).__name__}", code=_RANGE)
    if result.is_nan():
        raise FixedPointError(f"{what} is NaN", code=_RANGE)
    if result.is_infinite():
        raise FixedPointError(f"{what} is infinite", code=_RANGE)
    return result


def to_fixed(value: Number, decimals: int, *, what: str = "value") -> int:
    """``value`` times 10^decimals as an exact int64, rounded half to even at the last decimal.

    >>> to_fixed(0.1, 8)
    10000000
    >>> to_fixed(Decimal("450.125"), 2)
    45012
    """
    if not 0 <= decimals <= 18:
        raise FixedPointError(f"decimals must be 0..18, not {decimals}", code=_RANGE)
    if type(value) is int:  # exact as it is
        product = value * _SCALES[decimals]
        if _INT64_MIN <= product <= _INT64_MAX:
            return product
    elif type(value) is float:
        # value * 10^decimals in binary floating point is within 2^-11 of the exact product of
        # the float's shortest repr (what the Decimal path below multiplies) while it is below
        # 2^40; when it is also more than 0.49 from a rounding tie, both round to the same
        # integer. Anything else (ties, large or non-finite values) takes the exact path.
        scaled = value * _SCALES[decimals]
        if -_FAST_FLOAT_LIMIT < scaled < _FAST_FLOAT_LIMIT:
            nearest = round(scaled)
            if -0.49 < scaled - nearest < 0.49:
                return nearest
    number = _as_decimal(value, what)
    raw = None
    if number.adjusted() < 20:  # |number| < 10^20: the scaled value has at most 38 digits
        raw = int(_CONTEXT.to_integral_value(_CONTEXT.multiply(number, Decimal(10) ** decimals)))
    if raw is None or not _INT64_MIN <= raw <= _INT64_MAX:
        limit = Decimal(_INT64_MAX).scaleb(-decimals)
        raise FixedPointError(f"{what} {value} is out of range: the ABI's fixed-point type with {decimals} decimals "
                              f"holds at most ±{limit}", code=_RANGE)
    return raw


def from_fixed(raw: int, decimals: int) -> float:
    """The float nearest to ``raw`` times 10^-decimals (correctly rounded)."""
    scale: int = 10**decimals
    return raw / scale


def decimal_from_fixed(raw: int, decimals: int) -> Decimal:
    """``raw`` times 10^-decimals, exactly."""
    return Decimal(raw).scaleb(-decimals)


def price_to_raw(value: Number, *, what: str = "price") -> int:
    """A price as the ABI's Price (10^-8)."""
    return to_fixed(value, PRICE_DECIMALS, what=what)


def qty_to_raw(value: Number, *, what: str = "qty") -> int:
    """A quantity in instrument units as the ABI's Quantity (10^-6)."""
    return to_fixed(value, QUANTITY_DECIMALS, what=what)


def money_to_raw(value: Number, *, what: str = "amount") -> int:
    """An amount of the base currency as the ABI's Money (10^-6)."""
    return to_fixed(value, MONEY_DECIMALS, what=what)


def price(raw: int) -> float:
    """A raw Price as a float."""
    return raw / _PRICE_SCALE


def qty(raw: int) -> float:
    """A raw Quantity as a float."""
    return raw / _QUANTITY_SCALE


def money(raw: int) -> float:
    """A raw Money as a float."""
    return raw / _MONEY_SCALE

