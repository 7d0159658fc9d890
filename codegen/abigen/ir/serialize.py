"""The IR as JSON: what `abigen release` freezes into schema/history/ and what `abigen compat` diffs.

`spec_to_dict` gives a JSON-able dict with every fact of the IR that the ABI depends on (docs and
the spec's path are left out: a doc fix must not make a released lock differ), written
deterministically:
maps whose order carries no meaning (units, constants, enums, types) are sorted by name; lists keep
the order that matters (structs in dependency order, fields in offset order, enum values by
number). `spec_from_dict` rebuilds the IR from it and checks the recorded layout hash, so a lock
file edited by hand is refused. `dumps` is the one text form: 2-space indent, trailing newline.

A spec loaded from YAML, a git ref or a lock file goes through `normalized` (dict and back), so
`abigen compat` compares exactly what a lock file can hold, whichever form the base came in.

The wire messages (ABI 1.2 on) add three keys, `wire`, `messages` (in declaration order) and
`wire_hash`, only when the spec has messages: a spec without them serializes exactly as before, and
the locks of older releases (which have none of the three) read back with no messages.
"""

from __future__ import annotations

import json
from typing import Any

from abigen.ir.layout_hash import layout_hash, wire_hash
from abigen.ir.model import (
    SCALARS,
    AbiVersion,
    Alias,
    AllowBreaking,
    Constant,
    Element,
    Enum,
    EnumValue,
    Field,
    Message,
    Scalar,
    Spec,
    Struct,
    Wire,
)

IR_FORMAT = "abigen-ir/1"
LOCK_FORMAT = "abigen-lock/1"


class IrFormatError(ValueError):
    """The JSON is not a serialized IR (or lock) this abigen can read; the message says where."""


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# IR -> dict


def _element(element: Element) -> dict[str, Any]:
    return {
        "kind": element.kind, "scalar": element.scalar.name if element.scalar else None,
        "size": element.size, "align": element.align, "ref": element.ref, "alias": element.alias,
    }


def _field(field: Field) -> dict[str, Any]:
    return {
        "name": field.name, "role": field.role, "offset": field.offset, "size": field.size,
        "type": field.type_text, "element": _element(field.element), "count": field.count,
        "count_expr": field.count_expr, "unit": field.unit, "decimals": field.decimals, "atomic": field.atomic,
        "renamed_from": field.renamed_from, "deprecated": field.deprecated,
    }


def _struct(struct: Struct) -> dict[str, Any]:
    return {
        "name": struct.name, "direction": struct.direction, "role": struct.role, "size": struct.size,
        "align": struct.align, "declared_align": struct.declared_align, "declared_size": struct.declared_size,
        "extensible": struct.extensible, "renamed_from": struct.renamed_from, "deprecated": struct.deprecated,
        "fields": [_field(f) for f in struct.fields],
    }


def _message(message: Message) -> dict[str, Any]:
    return {
        "name": message.name, "id": message.id, "size": message.size, "renamed_from": message.renamed_from,
        "deprecated": message.deprecated, "fields": [_field(f) for f in message.fields],
    }


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    data = _spec_dict(spec)
    if spec.wire is not None:
        data["wire"] = {"byte_order": spec.wire.byte_order, "version": spec.wire.version}
        data["messages"] = [_message(m) for m in spec.messages]
        data["wire_hash"] = spec.wire_hash_hex
    return data


def _spec_dict(spec: Spec) -> dict[str, Any]:
    return {
        "format": IR_FORMAT,
        "abi": {"name": spec.name, "version": str(spec.version)},
        "layout_hash": spec.layout_hash_hex,
        "units": {name: meaning for name, meaning in sorted(spec.units)},
        "constants": {
            c.name: {"type": c.scalar.name, "value": c.value, "renamed_from": c.renamed_from,
                     "deprecated": c.deprecated}
            for c in sorted(spec.constants, key=lambda c: c.name)
        },
        "enums": {
            e.name: {
                "type": e.scalar.name, "on_unknown": e.on_unknown, "renamed_from": e.renamed_from,
                "deprecated": e.deprecated,
                "values": [
                    {"name": v.name, "value": v.value, "renamed_from": v.renamed_from, "deprecated": v.deprecated}
                    for v in sorted(e.values, key=lambda v: (v.value, v.name))
                ],
            }
            for e in sorted(spec.enums, key=lambda e: e.name)
        },
        "types": {
            a.name: {"type": a.scalar.name, "unit": a.unit, "decimals": a.decimals}
            for a in sorted(spec.aliases, key=lambda a: a.name)
        },
        "structs": [_struct(s) for s in spec.structs],
        "allow_breaking": [
            {"rule": a.rule, "path": a.path, "reason": a.reason, "expires": a.expires} for a in spec.allow_breaking
        ],
    }


def lock_to_dict(spec: Spec) -> dict[str, Any]:
    """A release lock: the serialized IR plus the ABI version it freezes."""
    return {"format": LOCK_FORMAT, "abi_version": str(spec.version), "ir": spec_to_dict(spec)}


# ---------------------------------------------------------------------------------------------
# dict -> IR, checking every value's type so a damaged file gives one clear message


class _Reader:
    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise IrFormatError(f"{where}: expected an object")
        self.data: dict[str, Any] = data
        self.where = where

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise IrFormatError(f"{self.where}: missing '{key}'")
        return self.data[key]

    def _bad(self, key: str, expected: str) -> IrFormatError:
        return IrFormatError(f"{self.where}.{key}: expected {expected}, not {self.data[key]!r}")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._bad(key, "a string")
        return value

    def integer(self, key: str) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._bad(key, "an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self._get(key) is None else self.integer(key)

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._bad(key, "true or false")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> Any:
        value = self.text(key)
        if value not in allowed:
            raise self._bad(key, " or ".join(repr(a) for a in allowed))
        return value

    def scalar(self, key: str) -> Scalar:
        value = self.text(key)
        if value not in SCALARS:
            raise self._bad(key, "a scalar type")
        return SCALARS[value]

    def sub(self, key: str) -> _Reader:
        return _Reader(self._get(key), f"{self.where}.{key}")

    def items(self, key: str) -> list[_Reader]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._bad(key, "a list")
        return [_Reader(item, f"{self.where}.{key}[{index}]") for index, item in enumerate(value)]

    def entries(self, key: str) -> list[tuple[str, _Reader]]:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self._bad(key, "an object")
        return [(name, _Reader(body, f"{self.where}.{key}.{name}")) for name, body in value.items()]

    def texts(self, key: str) -> list[tuple[str, str]]:
        value = self._get(key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._bad(key, "an object of strings")
        return list(value.items())


def _read_element(r: _Reader) -> Element:
    scalar = None if r.data.get("scalar") is None else r.scalar("scalar")
    return Element(
        kind=r.choice("kind", ("int", "float", "char", "enum", "struct")), scalar=scalar, size=r.integer("size"),
        align=r.integer("align"), ref=r.text("ref"), alias=r.text("alias"),
    )


def _read_field(r: _Reader) -> Field:
    field = Field(
        name=r.text("name"), role=r.choice("role", ("data", "pad", "reserved")), element=_read_element(r.sub("element")),
        count=r.opt_integer("count"), count_expr=r.text("count_expr"), offset=r.integer("offset"), size=r.integer("size"),
        unit=r.text("unit"), decimals=r.opt_integer("decimals"), atomic=r.flag("atomic"), doc="",
        renamed_from=r.text("renamed_from"), deprecated=r.text("deprecated"),
    )
    if field.type_text != r.text("type"):
        raise IrFormatError(f"{r.where}.type: {r.text('type')!r} does not match its element ({field.type_text!r})")
    return field


def _read_struct(r: _Reader) -> Struct:
    return Struct(
        name=r.text("name"), direction=r.choice("direction", ("fund -> agent", "agent -> fund", "any")),
        size=r.integer("size"), align=r.integer("align"), declared_align=r.opt_integer("declared_align"),
        declared_size=r.opt_integer("declared_size"), extensible=r.flag("extensible"),
        fields=tuple(_read_field(f) for f in r.items("fields")), doc="",
        role=r.choice("role", ("", "region_header", "ring_slot")), renamed_from=r.text("renamed_from"),
        deprecated=r.text("deprecated"),
    )


def _check_references(structs: tuple[Struct, ...], enums: tuple[Enum, ...], where: str) -> None:
    """Embedded structs come first (dependency order) and match their element; enums exist."""
    laid_out: dict[str, Struct] = {}
    scalars = {e.name: e.scalar for e in enums}
    for index, struct in enumerate(structs):
        for number, field in enumerate(struct.fields):
            at = f"{where}.structs[{index}].fields[{number}].element"
            element = field.element
            if element.kind == "struct":
                held = laid_out.get(element.ref)
                if held is None:
                    raise IrFormatError(f"{at}: struct {element.ref!r} is declared after it or not at all")
                if (element.size, element.align) != (held.size, held.align):
                    raise IrFormatError(f"{at}: size and alignment differ from struct {element.ref!r}")
            elif element.kind == "enum" and scalars.get(element.ref) != element.scalar:
                raise IrFormatError(f"{at}: no enum {element.ref!r} of type "
                                    f"{element.scalar.name if element.scalar else '?'}")
        laid_out[struct.name] = struct


def _read_message(r: _Reader) -> Message:
    fields = tuple(_read_field(f) for f in r.items("fields"))
    for field in fields:
        if field.role == "pad" or field.element.kind in ("struct", "float") or field.atomic:
            raise IrFormatError(f"{r.where}.fields: {field.name} cannot be in a message")
    return Message(
        name=r.text("name"), id=r.opt_integer("id"), size=r.integer("size"), fields=fields, doc="",
        renamed_from=r.text("renamed_from"), deprecated=r.text("deprecated"),
    )


def _read_wire(r: _Reader) -> tuple[Wire | None, tuple[Message, ...], int]:
    """The wire section, messages and checked wire hash; (None, (), 0) when the document has none."""
    present = [key for key in ("wire", "messages", "wire_hash") if key in r.data]
    if not present:
        return None, (), 0
    if len(present) != 3:
        missing = next(key for key in ("wire", "messages", "wire_hash") if key not in r.data)
        raise IrFormatError(f"{r.where}: missing '{missing}' (wire, messages and wire_hash go together)")
    w = r.sub("wire")
    wire = Wire(w.choice("byte_order", ("big", "little")), w.integer("version"), "")
    messages = tuple(_read_message(m) for m in r.items("messages"))
    computed = wire_hash(wire, messages)
    recorded = r.text("wire_hash")
    if recorded != f"0x{computed:016x}":
        raise IrFormatError(f"{r.where}.wire_hash: recorded {recorded} but the messages hash to 0x{computed:016x} "
                            "(was the file edited by hand?)")
    return wire, messages, computed


def spec_from_dict(data: Any, where: str = "ir", source: str = "") -> Spec:
    """The IR back from `spec_to_dict`'s form, with empty docs; `source` names where it came from."""
    r = _Reader(data, where)
    if r.data.get("format") != IR_FORMAT:
        raise IrFormatError(f"{where}.format: expected {IR_FORMAT!r}, not {r.data.get('format')!r}")
    abi = r.sub("abi")
    version = abi.text("version")
    try:
        major, minor = (int(part) for part in version.split("."))
    except ValueError:
        raise IrFormatError(f"{abi.where}.version: expected MAJOR.MINOR, not {version!r}") from None
    structs = tuple(_read_struct(s) for s in r.items("structs"))
    enums = tuple(
        Enum(name, e.scalar("type"),
             tuple(EnumValue(v.text("name"), v.integer("value"), "", v.text("renamed_from"),
                             v.text("deprecated")) for v in e.items("values")),
             e.choice("on_unknown", ("", "reject", "ignore")), "", e.text("renamed_from"), e.text("deprecated"))
        for name, e in r.entries("enums"))
    _check_references(structs, enums, where)
    wire, messages, computed_wire = _read_wire(r)
    computed = layout_hash(structs)
    recorded = r.text("layout_hash")
    if recorded != f"0x{computed:016x}":
        raise IrFormatError(f"{where}.layout_hash: recorded {recorded} but the structs hash to 0x{computed:016x} "
                            "(was the file edited by hand?)")
    return Spec(
        name=abi.text("name"), version=AbiVersion(major, minor), doc="", source=source,
        units=tuple(r.texts("units")),
        constants=tuple(
            Constant(name, c.scalar("type"), c.integer("value"), "", c.text("renamed_from"), c.text("deprecated"))
            for name, c in r.entries("constants")),
        enums=enums,
        aliases=tuple(
            Alias(name, a.scalar("type"), a.text("unit"), a.opt_integer("decimals"), "")
            for name, a in r.entries("types")),
        structs=structs, layout_hash=computed,
        allow_breaking=tuple(
            AllowBreaking(a.text("rule"), a.text("path"), a.text("reason"), a.text("expires"))
            for a in r.items("allow_breaking")),
        wire=wire, messages=messages, wire_hash=computed_wire,
    )


def spec_from_lock(data: Any, where: str = "lock") -> Spec:
    r = _Reader(data, where)
    if r.data.get("format") != LOCK_FORMAT:
        raise IrFormatError(f"{where}.format: expected {LOCK_FORMAT!r}, not {r.data.get('format')!r}")
    spec = spec_from_dict(r.data.get("ir"), f"{where}.ir", source=where)
    if r.text("abi_version") != str(spec.version):
        raise IrFormatError(f"{where}.abi_version: {r.text('abi_version')} differs from the IR's {spec.version}")
    return spec


def normalized(spec: Spec) -> Spec:
    """The spec as a lock file would give it back: units, constants, enums and types sorted, no docs."""
    return spec_from_dict(spec_to_dict(spec), source=spec.source)
