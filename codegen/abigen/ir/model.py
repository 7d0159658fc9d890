"""IR node types. Everything here is immutable and already laid out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Scalar:
    name: str  # spec spelling: u8 ... i64, f32, f64, char
    size: int
    signed: bool
    is_float: bool

    @property
    def is_integer(self) -> bool:
        return not self.is_float and self.name != "char"

    @property
    def min(self) -> int:
        return -(1 << (8 * self.size - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (8 * self.size - (1 if self.signed else 0))) - 1


SCALARS: dict[str, Scalar] = {
    s.name: s
    for s in (
        Scalar("u8", 1, False, False), Scalar("i8", 1, True, False),
        Scalar("u16", 2, False, False), Scalar("i16", 2, True, False),
        Scalar("u32", 4, False, False), Scalar("i32", 4, True, False),
        Scalar("u64", 8, False, False), Scalar("i64", 8, True, False),
        Scalar("f32", 4, True, True), Scalar("f64", 8, True, True),
        Scalar("char", 1, False, False),
    )
}


@dataclass(frozen=True)
class AbiVersion:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True)
class Constant:
    name: str
    scalar: Scalar
    value: int
    doc: str
    renamed_from: str = ""  # the name this constant had in the previous release, if renamed
    deprecated: str = ""  # why it is deprecated; "" when it is not


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: int
    doc: str
    renamed_from: str = ""
    deprecated: str = ""


@dataclass(frozen=True)
class Enum:
    name: str
    scalar: Scalar
    values: tuple[EnumValue, ...]
    on_unknown: str  # "reject" | "ignore" | "" (undeclared)
    doc: str
    renamed_from: str = ""
    deprecated: str = ""


@dataclass(frozen=True)
class Alias:
    name: str
    scalar: Scalar
    unit: str
    decimals: int | None
    doc: str


ElementKind = Literal["int", "float", "char", "enum", "struct"]


@dataclass(frozen=True)
class Element:
    """What one array element (or a non-array field) holds."""

    kind: ElementKind
    scalar: Scalar | None  # the stored scalar (an enum's underlying type); None for structs
    size: int
    align: int
    ref: str = ""  # enum or struct name
    alias: str = ""  # the alias the spec wrote, if any


FieldRole = Literal["data", "pad", "reserved"]


@dataclass(frozen=True)
class Field:
    name: str
    role: FieldRole
    element: Element
    count: int | None  # array length; None for a single element
    count_expr: str  # the length as written (a constant's name or digits); "" when not an array
    offset: int
    size: int
    unit: str
    decimals: int | None
    atomic: bool
    doc: str
    renamed_from: str = ""  # the field's name in the previous release, if renamed (source-only)
    deprecated: str = ""  # why it is deprecated; its bytes stay

    @property
    def is_array(self) -> bool:
        return self.count is not None

    @property
    def type_text(self) -> str:
        """The type as the spec language spells it."""
        base = self.element.alias or self.element.ref or (self.element.scalar.name if self.element.scalar else "")
        return f"{base}[{self.count_expr}]" if self.is_array else base


Direction = Literal["fund -> agent", "agent -> fund", "any"]
StructRole = Literal["", "region_header", "ring_slot"]


class _HasFields:
    """What a struct and a message both answer about their fields."""

    fields: tuple[Field, ...]

    @property
    def data_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.role == "data")

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Struct(_HasFields):
    name: str
    direction: Direction
    size: int
    align: int
    declared_align: int | None
    declared_size: int | None
    extensible: bool
    fields: tuple[Field, ...]  # every byte is covered: data, pad and reserved fields in offset order
    doc: str
    role: StructRole = ""  # "region_header": frozen forever; "ring_slot": used by value in a ring
    renamed_from: str = ""
    deprecated: str = ""


ByteOrder = Literal["big", "little"]

# Every message with an id starts with this frame, in the wire's byte order: u16 size (of the whole
# message, frame included), then u16 id. A receiver skips a message it does not know by its size.
FRAME_SIZE = 4
FRAME_FIELDS: tuple[tuple[str, str], ...] = (("size", "u16"), ("id", "u16"))


@dataclass(frozen=True)
class Wire:
    """How messages travel on the network: the spec's `wire:` section."""

    byte_order: ByteOrder
    version: int  # the protocol version (u16) packets carry; receivers refuse other versions
    doc: str


@dataclass(frozen=True)
class Message(_HasFields):
    """A wire message: packed (no padding), a fixed size, fields encoded one by one in the wire's
    byte order, never cast from the bytes. With an `id` it is framed (FRAME_SIZE bytes of size and
    id first); without one it is a header, encoded bare where its protocol puts it (a packet's
    first bytes)."""

    name: str
    id: int | None
    size: int  # bytes on the wire, the frame included
    fields: tuple[Field, ...]  # data and reserved fields in offset order, offsets counted from the
    # message's first byte (so a framed message's first field is at FRAME_SIZE); every byte after
    # the frame is covered
    doc: str
    renamed_from: str = ""
    deprecated: str = ""

    @property
    def frame_size(self) -> int:
        return 0 if self.id is None else FRAME_SIZE


@dataclass(frozen=True)
class AllowBreaking:
    """An audited, expiring permission for one breaking change (rule id + finding path)."""

    rule: str
    path: str
    reason: str
    expires: str  # YYYY-MM-DD, the last day the entry is valid


@dataclass(frozen=True)
class Spec:
    name: str
    version: AbiVersion
    doc: str
    source: str  # the spec's path as given, for "generated from" lines
    units: tuple[tuple[str, str], ...]
    constants: tuple[Constant, ...]
    enums: tuple[Enum, ...]
    aliases: tuple[Alias, ...]
    structs: tuple[Struct, ...]  # dependency order: a struct comes after every struct it embeds
    layout_hash: int  # of the structs only: the shared memory's layout (messages have wire_hash)
    allow_breaking: tuple[AllowBreaking, ...] = ()  # accepted breaks, for `abigen compat`
    wire: Wire | None = None  # None when the spec declares no messages
    messages: tuple[Message, ...] = ()  # in declaration order
    wire_hash: int = 0  # of the messages' byte layout and byte order; 0 without messages

    @property
    def layout_hash_hex(self) -> str:
        return f"0x{self.layout_hash:016x}"

    @property
    def wire_hash_hex(self) -> str:
        return f"0x{self.wire_hash:016x}"

    def message(self, name: str) -> Message:
        for m in self.messages:
            if m.name == name:
                return m
        raise KeyError(name)

    def struct(self, name: str) -> Struct:
        for s in self.structs:
            if s.name == name:
                return s
        raise KeyError(name)

    def enum(self, name: str) -> Enum:
        for e in self.enums:
            if e.name == name:
                return e
        raise KeyError(name)
