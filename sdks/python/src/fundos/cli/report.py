"""The end-of-run summary table, from the Fund's ``report.json``.

The table has one row per agent and one for the fund: PnL, return, Sharpe ratio, maximum
drawdown, trades, fees and rejected intents. It reads::

    {"fund":   {"pnl": 1234.5, "return": 0.0123, "sharpe": 1.8, "max_drawdown": 0.021,
                "trades": 120, "fees": 35.2, "rejects": 3, ...},
     "agents": [{"id": 1, "name": "ma", "pnl": ..., "rejects": {"POSITION_LIMIT": 2}, ...}, ...]}

``return`` and ``max_drawdown`` are fractions (``return_pct`` / ``max_drawdown_pct`` are
percentages); ``rejects`` is a count or a count per reason. A figure may also sit in a nested
``metrics``, ``summary``, ``stats`` or ``performance`` object, and common other names are
accepted (``total_pnl``, ``sharpe_ratio``, ``fills``, ``intents_rejected`` ...). ``agents`` may
be a list or an object keyed by name. A missing figure shows as ``-``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fundos.cli.errors import CliError

_NESTED = ("metrics", "summary", "stats", "performance", "results")
_PNL = ("pnl", "total_pnl", "net_pnl", "profit", "pnl_total")
_RETURN = ("return", "total_return", "return_fraction")
_RETURN_PCT = ("return_pct", "return_percent", "total_return_pct")
_SHARPE = ("sharpe", "sharpe_ratio")
_DRAWDOWN = ("max_drawdown", "max_dd", "drawdown")
_DRAWDOWN_PCT = ("max_drawdown_pct", "max_drawdown_percent", "max_dd_pct")
_TRADES = ("trades", "trade_count", "num_trades", "fills", "fill_count")
_FEES = ("fees", "total_fees", "fee")
_REJECTS = ("rejects", "rejections", "rejected", "intents_rejected", "reject_count")


@dataclass(frozen=True)
class SummaryRow:
    who: str
    pnl: float | None = None
    ret: float | None = None  # fraction
    sharpe: float | None = None
    max_drawdown: float | None = None  # fraction
    trades: int | None = None
    fees: float | None = None
    rejects: int | None = None
    rejects_by_reason: tuple[tuple[str, int], ...] = ()


def load_report(path: Path) -> dict[str, object]:
    """The parsed report; :class:`CliError` when it is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"the Fund wrote no report at {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CliError(f"cannot read the report {path}: {error}") from None
    if not isinstance(data, dict):
        raise CliError(f"the report {path} is not a JSON object")
    return data


def _scopes(entry: Mapping[str, object]) -> list[Mapping[str, object]]:
    nested = [value for key in _NESTED if isinstance(value := entry.get(key), Mapping)]
    return [entry, *nested]


def _lookup(entry: Mapping[str, object], names: tuple[str, ...]) -> object:
    for scope in _scopes(entry):
        for name in names:
            if name in scope and scope[name] is not None:
                return scope[name]
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _count(value: object) -> int | None:
    number = _float(value)
    return int(number) if number is not None else None


def row_from(who: str, entry: Mapping[str, object]) -> SummaryRow:
    """One table row from one account's object in the report."""
    ret = _float(_lookup(entry, _RETURN))
    if ret is None and (pct := _float(_lookup(entry, _RETURN_PCT))) is not None:
        ret = pct / 100.0
    drawdown = _float(_lookup(entry, _DRAWDOWN))
    if drawdown is None and (pct := _float(_lookup(entry, _DRAWDOWN_PCT))) is not None:
        drawdown = pct / 100.0
    rejects_value = _lookup(entry, _REJECTS)
    by_reason: tuple[tuple[str, int], ...] = ()
    if isinstance(rejects_value, Mapping):
        by_reason = tuple((str(reason), count) for reason, value in rejects_value.items()
                          if (count := _count(value)) is not None and count > 0)
        rejects: int | None = sum(count for _, count in by_reason)
    else:
        rejects = _count(rejects_value)
    trades_value = _lookup(entry, _TRADES)
    trades = len(trades_value) if isinstance(trades_value, list) else _count(trades_value)
    return SummaryRow(who=who, pnl=_float(_lookup(entry, _PNL)), ret=ret, sharpe=_float(_lookup(entry, _SHARPE)),
                      max_drawdown=drawdown, trades=trades, fees=_float(_lookup(entry, _FEES)), rejects=rejects,
                      rejects_by_reason=by_reason)


def summary_rows(report: Mapping[str, object]) -> list[SummaryRow]:
    """Agents in the report's order, then the fund."""
    rows: list[SummaryRow] = []
    agents = report.get("agents")
    entries: list[tuple[str, Mapping[str, object]]] = []
    if isinstance(agents, list):
        for index, agent in enumerate(agents):
            if isinstance(agent, Mapping):
                name = agent.get("name")
                agent_id = agent.get("id", agent.get("agent_id"))
                label = str(name) if name else f"agent {agent_id if agent_id is not None else index + 1}"
                entries.append((f"{label} ({agent_id})" if name and agent_id is not None else label, agent))
    elif isinstance(agents, Mapping):
        entries = [(str(name), agent) for name, agent in agents.items() if isinstance(agent, Mapping)]
    rows.extend(row_from(label, entry) for label, entry in entries)
    fund = report.get("fund")
    if isinstance(fund, Mapping):
        rows.append(row_from("fund", fund))
    elif any(key in report for key in _PNL + _RETURN + _SHARPE):
        rows.append(row_from("fund", report))
    return rows


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _percent(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value * 100:+.2f}%" if signed else f"{value * 100:.2f}%"


def _plain(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


HEADER = ("", "PnL", "return", "Sharpe", "max DD", "trades", "fees", "rejects")


def format_table(rows: list[SummaryRow]) -> str:
    """The rows as an aligned text table (names left, figures right), a rule above the fund row,
    and one line per agent listing its rejects by reason when the report gives them."""
    cells = [HEADER] + [
        (row.who, _money(row.pnl), _percent(row.ret), _plain(row.sharpe, ".2f"),
         _percent(row.max_drawdown, signed=False), _plain(row.trades, ",d"), _money(row.fees),
         _plain(row.rejects, ",d"))
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]

    def render(line: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                         for i, cell in enumerate(line)).rstrip()

    out = [render(cells[0])]
    for row, line in zip(rows, cells[1:], strict=True):
        if row.who == "fund" and len(rows) > 1:
            out.append("-" * len(render(cells[0])))
        out.append(render(line))
    for row in rows:
        if row.rejects_by_reason:
            reasons = ", ".join(f"{reason} {count}" for reason, count in row.rejects_by_reason)
            out.append(f"rejects of {row.who}: {reasons}")
    return "\n".join(out)
