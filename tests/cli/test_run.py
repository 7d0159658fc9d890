"""`fundos run` against tests/cli/fake_fund.py (given with --fund), which speaks the `fund run`
contract, with tests/cli/fake_agent.py as the agents: launching, environment, logs, progress,
summary, chart, exit statuses, signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli_helpers import FAKE_AGENT, clean_env, fundos
from png_reader import read_png


def write_config(folder: Path, scenario: str = "ok", *, second_agent: list[str] | None = None,
                 agents: bool = True) -> Path:
    (folder / "configs" / "work").mkdir(parents=True, exist_ok=True)
    agent_list = [
        {"id": 1, "name": "alpha", "command": [sys.executable, str(FAKE_AGENT)], "wake": "futex",
         "instruments": ["AAA", "BBB"]},
        {"id": 2, "name": "beta", "command": ["python3", str(FAKE_AGENT), *(second_agent or [])],
         "working_dir": "work"},
        {"id": 3, "name": "manual", "command": []},
    ]
    config = {"name": "demo", "scenario": scenario, "steps": 4, "agents": agent_list if agents else []}
    path = folder / "configs" / "demo.json"
    path.write_text(json.dumps(config))
    return path


def test_run_launches_agents_and_summarises(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path)
    done = fundos(["run", "--config", str(config), "--fund", str(fake_fund)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = tmp_path / "runs" / "demo"
    assert json.loads((tmp_path / "runs" / "fund-argv.jsonl").read_text()) == ["--config", str(config)]

    alpha = json.loads((run_dir / "attached-1").read_text())
    assert alpha["FUNDOS_SOCKET"] == str(run_dir / "fund.sock")
    assert (alpha["FUNDOS_AGENT_ID"], alpha["FUNDOS_WAKE"], alpha["FUNDOS_AGENT_NAME"]) == ("1", "futex", "alpha")
    assert alpha["FUNDOS_RUN_DIR"] == str(run_dir) and "FUNDOS_INSTRUMENTS" not in alpha
    # the agent reads its own configuration (its instruments, limits) from where the Fund did
    assert (alpha["FUNDOS_CONFIG"], alpha["FUNDOS_SERVICE"]) == (str(config), "demo/alpha")
    assert alpha["cwd"] == str(config.parent) and alpha["unbuffered"] == "1"
    beta = json.loads((run_dir / "attached-2").read_text())
    assert beta["cwd"] == str(config.parent / "work") and beta["FUNDOS_SERVICE"] == "demo/beta"
    assert beta["FUNDOS_WAKE"] == "spin"
    if sys.prefix != sys.base_prefix:  # `python3` in a command is this venv's interpreter
        assert Path(beta["python"]).parent == Path(sys.executable).parent
    assert "fake agent 1 up" in (run_dir / "agents" / "alpha.log").read_text()
    assert "the Fund hung up" in (run_dir / "agents" / "beta.log").read_text()
    assert not (run_dir / "agents" / "manual.log").exists()

    out = done.stdout
    assert "run ok: 4 steps, 40 market events" in out
    table = out[out.index("PnL"):].splitlines()
    assert table[0].split() == ["PnL", "return", "Sharpe", "max", "DD", "trades", "fees", "rejects"]
    assert table[1].split() == ["alpha", "(1)", "617.25", "+0.61%", "0.75", "5.00%", "21", "6.12", "3"]
    assert table[2].split() == ["beta", "(2)", "-617.25", "+0.61%", "0.75", "5.00%", "21", "6.12", "0"]
    assert table[5].split() == ["fund", "1,234.50", "+1.23%", "1.50", "3.21%", "42", "12.25", "3"]
    assert "rejects of alpha (1): POSITION_LIMIT 2, RATE_LIMIT 1" in out
    assert f"report: {run_dir / 'report.json'}" in out and f"equity chart: {run_dir / 'equity.png'}" in out
    width, height, _ = read_png((run_dir / "equity.png").read_bytes())
    assert (width, height) == (960, 540)

    err = done.stderr
    assert "progress:" in err and "step 1" in err  # not a terminal: plain lines
    assert "agent manual (id 3) has no command" in err
    assert err.count("alpha (id 1) silent") == 1 and "silent 2 times" in err
    assert "fund: writing the report" in err and "Traceback" not in err
    assert "fund: writing the report" in (run_dir / "fund.log").read_text()


def test_agents_get_the_configuration_address_absolute(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path)
    done = fundos(["run", "--config", "configs/demo.json", "--fund", str(fake_fund)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for agent_id, name in ((1, "alpha"), (2, "beta")):
        seen = json.loads((tmp_path / "runs" / "demo" / f"attached-{agent_id}").read_text())
        assert (seen["FUNDOS_CONFIG"], seen["FUNDOS_SERVICE"]) == (str(config), f"demo/{name}")


def test_run_quiet_and_run_dir(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path)
    run_dir = tmp_path / "elsewhere" / "r1"
    done = fundos(["run", "--config", str(config), "--run-dir", str(run_dir), "--quiet"], cwd=tmp_path,
                  env=clean_env({"FUNDOS_FUND": str(fake_fund)}))
    assert done.returncode == 0, done.stderr
    assert (run_dir / "report.json").is_file() and (run_dir / "equity.png").is_file()
    assert "progress" not in done.stderr and "started agent" not in done.stderr
    assert "silent" in done.stderr  # warnings still show
    assert "fund" in done.stdout and "report:" in done.stdout


def test_agent_failing_fails_the_run(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path, second_agent=["--exit", "3"])
    done = fundos(["run", "--config", str(config), "--fund", str(fake_fund)], cwd=tmp_path)
    assert done.returncode == 1
    log = tmp_path / "runs" / "demo" / "agents" / "beta.log"
    assert f"agent beta (id 2) exited with status 3; see {log}" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("fundos run: agent beta (id 2) exited with status 3")
    assert "fund" in done.stdout  # the summary still prints
    assert "Traceback" not in done.stderr


def test_agent_that_cannot_start(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path)
    data = json.loads(config.read_text())
    data["agents"][1]["command"] = ["./no-such-agent"]
    config.write_text(json.dumps(data))
    done = fundos(["run", "--config", str(config), "--fund", str(fake_fund)], cwd=tmp_path)
    assert done.returncode == 1
    assert "cannot start agent beta (id 2): ./no-such-agent in" in done.stderr
    assert "stopping the Fund" in done.stderr and "run stopped" in done.stdout
    assert "Traceback" not in done.stderr


def test_bad_configuration_exits_2(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path, "bad-config")
    done = fundos(["run", "--config", str(config), "--fund", str(fake_fund)], cwd=tmp_path)
    assert done.returncode == 2
    assert f"{config}: agents[0].capital: must be greater than 0" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"fundos run: the Fund refused the configuration {config} (see its message above)")


def test_fund_crash_exits_1(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path, "crash", agents=False)
    done = fundos(["run", "--config", str(config), "--fund", str(fake_fund)], cwd=tmp_path)
    assert done.returncode == 1
    assert "the sequencer lost its mind" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"fundos run: the Fund exited with status 1; see {tmp_path / 'runs' / 'demo' / 'fund.log'}")


def test_failed_run_exits_1(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path, "failed", agents=False)
    done = fundos(["run", "--config", str(config), "--fund", str(fake_fund)], cwd=tmp_path)
    assert done.returncode == 1 and "run failed" in done.stdout


def test_sigint_stops_the_fund_cleanly(tmp_path: Path, fake_fund: Path) -> None:
    config = write_config(tmp_path, "until-term")
    cli = subprocess.Popen([sys.executable, "-m", "fundos.cli", "run", "--config", str(config), "--fund",
                            str(fake_fund)], cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        assert cli.stderr is not None
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            line = cli.stderr.readline()
            seen.append(line)
            if line.startswith("progress:"):
                break
        else:
            raise AssertionError("".join(seen))
        cli.send_signal(signal.SIGINT)
        out, err = cli.communicate(timeout=30)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 0, "".join(seen) + err
    assert "stopping: the Fund finishes its step" in err
    assert "run stopped" in out and "report:" in out
    assert "the Fund hung up" in (tmp_path / "runs" / "demo" / "agents" / "alpha.log").read_text()


def test_no_fund_program(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    done = fundos(["run", "--config", str(config)], cwd=tmp_path, env=clean_env({"PATH": "/nonexistent"}))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot find the `fund` program" in done.stderr
