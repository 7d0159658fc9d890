"""Bad specs through the real `abigen generate`: each error names the file, the line of the
offending YAML node, its YAML path, a stable code and what was expected, and --out is untouched.

Every case edits one thing in BASE, a small valid spec. The expected line is found in the edited
text itself (the line holding `marker`), never written down as a number.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from abigen_cli import run_abigen, snapshot

from abigen.diagnostics import Diagnostic, Location, SpecError

Runner = Callable[..., subprocess.CompletedProcess[str]]

BASE = """\
# A small valid spec; each case below breaks one thing in it.
abi:
  name: demo
  version: "1.0"
units:
  id: an identifier
  count: a count of things
constants:
  NAME_LEN:
    type: u32
    value: 8
enums:
  Color:
    type: u8
    values:
      RED: {value: 1}
      GREEN: {value: 2}
types:
  Tag:
    type: u32
    unit: id
structs:
  Inner:
    direction: any
    fields:
      - {name: a, type: u32, unit: id}
      - {name: b, type: u16}
  Outer:
    direction: fund -> agent
    align: 64
    size: 64
    fields:
      - {name: seq, type: u64, unit: count, atomic: true}
      - {name: color, type: Color}
      - {name: name, type: "char[NAME_LEN]"}
      - {name: inner, type: Inner}
      - {name: tags, type: "Tag[2]"}
"""

# FILE:LINE:COL: error[CODE]: [YAML.PATH: ]MESSAGE, after the file name and its colon.
DIAGNOSTIC = re.compile(r"(?P<line>[0-9]+):(?P<column>[0-9]+): error\[(?P<code>E[0-9]{3})\]: (?P<rest>.*)")


def edit(old: str, new: str, base: str = BASE) -> str:
    """BASE with `old` (which must occur exactly once) replaced, so a case cannot silently stop
    changing anything when BASE changes."""
    assert base.count(old) == 1, f"{old!r} occurs {base.count(old)} times in the base spec"
    return base.replace(old, new)


def lines_with(text: str, marker: str) -> list[int]:
    """1-based numbers of the lines of `text` that contain `marker`."""
    return [number for number, line in enumerate(text.splitlines(), start=1) if marker in line]


@dataclass(frozen=True)
class Bad:
    id: str
    text: str
    marker: str  # appears on the offending line (exactly once in the text, unless `last`)
    code: str
    path: str | None  # the YAML path; None when the file does not parse
    expect: tuple[str, ...]  # phrases of the message; {first} is the marker's first line
    last: bool = False  # the offending line is the marker's last occurrence (a repeat)

    def line(self) -> int:
        found = lines_with(self.text, self.marker)
        assert found, f"marker {self.marker!r} is not in the spec"
        if self.last:
            assert len(found) >= 2, f"marker {self.marker!r} should repeat"
            return found[-1]
        assert len(found) == 1, f"marker {self.marker!r} is on lines {found}; make it unique"
        return found[0]


def field_b(new: str) -> str:
    """BASE with Inner's second field replaced by `new`."""
    return edit("{name: b, type: u16}", new)


CASES = [
    Bad("yaml_syntax", edit("    direction: any\n", "    direction: any: oops\n"), "any: oops",
        "E101", None, ("YAML syntax: mapping values are not allowed",)),
    Bad("duplicate_key", edit("    direction: any\n", "    direction: any\n    direction: any\n"), "direction: any",
        "E102", "structs.Inner.direction", ("duplicate key 'direction' (first defined on line {first})",), last=True),
    Bad("duplicate_field", field_b("{name: a, type: u16}"), "{name: a, type: u16}",
        "E307", "structs.Inner.fields[1].name", ("duplicate field 'a' (also field 0)",)),
    Bad("unknown_type", edit("type: Color}", "type: Colr}"), "type: Colr",
        "E301", "structs.Outer.fields[1].type", ("unknown type 'Colr'; did you mean 'Color'?",)),
    Bad("unknown_constant_in_length", edit("char[NAME_LEN]", "char[NAME_LNE]"), "NAME_LNE",
        "E306", "structs.Outer.fields[2].type",
        ("array length 'NAME_LNE' is neither a number nor a constant", "did you mean 'NAME_LEN'?")),
    Bad("array_length_zero", edit("Tag[2]", "Tag[0]"), "Tag[0]",
        "E305", "structs.Outer.fields[4].type", ("array length must be at least 1, not 0",)),
    Bad("enum_value_out_of_range", edit("GREEN: {value: 2}", "GREEN: {value: 256}"), "GREEN",
        "E303", "enums.Color.values.GREEN.value", ("256 does not fit the enum's type u8 (0..255)",)),
    Bad("duplicate_enum_value", edit("GREEN: {value: 2}", "GREEN: {value: 1}"), "GREEN",
        "E304", "enums.Color.values.GREEN.value", ("value 1 is already used by RED",)),
    Bad("constant_out_of_range", edit("    value: 8\n", "    value: 4294967296\n"), "4294967296",
        "E302", "constants.NAME_LEN.value", ("4294967296 does not fit u32 (0..4294967295)",)),
    Bad("struct_cycle", edit("      - {name: b, type: u16}\n",
                             "      - {name: b, type: u16}\n      - {name: outer, type: Outer}\n"), "  Inner:",
        "E308", "structs.Inner", ("structs contain each other: Inner -> Outer -> Inner",)),
    Bad("missing_abi_version", edit('  version: "1.0"\n', ""), "abi:",
        "E201", "abi", ("'version' is a required property",)),
    Bad("bad_version_format", edit('"1.0"', '"1.0.3"'), "1.0.3",
        "E201", "abi.version", ("'1.0.3'", 'expected MAJOR.MINOR in quotes, e.g. "1.0"')),
    Bad("unquoted_version", edit('version: "1.0"', "version: 1.10"), "version: 1.10",
        "E201", "abi.version", ("is not a string", "expected MAJOR.MINOR in quotes")),
    Bad("align_not_power_of_two", edit("align: 64", "align: 48"), "align: 48",
        "E401", "structs.Outer.align", ("align: 48 is not a power of two",)),
    Bad("declared_size_too_small", edit("size: 64", "size: 8"), "size: 8",
        "E402", "structs.Outer.size", ("more than the declared size: 8",)),
    Bad("size_not_multiple_of_alignment", edit("size: 64", "size: 96"), "size: 96",
        "E403", "structs.Outer.size", ("size: 96 is not a multiple of the struct's alignment 64",)),
    Bad("struct_too_large", field_b("{name: b, type: 'u8[4000000000]'}"), "  Inner:",
        "E405", "structs.Inner", ("the struct takes 4000000004 bytes, more than the 16777216",)),
    Bad("bool_field", field_b("{name: b, type: bool}"), "type: bool",
        "E501", "structs.Inner.fields[1].type", ("'bool' is not allowed in shared memory", "use u8 or an enum")),
    Bad("pointer_field", field_b("{name: b, type: u8*}"), "type: u8*",
        "E504", "structs.Inner.fields[1].type",
        ("pointers mean nothing in another process's address space", "store an offset as u64")),
    Bad("long_field", field_b("{name: b, type: long}"), "type: long",
        "E501", "structs.Inner.fields[1].type", ("'long' is not allowed", "use i32 or i64")),
    Bad("size_t_field", field_b("{name: b, type: size_t}"), "type: size_t",
        "E501", "structs.Inner.fields[1].type", ("'size_t' is not allowed", "use u64")),
    Bad("c_fixed_width_spelling", field_b("{name: b, type: uint16_t}"), "uint16_t",
        "E501", "structs.Inner.fields[1].type", ("spell it u16",)),
    Bad("c_multiword_type", field_b("{name: b, type: unsigned int}"), "unsigned int",
        "E501", "structs.Inner.fields[1].type", ("'unsigned int' is not allowed", "use u32")),
    Bad("bitfield_key", field_b("{name: b, type: u16, bits: 3}"), "bits: 3",
        "E503", "structs.Inner.fields[1].bits", ("bitfields lay out differently", "use a whole integer")),
    Bad("bitfield_in_type", field_b("{name: b, type: 'u16:3'}"), "u16:3",
        "E503", "structs.Inner.fields[1].type", ("bitfields lay out differently",)),
    Bad("packed_struct", edit("    direction: any\n", "    direction: any\n    packed: true\n"), "packed: true",
        "E502", "structs.Inner.packed", ("packed structs misalign fields", "order fields by size or add reserved")),
    Bad("atomic_u8", field_b("{name: b, type: u8, atomic: true}"), "type: u8, atomic",
        "E505", "structs.Inner.fields[1].atomic",
        ("only a single naturally aligned u32/i32/u64/i64 can be atomic", "not 'u8'")),
    Bad("atomic_array", field_b("{name: b, type: 'u32[2]', atomic: true}"), "'u32[2]'",
        "E505", "structs.Inner.fields[1].atomic", ("can be atomic", "not 'u32[2]'")),
    Bad("unknown_unit", field_b("{name: b, type: u16, unit: cnt}"), "unit: cnt",
        "E506", "structs.Inner.fields[1].unit", ("unknown unit 'cnt'; did you mean 'count'?",)),
    Bad("reserved_word_field", field_b("{name: class, type: u16}"), "name: class",
        "E507", "structs.Inner.fields[1].name", ("'class' is a reserved word",)),
    Bad("predefined_macro_field", field_b("{name: linux, type: u16}"), "name: linux",
        "E507", "structs.Inner.fields[1].name", ("'linux' is a reserved word or predefined name",)),
    Bad("name_the_generated_code_defines", edit("  NAME_LEN:\n", "  ABI_LAYOUT_HASH:\n    type: u8\n    value: 1\n"
                                                "  NAME_LEN:\n"), "ABI_LAYOUT_HASH",
        "E507", "constants.ABI_LAYOUT_HASH", ("'ABI_LAYOUT_HASH' is a reserved word or predefined name",)),
    Bad("padding_like_field_name", field_b("{name: pad_8, type: u16}"), "name: pad_8",
        "E508", "structs.Inner.fields[1].name", ("'pad_8' has the form abigen uses for padding",)),
    Bad("unknown_top_level_key", BASE + "extras: 1\n", "extras:",
        "E201", "extras", ("unknown key 'extras'", "expected one of: abi, units, constants, enums, types, structs")),
    Bad("unknown_field_key", field_b("{name: b, type: u16, units: id}"), "units: id",
        "E201", "structs.Inner.fields[1].units", ("unknown key 'units'", "expected one of: name, type")),
    Bad("lone_char", field_b("{name: b, type: char}"), "type: char}",
        "E311", "structs.Inner.fields[1].type", ("a lone char is not a type here", "use char[N]")),
    Bad("two_dimensional_array", field_b("{name: b, type: 'u16[2][3]'}"), "u16[2][3]",
        "E311", "structs.Inner.fields[1].type", ("expected NAME or NAME[LENGTH], one dimension",)),
    Bad("wrong_direction", edit("direction: any", "direction: both"), "direction: both",
        "E201", "structs.Inner.direction", ("'both' is not one of ['fund -> agent', 'agent -> fund', 'any']",)),
    Bad("struct_name_not_pascal_case", edit("  Outer:\n", "  outer:\n"), "  outer:",
        "E201", "structs.outer", ("'outer' is not a valid name here (expected PascalCase)",)),
    Bad("float_where_integer", edit("size: 64", "size: 64.0"), "size: 64.0",
        "E201", "structs.Outer.size", ("64.0 is not of type 'integer'",)),
    Bad("float_enum_value", edit("GREEN: {value: 2}", "GREEN: {value: 2.0}"), "GREEN",
        "E201", "enums.Color.values.GREEN.value", ("2.0 is not of type 'integer'",)),
    Bad("unit_on_aliased_field", edit('"Tag[2]"}', '"Tag[2]", unit: count}'), "unit: count}",
        "E313", "structs.Outer.fields[4].unit", ("the unit and decimals come from type Tag (id)", "remove them")),
    Bad("name_declared_twice", edit("types:\n", "types:\n  ID:\n    type: u8\n    unit: id\n",
                                    edit("constants:\n", "constants:\n  ID:\n    type: u8\n    value: 1\n")),
        "  ID:", "E310", "types.ID", ("'ID' is already declared in constants",), last=True),
    Bad("yaml_merge_key", field_b("{<<: {name: b}, type: u16}"), "<<:",
        "E103", "structs.Inner.fields[1]", ("unsupported YAML key", "write the keys out")),
    Bad("deeply_nested_yaml", BASE + "deep: " + "[" * 600 + "]" * 600 + "\n", "deep:",
        "E103", None, ("deep[0][0][0]", "nested too deeply")),
    Bad("yaml_1_1_octal", edit("    value: 8\n", "    value: 010\n"), "value: 010",
        "E103", "constants.NAME_LEN.value", ("YAML 1.1 reads 010 as 8", "write it in decimal or 0x hex")),
    Bad("recursive_yaml_alias", BASE + "loop: &a [*a]\n", "loop:",
        "E103", "loop[0]", ("an alias refers to a node that contains it",)),
]


def diagnostics(stderr: str, spec: Path) -> list[re.Match[str]]:
    """The FILE:LINE:COL diagnostics in `stderr` for `spec`, parsed; fails on any other line
    except the final summary."""
    lines = stderr.splitlines()
    assert lines, "nothing on stderr"
    parsed = []
    for line in lines[:-1]:
        assert line.startswith(f"{spec}:"), f"not a diagnostic for {spec}: {line!r}"
        match = DIAGNOSTIC.fullmatch(line[len(str(spec)) + 1:])
        assert match is not None, f"not FILE:LINE:COL: error[CODE]: ...: {line!r}"
        parsed.append(match)
    return parsed


def make_pristine(folder: Path) -> Path:
    """An output folder generated from BASE in `folder`, to copy before each failing run."""
    (folder / "demo.yaml").write_text(BASE, encoding="utf-8")
    result = run_abigen("generate", "--spec", folder / "demo.yaml", "--out", folder / "out")
    assert result.returncode == 0, result.stderr
    return folder / "out"


@pytest.fixture(scope="module")
def pristine_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pristine(tmp_path_factory.mktemp("pristine"))


def refuse(case: Bad, folder: Path, pristine_out: Path) -> str:
    """`abigen generate` of the case's spec (written in `folder`) over a copy of a good output
    folder: exit 2, one FILE:LINE:COL diagnostic with the case's code, line, YAML path and phrases,
    the summary line, no traceback, and not one file of `folder` changed. Returns the code."""
    spec = folder / f"{case.id}.yaml"
    spec.write_text(case.text, encoding="utf-8")
    out = folder / "out"
    shutil.copytree(pristine_out, out)
    before = snapshot(folder)
    assert before["out/.abigen"] is not None and len(before) > 10

    result = run_abigen("generate", "--spec", spec, "--out", out)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    found = diagnostics(result.stderr, spec)
    assert len(found) == 1, result.stderr
    diagnostic = found[0]
    assert (diagnostic["code"], int(diagnostic["line"])) == (case.code, case.line()), result.stderr
    rest = diagnostic["rest"]
    if case.path is not None:
        assert rest.startswith(f"{case.path}: "), rest
    first = lines_with(case.text, case.marker)[0]
    for phrase in case.expect:
        assert phrase.format(first=first) in rest, rest
    assert result.stderr.splitlines()[-1] == f"abigen: {spec}: 1 error; nothing was written"
    assert snapshot(folder) == before, "a failing generate changed files (or left a staging folder)"
    return case.code


def test_case_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_spec_names_file_line_path_code_and_writes_nothing(case: Bad, pristine_out: Path, tmp_path: Path) -> None:
    assert refuse(case, tmp_path, pristine_out) == case.code


def test_lint_reports_the_same_diagnostic_as_generate(abigen: Runner, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "unknown_unit")
    spec = tmp_path / "spec.yaml"
    spec.write_text(case.text, encoding="utf-8")
    linted = abigen("lint", "--spec", spec)
    generated = abigen("generate", "--spec", spec, "--out", tmp_path / "out")
    assert linted.returncode == generated.returncode == 2
    assert linted.stderr == generated.stderr
    assert f"{spec}:{case.line()}:" in linted.stderr
    assert not (tmp_path / "out").exists()


def multi(text: str, spec: Path, expected: list[tuple[str, str, str]], abigen: Runner, out: Path) -> None:
    """Runs generate and checks that exactly `expected` (marker, code, path) are reported, in
    line order, each at its marker's line."""
    spec.write_text(text, encoding="utf-8")
    result = abigen("generate", "--spec", spec, "--out", out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    found = diagnostics(result.stderr, spec)
    want = sorted((lines_with(text, marker)[-1], code, path) for marker, code, path in expected)
    got = [(int(d["line"]), d["code"], d["rest"].split(": ", 1)[0]) for d in found]
    assert got == want, result.stderr
    assert result.stderr.splitlines()[-1] == f"abigen: {spec}: {len(expected)} errors; nothing was written"
    assert not out.exists()


def test_every_struct_problem_is_reported_at_once(abigen: Runner, tmp_path: Path) -> None:
    text = edit("    direction: any\n", "    direction: any\n    packed: true\n")
    text = edit("{name: b, type: u16}", "{name: b, type: bool}", text)
    text = edit("{name: color, type: Color}", "{name: color, type: Color, unit: cnt}", text)
    text = edit('{name: tags, type: "Tag[2]"}', '{name: class, type: "Tag[2]"}', text)
    text = edit("{name: seq, type: u64, unit: count, atomic: true}", "{name: seq, type: u8, atomic: true}", text)
    multi(text, tmp_path / "spec.yaml", [
        ("packed: true", "E502", "structs.Inner.packed"),
        ("type: bool", "E501", "structs.Inner.fields[1].type"),
        ("type: u8, atomic", "E505", "structs.Outer.fields[0].atomic"),
        ("unit: cnt", "E506", "structs.Outer.fields[1].unit"),
        ("name: class", "E507", "structs.Outer.fields[4].name"),
    ], abigen, tmp_path / "out")


def test_problems_in_every_section_are_reported_at_once_without_echoes(abigen: Runner, tmp_path: Path) -> None:
    # Outer uses the broken constant (char[NAME_LEN]) and the broken alias (Tag[2]): those uses
    # must not be reported again as unknown names.
    text = edit("    value: 8\n", "    value: -1\n")
    text = edit("GREEN: {value: 2}", "GREEN: {value: 1}", text)
    text = edit("    unit: id\n", "    unit: idd\n", text)
    text = edit("{name: b, type: u16}", "{name: b, type: bool}", text)
    text += "  Loop:\n    direction: any\n    fields:\n      - {name: me, type: Loop}\n"
    multi(text, tmp_path / "spec.yaml", [
        ("value: -1", "E302", "constants.NAME_LEN.value"),
        ("GREEN", "E304", "enums.Color.values.GREEN.value"),
        ("unit: idd", "E506", "types.Tag.unit"),
        ("type: bool", "E501", "structs.Inner.fields[1].type"),
        ("  Loop:", "E308", "structs.Loop"),
    ], abigen, tmp_path / "out")


def test_every_schema_problem_is_reported_at_once(abigen: Runner, tmp_path: Path) -> None:
    text = edit("direction: any", "direction: both")
    text = edit("size: 64", "size: 64.0", text)
    text = edit("  Outer:\n", "  outer:\n", text)
    text = edit("{name: b, type: u16}", "{name: b, type: u16, units: id}", text) + "extras: 1\n"
    multi(text, tmp_path / "spec.yaml", [
        ("direction: both", "E201", "structs.Inner.direction"),
        ("units: id", "E201", "structs.Inner.fields[1].units"),
        ("  outer:", "E201", "structs.outer"),
        ("size: 64.0", "E201", "structs.outer.size"),
        ("extras:", "E201", "extras"),
    ], abigen, tmp_path / "out")


def test_every_yaml_duplicate_is_reported_at_once(abigen: Runner, tmp_path: Path) -> None:
    text = edit("      RED: {value: 1}\n", "      RED: {value: 1}\n      RED: {value: 3}\n")
    text = edit("  count: a count of things\n", "  count: a count of things\n  count: again\n", text)
    multi(text, tmp_path / "spec.yaml", [
        ("RED:", "E102", "enums.Color.values.RED"),
        ("  count:", "E102", "units.count"),
    ], abigen, tmp_path / "out")


@pytest.mark.parametrize("problem", ["missing", "directory", "not_utf8"])
def test_unreadable_spec_is_one_line_without_traceback(problem: str, abigen: Runner, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    if problem == "directory":
        spec.mkdir()
    elif problem == "not_utf8":
        spec.write_bytes(BASE.encode().replace(b"a count", b"a \xff count"))
    out = tmp_path / "out"
    result = abigen("generate", "--spec", spec, "--out", out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"abigen: {spec}: ")
    if problem == "missing":
        assert "no such spec file" in result.stderr
    assert not out.exists()


def test_spec_error_lists_diagnostics_in_file_order_and_is_an_ordinary_exception() -> None:
    where = Path("f.yaml")
    error = SpecError([
        Diagnostic("E301", "late", Location(where, 9, 3), "structs.S.fields[0].type"),
        Diagnostic("E101", "early", Location(where, 2, 1), ""),
        Diagnostic("E201", "somewhere", Location(where, 0, 0), "abi"),
    ])
    assert str(error).splitlines() == [
        "f.yaml: error[E201]: abi: somewhere",
        "f.yaml:2:1: error[E101]: early",
        "f.yaml:9:3: error[E301]: structs.S.fields[0].type: late",
    ]
    assert error in {error}  # hashable, as exceptions are expected to be
