"""A fresh, migrated database per test, on each backend: `db` runs every test twice.

sqlite: a file in the test's temporary directory. postgres: a schema of its own on the
`test` database (CREATE SCHEMA t_<random>, search_path pointing at it only, dropped after),
so tests are isolated without creating databases. Set TALENT_TEST_POSTGRES_URL to use
another server; when none answers, the postgres cases are skipped, not failed.

Independent of tests/conftest.py (the reference pack fixtures are not needed here).
"""
from __future__ import annotations

import os
import secrets

import pytest

from models.store.db import Database, make_engine, upgrade

PG_URL = os.environ.get("TALENT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_admin():
    """An engine on the PostgreSQL test database, or a skip when the server does not answer."""
    engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # no server: skip the postgres cases
        engine.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    yield engine
    engine.dispose()


class Backend:
    """Makes Database objects on one backend, all pointing at the same fresh database."""

    def __init__(self, name: str, url: str, engine_kwargs: dict, schema: str | None = None):
        self.name = name
        self.url = url
        self.engine_kwargs = engine_kwargs
        self.schema = schema
        self._made: list[Database] = []

    @property
    def standalone_url(self) -> str:
        """A URL that reaches this database by itself (the search_path in the URL), for code
        that builds its own engine from settings, like the admin command."""
        if self.schema is None:
            return self.url
        return f"{self.url}?options=-csearch_path%3D{self.schema}"

    def database(self, migrate: bool = True, **extra) -> Database:
        db = Database(self.url, **{**self.engine_kwargs, **extra})
        self._made.append(db)
        if migrate:
            upgrade(db)
        return db

    def close(self) -> None:
        for db in self._made:
            db.dispose()


BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    if request.param == "sqlite":
        b = Backend("sqlite", f"sqlite:///{tmp_path / 'store.db'}", {})
        yield b
        b.close()
        return
    admin = request.getfixturevalue("pg_admin")
    schema = "t_" + secrets.token_hex(6)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    b = Backend("postgres", PG_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}, schema)
    try:
        yield b
    finally:
        b.close()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def db(backend):
    """A migrated database (schema at head) on the backend."""
    return backend.database()
