"""Helpers of the CLI's tests: run `fundos` as a process, and write stand-in programs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FAKE_FUND = HERE / "fake_fund.py"
FAKE_AGENT = HERE / "fake_agent.py"


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without FUNDOS_* (so no real build is found by accident), plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FUNDOS_")}
    env.update(extra or {})
    return env


def fundos(args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m fundos.cli ARGS`` (what the console script runs)."""
    return subprocess.run([sys.executable, "-m", "fundos.cli", *args], cwd=cwd, env=dict(env or clean_env()),
                          capture_output=True, text=True, timeout=timeout, check=False)


def wrapper(path: Path, script: Path) -> Path:
    """An executable at ``path`` that runs ``script`` under this interpreter with its arguments."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    path.chmod(0o755)
    return path


def echo_program(path: Path) -> Path:
    """An executable that prints ``argv: ARG ARG ...`` and exits 3."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('#!/bin/sh\necho "argv: $*"\nexit 3\n')
    path.chmod(0o755)
    return path
