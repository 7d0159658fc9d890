"""bench/RESULTS.md holds one section per benchmark script, each between its own markers, so a
script rewrites its own figures and leaves the others' alone."""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, name: str, text: str) -> None:
    begin, end = f"<!-- {name}-bench:begin -->", f"<!-- {name}-bench:end -->"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        _, tail = rest.split(end, 1)
        new = head + block + tail.lstrip("\n")
    else:
        new = current.rstrip("\n") + ("\n\n" if current else "") + block
    path.write_text(new, encoding="utf-8")
