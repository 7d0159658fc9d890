"""PostgreSQL over TLS (docs/CONFIG.md): the URL's TLS parameters reach libpq unchanged, from the
Fund (C++) and from `fundos config` (psycopg), against a real server that accepts TLS only
(fixture ``postgres_tls``: a throw-away CA made at start-up, ``hostssl`` lines only in
pg_hba.conf, one role that must also present a client certificate)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from config_helpers import example, fund, fundos
from fundos.config.address import parse_address
from pg_server import PostgresServer, TlsFiles


@pytest.fixture(autouse=True)
def _no_client_certificate_from_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """libpq falls back on ~/.postgresql/postgresql.{crt,key,root.crt}: an empty HOME keeps a
    developer's own files out of these cases."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGHOSTADDR"):
        monkeypatch.delenv(name, raising=False)


def _tls(server: PostgresServer) -> TlsFiles:
    assert server.tls is not None
    return server.tls


def _verify_full(server: PostgresServer, root: Path | None = None) -> str:
    return f"sslmode=verify-full&sslrootcert={root or _tls(server).ca}&connect_timeout=10"


def _normalized(path: Path, build: Path) -> str:
    done = fund(["check-config", str(path), "--print"], build)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _refused(url: str, build: Path, run_dir: Path) -> Iterator[tuple[str, subprocess.CompletedProcess[str]]]:
    """The Fund's readers of ``url`` (libpq) and one of `fundos config`'s (psycopg; its commands
    share one connect)."""
    yield "fund check-config", fund(["check-config", url], build)
    yield "fund run", fund(["run", "--config", url, "--run-dir", str(run_dir)], build)
    yield "fundos config export", fundos(["config", "export", url], build)


def _round_trip(url: str, tmp_path: Path, build: Path) -> None:
    """init, import, export and validate through psycopg, check-config through libpq, all over TLS,
    give the file's normalized text."""
    path = example("demo.json", tmp_path, build)
    expected = _normalized(path, build)
    for args in (["init", url], ["import", str(path), url]):
        done = fundos(["config", *args], build)
        assert done.returncode == 0, done.stderr
    exported = fundos(["config", "export", url], build)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == expected
    validated = fundos(["config", "validate", url], build)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith(f"{parse_address(url).label}#demo: ok")
    direct = fund(["check-config", url, "--print"], build)
    assert direct.returncode == 0, direct.stderr
    assert direct.stdout == expected


def test_verify_full_with_the_servers_ca(postgres_tls: PostgresServer, tmp_path: Path, fund_build: Path) -> None:
    url = postgres_tls.url(postgres_tls.create_database(), params=_verify_full(postgres_tls))
    _round_trip(url, tmp_path, fund_build)
    # The connection really is TLS, verified against the CA (and the server takes nothing else).
    with psycopg.connect(parse_address(url).conninfo) as conn:
        row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        assert row == (True,)
        assert conn.pgconn.ssl_in_use


def test_a_connection_without_tls_is_refused(postgres_tls: PostgresServer, tmp_path: Path,
                                             fund_build: Path) -> None:
    url = postgres_tls.url(postgres_tls.create_database(), params="sslmode=disable&connect_timeout=10")
    label = parse_address(url).label
    assert postgres_tls.password not in label
    path = example("demo.json", tmp_path, fund_build)
    for reader, done in (*_refused(url, fund_build, tmp_path / "run"),
                         ("fundos config validate", fundos(["config", "validate", url], fund_build)),
                         ("fundos config import", fundos(["config", "import", str(path), url], fund_build))):
        assert done.returncode == 2, (reader, done.stderr)
        assert f"{label}: cannot connect: " in done.stderr, (reader, done.stderr)
        assert 'no pg_hba.conf entry for host "127.0.0.1"' in done.stderr, (reader, done.stderr)
        assert postgres_tls.password not in done.stderr and "Traceback" not in done.stderr, (reader, done.stderr)
    assert not (tmp_path / "run").exists()


def test_verify_full_refuses_a_certificate_it_cannot_verify(postgres_tls: PostgresServer, tmp_path: Path,
                                                            fund_build: Path) -> None:
    database = postgres_tls.create_database()
    wrong_ca = postgres_tls.url(database, params=_verify_full(postgres_tls, _tls(postgres_tls).wrong_ca))
    # The right CA, but the server is asked for by another name (hostaddr reaches it): the name is checked.
    wrong_name = postgres_tls.url(database, params=f"hostaddr=127.0.0.1&{_verify_full(postgres_tls)}").replace(
        "@127.0.0.1:", "@db.invalid:")
    for url, detail in ((wrong_ca, "certificate verify failed"),
                        (wrong_name, 'does not match host name "db.invalid"')):
        label = parse_address(url).label
        for reader, done in _refused(url, fund_build, tmp_path / "run"):
            assert done.returncode == 2, (reader, done.stderr)
            assert f"{label}: cannot connect: " in done.stderr and detail in done.stderr, (reader, done.stderr)
            assert postgres_tls.password not in done.stderr and "Traceback" not in done.stderr, (reader, done.stderr)
    assert not (tmp_path / "run").exists()


def test_a_client_certificate(postgres_tls: PostgresServer, tmp_path: Path, fund_build: Path) -> None:
    """pg_hba.conf says clientcert=verify-full for cert_user: sslcert/sslkey reach libpq from both."""
    tls = _tls(postgres_tls)
    database = postgres_tls.create_database(owner=postgres_tls.cert_user)
    with_cert = postgres_tls.url(database, user=postgres_tls.cert_user,
                                 params=f"{_verify_full(postgres_tls)}&sslcert={tls.client_cert}&sslkey={tls.client_key}")
    _round_trip(with_cert, tmp_path, fund_build)
    without = postgres_tls.url(database, user=postgres_tls.cert_user, params=_verify_full(postgres_tls))
    label = parse_address(without).label
    for reader, done in _refused(without, fund_build, tmp_path / "run"):
        assert done.returncode == 2, (reader, done.stderr)
        assert f"{label}: cannot connect: " in done.stderr, (reader, done.stderr)
        assert "connection requires a valid client certificate" in done.stderr, (reader, done.stderr)
        assert postgres_tls.password not in done.stderr and "Traceback" not in done.stderr, (reader, done.stderr)
    assert not (tmp_path / "run").exists()
