#!/usr/bin/env python3
"""Write docs/ENGINE.md from the SPEC blocks of the engine's headers, or check that it is fresh.

The engine's rules (risk order, netting, execution, accounting, rounding, journal records) are
written once, as a comment block starting `// SPEC (` in the header that implements them, next to
the code. docs/ENGINE.md quotes those blocks verbatim, in a fixed order; this script is the only
writer of that file.

    python fund/tools/engine_doc.py            rewrite docs/ENGINE.md
    python fund/tools/engine_doc.py --check    exit 1, naming the file, when it is stale

Exit status: 0 done (or fresh), 1 stale, 2 a header has no SPEC block or cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path("docs/ENGINE.md")
MARKER = "// SPEC ("


@dataclass(frozen=True)
class Section:
    title: str
    header: str  # relative to the repository root


SECTIONS = (
    Section("Steps, sequencing and risk", "fund/include/fundos/engine/engine.hpp"),
    Section("Configuration changes while running", "fund/include/fundos/engine/config_change.hpp"),
    Section("Netting and allocation", "fund/include/fundos/engine/netting.hpp"),
    Section("Simulated execution", "fund/include/fundos/engine/execution.hpp"),
    Section("Accounting", "fund/include/fundos/engine/ledger.hpp"),
    Section("Fixed point and rounding", "fund/include/fundos/engine/fixed_point.hpp"),
    Section("Journal records", "fund/include/fundos/engine/journal_records.hpp"),
)


class SpecError(Exception):
    """A header the document needs is missing or has no SPEC block."""


def spec_block(path: Path) -> str:
    """The SPEC comment block of `path`, without its `//` prefixes and its first line (the
    marker and what follows it inside the parentheses)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise SpecError(f"{path}: cannot read: {error.strerror}") from error
    start = next((i for i, line in enumerate(lines) if line.startswith(MARKER)), None)
    if start is None:
        raise SpecError(f"{path}: no comment block starting '{MARKER}'")
    # The marker's parenthesis may run over several comment lines; the rule text starts after it.
    body_start = start
    while ")" not in lines[body_start]:
        body_start += 1
        if body_start >= len(lines) or not lines[body_start].startswith("//"):
            raise SpecError(f"{path}:{start + 1}: the SPEC marker's parenthesis is never closed")
    block: list[str] = []
    for line in lines[body_start + 1:]:
        if not line.startswith("//"):
            break
        block.append(line[3:] if line.startswith("// ") else line[2:])
    while block and not block[0].strip():
        block.pop(0)
    while block and not block[-1].strip():
        block.pop()
    return "\n".join(block)


def render(root: Path) -> str:
    parts = [
        "# The engine's rules",
        "",
        "Written by `fund/tools/engine_doc.py` from the SPEC comment blocks of the headers that",
        "implement each rule; do not edit by hand (change the header, then run",
        "`python fund/tools/engine_doc.py`; the tests fail while this file is stale). docs/FUND.md",
        "describes the process around the engine: steps, agents, the journal and recovery.",
        "",
    ]
    for section in SECTIONS:
        parts += [f"## {section.title}", "", f"From `{section.header}`:", "", "```text",
                  spec_block(root / section.header), "```", ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help=f"do not write; exit 1 when {OUTPUT} is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this script's)")
    args = parser.parse_args(argv)
    try:
        text = render(args.root)
    except SpecError as error:
        print(f"engine_doc: {error}", file=sys.stderr)
        return 2
    target = args.root / OUTPUT
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if args.check:
        if current != text:
            print(f"engine_doc: {target} is stale: run python fund/tools/engine_doc.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        temporary = target.with_suffix(".md.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)  # never a half-written document
        print(f"engine_doc: wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
