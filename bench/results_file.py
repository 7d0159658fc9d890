"""bench/RESULTS.md holds one section per benchmark script, each between its own markers, so a
script rewrites its own figures and leaves the others' alone. Each script also writes its raw
figures (every run) as JSON into results/NAME.json beside RESULTS.md, which bench_plots.py
draws."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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


def data_path(results: Path, name: str) -> Path:
    """Where the raw figures of benchmark `name` go for the RESULTS.md at `results`."""
    return results.parent / "results" / f"{name}.json"


def write_data(results: Path, name: str, data: dict[str, Any]) -> Path:
    path = data_path(results, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
