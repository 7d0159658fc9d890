"""Reading equity.csv: the long layout (a row per account and step) and the wide one (a column
per account), times in nanoseconds, seconds, ISO 8601 or steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from fundos.cli.equity import load_equity, parse_time
from fundos.cli.errors import CliError


def test_long_layout_with_agent_names(tmp_path: Path) -> None:
    path = tmp_path / "equity.csv"
    path.write_text("time,agent_id,equity,gross\n"
                    "1704205800000000000,0,1000000.5,0\n1704205800000000000,1,500000,0\n1704205800000000000,2,500000,0\n"
                    "1704205860000000000,0,1000100,10\n1704205860000000000,1,500150,5\n1704205860000000000,2,499950,5\n")
    curves = load_equity(path, {"1": "ma"})
    assert curves.x_is_time
    assert [s.name for s in curves.series] == ["fund", "ma", "agent 2"]
    assert curves.series[0].points == ((1704205800.0, 1000000.5), (1704205860.0, 1000100.0))
    assert curves.series[1].points[-1] == (1704205860.0, 500150.0)


def test_the_funds_layout(tmp_path: Path) -> None:
    path = tmp_path / "equity.csv"
    path.write_text("time,fund,agent,equity_bot\n"
                    "2024-01-02T14:31:00.000000000Z,1000000.000000,500000.000000,500000.000000\n"
                    "2024-01-02T14:32:00.000000000Z,1000010.500000,500011.000000,499999.500000\n")
    curves = load_equity(path)
    assert curves.x_is_time and [s.name for s in curves.series] == ["fund", "agent", "equity_bot"]
    assert curves.series[2].points == ((1704205860.0, 500000.0), (1704205920.0, 499999.5))


def test_wide_layout_keeps_equity_columns(tmp_path: Path) -> None:
    path = tmp_path / "equity.csv"
    path.write_text("step,clock,fund_equity,fund_gross,ma_equity,mr_equity\n"
                    "1,2024-01-02T14:30:00Z,100,0,50,50\n2,2024-01-02T14:31:00Z,101,3,51,50\n")
    curves = load_equity(path)
    assert [s.name for s in curves.series] == ["fund", "ma", "mr"]
    assert curves.series[1].points == ((1704205800.0, 50.0), (1704205860.0, 51.0))  # a time beats a step
    assert curves.x_is_time


def test_wide_layout_without_time(tmp_path: Path) -> None:
    path = tmp_path / "equity.csv"
    path.write_text("fund,alpha\n10,5\n11,6\n")
    curves = load_equity(path)
    assert [(s.name, s.points) for s in curves.series] == [("fund", ((0.0, 10.0), (1.0, 11.0))),
                                                          ("alpha", ((0.0, 5.0), (1.0, 6.0)))]


@pytest.mark.parametrize("content", ["", "time,equity\n", "a,b\nx,y\n"])
def test_no_series_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "equity.csv"
    path.write_text(content)
    with pytest.raises(CliError):
        load_equity(path)


def test_parse_time() -> None:
    assert parse_time("1704205860000000000") == (1704205860.0, True)
    assert parse_time("1704205860") == (1704205860.0, True)
    assert parse_time("2024-01-02T14:31:00Z") == (1704205860.0, True)
    assert parse_time("2024-01-02 14:31:00") == (1704205860.0, True)
    assert parse_time("17") == (17.0, False)
    assert parse_time("soon") is None and parse_time("nan") is None
