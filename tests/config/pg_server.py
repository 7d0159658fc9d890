"""A PostgreSQL server the tests started (tests/config/conftest.py, fixture ``postgres``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass
class PostgresServer:
    host: str
    port: int
    admin: str
    admin_password: str
    user: str
    password: str

    def url(self, database: str, user: str | None = None, password: str | None = None, params: str = "") -> str:
        who = user or self.user
        secret = self.password if password is None else password
        query = f"?{params}" if params else ""
        return f"postgresql://{who}:{secret}@{self.host}:{self.port}/{database}{query}"

    def admin_url(self, database: str = "postgres") -> str:
        return self.url(database, self.admin, self.admin_password)

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER "{self.user}"')
        return name
