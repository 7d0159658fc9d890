"""Find the native programs the CLI drives: the Fund (``fund``), ``fundos-data`` and ``fundos-feed``.

In order, the first that is an executable file wins:

1. the path given on the command line (``--fund PATH``); an error if it is not executable;
2. the environment variable (``$FUNDOS_FUND``, ``$FUNDOS_DATA``, ``$FUNDOS_FEED``); an error likewise;
3. ``$FUNDOS_BUILD_DIR/fund/<name>`` (the CMake build tox and ``make`` use);
4. ``build/fund/<name>`` in each folder from the given start folders (the configuration
   file's folder, then the current folder) up to the root: a repository checkout's own build;
5. ``<name>`` on ``$PATH``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fundos.cli.errors import CliError, UsageError


@dataclass(frozen=True)
class Program:
    name: str  # the file name, also looked up on PATH
    env_var: str  # an explicit path in the environment
    option: str  # the command-line option that names it ("" when there is none)

    @property
    def build_path(self) -> Path:
        return Path("fund") / self.name


FUND = Program("fund", "FUNDOS_FUND", "--fund")
FUNDOS_DATA = Program("fundos-data", "FUNDOS_DATA", "")
FUNDOS_FEED = Program("fundos-feed", "FUNDOS_FEED", "")


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_program(program: Program, explicit: str | None = None, start_dirs: Sequence[Path] = (),
                 environ: Mapping[str, str] | None = None) -> Path:
    """The program's absolute path; :class:`CliError` (exit status 2) saying where it looked
    when there is none."""
    env = os.environ if environ is None else environ
    if explicit:
        path = Path(explicit).expanduser()
        if not _executable(path):
            raise UsageError(f"{program.option} {explicit}: not an executable file")
        return path.resolve()
    named = env.get(program.env_var)
    if named:
        path = Path(named).expanduser()
        if not _executable(path):
            raise UsageError(f"${program.env_var} is {named}, which is not an executable file")
        return path.resolve()
    build_dir = env.get("FUNDOS_BUILD_DIR")
    if build_dir and _executable(candidate := Path(build_dir).expanduser() / program.build_path):
        return candidate.resolve()
    seen: set[Path] = set()
    for start in start_dirs:
        start = start.resolve()
        for folder in (start, *start.parents):
            if folder in seen:
                continue
            seen.add(folder)
            if _executable(candidate := folder / "build" / program.build_path):
                return candidate
    on_path = shutil.which(program.name, path=env.get("PATH", os.defpath))
    if on_path:
        return Path(on_path).resolve()
    given = f"give {program.option} PATH, " if program.option else ""
    raise CliError(
        f"cannot find the `{program.name}` program: {given}set ${program.env_var} or $FUNDOS_BUILD_DIR, or build it "
        f"(cmake -S . -B build && cmake --build build); looked in $FUNDOS_BUILD_DIR/{program.build_path}, "
        f"build/{program.build_path} above {' and '.join(str(d) for d in start_dirs) or 'nowhere'}, and $PATH",
        exit_code=2)
