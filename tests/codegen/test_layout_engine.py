"""The layout engine and the layout hash, on small specs loaded in-process.

Expected layouts are written out by hand from the C rules of LP64 Linux (a scalar aligns to its
size, an array to its element, a struct to its largest member or its `align:`, size rounded up).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from abigen.diagnostics import SpecError
from abigen.frontend import load_spec_text
from abigen.ir.layout import U8, LayoutProblem, Member, lay_out_struct
from abigen.ir.model import SCALARS, Element, Spec, Struct

HEAD = """\
abi: {name: t, version: "1.0"}
units: {id: an identifier, count: a count}
constants:
  N: {type: u32, value: 3}
  M: {type: u32, value: 3}
  FOUR: {type: u32, value: 4}
enums:
  E8: {type: u8, values: {A: {value: 1}}}
  E16: {type: u16, values: {A: {value: 1}}}
  E32: {type: i32, values: {A: {value: -1}}}
  E64: {type: u64, values: {A: {value: 1}}}
types:
  Price: {type: i64, unit: id, decimals: 8}
structs:
"""

Row = tuple[str, str, int, int]  # name, role, offset, size


def load(structs: str) -> Spec:
    return load_spec_text(HEAD + textwrap.indent(textwrap.dedent(structs), "  "), Path("t.yaml"))


def rows(struct: Struct) -> list[Row]:
    """The struct's fields as (name, role, offset, size), after checking that they cover every
    byte exactly once, in order."""
    at = 0
    for field in struct.fields:
        assert field.offset == at, f"{struct.name}.{field.name} at {field.offset}, expected {at}"
        at += field.size
    assert at == struct.size
    return [(f.name, f.role, f.offset, f.size) for f in struct.fields]


def one(structs: str, name: str = "S") -> Struct:
    return load(structs).struct(name)


def test_holes_become_pad_fields_named_by_offset() -> None:
    s = one("""
        S:
          direction: any
          fields:
            - {name: a, type: u8}
            - {name: b, type: u32}
            - {name: c, type: u8}
            - {name: d, type: u64}
            - {name: e, type: u16}
        """)
    assert rows(s) == [
        ("a", "data", 0, 1), ("pad_1", "pad", 1, 3), ("b", "data", 4, 4), ("c", "data", 8, 1),
        ("pad_9", "pad", 9, 7), ("d", "data", 16, 8), ("e", "data", 24, 2), ("pad_26", "pad", 26, 6),
    ]
    assert (s.size, s.align, s.declared_size, s.declared_align) == (32, 8, None, None)
    pad = s.field("pad_9")
    assert (pad.element, pad.count, pad.doc) == (U8, 7, "alignment padding; always zero")


def test_fields_ordered_by_size_need_no_padding() -> None:
    s = one("""
        S:
          direction: any
          fields:
            - {name: d, type: f64}
            - {name: b, type: i32}
            - {name: e, type: i16}
            - {name: a, type: i8}
            - {name: c, type: u8}
        """)
    assert [role for _, role, _, _ in rows(s)] == ["data"] * 5
    assert (s.size, s.align) == (16, 8)


def test_tail_padding_rounds_the_size_up_to_the_alignment() -> None:
    s = one("""
        S:
          direction: any
          fields:
            - {name: a, type: u64}
            - {name: b, type: u8}
        """)
    assert rows(s) == [("a", "data", 0, 8), ("b", "data", 8, 1), ("pad_9", "pad", 9, 7)]


def test_declared_size_fills_the_tail_with_reserved_bytes() -> None:
    s = one("""
        S:
          direction: any
          size: 32
          fields:
            - {name: a, type: u64}
            - {name: b, type: u8}
        """)
    assert rows(s) == [("a", "data", 0, 8), ("b", "data", 8, 1), ("reserved_9", "reserved", 9, 23)]
    assert (s.size, s.declared_size) == (32, 32)
    assert s.field("reserved_9").doc == "reserved for growth; zero"


def test_declared_size_equal_to_the_fields_adds_nothing() -> None:
    s = one("""
        S:
          direction: any
          size: 16
          fields:
            - {name: a, type: u64}
            - {name: b, type: u64}
        """)
    assert rows(s) == [("a", "data", 0, 8), ("b", "data", 8, 8)]


def test_explicit_reserved_bytes_and_the_padding_after_them() -> None:
    exact = one("""
        S:
          direction: any
          fields:
            - {name: a, type: u8}
            - {reserved: 3, doc: for flags}
            - {name: b, type: u32}
        """)
    assert rows(exact) == [("a", "data", 0, 1), ("reserved_1", "reserved", 1, 3), ("b", "data", 4, 4)]
    assert exact.field("reserved_1").doc == "for flags"
    short = one("""
        S:
          direction: any
          fields:
            - {name: a, type: u8}
            - {reserved: 2}
            - {name: b, type: u32}
        """)
    assert rows(short) == [
        ("a", "data", 0, 1), ("reserved_1", "reserved", 1, 2), ("pad_3", "pad", 3, 1), ("b", "data", 4, 4),
    ]


def test_align_64_raises_alignment_and_size() -> None:
    padded = one("""
        S:
          direction: any
          align: 64
          fields:
            - {name: a, type: u64}
        """)
    assert rows(padded) == [("a", "data", 0, 8), ("pad_8", "pad", 8, 56)]
    assert (padded.size, padded.align, padded.declared_align) == (64, 64, 64)
    sized = one("""
        S:
          direction: any
          align: 64
          size: 128
          fields:
            - {name: a, type: u64}
        """)
    assert rows(sized) == [("a", "data", 0, 8), ("reserved_8", "reserved", 8, 120)]
    assert (sized.size, sized.align) == (128, 64)


def test_nested_struct_aligns_to_its_own_alignment() -> None:
    spec = load("""
        Outer:
          direction: any
          fields:
            - {name: x, type: u8}
            - {name: inner, type: Inner}
            - {name: y, type: u8}
        Inner:
          direction: any
          fields:
            - {name: a, type: u8}
            - {name: b, type: u64}
        Line:
          direction: any
          align: 64
          fields:
            - {name: a, type: u32}
        Holder:
          direction: any
          fields:
            - {name: x, type: u8}
            - {name: line, type: Line}
        """)
    assert [s.name for s in spec.structs].index("Inner") < [s.name for s in spec.structs].index("Outer")
    assert (spec.struct("Inner").size, spec.struct("Inner").align) == (16, 8)
    outer = spec.struct("Outer")
    assert rows(outer) == [
        ("x", "data", 0, 1), ("pad_1", "pad", 1, 7), ("inner", "data", 8, 16), ("y", "data", 24, 1),
        ("pad_25", "pad", 25, 7),
    ]
    assert (outer.size, outer.align) == (32, 8)
    assert outer.field("inner").element == Element("struct", None, 16, 8, ref="Inner")
    holder = spec.struct("Holder")
    assert rows(holder) == [("x", "data", 0, 1), ("pad_1", "pad", 1, 63), ("line", "data", 64, 64)]
    assert (holder.size, holder.align) == (128, 64)


def test_array_of_structs_strides_by_the_padded_size() -> None:
    spec = load("""
        Elem:
          direction: any
          fields:
            - {name: a, type: u32}
            - {name: b, type: u8}
        S:
          direction: any
          fields:
            - {name: n, type: u8}
            - {name: items, type: "Elem[N]"}
            - {name: z, type: u8}
        """)
    assert rows(spec.struct("Elem")) == [("a", "data", 0, 4), ("b", "data", 4, 1), ("pad_5", "pad", 5, 3)]
    s = spec.struct("S")
    assert rows(s) == [
        ("n", "data", 0, 1), ("pad_1", "pad", 1, 3), ("items", "data", 4, 24), ("z", "data", 28, 1),
        ("pad_29", "pad", 29, 3),
    ]
    items = s.field("items")
    assert (items.count, items.count_expr, items.element.size, items.type_text) == (3, "N", 8, "Elem[N]")


def test_scalar_and_char_arrays_align_to_their_element() -> None:
    s = one("""
        S:
          direction: any
          fields:
            - {name: a, type: u8}
            - {name: s, type: "char[3]"}
            - {name: w, type: "u16[FOUR]"}
            - {name: q, type: u64}
        """)
    assert rows(s) == [
        ("a", "data", 0, 1), ("s", "data", 1, 3), ("w", "data", 4, 8), ("pad_12", "pad", 12, 4),
        ("q", "data", 16, 8),
    ]
    assert (s.field("s").element.kind, s.field("w").count) == ("char", 4)


def test_enum_fields_take_their_underlying_width() -> None:
    s = one("""
        S:
          direction: any
          fields:
            - {name: a, type: E8}
            - {name: b, type: E16}
            - {name: c, type: E64}
            - {name: d, type: E32}
        """)
    assert rows(s) == [
        ("a", "data", 0, 1), ("pad_1", "pad", 1, 1), ("b", "data", 2, 2), ("pad_4", "pad", 4, 4),
        ("c", "data", 8, 8), ("d", "data", 16, 4), ("pad_20", "pad", 20, 4),
    ]
    assert [(f.element.kind, f.element.ref, f.element.scalar.name if f.element.scalar else "")
            for f in s.data_fields] == [("enum", "E8", "u8"), ("enum", "E16", "u16"), ("enum", "E64", "u64"),
                                        ("enum", "E32", "i32")]


def test_alias_fields_take_width_unit_and_decimals_from_the_alias() -> None:
    s = one("""
        S:
          direction: any
          fields:
            - {name: flag, type: u8}
            - {name: price, type: Price}
        """)
    price = s.field("price")
    assert (price.offset, price.size, price.unit, price.decimals, price.element.alias) == (8, 8, "id", 8, "Price")
    assert price.type_text == "Price"


def test_lay_out_struct_refuses_impossible_declarations() -> None:
    u64 = Element("int", SCALARS["u64"], 8, 8)
    members = [Member("a", "data", u64, None, ""), Member("b", "data", u64, 2, "2")]
    with pytest.raises(LayoutProblem) as small:
        lay_out_struct("S", "any", members, None, 16, False, "")
    assert (small.value.code, small.value.key) == ("E402", "size")
    with pytest.raises(LayoutProblem) as odd:
        lay_out_struct("S", "any", members, 24, None, False, "")
    assert (odd.value.code, odd.value.key) == ("E401", "align")
    with pytest.raises(LayoutProblem) as ragged:
        lay_out_struct("S", "any", members, 16, 40, False, "")
    assert (ragged.value.code, ragged.value.key) == ("E403", "size")
    fine = lay_out_struct("S", "any", members, 16, 48, False, "")
    assert [(f.name, f.offset, f.size) for f in fine.fields] == [("a", 0, 8), ("b", 8, 16), ("reserved_24", 24, 24)]


# ---- the layout hash

BASE = """
    S:
      direction: any
      doc: one
      fields:
        - {name: a, type: u32, unit: id}
        - {name: b, type: u16}
        - {name: c, type: "u8[N]"}
        - {name: e, type: E8}
    T:
      direction: any
      fields:
        - {name: s, type: S}
    """


def layout_hash(structs: str) -> int:
    return load(structs).layout_hash


def variant(old: str, new: str) -> int:
    assert BASE.count(old) == 1, old
    return layout_hash(BASE.replace(old, new))


def test_layout_hash_is_stable() -> None:
    assert layout_hash(BASE) == layout_hash(BASE)
    assert 0 <= layout_hash(BASE) < 2**64


@pytest.mark.parametrize(("old", "new"), [
    ("{name: a,", "{name: renamed,"),  # a field rename is source-only
    ("{name: s, type: S}", "{name: inner, type: S}"),
    ("doc: one", "doc: two"),
    ("unit: id}", "unit: count}"),
    ('"u8[N]"', '"u8[M]"'),  # another constant with the same value
    ('"u8[N]"', '"u8[3]"'),
], ids=["field", "embedded-field", "doc", "unit", "constant", "literal-length"])
def test_layout_hash_ignores_names_and_docs(old: str, new: str) -> None:
    assert variant(old, new) == layout_hash(BASE)


def test_layout_hash_ignores_a_struct_rename() -> None:
    renamed = BASE.replace("S:", "Renamed:").replace("type: S}", "type: Renamed}")
    assert renamed != BASE
    assert layout_hash(renamed) == layout_hash(BASE)


@pytest.mark.parametrize(("old", "new"), [
    ("{name: b, type: u16}", "{name: b, type: u32}"),  # width
    ("{name: b, type: u16}", "{name: b, type: i16}"),  # signedness, same width
    ("{name: e, type: E8}", "{name: e, type: u8}"),  # enum to integer, same width
    ('"u8[N]"', '"u8[FOUR]"'),  # array length
    ("    S:\n      direction: any\n", "    S:\n      direction: any\n      align: 16\n"),
    ("{name: e, type: E8}", "{name: e, type: E8}\n        - {reserved: 1}"),  # pad becomes reserved + pad
], ids=["width", "signedness", "kind", "length", "align", "reserved"])
def test_layout_hash_changes_with_the_bytes(old: str, new: str) -> None:
    assert variant(old, new) != layout_hash(BASE)


def test_layout_hash_changes_with_field_order() -> None:
    swapped = BASE.replace("        - {name: a, type: u32, unit: id}\n        - {name: b, type: u16}\n",
                           "        - {name: b, type: u16}\n        - {name: a, type: u32, unit: id}\n")
    assert swapped != BASE
    assert layout_hash(swapped) != layout_hash(BASE)


def test_loader_reports_instead_of_laying_out_a_bad_struct() -> None:
    with pytest.raises(SpecError) as caught:
        load("""
            S:
              direction: any
              size: 4
              fields:
                - {name: a, type: u64}
            """)
    [diagnostic] = caught.value.diagnostics
    size_line = HEAD.count("\n") + 4  # HEAD, the blank first line of the structs, S:, direction:, size:
    assert (diagnostic.code, diagnostic.path, diagnostic.location.line) == ("E402", "structs.S.size", size_line)


def test_keys_keep_their_spelling_where_yaml_1_1_would_read_booleans() -> None:
    text = HEAD.replace("  E8: {type: u8, values: {A: {value: 1}}}\n",
                        "  E8: {type: u8, values: {OFF: {value: 0}, ON: {value: 1}, NO: {value: 2}, YES: {value: 3}}}\n")
    assert text != HEAD
    spec = load_spec_text(text + "  S:\n    direction: any\n    fields:\n      - {name: a, type: E8}\n", Path("t.yaml"))
    assert [v.name for v in spec.enum("E8").values] == ["OFF", "ON", "NO", "YES"]
