"""A verdict as text (one line per finding), JSON, SARIF 2.1.0 or a Markdown changelog."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abigen import __version__
from abigen.compat.compare import Finding, Flow, Order, Side
from abigen.compat.policy import Verdict
from abigen.compat.rules import RULES
from abigen.diagnostics import SpecError
from abigen.frontend.yaml_source import SourceMap, YamlPath, parse_yaml

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_WHO: dict[tuple[Flow, Side], str] = {
    ("fund -> agent", "old_readers"): "old agents reading a new Fund",
    ("fund -> agent", "new_readers"): "new agents reading an old Fund",
    ("agent -> fund", "old_readers"): "an old Fund reading new agents",
    ("agent -> fund", "new_readers"): "a new Fund reading old agents",
}
_ORDER_TEXT = {
    ("fund_first", "agents_first"): "either upgrade order is safe",
    ("fund_first",): "safe only if the Fund is upgraded before agents",
    ("agents_first",): "safe only if agents are upgraded before the Fund",
    (): "no upgrade order is safe",
}


@dataclass(frozen=True)
class Sides:
    """How to name the two specs in reports: a label (path, lock file or git:REF) and, for the new
    spec when it is a file, its text so findings can point at lines."""

    base_label: str
    new_label: str
    new_text: str | None = None


def impact(finding: Finding) -> str:
    """Which mixed-version pairs the finding hurts, and the upgrade orders left safe."""
    if finding.severity == "policy":
        return ""
    if not finding.affects:
        return "safe in both directions"
    hurt = [_WHO[(flow, side)] for flow in finding.flows for side in finding.affects]
    safe = tuple(o for o in ("fund_first", "agents_first") if o not in finding.breaks_orders)
    who = "every mixed-version reader, in both directions" if len(hurt) == len(_WHO) else ", ".join(hurt)
    return f"hurts {who}; {_ORDER_TEXT[safe]}"


def order_text(orders: tuple[Order, ...]) -> str:
    return _ORDER_TEXT[tuple(orders)]


class Locator:
    """Maps a finding path (structs.X.fields.y, enums.E.values.V, allow_breaking[2]) to a line of
    the new spec; a deleted item maps to its nearest surviving parent."""

    def __init__(self, label: str, text: str | None) -> None:
        self.label = label
        self.data: Any = None
        self.source: SourceMap | None = None
        if text is not None:
            try:
                self.data, self.source = parse_yaml(text, Path(label))
            except SpecError:  # the spec loaded already; a failure here only loses line numbers
                self.source = None

    def yaml_path(self, path: str) -> YamlPath:
        indexed = re.fullmatch(r"([a-z_]+)\[([0-9]+)\]", path)
        if indexed:
            return (indexed[1], int(indexed[2]))
        parts = path.split(".")
        if len(parts) >= 4 and parts[0] in ("structs", "messages") and parts[2] == "fields" \
                and isinstance(self.data, dict):
            items = self.data.get(parts[0], {}).get(parts[1], {}).get("fields", [])
            index = next((i for i, item in enumerate(items) if isinstance(item, dict) and item.get("name") == parts[3]),
                         None)
            return (parts[0], parts[1], "fields") + ((index,) if index is not None else ())
        return tuple(parts)

    def locate(self, path: str) -> tuple[int, int] | None:
        if self.source is None:
            return None
        location = self.source.locate(self.yaml_path(path))
        return (location.line, location.column) if location.line > 0 else None


def _status_label(finding: Finding) -> str:
    if finding.allowed is not None:
        return f"breaking[{finding.rule}] (accepted until {finding.allowed.expires}: {finding.allowed.reason})"
    return f"{finding.severity}[{finding.rule}]"


def summary(verdict: Verdict, sides: Sides) -> str:
    old, new = verdict.old, verdict.new
    counts = (f"{verdict.count('breaking')} breaking, {verdict.allowed} accepted, {verdict.count('compatible')} "
              f"compatible, {verdict.count('source')} source-only")
    bump = {"major": "needs a MAJOR bump", "minor": "needs a MINOR bump", "none": "needs no version bump"}
    return (f"abigen compat: {old.name} {old.version} ({sides.base_label}) -> {new.version} ({sides.new_label}): "
            f"{counts}; {bump[verdict.required_bump]}; {order_text(verdict.safe_orders)}; "
            f"exit {verdict.exit_status}")


def text(verdict: Verdict, sides: Sides) -> str:
    locator = Locator(sides.new_label, sides.new_text)
    lines = []
    for finding in verdict.findings:
        where = locator.locate(finding.path)
        prefix = f"{sides.new_label}:{where[0]}:{where[1]}: " if where else ""
        tail = impact(finding)
        lines.append(f"{prefix}{_status_label(finding)}: {finding.path}: {finding.old} -> {finding.new}: "
                     f"{finding.why}{f' ({tail})' if tail else ''}")
    lines.append(summary(verdict, sides))
    return "\n".join(lines) + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule, "severity": finding.severity, "path": finding.path, "old": finding.old,
        "new": finding.new, "why": finding.why, "flows": list(finding.flows), "affects": list(finding.affects),
        "breaks_orders": list(finding.breaks_orders), "impact": impact(finding),
        "accepted": None if finding.allowed is None else {
            "reason": finding.allowed.reason, "expires": finding.allowed.expires},
    }


def _side_json(label: str, verdict_spec: Any) -> dict[str, Any]:
    return {"source": label, "name": verdict_spec.name, "version": str(verdict_spec.version),
            "layout_hash": verdict_spec.layout_hash_hex}


def to_json(verdict: Verdict, sides: Sides) -> str:
    document = {
        "base": _side_json(sides.base_label, verdict.old),
        "new": _side_json(sides.new_label, verdict.new),
        "findings": [_finding_json(f) for f in verdict.findings],
        "summary": {
            "breaking": verdict.count("breaking"), "accepted": verdict.allowed,
            "compatible": verdict.count("compatible"), "source": verdict.count("source"),
            "policy": verdict.count("policy"), "required_bump": verdict.required_bump,
            "safe_upgrade_orders": list(verdict.safe_orders), "exit_status": verdict.exit_status,
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _level(finding: Finding) -> str:
    if finding.severity == "breaking":
        return "note" if finding.allowed is not None else "error"
    if finding.rule in ("VERSION_NOT_BUMPED", "WIRE_VERSION_NOT_BUMPED", "ALLOW_BREAKING_EXPIRED"):
        return "error"
    if finding.rule == "ALLOW_BREAKING_UNUSED":
        return "warning"
    return "note"


def to_sarif(verdict: Verdict, sides: Sides) -> str:
    locator = Locator(sides.new_label, sides.new_text)
    rule_ids = list(RULES)
    rules = [
        {
            "id": rule.id, "name": "".join(part.capitalize() for part in rule.id.split("_")),
            "shortDescription": {"text": rule.summary}, "fullDescription": {"text": f"{rule.summary} {rule.why}"},
            "defaultConfiguration": {"level": "error" if rule.severity == "breaking" else "note"},
            "properties": {"severity": rule.severity},
        }
        for rule in RULES.values()
    ]
    results = []
    for finding in verdict.findings:
        physical: dict[str, Any] = {"artifactLocation": {"uri": sides.new_label}}
        where = locator.locate(finding.path)
        if where:
            physical["region"] = {"startLine": where[0], "startColumn": where[1]}
        tail = impact(finding)
        result: dict[str, Any] = {
            "ruleId": finding.rule, "ruleIndex": rule_ids.index(finding.rule), "level": _level(finding),
            "message": {"text": f"{finding.path}: {finding.old} -> {finding.new}: {finding.why}"
                                f"{f' ({tail})' if tail else ''}"},
            "locations": [{"physicalLocation": physical,
                           "logicalLocations": [{"fullyQualifiedName": finding.path}]}],
            "properties": {k: v for k, v in _finding_json(finding).items() if k not in ("rule", "path", "why")},
        }
        if finding.allowed is not None:
            result["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                       "justification": f"{finding.allowed.reason} (until {finding.allowed.expires})"}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "abigen", "version": __version__, "informationUri":
                                "https://fundos.dev/abigen", "rules": rules}},
            "invocations": [{"executionSuccessful": True, "exitCode": verdict.exit_status}],
            "results": results,
            "properties": {"base": _side_json(sides.base_label, verdict.old),
                           "new": _side_json(sides.new_label, verdict.new),
                           "required_bump": verdict.required_bump,
                           "safe_upgrade_orders": list(verdict.safe_orders)},
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def changelog(verdict: Verdict, sides: Sides) -> str:
    old, new = verdict.old, verdict.new
    lines = [
        f"# {new.name} ABI {old.version} → {new.version}", "",
        "| | base | new |", "| --- | --- | --- |",
        f"| version | {old.version} | {new.version} |",
        f"| layout hash | `{old.layout_hash_hex}` | `{new.layout_hash_hex}` |",
        *([(f"| wire hash | {f'`{old.wire_hash_hex}`' if old.wire else '(none)'} | "
            f"{f'`{new.wire_hash_hex}`' if new.wire else '(none)'} |")] if old.wire or new.wire else []),
        f"| from | `{sides.base_label}` | `{sides.new_label}` |", "",
        (f"Required bump: **{verdict.required_bump.upper() if verdict.required_bump != 'none' else 'none'}**; "
         f"{order_text(verdict.safe_orders)}."), "",
    ]
    sections = (
        ("Breaking changes", lambda f: f.severity == "breaking" and f.allowed is None),
        ("Breaking changes accepted by `allow_breaking:`", lambda f: f.allowed is not None),
        ("Compatible changes", lambda f: f.severity == "compatible" and f.rule != "DEPRECATED"),
        ("Deprecated", lambda f: f.rule == "DEPRECATED"),
        ("Source-only changes", lambda f: f.severity == "source"),
        ("Versioning", lambda f: f.severity == "policy"),
    )
    chosen: list[tuple[str, Callable[[Finding], bool]]] = list(sections)
    if not verdict.findings:
        lines += ["No ABI changes.", ""]
    for title, wanted in chosen:
        found = [f for f in verdict.findings if wanted(f)]
        if not found:
            continue
        lines += [f"## {title}", ""]
        for finding in found:
            accepted = f" Accepted until {finding.allowed.expires}: {finding.allowed.reason}." if finding.allowed else ""
            tail = impact(finding)
            lines.append(f"- `{finding.path}`: {finding.old} → {finding.new} — {finding.why}"
                         f"{f' ({tail})' if tail and finding.affects else ''}.{accepted} [{finding.rule}]")
        lines.append("")
    return "\n".join(lines)
