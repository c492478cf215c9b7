"""Shared fixtures: the real reference pack and encoder, loaded once per test session, and
a fresh database per test on each backend (`backend` runs a test on SQLite and PostgreSQL).

`make test` builds the pack (var/pack, or $TALENT_DATA_DIR/pack) before pytest runs.
"""

from __future__ import annotations

import os
import secrets

import pytest

from models.tenants.store.db import Database, make_engine, upgrade

os.environ.setdefault("HF_HUB_OFFLINE", "1")


# what needs the reference pack (built by `make test`); `make test-fast` runs everything else
PACK_FIXTURES = {"encoder", "reference", "app", "client"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if PACK_FIXTURES & set(item.fixturenames) or "integration" in item.path.parts:
            item.add_marker(pytest.mark.pack)


@pytest.fixture(scope="session")
def settings():
    from models.core.settings import load_settings

    return load_settings({"data_dir": os.environ.get("TALENT_DATA_DIR", "var")})


@pytest.fixture(scope="session")
def encoder():
    from models.core.encoder import Encoder

    return Encoder()


@pytest.fixture(scope="session")
def reference(settings, encoder):
    from models.reference.data import ReferenceData

    if not (settings.pack_path / "taxonomy").exists():
        pytest.exit(f"no reference pack at {settings.pack_path}: run `make test` (it builds the pack first)", 2)
    return ReferenceData.load(settings.pack_path, encoder)


@pytest.fixture(scope="session")
def data_dir(settings, tmp_path_factory):
    """A data directory of the session's own (database, snapshots) reading the built pack:
    tests never write into var/, where `make serve` keeps the demo tenant."""
    data = tmp_path_factory.mktemp("data")
    (data / "pack").symlink_to(settings.pack_path.resolve())
    return data


@pytest.fixture(scope="session")
def app(data_dir, reference):
    from service import create_app

    return create_app({"data_dir": str(data_dir)}, reference=reference)


@pytest.fixture
def client(app):
    return app.test_client()


# ---- databases: every storage and API test runs on SQLite and on PostgreSQL ----------------

PG_URL = os.environ.get("TALENT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_admin():
    """An engine on the PostgreSQL test database, or a skip when the server does not answer."""
    engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # PostgreSQL is part of every machine here: its absence is a failure
        engine.dispose()
        pytest.fail(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}: {exc}")
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


@pytest.fixture
def sqlite_backend(tmp_path):
    b = Backend("sqlite", f"sqlite:///{tmp_path / 'store.db'}", {})
    yield b
    b.close()


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
