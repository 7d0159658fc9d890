"""Turns schema/abi.yaml into the IR, or a SpecError naming every problem with its line."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from abigen import lint
from abigen.diagnostics import Diagnostic, SpecError, UsageError
from abigen.frontend.yaml_source import SourceMap, YamlPath, parse_yaml
from abigen.ir.layout import U8, LayoutProblem, Member, lay_out_message, lay_out_struct
from abigen.ir.layout_hash import layout_hash, wire_hash
from abigen.ir.model import (
    SCALARS,
    AbiVersion,
    Alias,
    Constant,
    Element,
    Enum,
    EnumValue,
    Message,
    Spec,
    Struct,
    Wire,
)

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "abi.schema.json"
# Far above any shared-memory record, and small enough that the golden images and byte maps of the
# generated outputs (one entry per byte) stay cheap; a length typo like u8[4000000000] stops here.
MAX_STRUCT_SIZE = 1 << 24
TYPE_SYNTAX = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<count>[^\[\]]*)\])?$")


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # JSON Schema counts 64.0 as an integer; a size, count or value written so must be refused here,
    # or it reaches the layout engine and the templates as a float.
    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator, type_checker=checker)
    return validator(schema)  # type: ignore[no-any-return]


def load_spec(path: Path) -> Spec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the spec: {exc}") from None
    return load_spec_text(text, path)


def load_spec_text(text: str, path: Path) -> Spec:
    data, source = parse_yaml(text, path)
    _check_schema(data, source)
    return _with_history_marks(_Resolver(data, source).resolve(), data, source)


def _check_schema(data: Any, source: SourceMap) -> None:
    problems = []
    for error in _validator().iter_errors(data):
        path: YamlPath = tuple(error.absolute_path)
        message = error.message
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # jsonschema names the parent; report each unexpected key at its own line.
            allowed = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
            for key in error.instance:
                if key not in allowed:
                    problems.append(source.error(
                        "E201", path + (key,), f"unknown key '{key}' (expected one of: {', '.join(allowed)})"))
            continue
        if "propertyNames" in error.schema_path and isinstance(error.instance, str):
            path += (error.instance,)  # jsonschema reports a bad key with the parent's path
        if error.validator == "pattern":
            pattern = str(error.validator_value)
            what = "a valid name" if pattern in NAME_PATTERNS else "valid"
            message = f"{error.instance!r} is not {what} here (expected {_describe_pattern(pattern)})"
        elif path == ("abi", "version") and error.validator == "type":
            message = f"{error.instance!r} is not a string (expected {_describe_pattern(VERSION_PATTERN)})"
        elif path == ("wire", "byte_order") and error.validator == "enum":
            message = (f"{error.instance!r} is not a byte order: write big (network order, what feeds use) or "
                       "little; the wire never uses the host's order")
        problems.append(source.error("E201", path, message))
    if problems:
        raise SpecError(problems)


NAME_PATTERNS = {
    "^[a-z][a-z0-9_]{0,62}$": "snake_case",
    "^[A-Z][A-Z0-9_]{0,62}$": "UPPER_CASE",
    "^[A-Z][A-Za-z0-9]{0,62}$": "PascalCase",
}
VERSION_PATTERN = "^(0|[1-9][0-9]{0,4})\\.(0|[1-9][0-9]{0,4})$"


def _describe_pattern(pattern: str) -> str:
    if pattern == VERSION_PATTERN:
        return 'MAJOR.MINOR in quotes, e.g. "1.0"'
    return NAME_PATTERNS.get(pattern, f"a match for {pattern}")


@dataclass
class _Declared:
    """A struct as written, before its members' struct types are laid out."""

    name: str
    body: dict[str, Any]
    path: YamlPath


class _Resolver:
    def __init__(self, data: dict[str, Any], source: SourceMap) -> None:
        self.data = data
        self.source = source
        self.problems: list[Diagnostic] = []
        self.units: dict[str, str] = dict(data.get("units", {}))
        self.constants: dict[str, Constant] = {}
        self.enums: dict[str, Enum] = {}
        self.aliases: dict[str, Alias] = {}
        self.structs: dict[str, Struct] = {}
        self.messages: dict[str, Message] = {}
        self.message_ids: dict[int, str] = {}  # every declared id, even of a message that failed
        self.failed: set[str] = set()  # constants and aliases reported already; their uses stay quiet

    def error(self, code: str, path: YamlPath, message: str) -> None:
        self.problems.append(self.source.error(code, path, message))

    def check(self) -> None:
        if self.problems:
            raise SpecError(self.problems)

    def resolve(self) -> Spec:
        abi = self.data["abi"]
        major, minor = (int(part) for part in abi["version"].split("."))
        self._names_unique()
        self._constants()
        self._enums()
        self._aliases()
        # No stop before the structs, so one run reports every problem; a struct that uses a failed
        # constant, alias or struct (or sits in a cycle) stays quiet instead of repeating it.
        order = self._struct_order()
        for declared in order:
            self._struct(declared)
        wire = self._wire()
        for name, body in self.data.get("messages", {}).items():
            self._message(name, body)
        self.check()
        structs = tuple(self.structs[d.name] for d in order)
        messages = tuple(self.messages.values())
        return Spec(
            name=abi["name"], version=AbiVersion(major, minor), doc=abi.get("doc", ""),
            source=self.source.file.as_posix(), units=tuple(self.units.items()),
            constants=tuple(self.constants.values()), enums=tuple(self.enums.values()),
            aliases=tuple(self.aliases.values()), structs=structs, layout_hash=layout_hash(structs),
            wire=wire, messages=messages, wire_hash=wire_hash(wire, messages) if wire is not None else 0,
        )

    def _names_unique(self) -> None:
        seen: dict[str, str] = {}
        for section in ("constants", "types", "enums", "structs", "messages"):
            for name in self.data.get(section, {}):
                if name in seen:
                    self.error("E310", (section, name), f"'{name}' is already declared in {seen[name]}")
                seen.setdefault(name, section)
                problem = lint.name_problem(name)
                if problem:
                    self.error(problem[0], (section, name), problem[1])

    def _constants(self) -> None:
        for name, body in self.data.get("constants", {}).items():
            scalar = SCALARS[body["type"]]
            value = body["value"]
            if not scalar.min <= value <= scalar.max:
                self.error("E302", ("constants", name, "value"),
                           f"{value} does not fit {scalar.name} ({scalar.min}..{scalar.max})")
                self.failed.add(name)
                continue
            self.constants[name] = Constant(name, scalar, value, body.get("doc", ""))

    def _enums(self) -> None:
        for name, body in self.data.get("enums", {}).items():
            scalar = SCALARS[body["type"]]
            values: list[EnumValue] = []
            by_number: dict[int, str] = {}
            for value_name, value_body in body["values"].items():
                path = ("enums", name, "values", value_name)
                number = value_body["value"]
                problem = lint.name_problem(value_name)
                if problem:
                    self.error(problem[0], path, problem[1])
                if not scalar.min <= number <= scalar.max:
                    self.error("E303", path + ("value",),
                               f"{number} does not fit the enum's type {scalar.name} ({scalar.min}..{scalar.max})")
                elif number in by_number:
                    self.error("E304", path + ("value",),
                               f"value {number} is already used by {by_number[number]}")
                by_number.setdefault(number, value_name)
                values.append(EnumValue(value_name, number, value_body.get("doc", "")))
            self.enums[name] = Enum(name, scalar, tuple(values), body.get("on_unknown", ""), body.get("doc", ""))

    def _aliases(self) -> None:
        for name, body in self.data.get("types", {}).items():
            path = ("types", name)
            scalar = self._scalar_named(body["type"], path + ("type",))
            if scalar is None:
                self.failed.add(name)
                continue
            ok = body["unit"] in self.units
            if not ok:
                self._unknown_unit(body["unit"], path + ("unit",))
            decimals = body.get("decimals")
            if decimals is not None and not scalar.is_integer:
                self.error("E312", path + ("decimals",), "decimals apply to integer types only")
                ok = False
            if not ok:
                self.failed.add(name)
                continue
            self.aliases[name] = Alias(name, scalar, body["unit"], decimals, body.get("doc", ""))

    def _scalar_named(self, text: str, path: YamlPath) -> Any:
        forbidden = lint.forbidden_type(text)
        if forbidden:
            self.error(forbidden[0], path, forbidden[1])
            return None
        scalar = SCALARS.get(text)
        if scalar is None or scalar.name == "char":
            self.error("E309", path, f"an alias must name a number type ({', '.join(n for n in SCALARS if n != 'char')}), not '{text}'")
            return None
        return scalar

    def _unknown_unit(self, unit: str, path: YamlPath) -> None:
        close = difflib.get_close_matches(unit, self.units, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; declare it under `units:` ({', '.join(self.units)})"
        self.error("E506", path, f"unknown unit '{unit}'{hint}")

    def _struct_order(self) -> list[_Declared]:
        """Structs in dependency order (declaration order where free); reports cycles."""
        declared = {name: _Declared(name, body, ("structs", name)) for name, body in self.data["structs"].items()}
        deps: dict[str, list[str]] = {}
        for name, item in declared.items():
            deps[name] = []
            for index, field in enumerate(item.body["fields"]):
                match = TYPE_SYNTAX.match(str(field.get("type", "")))
                if match and match["base"] in declared and match["base"] not in deps[name]:
                    deps[name].append(match["base"])
        order: list[_Declared] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, chain: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = chain[chain.index(name):] + [name]
                self.error("E308", ("structs", name), f"structs contain each other: {' -> '.join(cycle)}")
                return
            state[name] = 1
            for dep in deps[name]:
                visit(dep, chain + [name])
            state[name] = 2
            order.append(declared[name])

        for name in declared:
            visit(name, [])
        return order

    @staticmethod
    def _reserved(field: dict[str, Any]) -> Member:
        return Member("", "reserved", U8, field["reserved"], str(field["reserved"]), doc=field.get("doc", ""))

    def _add_named(self, members: list[Member], names: dict[str, int], member: Member, index: int,
                   fpath: YamlPath) -> bool:
        """Appends a struct's or message's named field; False (and E307) when its name is taken."""
        unique = member.name not in names
        if not unique:
            self.error("E307", fpath + ("name",), f"duplicate field '{member.name}' (also field {names[member.name]})")
        names.setdefault(member.name, index)
        members.append(member)
        return unique

    def _struct(self, declared: _Declared) -> None:
        body, path = declared.body, declared.path
        members: list[Member] = []
        names: dict[str, int] = {}
        ok = True
        if body.get("packed"):
            self.error("E502", path + ("packed",),
                       "packed structs misalign fields, which atomics and other languages cannot read; "
                       "order fields by size or add reserved bytes")
            ok = False
        for index, field in enumerate(body["fields"]):
            fpath = path + ("fields", index)
            if "reserved" in field:
                members.append(self._reserved(field))
                continue
            member = self._member(field, fpath)
            if member is None:
                ok = False
                continue
            ok = self._add_named(members, names, member, index, fpath) and ok
        if not ok:
            return
        try:
            struct = lay_out_struct(
                declared.name, body["direction"], members, body.get("align"), body.get("size"),
                bool(body.get("extensible", False)), body.get("doc", ""),
            )
        except LayoutProblem as problem:
            self.error(problem.code, path + ((problem.key,) if problem.key else ()), problem.message)
            return
        if struct.size > MAX_STRUCT_SIZE:
            self.error("E405", path, f"the struct takes {struct.size} bytes, more than the {MAX_STRUCT_SIZE} "
                                     "abigen lays out in one struct; shrink its arrays or split it")
            return
        self.structs[declared.name] = struct

    def _wire(self) -> Wire | None:
        body = self.data.get("wire")
        if body is None:
            if self.data.get("messages"):
                self.error("E316", ("messages",), "messages need a `wire:` section declaring their byte_order "
                                                  "(big or little) and the protocol version")
            return None
        if not self.data.get("messages"):
            self.error("E316", ("wire",), "a `wire:` section without `messages:`; declare the messages or remove it")
        return Wire(body["byte_order"], body["version"], body.get("doc", ""))

    def _message(self, name: str, body: dict[str, Any]) -> None:
        path: YamlPath = ("messages", name)
        if name in lint.WIRE_RESERVED_NAMES:
            self.error("E507", path, f"'{name}' is a name the generated wire code defines itself")
            return
        message_id = body.get("id")
        ok = True
        taken = self.message_ids.get(message_id) if message_id is not None else None
        if taken is not None:
            self.error("E315", path + ("id",), f"message id {message_id} is already used by {taken}")
            ok = False
        elif message_id is not None:
            self.message_ids[message_id] = name
        members: list[Member] = []
        names: dict[str, int] = {}
        for index, field in enumerate(body["fields"]):
            fpath = path + ("fields", index)
            if "reserved" in field:
                members.append(self._reserved(field))
                continue
            if field["name"] in lint.WIRE_RESERVED_FIELDS:
                self.error("E507", fpath + ("name",),
                           f"'{field['name']}' is a method of every generated message; choose another name")
                ok = False
                continue
            if field.get("atomic"):
                self.error("E509", fpath + ("atomic",),
                           "`atomic` means nothing on the wire: a message is encoded and decoded by copy")
                ok = False
                continue
            member = self._member(field, fpath)
            if member is None:
                ok = False
                continue
            if member.element.kind in ("struct", "float"):
                what = "a struct" if member.element.kind == "struct" else "a float"
                self.error("E314", fpath + ("type",),
                           f"a message field cannot hold {what} ('{field['type']}'): messages hold integers, enums, "
                           "fixed-point types and char[N], each encoded on its own in the wire's byte order")
                ok = False
                continue
            ok = self._add_named(members, names, member, index, fpath) and ok
        if not ok:
            return
        if not any(m.role == "data" for m in members):
            self.error("E314", path + ("fields",), "a message needs at least one named field")
            return
        try:
            message = lay_out_message(name, message_id, members, body.get("doc", ""))
        except LayoutProblem as problem:
            self.error(problem.code, path, problem.message)
            return
        self.messages[name] = message

    def _member(self, field: dict[str, Any], path: YamlPath) -> Member | None:
        name: str = field["name"]
        text: str = str(field["type"]).strip()
        problem = lint.name_problem(name)
        if problem:
            self.error(problem[0], path + ("name",), problem[1])
            return None
        if "bits" in field:
            self.error("E503", path + ("bits",),
                       "bitfields lay out differently in gcc and ctypes; use a whole integer and document its bits")
            return None
        forbidden = lint.forbidden_type(text)
        if forbidden:
            self.error(forbidden[0], path + ("type",), forbidden[1])
            return None
        match = TYPE_SYNTAX.match(text)
        if match is None:
            self.error("E311", path + ("type",),
                       f"cannot read type '{text}' (expected NAME or NAME[LENGTH], one dimension)")
            return None
        count, count_expr = None, ""
        if match["count"] is not None:
            count_expr = match["count"].strip()
            count = self._length(count_expr, path + ("type",))
            if count is None:
                return None
        element = self._element(match["base"], count, path + ("type",))
        if element is None:
            return None
        unit = field.get("unit", "")
        decimals = field.get("decimals")
        alias = self.aliases.get(element.alias) if element.alias else None
        if alias is not None:
            if unit or decimals is not None:
                self.error("E313", path + ("unit" if unit else "decimals",),
                           f"the unit and decimals come from type {alias.name} ({alias.unit}); remove them here")
                return None
            unit, decimals = alias.unit, alias.decimals
        if unit and unit not in self.units:
            self._unknown_unit(unit, path + ("unit",))
            return None
        if decimals is not None and element.kind != "int":
            self.error("E312", path + ("decimals",), "decimals apply to integer fields only")
            return None
        atomic = bool(field.get("atomic", False))
        if atomic and (count is not None or element.kind != "int" or element.scalar is None
                       or element.scalar.name not in lint.ATOMIC_SCALARS):
            self.error("E505", path + ("atomic",),
                       f"only a single naturally aligned {'/'.join(lint.ATOMIC_SCALARS)} can be atomic "
                       f"across processes, not '{text}'")
            return None
        return Member(name, "data", element, count, count_expr, unit, decimals, atomic, field.get("doc", ""))

    def _length(self, text: str, path: YamlPath) -> int | None:
        if re.fullmatch(r"[0-9]+", text):
            value = int(text)
        elif text in self.constants:
            value = self.constants[text].value
        elif text in self.failed:
            return None
        else:
            close = difflib.get_close_matches(text, self.constants, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.error("E306", path, f"array length '{text}' is neither a number nor a constant{hint}")
            return None
        if value <= 0:
            self.error("E305", path, f"array length must be at least 1, not {value}")
            return None
        return value

    def _element(self, base: str, count: int | None, path: YamlPath) -> Element | None:
        if base == "char":
            if count is None:
                self.error("E311", path, "a lone char is not a type here: use char[N] for text or u8 for a byte")
                return None
            return Element("char", SCALARS["char"], 1, 1)
        if base in SCALARS:
            scalar = SCALARS[base]
            return Element("float" if scalar.is_float else "int", scalar, scalar.size, scalar.size)
        if base in self.aliases:
            alias = self.aliases[base]
            return Element("float" if alias.scalar.is_float else "int", alias.scalar, alias.scalar.size, alias.scalar.size, alias=base)
        if base in self.enums:
            scalar = self.enums[base].scalar
            return Element("enum", scalar, scalar.size, scalar.size, ref=base)
        if base in self.structs:
            struct = self.structs[base]
            return Element("struct", None, struct.size, struct.align, ref=base)
        if base in self.data["structs"] or base in self.failed:
            return None  # that struct or alias failed to resolve and was reported already
        known = list(SCALARS) + list(self.aliases) + list(self.enums) + list(self.data["structs"])
        close = difflib.get_close_matches(base, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        self.error("E301", path, f"unknown type '{base}'{hint}")
        return None


def _with_history_marks(spec: Spec, data: dict[str, Any], source: SourceMap) -> Spec:
    """Adds what `abigen compat` reads and the layout ignores: `renamed_from`, `deprecated`,
    struct `role` and top-level `allow_breaking` (codes E601-E605)."""
    import dataclasses
    import datetime

    from abigen.ir.model import AllowBreaking

    problems: list[Diagnostic] = []
    claimed: dict[YamlPath, dict[str, str]] = {}  # container path -> old name -> claimed by

    def marks(body: dict[str, Any], name: str, path: YamlPath, siblings: Any) -> tuple[str, str]:
        """(renamed_from, deprecated), after checking that the old name is really gone."""
        old, deprecated = str(body.get("renamed_from", "")), str(body.get("deprecated", ""))
        if old:
            container = claimed.setdefault(path[:-1], {})
            if old == name:
                problems.append(source.error("E601", path + ("renamed_from",), f"'{name}' is renamed from itself"))
            elif old in siblings:
                problems.append(source.error(
                    "E602", path + ("renamed_from",),
                    f"renamed_from: '{old}' is still declared; a renamed item's old name must be gone"))
            elif old in container:
                problems.append(source.error(
                    "E602", path + ("renamed_from",), f"'{container[old]}' is already renamed from '{old}'"))
            container.setdefault(old, name)
        return old, deprecated

    constants_body = data.get("constants", {})
    constants = []
    for constant in spec.constants:
        old, deprecated = marks(constants_body[constant.name], constant.name, ("constants", constant.name),
                                constants_body)
        constants.append(dataclasses.replace(constant, renamed_from=old, deprecated=deprecated))
    enums = []
    for enum in spec.enums:
        body = data["enums"][enum.name]
        values = []
        for value in enum.values:
            old, deprecated = marks(body["values"][value.name], value.name,
                                    ("enums", enum.name, "values", value.name), body["values"])
            values.append(dataclasses.replace(value, renamed_from=old, deprecated=deprecated))
        old, deprecated = marks(body, enum.name, ("enums", enum.name), data["enums"])
        enums.append(dataclasses.replace(enum, values=tuple(values), renamed_from=old, deprecated=deprecated))
    structs: list[Struct] = []
    for struct in spec.structs:
        body = data["structs"][struct.name]
        items = {item["name"]: (index, item) for index, item in enumerate(body["fields"]) if "name" in item}
        fields = []
        for field in struct.fields:
            if field.role == "data":
                index, item = items[field.name]
                old, deprecated = marks(item, field.name, ("structs", struct.name, "fields", index), items)
                field = dataclasses.replace(field, renamed_from=old, deprecated=deprecated)
            fields.append(field)
        role = body.get("role", "")
        if role == "region_header" and any(s.role == "region_header" for s in structs):
            problems.append(source.error("E603", ("structs", struct.name, "role"),
                                         "only one struct can be the region header"))
        old, deprecated = marks(body, struct.name, ("structs", struct.name), data["structs"])
        structs.append(dataclasses.replace(struct, fields=tuple(fields), role=role, renamed_from=old,
                                           deprecated=deprecated))
    messages = []
    for message in spec.messages:
        body = data["messages"][message.name]
        items = {item["name"]: (index, item) for index, item in enumerate(body["fields"]) if "name" in item}
        fields = []
        for field in message.fields:
            if field.role == "data":
                index, item = items[field.name]
                old, deprecated = marks(item, field.name, ("messages", message.name, "fields", index), items)
                field = dataclasses.replace(field, renamed_from=old, deprecated=deprecated)
            fields.append(field)
        old, deprecated = marks(body, message.name, ("messages", message.name), data["messages"])
        messages.append(dataclasses.replace(message, fields=tuple(fields), renamed_from=old, deprecated=deprecated))
    allowed: list[AllowBreaking] = []
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(data.get("allow_breaking", [])):
        expires = entry["expires"]
        if isinstance(expires, datetime.date) and not isinstance(expires, datetime.datetime):
            day = expires.isoformat()
        else:
            try:
                day = datetime.date.fromisoformat(str(expires)).isoformat()
            except ValueError:
                problems.append(source.error("E604", ("allow_breaking", index, "expires"),
                                             f"'{expires}' is not a date (expected YYYY-MM-DD)"))
                continue
        if (entry["rule"], entry["path"]) in seen:
            problems.append(source.error("E605", ("allow_breaking", index),
                                         f"{entry['rule']} at {entry['path']} is already allowed"))
        seen.add((entry["rule"], entry["path"]))
        allowed.append(AllowBreaking(entry["rule"], entry["path"], entry["reason"], day))
    if problems:
        raise SpecError(problems)
    return dataclasses.replace(spec, constants=tuple(constants), enums=tuple(enums), structs=tuple(structs),
                               messages=tuple(messages), allow_breaking=tuple(allowed))
