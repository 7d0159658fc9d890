"""The table of layouts a build serves (C++ `ABI_LAYOUTS`, ABI.md "Layouts served"): generated from
the release locks of the spec's major, each judged by the compat rules, plus the spec's own.

The committed generated/ is checked against schema/history read as plain JSON (not through
abigen), so the hashes in the table are the ones agents built for those releases send. The rest
runs `abigen release` and `abigen generate` in a scratch project built from the frozen 1.0 spec.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from abigen.cli import main
from abigen.frontend import load_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC_1_0 = ROOT / "tests" / "data" / "abi-1.0.yaml"
ROW = re.compile(r"^    \{(\d+), (\d+), (0x[0-9a-f]{16})ULL\},  // (\S+)$", re.MULTILINE)
OWN_ROW = "    {ABI_VERSION_MAJOR, ABI_VERSION_MINOR, ABI_LAYOUT_HASH},  // this spec\n"
CLIENT_TAG = "      - {name: client_tag, type: u64, unit: id, doc: 'Opaque to the Fund; echoed in reports.'}\n"


def table(header: str) -> list[tuple[int, int, int, str]]:
    """The released rows of ABI_LAYOUTS in a generated abi.hpp, in order; asserts the own row ends it."""
    start = header.index("inline constexpr AbiLayout ABI_LAYOUTS[] = {\n")
    body = header[start:header.index("};\n", start)]
    assert body.endswith(OWN_ROW), body
    return [(int(a), int(b), int(h, 16), lock) for a, b, h, lock in ROW.findall(body)]


def not_served(header: str) -> list[str]:
    return [line for line in header.splitlines() if line.startswith("// Not served: ")]


def test_committed_table_is_every_released_minor_of_the_major_from_schema_history() -> None:
    spec = load_spec(ROOT / "schema" / "abi.yaml")
    expected = []
    for lock in sorted((ROOT / "schema" / "history").glob("abi-*.lock.json")):
        data = json.loads(lock.read_text(encoding="utf-8"))
        major, minor = (int(part) for part in data["abi_version"].split("."))
        if major == spec.version.major and minor < spec.version.minor:
            expected.append((major, minor, int(data["ir"]["layout_hash"], 16), lock.name))
    expected.sort(key=lambda row: row[1])
    assert [row[1] for row in expected][:2] == [0, 1], "the released 1.0 and 1.1 locks are gone"
    header = (ROOT / "generated" / "cpp" / "fundos" / "abi.hpp").read_text(encoding="utf-8")
    assert table(header) == expected  # every release of this major is compatible, so all are served
    assert not_served(header) == []
    doc = (ROOT / "generated" / "docs" / "ABI.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Layouts served"):doc.index("## Compatibility rules")]
    rows = [f"| {major}.{minor} | `0x{h:016x}` | `{lock}` |" for major, minor, h, lock in expected]
    rows.append(f"| {spec.version} | `{spec.layout_hash_hex}` | this spec |")
    assert [line for line in section.splitlines() if line.startswith("| ") and "`" in line] == rows


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """schema/abi.yaml: the frozen 1.0 spec, no release yet; the current directory is the project."""
    (tmp_path / "schema").mkdir()
    shutil.copy(SPEC_1_0, tmp_path / "schema" / "abi.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit(project: Path, old: str, new: str) -> None:
    spec = project / "schema" / "abi.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    spec.write_text(text.replace(old, new), encoding="utf-8")


def generate(project: Path, *extra: str) -> str:
    assert main(["generate", "--out", str(project / "out"), *extra]) == 0
    return (project / "out" / "cpp" / "fundos" / "abi.hpp").read_text(encoding="utf-8")


def lock_hash(project: Path, name: str) -> int:
    return int(json.loads((project / "schema" / "history" / name).read_text(encoding="utf-8"))["ir"]["layout_hash"], 16)


def test_without_history_the_table_is_the_spec_alone(project: Path) -> None:
    header = generate(project)
    assert table(header) == [] and not_served(header) == []
    assert "| 1.0 | `0x" in (project / "out" / "docs" / "ABI.md").read_text(encoding="utf-8")


def test_a_compatible_minor_serves_the_older_release_and_check_sees_new_locks(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release"]) == 0
    released_1_0 = lock_hash(project, "abi-1.0.lock.json")
    edit(project, 'version: "1.0"', 'version: "1.1"')
    edit(project, CLIENT_TAG, CLIENT_TAG + "      - {name: flags, type: u32}\n")  # takes reserved bytes
    assert load_spec(project / "schema" / "abi.yaml").layout_hash != released_1_0
    # Without the lock (another --history) the table is the spec alone; check then finds the
    # committed output stale once the lock is read, naming the two files the table is in.
    empty = project / "empty"
    empty.mkdir()
    generate(project, "--history", str(empty))
    capsys.readouterr()
    assert main(["check", "--out", str(project / "out")]) == 1
    stale = capsys.readouterr().err.splitlines()
    assert stale[:2] == [f"{project / 'out' / 'cpp' / 'fundos' / 'abi.hpp'}: differs",
                         f"{project / 'out' / 'docs' / 'ABI.md'}: differs"], stale
    assert len(stale) == 3
    header = generate(project)
    assert table(header) == [(1, 0, released_1_0, "abi-1.0.lock.json")]
    assert main(["check", "--out", str(project / "out")]) == 0
    # Releasing the spec's own version changes nothing: its row comes from the spec already.
    assert main(["release"]) == 0
    assert main(["check", "--out", str(project / "out")]) == 0


def test_other_majors_and_newer_minors_are_left_out(project: Path) -> None:
    assert main(["release"]) == 0
    released_1_0 = lock_hash(project, "abi-1.0.lock.json")
    # A 2.0 and a 1.5 lock, released from other projects, dropped into this history.
    for version in ("2.0", "1.5"):
        other = project / f"other-{version}"
        (other / "schema").mkdir(parents=True)
        text = SPEC_1_0.read_text(encoding="utf-8").replace('version: "1.0"', f'version: "{version}"')
        (other / "schema" / "abi.yaml").write_text(text, encoding="utf-8")
        assert main(["release", "--spec", str(other / "schema" / "abi.yaml"), "--history",
                     str(other / "history")]) == 0
        shutil.copy(other / "history" / f"abi-{version}.lock.json", project / "schema" / "history")
    edit(project, 'version: "1.0"', 'version: "1.3"')
    assert table(generate(project)) == [(1, 0, released_1_0, "abi-1.0.lock.json")]


def test_a_release_the_spec_breaks_is_listed_as_not_served(project: Path) -> None:
    assert main(["release"]) == 0
    released_1_0 = lock_hash(project, "abi-1.0.lock.json")
    edit(project, 'version: "1.0"', 'version: "1.1"')
    edit(project, CLIENT_TAG, "")  # a field deleted: old agents would read bytes nobody writes
    header = generate(project)
    assert table(header) == []
    assert not_served(header) == [
        (f"// Not served: ABI 1.0 (abi-1.0.lock.json, layout 0x{released_1_0:016x}): "
         "FIELD_NO_DELETE at structs.IntentRecord.fields.client_tag.")]
    doc = (project / "out" / "docs" / "ABI.md").read_text(encoding="utf-8")
    assert "| `abi-1.0.lock.json`: **not served** (FIELD_NO_DELETE at structs.IntentRecord.fields.client_tag) |" in doc


@pytest.mark.parametrize(("enum", "served"), [("ReportKind", False), ("IntentKind", True)],
                         ids=["fund_writes_it", "agents_write_it"])
def test_only_breaks_that_hurt_old_agents_of_a_new_fund_count(project: Path, enum: str, served: bool) -> None:
    """A value added to an enum the old release declared no on_unknown for is a break; it stops the
    Fund serving that release only when the Fund writes the enum (ReportKind, fund -> agent),
    not when agents write it (IntentKind, agent -> fund: old agents never send the new value)."""
    policy = "on_unknown: ignore" if enum == "ReportKind" else "on_unknown: reject"
    spec = project / "schema" / "abi.yaml"
    text = spec.read_text(encoding="utf-8")
    head = text.index(f"  {enum}:\n")
    at = text.index(f"    {policy}\n", head)
    spec.write_text(text[:at] + text[at + len(f"    {policy}\n"):], encoding="utf-8")
    assert main(["release"]) == 0
    released_1_0 = lock_hash(project, "abi-1.0.lock.json")
    edit(project, 'version: "1.0"', 'version: "1.1"')
    last = "      CANCELED: {value: 4, doc: 'The order stopped working without a further fill.'}\n" \
        if enum == "ReportKind" else \
        "      END_OF_ANSWER: {value: 5, doc: 'The agent has sent every intent for `snapshot_seq`.'}\n"
    edit(project, last, last + "      NEW_VALUE: {value: 9}\n")
    header = generate(project)
    if served:
        assert table(header) == [(1, 0, released_1_0, "abi-1.0.lock.json")] and not_served(header) == []
    else:
        assert table(header) == []
        assert not_served(header) == [(f"// Not served: ABI 1.0 (abi-1.0.lock.json, layout 0x{released_1_0:016x}): "
                                       f"ENUM_VALUE_ADDED at enums.{enum}.values.NEW_VALUE.")]


def test_a_broken_lock_is_a_usage_error_naming_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = project / "schema" / "history"
    history.mkdir()
    (history / "abi-0.9.lock.json").write_text("{}", encoding="utf-8")  # another major: never read
    (history / "abi-1.0.lock.json").write_text("{not json", encoding="utf-8")
    edit(project, 'version: "1.0"', 'version: "1.1"')
    assert main(["generate", "--out", str(project / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"abigen: {history / 'abi-1.0.lock.json'}:1:2: not JSON") and "Traceback" not in err
    assert not (project / "out").exists()
