"""Configuration sources (docs/CONFIG.md): the same configuration from a JSON file, a SQLite
database and a real PostgreSQL server (started by the ``postgres`` fixture) is the same
configuration, down to the byte, and gives the same run; every bad input fails with a message
naming the source and the field, and a failed import changes nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from config_helpers import every_field, example, fund, fundos, write
from fundos.config import ConfigError
from fundos.config.address import parse_address
from fundos.config.database import connect
from fundos.config.migrate import latest_version, migrate, migrations
from pg_server import PostgresServer

KINDS = ["sqlite", "postgresql"]


@pytest.fixture(params=KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: its URL (no schema yet)."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'config.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url(server.create_database())


def _init(url: str, build: Path) -> None:
    done = fundos(["config", "init", url], build)
    assert done.returncode == 0, done.stderr


def _import(path: Path, url: str, build: Path) -> None:
    done = fundos(["config", "import", str(path), url], build)
    assert done.returncode == 0, done.stderr


def _normalized(path: Path, build: Path) -> str:
    done = fund(["check-config", str(path), "--print"], build)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _snapshot(url: str) -> str:
    """Every row of every table, for "nothing changed" checks."""
    db = connect(parse_address(url.split("#")[0]))
    try:
        tables = ["fund", "simulation", "simulation_data", "execution", "market_data", "instrument", "agent",
                  "agent_command", "agent_instrument", "agent_allowed_uid", "agent_allowed_gid", "risk_limits",
                  "fundos_schema_version"]
        return json.dumps({t: sorted(map(repr, db.query(f"SELECT * FROM {t}"))) for t in tables})
    finally:
        db.close()


# ---- round trips ---------------------------------------------------------------------------------

CONFIGS: dict[str, Callable[[Path, Path], Path]] = {
    "demo": lambda where, build: example("demo.json", where, build),
    "lean-spy": lambda where, build: example("lean-spy.json", where, build),
    "every-field": every_field,
}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_json_to_database_to_json_is_exact(config: str, database: str, tmp_path: Path, fund_build: Path) -> None:
    path = CONFIGS[config](tmp_path, fund_build)
    expected = _normalized(path, fund_build)
    _init(database, fund_build)
    _import(path, database, fund_build)

    exported = fundos(["config", "export", database], fund_build)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == expected
    # The Fund reads the database itself (libsqlite3 / libpq) to the same bytes.
    direct = fund(["check-config", database, "--print"], fund_build)
    assert direct.returncode == 0, direct.stderr
    assert direct.stdout == expected
    # Re-importing the export changes nothing; diff sees no difference either way.
    again = write(tmp_path / "exported.json", json.loads(exported.stdout))
    before = _snapshot(database)
    _import(again, database, fund_build)
    assert _snapshot(database) == before
    name = json.loads(expected)["name"]
    for a, b in ((str(path), f"{database}#{name}"), (database, str(again))):
        done = fundos(["config", "diff", a, b], fund_build)
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_field_is_not_the_default(tmp_path: Path, fund_build: Path) -> None:
    """The every-field configuration really sets every key the normalized form has."""
    normalized = json.loads(_normalized(every_field(tmp_path, fund_build), fund_build))
    defaults = json.loads(_normalized(write(tmp_path / "min.json", {
        "name": "m", "capital": "1", "simulation": {"data": [str(tmp_path / "a.fmd")]},
        "instruments": [{"id": 1, "symbol": "SYN001"}], "agents": [{"id": 1, "name": "x", "instruments": [],
                                                                    "capital": "1"}]}), fund_build))

    def same(a: object, b: object, path: str) -> list[str]:
        if isinstance(a, dict) and isinstance(b, dict):
            return [p for k in b for p in same(a.get(k), b[k], f"{path}.{k}")]
        return [path] if a == b and path.split(".")[-1] not in ("mode", "fill_model", "source") else []

    assert same(normalized, defaults, "") == []
    assert [i["status"] for i in normalized["instruments"]] == ["enabled", "enabled", "disabled"]


def test_several_services_and_the_service_fragment(tmp_path: Path, fund_build: Path) -> None:
    url = f"sqlite://{tmp_path / 'c.db'}"
    _init(url, fund_build)
    demo = example("demo.json", tmp_path, fund_build)
    every = every_field(tmp_path, fund_build)
    _import(demo, url, fund_build)
    _import(every, url, fund_build)
    done = fund(["check-config", url], fund_build)
    assert done.returncode == 2
    assert "holds 2 configurations (demo, every-field_1.0); name one" in done.stderr
    done = fundos(["config", "export", url], fund_build)
    assert done.returncode == 2 and "holds 2 configurations" in done.stderr
    for path, name in ((demo, "demo"), (every, "every-field_1.0")):
        assert fundos(["config", "export", f"{url}#{name}"], fund_build).stdout == _normalized(path, fund_build)
    done = fund(["check-config", f"{url}#nope"], fund_build)
    assert done.returncode == 2 and 'no service "nope" in the database (it holds demo, every-field_1.0)' in done.stderr
    # relative sqlite: URLs are relative to the current folder
    done = fund(["check-config", "sqlite:c.db#demo"], fund_build, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_diff_names_each_changed_path(tmp_path: Path, fund_build: Path) -> None:
    url = f"sqlite://{tmp_path / 'c.db'}"
    _init(url, fund_build)
    path = example("demo.json", tmp_path, fund_build)
    _import(path, url, fund_build)
    config = json.loads(path.read_text())
    config["agents"][1]["risk"]["max_position"] = "123"
    config["instruments"].pop()
    config["agents"][0]["instruments"] = [s for s in config["agents"][0]["instruments"] if s != "SYN004"]
    config["agents"][1]["instruments"] = [s for s in config["agents"][1]["instruments"] if s != "SYN004"]
    config["agents"][2]["instruments"] = [s for s in config["agents"][2]["instruments"] if s != "SYN004"]
    changed = write(tmp_path / "changed.json", config)
    done = fundos(["config", "diff", url, str(changed)], fund_build)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"--- A {url}#demo" and lines[1] == f"+++ B {changed}"
    assert 'agents[1].risk.max_position: "2000" -> "123"' in lines
    assert any(line.startswith("instruments[3]: only in A: ") for line in lines)


# ---- migrations ----------------------------------------------------------------------------------

V1_ROWS = [
    "INSERT INTO fund (name, mode, capital) VALUES ('old', 'simulation', '500000')",
    "INSERT INTO simulation (fund, decision_kind, decision_events) VALUES ('old', 'events', 50)",
    "INSERT INTO simulation_data (fund, position, path) VALUES ('old', 0, '{data}')",
    "INSERT INTO execution (fund, slippage_bps, fee_bps) VALUES ('old', 2, '0.5')",
    "INSERT INTO instrument (fund, id, position, symbol, price_collar_bps) VALUES ('old', 5, 0, 'SYN001', 100)",
    "INSERT INTO instrument (fund, id, position, symbol) VALUES ('old', 6, 1, 'SYN002')",
    "INSERT INTO agent (fund, id, position, name, working_dir, capital) VALUES ('old', 1, 0, 'a', '{dir}', '1000')",
    "INSERT INTO agent_command (fund, agent_id, position, arg) VALUES ('old', 1, 0, 'agent'), ('old', 1, 1, '-v')",
    "INSERT INTO agent_instrument (fund, agent_id, position, instrument_id) VALUES ('old', 1, 0, 6), ('old', 1, 1, 5)",
    "INSERT INTO risk_limits (fund, scope, halt_loss) VALUES ('old', 'fund', '9000')",
    "INSERT INTO risk_limits (fund, scope, agent_id, max_position) VALUES ('old', 'agent', 1, '100')",
]


def test_init_on_an_empty_database_then_again(database: str, fund_build: Path) -> None:
    done = fundos(["config", "init", database], fund_build)
    assert done.returncode == 0, done.stderr
    assert f"schema version 0 -> {latest_version()} (0001_initial, 0002_model_fields, 0003_live_modes)" in done.stdout
    done = fundos(["config", "init", database], fund_build)
    assert done.returncode == 0 and f"schema version {latest_version()}, up to date" in done.stdout
    db = connect(parse_address(database))
    try:
        assert [row[0] for row in db.query("SELECT version FROM fundos_schema_version ORDER BY version")] == [1, 2, 3]
    finally:
        db.close()
    done = fund(["check-config", database], fund_build)
    assert done.returncode == 2 and "the database holds no configuration" in done.stderr


def test_init_migrates_from_version_1_and_keeps_the_data(database: str, tmp_path: Path, fund_build: Path) -> None:
    assert [m.name for m in migrations("sqlite")] == [m.name for m in migrations("postgresql")]
    data = example("demo.json", tmp_path, fund_build).parent / "synth.fmd"
    db = connect(parse_address(database), create=True)
    try:
        assert migrate(db, target=1) == (0, ["0001_initial"])
        with db.transaction():
            for sql in V1_ROWS:
                db.execute(sql.format(data=data, dir=tmp_path))
    finally:
        db.close()
    # The Fund refuses the old schema, naming the source and what to do.
    label = parse_address(database).label
    for done in (fund(["check-config", database], fund_build), fundos(["config", "export", database], fund_build)):
        assert done.returncode == 2
        assert f"{label}: schema version 1, this" in done.stderr
        assert f"run `fundos config init {label}`" in done.stderr
    done = fundos(["config", "init", database], fund_build)
    assert done.returncode == 0 and f"schema version 1 -> {latest_version()} (0002_model_fields, 0003_live_modes)" in done.stdout, done.stderr
    exported = fundos(["config", "export", database], fund_build)
    assert exported.returncode == 0, exported.stderr
    expected = _normalized(write(tmp_path / "old.json", {
        "name": "old", "capital": "500000", "risk": {"halt_loss": "9000"},
        "simulation": {"data": [str(data)], "decision": {"events": 50}},
        "execution": {"slippage_bps": 2, "fee_bps": "0.5"},
        "instruments": [{"id": 5, "symbol": "SYN001", "price_collar_bps": 100}, {"id": 6, "symbol": "SYN002"}],
        "agents": [{"id": 1, "name": "a", "command": ["agent", "-v"], "working_dir": str(tmp_path),
                    "instruments": ["SYN002", "SYN001"], "capital": "1000", "risk": {"max_position": "100"}}]}),
        fund_build)
    assert exported.stdout == expected


# ---- one run, three sources ----------------------------------------------------------------------

def test_the_same_run_from_json_sqlite_and_postgresql(tmp_path: Path, fund_build: Path, postgres: PostgresServer) -> None:
    path = example("demo.json", tmp_path, fund_build)
    sqlite_url = f"sqlite://{tmp_path / 'c.db'}"
    pg_url = postgres.url(postgres.create_database())
    for url in (sqlite_url, pg_url):
        _init(url, fund_build)
        _import(path, url, fund_build)
    outputs: dict[str, dict[str, bytes]] = {}
    for name, source in (("json", str(path)), ("sqlite", f"{sqlite_url}#demo"), ("postgresql", pg_url)):
        run_dir = tmp_path / f"run-{name}"
        done = fundos(["run", "--quiet", "--config", source, "--run-dir", str(run_dir)], fund_build, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        outputs[name] = {f: (run_dir / f).read_bytes()
                         for f in ("journal.fj", "report.json", "fills.csv", "equity.csv")}
    assert len(outputs["json"]["fills.csv"].splitlines()) > 1, "the example agents traded nothing"
    for name in ("sqlite", "postgresql"):
        for file, content in outputs["json"].items():
            assert outputs[name][file] == content, f"{file} from {name} differs from the JSON file's run"


# ---- bad input -----------------------------------------------------------------------------------

BAD_FILES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "wrong field": (lambda c: c["agents"][0].update(silent_polcy="flatten"),
                    'agents[0].silent_polcy: unknown key (did you mean "silent_policy"?)'),
    "wrong type": (lambda c: c["execution"].update(slippage_bps="1"), "execution.slippage_bps: must be an integer"),
    "unknown instrument in a mapping": (lambda c: c["agents"][1]["instruments"].append("NOPE"),
                                        'agents[1].instruments[2]: no instrument "NOPE" in instruments'),
    "negative limit": (lambda c: c["agents"][2].setdefault("risk", {}).update(max_position="-5"),
                       'agents[2].risk.max_position: must be >= 0, got "-5"'),
    "duplicate id": (lambda c: c["instruments"][2].update(id=1),
                     "instruments[2].id: 1 is also the id of instruments[0]"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_and_the_database_is_unchanged(case: str, database: str, tmp_path: Path,
                                                              fund_build: Path) -> None:
    good = example("demo.json", tmp_path, fund_build)
    _init(database, fund_build)
    _import(good, database, fund_build)
    before = _snapshot(database)
    config = json.loads(good.read_text())
    change, fragment = BAD_FILES[case]
    change(config)
    bad = write(tmp_path / "bad.json", config)
    for done in (fundos(["config", "import", str(bad), database], fund_build),
                 fundos(["config", "validate", str(bad)], fund_build),
                 fund(["check-config", str(bad)], fund_build),
                 fund(["run", "--config", str(bad), "--run-dir", str(tmp_path / "run")], fund_build)):
        assert done.returncode == 2, done.stderr
        assert f"{bad}: {fragment}" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()
    assert _snapshot(database) == before


def test_a_database_fault_mid_import_changes_nothing(database: str, tmp_path: Path, fund_build: Path) -> None:
    """A write that fails after the service's rows were deleted and half rewritten rolls back."""
    good = example("demo.json", tmp_path, fund_build)
    _init(database, fund_build)
    _import(good, database, fund_build)
    before = _snapshot(database)
    address = parse_address(database)
    if address.kind == "sqlite":
        with sqlite3.connect(address.path) as conn:
            conn.execute("CREATE TRIGGER boom BEFORE INSERT ON agent_command WHEN NEW.position = 1 "
                         "BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    else:
        with psycopg.connect(address.conninfo, autocommit=True) as conn:
            conn.execute("CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.position = 1 THEN "
                         "RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.execute("CREATE TRIGGER boom BEFORE INSERT ON agent_command FOR EACH ROW EXECUTE FUNCTION boom()")
    config = json.loads(good.read_text())
    config["capital"] = "2000000"
    done = fundos(["config", "import", str(write(tmp_path / "new.json", config)), database], fund_build)
    assert done.returncode == 1
    assert f"{address.label}: " in done.stderr and "injected fault" in done.stderr
    assert "nothing was changed" in done.stderr and "Traceback" not in done.stderr
    assert _snapshot(database) == before


def test_a_bad_row_in_the_database_names_the_source_and_the_field(database: str, tmp_path: Path,
                                                                 fund_build: Path) -> None:
    _init(database, fund_build)
    _import(example("demo.json", tmp_path, fund_build), database, fund_build)
    address = parse_address(database)
    db = connect(address)
    try:
        # The schema's constraints refuse what the loader would (a negative limit, a duplicate id).
        for sql in ("UPDATE risk_limits SET max_position = '-5' WHERE scope = 'fund'",
                    "UPDATE instrument SET id = 1 WHERE id = 2"):
            with pytest.raises(ConfigError, match="constraint"), db.transaction():
                db.execute(sql)
        # What passes the constraints but not the loader: an agent mapped to a disabled instrument.
        with db.transaction():
            db.execute("UPDATE instrument SET status = 'disabled' WHERE symbol = 'SYN001'")
    finally:
        db.close()
    fragment = f'{address.label}#demo: agents[0].instruments[0]: instrument "SYN001" is disabled'
    for done in (fund(["check-config", database], fund_build),
                 fund(["run", "--config", database, "--run-dir", str(tmp_path / "run")], fund_build),
                 fundos(["config", "export", database], fund_build),
                 fundos(["config", "validate", database], fund_build)):
        assert done.returncode == 2
        assert fragment in done.stderr
    assert not (tmp_path / "run").exists()


def test_unreachable_database_wrong_password_and_missing_file(postgres: PostgresServer, tmp_path: Path,
                                                             fund_build: Path) -> None:
    database = postgres.create_database()
    wrong = postgres.url(database, password="not-the-password")
    closed = postgres.url(database).replace(f":{postgres.port}/", ":1/")
    missing = f"sqlite://{tmp_path / 'missing.db'}"
    cases = [
        (wrong, f'{parse_address(wrong).label}: cannot connect: ', "password authentication failed"),
        (closed, f"{parse_address(closed).label}: cannot connect: ", "127.0.0.1"),
        (missing, f"{parse_address(missing).label}: no such database file", "fundos config init"),
    ]
    for url, prefix, detail in cases:
        for done in (fund(["check-config", url], fund_build),
                     fund(["run", "--config", url, "--run-dir", str(tmp_path / "run")], fund_build),
                     fundos(["config", "export", url], fund_build),
                     fundos(["config", "validate", url], fund_build),
                     fundos(["config", "diff", url, url], fund_build)):
            assert done.returncode == 2, (url, done.stderr)
            assert prefix in done.stderr and detail in done.stderr, done.stderr
            assert "not-the-password" not in done.stderr and postgres.password not in done.stderr
            assert "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()
    assert not (tmp_path / "missing.db").exists()
    done = fundos(["config", "import", str(tmp_path / "x.json"), wrong], fund_build)
    assert done.returncode == 2


def test_tls_options_pass_through_to_libpq(postgres: PostgresServer, fund_build: Path) -> None:
    """sslmode reaches libpq: the test server has no TLS, so sslmode=require is refused by it."""
    url = postgres.url(postgres.create_database(), params="sslmode=require&connect_timeout=5")
    for done in (fund(["check-config", url], fund_build), fundos(["config", "export", url], fund_build)):
        assert done.returncode == 2
        assert "sslmode=require" in done.stderr and "SSL" in done.stderr, done.stderr
    url = postgres.url(postgres.create_database(), params="sslmode=disable")
    assert fundos(["config", "init", url], fund_build).returncode == 0


def test_an_uninitialized_database_and_bad_urls(postgres: PostgresServer, tmp_path: Path, fund_build: Path) -> None:
    url = postgres.url(postgres.create_database())
    label = parse_address(url).label
    good = example("demo.json", tmp_path, fund_build)
    for done in (fund(["check-config", url], fund_build), fundos(["config", "import", str(good), url], fund_build)):
        assert done.returncode == 2
        assert f"{label}: not a FundOS configuration database" in done.stderr and "fundos config init" in done.stderr
    for bad, message in (("sqlite://host/x.db", "a sqlite URL has no host"),
                         ("sqlite:x.db?mode=ro", "a sqlite URL takes no parameters"),
                         ("sqlite:x.db#bad name", "the service after '#'")):
        for done in (fund(["check-config", bad], fund_build), fundos(["config", "export", bad], fund_build)):
            assert done.returncode == 2 and message in done.stderr, done.stderr
