"""`abigen verify` and the layout engine, checked against libclang for x86_64 and aarch64.

1. verify finds nothing wrong with the checked-in generated/ headers, nor with headers freshly
   rendered from the spec.
2. verify names the target, language, struct and field when a header is tampered with, and
   reports a broken static_assert as a compile error at its file:line. These tamper with headers
   rendered from the frozen 1.0 spec (tests/data/abi-1.0.yaml), whose fields and offsets they
   name, so that the live spec can grow.
3. A corpus of tricky specs, laid out by the engine, against libclang's layout of plain C and C++
   structs that this file emits itself (not the production templates): once from the IR with the
   engine's explicit pad_N/reserved_N fields, and once straight from the YAML with only the members
   the author wrote (natural C layout), which proves the engine follows the C rules rather than
   just its own padding. Then the production headers for each corpus spec go through verify.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from clang import cindex  # type: ignore[import-untyped]

from abigen.frontend import load_spec, load_spec_text
from abigen.ir.model import Spec, Struct
from abigen.output import write_tree
from abigen.targets import render_all
from abigen.verify import Mismatch, verify_headers

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "generated"
SPEC_1_0 = ROOT / "tests" / "data" / "abi-1.0.yaml"
TARGETS = ("x86_64-linux-gnu", "aarch64-linux-gnu")


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(ROOT / "schema" / "abi.yaml")


@pytest.fixture(scope="module")
def fresh(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs rendered now from schema/abi.yaml by the current templates."""
    out = tmp_path_factory.mktemp("fresh") / "generated"
    write_tree(render_all(spec, "schema/abi.yaml"), out)
    return out


@pytest.fixture(scope="module")
def spec_1_0() -> Spec:
    return load_spec(SPEC_1_0)


@pytest.fixture(scope="module")
def fresh_1_0(spec_1_0: Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs rendered now from the frozen 1.0 spec by the current templates."""
    out = tmp_path_factory.mktemp("fresh_1_0") / "generated"
    write_tree(render_all(spec_1_0, "schema/abi.yaml"), out)
    return out


@pytest.fixture
def copy(fresh_1_0: Path, tmp_path: Path) -> Path:
    """A private copy of the headers of the frozen 1.0 spec to tamper with."""
    out = tmp_path / "generated"
    shutil.copytree(fresh_1_0, out)
    return out


def tamper(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of `old` in the file; returns its 1-based line number."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


# ---- 1. the real headers


def test_checked_in_headers_match_the_spec(spec: Spec) -> None:
    assert (GENERATED / "c" / "fundos" / "abi.h").is_file()
    assert (GENERATED / "cpp" / "fundos" / "abi.hpp").is_file()
    assert [str(m) for m in verify_headers(spec, GENERATED)] == []


def test_freshly_generated_headers_match_the_spec(spec: Spec, fresh: Path) -> None:
    assert [str(m) for m in verify_headers(spec, fresh, TARGETS)] == []


# ---- 2. tampered headers


def test_a_widened_field_is_named_with_its_target_and_language(spec_1_0: Spec, copy: Path) -> None:
    tamper(copy / "cpp/fundos/abi.hpp", "std::uint32_t pid;", "std::uint64_t pid;")
    mismatches = verify_headers(spec_1_0, copy, TARGETS)
    for target in TARGETS:
        assert Mismatch(target, "c++", "AgentHeartbeat", "pid", "width", 4, 8) in mismatches
        assert Mismatch(target, "c++", "AgentHeartbeat", "pid", "type", "u32", "u64") in mismatches
    assert {m.language for m in mismatches} == {"c++"}
    assert {m.struct for m in mismatches} == {"AgentHeartbeat"}
    assert {m.target for m in mismatches} == set(TARGETS)
    assert {m.target for m in mismatches if m.what == "compile"} == set(TARGETS)  # its static_asserts fail


def test_a_shifted_field_reports_offsets(spec_1_0: Spec, copy: Path) -> None:
    tamper(copy / "c/fundos/abi.h", "uint16_t position_count;", "uint32_t position_count;")
    layout = {m for m in verify_headers(spec_1_0, copy, TARGETS) if m.what != "compile"}
    assert layout == {
        m
        for target in TARGETS
        for m in (
            Mismatch(target, "c", "AgentBook", "position_count", "width", 2, 4),
            Mismatch(target, "c", "AgentBook", "position_count", "type", "u16", "u32"),
            Mismatch(target, "c", "AgentBook", "reserved_10", "offset", 10, 12),
            # reserved_10 is 54 bytes, so the account it pads to now starts at 66 -> 128.
            Mismatch(target, "c", "AgentBook", "account", "offset", 64, 128),
            Mismatch(target, "c", "AgentBook", "positions", "offset", 192, 256),
            Mismatch(target, "c", "AgentBook", "", "size", 4288, 4352),
        )
    }
    assert "x86_64-linux-gnu c AgentBook.reserved_10: offset 12 != spec 10" in {str(m) for m in layout}


def test_a_sign_change_is_a_type_mismatch(spec_1_0: Spec, copy: Path) -> None:
    tamper(copy / "cpp/fundos/abi.hpp", "std::uint64_t ref_intent_id;", "std::int64_t ref_intent_id;")
    assert verify_headers(spec_1_0, copy, TARGETS) == [
        Mismatch(target, "c++", "IntentRecord", "ref_intent_id", "type", "u64", "i64") for target in TARGETS
    ]


def test_a_broken_static_assert_is_a_compile_error_at_its_line(spec_1_0: Spec, copy: Path) -> None:
    header = copy / "cpp/fundos/abi.hpp"
    line = tamper(header, "static_assert(sizeof(IntentRecord) == 128);", "static_assert(sizeof(IntentRecord) == 129);")
    mismatches = verify_headers(spec_1_0, copy, TARGETS)
    assert [(m.target, m.language, m.struct, m.field, m.what) for m in mismatches] == [
        (target, "c++", "IntentRecord", "", "compile") for target in TARGETS
    ]
    for m in mismatches:
        assert isinstance(m.actual, str)
        assert m.actual.startswith(f"{header}:{line}:")
        assert "static assertion failed" in m.actual and "129" in m.actual
        assert str(m).startswith(f"{m.target} c++ IntentRecord: compile error: {header}:{line}:")


def test_missing_structs_fields_and_headers_are_reported(spec_1_0: Spec, copy: Path) -> None:
    tamper(copy / "c/fundos/abi.h", "uint32_t pid;", "uint32_t process_id;")
    (copy / "cpp/fundos/abi.hpp").unlink()
    mismatches = verify_headers(spec_1_0, copy, ["aarch64-linux-gnu"])
    assert Mismatch("aarch64-linux-gnu", "c", "AgentHeartbeat", "pid", "missing", "u32 at offset 16", "") in mismatches
    assert Mismatch("aarch64-linux-gnu", "c", "AgentHeartbeat", "process_id", "extra", "",
                    "u32 at offset 16, 4 bytes") in mismatches
    assert any(m.language == "c" and m.what == "compile" and "pid" in str(m.actual) for m in mismatches)
    assert Mismatch("aarch64-linux-gnu", "c++", "", "", "compile", "",
                    f"{copy / 'cpp/fundos/abi.hpp'}: no such file") in mismatches


def test_a_renamed_struct_is_missing(spec_1_0: Spec, copy: Path) -> None:
    tamper(copy / "cpp/fundos/abi.hpp", "struct alignas(64) AgentHeartbeat {", "struct alignas(64) Heartbeat {")
    mismatches = verify_headers(spec_1_0, copy, ["x86_64-linux-gnu"])
    missing = [m for m in mismatches if m.what == "missing"]
    assert [(m.language, m.struct, m.field) for m in missing] == [("c++", "AgentHeartbeat", "")]
    assert str(missing[0]).startswith("x86_64-linux-gnu c++ AgentHeartbeat: missing from the header")


def test_mismatch_reads_as_one_line() -> None:
    assert str(Mismatch("aarch64-linux-gnu", "c++", "IntentRecord", "qty", "offset", 40, 48)) == (
        "aarch64-linux-gnu c++ IntentRecord.qty: offset 48 != spec 40")
    assert str(Mismatch("x86_64-linux-gnu", "c", "Position", "", "size", 64, 72)) == (
        "x86_64-linux-gnu c Position: size 72 != spec 64")


# ---- 3. the layout engine against libclang, independently of the templates

CORPUS: dict[str, str] = {
    "mixed_widths": """
  Mixed:
    direction: any
    fields:
      - {name: a, type: u8}
      - {name: b, type: u64}
      - {name: c, type: u16}
      - {name: d, type: u32}
      - {name: e, type: i8}
      - {name: f, type: f64}
      - {name: g, type: f32}
      - {name: h, type: i16}
      - {name: i, type: u8}
      - {name: p, type: Price}
""",
    "ends_in_u8_after_u64": """
  Tail:
    direction: any
    fields:
      - {name: a, type: u64}
      - {name: b, type: u8}
""",
    "odd_char_arrays": """
  Text:
    direction: any
    fields:
      - {name: a, type: "char[3]"}
      - {name: b, type: u32}
      - {name: c, type: "char[7]"}
      - {name: d, type: u16}
      - {name: e, type: "char[1]"}
      - {name: f, type: "char[SYMBOL_LEN]"}
      - {name: g, type: i64}
      - {name: h, type: "char[5]"}
""",
    "enums_of_every_width": """
  Tagged:
    direction: any
    fields:
      - {name: a, type: E8}
      - {name: b, type: E32}
      - {name: c, type: E16}
      - {name: d, type: E8}
      - {name: e, type: u64}
      - {name: f, type: "E16[3]"}
      - {name: g, type: E32}
      - {name: h, type: "E8[5]"}
""",
    "nested_and_arrays_of_structs": """
  Inner:
    direction: any
    fields:
      - {name: a, type: u8}
      - {name: b, type: u32}
      - {name: c, type: u16}
  Outer:
    direction: any
    fields:
      - {name: x, type: u8}
      - {name: inner, type: Inner}
      - {name: y, type: u8}
      - {name: many, type: "Inner[3]"}
      - {name: z, type: u64}
      - {name: w, type: u16}
""",
    "deep_nesting": """
  Leaf:
    direction: any
    fields:
      - {name: v, type: u16}
  Twig:
    direction: any
    fields:
      - {name: a, type: u8}
      - {name: leaf, type: Leaf}
      - {name: b, type: u8}
  Branch:
    direction: any
    fields:
      - {name: twigs, type: "Twig[3]"}
      - {name: c, type: u8}
      - {name: d, type: f64}
      - {name: e, type: u8}
""",
    "align_64": """
  Line:
    direction: any
    align: 64
    fields:
      - {name: a, type: u32}
      - {name: b, type: u8}
  Lines:
    direction: any
    fields:
      - {name: flag, type: u8}
      - {name: lines, type: "Line[2]"}
      - {name: n, type: u32}
""",
    "align_64_with_size": """
  Header:
    direction: any
    align: 64
    size: 128
    fields:
      - {name: magic, type: u64}
      - {name: kind, type: E16}
      - {name: flags, type: u8}
      - {name: count, type: u32}
""",
    "reserved_in_the_middle": """
  Gaps:
    direction: any
    fields:
      - {name: a, type: u8}
      - {reserved: 3}
      - {name: b, type: u32}
      - {reserved: 5}
      - {name: c, type: u64}
      - {name: d, type: u8}
      - {reserved: 1}
      - {name: e, type: u16}
      - {reserved: 2}
""",
    "reserved_tail_via_size": """
  Grows:
    direction: any
    size: 24
    fields:
      - {name: a, type: u32}
      - {name: b, type: u16}
  GrowsAligned:
    direction: any
    size: 48
    fields:
      - {name: a, type: u8}
      - {name: b, type: u64}
      - {name: c, type: u8}
  HoldsGrowing:
    direction: any
    fields:
      - {name: g, type: Grows}
      - {name: h, type: u8}
      - {name: ga, type: "GrowsAligned[2]"}
      - {name: i, type: u8}
""",
    "floats": """
  Floats:
    direction: any
    fields:
      - {name: a, type: f32}
      - {name: b, type: f64}
      - {name: c, type: f32}
      - {name: d, type: u8}
      - {name: e, type: "f32[3]"}
      - {name: f, type: "f64[2]"}
      - {name: g, type: i32}
""",
    "single_byte_struct": """
  Byte:
    direction: any
    fields:
      - {name: b, type: u8}
  Bytes:
    direction: any
    fields:
      - {name: a, type: "Byte[3]"}
      - {name: b, type: u16}
      - {name: c, type: Byte}
""",
}

PREAMBLE = """
abi: {name: corpus, version: "1.0"}
units: {count: a count, price: quote currency per unit}
types:
  Price: {type: i64, unit: price, decimals: 8}
constants:
  SYMBOL_LEN: {type: u32, value: 16}
enums:
  E8: {type: u8, values: {A: {value: 1}, B: {value: 255}}}
  E16: {type: u16, values: {A: {value: 1}, B: {value: 65535}}}
  E32: {type: u32, values: {A: {value: 1}, B: {value: 4294967295}}}
structs:
"""

BUILTIN_TYPES = {
    "u8": "unsigned char", "i8": "signed char", "u16": "unsigned short", "i16": "short",
    "u32": "unsigned int", "i32": "int", "u64": "unsigned long long", "i64": "long long",
    "f32": "float", "f64": "double", "char": "char",
}
TYPE_TEXT = re.compile(r"^(?P<base>\w+)(?:\[(?P<count>\w+)\])?$")


def corpus_source(name: str) -> str:
    return PREAMBLE + CORPUS[name]


def corpus_spec(name: str) -> Spec:
    return load_spec_text(corpus_source(name), Path("corpus.yaml"))


def emit_explicit(spec: Spec, declared: dict[str, Any], language: str) -> str:
    """Plain C11 or C++20 structs from the IR, every field in order, the engine's pad_N and
    reserved_N included; the struct's `align:` comes from the YAML (`declared`), not the IR."""
    lines = [f"enum class {e.name} : {BUILTIN_TYPES[e.scalar.name]} {{ V = 0 }};" for e in spec.enums
             if language == "c++"]
    for struct in spec.structs:
        align = declared["structs"][struct.name].get("align")
        lines.append(f"struct alignas({align}) {struct.name} {{" if language == "c++" and align
                     else f"struct {struct.name} {{")
        for index, field in enumerate(struct.fields):
            element = field.element
            if element.kind == "struct":
                ctype = f"struct {element.ref}"
            elif element.kind == "enum" and language == "c++":
                ctype = element.ref
            else:
                assert element.scalar is not None
                ctype = BUILTIN_TYPES[element.scalar.name]
            alignas = f"_Alignas({align}) " if language == "c" and align and index == 0 else ""
            lines.append(f"    {alignas}{ctype} {field.name}{f'[{field.count}]' if field.is_array else ''};")
        lines.append("};")
    return "\n".join(lines) + "\n"


def emit_natural(declared: dict[str, Any], language: str) -> str:
    """Plain C11 or C++20 structs straight from the YAML, without the IR: only the members the
    author wrote ({reserved: N} as reserved_m<i>), so clang alone places them by the C rules.
    `size: N` becomes an anonymous union with an N-byte array, which is what it means in C."""
    lines = [f"enum class {n} : {BUILTIN_TYPES[e['type']]} {{ V = 0 }};" for n, e in declared.get("enums", {}).items()
             if language == "c++"]
    for name, body in declared["structs"].items():
        align, size = body.get("align"), body.get("size")
        members = []
        for index, member in enumerate(body["fields"]):
            if "reserved" in member:
                members.append(f"unsigned char reserved_m{index}[{member['reserved']}];")
                continue
            match = TYPE_TEXT.match(member["type"])
            assert match is not None, member
            base, count = match["base"], match["count"]
            if base in BUILTIN_TYPES:
                ctype = BUILTIN_TYPES[base]
            elif base in declared.get("types", {}):
                ctype = BUILTIN_TYPES[declared["types"][base]["type"]]
            elif base in declared.get("enums", {}):
                ctype = base if language == "c++" else BUILTIN_TYPES[declared["enums"][base]["type"]]
            else:
                ctype = f"struct {base}"
            if count is not None and not count.isdigit():
                count = str(declared["constants"][count]["value"])
            members.append(f"{ctype} {member['name']}{f'[{count}]' if count else ''};")
        alignas = f"_Alignas({align}) " if language == "c" and align else ""
        if size:
            members = ["union {", "struct {", *members, "};", f"{alignas}unsigned char size_[{size}];", "};"]
        elif alignas:
            members[0] = alignas + members[0]
        lines.append(f"struct alignas({align}) {name} {{" if language == "c++" and align else f"struct {name} {{")
        lines += [f"    {m}" for m in members] + ["};"]
    return "\n".join(lines) + "\n"


def clang_structs(source: str, language: str, target: str) -> dict[str, Any]:
    """Struct name -> clang's record type, for every struct defined in `source`."""
    name = "corpus.c" if language == "c" else "corpus.cpp"
    args = ["-x", language, "-std=c11" if language == "c" else "-std=c++20", f"--target={target}", "-nostdinc"]
    tu = cindex.Index.create().parse(name, args=args, unsaved_files=[(name, source)])
    errors = [str(d) for d in tu.diagnostics if d.severity >= cindex.Diagnostic.Error]
    assert errors == [], f"{target} {language}:\n{source}"
    return {c.spelling: c.type for c in tu.cursor.get_children()
            if c.kind == cindex.CursorKind.STRUCT_DECL and c.is_definition()}


def clang_fields(record: Any) -> Iterator[tuple[str, int, int]]:
    """(name, offset, size) in bytes for each named field, looking into anonymous members."""
    def names(record_type: Any) -> Iterator[tuple[str, int]]:
        for f in record_type.get_fields():
            if f.is_anonymous():
                yield from names(f.type)
            else:
                yield f.spelling, f.type.get_size()

    for name, size in names(record):
        offset_bits = record.get_offset(name)
        yield name, offset_bits // 8 if offset_bits % 8 == 0 else -offset_bits, size


def differences(struct: Struct, record: Any, engine: list[tuple[str, int, int]],
                clang: list[tuple[str, int, int]]) -> Iterator[str]:
    if record.get_size() != struct.size:
        yield f"{struct.name}: size {record.get_size()} != engine {struct.size}"
    if record.get_align() != struct.align:
        yield f"{struct.name}: align {record.get_align()} != engine {struct.align}"
    if [n for n, _, _ in clang] != [n for n, _, _ in engine]:
        yield f"{struct.name}: fields {[n for n, _, _ in clang]} != engine {[n for n, _, _ in engine]}"
    for (name, offset, size), (_, want_offset, want_size) in zip(clang, engine, strict=False):
        if offset != want_offset:
            yield f"{struct.name}.{name}: offset {offset} != engine {want_offset}"
        if size != want_size:
            yield f"{struct.name}.{name}: size {size} != engine {want_size}"


def explicit_differences(struct: Struct, record: Any) -> Iterator[str]:
    engine = [(f.name, f.offset, f.size) for f in struct.fields]
    return differences(struct, record, engine, list(clang_fields(record)))


def natural_differences(struct: Struct, body: dict[str, Any], record: Any) -> Iterator[str]:
    """The engine's fields less its padding and its `size:` tail, against the author's members."""
    written_reserved = sum(1 for m in body["fields"] if "reserved" in m)
    engine: list[tuple[str, int, int]] = []
    for field in struct.fields:
        if field.role == "reserved" and written_reserved:
            written_reserved -= 1
            engine.append(("reserved", field.offset, field.size))
        elif field.role == "data":
            engine.append((field.name, field.offset, field.size))
    clang = [("reserved" if n.startswith("reserved_m") else n, o, s) for n, o, s in clang_fields(record)
             if n != "size_"]
    if body.get("size") is not None and struct.size != body["size"]:
        yield f"{struct.name}: engine size {struct.size} != size: {body['size']}"
    yield from differences(struct, record, engine, clang)


def corpus_cases() -> Iterator[Any]:
    for name in CORPUS:
        for variant in ("explicit", "natural"):
            yield pytest.param(name, variant, id=f"{name}-{variant}")


@pytest.mark.parametrize(("name", "variant"), list(corpus_cases()))
def test_engine_layout_equals_clang(name: str, variant: str) -> None:
    spec = corpus_spec(name)
    declared = yaml.safe_load(corpus_source(name))
    problems = []
    for language in ("c", "c++"):
        source = emit_explicit(spec, declared, language) if variant == "explicit" else emit_natural(declared, language)
        for target in TARGETS:
            records = clang_structs(source, language, target)
            assert sorted(records) == sorted(s.name for s in spec.structs)
            for struct in spec.structs:
                found = (explicit_differences(struct, records[struct.name]) if variant == "explicit" else
                         natural_differences(struct, declared["structs"][struct.name], records[struct.name]))
                problems += [f"{target} {language} {p}" for p in found]
    assert problems == []


def test_the_corpus_has_padding_to_prove() -> None:
    """The natural variant is only a proof if the engine had padding to insert, in every case."""
    roles = {name: {f.role for s in corpus_spec(name).structs for f in s.fields} for name in CORPUS}
    assert [name for name, found in roles.items() if "pad" not in found] == []
    assert "reserved" in roles["reserved_in_the_middle"] and "reserved" in roles["reserved_tail_via_size"]


def test_the_corpus_check_catches_a_wrong_layout() -> None:
    spec = corpus_spec("mixed_widths")
    declared = yaml.safe_load(corpus_source("mixed_widths"))
    struct, body = spec.struct("Mixed"), declared["structs"]["Mixed"]
    record = clang_structs(emit_natural(declared, "c"), "c", "aarch64-linux-gnu")["Mixed"]
    assert list(natural_differences(struct, body, record)) == []
    shifted = dataclasses.replace(struct, size=struct.size + 8, fields=tuple(
        dataclasses.replace(f, offset=f.offset + 1) if f.name == "c" else f for f in struct.fields))
    assert list(natural_differences(shifted, body, record)) == [
        f"Mixed: size {struct.size} != engine {struct.size + 8}", "Mixed.c: offset 16 != engine 17"]
    record = clang_structs(emit_explicit(spec, declared, "c++"), "c++", "x86_64-linux-gnu")["Mixed"]
    assert list(explicit_differences(struct, record)) == []
    assert list(explicit_differences(shifted, record)) == [
        f"Mixed: size {struct.size} != engine {struct.size + 8}", "Mixed.c: offset 16 != engine 17"]


@pytest.mark.parametrize("name", list(CORPUS))
def test_templates_verify_on_the_corpus(name: str, tmp_path: Path) -> None:
    """The production headers for each tricky spec, checked by verify on both targets."""
    spec = corpus_spec(name)
    write_tree(render_all(spec, "corpus.yaml"), tmp_path / "out")
    assert [str(m) for m in verify_headers(spec, tmp_path / "out", TARGETS)] == []
