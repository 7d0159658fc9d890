"""Agents read their own configuration (docs/CONFIG.md, "Agents read their own configuration"):
``fundos.config.agent_config(address, service)`` goes through the C SDK (fundos_agent_config_load,
the Fund's own loader) and gives the same :class:`AgentConfig`, down to its JSON view's bytes,
from a JSON file, a SQLite database and a real PostgreSQL server; every fault is an
:class:`AgentConfigError` naming the source and the service; `fundos run` hands every agent its
configuration's address and service id, and the example agents trade what it maps to them."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import fundos
import pytest
from config_helpers import ROOT, every_field, example, fund, write
from config_helpers import fundos as fundos_cli
from fundos import AgentConfigError
from fundos.config import AgentConfig, ConfigError, agent_config
from fundos.config.address import absolute_address, parse_address
from pg_server import PostgresServer

EXAMPLES = ROOT / "sdks" / "python" / "examples"


def _init_import(path: Path, url: str, build: Path, cwd: Path | None = None) -> None:
    for args in (["init", url], ["import", str(path), url]):
        done = fundos_cli(["config", *args], build, cwd=cwd)
        assert done.returncode == 0, done.stderr


def _normalized(path: Path, build: Path) -> dict[str, Any]:
    done = fund(["check-config", str(path), "--print"], build)
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def _three_sources(path: Path, tmp_path: Path, build: Path, postgres: PostgresServer) -> dict[str, str]:
    """The configuration ``path`` as a file, in SQLite and in PostgreSQL: their addresses."""
    sqlite_url = f"sqlite://{tmp_path / 'agents.db'}"
    pg_url = postgres.url(postgres.create_database())
    for url in (sqlite_url, pg_url):
        _init_import(path, url, build)
    return {"json": str(path), "sqlite": sqlite_url, "postgresql": pg_url}


def _check_against_normalized(config: AgentConfig, normalized: dict[str, Any]) -> None:
    """The agent's part is the loader's normalized configuration's (durations aside)."""
    agent = next(a for a in normalized["agents"] if a["name"] == config.name)
    assert (config.fund, config.mode, config.service) == (normalized["name"], normalized["mode"],
                                                         f"{normalized['name']}/{agent['name']}")
    assert (config.agent_id, config.capital, config.symbols) == (agent["id"], Decimal(agent["capital"]),
                                                                tuple(agent["instruments"]))
    assert (config.silent_policy, config.wake, config.restart, config.max_restarts) == (
        agent["silent_policy"], agent["wake"], agent["restart"], agent["max_restarts"])
    assert (list(config.command), config.working_dir) == (agent["command"], agent["working_dir"])
    assert (list(config.allowed_uids), list(config.allowed_gids)) == (agent["allowed_uids"], agent["allowed_gids"])
    for key in ("max_order_qty", "max_order_notional", "max_position", "max_gross_exposure", "max_net_exposure",
                "reducing_loss", "halt_loss"):
        assert getattr(config.risk, key) == Decimal(agent["risk"][key]), key
    assert (config.risk.max_open_orders, config.risk.max_intents_per_window) == (
        agent["risk"]["max_open_orders"], agent["risk"]["max_intents_per_window"])
    by_symbol = {i["symbol"]: i for i in normalized["instruments"]}
    for instrument in config.instruments:
        row = by_symbol[instrument.symbol]
        assert (instrument.instrument_id, instrument.currency, instrument.restricted, instrument.price_collar_bps) == (
            row["id"], row["currency"], row["restricted"], row["price_collar_bps"])
        assert (instrument.tick_size, instrument.lot_size) == (Decimal(row["tick_size"]), Decimal(row["lot_size"]))
        assert instrument.risk.max_position == Decimal(row["risk"]["max_position"])
        assert row["status"] == "enabled"


# ---- the same agent from every source ------------------------------------------------------------

def test_the_same_agent_from_json_sqlite_and_postgresql(tmp_path: Path, fund_build: Path,
                                                        postgres: PostgresServer) -> None:
    path = every_field(tmp_path, fund_build)
    normalized = _normalized(path, fund_build)
    sources = _three_sources(path, tmp_path, fund_build, postgres)
    fund_name = normalized["name"]
    for agent in ("zeta", "alpha"):
        service = f"{fund_name}/{agent}"
        configs = {kind: agent_config(address, service) for kind, address in sources.items()}
        configs["sqlite#fund"] = agent_config(f"{sources['sqlite']}#{fund_name}", service)
        configs["postgresql#service"] = agent_config(f"{sources['postgresql']}#{service}", service)
        first = configs["json"]
        for kind, config in configs.items():
            assert config == first, kind
            assert config.view_json == first.view_json, kind
        _check_against_normalized(first, normalized)
        assert configs["json"].source == str(path)
        assert configs["sqlite"].source == f"{parse_address(sources['sqlite']).label}#{fund_name}"
        assert configs["postgresql"].source == f"{parse_address(sources['postgresql']).label}#{fund_name}"
        assert postgres.password not in configs["postgresql"].source
    zeta = agent_config(sources["sqlite"], f"{fund_name}/zeta")
    # Configured order (SYN002, then SYN003), not the instruments' order; durations in ns.
    assert zeta.symbols == ("SYN002", "SYN003") and zeta.agent_id == 9
    assert (zeta.lease_ns, zeta.risk.rate_window_ns) == (1_500_000_000, 250_000_000)
    syn003 = zeta.instrument("SYN003")
    assert syn003 is not None and syn003 is zeta.instrument(30)
    assert (syn003.currency, syn003.tick_size, syn003.lot_size, syn003.restricted) == (
        "EUR", Decimal("0.00000001"), Decimal("0.5"), True)
    assert (syn003.risk.max_position, syn003.risk.rate_window_ns) == (Decimal("12.25"), 120_000_000_000)
    assert zeta.instrument("SYN001") is None  # disabled, never mapped
    assert zeta.risk.max_net_exposure == Decimal("600000.000001")
    alpha = agent_config(sources["json"], f"{fund_name}/alpha")
    assert alpha.instruments == () and alpha.capital == Decimal(1) and alpha.lease_ns == 2_000_000_000
    assert json.loads(alpha.view_json)["agent"]["lease_ns"] == 2_000_000_000


def test_paths_the_agent_does_not_use_are_not_looked_up(tmp_path: Path, fund_build: Path) -> None:
    """The Fund refuses a configuration whose data file or an agent's folder is missing; an agent
    reading its own part (maybe on another machine) does not look them up."""
    path = example("demo.json", tmp_path, fund_build)
    config = json.loads(path.read_text())
    config["simulation"]["data"] = [str(tmp_path / "gone.fmd")]
    config["agents"][0]["working_dir"] = str(tmp_path / "no-such-folder")
    moved = write(tmp_path / "moved.json", config)
    refused = fund(["check-config", str(moved)], fund_build)
    assert refused.returncode == 2 and "no such file" in refused.stderr and "no such folder" in refused.stderr
    agent = agent_config(str(moved), "demo/ma_crossover")
    assert agent.working_dir == str(tmp_path / "no-such-folder") and agent.symbols == ("SYN001", "SYN002")


# ---- faults --------------------------------------------------------------------------------------

def _fails(address: str, service: str, *fragments: str) -> AgentConfigError:
    with pytest.raises(AgentConfigError) as caught:
        agent_config(address, service)
    error = caught.value
    for fragment in fragments:
        assert fragment in str(error), (fragment, str(error))
    assert isinstance(error, fundos.FundosError) and isinstance(error, ConfigError)
    assert error.name == "FUNDOS_E_CONFIG" and error.exit_code == 2
    return error


def test_every_fault_names_the_source_and_the_service(tmp_path: Path, fund_build: Path,
                                                      postgres: PostgresServer) -> None:
    path = example("demo.json", tmp_path, fund_build)
    sources = _three_sources(path, tmp_path, fund_build, postgres)
    labels = {kind: parse_address(address).label for kind, address in sources.items()}
    for kind, address in sources.items():
        source = labels[kind] if kind == "json" else f"{labels[kind]}#demo"
        for bad in ("demo", "demo/", "/ma_crossover", "demo/ma_crossover/x", ""):
            _fails(address, bad, f"{labels[kind]}: service must be FUND/AGENT", json.dumps(bad))
        _fails(address, "demo/nobody",
               f'{source}: no agent "nobody" in this configuration (it has ma_crossover, mean_reversion, breakout_c)')
    _fails(sources["json"], "other/ma_crossover",
           f'{path}: this is the configuration of the Fund "demo", not "other" (service "other/ma_crossover")')
    for kind in ("sqlite", "postgresql"):
        _fails(sources[kind], "other/ma_crossover", f'{labels[kind]}: no service "other" in the database (it holds demo)')
        _fails(f"{sources[kind]}#else", "demo/ma_crossover",
               f'{labels[kind]}#else: the address names service "else", not the Fund "demo"')
    error = _fails(postgres.url(postgres.create_database(), password="not-the-password"), "demo/ma_crossover",
                   "cannot connect: ", "password authentication failed")
    assert "not-the-password" not in str(error) and postgres.password not in str(error)
    closed = postgres.url("x").replace(f":{postgres.port}/", ":1/")
    _fails(closed, "demo/ma_crossover", f"{parse_address(closed).label}: cannot connect: ")
    _fails(postgres.url(postgres.create_database()), "demo/ma_crossover", "not a FundOS configuration database",
           "fundos config init")
    _fails(f"sqlite://{tmp_path / 'missing.db'}", "demo/ma_crossover", "missing.db: no such database file")
    assert not (tmp_path / "missing.db").exists()
    _fails(str(tmp_path / "missing.json"), "demo/ma_crossover", f"{tmp_path / 'missing.json'}: no such file")
    _fails("sqlite://host/x.db", "demo/ma_crossover", "a sqlite URL has no host")
    _fails("", "demo/ma_crossover", "no configuration address")
    _fails("x.json\0y", "demo/ma_crossover", "contains a NUL character")
    with pytest.raises(TypeError):
        agent_config(str(path), 7)  # type: ignore[arg-type]


def test_an_invalid_configuration_is_the_loaders_message(tmp_path: Path, fund_build: Path) -> None:
    path = example("demo.json", tmp_path, fund_build)
    config = json.loads(path.read_text())
    config["agents"][2]["risk"]["max_position"] = "-5"
    bad = write(tmp_path / "bad.json", config)
    # Another agent's fault too: the agent reads the configuration the Fund would refuse.
    _fails(str(bad), "demo/ma_crossover", f'{bad}: agents[2].risk.max_position: must be >= 0, got "-5"')
    url = f"sqlite://{tmp_path / 'c.db'}"
    _init_import(path, url, fund_build)
    with sqlite3.connect(tmp_path / "c.db") as conn:
        conn.execute("UPDATE instrument SET status = 'disabled' WHERE symbol = 'SYN001'")
    conn.close()
    _fails(url, "demo/mean_reversion",
           f'{parse_address(url).label}#demo: agents[0].instruments[0]: instrument "SYN001" is disabled')


def test_absolute_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_address("configs/demo.json") == str(tmp_path / "configs" / "demo.json")
    assert absolute_address("/abs/demo.json") == "/abs/demo.json"
    assert absolute_address("sqlite:c.db#demo") == f"sqlite://{tmp_path / 'c.db'}#demo"
    assert absolute_address("sqlite:///srv/c.db") == "sqlite:///srv/c.db"
    assert absolute_address("sqlite:dir%20x/c%23.db") == f"sqlite://{tmp_path}/dir%20x/c%23.db"
    url = "postgresql://u:p@h:5/db?sslmode=require#demo"
    assert absolute_address(url) == url
    with pytest.raises(ConfigError, match="has no host"):
        absolute_address("sqlite://host/c.db")


# ---- agent programs ------------------------------------------------------------------------------

def _agent_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDOS_")}
    env.update(values, ASAN_OPTIONS="detect_leaks=0")
    return env


def test_agent_programs_refuse_a_configuration_they_cannot_use(tmp_path: Path, fund_build: Path) -> None:
    """fundos.program and the C breakout agent read the configuration before attaching (there is
    no Fund here): a fault is exit 2 with the message, never a traceback."""
    path = example("demo.json", tmp_path, fund_build)
    breakout = fund_build / "sdks" / "c" / "fundos_breakout_agent"
    programs = {"demo/ma_crossover": [sys.executable, str(EXAMPLES / "ma_crossover.py")],
                "demo/breakout_c": [str(breakout)]}
    for service, argv in programs.items():
        cases = [
            ([], {"FUNDOS_SERVICE": "demo/nobody"}, f'{path}: no agent "nobody" in this configuration'),
            ([], {}, "--service FUND/AGENT"),
            (["--agent-id", "5"], {"FUNDOS_SERVICE": service}, f"agent id 5 is not the id of {service}"),
            (["--instruments", "SYN001,NOPE"], {"FUNDOS_SERVICE": service},
             f"--instruments: NOPE is not one of the instruments of {service} in {path}"),
            (["--service", "bad"], {}, "service must be FUND/AGENT"),
        ]
        for extra, env, message in cases:
            done = subprocess.run([*argv, "--config", str(path), *extra], env=_agent_env(**env), capture_output=True,
                                  text=True, timeout=60, check=False)
            assert done.returncode == 2, (argv, extra, done.stdout, done.stderr)
            assert message in done.stderr and "Traceback" not in done.stderr, (extra, done.stderr)
        # From the environment (what `fundos run` sets) it gets as far as attaching: no Fund here.
        done = subprocess.run(argv, env=_agent_env(FUNDOS_CONFIG=str(path), FUNDOS_SERVICE=service,
                                                   FUNDOS_SOCKET=str(tmp_path / "none.sock")),
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 1 and "cannot attach" in done.stderr, done.stderr
        agent_id = agent_config(str(path), service).agent_id
        assert f"as agent {agent_id}" in done.stderr, done.stderr


def test_fundos_run_agents_trade_their_configured_instruments(tmp_path: Path, fund_build: Path) -> None:
    """A run from a SQLite database given relative to the current folder, the agents in a folder
    of their own: each agent reads its configuration from the database (FUNDOS_CONFIG, made
    absolute, and FUNDOS_SERVICE) and trades only what it maps to it, so the Fund never has to
    reject an intent as INSTRUMENT_NOT_MAPPED."""
    path = example("demo.json", tmp_path, fund_build)
    config = json.loads(path.read_text())
    (tmp_path / "agents").mkdir()
    for agent in config["agents"]:
        agent["command"] = [arg for arg in agent["command"] if arg != "--quiet"]
        agent["working_dir"] = "agents"
    config["agents"][0]["instruments"] = ["SYN002"]          # ma_crossover
    config["agents"][2]["instruments"] = ["SYN004", "SYN001"]  # breakout_c (C)
    _init_import(write(tmp_path / "mapped.json", config), "sqlite:c.db", fund_build, cwd=tmp_path)
    done = fundos_cli(["run", "--quiet", "--config", "sqlite:c.db#demo", "--run-dir", str(tmp_path / "run")],
                      fund_build, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    source = f"sqlite://{tmp_path / 'c.db'}#demo"
    logs = tmp_path / "run" / "agents"
    assert f"ma_crossover: demo/ma_crossover from {source}: instruments SYN002" in (
        logs / "ma_crossover.log").read_text()
    assert f"mean_reversion: demo/mean_reversion from {source}: instruments SYN003, SYN004" in (
        logs / "mean_reversion.log").read_text()
    assert f"breakout_agent: demo/breakout_c from {source}, instruments SYN004,SYN001" in (
        logs / "breakout_c.log").read_text()
    with (tmp_path / "run" / "fills.csv").open() as f:
        traded: dict[str, set[str]] = {}
        for row in csv.DictReader(f):
            traded.setdefault(row["agent"], set()).add(row["instrument"])
    assert traded["ma_crossover"] == {"SYN002"}, traded
    assert traded["mean_reversion"] <= {"SYN003", "SYN004"} and traded["breakout_c"] <= {"SYN001", "SYN004"}
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert all("INSTRUMENT_NOT_MAPPED" not in agent["rejects"] for agent in report["agents"]), report["agents"]
