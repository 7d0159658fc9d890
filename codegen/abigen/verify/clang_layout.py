"""Struct layouts as clang computes them, for any target triple, read through libclang.

The PyPI libclang wheel ships libclang.so without clang's builtin headers, and a foreign target
cannot use the host's <stdint.h>. So every parse runs with -nostdinc and -isystem include/, where
tiny stubs define the fixed-width types and the few traits the generated headers use from clang's
own predefined macros and builtins; everything that decides a layout is clang's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from clang import cindex  # type: ignore[import-untyped]

Language = Literal["c", "c++"]

INCLUDE_DIR = Path(__file__).resolve().parent / "include"
DEFAULT_TARGETS: tuple[str, ...] = ("x86_64-linux-gnu", "aarch64-linux-gnu")
STANDARDS: dict[Language, tuple[str, str]] = {"c": ("c", "-std=c11"), "c++": ("c++", "-std=c++20")}

_SIGNED_KINDS = frozenset(("SCHAR", "SHORT", "INT", "LONG", "LONGLONG", "INT128"))
_UNSIGNED_KINDS = frozenset(("UCHAR", "USHORT", "UINT", "ULONG", "ULONGLONG", "UINT128"))
_FLOAT_KINDS = {"FLOAT": "f32", "DOUBLE": "f64"}
_CHAR_KINDS = frozenset(("CHAR_S", "CHAR_U"))
_RECORD_KINDS = frozenset(("STRUCT_DECL", "CLASS_DECL", "UNION_DECL"))


@dataclass(frozen=True)
class FieldLayout:
    name: str
    offset_bits: int
    size: int  # bytes, sizeof the field's type
    bit_width: int | None  # set only for a bitfield
    type_text: str  # in the spec's words where there are some: u32, char[16], IntentKind, ...

    @property
    def offset(self) -> int:
        return self.offset_bits // 8


@dataclass(frozen=True)
class StructLayout:
    name: str  # as looked up: a C tag or typedef name, or a qualified C++ name (fundos::abi::X)
    file: str
    line: int
    size: int
    align: int
    fields: tuple[FieldLayout, ...]

    def field(self, name: str) -> FieldLayout | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True)
class CompileError:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}" if self.file else self.message


@dataclass(frozen=True)
class ParsedHeader:
    language: Language
    target: str
    structs: dict[str, StructLayout]  # every struct definition, by C tag, C typedef or qualified C++ name
    errors: tuple[CompileError, ...]  # clang's error and fatal diagnostics


def clang_args(language: Language, target: str, include_dirs: tuple[Path, ...] = ()) -> list[str]:
    """The command line for one language and target triple (no system headers; the stubs instead)."""
    lang, std = STANDARDS[language]
    return ["-x", lang, std, f"--target={target}", "-nostdinc", "-isystem", str(INCLUDE_DIR),
            *(f"-I{folder}" for folder in include_dirs), "-fno-color-diagnostics"]


@functools.lru_cache(maxsize=1)
def _index() -> Any:
    return cindex.Index.create()


def parse_header(path: Path, language: Language, target: str, include_dirs: tuple[Path, ...] = ()) -> ParsedHeader:
    """Parse the header at `path` as `language` for `target` and read every struct in it."""
    return parse_source(f'#include "{path.absolute().as_posix()}"\n', language, target, include_dirs=include_dirs)


def parse_source(text: str, language: Language, target: str, name: str = "",
                 include_dirs: tuple[Path, ...] = ()) -> ParsedHeader:
    """Parse `text` (a whole translation unit) as `language` for `target`."""
    name = name or ("abigen_verify.c" if language == "c" else "abigen_verify.cpp")
    try:
        tu = _index().parse(name, args=clang_args(language, target, include_dirs), unsaved_files=[(name, text)])
    except cindex.TranslationUnitLoadError as exc:
        return ParsedHeader(language, target, {}, (CompileError("", 0, 0, f"libclang could not parse: {exc}"),))
    errors = tuple(
        CompileError(d.location.file.name if d.location.file else "", d.location.line, d.location.column,
                     d.spelling)
        for d in tu.diagnostics if d.severity >= cindex.Diagnostic.Error
    )
    structs: dict[str, StructLayout] = {}
    for key, cursor in _records(tu.cursor, ""):
        layout = _layout(key, cursor)
        if layout is not None:
            structs.setdefault(key, layout)
    return ParsedHeader(language, target, structs, errors)


def _records(parent: Any, scope: str) -> Iterator[tuple[str, Any]]:
    """(name, struct definition cursor) for every named struct and every typedef of one."""
    for cursor in parent.get_children():
        kind = cursor.kind.name
        if kind == "NAMESPACE":
            yield from _records(cursor, f"{scope}{cursor.spelling}::")
        elif kind == "LINKAGE_SPEC":
            yield from _records(cursor, scope)
        elif kind in _RECORD_KINDS and cursor.is_definition() and cursor.spelling and not cursor.is_anonymous():
            yield f"{scope}{cursor.spelling}", cursor
        elif kind == "TYPEDEF_DECL" or kind == "TYPE_ALIAS_DECL":
            target = cursor.underlying_typedef_type.get_canonical().get_declaration()
            if target.kind.name in _RECORD_KINDS and target.is_definition():
                yield f"{scope}{cursor.spelling}", target


def _layout(name: str, cursor: Any) -> StructLayout | None:
    record = cursor.type
    size, align = record.get_size(), record.get_align()
    if size < 0 or align < 0:  # incomplete or dependent; clang reports why
        return None
    fields = []
    for child in cursor.get_children():
        if child.kind.name != "FIELD_DECL":
            continue
        bitfield = child.is_bitfield()
        fields.append(FieldLayout(
            name=child.spelling,
            offset_bits=child.get_field_offsetof(),
            size=child.type.get_size(),
            bit_width=child.get_bitfield_width() if bitfield else None,
            type_text=describe_type(child.type),
        ))
    location = cursor.location
    return StructLayout(
        name=name, file=location.file.name if location.file else "", line=location.line,
        size=size, align=align, fields=tuple(fields),
    )


def describe_type(clang_type: Any) -> str:
    """A field's type in the spec's words: u8..i64, f32, f64, char, a struct or enum's unqualified
    name, with [N] for an array. Typedefs are looked through, so an alias reads as its scalar."""
    t = clang_type.get_canonical()
    kind = t.kind.name
    if kind == "ATOMIC":  # _Atomic(T) has T's layout on these targets; `atomic:` is not a layout matter
        return describe_type(_atomic_value_type(t))
    if kind == "CONSTANTARRAY":
        return f"{describe_type(t.element_type)}[{t.element_count}]"
    if kind in _SIGNED_KINDS or kind in _UNSIGNED_KINDS:
        return f"{'i' if kind in _SIGNED_KINDS else 'u'}{8 * t.get_size()}"
    if kind in _FLOAT_KINDS and t.get_size() == {"f32": 4, "f64": 8}[_FLOAT_KINDS[kind]]:
        return _FLOAT_KINDS[kind]
    if kind in _CHAR_KINDS:
        return "char"
    if kind in ("RECORD", "ENUM"):
        return str(t.get_declaration().spelling) or str(t.spelling)
    return str(t.spelling)


def _atomic_value_type(atomic: Any) -> Any:
    function = cindex.conf.lib.clang_Type_getValueType  # not wrapped by the Python bindings of libclang 18
    function.argtypes = [cindex.Type]
    function.restype = cindex.Type
    value = function(atomic)
    value._tu = atomic._tu
    return value
