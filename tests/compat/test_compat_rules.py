"""Every rule of `abigen compat` fires on its pair of specs, and nothing else fires there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compat_pairs import PAIRS, Pair, finding_key

from abigen.cli import main
from abigen.compat.rules import RULES


def run_pair(p: Pair, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    base, new = tmp_path / "base.yaml", tmp_path / "new.yaml"
    base.write_text(p.base(), encoding="utf-8")
    new.write_text(p.new(), encoding="utf-8")
    status = main(["compat", "--against", str(base), "--spec", str(new), "--format", "json", "--today", p.today])
    captured = capsys.readouterr()
    assert captured.err == "", captured.err
    return status, json.loads(captured.out)


@pytest.mark.parametrize("p", PAIRS, ids=[p.name for p in PAIRS])
def test_pair(p: Pair, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, report = run_pair(p, tmp_path, capsys)
    findings = report["findings"]
    assert isinstance(findings, list)
    got = {finding_key(f, RULES[f["rule"]].severity) for f in findings}
    assert got == p.expected, json.dumps(findings, indent=2)
    assert len(findings) == len(got), "a finding is reported twice"
    assert status == p.exit
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert summary["exit_status"] == p.exit
    if p.orders is not None:
        assert tuple(summary["safe_upgrade_orders"]) == p.orders


def test_there_are_at_least_30_pairs() -> None:
    assert len(PAIRS) >= 30
    assert len({p.name for p in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_has_a_pair(rule: str) -> None:
    assert any(line.split()[0] == rule for p in PAIRS for line in p.expected), f"no pair expects {rule}"


def test_every_pair_is_a_valid_spec_on_both_sides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for p in PAIRS:
        for side, text in (("base", p.base()), ("new", p.new())):
            path = tmp_path / f"{p.name}-{side}.yaml"
            path.write_text(text, encoding="utf-8")
            assert main(["lint", "--spec", str(path)]) == 0, (p.name, side, capsys.readouterr().err)
    capsys.readouterr()
