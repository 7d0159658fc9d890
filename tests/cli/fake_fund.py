"""A stand-in for the `fund` program, for the CLI's tests (run as `python fake_fund.py ...`
through a small executable wrapper the tests write, handed to `fundos` with --fund).

    run --config FILE [--run-dir DIR]   the `fund run` contract of the CLI, driven by FILE
    check-config FILE                   exit 0, or 2 when FILE holds "invalid": true
    journal FILE [--json]               print FILE's lines (as JSON objects with --json)

FILE is JSON: {"name": "demo", "agents": [{"id": 1, "name": "a", "command": [...],
"working_dir": "", "wake": "spin", "instruments": ["AAA"]}], "steps": 5, "scenario": ...}; like
the real Fund's, the ready event names the Fund (``fund``: FILE's name).
Scenarios of `run`:

    ok          (default) wait until every agent with a command has written
                RUN_DIR/attached-<id> (its environment, as JSON), then "attached" events,
                `steps` progress events, report.json, equity.csv, then touch RUN_DIR/finished (the
                test agents' sign to exit, as a real agent sees the Fund hang up), "done"
    bad-config  a message naming the file and a field on stderr, exit 2
    crash       after "ready", a message on stderr and exit 1 (no "done")
    until-term  like ok, but progress goes on until SIGTERM; then "done" with status "stopped"
    failed      like ok, but "done" says "failed" and the exit status is 1

Every invocation appends its argv to RUN_DIR/../fund-argv.jsonl when it can, for the tests.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType

terminated = False


def on_term(signo: int, frame: FrameType | None) -> None:
    global terminated
    terminated = True


def emit(event: dict[str, object]) -> None:
    print(json.dumps(event), flush=True)


def write_results(run_dir: Path, agents: list[dict[str, object]], steps: int) -> Path:
    report = {
        "name": run_dir.name,
        "fund": {"pnl": 1234.5, "return": 0.012345, "sharpe": 1.5, "max_drawdown": 0.0321, "trades": 42,
                 "fees": 12.25, "rejects": 3},
        "agents": [{"id": agent["id"], "name": agent["name"], "pnl": 617.25 * (1 if i == 0 else -1),
                    "return": 0.0061, "sharpe": 0.75, "max_drawdown": 0.05, "trades": 21, "fees": 6.125,
                    "rejects": {"POSITION_LIMIT": 2, "RATE_LIMIT": 1} if i == 0 else 0}
                   for i, agent in enumerate(agents)],
    }
    path = run_dir / "report.json"
    path.write_text(json.dumps(report, indent=2))
    lines = ["time,agent_id,equity"]
    for step in range(max(2, steps)):
        clock = 1_704_205_800_000_000_000 + step * 60_000_000_000
        lines.append(f"{clock},0,{1_000_000 + 100 * step}")
        for i, agent in enumerate(agents):
            lines.append(f"{clock},{agent['id']},{500_000 + (50 if i == 0 else -30) * step}")
    (run_dir / "equity.csv").write_text("\n".join(lines) + "\n")
    (run_dir / "journal.fj").write_bytes(b"FJ")
    return path


def run(argv: list[str]) -> int:
    config_path = Path(argv[argv.index("--config") + 1])
    config = json.loads(config_path.read_text())
    run_dir = Path(argv[argv.index("--run-dir") + 1]) if "--run-dir" in argv else Path("runs") / config["name"]
    scenario = config.get("scenario", "ok")
    if scenario == "bad-config":
        print(f"{config_path}: agents[0].capital: must be greater than 0", file=sys.stderr)
        return 2
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir.parent / "fund-argv.jsonl").open("a") as log:
        log.write(json.dumps(argv) + "\n")
    agents: list[dict[str, object]] = config.get("agents", [])
    steps = int(config.get("steps", 5))
    signal.signal(signal.SIGTERM, on_term)
    emit({"event": "ready", "fund": config["name"], "run_dir": str(run_dir), "socket": str(run_dir / "fund.sock"),
          "control": str(run_dir / "control.sock"), "total_events": steps * 10,
          "agents": [{"id": a["id"], "name": a["name"], "command": a.get("command", []),
                      "working_dir": a.get("working_dir", ""), "wake": a.get("wake", "spin"),
                      "instruments": a.get("instruments", []), "restart": a.get("restart", "no"),
                      "max_restarts": a.get("max_restarts", 3)} for a in agents]})
    if scenario == "crash":
        print("fund: internal error: the sequencer lost its mind", file=sys.stderr)
        return 1
    deadline = time.monotonic() + 20
    waiting = {int(str(a["id"])) for a in agents if a.get("command")}
    while waiting and time.monotonic() < deadline and not terminated:
        for agent_id in sorted(waiting):
            if (run_dir / f"attached-{agent_id}").exists():
                waiting.discard(agent_id)
                emit({"event": "agent", "agent_id": agent_id, "what": "attached", "detail": "slot 0"})
        time.sleep(0.02)
    for agent_id in sorted(waiting):
        emit({"event": "agent", "agent_id": agent_id, "what": "dead", "detail": "never attached"})
    step = 0
    while not terminated and (step < steps or scenario == "until-term"):
        step += 1
        emit({"event": "progress", "step": step, "events": min(step * 10, steps * 10), "total_events": steps * 10,
              "clock": f"2024-01-02T14:{30 + step % 30:02d}:00Z"})
        if step == 2 and agents:
            emit({"event": "agent", "agent_id": agents[0]["id"], "what": "silent", "detail": "no answer"})
            emit({"event": "agent", "agent_id": agents[0]["id"], "what": "silent", "detail": "no answer"})
        time.sleep(0.05)
    print("fund: writing the report", file=sys.stderr, flush=True)
    report = write_results(run_dir, agents, step)
    (run_dir / "finished").touch()
    status = "stopped" if terminated else ("failed" if scenario == "failed" else "ok")
    emit({"event": "done", "status": status, "report": str(report), "steps": step, "events": step * 10})
    return 1 if scenario == "failed" else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:
        return run(argv[1:])
    if argv[:1] == ["check-config"] and len(argv) == 2:
        config = json.loads(Path(argv[1]).read_text())
        if config.get("invalid"):
            print(f"{argv[1]}: instruments[0].symbol: longer than 15 characters", file=sys.stderr)
            return 2
        print(f"{argv[1]}: ok")
        return 0
    if argv[:1] == ["journal"] and len(argv) >= 2:
        for line in Path(argv[1]).read_text().splitlines():
            print(json.dumps({"record": line}) if "--json" in argv else line)
        return 0
    print(f"usage: fund run|check-config|journal ... (got {argv})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
