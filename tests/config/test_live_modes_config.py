"""The live modes' configuration (issue #7): a paper and a production configuration, with every
live field set, load, normalize, and round-trip unchanged through a SQLite file and a real
PostgreSQL server (schema version 3); `fund run` refuses production with a clear message, and a
bad live field is named in the error, from a file and from a database alike."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from config_helpers import fund, fundos, write
from jsonschema import Draft202012Validator
from pg_server import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["sqlite", "postgresql"]

LIVE_FEED: dict[str, Any] = {
    "source": "live", "feed": "loopback", "address": "239.255.0.7", "port": 31501, "interface": "127.0.0.1",
    "recovery_address": "127.0.0.1", "recovery_port": 31502, "reorder_window": 32, "reorder_timeout": "10ms",
    "stale_after": "2s", "recovery_timeout": "1500ms", "publish_interval": "200ms", "heartbeat_interval": "3s",
    "max_snapshot_lag": 6,
}
VENUE: dict[str, Any] = {
    "name": "local-exchange", "endpoint": "fix://127.0.0.1:9878", "host": "127.0.0.1", "port": 9878,
    "sender_comp_id": "FUNDOS", "target_comp_id": "EXCHSIM", "heartbeat_s": 10, "reset_on_logon": True,
    "account": "PAPER-1",
}


def _config(name: str, mode: str, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "name": name, "mode": mode, "capital": "1000000", "market_data": LIVE_FEED,
        "instruments": [{"id": 1, "symbol": "SYN001"}, {"id": 2, "symbol": "SYN002"}],
        "agents": [{"id": 1, "name": "alpha", "instruments": ["SYN001"], "capital": "100000"}],
    }
    config.update(extra)
    return config


def _paper(tmp_path: Path) -> Path:
    return write(tmp_path / "paper.json", _config("paper-1", "paper"))


def _production(tmp_path: Path) -> Path:
    return write(tmp_path / "production.json",
                 _config("prod-1", "production", execution={"fill_model": "venue", "venue": VENUE}))


@pytest.fixture(params=KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'live.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url(server.create_database())


def _normalized(path: Path, build: Path) -> str:
    done = fund(["check-config", str(path), "--print"], build)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_live_fields_are_kept_in_the_normalized_form(tmp_path: Path, fund_build: Path) -> None:
    paper = json.loads(_normalized(_paper(tmp_path), fund_build))
    assert paper["mode"] == "paper"
    assert paper["market_data"] == LIVE_FEED
    assert paper["simulation"]["data"] == []
    assert paper["execution"]["fill_model"] == "simulated"
    production = json.loads(_normalized(_production(tmp_path), fund_build))
    assert production["execution"]["fill_model"] == "venue"
    assert production["execution"]["venue"] == VENUE
    # The normalized form loads again to itself.
    again = write(tmp_path / "again.json", production)
    assert json.loads(_normalized(again, fund_build)) == production


def test_paper_and_production_round_trip_through_a_database(database: str, tmp_path: Path, fund_build: Path) -> None:
    assert fundos(["config", "init", database], fund_build).returncode == 0
    for path, name in ((_paper(tmp_path), "paper-1"), (_production(tmp_path), "prod-1")):
        done = fundos(["config", "import", str(path), database], fund_build)
        assert done.returncode == 0, done.stderr
        exported = fundos(["config", "export", f"{database}#{name}"], fund_build)
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout == _normalized(path, fund_build)
        checked = fund(["check-config", f"{database}#{name}"], fund_build)
        assert checked.returncode == 0, checked.stderr


def test_a_bad_live_field_is_named_from_a_file_and_from_sqlite(tmp_path: Path, fund_build: Path) -> None:
    bad = write(tmp_path / "bad.json", _config("bad-1", "paper", market_data=dict(LIVE_FEED, recovery_port=0)))
    done = fund(["check-config", str(bad)], fund_build)
    assert done.returncode == 2
    assert f"{bad}: market_data.recovery_port: is required in mode \"paper\"" in done.stderr
    url = f"sqlite://{tmp_path / 'bad.db'}"
    assert fundos(["config", "init", url], fund_build).returncode == 0
    assert fundos(["config", "import", str(_paper(tmp_path)), url], fund_build).returncode == 0
    with sqlite3.connect(tmp_path / "bad.db") as db:
        db.execute("UPDATE market_data SET recovery_port = 0 WHERE fund = 'paper-1'")
    done = fund(["check-config", url], fund_build)
    assert done.returncode == 2
    assert "market_data.recovery_port: is required in mode \"paper\"" in done.stderr
    # The schema's own checks hold in the database too: a port out of range is refused on write.
    with sqlite3.connect(tmp_path / "bad.db") as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE market_data SET port = 70000 WHERE fund = 'paper-1'")


def test_live_fields_cannot_change_while_running(tmp_path: Path, fund_build: Path) -> None:
    running = tmp_path / "running.json"
    running.write_text(_normalized(_paper(tmp_path), fund_build))
    changed = write(tmp_path / "changed.json",
                    _config("paper-1", "paper", market_data=dict(LIVE_FEED, publish_interval="300ms")))
    done = fund(["check-config", str(changed), "--running", str(running)], fund_build)
    assert done.returncode == 2
    assert 'market_data.publish_interval: "200ms" -> "300ms" cannot change while the Fund runs' in done.stderr


def test_the_paper_example_loads_and_matches_the_schema(fund_build: Path) -> None:
    path = ROOT / "fund" / "examples" / "live" / "paper.json"
    document = json.loads(path.read_text())
    schema = json.loads((ROOT / "schema" / "fund-config.schema.json").read_text())
    assert [error.message for error in Draft202012Validator(schema).iter_errors(document)] == []
    normalized = json.loads(_normalized(path, fund_build))
    assert normalized["mode"] == "paper" and normalized["market_data"]["source"] == "live"
    assert [agent["name"] for agent in normalized["agents"]] == ["ma_crossover", "breakout_c"]
