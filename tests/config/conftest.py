"""Fixtures for configuration-source tests (reusable: another suite's conftest can import these
fixtures from this module, and PostgresServer from pg_server.py):

- ``postgres`` (session): a real PostgreSQL server started for the session with initdb and
  pg_ctl in a temporary folder, listening on 127.0.0.1 on a free port only (its unix socket in
  that folder), host connections authenticated with scram-sha-256. When the tests run as root
  (initdb refuses root) the server runs as the ``postgres`` system user. PostgreSQL missing is a
  failure that says how to install it, never a skip: `make test` and `.ci/run` install it.
- ``pg_database``: a fresh, empty database on that server and the URL of a password user.
- ``fund_build``: the CMake build the tests use (``$FUNDOS_BUILD_DIR``), with fund and fundos-data.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fund_build import build_dir
from pg_server import PostgresServer

INSTALL_HINT = ("install PostgreSQL's server (Debian: apt-get install postgresql; `make test` through .ci/run "
                "does it) so that initdb and pg_ctl are on PATH or in /usr/lib/postgresql/*/bin")


def _pg_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH first, then the newest /usr/lib/postgresql/N/bin."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb") + glob.glob("/usr/pgsql-*/bin/initdb"),
                        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split("-")[-1:]])
    for candidate in reversed(candidates):
        folder = Path(candidate).parent
        if (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = _pg_bin_dir()
    if bin_dir is None:
        pytest.fail(f"PostgreSQL is not installed: {INSTALL_HINT}", pytrace=False)
    try:
        import psycopg
    except ImportError:
        pytest.fail("psycopg is not installed: pip install psycopg (it is in sdks/python's dependencies)",
                    pytrace=False)
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        if shutil.which("runuser"):
            prefix = ["runuser", "-u", "postgres", "--"]
        elif shutil.which("setpriv"):
            import pwd

            entry = pwd.getpwnam("postgres")
            prefix = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", "--"]
        else:
            pytest.fail("running as root and neither runuser nor setpriv exists to run PostgreSQL as postgres",
                        pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="fundos-pg-"))
    try:
        admin_password = secrets.token_hex(12)
        (base / "pwfile").write_text(admin_password + "\n")
        if as_root:
            import pwd

            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(f"running as root and there is no `postgres` user to run the server as: {INSTALL_HINT}",
                            pytrace=False)
            for path in [base, *base.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)

        def run(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*prefix, *argv], capture_output=True, text=True, check=False, timeout=120,
                                  cwd=base)

        data = base / "data"
        done = run(str(bin_dir / "initdb"), "-D", str(data), "-U", "fundos_admin", "-A", "scram-sha-256",
                   "--auth-local=trust", f"--pwfile={base / 'pwfile'}", "-E", "UTF8", "--locale=C", "--no-sync")
        if done.returncode != 0:
            pytest.fail(f"initdb failed:\n{done.stdout}{done.stderr}", pytrace=False)
        started = False
        port = 0
        for _attempt in range(3):
            port = _free_port()
            options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40")
            done = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60",
                       "-o", options, "start")
            if done.returncode == 0:
                started = True
                break
        if not started:
            log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
            pytest.fail(f"pg_ctl start failed:\n{done.stdout}{done.stderr}\n{log}", pytrace=False)
        server = PostgresServer("127.0.0.1", port, "fundos_admin", admin_password, "fundos_test",
                                secrets.token_hex(12))
        try:
            with psycopg.connect(server.admin_url(), autocommit=True) as conn:
                conn.execute(f"CREATE ROLE {server.user} LOGIN PASSWORD '{server.password}'")
            yield server
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_database(postgres: PostgresServer) -> str:
    """The URL of a fresh empty database owned by the password user."""
    return postgres.url(postgres.create_database())


@pytest.fixture(scope="session")
def fund_build() -> Path:
    return build_dir()
