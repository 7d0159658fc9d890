"""Pairs of specs for `abigen compat`, each with the findings and exit status it must give.

Every pair is BASE (below, optionally edited by `base=`) and NEW = BASE with targeted edits. A
finding is written `RULE path`, with ` [breaking]` when its severity differs from the rule's
default and ` [accepted]` when an allow_breaking entry accepts it. Each pair lists *every*
finding, so a rule firing where it should not fails the pair.

BASE's layout (fund -> agent unless said otherwise):
  Header  region header, size 32: magic u64 @0, version u32 @8, reserved 12..31
  Inner   x u32 @0, y u32 @4 (8 bytes)         embedded by Outer: inner @0, after u64 @8 (16)
  Cell    extensible, v u32 @0 (4 bytes)       array element of Table: count u32 @0, rows Cell[SLOTS] @4
  Slot    agent -> fund ring slot, size 64: seq u64 atomic @0, kind Kind @8, color Color @9,
          pad 10..15, price Price @16, name char[NAME_LEN] @24, reserved 32..63
  Hole    any, sealed: a u32 @0, pad 4..7, b u64 @8, c u32 @16, pad 20..23 (24 bytes)
  Stats   extensible, held by nothing: hits u64 @0, reserved 8..15 (16 bytes)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

BASE_YAML = """\
abi:
  name: demo
  version: "1.0"
  doc: A small ABI for compatibility tests.
units:
  count: a plain count
  bytes: a size in bytes
  price: quote currency per unit
constants:
  MAGIC: {type: u64, value: 0x44454D4F}
  SLOTS: {type: u32, value: 4}
  NAME_LEN: {type: u32, value: 8}
enums:
  Kind:
    type: u8
    on_unknown: reject
    values:
      A: {value: 1}
      B: {value: 2}
  Color:
    type: u8
    values:
      RED: {value: 1}
      GREEN: {value: 2}
types:
  Price: {type: i64, unit: price, decimals: 8}
structs:
  Header:
    direction: fund -> agent
    role: region_header
    size: 32
    fields:
      - {name: magic, type: u64}
      - {name: version, type: u32}
  Inner:
    direction: fund -> agent
    fields:
      - {name: x, type: u32}
      - {name: y, type: u32}
  Outer:
    direction: fund -> agent
    fields:
      - {name: inner, type: Inner}
      - {name: after, type: u64}
  Cell:
    direction: fund -> agent
    extensible: true
    fields:
      - {name: v, type: u32}
  Table:
    direction: fund -> agent
    fields:
      - {name: count, type: u32, unit: count}
      - {name: rows, type: "Cell[SLOTS]"}
  Slot:
    direction: agent -> fund
    role: ring_slot
    size: 64
    fields:
      - {name: seq, type: u64, atomic: true}
      - {name: kind, type: Kind}
      - {name: color, type: Color}
      - {name: price, type: Price}
      - {name: name, type: "char[NAME_LEN]"}
  Hole:
    direction: any
    fields:
      - {name: a, type: u32}
      - {name: b, type: u64}
      - {name: c, type: u32}
  Stats:
    direction: fund -> agent
    extensible: true
    fields:
      - {name: hits, type: u64, unit: count}
      - {reserved: 8}
"""

TODAY = "2026-11-25"
Edit = Callable[[dict[str, Any]], None]


def _child(node: Any, part: str) -> Any:
    if isinstance(node, list):
        return next(item for item in node if item.get("name") == part)
    return node[part]


def _walk(spec: dict[str, Any], path: str) -> tuple[Any, str]:
    parts = path.split(".")
    node: Any = spec
    for part in parts[:-1]:
        node = _child(node, part)
    return node, parts[-1]


def set_(path: str, value: Any) -> Edit:
    """Sets a key; in a field list, `...fields.NAME` replaces that field. Each application sets a
    fresh copy of `value`, so a later edit of one pair never changes another's."""
    def edit(spec: dict[str, Any]) -> None:
        value_copy = copy.deepcopy(value)
        node, key = _walk(spec, path)
        if isinstance(node, list):
            node[node.index(_child(node, key))] = value_copy
        else:
            node[key] = value_copy
    return edit


def delete(path: str) -> Edit:
    def edit(spec: dict[str, Any]) -> None:
        node, key = _walk(spec, path)
        if isinstance(node, list):
            node.remove(_child(node, key))
        else:
            del node[key]
    return edit


def insert(path: str, index: int, item: Any) -> Edit:
    """Inserts into the list at `path` (index -1 appends)."""
    def edit(spec: dict[str, Any]) -> None:
        node, key = _walk(spec, path)
        target = _child(node, key)
        target.insert(len(target) if index == -1 else index, item)
    return edit


def rename_key(path: str, new: str) -> Edit:
    """Renames a mapping key in place, keeping the order."""
    def edit(spec: dict[str, Any]) -> None:
        node, key = _walk(spec, path)
        items = [(new if k == key else k, v) for k, v in node.items()]
        node.clear()
        node.update(items)
    return edit


def version(text: str) -> Edit:
    return set_("abi.version", text)


def allow(rule: str, path: str, expires: str = "2027-06-30", reason: str = "intended break") -> Edit:
    def edit(spec: dict[str, Any]) -> None:
        spec.setdefault("allow_breaking", []).append(
            {"rule": rule, "path": path, "reason": reason, "expires": expires})
    return edit


@dataclass(frozen=True)
class Pair:
    name: str
    expected: frozenset[str]
    exit: int
    edits: tuple[Edit, ...]
    base_edits: tuple[Edit, ...] = ()
    orders: tuple[str, ...] | None = None  # expected safe upgrade orders, when the pair checks them
    today: str = TODAY

    def base(self) -> str:
        return _apply(self.base_edits)

    def new(self) -> str:
        return _apply(self.base_edits + self.edits)


def _apply(edits: tuple[Edit, ...]) -> str:
    spec = yaml.safe_load(BASE_YAML)
    for edit in edits:
        edit(spec)
    return yaml.safe_dump(spec, sort_keys=False)


def pair(name: str, expected: str, exit: int, *edits: Edit, base: tuple[Edit, ...] = (),
         orders: tuple[str, ...] | None = None, today: str = TODAY) -> Pair:
    findings = frozenset(line.strip() for line in expected.strip().splitlines() if line.strip())
    return Pair(name, findings, exit, edits, base, orders, today)


MAJOR, MINOR = version("2.0"), version("1.1")

# Wire messages on top of BASE_YAML: Head a header (magic u32 @0, count u16 @4; 6 bytes), Tick id 1
# (seq u64 @4, price Price @12, kind Kind @20; 21 bytes), Ping id 2 (at u64 @4; 12 bytes).
WIRE = (
    set_("wire", {"byte_order": "big", "version": 1}),
    set_("messages", {
        "Head": {"fields": [{"name": "magic", "type": "u32"}, {"name": "count", "type": "u16", "unit": "count"}]},
        "Tick": {"id": 1, "fields": [{"name": "seq", "type": "u64"}, {"name": "price", "type": "Price"},
                                     {"name": "kind", "type": "Kind"}]},
        "Ping": {"id": 2, "fields": [{"name": "at", "type": "u64"}]},
    }),
)
WIRE_V2 = set_("wire.version", 2)
BOTH, FUND_FIRST, AGENTS_FIRST, NONE = ("fund_first", "agents_first"), ("fund_first",), ("agents_first",), ()

PAIRS: list[Pair] = [
    # -- nothing to report ---------------------------------------------------------------------
    pair("identical", "", 0, orders=BOTH),
    pair("docs_changed", "", 0,
         set_("abi.doc", "Reworded."), set_("structs.Hole.doc", "Now documented."),
         set_("enums.Kind.values.A", {"value": 1, "doc": "the first kind"})),
    pair("declaration_order_of_enums_and_constants", "", 0,
         delete("constants.MAGIC"), set_("constants.MAGIC", {"type": "u64", "value": 0x44454D4F})),
    # -- deletions -----------------------------------------------------------------------------
    pair("struct_deleted", "STRUCT_NO_DELETE structs.Stats", 8, MAJOR, delete("structs.Stats")),
    pair("field_deleted", "FIELD_NO_DELETE structs.Slot.fields.name", 8, MAJOR,
         delete("structs.Slot.fields.name")),
    pair("field_deleted_into_reserved", "FIELD_NO_DELETE structs.Hole.fields.c", 8, MAJOR,
         set_("structs.Hole.fields.c", {"reserved": 4})),
    pair("enum_deleted", """
         ENUM_NO_DELETE enums.Color
         FIELD_SAME_TYPE structs.Slot.fields.color
         """, 8, MAJOR, delete("enums.Color"), set_("structs.Slot.fields.color", {"name": "color", "type": "u8"})),
    pair("enum_value_deleted", "ENUM_VALUE_NO_DELETE enums.Kind.values.B", 8, MAJOR,
         delete("enums.Kind.values.B"), orders=AGENTS_FIRST),
    pair("constant_deleted", "CONSTANT_NO_DELETE constants.MAGIC", 8, MAJOR, delete("constants.MAGIC")),
    # -- moves and type changes ----------------------------------------------------------------
    pair("fields_swapped", """
         FIELD_SAME_OFFSET structs.Hole.fields.a
         FIELD_SAME_OFFSET structs.Hole.fields.c
         """, 8, MAJOR, set_("structs.Hole.fields", [{"name": "c", "type": "u32"}, {"name": "b", "type": "u64"},
                                                     {"name": "a", "type": "u32"}])),
    pair("field_inserted_size_unchanged_shifts_later_field", """
         FIELD_ADDED_OUTSIDE_RESERVED structs.Hole.fields.x
         FIELD_SAME_OFFSET structs.Hole.fields.c
         """, 8, MAJOR, insert("structs.Hole.fields", 2, {"name": "x", "type": "u32"})),
    pair("field_inserted_into_padding_hole", "FIELD_IN_RESERVED structs.Hole.fields.x", 4, MINOR,
         insert("structs.Hole.fields", 1, {"name": "x", "type": "u16"}), orders=BOTH),
    pair("width_changed", "FIELD_SAME_TYPE structs.Hole.fields.c", 8, MAJOR,
         set_("structs.Hole.fields.c", {"name": "c", "type": "u64"})),
    pair("signedness_changed", "FIELD_SAME_TYPE structs.Hole.fields.a", 8, MAJOR,
         set_("structs.Hole.fields.a", {"name": "a", "type": "i32"})),
    pair("int_became_float", "FIELD_SAME_TYPE structs.Hole.fields.b", 8, MAJOR,
         set_("structs.Hole.fields.b", {"name": "b", "type": "f64"})),
    pair("char_length_via_constant", """
         CONSTANT_SAME_VALUE constants.NAME_LEN
         FIELD_SAME_TYPE structs.Slot.fields.name
         """, 8, MAJOR, set_("constants.NAME_LEN", {"type": "u32", "value": 16})),
    pair("array_length_changed", """
         FIELD_SAME_TYPE structs.Table.fields.rows
         STRUCT_SAME_SIZE structs.Table.size
         """, 8, MAJOR, set_("structs.Table.fields.rows", {"name": "rows", "type": "Cell[2]"})),
    pair("enum_underlying_type_changed", """
         ENUM_SAME_TYPE enums.Kind.type
         FIELD_SAME_TYPE structs.Slot.fields.kind
         FIELD_SAME_OFFSET structs.Slot.fields.color
         """, 8, MAJOR, set_("enums.Kind.type", "u16")),
    pair("field_type_to_another_enum", "FIELD_SAME_TYPE structs.Slot.fields.color", 8, MAJOR,
         set_("structs.Slot.fields.color", {"name": "color", "type": "Kind"})),
    pair("unit_changed", "FIELD_SAME_UNIT structs.Table.fields.count", 8, MAJOR,
         set_("structs.Table.fields.count", {"name": "count", "type": "u32", "unit": "bytes"})),
    pair("scale_changed_through_alias", "FIELD_SAME_SCALE structs.Slot.fields.price", 8, MAJOR,
         set_("types.Price.decimals", 6)),
    pair("atomic_dropped", "FIELD_SAME_ATOMIC structs.Slot.fields.seq", 8, MAJOR,
         set_("structs.Slot.fields.seq", {"name": "seq", "type": "u64"})),
    # -- sizes, alignment, direction, the header ----------------------------------------------
    pair("nested_struct_grows_and_shifts_parent", """
         FIELD_ADDED_OUTSIDE_RESERVED structs.Inner.fields.z
         STRUCT_SAME_SIZE structs.Inner.size
         FIELD_SAME_OFFSET structs.Outer.fields.after
         STRUCT_SAME_SIZE structs.Outer.size
         """, 8, MAJOR, insert("structs.Inner.fields", -1, {"name": "z", "type": "u32"}), orders=NONE),
    pair("array_element_grows_even_if_extensible", """
         FIELD_ADDED_OUTSIDE_RESERVED structs.Cell.fields.w
         STRUCT_SAME_SIZE structs.Cell.size
         STRUCT_SAME_SIZE structs.Table.size
         """, 8, MAJOR, insert("structs.Cell.fields", -1, {"name": "w", "type": "u32"})),
    pair("sealed_struct_appended", """
         FIELD_ADDED_OUTSIDE_RESERVED structs.Hole.fields.d
         STRUCT_SAME_SIZE structs.Hole.size
         """, 8, MAJOR, insert("structs.Hole.fields", -1, {"name": "d", "type": "u64"})),
    pair("ring_slot_grows", "STRUCT_SAME_SIZE structs.Slot.size", 8, MAJOR, set_("structs.Slot.size", 128)),
    pair("extensible_struct_shrinks", "STRUCT_SAME_SIZE structs.Stats.size", 8, MAJOR,
         set_("structs.Stats.fields", [{"name": "hits", "type": "u64", "unit": "count"}])),
    pair("alignment_changed", """
         STRUCT_SAME_ALIGN structs.Stats.align
         STRUCT_EXTENSIBLE_APPEND structs.Stats.size
         """, 12, MAJOR, set_("structs.Stats.align", 64)),
    pair("direction_changed", "STRUCT_SAME_DIRECTION structs.Stats.direction", 8, MAJOR,
         set_("structs.Stats.direction", "any")),
    pair("region_header_reserved_bytes_used", """
         FIELD_IN_RESERVED structs.Header.fields.flags
         REGION_HEADER_FROZEN structs.Header
         """, 12, MAJOR, insert("structs.Header.fields", -1, {"name": "flags", "type": "u32"})),
    pair("region_header_deleted", """
         STRUCT_NO_DELETE structs.Header
         REGION_HEADER_FROZEN structs.Header
         """, 8, MAJOR, delete("structs.Header")),
    pair("region_header_renamed", "RENAMED structs.RegionHeader", 0, rename_key("structs.Header", "RegionHeader"),
         set_("structs.RegionHeader.renamed_from", "Header")),
    pair("region_header_role_removed", "REGION_HEADER_FROZEN structs.Header", 8, MAJOR,
         delete("structs.Header.role")),
    # -- enums and constants -------------------------------------------------------------------
    pair("enum_value_renumbered", "ENUM_VALUE_SAME_NUMBER enums.Kind.values.B", 8, MAJOR,
         set_("enums.Kind.values.B", {"value": 3})),
    pair("enum_value_number_reused", """
         ENUM_VALUE_NO_DELETE enums.Kind.values.B
         ENUM_VALUE_NO_REUSE enums.Kind.values.C
         """, 8, MAJOR, delete("enums.Kind.values.B"), set_("enums.Kind.values.C", {"value": 2})),
    pair("constant_value_changed", "CONSTANT_SAME_VALUE constants.MAGIC", 8, MAJOR,
         set_("constants.MAGIC", {"type": "u64", "value": 0x44454D50})),
    pair("constant_type_changed", "CONSTANT_SAME_TYPE constants.SLOTS.type", 0,
         set_("constants.SLOTS", {"type": "u64", "value": 4})),
    # -- compatible additions ------------------------------------------------------------------
    pair("reserved_bytes_used", "FIELD_IN_RESERVED structs.Slot.fields.flags", 4, MINOR,
         insert("structs.Slot.fields", -1, {"name": "flags", "type": "u32"}), orders=BOTH),
    pair("extensible_struct_appended", "STRUCT_EXTENSIBLE_APPEND structs.Stats.fields.misses", 4, MINOR,
         insert("structs.Stats.fields", -1, {"name": "misses", "type": "u64", "unit": "count"})),
    pair("extensible_struct_field_widens", "FIELD_SAME_TYPE structs.Stats.fields.more", 8, MAJOR,
         set_("structs.Stats.fields", [{"name": "hits", "type": "u64", "unit": "count"},
                                       {"name": "more", "type": "u32[2]"}]),
         base=(set_("structs.Stats.fields", [{"name": "hits", "type": "u64", "unit": "count"},
                                             {"name": "more", "type": "u32"}]),)),
    pair("extensible_struct_grows_by_reserved_bytes", "STRUCT_EXTENSIBLE_APPEND structs.Stats.size", 4, MINOR,
         insert("structs.Stats.fields", -1, {"reserved": 16})),
    pair("enum_field_in_reserved_needs_a_zero_value", "FIELD_IN_RESERVED structs.Slot.fields.kind2 [breaking]", 8,
         MAJOR, insert("structs.Slot.fields", -1, {"name": "kind2", "type": "Kind"}), orders=AGENTS_FIRST),
    pair("enum_field_in_reserved_with_a_zero_value", "FIELD_IN_RESERVED structs.Slot.fields.kind2", 4, MINOR,
         insert("structs.Slot.fields", -1, {"name": "kind2", "type": "Kind"}),
         base=(set_("enums.Kind.values.NONE", {"value": 0}),)),
    pair("extensible_struct_field_in_its_reserved", "FIELD_IN_RESERVED structs.Stats.fields.misses", 4, MINOR,
         set_("structs.Stats.fields", [{"name": "hits", "type": "u64", "unit": "count"},
                                       {"name": "misses", "type": "u64", "unit": "count"}])),
    pair("struct_added", "STRUCT_ADDED structs.Extra", 4, MINOR,
         set_("structs.Extra", {"direction": "any", "fields": [{"name": "e", "type": "u64"}]})),
    pair("enum_added", "ENUM_ADDED enums.Shade", 4, MINOR,
         set_("enums.Shade", {"type": "u8", "on_unknown": "ignore", "values": {"DARK": {"value": 1}}})),
    pair("constant_added", "CONSTANT_ADDED constants.LIMIT", 4, MINOR,
         set_("constants.LIMIT", {"type": "u32", "value": 7})),
    pair("enum_value_added_with_unknown_policy", "ENUM_VALUE_ADDED enums.Kind.values.C", 4, MINOR,
         set_("enums.Kind.values.C", {"value": 3}), orders=BOTH),
    pair("enum_value_added_without_unknown_policy", "ENUM_VALUE_ADDED enums.Color.values.BLUE [breaking]", 8,
         MAJOR, set_("enums.Color.values.BLUE", {"value": 3}), orders=FUND_FIRST),
    pair("enum_value_added_policy_declared_too_late", "ENUM_VALUE_ADDED enums.Color.values.BLUE [breaking]", 8,
         MAJOR, set_("enums.Color.on_unknown", "reject"), set_("enums.Color.values.BLUE", {"value": 3})),
    pair("field_deprecated", "DEPRECATED structs.Slot.fields.name", 4, MINOR,
         set_("structs.Slot.fields.name", {"name": "name", "type": "char[NAME_LEN]", "deprecated": "use kind"})),
    pair("enum_value_and_constant_deprecated", """
         DEPRECATED enums.Kind.values.B
         DEPRECATED constants.SLOTS
         """, 4, MINOR, set_("enums.Kind.values.B", {"value": 2, "deprecated": "use A"}),
         set_("constants.SLOTS", {"type": "u32", "value": 4, "deprecated": "fixed at 4"})),
    # -- renames -------------------------------------------------------------------------------
    pair("field_renamed", "RENAMED structs.Hole.fields.bee", 0,
         set_("structs.Hole.fields.b", {"name": "bee", "type": "u64", "renamed_from": "b"}), orders=BOTH),
    pair("field_renamed_without_renamed_from", """
         FIELD_NO_DELETE structs.Hole.fields.b
         FIELD_ADDED_OUTSIDE_RESERVED structs.Hole.fields.bee
         VERSION_NOT_BUMPED abi.version
         """, 24, set_("structs.Hole.fields.b", {"name": "bee", "type": "u64"})),
    pair("embedded_struct_renamed", "RENAMED structs.Core", 0,
         rename_key("structs.Inner", "Core"), set_("structs.Core.renamed_from", "Inner"),
         set_("structs.Outer.fields.inner", {"name": "inner", "type": "Core"})),
    pair("enum_and_value_renamed", """
         RENAMED enums.Category
         RENAMED enums.Category.values.BETA
         """, 0, rename_key("enums.Kind", "Category"), set_("enums.Category.renamed_from", "Kind"),
         set_("enums.Category.values.B", {"value": 2, "renamed_from": "B"}), rename_key("enums.Category.values.B", "BETA"),
         set_("structs.Slot.fields.kind", {"name": "kind", "type": "Category"})),
    pair("constant_renamed", "RENAMED constants.MAGIC_NUMBER", 0,
         rename_key("constants.MAGIC", "MAGIC_NUMBER"),
         set_("constants.MAGIC_NUMBER", {"type": "u64", "value": 0x44454D4F, "renamed_from": "MAGIC"})),
    # -- versions and allow_breaking -----------------------------------------------------------
    pair("compatible_change_without_minor_bump", """
         FIELD_IN_RESERVED structs.Slot.fields.flags
         VERSION_NOT_BUMPED abi.version
         """, 20, insert("structs.Slot.fields", -1, {"name": "flags", "type": "u32"})),
    pair("breaking_change_with_only_minor_bump", """
         FIELD_NO_DELETE structs.Slot.fields.name
         VERSION_NOT_BUMPED abi.version
         """, 24, MINOR, delete("structs.Slot.fields.name")),
    pair("version_bumped_without_changes", "", 0, MAJOR),
    pair("breaking_change_accepted", "FIELD_NO_DELETE structs.Slot.fields.name [accepted]", 4, MAJOR,
         delete("structs.Slot.fields.name"), allow("FIELD_NO_DELETE", "structs.Slot.fields.name"), orders=NONE),
    pair("accepted_break_needs_major_bump", """
         FIELD_NO_DELETE structs.Slot.fields.name
         VERSION_NOT_BUMPED abi.version
         """, 24, MINOR, delete("structs.Slot.fields.name"), allow("FIELD_NO_DELETE", "structs.Slot.fields.name")),
    pair("accepted_break_partly", """
         FIELD_NO_DELETE structs.Slot.fields.name [accepted]
         FIELD_SAME_ATOMIC structs.Slot.fields.seq
         """, 12, MAJOR, delete("structs.Slot.fields.name"),
         set_("structs.Slot.fields.seq", {"name": "seq", "type": "u64"}),
         allow("FIELD_NO_DELETE", "structs.Slot.fields.name")),
    pair("allow_breaking_expired", """
         FIELD_NO_DELETE structs.Slot.fields.name
         ALLOW_BREAKING_EXPIRED allow_breaking[0]
         """, 9, MAJOR, delete("structs.Slot.fields.name"),
         allow("FIELD_NO_DELETE", "structs.Slot.fields.name", expires="2026-11-24")),
    pair("allow_breaking_valid_through_its_last_day", "FIELD_NO_DELETE structs.Slot.fields.name [accepted]", 4,
         MAJOR, delete("structs.Slot.fields.name"),
         allow("FIELD_NO_DELETE", "structs.Slot.fields.name", expires="2026-11-25")),
    pair("allow_breaking_unused", "ALLOW_BREAKING_UNUSED allow_breaking[0]", 0,
         allow("FIELD_NO_DELETE", "structs.Slot.fields.zz")),
    # -- wire messages -------------------------------------------------------------------------
    pair("wire_unchanged", "", 0, base=WIRE),
    pair("wire_declared_with_its_first_messages", """
         MESSAGE_ADDED messages.Head
         MESSAGE_ADDED messages.Tick
         MESSAGE_ADDED messages.Ping
         """, 4, MINOR, *WIRE, orders=BOTH),
    pair("message_added", "MESSAGE_ADDED messages.Pong", 4, MINOR,
         set_("messages.Pong", {"id": 3, "fields": [{"name": "at", "type": "u64"}]}), base=WIRE, orders=BOTH),
    pair("message_deleted", """
         MESSAGE_NO_DELETE messages.Ping
         WIRE_VERSION_NOT_BUMPED wire.version
         """, 24, MAJOR, delete("messages.Ping"), base=WIRE),
    pair("message_deleted_and_wire_version_changed", """
         MESSAGE_NO_DELETE messages.Ping
         WIRE_VERSION_CHANGED wire.version
         """, 8, MAJOR, delete("messages.Ping"), WIRE_V2, base=WIRE),
    pair("message_id_changed", """
         MESSAGE_SAME_ID messages.Ping.id
         WIRE_VERSION_NOT_BUMPED wire.version
         """, 24, MAJOR, set_("messages.Ping.id", 7), base=WIRE),
    pair("message_field_widened", """
         MESSAGE_FROZEN messages.Ping
         WIRE_VERSION_CHANGED wire.version
         """, 8, MAJOR, set_("messages.Ping.fields.at", {"name": "at", "type": "u32"}), WIRE_V2, base=WIRE),
    pair("message_field_appended", """
         MESSAGE_FROZEN messages.Tick
         WIRE_VERSION_NOT_BUMPED wire.version
         """, 24, MAJOR, insert("messages.Tick.fields", -1, {"name": "size", "type": "u32"}), base=WIRE),
    pair("message_enum_type_changes_its_width", """
         ENUM_SAME_TYPE enums.Kind.type
         FIELD_SAME_TYPE structs.Slot.fields.kind
         FIELD_SAME_OFFSET structs.Slot.fields.color
         MESSAGE_FROZEN messages.Tick
         WIRE_VERSION_NOT_BUMPED wire.version
         """, 24, MAJOR, set_("enums.Kind.type", "u16"), base=WIRE),
    pair("message_unit_changed", """
         MESSAGE_FROZEN messages.Head
         WIRE_VERSION_NOT_BUMPED wire.version
         """, 24, MAJOR, set_("messages.Head.fields.count", {"name": "count", "type": "u16", "unit": "bytes"}),
         base=WIRE),
    pair("wire_byte_order_changed", """
         WIRE_SAME_BYTE_ORDER wire.byte_order
         WIRE_VERSION_NOT_BUMPED wire.version
         """, 24, MAJOR, set_("wire.byte_order", "little"), base=WIRE),
    pair("wire_version_changed_alone", "WIRE_VERSION_CHANGED wire.version", 8, MAJOR, WIRE_V2, base=WIRE),
    pair("message_break_accepted", """
         MESSAGE_FROZEN messages.Ping [accepted]
         WIRE_VERSION_CHANGED wire.version [accepted]
         """, 4, MAJOR, set_("messages.Ping.fields.at", {"name": "at", "type": "u32"}), WIRE_V2,
         allow("MESSAGE_FROZEN", "messages.Ping"), allow("WIRE_VERSION_CHANGED", "wire.version"), base=WIRE),
    pair("message_and_field_renamed", """
         RENAMED messages.Beat
         RENAMED messages.Beat.fields.sent_at
         """, 0, rename_key("messages.Ping", "Beat"), set_("messages.Beat.renamed_from", "Ping"),
         set_("messages.Beat.fields.at", {"name": "sent_at", "type": "u64", "renamed_from": "at"}), base=WIRE),
    pair("message_deprecated", "DEPRECATED messages.Ping", 4, MINOR,
         set_("messages.Ping.deprecated", "use Tick"), base=WIRE),
    pair("opposite_one_way_changes_break_both_orders", """
         ENUM_VALUE_NO_DELETE enums.Kind.values.B
         ENUM_VALUE_ADDED enums.Color.values.BLUE [breaking]
         """, 8, MAJOR, delete("enums.Kind.values.B"), set_("enums.Color.values.BLUE", {"value": 3}),
         orders=NONE),
]


def finding_key(finding: dict[str, Any], default_severity: str) -> str:
    """How a JSON finding is written in `expected`."""
    key = f"{finding['rule']} {finding['path']}"
    if finding["severity"] != default_severity:
        key += f" [{finding['severity']}]"
    if finding["accepted"] is not None:
        key += " [accepted]"
    return key

