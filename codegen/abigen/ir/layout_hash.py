"""The layout hash: one 64-bit number that changes whenever any byte of the ABI moves.

It covers, for every struct in dependency order, its size and alignment and each field's offset,
size, kind, scalar and array length, with embedded structs named by their position in that order.
Names, docs and units are left out on purpose: a rename is source-only and keeps the hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from abigen.ir.model import Message, Struct, Wire


def layout_hash(structs: Sequence[Struct]) -> int:
    index = {s.name: i for i, s in enumerate(structs)}
    canonical = [
            [s.size, s.align, [
                [f.offset, f.size, f.element.kind,
                 f.element.scalar.name if f.element.scalar else index[f.element.ref],
                 f.count if f.count is not None else 0]
                for f in s.fields
            ]]
            for s in structs
        ]
    digest = hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def wire_hash(wire: Wire, messages: Sequence[Message]) -> int:
    """The same idea for the wire messages: the byte order and, for every message, its id, size and
    each field's offset, size, kind, scalar and array length, the messages in a canonical order (so
    declaration order does not count). Names, docs, units and the protocol version are left out."""
    canonical = [wire.byte_order, sorted((
        [m.id if m.id is not None else -1, m.size, [
            [f.offset, f.size, f.role, f.element.kind, f.element.scalar.name if f.element.scalar else "",
             f.count if f.count is not None else 0]
            for f in m.fields
        ]]
        for m in messages
    ), key=lambda entry: json.dumps(entry))]
    digest = hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).digest()
    return int.from_bytes(digest[:8], "little")
