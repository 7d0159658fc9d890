"""`fundos status` and `fundos kill-switch`: requests to a running Fund's control socket.

The socket is ``<run-dir>/control.sock``, a Unix stream socket: the client sends one JSON object
on one line and reads one JSON line back, then the Fund closes the connection.

    {"cmd":"status"}  ->  {"ok":true,"name","step","events","total_events","clock","trading_state",
                           "nav","agents":[{"id","name","status","equity","position_count",...}],...}
    {"cmd":"kill_switch","scope":"fund"|"agent"|"instrument","id":N|"SYMBOL","on":true|false}
                      ->  {"ok":true,"applies_at_step":K} | {"ok":false,"error":"..."}
    {"cmd":"reload"}  ->  {"ok":true,"request":N}   (`fundos config set`: re-read the configuration)
    {"cmd":"config"}  ->  {"ok":true,"source","hash","config":"<the running configuration>"}
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from pathlib import Path

from fundos.cli.errors import CliError, UsageError

TIMEOUT = 5.0
"""Seconds to wait for the Fund's answer (it serves the socket between steps)."""


def request(path: Path, message: Mapping[str, object], timeout: float = TIMEOUT) -> dict[str, object]:
    """Send ``message``, return the Fund's answer; :class:`CliError` with a sentence when no Fund
    listens at ``path`` or it answers something else than a JSON object."""
    if not path.exists():
        raise CliError(f"no Fund is listening at {path}: the socket does not exist (is `fundos run` running "
                       "with this run folder?)")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            conn.sendall(json.dumps(message).encode() + b"\n")
            received = bytearray()
            while b"\n" not in received:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
    except ConnectionRefusedError:
        raise CliError(f"no Fund is listening at {path} (the socket is left over from a run that ended)") from None
    except TimeoutError:
        raise CliError(f"the Fund at {path} did not answer within {timeout:g} s") from None
    except PermissionError:
        raise CliError(f"no permission to talk to {path} (the Fund's control socket is for its own user)") from None
    except OSError as error:
        raise CliError(f"cannot talk to the Fund at {path}: {error.strerror or error}") from None
    line = bytes(received).split(b"\n", 1)[0].strip()
    if not line:
        raise CliError(f"the Fund at {path} closed the connection without answering")
    try:
        answer = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CliError(f"the Fund at {path} answered something that is not JSON: {line[:200]!r}") from None
    if not isinstance(answer, dict):
        raise CliError(f"the Fund at {path} answered {answer!r}, not a JSON object")
    return answer


def control_socket(run_dir: str | None, cwd: Path | None = None) -> Path:
    """``<run-dir>/control.sock``. Without ``run_dir``: the only ``runs/*/control.sock`` under
    the current folder (an error when there are none or several)."""
    if run_dir:
        folder = Path(run_dir).expanduser()
        if not folder.is_dir():
            raise UsageError(f"--run-dir {run_dir}: no such folder")
        return folder / "control.sock"
    base = cwd or Path.cwd()
    found = sorted(path for path in (base / "runs").glob("*/control.sock") if path.is_socket())
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"no run with a control socket under {base / 'runs'}; give --run-dir DIR")
    raise UsageError(f"several runs under {base / 'runs'} ({', '.join(p.parent.name for p in found)}); "
                     "give --run-dir DIR")


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else str(value)


def format_status(answer: Mapping[str, object], socket_path: Path) -> str:
    """The status answer for people: the run, the fund's figures, then one row per agent."""
    name = f" ({answer['name']})" if answer.get("name") else ""
    lines = [f"run       {socket_path.parent}{name}"]
    figures = []
    if "step" in answer:
        figures.append(f"step {_cell(answer['step'])}")
    if "events" in answer:
        total = f"/{_cell(answer['total_events'])}" if answer.get("total_events") else ""
        figures.append(f"events {_cell(answer['events'])}{total}")
    for key in ("clock", "trading_state", "nav"):
        if key in answer:
            figures.append(f"{key.replace('_', ' ')} {_cell(answer[key])}")
    if figures:
        lines.append("  ".join(figures))
    config = answer.get("config")
    if isinstance(config, Mapping):
        lines.append(f"config    {config.get('source', '?')} (hash {config.get('hash', '?')})")
        last = config.get("last")
        if isinstance(last, Mapping):
            status = last.get("status")
            when = (f" from step {last.get('applies_from_step')}" if status == "applied"
                    else f" after step {last.get('after_step')}" if status == "rejected" else "")
            why = f": {last.get('error')}" if status == "rejected" else ""
            lines.append(f"last change ({last.get('trigger', '?')}): {status}{when}{why}")
    shown = ("ok", "name", "step", "events", "total_events", "clock", "trading_state", "nav", "agents", "config")
    for key, value in answer.items():
        if key not in shown and not isinstance(value, list | dict):
            lines.append(f"{key.replace('_', ' ')}: {_cell(value)}")
    agents = answer.get("agents")
    if isinstance(agents, list) and agents:
        columns = ["id", "name", "status", "equity", "position_count"]
        extra = [key for agent in agents if isinstance(agent, Mapping) for key in agent if key not in columns]
        columns += list(dict.fromkeys(extra))
        header = [column.replace("_count", "s").replace("_", " ") for column in columns]
        rows = [[_cell(agent.get(column)) for column in columns] for agent in agents if isinstance(agent, Mapping)]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(columns))]
        lines.append("")
        for row in [header, *rows]:
            lines.append("  ".join(cell.rjust(widths[i]) if i in (0, 3, 4) else cell.ljust(widths[i])
                                   for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def status(run_dir: str | None, as_json: bool) -> str:
    """`fundos status`: the text to print."""
    path = control_socket(run_dir)
    answer = request(path, {"cmd": "status"})
    if answer.get("ok") is False:
        raise CliError(f"the Fund refused the status request: {answer.get('error', 'no reason given')}")
    return json.dumps(answer, indent=2) if as_json else format_status(answer, path)


def kill_switch(run_dir: str, scope: str, target: int | str | None, on: bool) -> str:
    """`fundos kill-switch`: the text to print."""
    path = control_socket(run_dir)
    message: dict[str, object] = {"cmd": "kill_switch", "scope": scope, "on": on}
    if target is not None:
        message["id"] = target
    answer = request(path, message)
    what = "the fund" if scope == "fund" else f"{scope} {target}"
    if answer.get("ok") is not True:
        raise CliError(f"the Fund refused to turn the kill switch {'on' if on else 'off'} for {what}: "
                       f"{answer.get('error', 'no reason given')}")
    step = answer.get("applies_at_step")
    when = f" (from step {step})" if isinstance(step, int) and not isinstance(step, bool) else ""
    return f"kill switch {'ON' if on else 'OFF'} for {what}{when}"
