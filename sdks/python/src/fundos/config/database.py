"""Connections to configuration databases (sqlite3 from the standard library, psycopg 3 for
PostgreSQL) behind one small interface, and reading a service's document from the view.

SQL is written with ``?`` placeholders; for PostgreSQL they become ``%s``. Every connection is in
autocommit mode and transactions are explicit (:meth:`Database.transaction`), so a failure rolls
back everything the transaction did: nothing is half-applied.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from fundos.config.address import Address
from fundos.config.errors import EXIT_FAILURE, ConfigError

Dialect = Literal["sqlite", "postgresql"]
CONNECT_TIMEOUT_S = 10


def one_line(text: str) -> str:
    """A library's message on one line."""
    return "; ".join(part.strip() for part in str(text).strip().splitlines() if part.strip())


def driver_errors() -> tuple[type[Exception], ...]:
    """The database drivers' error types (psycopg's when it is installed)."""
    try:
        import psycopg
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


def sqlite_statements(script: str) -> Iterator[str]:
    """The complete statements of a SQL script, in order."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not all(not ln.strip() or ln.strip().startswith("--") for ln in buffer.splitlines()):
        yield buffer


class Database:
    """One open configuration database."""

    def __init__(self, address: Address, dialect: Dialect, connection: Any) -> None:
        self.address = address
        self.dialect: Dialect = dialect
        self._conn = connection
        self._errors = driver_errors()

    # ---- statements
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        try:
            self._conn.execute(self._sql(sql), tuple(params))
        except self._errors as error:
            raise self._error(error) from None

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._conn.execute(self._sql(sql), tuple(params)).fetchall())
        except self._errors as error:
            raise self._error(error) from None

    def script(self, sql: str) -> None:
        """Several statements without parameters (a migration file)."""
        try:
            if self.dialect == "sqlite":
                # Statement by statement: executescript would COMMIT the open transaction first.
                for statement in sqlite_statements(sql):
                    self._conn.execute(statement)
            else:
                self._conn.execute(sql)
        except self._errors as error:
            raise self._error(error) from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT; ROLLBACK when the block raises."""
        self.execute("BEGIN")
        try:
            yield
        except BaseException:
            with suppress(*self._errors):  # a connection that is gone is rolled back by the server
                self._conn.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def _error(self, error: Exception) -> ConfigError:
        return ConfigError(f"{self.address.label}: {one_line(str(error))}", EXIT_FAILURE)

    def close(self) -> None:
        with suppress(*self._errors):
            self._conn.close()

    # ---- the schema
    def table_exists(self, name: str) -> bool:
        if self.dialect == "sqlite":
            return bool(self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]))
        return bool(self.query("SELECT to_regclass(?) IS NOT NULL", [name])[0][0])

    def schema_version(self) -> int:
        """The highest applied migration; 0 for a database without the version table."""
        if not self.table_exists("fundos_schema_version"):
            return 0
        return int(self.query("SELECT coalesce(max(version), 0) FROM fundos_schema_version")[0][0])

    def services(self) -> list[str]:
        order = "name" if self.dialect == "sqlite" else 'name COLLATE "C"'
        return [str(row[0]) for row in self.query(f"SELECT name FROM fund ORDER BY {order}")]


def connect(address: Address, create: bool = False) -> Database:
    """Opens the database at ``address``; a SQLite file is created only when ``create`` is true.
    :class:`ConfigError` (exit status 2) naming the source when it cannot be opened."""
    if address.kind == "sqlite":
        return _connect_sqlite(address, create)
    if address.kind == "postgresql":
        return _connect_postgresql(address)
    raise ConfigError(f"{address.label}: not a database URL (sqlite:///PATH.db or postgresql://...)")


def _connect_sqlite(address: Address, create: bool) -> Database:
    path = Path(address.path)
    if not path.exists() and not create:
        raise ConfigError(f"{address.label}: no such database file (create it with `fundos config init "
                          f"{address.label}`)")
    if create and not path.parent.is_dir():
        raise ConfigError(f"{address.label}: no such folder: {path.parent}")
    try:
        uri = f"file:{quote(os.fspath(path))}?mode={'rwc' if create else 'rw'}"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode").fetchall()
    except sqlite3.Error as error:
        raise ConfigError(f"{address.label}: cannot open: {one_line(str(error))}") from None
    return Database(address, "sqlite", conn)


def _connect_postgresql(address: Address) -> Database:
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError as error:
        raise ConfigError(f"{address.label}: PostgreSQL needs psycopg (pip install psycopg) and libpq: {error}") from None
    try:
        given = conninfo_to_dict(address.conninfo)
    except psycopg.ProgrammingError as error:
        raise ConfigError(f"{address.label}: not a valid PostgreSQL URL: {one_line(str(error))}") from None
    extra: dict[str, Any] = {}
    if "connect_timeout" not in given:
        extra["connect_timeout"] = CONNECT_TIMEOUT_S
    if "application_name" not in given:
        extra["application_name"] = "fundos"
    try:
        conn = psycopg.connect(address.conninfo, autocommit=True, **extra)
    except psycopg.Error as error:
        raise ConfigError(f"{address.label}: cannot connect: {one_line(str(error))}") from None
    return Database(address, "postgresql", conn)


def pick_service(db: Database, service: str) -> str:
    """The service to read: the one asked for, or the only one in the database."""
    services = db.services()
    label = db.address.label
    if service:
        if service not in services:
            held = f"it holds {', '.join(services)}" if services else "it holds no configuration"
            raise ConfigError(f"{label}: no service {service!r} in the database ({held})")
        return service
    if len(services) == 1:
        return services[0]
    if not services:
        raise ConfigError(f"{label}: the database holds no configuration (import one with "
                          f"`fundos config import FILE.json {label}`)")
    raise ConfigError(f"{label}: the database holds {len(services)} configurations ({', '.join(services)}); "
                      f"name one: {label}#SERVICE")


def check_version(db: Database, expected: int) -> None:
    """:class:`ConfigError` unless the schema is at ``expected``."""
    label = db.address.label
    if not db.table_exists("fundos_schema_version"):
        raise ConfigError(f"{label}: not a FundOS configuration database (no fundos_schema_version table): "
                          f"run `fundos config init {label}`")
    version = db.schema_version()
    if version < expected:
        raise ConfigError(f"{label}: schema version {version}, this fundos reads version {expected}: "
                          f"run `fundos config init {label}` to migrate it")
    if version > expected:
        raise ConfigError(f"{label}: schema version {version} is newer than this fundos reads ({expected}): "
                          "use a newer fundos")


def read_document(db: Database, service: str, expected_version: int) -> tuple[str, str]:
    """``(service, document)`` from the view, read in one transaction."""
    with db.transaction():
        check_version(db, expected_version)
        chosen = pick_service(db, service)
        rows = db.query("SELECT document FROM fundos_config_document WHERE service = ?", [chosen])
    if len(rows) != 1:
        raise ConfigError(f"{db.address.named(chosen)}: the view fundos_config_document gives {len(rows)} "
                          "documents for the service, not 1")
    return chosen, str(rows[0][0])
