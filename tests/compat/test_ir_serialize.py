"""ir/serialize.py: the IR as deterministic JSON and back; what a lock file holds."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

from abigen.frontend import load_spec, load_spec_text
from abigen.ir.serialize import (
    IrFormatError,
    dumps,
    lock_to_dict,
    normalized,
    spec_from_dict,
    spec_from_lock,
    spec_to_dict,
)

ROOT = Path(__file__).resolve().parents[2]
REAL_SPEC = ROOT / "schema" / "abi.yaml"


def declared_version() -> str:
    """The live spec's `abi.version` as its author wrote it, read from the YAML without abigen."""
    version = yaml.safe_load(REAL_SPEC.read_text(encoding="utf-8"))["abi"]["version"]
    assert isinstance(version, str)
    return version


def test_round_trip_keeps_every_layout_fact() -> None:
    spec = load_spec(REAL_SPEC)
    data = spec_to_dict(spec)
    again = spec_from_dict(json.loads(dumps(data)))
    assert spec_to_dict(again) == data
    assert again.layout_hash == spec.layout_hash and again.version == spec.version
    assert [s.name for s in again.structs] == [s.name for s in spec.structs]  # dependency order kept
    for before, after in zip(spec.structs, again.structs, strict=True):
        assert (before.size, before.align, before.role, before.direction) == (after.size, after.align, after.role,
                                                                              after.direction)
        for f, g in zip(before.fields, after.fields, strict=True):
            assert (f.name, f.offset, f.size, f.element, f.count, f.unit, f.decimals, f.atomic) == \
                   (g.name, g.offset, g.size, g.element, g.count, g.unit, g.decimals, g.atomic)
    assert normalized(normalized(spec)) == normalized(spec)


def test_text_is_deterministic_sorted_and_indented() -> None:
    spec = load_spec(REAL_SPEC)
    text = dumps(lock_to_dict(spec))
    assert text == dumps(lock_to_dict(load_spec(REAL_SPEC)))
    assert text.endswith("}\n") and f'\n  "abi_version": "{declared_version()}",' in text
    data = json.loads(text)["ir"]
    for section in ("units", "constants", "enums", "types"):
        assert list(data[section]) == sorted(data[section])
    for enum in data["enums"].values():
        assert [v["value"] for v in enum["values"]] == sorted(v["value"] for v in enum["values"])


def test_declaration_order_and_docs_do_not_change_the_lock() -> None:
    text = REAL_SPEC.read_text(encoding="utf-8")
    reordered = text.replace("  MAX_AGENTS:\n    type: u32\n    value: 32\n    doc: Capacity of the agent table.\n", "")
    reordered = reordered.replace("constants:\n", "constants:\n  MAX_AGENTS: {type: u32, value: 32}\n", 1)
    reordered = reordered.replace("Shared memory between the Fund and its agents.", "Other words.")
    assert reordered != text
    original = dumps(lock_to_dict(load_spec_text(text, REAL_SPEC)))
    assert dumps(lock_to_dict(load_spec_text(reordered, REAL_SPEC))) == original


def test_wrong_documents_are_refused_with_a_path() -> None:
    data = spec_to_dict(load_spec(REAL_SPEC))
    cases = [
        (lambda d: d.update(format="other"), "ir.format: expected 'abigen-ir/1'"),
        (lambda d: d["structs"][0].pop("size"), "ir.structs[0]: missing 'size'"),
        (lambda d: d["structs"][1]["fields"][0].update(offset="8"), "ir.structs[1].fields[0].offset: expected an integer"),
        (lambda d: d["structs"][1]["fields"][0].update(type="u16"), "does not match its element"),
        (lambda d: d["structs"][1]["fields"][0].update(offset=4), "ir.layout_hash: recorded"),
        (lambda d: d["structs"].reverse(), "declared after it"),
        (lambda d: d["abi"].update(version="1"), "ir.abi.version: expected MAJOR.MINOR"),
        (lambda d: d["enums"]["Side"].update(type="u128"), "ir.enums.Side.type: expected a scalar type"),
    ]
    for change, message in cases:
        broken = copy.deepcopy(data)
        change(broken)
        with pytest.raises(IrFormatError, match=None) as raised:
            spec_from_dict(broken)
        assert message in str(raised.value), (message, str(raised.value))


def test_lock_version_must_match_its_ir() -> None:
    lock = lock_to_dict(load_spec(REAL_SPEC))
    version = declared_version()
    major, minor = version.split(".")
    lock["abi_version"] = f"{major}.{int(minor) + 1}"  # well-formed, but not the IR's
    with pytest.raises(IrFormatError, match=re.escape(f"differs from the IR's {version}")):
        spec_from_lock(lock)
    with pytest.raises(IrFormatError, match="lock.format"):
        spec_from_lock(spec_to_dict(load_spec(REAL_SPEC)))
