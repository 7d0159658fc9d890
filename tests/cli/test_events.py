"""Parsing `fund run`'s JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fundos.cli.events import AgentEvent, AgentSpec, Done, EventError, OtherEvent, Progress, Ready, TextLine, parse_line


def test_ready_paths_are_made_absolute() -> None:
    line = json.dumps({"event": "ready", "run_dir": "runs/demo", "socket": "runs/demo/fund.sock",
                       "control": "/abs/control.sock", "total_events": 10, "extra": 1,
                       "agents": [{"id": 1, "name": "ma", "command": ["python3", "ma.py"], "working_dir": "/w",
                                   "wake": "futex", "instruments": ["SPY", 2]}]})
    assert parse_line(line, cwd=Path("/here")) == Ready(
        run_dir=Path("/here/runs/demo"), socket=Path("/here/runs/demo/fund.sock"), control=Path("/abs/control.sock"),
        total_events=10, agents=(AgentSpec(1, "ma", ("python3", "ma.py"), "/w", "futex", ("SPY", "2")),))


def test_other_events() -> None:
    assert parse_line('{"event":"agent","agent_id":2,"what":"dead"}') == AgentEvent(2, "dead", "")
    assert parse_line('{"event":"progress","step":3,"events":30,"total_events":90,"clock":"c"}') == \
        Progress(3, 30, 90, "c")
    assert parse_line('{"event":"done","status":"ok","report":"r.json","steps":3,"events":90}') == \
        Done("ok", "r.json", 3, 90)
    assert parse_line('{"event":"new","x":1}') == OtherEvent("new", {"event": "new", "x": 1})
    assert parse_line("hello\n") == TextLine("hello")
    assert parse_line("[1]") == TextLine("[1]")


@pytest.mark.parametrize("line", ['{"event":"agent","agent_id":"one","what":"dead"}',
                                  '{"event":"ready","run_dir":"d","agents":{}}',
                                  '{"event":"ready","run_dir":"d","agents":[{"id":1,"name":"a","command":"x"}]}',
                                  '{"event":"done","steps":1}'])
def test_malformed_known_events(line: str) -> None:
    with pytest.raises(EventError):
        parse_line(line)
