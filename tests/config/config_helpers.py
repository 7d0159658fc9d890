"""Shared helpers of the configuration-source tests: configurations on disk, the CLIs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "fund" / "examples"


def env(build: Path, leaks: bool = True) -> dict[str, str]:
    """The environment for the CLIs: the build's `fund`; LeakSanitizer as the caller set it (tox
    turns it on), except for runs (the agents' and the Fund's run-time allocations are checked by
    the run suites)."""
    values = dict(os.environ, FUNDOS_FUND=str(build / "fund/fund"))
    if not leaks:
        values["ASAN_OPTIONS"] = "detect_leaks=0"
    return values


def fundos(args: list[str], build: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    program = shutil.which("fundos", path=str(Path(sys.executable).parent))
    argv = [program] if program else [sys.executable, "-m", "fundos.cli"]
    return subprocess.run([*argv, *args], capture_output=True, text=True, check=False,
                          env=env(build, leaks=args[:1] != ["run"]), cwd=cwd, timeout=300)


def fund(args: list[str], build: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(build / "fund/fund"), *args], capture_output=True, text=True, check=False,
                          env=env(build, leaks=args[:1] != ["run"]), cwd=cwd, timeout=300)


def synth(build: Path, out: Path, symbols: int = 4, days: int = 1, seed: int = 7) -> Path:
    subprocess.run([str(build / "fund/fundos-data"), "synth", "--out", str(out), "--symbols", str(symbols),
                    "--days", str(days), "--seed", str(seed)], check=True, capture_output=True)
    return out


def example(name: str, where: Path, build: Path) -> Path:
    """fund/examples/NAME copied into ``where`` with its data files present (synthetic data
    standing in; the loader checks that they exist) and its agents' commands made runnable."""
    config = json.loads((EXAMPLES / name).read_text())
    config.pop("$schema", None)
    data = synth(build, where / "synth.fmd")
    config["simulation"]["data"] = [str(data)] * 1
    examples = ROOT / "sdks/python/examples"
    for agent in config.get("agents", []):
        command = agent.get("command", [])
        if command and command[0] == "python3":
            agent["command"] = [sys.executable, str(examples / Path(command[1]).name), *command[2:]]
        elif command:
            agent["command"] = [str(build / "sdks/c/fundos_breakout_agent"), *command[1:]]
    path = where / name
    path.write_text(json.dumps(config, indent=2))
    return path


def write(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def every_field(where: Path, build: Path) -> Path:
    """A configuration that sets every field the schema has to a value other than its default."""
    a = synth(build, where / "a.fmd", symbols=3, seed=1)
    synth(build, where / "b.fmd", symbols=3, seed=2)
    (where / "agents" / "one").mkdir(parents=True, exist_ok=True)
    limits = {"max_order_qty": "1000.5", "max_order_notional": "250000.25", "max_position": "5000",
              "max_gross_exposure": "900000", "max_net_exposure": "600000.000001", "max_open_orders": 10,
              "max_intents_per_window": 100, "rate_window": "250ms", "reducing_loss": "50000",
              "halt_loss": "100000"}
    config = {
        "name": "every-field_1.0",
        "mode": "simulation",
        "capital": "2000000.5",
        "risk": limits,
        "simulation": {"data": ["b.fmd", str(a)], "decision": {"interval": "90s"}, "answer_timeout_ms": 1234,
                       "start_timeout_ms": 4321, "stale_after": "1.5h", "max_steps": 77},
        "execution": {"fill_model": "simulated", "slippage_bps": 3, "fee_per_share": "0.0035", "fee_bps": "0.25",
                      "latency": "1500us", "participation_pct": 40,
                      "venue": {"name": "sim-venue", "endpoint": "fix://127.0.0.1:9878", "host": "127.0.0.1",
                                "port": 9878, "sender_comp_id": "FUNDOS", "target_comp_id": "EXCH", "heartbeat_s": 5,
                                "reset_on_logon": True, "account": "ACC-1"}},
        "market_data": {"source": "replay", "feed": "none yet", "address": "239.255.0.1", "port": 31001,
                        "interface": "127.0.0.2", "recovery_address": "127.0.0.3", "recovery_port": 31002,
                        "reorder_window": 16, "reorder_timeout": "5ms", "stale_after": "3s",
                        "recovery_timeout": "750ms", "publish_interval": "25ms", "heartbeat_interval": "2s",
                        "max_snapshot_lag": 8},
        "instruments": [
            {"id": 30, "symbol": "SYN003", "currency": "EUR", "status": "enabled", "tick_size": "0.00000001",
             "lot_size": "0.5", "restricted": True, "price_collar_bps": 250,
             "risk": {"max_position": "12.25", "rate_window": "2m"}},
            {"id": 10, "symbol": "SYN001", "status": "disabled", "currency": "CHF"},
            {"id": 20, "symbol": "SYN002", "risk": limits},
        ],
        "agents": [
            {"id": 9, "name": "zeta", "command": ["/bin/echo", "two words", "", "ünïcode"], "working_dir": "agents/one",
             "instruments": ["SYN002", "SYN003"], "capital": "100000.000001", "allowed_uids": [0, 4294967295, 7],
             "allowed_gids": [5, 3], "lease": "1.5s", "silent_policy": "flatten", "wake": "futex",
             "restart": "on_failure", "max_restarts": 100, "risk": limits},
            {"id": 2, "name": "alpha", "instruments": [], "capital": "1", "silent_policy": "cancel_orders",
             "wake": "busy"},
        ],
    }
    return write(where / "every.json", config)
