"""The real Fund end to end: `fundos run` on synthetic data with the three example agents (two
Python, one C), twice; the journal and every report file must be byte-identical."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fund_build import build_dir

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, build: Path) -> Path:
    data = tmp_path / "synth.fmd"
    subprocess.run([str(build / "fund/fundos-data"), "synth", "--out", str(data), "--symbols", "4", "--days", "1",
                    "--seed", "7"], check=True, capture_output=True)
    config = json.loads((ROOT / "fund/examples/demo.json").read_text())
    config.pop("$schema", None)
    config["simulation"]["data"] = [str(data)]
    examples = ROOT / "sdks/python/examples"
    for agent in config["agents"]:
        command = agent["command"]
        if command[0] == "python3":
            agent["command"] = [sys.executable, str(examples / Path(command[1]).name), *command[2:]]
        else:
            agent["command"] = [str(build / "sdks/c/fundos_breakout_agent"), *command[1:]]
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(config))
    return path


def _run(config: Path, run_dir: Path, build: Path) -> None:
    fundos = shutil.which("fundos", path=str(Path(sys.executable).parent)) or "fundos"
    env = dict(os.environ, FUNDOS_FUND=str(build / "fund/fund"), ASAN_OPTIONS="detect_leaks=0")
    done = subprocess.run([fundos, "run", "--quiet", "--config", str(config), "--run-dir", str(run_dir)],
                          check=False, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_simulation_twice_is_byte_identical(tmp_path: Path) -> None:
    build = build_dir("sdks/c/fundos_breakout_agent")
    config = _config(tmp_path, build)
    _run(config, tmp_path / "a", build)
    _run(config, tmp_path / "b", build)
    for name in ("journal.fj", "report.json", "fills.csv", "equity.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert "fund" in json.dumps(report)
    fills = (tmp_path / "a" / "fills.csv").read_text().splitlines()
    assert len(fills) > 1, "the example agents traded nothing"
