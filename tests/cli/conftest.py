"""Fixtures of the operator CLI's tests (``fundos`` in sdks/python/src/fundos/cli) and of the
example agents' tests: the repository paths, tests/sdk's FakeFund, and the C example built."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "sdk"))  # sdk_fakefund: a Fund in Python for one agent

from cli_helpers import FAKE_FUND, wrapper
from sdk_fakefund import FakeFund


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeFund]:
    made = FakeFund(tmp_path)
    try:
        yield made
    finally:
        made.close()


def _build_dir() -> Path:
    return Path(os.environ.get("FUNDOS_BUILD_DIR") or REPO / "build")


@pytest.fixture(scope="session")
def breakout_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fundos_breakout_agent from the CMake build when it is there (sdks/c includes
    examples/examples.cmake), else built here: the C SDK stand-alone plus examples.cmake."""
    built = _build_dir() / "sdks" / "c" / "fundos_breakout_agent"
    if built.is_file():
        return built
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed: cannot build the C example")
    project = tmp_path_factory.mktemp("breakout-project")
    (project / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\n"
        "project(fundos_examples LANGUAGES C)\n"
        "set(CMAKE_C_STANDARD 11)\nset(CMAKE_C_STANDARD_REQUIRED ON)\nset(CMAKE_C_EXTENSIONS OFF)\n"
        "add_compile_options(-Wall -Wextra -Werror)\n"
        f"add_subdirectory({REPO / 'sdks' / 'c'} sdk)\n"
        f"include({REPO / 'sdks' / 'c' / 'examples' / 'examples.cmake'})\n")
    build = project / "build"
    for argv in (["cmake", "-S", str(project), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"],
                 ["cmake", "--build", str(build), "--target", "fundos_breakout_agent", "-j2"]):
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    binary = build / "fundos_breakout_agent"
    assert binary.is_file()
    return binary


@pytest.fixture
def fake_fund(tmp_path: Path) -> Path:
    """An executable `fund` that is tests/cli/fake_fund.py."""
    return wrapper(tmp_path / "bin" / "fund", FAKE_FUND)
