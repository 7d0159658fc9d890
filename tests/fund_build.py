"""The CMake build the tests run against: ``$FUNDOS_BUILD_DIR``, which `make test` (tox) sets. One
lookup for every suite that starts the Fund's binaries; a missing build fails the test, with what
to do, rather than skipping it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def build_dir(*binaries: str) -> Path:
    """The build folder, after checking it holds fund/fund, fund/fundos-data and `binaries`
    (paths relative to it)."""
    value = os.environ.get("FUNDOS_BUILD_DIR")
    if not value:
        pytest.fail("FUNDOS_BUILD_DIR is not set: run `make test`, or build with CMake and point "
                    "FUNDOS_BUILD_DIR at the build folder")
    build = Path(value)
    for binary in ("fund/fund", "fund/fundos-data", *binaries):
        assert (build / binary).exists(), f"{build / binary} is missing: build it first (cmake --build {build})"
    return build
