"""Any source to the normalized configuration: a file through the Fund's loader; a database
through its view, then the same loader. The operations of ``fundos config`` (init, import,
export, validate, diff, set) are built from these."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundos.config.address import Address, parse_address
from fundos.config.database import check_version, connect, read_document
from fundos.config.diff import differences
from fundos.config.edit import apply_to_document, apply_to_file, parse_assignment, path_text
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


@dataclass(frozen=True)
class Change:
    """``fundos config set``: a configuration with assignments made, checked, not yet written."""

    address: Address
    source: str
    """What messages name: the file, or ``LABEL#SERVICE``."""
    before: Normalized
    after: Normalized
    file_text: str = ""
    """A file: its new text (its own JSON with the assignments made); empty for a database."""
    file_was: str = ""
    """A file: its text when it was read (written only if it still is)."""
    paths: tuple[tuple[str | int, ...], ...] = ()
    """The paths assigned, in the normalized form."""

    @property
    def name(self) -> str:
        return str(self.after.document["name"])

    @property
    def changed(self) -> bool:
        return self.before.text != self.after.text

    @property
    def lines(self) -> list[str]:
        """``PATH: OLD -> NEW`` per path assigned whose normalized value changed (a whole list
        for a list, e.g. an agent's instruments), then any other difference the loader made."""
        before, after = self.before.document, self.after.document
        out: list[str] = []
        for path in dict.fromkeys(self.paths):
            old, new = _at(before, path), _at(after, path)
            if old != new:
                out.append(f"{path_text(path)}: {_json(old)} -> {_json(new)}")
        if not out and self.changed:
            out = differences(before, after)
        return out


def _json(value: Any) -> str:
    """As the Fund spells a value in its messages and journal: compact JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _at(doc: Any, path: tuple[str | int, ...]) -> Any:
    for token in path:
        doc = doc[token]
    return doc


def prepare_change(fund: Path, text: str, assignments: list[str]) -> Change:
    """Reads the configuration at ``text`` (a file or ``URL[#SERVICE]``), makes ``assignments``
    (``PATH=VALUE``; :mod:`fundos.config.edit`) and checks the result with the Fund's loader.
    Nothing is written; :class:`ConfigError` (exit status 2) for a bad assignment or an invalid
    result, naming the source and the field."""
    before = load(fund, text)
    doc = before.document
    parsed = [parse_assignment(a, doc) for a in assignments]
    address = parse_address(text)
    if address.is_database:
        edited = apply_to_document(doc, parsed)
        after = Normalized(before.source, normalize_text(fund, json.dumps(edited, indent=2), before.source))
        return Change(address, before.source, before, after, paths=tuple(a.path for a in parsed))
    path = Path(address.path)
    try:
        was = path.read_text(encoding="utf-8")
        raw = json.loads(was)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{address.path}: cannot read it back as JSON: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{address.path}: not a JSON object")
    new_text = json.dumps(apply_to_file(raw, doc, parsed), indent=2, ensure_ascii=False) + "\n"
    after = Normalized(address.path, normalize_text(fund, new_text, address.path, base=path.resolve().parent))
    return Change(address, before.source, before, after, file_text=new_text, file_was=was,
                  paths=tuple(a.path for a in parsed))


def write_change(fund: Path, change: Change) -> None:
    """Writes ``change`` whole or not at all: a file through a temporary file in its folder and a
    rename; a database in one transaction that first checks the service still holds what the
    change was made from, then replaces it (as import does) and reads it back through the view and
    the loader, and for PostgreSQL sends ``NOTIFY fundos_config, 'SERVICE'`` in the same
    transaction (delivered when it commits). :class:`ConfigError` with exit status 1 when the
    write fails or the source changed meanwhile (nothing written)."""
    if not change.address.is_database:
        _write_file(change)
        return
    db = connect(change.address)
    try:
        with db.transaction():
            check_version(db, latest_version(db.dialect))
            if db.dialect == "postgresql":  # one writer at a time per service
                db.query("SELECT name FROM fund WHERE name = ? FOR UPDATE", [change.name])
            rows = db.query("SELECT document FROM fundos_config_document WHERE service = ?", [change.name])
            now = normalize_text(fund, str(rows[0][0]), change.source) if len(rows) == 1 else ""
            if now != change.before.text:
                raise ConfigError(f"{change.source}: changed since it was read; nothing was written (run the command "
                                  "again)", EXIT_FAILURE)
            write_document(db, change.after.document)
            rows = db.query("SELECT document FROM fundos_config_document WHERE service = ?", [change.name])
            back = normalize_text(fund, str(rows[0][0]), change.source) if len(rows) == 1 else ""
            if back != change.after.text:
                raise ConfigError(f"{change.source}: the stored configuration does not read back as written; nothing "
                                  "was changed (a fault of this fundos: please report it)", EXIT_FAILURE)
            if db.dialect == "postgresql":
                db.query("SELECT pg_notify(?, ?)", [NOTIFY_CHANNEL, change.name])
    finally:
        db.close()


NOTIFY_CHANNEL = "fundos_config"
"""The channel a Fund reading a PostgreSQL configuration LISTENs on; the payload is its service id."""


def _write_file(change: Change) -> None:
    path = Path(change.address.path)
    try:
        if path.read_text(encoding="utf-8") != change.file_was:
            raise ConfigError(f"{path}: changed since it was read; nothing was written (run the command again)",
                              EXIT_FAILURE)
        mode = path.stat().st_mode & 0o7777
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.resolve().parent, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False) as tmp:
            tmp.write(change.file_text)
            tmp.flush()
            os.fsync(tmp.fileno())
        try:
            os.chmod(tmp.name, mode)
            os.replace(tmp.name, path.resolve())
        except OSError:
            os.unlink(tmp.name)
            raise
    except OSError as error:
        raise ConfigError(f"{path}: cannot write it: {error.strerror or error}; nothing was written",
                          EXIT_FAILURE) from None
