"""Numbered migrations, one folder per dialect (``migrations/sqlite``, ``migrations/postgresql``):
``NNNN_name.sql`` takes the schema from version NNNN-1 to NNNN. Each is applied in a transaction
of its own, together with its row in ``fundos_schema_version`` (PostgreSQL also takes an advisory
lock, so two ``init`` at once apply each migration once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from fundos.config.database import Database, Dialect
from fundos.config.errors import ConfigError

MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
ADVISORY_LOCK = 0x46554E444F53  # "FUNDOS"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: Dialect) -> list[Migration]:
    """The dialect's migrations, in order; numbered 1, 2, ... without gaps."""
    folder = resources.files("fundos.config.migrations").joinpath(dialect)
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), f"{match.group(1)}_{match.group(2)}", entry.read_text()))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise AssertionError(f"migrations/{dialect}: not numbered 1..N: {[m.name for m in found]}")
    return found


def latest_version(dialect: Dialect = "sqlite") -> int:
    """The schema version this package writes and reads (the Fund reads the same:
    kConfigSchemaVersion in config_source.hpp)."""
    return len(migrations(dialect))


def migrate(db: Database, target: int | None = None) -> tuple[int, list[str]]:
    """Applies the migrations the database lacks, up to ``target`` (default: the latest).
    Returns the version it started from and the names applied."""
    available = migrations(db.dialect)
    goal = len(available) if target is None else target
    start = db.schema_version()
    if start > len(available):
        raise ConfigError(f"{db.address.label}: schema version {start} is newer than this fundos knows "
                          f"({len(available)}): use a newer fundos")
    applied: list[str] = []
    for migration in available:
        if migration.version > goal:
            break
        with db.transaction():
            if db.dialect == "postgresql":
                db.execute("SELECT pg_advisory_xact_lock(?)", [ADVISORY_LOCK])
            if db.schema_version() >= migration.version:
                continue  # already there (or applied meanwhile by another init)
            db.script(migration.sql)
            db.execute("INSERT INTO fundos_schema_version (version, name) VALUES (?, ?)",
                       [migration.version, migration.name])
        applied.append(migration.name)
    return start, applied
