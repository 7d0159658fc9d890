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


# ---- wire messages

STRUCT_CODES = {"u8": "B", "i8": "b", "u16": "H", "i16": "h", "u32": "I", "i32": "i", "u64": "Q", "i64": "q"}


def cpp_wire_unsigned(field: Field) -> str:
    """The unsigned C++ type a field's element travels as: ``std::uint64_t`` for a Price."""
    assert field.element.scalar is not None
    return f"std::uint{8 * field.element.size}_t"


def c_wire_unsigned(field: Field) -> str:
    """The same for C: ``uint64_t``."""
    assert field.element.scalar is not None
    return f"uint{8 * field.element.size}_t"


def cpp_wire_type(field: Field) -> str:
    """A decoded message field's C++ type: ``abi::Price``, ``abi::SnapshotStatus``, ``std::uint32_t``, ``char``."""
    element = field.element
    if element.kind == "enum":
        return f"abi::{element.ref}"
    if element.alias:
        return f"abi::{element.alias}"
    assert element.scalar is not None
    return cpp_scalar(element.scalar)


def py_wire_type(field: Field) -> str:
    """A decoded message field's Python annotation: ``int``, ``bytes`` or ``tuple[int, ...]``."""
    if field.element.kind == "char":
        return "bytes"
    return "tuple[int, ...]" if field.is_array else "int"


def py_wire_default(field: Field) -> str:
    if field.element.kind == "char":
        return 'b""'
    if field.is_array:
        return "(" + ", ".join("0" for _ in range(field.count or 0)) + ("," if field.count == 1 else "") + ")"
    return "0"


def struct_format(byte_order: str, fields: tuple[Field, ...], framed: bool) -> str:
    """The struct module's format for a message: ``>HHI16sqq`` (frame, then fields; reserved as pad bytes)."""
    parts = [">" if byte_order == "big" else "<"]
    if framed:
        parts.append("HH")
    for field in fields:
        if field.role != "data":
            parts.append(f"{field.size}x")
        elif field.element.kind == "char":
            parts.append(f"{field.count}s")
        else:
            assert field.element.scalar is not None
            code = STRUCT_CODES[field.element.scalar.name]
            parts.append(f"{field.count}{code}" if field.is_array else code)
    return "".join(parts)


def py_wire_slots(fields: tuple[Field, ...], framed: bool) -> list[tuple[Field, int]]:
    """(data field, index of its first value in struct.unpack's tuple), in field order."""
    index = 2 if framed else 0
    out: list[tuple[Field, int]] = []
    for field in fields:
        if field.role != "data":
            continue
        out.append((field, index))
        index += 1 if (field.element.kind == "char" or not field.is_array) else (field.count or 0)
    return out


def upper_snake(name: str) -> str:
    """``upper_snake("InstrumentDefinition") == "INSTRUMENT_DEFINITION"``."""
    return snake(name).upper()
