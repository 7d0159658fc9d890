"""Run the real `abigen` command and snapshot folders: the codegen tests' helpers (conftest.py
hands them out as fixtures) and the soak suite's bad-input scenario (tests/soak)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_abigen(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m abigen ARGS` in a fresh interpreter, as a user would run it (from the project
    root unless `cwd` is given)."""
    return subprocess.run(
        [sys.executable, "-m", "abigen", *(str(a) for a in args)],
        cwd=cwd or ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under `folder` (hidden ones too): files map to their bytes, folders to None."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }
