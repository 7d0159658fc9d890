"""What the bench scripts share: the repository's paths, running a command, the Release build in
build-bench/, a package in bench/.venv, and the machine's description."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build-bench"
BENCH_VENV = ROOT / "bench" / ".venv"


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run `argv`, capture its output; RuntimeError with the tail of it when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done


def cache_value(name: str) -> str:
    """A variable of build-bench/CMakeCache.txt ("" when absent)."""
    for line in (BUILD / "CMakeCache.txt").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split("=", 1)[1]
    return ""


def build_release(targets: list[str]) -> Path:
    """Configure build-bench/ (CMake Release, -DFUNDOS_SANITIZE=OFF) and build `targets`; the C
    compiler CMake found, for the bench's own C programs."""
    run(["cmake", "-S", str(ROOT), "-B", str(BUILD), "-DCMAKE_BUILD_TYPE=Release", "-DFUNDOS_SANITIZE=OFF"])
    run(["cmake", "--build", str(BUILD), "-j2", "--target", *targets])
    return Path(cache_value("CMAKE_C_COMPILER") or "cc")


def compile_c(cc: Path, sources: list[Path], out: Path, agent_sdk: bool = False) -> Path:
    """Compile a bench C program (-O2, warnings as errors), with the C SDK when `agent_sdk`."""
    flags = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"]
    sdk: list[str] = []
    if agent_sdk:
        sdk = ["-I", str(ROOT / "sdks/c/include"), "-I", str(ROOT / "generated/c")]
    libs = [str(BUILD / "sdks/c/libfundos_agent.a"), "-lm"] if agent_sdk else []
    out.parent.mkdir(parents=True, exist_ok=True)
    run([str(cc), *flags, *sdk, *map(str, sources), *libs, "-o", str(out)])
    return out


def bench_venv_package(requirement: str, module: str) -> tuple[Path | None, str]:
    """bench/.venv (made if missing) with `requirement` (NAME==VERSION) installed, never in the
    project's dependencies: (its python, "") or (None, why not)."""
    python = BENCH_VENV / "bin" / "python"
    name, version = requirement.split("==")
    try:
        if not python.exists():
            run([sys.executable, "-m", "venv", str(BENCH_VENV)])
        check = subprocess.run([str(python), "-c", (f"import {module}, importlib.metadata as m; "
                                f"print(m.version({name!r}))")], capture_output=True, text=True, check=False)
        if check.returncode != 0 or check.stdout.strip() != version:
            run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement])
        return python, ""
    except (RuntimeError, OSError) as error:
        return None, f"could not install {requirement} into {BENCH_VENV.relative_to(ROOT)}: {error}".replace("\n", " ")


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in run(["lscpu"]).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (RuntimeError, OSError):
        pass
    return (f"{platform.machine()}, {model}, {os.cpu_count()} cores; Linux {platform.release()}; "
            f"Python {platform.python_version()}")


def load_average() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())
