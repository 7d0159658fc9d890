"""IR against IR: every difference between two versions of the ABI, as findings with rule ids.

Items are matched by name, then by the new item's `renamed_from:`. Each finding carries the
directions its data flows in (from the `direction:` of every struct that holds it, embedded or
not) and which readers are hurt: old readers of new writers, new readers of old writers, or both.
Versions and `allow_breaking:` are not looked at here; see policy.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from abigen.compat.rules import RULES, Severity
from abigen.ir.model import AllowBreaking, Constant, Enum, EnumValue, Field, Message, Spec, Struct

Flow = Literal["fund -> agent", "agent -> fund"]
Side = Literal["old_readers", "new_readers"]
Order = Literal["fund_first", "agents_first"]

FLOWS: tuple[Flow, ...] = ("fund -> agent", "agent -> fund")
BOTH: tuple[Side, ...] = ("old_readers", "new_readers")
ORDERS: tuple[Order, ...] = ("fund_first", "agents_first")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    path: str  # e.g. structs.IntentRecord.fields.qty (new names; old names for deleted items)
    old: str
    new: str
    why: str
    flows: tuple[Flow, ...] = FLOWS  # writer -> reader directions the item travels in
    affects: tuple[Side, ...] = ()  # readers a mixed-version pair would hurt; () when safe both ways
    allowed: AllowBreaking | None = None  # the allow_breaking entry that accepts this break

    @property
    def breaks_orders(self) -> tuple[Order, ...]:
        """Upgrade orders this finding makes unsafe. `fund_first`: the Fund is upgraded while old
        agents still run; `agents_first`: agents are upgraded while the old Fund still runs."""
        broken: set[Order] = set()
        for flow in self.flows:
            for side in self.affects:
                writer_is_fund = flow == "fund -> agent"
                # old readers are hurt when the writer is upgraded first; new readers when the reader is
                broken.add("fund_first" if writer_is_fund == (side == "old_readers") else "agents_first")
        return tuple(o for o in ORDERS if o in broken)


def compare(old: Spec, new: Spec) -> list[Finding]:
    """Every layout, type and naming difference from `old` to `new`, in a stable order:
    constants, enums, structs, then the wire and its messages (each in the new spec's order,
    deleted ones after)."""
    return _Comparer(old, new).run()


def _match(old_names: Iterable[str], new_items: Sequence[tuple[str, str]]) -> dict[str, str]:
    """new name -> old name, by name first, then by renamed_from; each old name matched once."""
    old_set = set(old_names)
    result: dict[str, str] = {}
    for name, _ in new_items:
        if name in old_set:
            result[name] = name
    taken = set(result.values())
    for name, renamed in new_items:
        if name not in result and renamed and renamed in old_set and renamed not in taken:
            result[name] = renamed
            taken.add(renamed)
    return result


def _direction_flows(direction: str) -> set[Flow]:
    return set(FLOWS) if direction == "any" else {"fund -> agent" if direction == "fund -> agent" else "agent -> fund"}


def _struct_flows(spec: Spec) -> dict[str, set[Flow]]:
    """Each struct's own direction plus those of every struct holding it by value."""
    flows = {s.name: _direction_flows(s.direction) for s in spec.structs}
    for struct in reversed(spec.structs):  # holders come after what they hold
        for field in struct.fields:
            if field.element.kind == "struct":
                flows[field.element.ref] |= flows[struct.name]
    return flows


def _enum_flows(spec: Spec, struct_flows: dict[str, set[Flow]]) -> dict[str, set[Flow]]:
    flows: dict[str, set[Flow]] = {e.name: set() for e in spec.enums}
    for struct in spec.structs:
        for field in struct.fields:
            if field.element.kind == "enum":
                flows[field.element.ref] |= struct_flows[struct.name]
    return {name: found or set(FLOWS) for name, found in flows.items()}


def _by_value(spec: Spec) -> set[str]:
    """Structs whose size others depend on: embedded, array elements, ring slots, the header."""
    used = {f.element.ref for s in spec.structs for f in s.fields if f.element.kind == "struct"}
    return used | {s.name for s in spec.structs if s.role in ("ring_slot", "region_header")}


def _number(value: int) -> str:
    return f"0x{value:X}" if value > 0xFFFF else str(value)


def _type(field: Field) -> str:
    """The type as written, with a named length resolved: char[SYMBOL_LEN=16]."""
    base = field.element.alias or field.element.ref or (field.element.scalar.name if field.element.scalar else "")
    if field.count is None:
        return base
    length = field.count_expr if field.count_expr.isdigit() else f"{field.count_expr}={field.count}"
    return f"{base}[{length}]"


def _where(field: Field) -> str:
    return f"{_type(field)} at {field.offset}"


class _Comparer:
    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.findings: list[Finding] = []
        old_struct_flows, new_struct_flows = _struct_flows(old), _struct_flows(new)
        self.struct_match = _match([s.name for s in old.structs], [(s.name, s.renamed_from) for s in new.structs])
        self.enum_match = _match([e.name for e in old.enums], [(e.name, e.renamed_from) for e in new.enums])
        self.old_struct_flows, self.new_struct_flows = old_struct_flows, new_struct_flows
        self.old_enum_flows = _enum_flows(old, old_struct_flows)
        self.new_enum_flows = _enum_flows(new, new_struct_flows)
        self.old_by_value, self.new_by_value = _by_value(old), _by_value(new)

    # -- helpers --------------------------------------------------------------------------------

    def add(self, rule: str, path: str, old: str, new: str, why: str, flows: Iterable[Flow] = FLOWS,
            affects: tuple[Side, ...] | None = None, severity: Severity | None = None) -> None:
        severity = severity or RULES[rule].severity
        if affects is None:
            affects = BOTH if severity == "breaking" else ()
        chosen = set(flows)
        self.findings.append(Finding(rule, severity, path, old, new, why, tuple(f for f in FLOWS if f in chosen),
                                     affects))

    def renamed_deprecated(self, path: str, old_name: str, new_name: str, old_deprecated: str, new_deprecated: str,
                           what: str, flows: Iterable[Flow]) -> None:
        if old_name != new_name:
            self.add("RENAMED", path, old_name, new_name,
                     f"the {what} is renamed (declared with renamed_from); the layout is unchanged", flows)
        if new_deprecated and not old_deprecated:
            self.add("DEPRECATED", path, "in use", "deprecated",
                     f"the {what} is deprecated ({new_deprecated}); its bytes stay until a MAJOR release", flows)

    # -- the walk -------------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        self.constants()
        self.enums()
        self.structs()
        self.messages()
        return self.findings

    def constants(self) -> None:
        old_by_name = {c.name: c for c in self.old.constants}
        match = _match(old_by_name, [(c.name, c.renamed_from) for c in self.new.constants])
        for constant in self.new.constants:
            path = f"constants.{constant.name}"
            if constant.name not in match:
                self.add("CONSTANT_ADDED", path, "(none)", f"{constant.scalar.name} {_number(constant.value)}",
                         "a new constant; older processes never use it")
                continue
            before = old_by_name[match[constant.name]]
            self.constant_pair(before, constant, path)
        for name in sorted(set(old_by_name) - set(match.values())):
            before = old_by_name[name]
            self.add("CONSTANT_NO_DELETE", f"constants.{name}", _number(before.value), "(deleted)",
                     "both sides compile constants in; deprecate it instead of deleting it")

    def constant_pair(self, before: Constant, after: Constant, path: str) -> None:
        self.renamed_deprecated(path, before.name, after.name, before.deprecated, after.deprecated, "constant", FLOWS)
        if before.value != after.value:
            self.add("CONSTANT_SAME_VALUE", path, _number(before.value), _number(after.value),
                     "both sides compile the value in; processes of different versions would disagree")
        if before.scalar != after.scalar:
            self.add("CONSTANT_SAME_TYPE", f"{path}.type", before.scalar.name, after.scalar.name,
                     "only the generated constant's type changes; its value is the same")

    def enums(self) -> None:
        old_by_name = {e.name: e for e in self.old.enums}
        for enum in self.new.enums:
            path = f"enums.{enum.name}"
            flows = self.new_enum_flows[enum.name]
            if enum.name not in self.enum_match:
                self.add("ENUM_ADDED", path, "(none)", f"{enum.scalar.name}, {len(enum.values)} values",
                         "a new enum; older processes never see it", flows)
                continue
            before = old_by_name[self.enum_match[enum.name]]
            self.enum_pair(before, enum, path, flows | self.old_enum_flows[before.name])
        for name in [e.name for e in self.old.enums if e.name not in set(self.enum_match.values())]:
            self.add("ENUM_NO_DELETE", f"enums.{name}", f"{old_by_name[name].scalar.name} enum", "(deleted)",
                     "fields of this type may still be written by older processes", self.old_enum_flows[name])

    def enum_pair(self, before: Enum, after: Enum, path: str, flows: set[Flow]) -> None:
        self.renamed_deprecated(path, before.name, after.name, before.deprecated, after.deprecated, "enum", flows)
        if before.scalar != after.scalar:
            self.add("ENUM_SAME_TYPE", f"{path}.type", before.scalar.name, after.scalar.name,
                     "the enum's width is the width of every field of this type", flows)
        old_values = {v.name: v for v in before.values}
        old_numbers = {v.value: v.name for v in before.values}
        match = _match(old_values, [(v.name, v.renamed_from) for v in after.values])
        unmatched_old = [v for v in before.values if v.name not in set(match.values())]
        for value in after.values:
            vpath = f"{path}.values.{value.name}"
            if value.name in match:
                self.enum_value_pair(old_values[match[value.name]], value, vpath, flows)
            elif value.value in old_numbers:
                hint = ""
                if old_numbers[value.value] not in match.values():
                    hint = f"; if it is {old_numbers[value.value]} renamed, declare renamed_from: {old_numbers[value.value]}"
                self.add("ENUM_VALUE_NO_REUSE", vpath, f"{value.value} = {old_numbers[value.value]}",
                         f"{value.value} = {value.name}",
                         f"older processes read {value.value} as {old_numbers[value.value]}{hint}", flows)
            elif before.on_unknown:
                self.add("ENUM_VALUE_ADDED", vpath, "(none)", str(value.value),
                         f"older readers {before.on_unknown} a value they do not know (on_unknown: "
                         f"{before.on_unknown}), so new writers may use it", flows)
            else:
                self.add("ENUM_VALUE_ADDED", vpath, "(none)", str(value.value),
                         f"older readers meet a value they do not know and {before.name} declares no on_unknown "
                         "policy; declare one in a release before adding values", flows,
                         affects=("old_readers",), severity="breaking")
        for value in unmatched_old:
            self.add("ENUM_VALUE_NO_DELETE", f"{path}.values.{value.name}", str(value.value), "(deleted)",
                     "older writers may still write it and newer readers would not know it; deprecate it instead",
                     flows, affects=("new_readers",))

    def enum_value_pair(self, before: EnumValue, after: EnumValue, path: str, flows: set[Flow]) -> None:
        self.renamed_deprecated(path, before.name, after.name, before.deprecated, after.deprecated, "enum value",
                                flows)
        if before.value != after.value:
            self.add("ENUM_VALUE_SAME_NUMBER", path, str(before.value), str(after.value),
                     "the number is what crosses the boundary; stored and in-flight values change meaning", flows)

    def structs(self) -> None:
        old_by_name = {s.name: s for s in self.old.structs}
        header_before = next((s for s in self.old.structs if s.role == "region_header"), None)
        for struct in self.new.structs:
            path = f"structs.{struct.name}"
            flows = self.new_struct_flows[struct.name]
            if struct.name not in self.struct_match:
                self.add("STRUCT_ADDED", path, "(none)", f"{struct.size} bytes",
                         "a new struct; older processes never see it", flows)
                continue
            before = old_by_name[self.struct_match[struct.name]]
            start = len(self.findings)
            self.struct_pair(before, struct, path, flows | self.old_struct_flows[before.name])
            if before is header_before:
                self.header(before, struct, path, self.findings[start:])
        matched = set(self.struct_match.values())
        for before in self.old.structs:
            if before.name in matched:
                continue
            hint = ""
            twin = next((s for s in self.new.structs if s.name not in self.struct_match
                         and [(f.offset, f.size, f.element.kind) for f in s.fields]
                         == [(f.offset, f.size, f.element.kind) for f in before.fields]), None)
            if twin is not None:
                hint = f"; if it is now {twin.name}, declare renamed_from: {before.name} there"
            self.add("STRUCT_NO_DELETE", f"structs.{before.name}", f"{before.size} bytes", "(deleted)",
                     f"processes of the older version still use it{hint}", self.old_struct_flows[before.name])
            if before is header_before:
                self.add("REGION_HEADER_FROZEN", f"structs.{before.name}", "region_header", "(deleted)",
                         "every region starts with the region header; it must stay forever",
                         self.old_struct_flows[before.name])

    def header(self, before: Struct, after: Struct, path: str, found: list[Finding]) -> None:
        flows = self.old_struct_flows[before.name] | self.new_struct_flows[after.name]
        if after.role != "region_header":
            self.add("REGION_HEADER_FROZEN", path, "region_header", after.role or "(no role)",
                     "readers of every version recognise a region by this header", flows)
            return
        changes = sorted({f.rule for f in found if f.severity != "source" and f.rule != "DEPRECATED"})
        if changes:
            self.add("REGION_HEADER_FROZEN", path, f"{before.size} bytes, {len(before.data_fields)} fields",
                     f"{after.size} bytes, {len(after.data_fields)} fields",
                     f"the region header changed ({', '.join(changes)}); readers of every version must read it "
                     "the same way, reserved bytes included", flows)

    def struct_pair(self, before: Struct, after: Struct, path: str, flows: set[Flow]) -> None:
        self.renamed_deprecated(path, before.name, after.name, before.deprecated, after.deprecated, "struct", flows)
        if before.direction != after.direction:
            self.add("STRUCT_SAME_DIRECTION", f"{path}.direction", before.direction, after.direction,
                     "the writer and reader of the older version would no longer match", flows)
        if before.align != after.align:
            self.add("STRUCT_SAME_ALIGN", f"{path}.align", str(before.align), str(after.align),
                     "alignment places the struct inside everything that holds it", flows)
        by_value = before.name in self.old_by_value or after.name in self.new_by_value
        extensible = before.extensible and after.extensible
        appendable = extensible and not by_value
        if before.size != after.size and not (appendable and after.size > before.size):
            if by_value:
                why = "it is held by value (array element, ring slot or embedded member), so everything after it moves"
            elif not extensible:
                why = "the struct is sealed (not extensible), so readers rely on its size"
            else:
                why = "an extensible struct may grow but never shrink"
            self.add("STRUCT_SAME_SIZE", f"{path}.size", f"{before.size} bytes", f"{after.size} bytes", why, flows)
        self.fields(before, after, path, flows, appendable)
        tail = [f for f in after.data_fields if f.offset + f.size > before.size]
        if appendable and after.size > before.size and not tail:
            self.add("STRUCT_EXTENSIBLE_APPEND", f"{path}.size", f"{before.size} bytes", f"{after.size} bytes",
                     "the extensible struct grew by reserved bytes; its size is published at runtime", flows)

    def fields(self, before: Struct, after: Struct, path: str, flows: set[Flow], appendable: bool) -> None:
        old_fields = {f.name: f for f in before.data_fields}
        match = _match(old_fields, [(f.name, f.renamed_from) for f in after.data_fields])
        unmatched_new = [f for f in after.data_fields if f.name not in match]
        free = bytearray(before.size)  # 1 where the old struct had padding or reserved bytes
        for field in before.fields:
            if field.role != "data":
                free[field.offset:field.offset + field.size] = b"\x01" * field.size
        for field in after.data_fields:
            fpath = f"{path}.fields.{field.name}"
            if field.name in match:
                self.field_pair(old_fields[match[field.name]], field, fpath, flows)
                continue
            inside = free[field.offset:field.offset + field.size]
            beyond = max(0, field.offset + field.size - max(before.size, field.offset))
            if len(inside) + beyond == field.size and all(inside):
                if beyond == 0:
                    self.in_reserved(field, fpath, flows)
                    continue
                if appendable:
                    self.add("STRUCT_EXTENSIBLE_APPEND", fpath, f"{before.size} bytes", _where(field),
                             "the struct is extensible and its size is published at runtime: old readers read the "
                             "prefix they know, new readers treat a shorter record's tail as absent", flows)
                    continue
            used = sorted({f.name for f in before.data_fields
                           if f.offset < field.offset + field.size and field.offset < f.offset + f.size})
            over = f"bytes of {', '.join(used)} in the older version" if used else f"bytes beyond the old end ({before.size})"
            self.add("FIELD_ADDED_OUTSIDE_RESERVED", fpath, "(none)", _where(field),
                     f"the new field takes {over}; add fields in reserved bytes instead", flows)
        for name in sorted(set(old_fields) - set(match.values()), key=lambda n: old_fields[n].offset):
            gone = old_fields[name]
            twin = next((f for f in unmatched_new if f.offset == gone.offset and _type(f) == _type(gone)), None)
            hint = f"; if it is now {twin.name}, declare renamed_from: {name} there" if twin else ""
            self.add("FIELD_NO_DELETE", f"{path}.fields.{name}", _where(gone), "(deleted)",
                     f"old readers still read these bytes; deprecate the field instead{hint}", flows)

    def in_reserved(self, field: Field, path: str, flows: set[Flow]) -> None:
        old = f"reserved bytes {field.offset}..{field.offset + field.size - 1}"
        enum = next((e for e in self.new.enums if e.name == field.element.ref), None) \
            if field.element.kind == "enum" else None
        if enum is not None and all(v.value != 0 for v in enum.values):
            self.add("FIELD_IN_RESERVED", path, old, _where(field),
                     f"old writers leave these bytes zero, and {enum.name} has no value 0 to mean absent, so new "
                     "readers would see an unknown value; add one (e.g. NONE = 0) in an earlier release",
                     flows, affects=("new_readers",), severity="breaking")
            return
        self.add("FIELD_IN_RESERVED", path, old, _where(field), "old readers ignore these bytes; old writers leave "
                 "them zero, which new readers must read as absent", flows)

    def field_pair(self, before: Field, after: Field, path: str, flows: set[Flow]) -> None:
        self.renamed_deprecated(path, before.name, after.name, before.deprecated, after.deprecated, "field", flows)
        if before.offset != after.offset:
            self.add("FIELD_SAME_OFFSET", path, str(before.offset), str(after.offset),
                     "a reader and a writer of different versions would look for it in different bytes", flows)
        old_ref = before.element.ref
        new_ref = after.element.ref
        if after.element.kind == "struct":
            new_ref = self.struct_match.get(new_ref, f"new:{new_ref}")
        elif after.element.kind == "enum":
            new_ref = self.enum_match.get(new_ref, f"new:{new_ref}")
        same_type = (before.element.kind == after.element.kind and before.element.scalar == after.element.scalar
                     and old_ref == new_ref and before.count == after.count)
        if not same_type:
            self.add("FIELD_SAME_TYPE", path, _type(before), _type(after),
                     "each version would decode the same bytes differently", flows)
        if before.unit != after.unit:
            self.add("FIELD_SAME_UNIT", path, before.unit or "(none)", after.unit or "(none)",
                     "each version would read the number in a different unit", flows)
        if (before.decimals or 0) != (after.decimals or 0):
            self.add("FIELD_SAME_SCALE", path, f"10^-{before.decimals or 0}", f"10^-{after.decimals or 0}",
                     "each version would scale the raw integer differently", flows)
        if before.atomic != after.atomic:
            self.add("FIELD_SAME_ATOMIC", path, "atomic" if before.atomic else "plain",
                     "atomic" if after.atomic else "plain",
                     "writer and reader must agree on how the word is synchronized", flows)


    # -- wire messages --------------------------------------------------------------------------

    def messages(self) -> None:
        """Messages travel between a feed's sender and receivers, not between the Fund and its
        agents: their findings name both flows, and a break hurts every mixed-version pair."""
        old_wire, new_wire = self.old.wire, self.new.wire
        start = len(self.findings)
        if old_wire is not None and new_wire is not None:
            if old_wire.byte_order != new_wire.byte_order:
                self.add("WIRE_SAME_BYTE_ORDER", "wire.byte_order", old_wire.byte_order, new_wire.byte_order,
                         "every multi-byte field would be read reversed by the other version")
            if old_wire.version != new_wire.version:
                self.add("WIRE_VERSION_CHANGED", "wire.version", str(old_wire.version), str(new_wire.version),
                         "receivers of one version drop every packet of the other")
        old_by_name = {m.name: m for m in self.old.messages}
        match = _match(old_by_name, [(m.name, m.renamed_from) for m in self.new.messages])
        for message in self.new.messages:
            path = f"messages.{message.name}"
            if message.name not in match:
                self.add("MESSAGE_ADDED", path, "(none)", _shape(message),
                         "a new message; older receivers skip an id they do not know by its frame's size"
                         if message.id is not None else "a new header; older processes never see it",
                         affects=())
                continue
            before = old_by_name[match[message.name]]
            self.renamed_deprecated(path, before.name, message.name, before.deprecated, message.deprecated,
                                    "message", FLOWS)
            if before.id != message.id:
                self.add("MESSAGE_SAME_ID", f"{path}.id", _id_text(before), _id_text(message),
                         "receivers dispatch on the id; the other version would decode it as another message")
            changes = self.message_changes(before, message, path)
            if changes:
                self.add("MESSAGE_FROZEN", path, _shape(before), _shape(message),
                         "a released message never changes (" + "; ".join(changes) + "); send the new content "
                         "in a new message with a new id")
        for name in [m.name for m in self.old.messages if m.name not in set(match.values())]:
            self.add("MESSAGE_NO_DELETE", f"messages.{name}", _shape(old_by_name[name]), "(deleted)",
                     "senders of the older version still send it; deprecate it instead")
        broken = any(f.severity == "breaking" for f in self.findings[start:] if f.rule != "WIRE_VERSION_CHANGED")
        if (broken and old_wire is not None and new_wire is not None and old_wire.version == new_wire.version):
            self.add("WIRE_VERSION_NOT_BUMPED", "wire.version", str(old_wire.version), str(new_wire.version),
                     f"the messages changed in a breaking way; change wire.version (e.g. to {old_wire.version + 1}) "
                     "so receivers of the older version refuse the new packets instead of misreading them")

    def message_changes(self, before: Message, after: Message, path: str) -> list[str]:
        """What differs in the bytes of a matched message, one phrase each; renames and
        deprecations of its fields are reported on their own (source, compatible)."""
        changes: list[str] = []
        if before.size != after.size:
            changes.append(f"size {before.size} -> {after.size} bytes")
        old_fields = {f.name: f for f in before.data_fields}
        match = _match(old_fields, [(f.name, f.renamed_from) for f in after.data_fields])
        for field in after.data_fields:
            if field.name not in match:
                changes.append(f"{field.name} added at {field.offset}")
                continue
            old = old_fields[match[field.name]]
            self.renamed_deprecated(f"{path}.fields.{field.name}", old.name, field.name, old.deprecated,
                                    field.deprecated, "field", FLOWS)
            if old.offset != field.offset:
                changes.append(f"{field.name} moved {old.offset} -> {field.offset}")
            new_ref = self.enum_match.get(field.element.ref, f"new:{field.element.ref}") \
                if field.element.kind == "enum" else field.element.ref
            if (old.element.kind, old.element.scalar, old.element.ref, old.count) != \
                    (field.element.kind, field.element.scalar, new_ref, field.count):
                changes.append(f"{field.name} {_type(old)} -> {_type(field)}")
            if old.unit != field.unit:
                changes.append(f"{field.name} unit {old.unit or '(none)'} -> {field.unit or '(none)'}")
            if (old.decimals or 0) != (field.decimals or 0):
                changes.append(f"{field.name} scale 10^-{old.decimals or 0} -> 10^-{field.decimals or 0}")
        for name in sorted(set(old_fields) - set(match.values()), key=lambda n: old_fields[n].offset):
            changes.append(f"{name} deleted")
        reserved_before = [(f.offset, f.size) for f in before.fields if f.role != "data"]
        reserved_after = [(f.offset, f.size) for f in after.fields if f.role != "data"]
        if reserved_before != reserved_after:
            changes.append("reserved bytes moved")
        return changes


def _id_text(message: Message) -> str:
    return "header (no id)" if message.id is None else f"id {message.id}"


def _shape(message: Message) -> str:
    return f"{_id_text(message)}, {message.size} bytes"
