"""Any source to the normalized configuration: a file through the Fund's loader; a database
through its view, then the same loader. The operations of ``fundos config`` (init, import,
export, validate, diff) are built from these."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundos.config.address import Address, parse_address
from fundos.config.database import check_version, connect, read_document
from fundos.config.errors import EXIT_FAILURE, ConfigError
from fundos.config.migrate import latest_version, migrate
from fundos.config.normalize import normalize_file, normalize_text
from fundos.config.shred import write_document


@dataclass(frozen=True)
class Normalized:
    source: str
    """What messages name: the file, or ``LABEL#SERVICE``."""
    text: str
    """The Fund's normalized JSON text."""

    @property
    def document(self) -> dict[str, Any]:
        value = json.loads(self.text)
        assert isinstance(value, dict)
        return value


def fetch(address: Address) -> tuple[str, str]:
    """``(LABEL#SERVICE, document)`` from a database, unnormalized."""
    db = connect(address)
    try:
        service, document = read_document(db, address.service, latest_version(db.dialect))
    finally:
        db.close()
    return address.named(service), document


def load(fund: Path, text: str) -> Normalized:
    """The normalized configuration at ``text`` (a path or a URL)."""
    address = parse_address(text)
    if not address.is_database:
        if not Path(address.path).is_file():
            raise ConfigError(f"{address.path}: no such file" if not Path(address.path).exists()
                              else f"{address.path}: not a file")
        return Normalized(address.path, normalize_file(fund, address.path))
    source, document = fetch(address)
    return Normalized(source, normalize_text(fund, document, source))


def init(text: str) -> tuple[Address, int, list[str], int]:
    """Creates or migrates the database: ``(address, version before, migrations applied, version now)``."""
    address = database_address(text)
    db = connect(address, create=True)
    try:
        before, applied = migrate(db)
        return address, before, applied, db.schema_version()
    finally:
        db.close()


def import_file(fund: Path, path: str, text: str) -> tuple[Normalized, str]:
    """Checks ``path`` with the Fund's loader and stores its normalized form as the service it
    names, replacing that service's previous configuration, in one transaction; then reads the
    document back through the view and the loader and keeps the transaction only when it is
    identical. Returns the file's normalized form and ``LABEL#SERVICE``."""
    address = database_address(text)
    if address.service:
        raise ConfigError(f"{text}: import takes the database without #SERVICE (the service is the file's name)")
    given = load(fund, path)
    doc = given.document
    db = connect(address)
    try:
        with db.transaction():
            check_version(db, latest_version(db.dialect))
            write_document(db, doc)
            rows = db.query("SELECT document FROM fundos_config_document WHERE service = ?", [doc["name"]])
            stored = address.named(doc["name"])
            back = normalize_text(fund, str(rows[0][0]), stored) if len(rows) == 1 else ""
            if back != given.text:
                raise ConfigError(f"{stored}: the stored configuration does not read back as {path} does; "
                                  "nothing was changed (a fault of this fundos: please report it)", EXIT_FAILURE)
    except ConfigError as error:
        if error.exit_code == EXIT_FAILURE and "nothing was changed" not in str(error):
            raise ConfigError(f"{error}; the import was rolled back, nothing was changed", EXIT_FAILURE) from None
        raise
    finally:
        db.close()
    return given, stored


def database_address(text: str) -> Address:
    address = parse_address(text)
    if not address.is_database:
        raise ConfigError(f"{text}: not a database URL (sqlite:///PATH.db, sqlite:PATH.db or postgresql://...)")
    return address
