"""Fixtures for configuration-source tests (reusable: another suite's conftest can import these
fixtures from this module, and PostgresServer and start_postgres from pg_server.py):

- ``postgres`` (session): a real PostgreSQL server started for the session with initdb and
  pg_ctl in a temporary folder, listening on 127.0.0.1 on a free port only (its unix socket in
  that folder), host connections authenticated with scram-sha-256. When the tests run as root
  (initdb refuses root) the server runs as the ``postgres`` system user. PostgreSQL missing is a
  failure that says how to install it, never a skip: `make test` and `.ci/run` install it.
- ``postgres_tls`` (session): another such server with TLS on and only ``hostssl`` in pg_hba.conf,
  its CA and certificates made at start-up with openssl (pg_server.py).
- ``pg_database``: a fresh, empty database on that server and the URL of a password user.
- ``fund_build``: the CMake build the tests use (``$FUNDOS_BUILD_DIR``), with fund and fundos-data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fund_build import build_dir
from pg_server import PostgresServer, start_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with start_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_tls() -> Iterator[PostgresServer]:
    """A second server, TLS only (pg_server.start_postgres(tls=True)): ``tls`` holds its throw-away
    CA and certificates; ``cert_user`` must also present ``tls.client_cert``."""
    with start_postgres(tls=True) as server:
        yield server


@pytest.fixture
def pg_database(postgres: PostgresServer) -> str:
    """The URL of a fresh empty database owned by the password user."""
    return postgres.url(postgres.create_database())


@pytest.fixture(scope="session")
def fund_build() -> Path:
    return build_dir()
