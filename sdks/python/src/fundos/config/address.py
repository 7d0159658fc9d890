"""Configuration addresses, the same syntax the Fund reads (fund/include/fundos/runtime/config_source.hpp):

    PATH                                       a JSON file
    sqlite:///ABSOLUTE/PATH.db[#SERVICE]       a SQLite database
    sqlite:RELATIVE/PATH.db[#SERVICE]          ... relative to the current folder
    postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB[?PARAM=VALUE&...][#SERVICE]   (or postgres://)

SERVICE is a Fund's service id (its configuration's ``name``; an agent's is ``FUND/AGENT``).
Without it the database must hold exactly one configuration. The PostgreSQL URL goes to libpq
unchanged (minus ``#SERVICE``): sslmode, sslrootcert, connect_timeout ... all work. The label
used in messages drops the password.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote

from fundos.config.errors import ConfigError

Kind = Literal["file", "sqlite", "postgresql"]
SERVICE = re.compile(r"^[A-Za-z0-9_.\-/]{1,129}$")


@dataclass(frozen=True)
class Address:
    kind: Kind
    path: str = ""
    """file, sqlite: the file (sqlite: absolute)."""
    conninfo: str = ""
    """postgresql: the URL for libpq, without ``#SERVICE``."""
    service: str = ""
    """The service asked for; empty: the only one."""
    label: str = ""
    """For messages: no password, no service."""

    @property
    def is_database(self) -> bool:
        return self.kind != "file"

    def named(self, service: str) -> str:
        """``LABEL#SERVICE``: what messages about one service's document name."""
        return f"{self.label}#{service}"


def is_database_url(text: str) -> bool:
    return text.startswith(("sqlite:", "postgresql:", "postgres:"))


def redact(url: str) -> str:
    """The URL without its password (in the user part or a ``password=`` parameter)."""
    match = re.match(r"^([a-z]+://)([^/?]*)(.*)$", url)
    if not match:
        return url
    scheme, authority, rest = match.groups()
    if "@" in authority:
        user, host = authority.rsplit("@", 1)
        authority = f"{user.split(':', 1)[0]}@{host}"
    path, _, query = rest.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith("password=")]
    return f"{scheme}{authority}{path}" + (f"?{'&'.join(kept)}" if kept else "")


def parse_address(text: str) -> Address:
    """The address in ``text``; :class:`ConfigError` when a URL is malformed."""
    if not is_database_url(text):
        return Address("file", path=text, label=text)
    rest, hash_, fragment = text.partition("#")
    service = unquote(fragment) if hash_ else ""
    if hash_ and not SERVICE.match(service):
        raise ConfigError(f"{rest}: the service after '#' must be a Fund's name (A-Z a-z 0-9 _ . -), got {fragment!r}")
    if rest.startswith("sqlite:"):
        path = rest[len("sqlite:"):]
        if path.startswith("//"):
            path = path[2:]
            if not path.startswith("/"):
                raise ConfigError(f"{rest}: a sqlite URL has no host: sqlite:///ABSOLUTE/PATH.db or "
                                  "sqlite:RELATIVE/PATH.db")
        if "?" in path:
            raise ConfigError(f"{rest}: a sqlite URL takes no parameters (after '?')")
        path = unquote(path)
        if not path:
            raise ConfigError(f"{rest}: no database file: sqlite:///ABSOLUTE/PATH.db or sqlite:RELATIVE/PATH.db")
        absolute = os.path.normpath(os.path.abspath(path))
        return Address("sqlite", path=absolute, service=service, label=f"sqlite://{absolute}")
    if not rest.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"{rest}: a PostgreSQL URL starts with postgresql://")
    return Address("postgresql", conninfo=rest, service=service, label=redact(rest))


def absolute_address(text: str) -> str:
    """``text`` made independent of the current folder, for another process in another folder
    (`fundos run` gives it to the agents as FUNDOS_CONFIG): a file's path made absolute, a
    ``sqlite:`` URL's path made ``sqlite:///ABSOLUTE`` (its ``#SERVICE`` kept); a PostgreSQL URL
    as it is. :class:`ConfigError` when a URL is malformed."""
    if not is_database_url(text):
        return os.path.abspath(text)
    address = parse_address(text)
    if address.kind != "sqlite":
        return text
    _, hash_, fragment = text.partition("#")
    return f"sqlite://{quote(address.path, safe='/')}{hash_}{fragment}"
