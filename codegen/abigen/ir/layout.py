"""The layout engine: offsets, padding, size and alignment by the C rules of LP64 Linux.

x86_64 and aarch64 agree on every rule used here: a scalar's alignment is its size, an array's
is its element's, a struct's is the largest of its members' and of its declared `align`, and its
size is rounded up to its alignment. Holes are returned as named fields, never left implicit.
"""

from __future__ import annotations

from dataclasses import dataclass

from abigen.ir.model import FRAME_SIZE, SCALARS, Direction, Element, Field, Message, Struct

U8 = Element("int", SCALARS["u8"], 1, 1)


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


@dataclass(frozen=True)
class Member:
    """A field as declared, before layout. A reserved member has role "reserved" and no name."""

    name: str
    role: str  # "data" | "reserved"
    element: Element
    count: int | None
    count_expr: str
    unit: str = ""
    decimals: int | None = None
    atomic: bool = False
    doc: str = ""


class LayoutProblem(Exception):
    """A struct cannot be laid out as declared; `member` is the index of the member at fault or
    None for the struct itself."""

    def __init__(self, code: str, message: str, member: int | None = None, key: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.member = member
        self.key = key


def filler(role: str, offset: int, size: int, doc: str = "") -> Field:
    return Field(
        name=f"{role}_{offset}", role=role, element=U8, count=size, count_expr=str(size),  # type: ignore[arg-type]
        offset=offset, size=size, unit="", decimals=None, atomic=False,
        doc=doc or ("alignment padding; always zero" if role == "pad" else "reserved for growth; zero"),
    )


def lay_out_struct(
    name: str,
    direction: Direction,
    members: list[Member],
    declared_align: int | None,
    declared_size: int | None,
    extensible: bool,
    doc: str,
) -> Struct:
    if declared_align is not None and not is_power_of_two(declared_align):
        raise LayoutProblem("E401", f"align: {declared_align} is not a power of two", key="align")
    natural = max(m.element.align for m in members)
    if declared_align is not None and declared_align < natural:
        raise LayoutProblem(
            "E404", f"align: {declared_align} is below the natural alignment {natural} of the fields; "
            "remove it or raise it", key="align")
    alignment = max(declared_align or 1, natural)
    fields: list[Field] = []
    offset = 0
    for member in members:
        start = align_up(offset, member.element.align)
        if start > offset:
            fields.append(filler("pad", offset, start - offset))
        size = member.element.size * (member.count if member.count is not None else 1)
        if member.role == "reserved":
            fields.append(filler("reserved", start, size, member.doc))
        else:
            fields.append(Field(
                name=member.name, role="data", element=member.element, count=member.count,
                count_expr=member.count_expr, offset=start, size=size, unit=member.unit,
                decimals=member.decimals, atomic=member.atomic, doc=member.doc,
            ))
        offset = start + size
    if declared_size is not None:
        if offset > declared_size:
            raise LayoutProblem(
                "E402", f"fields need {offset} bytes, more than the declared size: {declared_size}", key="size")
        if declared_size % alignment:
            raise LayoutProblem(
                "E403", f"size: {declared_size} is not a multiple of the struct's alignment {alignment}",
                key="size")
        if declared_size > offset:
            fields.append(filler("reserved", offset, declared_size - offset))
        size = declared_size
    else:
        size = align_up(offset, alignment)
        if size > offset:
            fields.append(filler("pad", offset, size - offset))
    return Struct(
        name=name, direction=direction, size=size, align=alignment, declared_align=declared_align,
        declared_size=declared_size, extensible=extensible, fields=tuple(fields), doc=doc,
    )


# A message's size is what its frame's u16 size field can say.
MAX_MESSAGE_SIZE = 0xFFFF


def lay_out_message(name: str, message_id: int | None, members: list[Member], doc: str) -> Message:
    """Packed: each member right after the previous one (after the frame when there is an id),
    whatever its alignment; no padding anywhere, so the size is the frame plus the members."""
    fields: list[Field] = []
    offset = FRAME_SIZE if message_id is not None else 0
    for member in members:
        size = member.element.size * (member.count if member.count is not None else 1)
        if member.role == "reserved":
            fields.append(filler("reserved", offset, size, member.doc or "reserved; zero on the wire"))
        else:
            fields.append(Field(
                name=member.name, role="data", element=member.element, count=member.count,
                count_expr=member.count_expr, offset=offset, size=size, unit=member.unit,
                decimals=member.decimals, atomic=False, doc=member.doc,
            ))
        offset += size
    if offset > MAX_MESSAGE_SIZE:
        raise LayoutProblem("E406", f"the message takes {offset} bytes, more than the {MAX_MESSAGE_SIZE} its "
                                    "frame's u16 size can say; split it")
    return Message(name=name, id=message_id, size=offset, fields=tuple(fields), doc=doc)
