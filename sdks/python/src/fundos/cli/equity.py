"""Read the Fund's ``equity.csv`` into one series per account (the fund, each agent).

Two layouts are understood, told apart by the header:

- long: one row per account and step, with an ``equity`` column and a column naming the
  account (``agent_id``, ``agent``, ``name``, ``series``, ``scope`` or ``account``; ``0`` or
  ``fund`` is the fund);
- wide (what the Fund writes: ``time,fund,<agent name>...``): one row per step and one column
  per account; without a ``fund`` column but with columns ending in ``equity``, only those
  (``fund_equity``, ``ma_equity``: the accounts ``fund`` and ``ma``).

The time column (``time``, ``clock``, ``timestamp``, ``ts``, ``step`` or ``seq``) may hold
epoch nanoseconds, epoch seconds, ISO 8601 times or step numbers; without one, the row's
position is the step.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fundos.cli.errors import CliError

TIME_COLUMNS = ("time", "clock", "timestamp", "ts", "time_ns", "clock_ns", "step", "seq")
SERIES_COLUMNS = ("agent_id", "agent", "name", "series", "scope", "account", "who")


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[tuple[float, float], ...]  # (x, equity), x increasing


@dataclass(frozen=True)
class EquityCurves:
    series: tuple[Series, ...]
    x_is_time: bool  # x is epoch seconds (else a step number)


def parse_time(text: str) -> tuple[float, bool] | None:
    """``(x, is_time)``: epoch seconds for a time, the number itself for a step; None when the
    text is neither.

    >>> parse_time("1704205860000000000")
    (1704205860.0, True)
    >>> parse_time("2024-01-02T14:31:00Z")
    (1704205860.0, True)
    >>> parse_time("42")
    (42.0, False)
    """
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (moment.timestamp(), True)
    if not math.isfinite(number):
        return None
    if abs(number) >= 1e17:
        return (number / 1e9, True)  # epoch nanoseconds
    if abs(number) >= 1e8:
        return (number, True)  # epoch seconds (after 1973)
    return (number, False)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _find(header: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {column.strip().lower(): column for column in header}
    return next((lowered[name] for name in names if name in lowered), None)


def _series_name(key: str, agent_names: Mapping[str, str]) -> str:
    """``fund`` for the fund, the agent's name when ``key`` is a known agent id, else the key."""
    if key.strip().lower() in ("0", "fund", "total"):
        return "fund"
    return agent_names.get(key.strip(), key.strip() if not key.strip().isdigit() else f"agent {key.strip()}")


def load_equity(path: Path, agent_names: Mapping[str, str] | None = None) -> EquityCurves:
    """The curves in ``path``; ``agent_names`` maps agent ids (as text) to names. Raises
    :class:`CliError` when the file cannot be read or holds no series."""
    names = agent_names or {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CliError(f"cannot read {path}: {error}") from None
    if not rows:
        raise CliError(f"{path} holds no rows")
    header = list(rows[0].keys())
    time_column = _find(header, TIME_COLUMNS)
    series_column = _find(header, SERIES_COLUMNS)
    equity_column = _find(header, ("equity", "nav"))

    x_of: dict[int, float] = {}
    all_time = True
    for index, row in enumerate(rows):
        parsed = parse_time(row.get(time_column) or "") if time_column else None
        if parsed is None:
            all_time = False
            x_of[index] = float(index)
        else:
            x_of[index] = parsed[0]
            all_time = all_time and parsed[1]
    if not all_time:  # mixed or steps: use step numbers, or the row position
        steps = [parse_time(row.get(time_column) or "") if time_column else None for row in rows]
        x_of = {i: (s[0] if s is not None and not s[1] else float(i)) for i, s in enumerate(steps)}

    collected: dict[str, list[tuple[float, float]]] = {}
    if series_column is not None and equity_column is not None:
        for index, row in enumerate(rows):
            value = _number(row.get(equity_column))
            if value is not None:
                name = _series_name(row.get(series_column) or "", names)
                collected.setdefault(name, []).append((x_of[index], value))
    else:
        columns = [column for column in header if column != time_column and column is not None]
        has_fund = any(column.strip().lower() == "fund" for column in columns)
        equity_like = [column for column in columns if column.strip().lower().endswith("equity")]
        suffixed = not has_fund and bool(equity_like)
        for column in equity_like if suffixed else columns:
            label = re.sub(r"[_ ]?equity$", "", column.strip(), flags=re.IGNORECASE) if suffixed else column.strip()
            points = [(x_of[i], v) for i, row in enumerate(rows) if (v := _number(row.get(column))) is not None]
            if points:
                collected[_series_name(label or column, names)] = points
    series = tuple(Series(name, tuple(sorted(points))) for name, points in collected.items() if points)
    if not series:
        raise CliError(f"{path} holds no equity series (header: {', '.join(header)})")
    # The fund first, then the agents in the file's order.
    ordered = tuple(sorted(series, key=lambda s: s.name != "fund"))
    return EquityCurves(ordered, x_is_time=all_time and time_column is not None)
