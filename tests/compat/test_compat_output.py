"""`abigen compat` output: text lines, JSON, SARIF 2.1.0, the changelog, --ci, errors, help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from compat_pairs import PAIRS, Pair

from abigen.cli import main
from abigen.compat.rules import RULES

ROOT = Path(__file__).resolve().parents[2]


def by_name(name: str) -> Pair:
    return next(p for p in PAIRS if p.name == name)


def write_pair(p: Pair, folder: Path) -> tuple[Path, Path]:
    base, new = folder / "base.yaml", folder / "new.yaml"
    base.write_text(p.base(), encoding="utf-8")
    new.write_text(p.new(), encoding="utf-8")
    return base, new


def compat(p: Pair, folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    base, new = write_pair(p, folder)
    status = main(["compat", "--against", str(base), "--spec", str(new), "--today", p.today, *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>[0-9]+):(?P<col>[0-9]+): (?P<severity>breaking|compatible|source|policy)"
                  r"\[(?P<rule>[A-Z_]+)\]( \(accepted until [0-9-]+: .+\))?: (?P<path>[A-Za-z0-9_.\[\]]+): "
                  r"(?P<old>.+) -> (?P<new>.+): (?P<why>.+)$")


def test_text_has_one_line_per_finding_then_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = compat(by_name("nested_struct_grows_and_shifts_parent"), tmp_path, capsys)
    assert status == 8 and err == ""
    *lines, last = out.splitlines()
    assert len(lines) == 4
    for line in lines:
        match = LINE.match(line)
        assert match, line
        assert match["rule"] in RULES and match["file"].endswith("new.yaml")
    offset = next(LINE.match(line) for line in lines if "FIELD_SAME_OFFSET" in line)
    assert offset is not None
    assert (offset["path"], offset["old"], offset["new"]) == ("structs.Outer.fields.after", "8", "16")
    new_text = (tmp_path / "new.yaml").read_text(encoding="utf-8").splitlines()
    assert "name: after" in new_text[int(offset["line"]) - 1]  # the line of the moved field
    assert last.startswith("abigen compat: demo 1.0 (") and last.endswith("no upgrade order is safe; exit 8")


def test_text_names_directions_and_safe_orders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = compat(by_name("enum_value_deleted"), tmp_path, capsys)
    assert "hurts a new Fund reading old agents; safe only if agents are upgraded before the Fund" in out
    _, out, _ = compat(by_name("reserved_bytes_used"), tmp_path, capsys)
    assert "(safe in both directions)" in out and "either upgrade order is safe" in out


def test_text_marks_accepted_breaks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = compat(by_name("breaking_change_accepted"), tmp_path, capsys)
    assert status == 4
    assert "breaking[FIELD_NO_DELETE] (accepted until 2027-06-30: intended break): structs.Slot.fields.name" in out


def test_no_changes_prints_only_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = compat(by_name("identical"), tmp_path, capsys)
    assert status == 0
    assert out.splitlines() == [out.strip()] and "0 breaking, 0 accepted, 0 compatible, 0 source-only" in out


def test_json_structure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = compat(by_name("opposite_one_way_changes_break_both_orders"), tmp_path, capsys, "--format",
                            "json")
    report = json.loads(out)
    assert set(report) == {"base", "new", "findings", "summary"}
    assert report["base"]["version"] == "1.0" and report["new"]["version"] == "2.0"
    assert re.fullmatch(r"0x[0-9a-f]{16}", report["new"]["layout_hash"])
    for finding in report["findings"]:
        assert set(finding) == {"rule", "severity", "path", "old", "new", "why", "flows", "affects",
                                "breaks_orders", "impact", "accepted"}
    added = next(f for f in report["findings"] if f["rule"] == "ENUM_VALUE_ADDED")
    assert added["severity"] == "breaking" and added["flows"] == ["agent -> fund"]
    assert added["affects"] == ["old_readers"] and added["breaks_orders"] == ["agents_first"]
    deleted = next(f for f in report["findings"] if f["rule"] == "ENUM_VALUE_NO_DELETE")
    assert deleted["affects"] == ["new_readers"] and deleted["breaks_orders"] == ["fund_first"]
    assert report["summary"] == {"breaking": 2, "accepted": 0, "compatible": 0, "source": 0, "policy": 0,
                                 "required_bump": "major", "safe_upgrade_orders": [], "exit_status": status}


def sarif(p: Pair, folder: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    _, out, _ = compat(p, folder, capsys, "--format", "sarif")
    document: dict[str, Any] = json.loads(out)
    return document


@pytest.mark.parametrize("name", ["nested_struct_grows_and_shifts_parent", "breaking_change_accepted",
                                  "allow_breaking_expired", "field_renamed", "identical"])
def test_sarif_structure(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = sarif(by_name(name), tmp_path, capsys)
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    assert len(document["runs"]) == 1
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "abigen" and driver["version"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == list(RULES)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in ("error", "note")
    assert isinstance(run["results"], list)
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("new.yaml")
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert location["logicalLocations"][0]["fullyQualifiedName"]
    assert run["invocations"][0]["exitCode"] == by_name(name).exit


def test_sarif_levels_and_suppressions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accepted = sarif(by_name("breaking_change_accepted"), tmp_path, capsys)["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in accepted] == [("FIELD_NO_DELETE", "note")]
    assert accepted[0]["suppressions"][0]["kind"] == "inSource"
    failing = sarif(by_name("breaking_change_with_only_minor_bump"), tmp_path, capsys)["runs"][0]["results"]
    assert {(r["ruleId"], r["level"]) for r in failing} == {("FIELD_NO_DELETE", "error"), ("VERSION_NOT_BUMPED", "error")}
    assert all("suppressions" not in r for r in failing)


def test_ci_clears_only_the_compatible_bit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compat(by_name("reserved_bytes_used"), tmp_path, capsys, "--ci")[0] == 0
    assert compat(by_name("breaking_change_accepted"), tmp_path, capsys, "--ci")[0] == 0
    assert compat(by_name("compatible_change_without_minor_bump"), tmp_path, capsys, "--ci")[0] == 16
    assert compat(by_name("region_header_reserved_bytes_used"), tmp_path, capsys, "--ci")[0] == 8
    status, out, _ = compat(by_name("reserved_bytes_used"), tmp_path, capsys, "--ci", "--format", "json")
    assert status == 0 and json.loads(out)["summary"]["exit_status"] == 0


def test_changelog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, new = write_pair(by_name("accepted_break_partly"), tmp_path)
    assert main(["changelog", "--against", str(base), "--spec", str(new), "--today", "2026-11-25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# demo ABI 1.0 → 2.0\n")
    assert "## Breaking changes\n\n- `structs.Slot.fields.seq`: atomic → plain" in out
    assert "## Breaking changes accepted by `allow_breaking:`" in out
    assert "Accepted until 2027-06-30: intended break. [FIELD_NO_DELETE]" in out
    assert "Required bump: **MAJOR**" in out
    base, new = write_pair(by_name("identical"), tmp_path)
    assert main(["changelog", "--against", str(base), "--spec", str(new)]) == 0
    assert "No ABI changes." in capsys.readouterr().out


def test_spec_errors_in_base_or_new_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(by_name("identical").base(), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(by_name("identical").base().replace("type: u32", "type: long", 1), encoding="utf-8")
    for base, new in ((bad, good), (good, bad)):
        assert main(["compat", "--against", str(base), "--spec", str(new)]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert re.search(r"bad\.yaml:[0-9]+:[0-9]+: error\[E[0-9]{3}\]", captured.err), captured.err
        assert "nothing was compared" in captured.err


def test_missing_base_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(by_name("identical").base(), encoding="utf-8")
    for missing in ("nope.yaml", "nope.lock.json"):
        assert main(["compat", "--against", str(tmp_path / missing), "--spec", str(good)]) == 2
        assert capsys.readouterr().err.startswith("abigen: ")


def test_bad_today_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["compat", "--today", "tomorrow"])
    assert exited.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_help_states_the_policy_and_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["compat", "--help"])
    out = capsys.readouterr().out
    for text in ("allow_breaking", "MAJOR bump", "exit status", "16  the version number", "git:REF", "--ci"):
        assert text in out
    for rule in RULES:
        assert rule in out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "compat     compare the spec" in capsys.readouterr().out


def run_abigen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "abigen", *args], cwd=cwd, capture_output=True, text=True,
                          check=False)


def test_subprocess_text_and_exit_bits(tmp_path: Path) -> None:
    base, new = write_pair(by_name("breaking_change_with_only_minor_bump"), tmp_path)
    done = run_abigen("compat", "--against", str(base), "--spec", str(new), cwd=tmp_path)
    assert done.returncode == 24, done.stderr
    assert "breaking[FIELD_NO_DELETE]" in done.stdout and "policy[VERSION_NOT_BUMPED]" in done.stdout


def test_subprocess_sarif(tmp_path: Path) -> None:
    base, new = write_pair(by_name("reserved_bytes_used"), tmp_path)
    done = run_abigen("compat", "--against", str(base), "--spec", str(new), "--format", "sarif", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    results = json.loads(done.stdout)["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["FIELD_IN_RESERVED"]


def test_real_spec_against_the_first_release_lock(capsys: pytest.CaptureFixture[str]) -> None:
    lock = ROOT / "schema" / "history" / "abi-1.0.lock.json"
    assert lock.is_file()
    status = main(["compat", "--against", str(lock), "--spec", str(ROOT / "schema" / "abi.yaml"), "--ci"])
    assert status == 0, capsys.readouterr().out
