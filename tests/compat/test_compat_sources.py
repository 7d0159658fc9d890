"""Where BASE comes from (spec file, release lock, git:REF) and `abigen release`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from compat_pairs import PAIRS, Pair

from abigen.cli import main
from abigen.compat.sources import locks
from abigen.frontend import load_spec
from abigen.ir.model import AbiVersion

ROOT = Path(__file__).resolve().parents[2]
# The spec as released in ABI 1.0, frozen: these tests edit its text and expect its versions, names
# and offsets, which the live schema/abi.yaml is free to outgrow.
SPEC_1_0 = ROOT / "tests" / "data" / "abi-1.0.yaml"
LOCK_1_0 = ROOT / "schema" / "history" / "abi-1.0.lock.json"


def by_name(name: str) -> Pair:
    return next(p for p in PAIRS if p.name == name)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                           *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root (schema/abi.yaml: the frozen 1.0 spec, no release lock yet) in a fresh git
    repo, committed; the current directory is inside it."""
    (tmp_path / "schema").mkdir()
    shutil.copy(SPEC_1_0, tmp_path / "schema" / "abi.yaml")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "schema/abi.yaml")
    git(tmp_path, "commit", "-q", "-m", "spec")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    return tmp_path


def edit_spec(project: Path, old: str, new: str) -> None:
    spec = project / "schema" / "abi.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1
    spec.write_text(text.replace(old, new), encoding="utf-8")


CLIENT_TAG = "      - {name: client_tag, type: u64, unit: id, doc: 'Opaque to the Fund; echoed in reports.'}\n"
RESERVED_USE = (CLIENT_TAG, CLIENT_TAG + "      - {name: flags, type: u32}\n")


def test_git_head_on_an_unchanged_tree_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat", "--against", "git:HEAD"]) == 0
    assert "(git:HEAD) -> 1.0 (schema/abi.yaml)" in capsys.readouterr().out


def test_git_ref_reads_the_committed_spec_and_leaves_the_tree_alone(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_spec(project, *RESERVED_USE)
    before = git(project, "status", "--porcelain")
    assert main(["compat", "--against", "git:HEAD"]) == 20
    out = capsys.readouterr().out
    assert "compatible[FIELD_IN_RESERVED]: structs.IntentRecord.fields.flags" in out
    assert "policy[VERSION_NOT_BUMPED]" in out
    assert git(project, "status", "--porcelain") == before
    edit_spec(project, 'version: "1.0"', 'version: "1.1"')
    assert main(["compat", "--against", "git:HEAD"]) == 4
    git(project, "commit", "-q", "-am", "1.1")
    assert main(["compat", "--against", "git:HEAD~1"]) == 4
    assert main(["compat", "--against", "git:HEAD"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("ref", ["no-such-branch", "HEAD~5", "-p", ""])
def test_bad_git_ref_is_a_one_line_usage_error(ref: str, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat", "--against", f"git:{ref}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"abigen: git:{ref}: ") and captured.err.count("\n") == 1, captured.err


def test_git_ref_without_the_spec_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "other").write_text("x\n", encoding="utf-8")
    git(project, "rm", "-q", "--cached", "schema/abi.yaml")
    git(project, "add", "other")
    git(project, "commit", "-q", "-m", "no spec")
    assert main(["compat", "--against", "git:HEAD"]) == 2
    assert "schema/abi.yaml does not exist at that commit" in capsys.readouterr().err


def test_git_ref_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "schema").mkdir()
    shutil.copy(SPEC_1_0, tmp_path / "schema" / "abi.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["compat", "--against", "git:HEAD"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("abigen: git:HEAD: ") and err.count("\n") == 1


def test_release_writes_the_lock_and_compat_defaults_to_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat"]) == 2
    assert "no release lock" in capsys.readouterr().err
    assert main(["release"]) == 0
    lock = project / "schema" / "history" / "abi-1.0.lock.json"
    assert capsys.readouterr().out.startswith("schema/history/abi-1.0.lock.json: released fundos ABI 1.0")
    text = lock.read_text(encoding="utf-8")
    assert text == LOCK_1_0.read_text(encoding="utf-8")  # so the frozen spec is the one released as 1.0
    data = json.loads(text)
    assert data["format"] == "abigen-lock/1" and data["abi_version"] == "1.0"
    record = next(s for s in data["ir"]["structs"] if s["name"] == "IntentRecord")
    assert (record["size"], record["align"], record["role"]) == (128, 64, "ring_slot")
    qty = next(f for f in record["fields"] if f["name"] == "qty")
    assert (qty["offset"], qty["type"], qty["unit"], qty["decimals"]) == (48, "Quantity", "instrument_units", 6)
    assert data["ir"]["layout_hash"] == load_spec(project / "schema" / "abi.yaml").layout_hash_hex
    assert main(["compat"]) == 0
    assert "(schema/history/abi-1.0.lock.json)" in capsys.readouterr().out


def test_release_refuses_to_overwrite_a_different_lock(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release"]) == 0
    lock = project / "schema" / "history" / "abi-1.0.lock.json"
    first = lock.read_bytes()
    edit_spec(project, "Shared memory between the Fund and its agents.", "Reworded.")
    assert main(["release"]) == 0  # docs are not part of the lock: still identical
    assert "already released with this exact layout" in capsys.readouterr().out
    edit_spec(project, *RESERVED_USE)
    assert main(["release"]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert lock.read_bytes() == first


def test_release_checks_the_previous_lock(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release"]) == 0
    edit_spec(project, 'version: "1.0"', 'version: "1.1"')
    edit_spec(project, CLIENT_TAG, "")
    assert main(["release"]) == 1  # a breaking change with only a MINOR bump
    err = capsys.readouterr().err
    assert "breaking[FIELD_NO_DELETE]: structs.IntentRecord.fields.client_tag" in err and "refusing to release" in err
    assert not (project / "schema" / "history" / "abi-1.1.lock.json").exists()


def test_release_of_a_minor_version_then_an_older_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release"]) == 0
    edit_spec(project, *RESERVED_USE)
    edit_spec(project, 'version: "1.0"', 'version: "1.1"')
    assert main(["release"]) == 0
    assert main(["compat"]) == 0  # against the newest lock, 1.1
    assert "(schema/history/abi-1.1.lock.json)" in capsys.readouterr().out
    assert main(["compat", "--against", "../schema/history/abi-1.0.lock.json"]) == 4
    edit_spec(project, 'version: "1.1"', 'version: "0.9"')
    assert main(["release"]) == 1
    assert "1.1 is already released; 0.9 cannot follow it" in capsys.readouterr().err


def test_locks_are_ordered_by_number(tmp_path: Path) -> None:
    for name in ("abi-1.9.lock.json", "abi-1.10.lock.json", "abi-2.0.lock.json", "abi-1.2.lock.json", "notes.txt",
                 "abi-01.0.lock.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert [v for v, _ in locks(tmp_path)] == [AbiVersion(1, 2), AbiVersion(1, 9), AbiVersion(1, 10), AbiVersion(2, 0)]


@pytest.mark.parametrize("p", PAIRS, ids=[p.name for p in PAIRS])
def test_compat_against_a_lock_equals_compat_against_its_spec(
        p: Pair, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, new = tmp_path / "base.yaml", tmp_path / "new.yaml"
    base.write_text(p.base(), encoding="utf-8")
    new.write_text(p.new(), encoding="utf-8")
    history = tmp_path / "history"
    assert main(["release", "--spec", str(base), "--history", str(history)]) == 0
    capsys.readouterr()
    reports = []
    for against in (str(base), str(history / "abi-1.0.lock.json")):
        status = main(["compat", "--against", against, "--spec", str(new), "--format", "json", "--today", p.today])
        report = json.loads(capsys.readouterr().out)
        reports.append((status, report["findings"], report["summary"]))
    assert reports[0] == reports[1]


def test_a_hand_edited_lock_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "history"
    assert main(["release", "--spec", str(SPEC_1_0), "--history", str(history)]) == 0
    lock = history / "abi-1.0.lock.json"
    data = json.loads(lock.read_text(encoding="utf-8"))
    data["ir"]["structs"][0]["fields"][1]["offset"] += 8
    lock.write_text(json.dumps(data), encoding="utf-8")
    assert main(["compat", "--against", str(lock), "--spec", str(SPEC_1_0)]) == 2
    assert "edited by hand" in capsys.readouterr().err
    lock.write_text("{not json", encoding="utf-8")
    assert main(["compat", "--against", str(lock), "--spec", str(SPEC_1_0)]) == 2
    assert "not JSON" in capsys.readouterr().err
    lock.write_text('{"format": "abigen-lock/1", "abi_version": "1.0", "ir": {"format": "abigen-ir/1"}}',
                    encoding="utf-8")
    assert main(["compat", "--against", str(lock), "--spec", str(SPEC_1_0)]) == 2
    assert "not a valid abigen lock file: lock.ir: missing 'abi'" in capsys.readouterr().err


def test_ci_gate_fails_a_break_without_a_major_bump(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What `make test` runs: `abigen compat --ci` against the newest lock."""
    assert main(["release"]) == 0
    qty = "      - {name: qty, type: Quantity, doc: 'Target position (TARGET_POSITION, signed) or order quantity"
    edit_spec(project, qty, qty.replace("type: Quantity", "type: i32, unit: instrument_units, decimals: 6"))
    assert main(["compat", "--ci"]) == 8 | 16
    edit_spec(project, 'version: "1.0"', 'version: "2.0"')
    capsys.readouterr()
    assert main(["compat", "--ci", "--format", "json"]) == 8
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {(f["rule"], f["path"], f["old"], f["new"]) for f in findings} == {
        ("FIELD_SAME_TYPE", "structs.IntentRecord.fields.qty", "Quantity", "i32"),
        ("FIELD_SAME_OFFSET", "structs.IntentRecord.fields.qty", "48", "44"),  # i32 packs after the u8 enums
        ("FIELD_SAME_OFFSET", "structs.IntentRecord.fields.limit_price", "56", "48"),
        ("FIELD_SAME_OFFSET", "structs.IntentRecord.fields.client_tag", "64", "56"),
    }
    entries = "".join(f"  - {{rule: {f['rule']}, path: {f['path']}, reason: narrower qty, expires: 2099-01-01}}\n"
                      for f in findings)
    spec = project / "schema" / "abi.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "allow_breaking:\n" + entries, encoding="utf-8")
    assert main(["compat", "--ci"]) == 0
    assert main(["compat"]) == 4
    capsys.readouterr()
