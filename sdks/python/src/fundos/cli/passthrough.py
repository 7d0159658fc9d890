"""`fundos journal`, `fundos check-config`, `fundos data` and `fundos feed`: run a native program's
subcommand with the terminal as it is (stdin, stdout, stderr inherited) and exit with its status.

A Ctrl-C reaches the program (same process group); a SIGTERM sent to this process is passed on to
it (`fundos feed serve` runs until stopped); this process waits for it to finish."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from types import FrameType

from fundos.cli.errors import CliError, UsageError


def run_program(program: Path, args: list[str]) -> int:
    """Run ``program args...``; its exit status (128 + N when signal N ended it)."""
    try:
        child = subprocess.Popen([str(program), *args])
    except OSError as error:
        raise CliError(f"cannot run {program}: {error.strerror or error}") from None

    def ignore(signo: int, frame: FrameType | None) -> None:
        pass  # the child got the same SIGINT; its status decides

    def forward(signo: int, frame: FrameType | None) -> None:
        child.send_signal(signo)  # a SIGTERM for this process is meant for the program

    previous = signal.signal(signal.SIGINT, ignore)
    previous_term = signal.signal(signal.SIGTERM, forward)
    try:
        code = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
    return 128 - code if code < 0 else code


def existing_file(path: str, what: str) -> Path:
    """``path`` as a Path; a usage error when it names no file."""
    file = Path(path).expanduser()
    if not file.exists():
        raise UsageError(f"{what} {path}: no such file")
    if file.is_dir():
        raise UsageError(f"{what} {path}: a folder, not a file")
    return file
