"""`fundos status` and `fundos kill-switch` against a stand-in control socket."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fundos.cli.main import main

STATUS = {"ok": True, "name": "demo", "step": 1234, "events": 56789, "total_events": 100000,
          "clock": "2024-01-02T14:31:00Z", "trading_state": "ACTIVE", "nav": "1000123.500000", "mode": "SIMULATION",
          "agents": [
              {"id": 1, "name": "ma", "status": "ACTIVE", "equity": 100234.5, "position_count": 2},
              {"id": 2, "name": "mr", "status": "DEAD", "equity": 99000.0, "position_count": 0, "trading_state": "HALTED"},
          ]}


class ControlServer:
    """Answers each connection's one line with the next canned reply; keeps the requests."""

    def __init__(self, path: Path, replies: list[bytes]) -> None:
        self.requests: list[dict[str, object]] = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(4)
        self.replies = replies
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for reply in self.replies:
            conn, _ = self.listener.accept()
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(json.loads(data))
                conn.sendall(reply)

    def close(self) -> None:
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def run_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "runs" / "demo"
    folder.mkdir(parents=True)
    yield folder


def serve(run_dir: Path, *replies: object) -> ControlServer:
    raw = [reply if isinstance(reply, bytes) else json.dumps(reply).encode() + b"\n" for reply in replies]
    return ControlServer(run_dir / "control.sock", raw)


def test_status(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = serve(run_dir, STATUS)
    try:
        assert main(["status", "--run-dir", str(run_dir)]) == 0
    finally:
        server.close()
    assert server.requests == [{"cmd": "status"}]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"run       {run_dir} (demo)"
    assert lines[1] == ("step 1,234  events 56,789/100,000  clock 2024-01-02T14:31:00Z  trading state ACTIVE  "
                        "nav 1000123.500000")
    assert lines[2] == "mode: SIMULATION"
    assert [line.split() for line in lines[4:]] == [
        ["id", "name", "status", "equity", "positions", "trading", "state"],
        ["1", "ma", "ACTIVE", "100,234.50", "2", "-"],
        ["2", "mr", "DEAD", "99,000.00", "0", "HALTED"],
    ]


def test_status_shows_the_configuration_and_its_last_change(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = {"source": "demo.json", "hash": "8c2a8aa27919b0a9", "requested": 2, "prepared": 2, "done": 2,
              "last": {"status": "rejected", "trigger": "sighup", "request": 2, "after_step": 40,
                       "error": "demo.json: capital: \"1\" -> \"2\" cannot change while the Fund runs"}}
    server = serve(run_dir, dict(STATUS, config=config))
    try:
        assert main(["status", "--run-dir", str(run_dir)]) == 0
    finally:
        server.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:4] == ["config    demo.json (hash 8c2a8aa27919b0a9)",
                          ('last change (sighup): rejected after step 40: demo.json: capital: "1" -> "2" cannot change '
                           "while the Fund runs")]
    assert lines[4] == "mode: SIMULATION"


def test_status_json_and_default_run_dir(run_dir: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(run_dir.parent.parent)
    server = serve(run_dir, STATUS)
    try:
        assert main(["status", "--json"]) == 0
    finally:
        server.close()
    assert json.loads(capsys.readouterr().out) == STATUS


@pytest.mark.parametrize("argv, message", [
    (["--fund", "--on"], ({"cmd": "kill_switch", "scope": "fund", "on": True}, "kill switch ON for the fund")),
    (["--agent", "2", "--off"], ({"cmd": "kill_switch", "scope": "agent", "on": False, "id": 2},
                                 "kill switch OFF for agent 2")),
    (["--instrument", "SPY", "--on"], ({"cmd": "kill_switch", "scope": "instrument", "on": True, "id": "SPY"},
                                       "kill switch ON for instrument SPY")),
])
def test_kill_switch(run_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                     message: tuple[dict[str, object], str]) -> None:
    server = serve(run_dir, {"ok": True})
    try:
        assert main(["kill-switch", "--run-dir", str(run_dir), *argv]) == 0
    finally:
        server.close()
    assert server.requests == [message[0]]
    assert capsys.readouterr().out == message[1] + "\n"


def test_kill_switch_says_when(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = serve(run_dir, {"ok": True, "applies_at_step": 57})
    try:
        assert main(["kill-switch", "--run-dir", str(run_dir), "--fund", "--off"]) == 0
    finally:
        server.close()
    assert capsys.readouterr().out == "kill switch OFF for the fund (from step 57)\n"


def test_kill_switch_refused(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = serve(run_dir, {"ok": False, "error": "no instrument XYZ"})
    try:
        assert main(["kill-switch", "--run-dir", str(run_dir), "--instrument", "XYZ", "--on"]) == 1
    finally:
        server.close()
    assert capsys.readouterr().err == ("fundos kill-switch: the Fund refused to turn the kill switch on for "
                                       "instrument XYZ: no instrument XYZ\n")


@pytest.mark.parametrize("reply, words", [(b"not json\n", "not JSON"), (b"", "without answering"),
                                          (b"[1]\n", "not a JSON object")])
def test_bad_answers(run_dir: Path, capsys: pytest.CaptureFixture[str], reply: bytes, words: str) -> None:
    server = serve(run_dir, reply)
    try:
        assert main(["status", "--run-dir", str(run_dir)]) == 1
    finally:
        server.close()
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_no_fund_listening(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--run-dir", str(run_dir)]) == 1
    assert "no Fund is listening at" in capsys.readouterr().err
    left_over = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left_over.bind(str(run_dir / "control.sock"))
    left_over.close()  # the file stays, nobody listens
    assert main(["kill-switch", "--run-dir", str(run_dir), "--fund", "--on"]) == 1
    err = capsys.readouterr().err
    assert "left over from a run that ended" in err and err.count("\n") == 1
    os.unlink(run_dir / "control.sock")
