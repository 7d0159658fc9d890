"""Fixtures of the transport tests: the built programs and a cluster of real processes.

Programs come from the CMake build tox made (FUNDOS_BUILD_DIR), or from a Debug build of our own
under build/ (as tests/layout does): ``fundos-transport-host`` (fund/), the C SDK example
``fundos_momentum_agent`` (sdks/c/) and the C test agents of tests/transport/agents/ (built by
the root CMakeLists.txt when it has ``add_subdirectory(tests/transport)``, otherwise by this
fixture as a project of its own in BUILD/transport-test-agents, with the build's type and
sanitizers). Python agents run under this interpreter and need the ``fundos`` package.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from transport_harness import ROOT, TEST_AGENTS, Binaries, Cluster

HERE = Path(__file__).resolve().parent


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _cache_value(build: Path, name: str, default: str) -> str:
    cache = build / "CMakeCache.txt"
    if cache.is_file():
        match = re.search(rf"^{name}:[A-Z]+=(.*)$", cache.read_text(errors="replace"), re.MULTILINE)
        if match and match.group(1):
            return match.group(1)
    return default


@pytest.fixture(scope="session")
def binaries() -> Binaries:
    given = os.environ.get("FUNDOS_BUILD_DIR")
    build = Path(given) if given else ROOT / "build"
    if not given:
        _run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Debug"])
        _run(["cmake", "--build", str(build), "-j2", "--target", "fundos-transport-host", "fundos_momentum_agent"])
    host = build / "fund" / "fundos-transport-host"
    momentum = build / "sdks" / "c" / "fundos_momentum_agent"
    for program in (host, momentum):
        assert program.is_file(), f"{program} was not built (cmake --build {build})"
    in_tree = build / "tests" / "transport"
    if all((in_tree / f"transport_agent_{name}").is_file() for name in TEST_AGENTS):
        agent_dir = in_tree
    else:
        agent_dir = build / "transport-test-agents"
        build_type = _cache_value(build, "CMAKE_BUILD_TYPE", "Debug")
        sanitize = _cache_value(build, "FUNDOS_SANITIZE", "ON")
        _run(["cmake", "-S", str(HERE), "-B", str(agent_dir), f"-DCMAKE_BUILD_TYPE={build_type}",
              f"-DFUNDOS_SANITIZE={sanitize}"])
        _run(["cmake", "--build", str(agent_dir), "-j2"])
    agents = {name: agent_dir / f"transport_agent_{name}" for name in TEST_AGENTS}
    for path in agents.values():
        assert path.is_file(), f"{path} was not built"
    return Binaries(build, host, momentum, agents)


@pytest.fixture(scope="session")
def fundos_sdk() -> ModuleType:
    """The Python SDK; a clear failure (never a skip) when it is not installed."""
    try:
        import fundos
    except ImportError as error:
        pytest.fail(f"the Python SDK `fundos` cannot be imported ({error}); install it into this environment: "
                    "python -m pip install -e sdks/python (tox does this before pytest)")
    return fundos


@pytest.fixture
def cluster(binaries: Binaries, tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(binaries, tmp_path)
    try:
        yield made
    finally:
        made.teardown()
