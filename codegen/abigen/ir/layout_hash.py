"""The layout hash: one 64-bit number that changes whenever any byte of the ABI moves.

It covers, for every struct in dependency order, its size and alignment and each field's offset,
size, kind, scalar and array length, with embedded structs named by their position in that order.
Names, docs and units are left out on purpose: a rename is source-only and keeps the hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from abigen.ir.model import Struct


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
