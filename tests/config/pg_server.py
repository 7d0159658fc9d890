"""A real PostgreSQL server for the tests (tests/config/conftest.py, fixtures ``postgres`` and
``postgres_tls``): :func:`start_postgres` runs initdb and pg_ctl in a temporary folder, the server
listening on 127.0.0.1 on a free port only (its unix socket in that folder), host connections
authenticated with scram-sha-256. When the tests run as root (initdb refuses root) the server runs
as the ``postgres`` system user. PostgreSQL missing is a failure that says how to install it, never
a skip.

With ``tls=True`` the server has TLS on, with a throw-away CA and certificates made at start-up
with the openssl CLI (:func:`make_tls_files`), and its pg_hba.conf has ``hostssl`` lines only, so a
connection without TLS is refused; the role ``cert_user`` must also present a client certificate
signed by that CA (``clientcert=verify-full``).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = ("install PostgreSQL's server (Debian: apt-get install postgresql; `make test` through .ci/run "
                "does it) so that initdb and pg_ctl are on PATH or in /usr/lib/postgresql/*/bin")


@dataclass(frozen=True)
class TlsFiles:
    """Throw-away certificates (PEM, EC P-256 keys) of a TLS server, from :func:`make_tls_files`."""

    ca: Path
    """The CA that signed the server's and the client's certificates: ``sslrootcert``."""
    wrong_ca: Path
    """Another CA, which signed nothing the server holds."""
    server_cert: Path
    """CN 127.0.0.1, subjectAltName IP:127.0.0.1 and DNS:localhost."""
    server_key: Path
    client_cert: Path
    """CN = the server's ``cert_user``: ``sslcert``."""
    client_key: Path
    """Mode 0600, owned by the tests' user: ``sslkey``."""


@dataclass
class PostgresServer:
    host: str
    port: int
    admin: str
    admin_password: str
    user: str
    password: str
    tls: TlsFiles | None = None
    """The certificates, when the server has TLS on (and accepts nothing else)."""
    cert_user: str = ""
    """TLS server: a role (password ``password``) that must also present ``tls.client_cert``."""

    def url(self, database: str, user: str | None = None, password: str | None = None, params: str = "") -> str:
        who = user or self.user
        secret = self.password if password is None else password
        query = f"?{params}" if params else ""
        return f"postgresql://{who}:{secret}@{self.host}:{self.port}/{database}{query}"

    def admin_url(self, database: str = "postgres") -> str:
        return self.url(database, self.admin, self.admin_password)

    def create_database(self, owner: str | None = None) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner or self.user}"')
        return name


def pg_bin_dir() -> Path | None:
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The extensions of each certificate (openssl's own configuration file is not read).
_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
"""


def make_tls_files(folder: Path, client_user: str) -> TlsFiles:
    """A CA, a second unrelated CA, a server certificate for 127.0.0.1/localhost and a client
    certificate for ``client_user``, all valid for two days, written into ``folder`` with the
    openssl CLI; keys are mode 0600."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command is missing (Debian: apt-get install openssl; .ci/run installs it): "
                    "tests/config makes the TLS server's certificates with it", pytrace=False)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "openssl.cnf"
    config.write_text(_OPENSSL_CONFIG)
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*argv: str) -> None:
        done = subprocess.run([openssl, *argv], capture_output=True, text=True, check=False, timeout=60,
                              cwd=folder, env=dict(os.environ, OPENSSL_CONF=str(config)))
        if done.returncode != 0:
            pytest.fail(f"openssl {' '.join(argv)} failed:\n{done.stdout}{done.stderr}", pytrace=False)

    def authority(name: str) -> tuple[Path, Path]:
        cert, key = folder / f"{name}.pem", folder / f"{name}.key"
        run("req", "-x509", "-config", str(config), "-extensions", "ca", *new_key, "-keyout", str(key),
            "-out", str(cert), "-days", "2", "-subj", f"/CN=FundOS test {name}")
        return cert, key

    def signed(name: str, subject: str, extensions: str, ca: tuple[Path, Path]) -> tuple[Path, Path]:
        cert, key, request = folder / f"{name}.pem", folder / f"{name}.key", folder / f"{name}.csr"
        run("req", "-new", "-config", str(config), *new_key, "-keyout", str(key), "-out", str(request),
            "-subj", f"/CN={subject}")
        run("x509", "-req", "-in", str(request), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-out", str(cert),
            "-days", "2", "-set_serial", f"0x{secrets.token_hex(8)}", "-extfile", str(config),
            "-extensions", extensions)
        return cert, key

    ca = authority("ca")
    wrong_ca, _ = authority("wrong-ca")
    server_cert, server_key = signed("server", "127.0.0.1", "server", ca)
    client_cert, client_key = signed("client", client_user, "client", ca)
    for key in folder.glob("*.key"):
        key.chmod(0o600)
    return TlsFiles(ca[0], wrong_ca, server_cert, server_key, client_cert, client_key)


@contextmanager
def start_postgres(tls: bool = False) -> Iterator[PostgresServer]:
    """A running server (stopped and deleted on exit) with an admin role and a password role; with
    ``tls``, TLS only (see the module's docstring)."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        pytest.fail(f"PostgreSQL is not installed: {INSTALL_HINT}", pytrace=False)
    try:
        import psycopg
    except ImportError:
        pytest.fail("psycopg is not installed: pip install psycopg (it is in sdks/python's dependencies)",
                    pytrace=False)
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    owner: tuple[int, int] | None = None
    if as_root:
        import pwd

        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(f"running as root and there is no `postgres` user to run the server as: {INSTALL_HINT}",
                        pytrace=False)
        owner = (entry.pw_uid, entry.pw_gid)
        if shutil.which("runuser"):
            prefix = ["runuser", "-u", "postgres", "--"]
        elif shutil.which("setpriv"):
            prefix = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", "--"]
        else:
            pytest.fail("running as root and neither runuser nor setpriv exists to run PostgreSQL as postgres",
                        pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="fundos-pg-"))
    try:
        admin_password = secrets.token_hex(12)
        (base / "pwfile").write_text(admin_password + "\n")
        server_options = ""
        files: TlsFiles | None = None
        cert_user = "fundos_cert" if tls else ""
        if tls:
            # The client's files stay the tests' own (libpq wants the key 0600 and its user's); the
            # server's key must be 0600 and owned by the server's user, which reads all in base.
            files = make_tls_files(base / "tls", cert_user)
            hba = base / "pg_hba.conf"
            hba.write_text("local   all  all                      trust\n"
                           f"hostssl all  {cert_user}  127.0.0.1/32  scram-sha-256 clientcert=verify-full\n"
                           "hostssl all  all          127.0.0.1/32  scram-sha-256\n")
            server_options = (f" -c ssl=on -c ssl_cert_file={files.server_cert} -c ssl_key_file={files.server_key}"
                              f" -c ssl_ca_file={files.ca} -c hba_file={hba}")
        if owner is not None:
            for path in [base, *base.glob("*"), *((files.server_cert, files.server_key) if files else ())]:
                os.chown(path, *owner)

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
            port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40"
                       + server_options)
            done = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60",
                       "-o", options, "start")
            if done.returncode == 0:
                started = True
                break
        if not started:
            log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
            pytest.fail(f"pg_ctl start failed:\n{done.stdout}{done.stderr}\n{log}", pytrace=False)
        server = PostgresServer("127.0.0.1", port, "fundos_admin", admin_password, "fundos_test",
                                secrets.token_hex(12), files, cert_user)
        try:
            with psycopg.connect(server.admin_url(), autocommit=True) as conn:
                for role in filter(None, (server.user, server.cert_user)):
                    conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{server.password}'")
            yield server
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)
