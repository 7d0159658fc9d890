"""The summary table from a hand-made report.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fundos.cli.errors import CliError
from fundos.cli.report import SummaryRow, format_table, load_report, row_from, summary_rows

REPORT = {
    "fund": {"pnl": 2500.0, "return": 0.025, "sharpe": 1.234, "max_drawdown": 0.012, "trades": 1234, "fees": 99.5,
             "rejects": 4},
    "agents": [
        {"id": 1, "name": "ma", "metrics": {"total_pnl": 3000, "return_pct": 6.0, "sharpe_ratio": 2.0,
                                            "max_drawdown_pct": 1.5, "fills": 800, "total_fees": 60.25},
         "rejects": {"POSITION_LIMIT": 3, "RATE_LIMIT": 1, "NONE": 0}},
        {"id": 2, "name": "mr", "pnl": -500, "return": -0.01, "trades": [1, 2, 3], "fees": "39.25",
         "intents_rejected": 0},
    ],
}


def test_rows_and_table(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(REPORT))
    rows = summary_rows(load_report(path))
    assert rows[0] == SummaryRow("ma (1)", 3000.0, 0.06, 2.0, 0.015, 800, 60.25, 4,
                                 (("POSITION_LIMIT", 3), ("RATE_LIMIT", 1)))
    assert rows[1] == SummaryRow("mr (2)", -500.0, -0.01, None, None, 3, 39.25, 0)
    assert rows[2].who == "fund" and rows[2].trades == 1234
    assert format_table(rows).splitlines() == [
        "             PnL  return  Sharpe  max DD  trades   fees  rejects",
        "ma (1)  3,000.00  +6.00%    2.00   1.50%     800  60.25        4",
        "mr (2)   -500.00  -1.00%       -       -       3  39.25        0",
        "----------------------------------------------------------------",
        "fund    2,500.00  +2.50%    1.23   1.20%   1,234  99.50        4",
        "rejects of ma (1): POSITION_LIMIT 3, RATE_LIMIT 1",
    ]


def test_agents_keyed_by_name_and_fund_at_top_level() -> None:
    rows = summary_rows({"pnl": 1.0, "sharpe": 0.5, "agents": {"ma": {"pnl": 1.0}}})
    assert [(row.who, row.pnl) for row in rows] == [("ma", 1.0), ("fund", 1.0)]


def test_odd_values_show_as_missing() -> None:
    row = row_from("x", {"pnl": "n/a", "return": float("nan"), "sharpe": True, "trades": None})
    assert (row.pnl, row.ret, row.sharpe, row.trades) == (None, None, None, None)
    assert format_table([row]).splitlines()[1].split() == ["x", "-", "-", "-", "-", "-", "-", "-"]


@pytest.mark.parametrize("content", ["{", "[1, 2]", "\xff"])
def test_unreadable_report(tmp_path: Path, content: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="latin-1")
    with pytest.raises(CliError):
        load_report(path)
    with pytest.raises(CliError, match="no report"):
        load_report(tmp_path / "missing.json")
