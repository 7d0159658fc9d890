"""Shared fixtures for abigen's front-end and CLI tests: run the real command, snapshot folders
(the helpers themselves are in abigen_cli.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from abigen_cli import run_abigen, snapshot


@pytest.fixture(scope="session")
def abigen() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_abigen


@pytest.fixture(scope="session")
def tree() -> Callable[[Path], dict[str, bytes | None]]:
    return snapshot
