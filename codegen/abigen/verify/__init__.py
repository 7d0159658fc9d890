"""`abigen verify`: proof, by libclang, that the generated C and C++ headers lay out every struct
exactly as the spec's IR says, for each target triple.

For every struct of the spec, and every field of it (the explicit pad_N and reserved_N fields
included), clang's size, alignment, offset, width and type must equal the IR's; any clang error
(a failed static_assert, say) is a mismatch too. An empty list is the proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from abigen.ir.model import Field, Spec, Struct
from abigen.targets.naming import c_prefix, snake
from abigen.verify.clang_layout import DEFAULT_TARGETS, CompileError, Language, ParsedHeader, StructLayout, parse_header

__all__ = ["DEFAULT_TARGETS", "LANGUAGES", "Mismatch", "header_path", "verify_header", "verify_headers"]

What = Literal["size", "align", "offset", "width", "type", "missing", "extra", "compile"]
LANGUAGES: tuple[Language, ...] = ("c", "c++")


@dataclass(frozen=True)
class Mismatch:
    """One way a compiled header differs from the spec.

    what: size/align (of the struct), offset/width/type (of a field), missing (a struct or field
    the spec has and the header lacks), extra (a field the header has and the spec lacks), compile
    (a clang error; `actual` is "file:line:column: message", `struct` the struct it follows, if any).
    """

    target: str
    language: str  # "c" | "c++"
    struct: str  # the spec's name; "" for a compile error outside any struct
    field: str  # "" for the struct itself
    what: What
    expected: int | str
    actual: int | str

    def __str__(self) -> str:
        where = f"{self.target} {self.language}"
        subject = self.struct + (f".{self.field}" if self.field else "")
        head = f"{where} {subject}" if subject else where
        if self.what == "compile":
            return f"{head}: compile error: {self.actual}"
        if self.what == "missing":
            return f"{head}: missing from the header (spec: {self.expected})"
        if self.what == "extra":
            return f"{head}: in the header ({self.actual}) but not in the spec"
        return f"{head}: {self.what} {self.actual} != spec {self.expected}"


def header_path(spec: Spec, out_dir: Path, language: Language) -> Path:
    """Where `abigen generate` writes the header: out_dir/c/<name>/abi.h or out_dir/cpp/<name>/abi.hpp."""
    if language == "c":
        return out_dir / "c" / spec.name / "abi.h"
    return out_dir / "cpp" / spec.name / "abi.hpp"


def verify_headers(
    spec: Spec, out_dir: Path, targets: Sequence[str] = DEFAULT_TARGETS,
) -> list[Mismatch]:
    """Every difference between the spec and the C (C11) and C++ (C++20) headers under `out_dir`,
    for each target triple; empty when both headers match the spec exactly on every target."""
    mismatches: list[Mismatch] = []
    for target in targets:
        for language in LANGUAGES:
            mismatches += verify_header(spec, header_path(spec, out_dir, language), language, target)
    return mismatches


def verify_header(spec: Spec, path: Path, language: Language, target: str) -> list[Mismatch]:
    """verify_headers for one header, language and target."""
    if not path.is_file():
        return [Mismatch(target, language, "", "", "compile", "", f"{path}: no such file")]
    parsed = parse_header(path, language, target)
    found = {s.name: _find(spec, s, parsed) for s in spec.structs}
    mismatches = [
        Mismatch(target, language, _struct_at(error, found), "", "compile", "", str(error))
        for error in parsed.errors
    ]
    for struct in spec.structs:
        mismatches += _compare_struct(spec, struct, found[struct.name], language, target)
    return mismatches


def record_names(spec: Spec, struct_name: str, language: Language) -> tuple[str, ...]:
    """The names a struct may be found under: its qualified C++ name, or its C tag then typedef."""
    if language == "c++":
        return (f"{spec.name}::abi::{struct_name}",)
    tag = f"{c_prefix(spec)}_{snake(struct_name)}"
    return (tag, f"{tag}_t")


def _find(spec: Spec, struct: Struct, parsed: ParsedHeader) -> StructLayout | None:
    for name in record_names(spec, struct.name, parsed.language):
        if name in parsed.structs:
            return parsed.structs[name]
    return None


def _struct_at(error: CompileError, found: dict[str, StructLayout | None]) -> str:
    """The spec struct whose definition is the last one before the error in the same file: the
    static_asserts on a struct follow it."""
    best, best_line = "", 0
    for name, layout in found.items():
        if layout is not None and layout.file == error.file and best_line < layout.line <= error.line:
            best, best_line = name, layout.line
    return best


def _compare_struct(
    spec: Spec, struct: Struct, layout: StructLayout | None, language: Language, target: str,
) -> list[Mismatch]:
    def mismatch(field: str, what: What, expected: int | str, actual: int | str) -> Mismatch:
        return Mismatch(target, language, struct.name, field, what, expected, actual)

    if layout is None:
        names = " or ".join(record_names(spec, struct.name, language))
        return [mismatch("", "missing", f"struct {names}, {struct.size} bytes", "")]
    out: list[Mismatch] = []
    if layout.size != struct.size:
        out.append(mismatch("", "size", struct.size, layout.size))
    if layout.align != struct.align:
        out.append(mismatch("", "align", struct.align, layout.align))
    for field in struct.fields:
        got = layout.field(field.name)
        if got is None:
            out.append(mismatch(field.name, "missing", f"{field.type_text} at offset {field.offset}", ""))
            continue
        if got.offset_bits != 8 * field.offset:
            actual: int | str = got.offset if got.offset_bits % 8 == 0 else f"bit {got.offset_bits}"
            out.append(mismatch(field.name, "offset", field.offset, actual))
        if got.bit_width is not None:
            out.append(mismatch(field.name, "width", field.size, f"{got.bit_width}-bit bitfield"))
        elif got.size != field.size:
            out.append(mismatch(field.name, "width", field.size, got.size))
        expected_type = _type_text(spec, field, language)
        if got.type_text != expected_type:
            out.append(mismatch(field.name, "type", expected_type, got.type_text))
    spec_names = {f.name for f in struct.fields}
    for got in layout.fields:
        if got.name not in spec_names:
            out.append(mismatch(got.name, "extra", "", f"{got.type_text} at offset {got.offset}, {got.size} bytes"))
    return out


def _type_text(spec: Spec, field: Field, language: Language) -> str:
    """The field's type as clang_layout.describe_type reads it from a correct header."""
    element = field.element
    if element.kind == "struct":
        base = element.ref if language == "c++" else f"{c_prefix(spec)}_{snake(element.ref)}"
    elif element.kind == "enum" and language == "c++":
        base = element.ref
    else:  # scalars, aliases, chars, and enums in C (fixed-width integers)
        assert element.scalar is not None
        base = element.scalar.name
    return f"{base}[{field.count}]" if field.is_array else base
