"""The layouts a build of the spec serves: the released minors of its major, then its own.

A Fund built from a spec accepts agents built for an older minor of the same major when that
minor's release lock (schema/history/abi-M.m.lock.json) names the layout hash the agent sends and
the Fund can lay out shared memory for it. It can when `compare` finds no breaking change from the
lock to the spec that makes the `fund_first` upgrade order unsafe (a new Fund with old agents):
then every struct, field and enum value that minor knows is where and what it was, and everything
added since lies in bytes that minor reserved, or is an enum value it handles by its declared
`on_unknown:` policy. Wire messages do not count: they are not shared memory.

The table is generated into the C++ header (`ABI_LAYOUTS`) and the reference doc; the Fund's attach
negotiation looks the negotiated minor up in it (docs/TRANSPORT.md, "Attach").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from abigen.compat.compare import compare
from abigen.compat.sources import load_lock, locks
from abigen.ir.model import AbiVersion, Spec
from abigen.ir.serialize import normalized

_NOT_SHARED_MEMORY = ("messages.", "wire.")


@dataclass(frozen=True)
class ReleasedLayout:
    """One release lock of the spec's major, older than the spec."""

    version: AbiVersion
    layout_hash: int
    lock: str  # the lock file's name, e.g. abi-1.0.lock.json
    refused_by: str = ""  # "" when served; else the first finding that forbids it, "RULE at PATH"

    @property
    def served(self) -> bool:
        return not self.refused_by

    @property
    def layout_hash_hex(self) -> str:
        return f"0x{self.layout_hash:016x}"


def released_layouts(spec: Spec, history: Path) -> tuple[ReleasedLayout, ...]:
    """Every lock in `history` of the spec's major with a lower minor, oldest first, each judged
    servable or not. Locks of other majors, of the spec's own version and of newer minors are left
    out: a build never serves a minor above its own, and its own row comes from the spec."""
    new = normalized(spec)
    found: list[ReleasedLayout] = []
    for version, path in locks(history):
        if version.major != spec.version.major or version.minor >= spec.version.minor:
            continue
        old = load_lock(path)
        refused_by = next((f"{f.rule} at {f.path}" for f in compare(normalized(old), new)
                           if f.severity == "breaking" and "fund_first" in f.breaks_orders
                           and not f.path.startswith(_NOT_SHARED_MEMORY)), "")
        found.append(ReleasedLayout(version, old.layout_hash, path.name, refused_by))
    return tuple(found)
