"""fundos-exchange's command line: the manual page and clear usage errors (exit 2, one line naming
the flag or file, never a traceback); and a real exchange process that starts, says where it
listens, takes a FIX logon on 127.0.0.1 and stops cleanly on SIGTERM. The trading itself is
tested from C++ against the same binary (fund/tests/test_fix_venue.cpp, ctest fund_fix_venue)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from fund_build import build_dir


@pytest.fixture(scope="module")
def exchange() -> Path:
    return build_dir("fund/fundos-exchange") / "fund" / "fundos-exchange"


@pytest.fixture(scope="module")
def data(exchange: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exchange") / "synth.fmd"
    subprocess.run([str(exchange.parent / "fundos-data"), "synth", "--out", str(path), "--symbols", "2", "--days", "1",
                    "--seed", "3"], check=True, capture_output=True, timeout=60)
    return path


def run(exchange: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exchange), *args], check=False, capture_output=True, text=True, timeout=30)


def test_help_reads_like_a_manual_page(exchange: Path) -> None:
    result = run(exchange, "--help")
    assert result.returncode == 0
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "Fill modes", "EXIT STATUS", "EXAMPLES"):
        assert section in result.stdout
    for mode in ("immediate", "partial", "delayed", "reject", "disconnect"):
        assert f"--mode {mode}" in result.stdout


@pytest.mark.parametrize(("args", "names"), [
    (["--bogus"], "--bogus"),
    (["--feed-port", "0", "--recovery-port", "5"], "--feed-port 0"),
    (["--feed-port", "5"], "--data FILE"),
    (["--feed-port", "5", "--recovery-port", "6", "--mode", "fast"], "--mode fast"),
    (["--feed-port", "5", "--recovery-port", "6", "--pieces", "1"], "--pieces 1"),
    (["--feed-port", "5", "--recovery-port", "6", "--speed", "2x"], "--speed and --loop need --data"),
    (["--feed-port", "5", "--recovery-port"], "--recovery-port needs a value"),
    (["--feed-port", "5", "--data", "/nonexistent/x.fmd"], "/nonexistent/x.fmd"),
])
def test_usage_errors_name_the_flag_and_exit_2(exchange: Path, args: list[str], names: str) -> None:
    result = run(exchange, *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0]
    assert "Traceback" not in result.stderr


def test_starts_accepts_a_connection_and_stops_on_sigterm(exchange: Path, data: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # a free UDP port for the feed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with subprocess.Popen([str(exchange), "--data", str(data), "--speed", "max", "--feed-port", str(port),
                           "--multicast", "239.255.99.7", "--quiet"], stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            ready = json.loads(process.stdout.readline())
            assert ready["event"] == "ready"
            assert ready["mode"] == "immediate"
            with socket.create_connection(("127.0.0.1", ready["fix_port"]), timeout=10):
                pass
            process.send_signal(signal.SIGTERM)
            done = json.loads(process.stdout.readline())
            assert process.wait(timeout=30) == 0
            assert done["event"] == "done"
            assert done["orders"] == 0
            assert done["logons"] == 0  # a bare TCP connection is not a FIX logon
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
