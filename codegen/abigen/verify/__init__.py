"""`abigen verify`: proof, by libclang, that the generated C and C++ headers lay out every struct
exactly as the spec's IR says, for each target triple.

For every struct of the spec, and every field of it (the explicit pad_N and reserved_N fields
included), clang's size, alignment, offset, width and type must equal the IR's; any clang error
(a failed static_assert, say) is a mismatch too. An empty list is the proof.

Wire messages are not laid out by the compiler (their encoders write each field at its wire
offset), so for them verify checks what a compiler does decide: the wire headers (wire.h, wire.hpp)
compile for each target, and each message's value struct has exactly the spec's data fields, in
order, with the spec's type and width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from abigen.ir.model import Field, Message, Spec, Struct
from abigen.targets.naming import c_prefix, snake
from abigen.verify.clang_layout import DEFAULT_TARGETS, CompileError, Language, ParsedHeader, StructLayout, parse_header

__all__ = ["DEFAULT_TARGETS", "LANGUAGES", "Mismatch", "header_path", "verify_header", "verify_headers",
           "verify_wire_header", "wire_header_path"]

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


def wire_header_path(spec: Spec, out_dir: Path, language: Language) -> Path:
    """out_dir/c/<name>/wire.h or out_dir/cpp/<name>/wire.hpp."""
    if language == "c":
        return out_dir / "c" / spec.name / "wire.h"
    return out_dir / "cpp" / spec.name / "wire.hpp"


def verify_headers(
    spec: Spec, out_dir: Path, targets: Sequence[str] = DEFAULT_TARGETS,
) -> list[Mismatch]:
    """Every difference between the spec and the C (C11) and C++ (C++20) headers under `out_dir`,
    for each target triple; empty when both headers match the spec exactly on every target. With
    wire messages, their headers too."""
    mismatches: list[Mismatch] = []
    for target in targets:
        for language in LANGUAGES:
            mismatches += verify_header(spec, header_path(spec, out_dir, language), language, target)
            if spec.messages:
                mismatches += verify_wire_header(spec, wire_header_path(spec, out_dir, language), language, target)
    return mismatches


def wire_record_names(spec: Spec, message_name: str, language: Language) -> tuple[str, ...]:
    if language == "c++":
        return (f"{spec.name}::wire::{message_name}",)
    tag = f"{c_prefix(spec)}_wire_{snake(message_name)}"
    return (tag, f"{tag}_t")


def verify_wire_header(spec: Spec, path: Path, language: Language, target: str) -> list[Mismatch]:
    """The wire header compiles, and each message's value struct has the spec's data fields in
    order, each of the spec's type and width (their offsets are the compiler's business here)."""
    if not path.is_file():
        return [Mismatch(target, language, "", "", "compile", "", f"{path}: no such file")]
    parsed = parse_header(path, language, target, include_dirs=(path.parent.parent,))  # <name>/abi.h beside it
    mismatches = [Mismatch(target, language, "", "", "compile", "", str(error)) for error in parsed.errors]
    if parsed.errors:
        return mismatches  # the types below would only repeat the compile errors
    for message in spec.messages:
        layout = next((parsed.structs[n] for n in wire_record_names(spec, message.name, language)
                       if n in parsed.structs), None)
        mismatches += _compare_message(spec, message, layout, language, target)
    return mismatches


def _compare_message(spec: Spec, message: Message, layout: StructLayout | None, language: Language,
                     target: str) -> list[Mismatch]:
    subject = f"wire {message.name}"

    def mismatch(field: str, what: What, expected: int | str, actual: int | str) -> Mismatch:
        return Mismatch(target, language, subject, field, what, expected, actual)

    if layout is None:
        names = " or ".join(wire_record_names(spec, message.name, language))
        return [mismatch("", "missing", f"struct {names}", "")]
    out: list[Mismatch] = []
    expected = [(f.name, _type_text(spec, f, language), f.size) for f in message.data_fields]
    got = [(f.name, f.type_text, f.size) for f in layout.fields]
    for name, type_text, size in expected:
        found = next((g for g in got if g[0] == name), None)
        if found is None:
            out.append(mismatch(name, "missing", type_text, ""))
            continue
        if found[1] != type_text:
            out.append(mismatch(name, "type", type_text, found[1]))
        if found[2] != size:
            out.append(mismatch(name, "width", size, found[2]))
    for name, type_text, size in got:
        if name not in {e[0] for e in expected}:
            out.append(mismatch(name, "extra", "", f"{type_text}, {size} bytes"))
    if not out and [e[0] for e in expected] != [g[0] for g in got]:
        out.append(mismatch("", "offset", ", ".join(e[0] for e in expected), ", ".join(g[0] for g in got)))
    return out


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
