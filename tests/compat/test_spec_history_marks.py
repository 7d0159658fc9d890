"""The spec language for evolution: renamed_from, deprecated, role, allow_breaking (E601-E605),
and the reference doc's rules section."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import yaml
from compat_pairs import BASE_YAML

from abigen.compat.policy import evaluate
from abigen.compat.rules import RULES
from abigen.diagnostics import SpecError
from abigen.frontend import load_spec, load_spec_text
from abigen.targets import render_all

ROOT = Path(__file__).resolve().parents[2]


def load(text: str) -> object:
    return load_spec_text(text, Path("spec.yaml"))


def codes(text: str) -> list[str]:
    with pytest.raises(SpecError) as raised:
        load(text)
    return [d.code for d in raised.value.diagnostics]


MARKED = BASE_YAML.replace(
    "      - {name: b, type: u64}", "      - {name: bee, type: u64, renamed_from: b, deprecated: use c}"
).replace(
    "      B: {value: 2}", "      BETA: {value: 2, renamed_from: B, deprecated: unused}"
).replace(
    "  Stats:\n", "  Counters:\n    renamed_from: Stats\n    deprecated: moved to Hole\n"
).replace(
    "  SLOTS: {type: u32, value: 4}", "  ROWS: {type: u32, value: 4, renamed_from: SLOTS, deprecated: fixed}"
).replace("Cell[SLOTS]", "Cell[ROWS]") + """\
allow_breaking:
  - {rule: FIELD_NO_DELETE, path: structs.Slot.fields.name, reason: replaced by kind, expires: 2027-01-31}
  - {rule: STRUCT_SAME_SIZE, path: structs.Slot.size, reason: larger slots, expires: "2027-02-01"}
"""


def test_marks_reach_the_ir() -> None:
    spec = load_spec_text(MARKED, Path("spec.yaml"))
    hole = spec.struct("Hole")
    assert (hole.field("bee").renamed_from, hole.field("bee").deprecated) == ("b", "use c")
    assert hole.field("a").renamed_from == "" and hole.role == ""
    counters = spec.struct("Counters")
    assert (counters.renamed_from, counters.deprecated) == ("Stats", "moved to Hole")
    assert spec.struct("Header").role == "region_header" and spec.struct("Slot").role == "ring_slot"
    beta = next(v for v in spec.enum("Kind").values if v.name == "BETA")
    assert (beta.renamed_from, beta.deprecated) == ("B", "unused")
    rows = next(c for c in spec.constants if c.name == "ROWS")
    assert (rows.renamed_from, rows.deprecated) == ("SLOTS", "fixed")
    assert [(a.rule, a.path, a.expires) for a in spec.allow_breaking] == [
        ("FIELD_NO_DELETE", "structs.Slot.fields.name", "2027-01-31"),  # an unquoted YAML date
        ("STRUCT_SAME_SIZE", "structs.Slot.size", "2027-02-01"),
    ]
    base = load_spec_text(BASE_YAML, Path("base.yaml"))
    assert spec.layout_hash == base.layout_hash  # names and marks never change the layout


def test_marks_are_compared() -> None:
    base = load_spec_text(BASE_YAML, Path("base.yaml"))
    new = load_spec_text(MARKED.replace('version: "1.0"', 'version: "1.1"'), Path("new.yaml"))
    verdict = evaluate(base, new, datetime.date(2026, 11, 25))
    found = {(f.rule, f.path) for f in verdict.findings}
    assert found == {
        ("RENAMED", "structs.Hole.fields.bee"), ("DEPRECATED", "structs.Hole.fields.bee"),
        ("RENAMED", "enums.Kind.values.BETA"), ("DEPRECATED", "enums.Kind.values.BETA"),
        ("RENAMED", "structs.Counters"), ("DEPRECATED", "structs.Counters"),
        ("RENAMED", "constants.ROWS"), ("DEPRECATED", "constants.ROWS"),
        ("ALLOW_BREAKING_UNUSED", "allow_breaking[0]"), ("ALLOW_BREAKING_UNUSED", "allow_breaking[1]"),
    }
    assert verdict.exit_status == 4 and verdict.required_bump == "minor"


@pytest.mark.parametrize(("old", "new", "code"), [
    ("      - {name: a, type: u32}", "      - {name: a, type: u32, renamed_from: a}", "E601"),
    ("      - {name: b, type: u64}", "      - {name: bee, type: u64, renamed_from: a}", "E602"),
    ("      - {name: c, type: u32}", ("      - {name: c, type: u32, renamed_from: z}\n      - {name: d, type: u32, "
                                     "renamed_from: z}"), "E602"),
    ("  Inner:\n", "  Inner:\n    renamed_from: Outer\n", "E602"),
    ("      B: {value: 2}", "      B: {value: 2, renamed_from: A}", "E602"),
    ("  Stats:\n    direction: fund -> agent\n", "  Stats:\n    direction: fund -> agent\n    role: region_header\n",
     "E603"),
    ("units:", "allow_breaking:\n  - {rule: X, path: p, reason: r, expires: '2027-02-30'}\nunits:", "E604"),
    ("units:", "allow_breaking:\n  - {rule: X, path: p, reason: r, expires: '2027'}\nunits:", "E201"),
    ("units:", ("allow_breaking:\n  - {rule: X, path: p, reason: r, expires: 2027-01-01}\n"
               "  - {rule: X, path: p, reason: again, expires: 2027-01-01}\nunits:"), "E605"),
    ("units:", "allow_breaking:\n  - {rule: X, path: p, expires: 2027-01-01}\nunits:", "E201"),
    ("    role: ring_slot\n", "    role: slot\n", "E201"),
    ("      - {name: a, type: u32}", "      - {name: a, type: u32, deprecated: ''}", "E201"),
])
def test_bad_marks_are_spec_errors(old: str, new: str, code: str) -> None:
    assert BASE_YAML.count(old) == 1
    assert code in codes(BASE_YAML.replace(old, new))


def test_schema_documents_the_new_keys() -> None:
    schema = (ROOT / "schema" / "abi.schema.json").read_text(encoding="utf-8")
    for key in ("renamed_from", "deprecated", "role", "allow_breaking", "region_header", "ring_slot", "expires"):
        assert f'"{key}"' in schema


def test_the_real_spec_marks_the_header_and_the_ring_slots() -> None:
    spec = load_spec(ROOT / "schema" / "abi.yaml")
    assert {s.name: s.role for s in spec.structs if s.role} == {
        "RegionHeader": "region_header", "IntentRecord": "ring_slot", "IntentReport": "ring_slot"}


def test_reference_doc_lists_every_rule() -> None:
    doc = (ROOT / "generated" / "docs" / "ABI.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z_]+)` \| (breaking|compatible|source|policy) \| (.*) \|$", doc, re.MULTILINE)
    assert [(rule, severity) for rule, severity, _ in rows] == [(r.id, r.severity) for r in RULES.values()]
    for rule, _, text in rows:
        assert text == f"{RULES[rule].summary} {RULES[rule].why}", rule
    assert "the region header, frozen forever, is `RegionHeader`" in doc


def test_reference_doc_lists_accepted_breaks() -> None:
    files = render_all(load_spec_text(MARKED, Path("spec.yaml")), "spec.yaml")
    doc = files["docs/ABI.md"].decode()
    assert "### Accepted breaks" in doc
    assert "| `FIELD_NO_DELETE` | `structs.Slot.fields.name` | replaced by kind | 2027-01-31 |" in doc
    assert "### Accepted breaks" not in render_all(load_spec_text(BASE_YAML, Path("b.yaml")), "b")["docs/ABI.md"].decode()
    assert yaml.safe_load(MARKED)["allow_breaking"][0]["expires"] == datetime.date(2027, 1, 31)
