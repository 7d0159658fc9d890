"""The Fund's machine-readable output: `fund run` prints one JSON object per line on stdout.

    {"event":"ready","fund":F,"run_dir":D,"socket":S,"control":C,"total_events":N,
     "agents":[{"id":1,"name":"ma","command":["python3","x.py"],"working_dir":"/abs","wake":"spin"}]}
    {"event":"agent","agent_id":1,"what":"attached"|"dead"|"detached"|"late"|"silent"|"quarantined","detail":"..."}
    {"event":"progress","step":K,"events":E,"total_events":N,"clock":"2024-01-02T14:31:00Z"}
    {"event":"done","status":"ok"|"stopped"|"failed","report":"DIR/report.json","steps":K,"events":E}

:func:`parse_line` turns a line into one of the dataclasses here. Unknown fields are ignored,
unknown events come back as :class:`OtherEvent`, and a line that is not a JSON object as
:class:`TextLine`, so a newer Fund does not break an older CLI. ``fund`` is the Fund's name (the
first half of each agent's service id ``FUND/AGENT``). An agent entry may also carry
``instruments`` (the symbols or ids mapped to it) and ``restart`` (``no`` | ``on_failure``) with
``max_restarts``, the launcher's restart policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AgentSpec:
    id: int
    name: str
    command: tuple[str, ...]
    working_dir: str
    wake: str
    instruments: tuple[str, ...] = ()
    restart: str = "no"
    """``no`` or ``on_failure``: what `fundos run` does when the agent's process fails."""
    max_restarts: int = 3


@dataclass(frozen=True)
class Ready:
    run_dir: Path
    socket: Path
    control: Path
    total_events: int
    agents: tuple[AgentSpec, ...]
    fund: str = ""
    """The Fund's name (its service id); empty from a Fund that does not say."""


@dataclass(frozen=True)
class AgentEvent:
    agent_id: int
    what: str
    detail: str


@dataclass(frozen=True)
class Progress:
    step: int
    events: int
    total_events: int
    clock: str


@dataclass(frozen=True)
class Done:
    status: str
    report: str
    steps: int
    events: int


@dataclass(frozen=True)
class OtherEvent:
    event: str
    fields: Mapping[str, object]


@dataclass(frozen=True)
class TextLine:
    text: str


Event = Ready | AgentEvent | Progress | Done | OtherEvent | TextLine


class EventError(ValueError):
    """A known event with a field missing or of the wrong type."""


def _int(data: Mapping[str, object], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventError(f"field {key!r} must be an integer, not {value!r}")
    return value


def _str(data: Mapping[str, object], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise EventError(f"field {key!r} must be a string, not {value!r}")
    return value


def _agent(data: object) -> AgentSpec:
    if not isinstance(data, Mapping):
        raise EventError(f"an agent must be an object, not {data!r}")
    command = data.get("command", [])
    if not isinstance(command, list) or not all(isinstance(arg, str) for arg in command):
        raise EventError(f"an agent's command must be a list of strings, not {command!r}")
    instruments = data.get("instruments", [])
    if not isinstance(instruments, list):
        raise EventError(f"an agent's instruments must be a list, not {instruments!r}")
    restart = _str(data, "restart", "no")
    if restart not in ("no", "on_failure"):
        raise EventError(f"an agent's restart must be 'no' or 'on_failure', not {restart!r}")
    return AgentSpec(id=_int(data, "id"), name=_str(data, "name"), command=tuple(command),
                     working_dir=_str(data, "working_dir", ""), wake=_str(data, "wake", "spin"),
                     instruments=tuple(str(item) for item in instruments), restart=restart,
                     max_restarts=_int(data, "max_restarts", 3))


def parse_line(line: str, cwd: Path | None = None) -> Event:
    """One line of `fund run`'s stdout. Relative paths in ``ready`` are made absolute against
    ``cwd`` (the Fund's working folder, which is the CLI's). Raises :class:`EventError` for a
    known event whose fields are wrong."""
    text = line.strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return TextLine(text)
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        return TextLine(text)
    base = cwd or Path.cwd()
    kind = data["event"]
    if kind == "ready":
        agents = data.get("agents", [])
        if not isinstance(agents, list):
            raise EventError(f"'agents' must be a list, not {agents!r}")
        run_dir = base / _str(data, "run_dir")
        return Ready(run_dir=run_dir, socket=base / _str(data, "socket", str(run_dir / "fund.sock")),
                     control=base / _str(data, "control", str(run_dir / "control.sock")),
                     total_events=_int(data, "total_events", 0), agents=tuple(_agent(agent) for agent in agents),
                     fund=_str(data, "fund", ""))
    if kind == "agent":
        return AgentEvent(agent_id=_int(data, "agent_id"), what=_str(data, "what"), detail=_str(data, "detail", ""))
    if kind == "progress":
        return Progress(step=_int(data, "step", 0), events=_int(data, "events", 0),
                        total_events=_int(data, "total_events", 0), clock=_str(data, "clock", ""))
    if kind == "done":
        return Done(status=_str(data, "status"), report=_str(data, "report", ""), steps=_int(data, "steps", 0),
                    events=_int(data, "events", 0))
    return OtherEvent(kind, data)
