"""Renders the IR into every output file; one Jinja template per file, named after what it emits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import jinja2

from abigen import golden
from abigen.compat.served import ReleasedLayout
from abigen.ir.model import Message, Spec, Struct
from abigen.targets import naming

TEMPLATES = Path(__file__).parent

# output path (relative to --out) -> template (relative to this folder)
OUTPUTS: dict[str, str] = {
    "cpp/{name}/abi.hpp": "cpp/abi.hpp.j2",
    "c/{name}/abi.h": "c/abi.h.j2",
    "python/{name}_abi/__init__.py": "python/fundos_abi.py.j2",
    "docs/ABI.md": "doc/ABI.md.j2",
    "tests/layout_test.cpp": "cpp/layout_test.cpp.j2",
    "tests/layout_test.c": "c/layout_test.c.j2",
    "tests/test_abi_layout.py": "python/test_abi_layout.py.j2",
}
# Written only when the spec has wire messages.
WIRE_OUTPUTS: dict[str, str] = {
    "cpp/{name}/wire.hpp": "cpp/wire.hpp.j2",
    "c/{name}/wire.h": "c/wire.h.j2",
    "python/{name}_abi/wire.py": "python/wire.py.j2",
}
MARKER = ".abigen"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters.update(
        snake=naming.snake, one_line=naming.one_line, c_comment=naming.c_comment,
        py_doc=naming.py_doc, md_cell=naming.md_cell, cpp_scalar=naming.cpp_scalar,
        cpp_element=naming.cpp_element, unit_note=naming.unit_note, ctypes_field=naming.ctypes_field,
        constant_value_hex=naming.constant_value_hex, upper_snake=naming.upper_snake,
        cpp_wire_type=naming.cpp_wire_type, cpp_wire_unsigned=naming.cpp_wire_unsigned,
        c_wire_unsigned=naming.c_wire_unsigned, py_wire_type=naming.py_wire_type,
        py_wire_default=naming.py_wire_default,
    )
    env.globals.update(
        c_macro=naming.c_macro, c_literal=naming.c_literal, cpp_literal=naming.cpp_literal,
        c_type_name=naming.c_type_name, c_element=naming.c_element, count_c=naming.count_c,
        c_scalars=naming.C_SCALARS, ctypes_scalars=naming.CTYPES_SCALARS, diagram=diagram,
        wire_diagram=wire_diagram, struct_format=naming.struct_format, py_wire_slots=naming.py_wire_slots,
    )
    return env


def diagram(struct: Struct) -> str:
    """A byte map: one row per 64-byte cache line, one letter per byte naming its field
    ('.' padding, '-' reserved); arrays of structs spanning whole lines fold into one row."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    owner: list[str] = []
    legend: list[str] = []
    for index, field in enumerate(f for f in struct.fields if f.role == "data"):
        legend.append(f"{letters[index % len(letters)]}={field.name}")
    data_index = {f.name: i for i, f in enumerate(struct.data_fields)}
    for field in struct.fields:
        mark = "." if field.role == "pad" else "-" if field.role == "reserved" else letters[data_index[field.name] % len(letters)]
        owner.extend(mark * field.size)
    rows: list[str] = []
    line = 0
    while line < struct.size:
        folded = next((f for f in struct.fields if f.element.kind == "struct" and f.is_array and f.size > 64
                       and f.offset <= line and line + 64 <= f.offset + f.size), None)
        if folded is not None:
            end = folded.offset + folded.size - (folded.offset + folded.size - line) % 64
            rows.append(f"{line:6d}..{end - 1:<6d} {owner[line] * 8}... {folded.name}: {folded.type_text}")
            line = end
            continue
        rows.append(f"{line:6d}  " + "".join(owner[line:line + 64]))
        line += 64
    return "\n".join(rows + ["legend: " + " ".join(legend)])


def wire_diagram(message: Message) -> str:
    """A byte map of a message on the wire: one row per 32 bytes, one letter per byte naming its
    field ('#' the frame, '-' reserved)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    data_index = {f.name: i for i, f in enumerate(message.data_fields)}
    owner = ["#"] * message.frame_size
    for field in message.fields:
        mark = "-" if field.role != "data" else letters[data_index[field.name] % len(letters)]
        owner.extend(mark * field.size)
    rows = [f"{line:6d}  " + "".join(owner[line:line + 32]) for line in range(0, message.size, 32)]
    legend = (["#=frame (size, id)"] if message.frame_size else []) + [
        f"{letters[i % len(letters)]}={f.name}" for i, f in enumerate(message.data_fields)]
    return "\n".join(rows + ["legend: " + " ".join(legend)])


def render_all(spec: Spec, source_label: str, released: Sequence[ReleasedLayout] = ()) -> dict[str, bytes]:
    """Every output file, keyed by its path relative to the output folder. `released`: the release
    locks of the spec's major older than it (compat.served.released_layouts), for the table of
    layouts a build serves; the spec's own layout is always its last row."""
    env = _environment()
    banner = (f"Generated by abigen from {source_label} (ABI {spec.name} {spec.version}, layout hash "
              f"{spec.layout_hash_hex}). Do not edit: change the spec or codegen/ and run `abigen generate`.")
    prefix = naming.c_prefix(spec)
    framed = [m for m in spec.messages if m.id is not None]
    context = {"spec": spec, "banner": banner, "prefix": prefix, "P": prefix.upper(), "framed": framed,
               "max_message_size": max((m.size for m in spec.messages), default=0),
               "released": tuple(released), "served": tuple(r for r in released if r.served)}
    outputs = dict(OUTPUTS)
    if spec.wire is not None:
        outputs.update(WIRE_OUTPUTS)
    files = {
        path.format(name=spec.name): env.get_template(template).render(context).encode("utf-8")
        for path, template in outputs.items()
    }
    for struct in spec.structs:
        files[f"tests/golden/{struct.name}.bin"] = golden.image(spec, struct)
    for message in spec.messages:
        files[f"tests/golden/{message.name}.bin"] = golden.message_image(spec, message)
    files[MARKER] = (f"This folder is written by abigen from {source_label}; never edit it by hand.\n"
                     f"layout hash {spec.layout_hash_hex}\n").encode()
    return files
