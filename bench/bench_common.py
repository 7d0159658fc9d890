"""What the bench scripts share: the repository's paths, running a command, the Release build in
build-bench/, the benchmark environment bench/.venv (bench/requirements.txt), and the machine's
description.

Run by itself (`make bench` does, first), it makes or updates bench/.venv and exits.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build-bench"
BENCH_VENV = ROOT / "bench" / ".venv"
REQUIREMENTS = ROOT / "bench" / "requirements.txt"


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run `argv`, capture its output; RuntimeError with the tail of it when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done


@dataclass
class Measured:
    """A finished child process: exit code, output, peak RSS (its ru_maxrss) and wall time."""

    returncode: int
    stdout: str
    stderr: str
    rss_mb: float
    wall_s: float


def run_measured(argv: list[str], timeout: float) -> Measured:
    """Run `argv` to its end (killed after `timeout` s) and take its peak RSS from wait4."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return Measured(proc.returncode, out.read(), err.read(), usage.ru_maxrss / 1024, wall)


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


def bench_venv() -> tuple[Path | None, str]:
    """bench/.venv with everything of bench/requirements.txt (the peers and matplotlib, pinned),
    never in the project's dependencies: (its python, "") or (None, why not). Made when missing;
    the whole file installed in one pip run when it differs from the copy kept in bench/.venv."""
    python = BENCH_VENV / "bin" / "python"
    stamp = BENCH_VENV / "requirements.txt"
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    try:
        if not python.exists():
            print(f"bench: making {BENCH_VENV.relative_to(ROOT)} (python -m venv)", flush=True)
            run([sys.executable, "-m", "venv", str(BENCH_VENV)])
        if not stamp.exists() or stamp.read_text(encoding="utf-8") != wanted:
            print(f"bench: installing {REQUIREMENTS.relative_to(ROOT)} into {BENCH_VENV.relative_to(ROOT)}", flush=True)
            run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                 str(REQUIREMENTS)], timeout=1800)
            stamp.write_text(wanted, encoding="utf-8")
        return python, ""
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return None, (f"could not install {REQUIREMENTS.relative_to(ROOT)} into {BENCH_VENV.relative_to(ROOT)}: "
                      f"{error}").replace("\n", " ")


def pinned(name: str) -> str:
    """NAME==VERSION of `name` as bench/requirements.txt pins it."""
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement.split("==")[0].lower() == name.lower():
            return requirement
    raise KeyError(f"{name} is not in {REQUIREMENTS}")


def bench_venv_package(name: str, module: str) -> tuple[Path | None, str]:
    """bench/.venv (bench_venv()) with package `name` importable as `module` at the version
    bench/requirements.txt pins: (its python, "") or (None, why not)."""
    python, why = bench_venv()
    if python is None:
        return None, why
    requirement = pinned(name)
    version = requirement.split("==")[1]
    check = subprocess.run([str(python), "-c", (f"import {module}, importlib.metadata as m; "
                            f"print(m.version({name!r}))")], capture_output=True, text=True, check=False)
    if check.returncode != 0 or check.stdout.strip() != version:
        return None, (f"{requirement} is not importable in {BENCH_VENV.relative_to(ROOT)}: "
                      f"{(check.stderr.strip() or check.stdout.strip())[-300:]}").replace("\n", " ")
    return python, ""


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


if __name__ == "__main__":
    made, reason = bench_venv()
    print(f"bench: {BENCH_VENV.relative_to(ROOT)} ready" if made else f"bench: {reason}", file=sys.stderr)
    sys.exit(0 if made else 1)
