"""What the live suites share (tests/feed, tests/paper, tests/production): real processes in their own
process groups with their output in files, free loopback ports, the journal as text, and the
check that `fundos replay` rebuilds a run's outputs byte for byte."""

from __future__ import annotations

import contextlib
import filecmp
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ("report.json", "fills.csv", "equity.csv")


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Started:
    """A process in its own group, its stdout and stderr in files."""

    def __init__(self, command: list[str], env: dict[str, str], folder: Path, name: str) -> None:
        self.out_path, self.err_path = folder / f"{name}.out", folder / f"{name}.err"
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env,
                                            start_new_session=True)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        """Until `text` is in its output (e.g. a first line printed once its socket is bound)."""
        deadline = time.monotonic() + timeout
        while text not in self.out_path.read_text():
            assert self.process.poll() is None, self.err_path.read_text()
            assert time.monotonic() < deadline, f"no {text!r} from {self.process.args}"
            time.sleep(0.02)

    def finish(self, timeout: float) -> tuple[int, str, str]:
        code = self.process.wait(timeout=timeout)
        return code, self.out_path.read_text(), self.err_path.read_text()

    def lines(self) -> list[dict[str, Any]]:
        """The JSON lines it printed on stdout so far."""
        return [json.loads(line) for line in self.out_path.read_text().splitlines() if line.startswith("{")]


@contextlib.contextmanager
def killed_at_exit() -> Iterator[list[Started]]:
    """The processes a test starts, each killed (its whole group) when the test ends."""
    started: list[Started] = []
    try:
        yield started
    finally:
        for item in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(item.process.pid, signal.SIGKILL)
            item.process.wait(timeout=10)


def synth_session(build: Path, folder: Path, symbols: int, seed: int) -> Path:
    """One session of synthetic one-minute bars and quotes (780 events per symbol), as an .fmd."""
    path = folder / "synth.fmd"
    subprocess.run([str(build / "fund" / "fundos-data"), "synth", "--out", str(path), "--symbols", str(symbols),
                    "--days", "1", "--seed", str(seed)], check=True, capture_output=True, timeout=60)
    return path


def env_of(build: Path) -> dict[str, str]:
    return {**os.environ, "FUNDOS_BUILD_DIR": str(build), "ASAN_OPTIONS": "detect_leaks=0"}


def journal_records(build: Path, run_dir: Path) -> list[str]:
    done = subprocess.run([str(build / "fund" / "fund"), "journal", str(run_dir / "journal.fj")],
                          capture_output=True, text=True, check=True, timeout=60)
    return [line.split(None, 1)[1] for line in done.stdout.splitlines()]


def check_replay(build: Path, run_dir: Path, out: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "fundos.cli", "replay", "--run-dir", str(run_dir), "--out", str(out)],
                          check=False, capture_output=True, text=True, env=env_of(build), timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["event"] == "replayed"
    for name in OUTPUTS:
        assert filecmp.cmp(run_dir / name, out / name, shallow=False), f"{name} differs after the replay"


def report(run_dir: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((run_dir / "report.json").read_text())
    return result
