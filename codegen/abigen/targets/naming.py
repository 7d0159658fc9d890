"""Per-language spellings of IR names and types, kept as data and small pure functions.

Each function here is a Jinja filter; the docstrings show what it does.
"""

from __future__ import annotations

import re

from abigen.ir.model import Constant, Element, Field, Scalar, Spec

C_SCALARS = {
    "u8": "uint8_t", "i8": "int8_t", "u16": "uint16_t", "i16": "int16_t",
    "u32": "uint32_t", "i32": "int32_t", "u64": "uint64_t", "i64": "int64_t",
    "f32": "float", "f64": "double", "char": "char",
}
CTYPES_SCALARS = {
    "u8": "ctypes.c_uint8", "i8": "ctypes.c_int8", "u16": "ctypes.c_uint16", "i16": "ctypes.c_int16",
    "u32": "ctypes.c_uint32", "i32": "ctypes.c_int32", "u64": "ctypes.c_uint64", "i64": "ctypes.c_int64",
    "f32": "ctypes.c_float", "f64": "ctypes.c_double", "char": "ctypes.c_char",
}


def snake(name: str) -> str:
    """PascalCase to snake_case: ``snake("IntentRecord") == "intent_record"``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def c_prefix(spec: Spec) -> str:
    return snake(spec.name)


def cpp_scalar(scalar: Scalar) -> str:
    """``cpp_scalar(SCALARS["u32"]) == "std::uint32_t"``; floats and char stay as they are."""
    c = C_SCALARS[scalar.name]
    return f"std::{c}" if c.endswith("_t") else c


def cpp_element(element: Element) -> str:
    if element.kind in ("enum", "struct"):
        return element.ref
    if element.alias:
        return element.alias
    assert element.scalar is not None
    return cpp_scalar(element.scalar)


def c_type_name(prefix: str, name: str) -> str:
    """``c_type_name("fundos", "AgentBook") == "fundos_agent_book_t"``."""
    return f"{prefix}_{snake(name)}_t"


def c_element(prefix: str, element: Element) -> str:
    if element.kind in ("enum", "struct"):
        return c_type_name(prefix, element.ref)
    if element.alias:
        return c_type_name(prefix, element.alias)
    assert element.scalar is not None
    return C_SCALARS[element.scalar.name]


def c_macro(prefix: str, *parts: str) -> str:
    """``c_macro("fundos", "IntentKind", "ORDER") == "FUNDOS_INTENT_KIND_ORDER"``."""
    return "_".join([prefix.upper()] + [snake(p).upper() for p in parts])


def c_literal(value: int, scalar: Scalar) -> str:
    """An integer literal of exactly `scalar`'s type, e.g. ``UINT64_C(0x4e44)``."""
    macro = C_SCALARS[scalar.name].replace("_t", "").upper() + "_C"
    if scalar.signed and value == scalar.min:
        return f"({macro}({value + 1}) - 1)"
    text = f"0x{value:X}" if value > 0xFFFF else str(value)
    return f"{macro}({text})"


def cpp_literal(value: int, scalar: Scalar) -> str:
    """A C++ literal for a constant of `scalar`'s type."""
    if scalar.signed and value == scalar.min:
        return f"{cpp_scalar(scalar)}{{{value + 1}}} - 1"
    return f"0x{value:X}" if value > 0xFFFF else str(value)


def ctypes_element(element: Element) -> str:
    if element.kind == "struct":
        return element.ref
    if element.alias:
        return element.alias
    assert element.scalar is not None
    return CTYPES_SCALARS[element.scalar.name]


def ctypes_field(field: Field) -> str:
    base = ctypes_element(field.element)
    return f"{base} * {field.count_expr}" if field.is_array else base


def count_c(prefix: str, field: Field) -> str:
    """The array length as C spells it: a macro for a constant, else the digits."""
    return field.count_expr if field.count_expr.isdigit() else c_macro(prefix, field.count_expr)


def unit_note(field: Field) -> str:
    """``"price, x10^-8"`` for a Price field; "" when the field has no unit."""
    if not field.unit:
        return ""
    return field.unit + (f", x10^-{field.decimals}" if field.decimals else "")


def one_line(text: str) -> str:
    return " ".join(text.split())


def constant_value_hex(constant: Constant) -> str:
    return f"0x{constant.value:X}" if constant.value > 0xFFFF else str(constant.value)


def c_comment(text: str) -> str:
    """One line safe inside a C or C++ comment: ``c_comment("a */ b") == "a * / b"``."""
    return one_line(text).replace("*/", "* /")


def py_doc(text: str) -> str:
    """One line safe inside a triple-quoted Python docstring."""
    return one_line(text).replace("\\", "\\\\").replace('"', '\\"')


def md_cell(text: str) -> str:
    """One line safe inside a Markdown table cell."""
    return one_line(text).replace("|", "\\|")
