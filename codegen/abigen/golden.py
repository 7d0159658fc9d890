"""Golden-bytes images: every leaf of a struct holds a distinct sentinel.

A leaf is one scalar, one char, or one element of a scalar array; leaves are numbered from 0,
depth first in field order (padding and reserved fields included). Leaf i holds:
  integers, enums, chars: the low bytes of mix(i), little-endian;
  f64: i + 1.5;   f32: (i mod 65536) + 1.5   (exact in binary).
The C, C++ and Python layout tests implement the same rule independently over their own
compiled types; abigen implements it here over the IR. Equal images prove equal layouts.

A wire message's image is its encoding with the same sentinels: leaf i (numbered over its data
fields only, depth first; messages hold no floats) holds the low bytes of mix(i) as a value, written
in the wire's byte order; reserved bytes are zero, and a framed message starts with its frame (its
size, then its id, in the wire's byte order). Each language encodes a value so filled with its own
generated encoder, and decodes the image back.
"""

from __future__ import annotations

import struct as pystruct

from abigen.ir.model import Message, Scalar, Spec, Struct

MIX_MULTIPLIER = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1


def mix(index: int) -> int:
    x = ((index + 1) * MIX_MULTIPLIER) & MASK64
    return x ^ (x >> 32)


def leaf_bytes(scalar: Scalar, index: int) -> bytes:
    if scalar.name == "f64":
        return pystruct.pack("<d", index + 1.5)
    if scalar.name == "f32":
        return pystruct.pack("<f", (index % 65536) + 1.5)
    return (mix(index) & ((1 << (8 * scalar.size)) - 1)).to_bytes(scalar.size, "little")


def image(spec: Spec, target: Struct) -> bytes:
    buffer = bytearray(target.size)

    def fill(struct: Struct, base: int, index: int) -> int:
        for field in struct.fields:
            for k in range(field.count if field.count is not None else 1):
                offset = base + field.offset + k * field.element.size
                if field.element.kind == "struct":
                    index = fill(spec.struct(field.element.ref), offset, index)
                else:
                    assert field.element.scalar is not None
                    buffer[offset:offset + field.element.size] = leaf_bytes(field.element.scalar, index)
                    index += 1
        return index

    fill(target, 0, 0)
    return bytes(buffer)


def message_image(spec: Spec, message: Message) -> bytes:
    assert spec.wire is not None
    order = spec.wire.byte_order
    buffer = bytearray(message.size)
    if message.id is not None:
        buffer[0:2] = message.size.to_bytes(2, order)
        buffer[2:4] = message.id.to_bytes(2, order)
    index = 0
    for field in message.data_fields:
        size = field.element.size
        for k in range(field.count if field.count is not None else 1):
            offset = field.offset + k * size
            buffer[offset:offset + size] = (mix(index) & ((1 << (8 * size)) - 1)).to_bytes(size, order)
            index += 1
    return bytes(buffer)
