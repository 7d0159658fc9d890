"""Shared helpers for abigen's front-end and CLI tests: run the real command, snapshot folders."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def abigen() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_abigen


@pytest.fixture(scope="session")
def tree() -> Callable[[Path], dict[str, bytes | None]]:
    return snapshot
