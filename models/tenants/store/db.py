"""The database: one engine per process, one place where write transactions begin, migrations.

SQLite (the embedded default) and PostgreSQL behave the same through this module:

* SQLite runs in WAL mode (readers never block the writer), with foreign keys enforced and
  a busy timeout so a writer waits for another writer instead of failing at once. SQLAlchemy,
  not the sqlite3 module, emits BEGIN (the sqlite3 module's legacy mode does not begin a
  transaction for SELECT or DDL); a write transaction begins with BEGIN IMMEDIATE, which takes
  the write lock up front. A deferred transaction that reads and then writes can fail with
  "database is locked" without waiting when another writer committed in between; BEGIN
  IMMEDIATE waits on the busy timeout instead.
* PostgreSQL connections are checked before use (pool_pre_ping), so a restarted server or a
  dropped idle connection costs a reconnect, not a failed request.

Every write goes through `Database.transaction()`; reads use `Database.connect()`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from models.core.errors import DatabaseUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option that marks a connection's transactions as write transactions.
_WRITE = "talent_write"
# Any constant: the key of the PostgreSQL advisory lock that serialises migrations of processes
# starting at the same time (gunicorn workers).
_MIGRATION_LOCK_KEY = 0x7A1E_2024


def json_dumps(value: Any) -> str:
    """JSON as both backends accept it: NaN and Infinity are refused (PostgreSQL's json type
    rejects them), text is kept as UTF-8 rather than \\u escapes."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def normalize_url(url: str | URL) -> URL:
    """`postgres://` and `postgresql://` mean psycopg 3 here: psycopg2 is not installed."""
    url = make_url(url)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine configured for this service. `kwargs` go to `create_engine` (tests pass
    `connect_args`, for instance a PostgreSQL search_path)."""
    url = normalize_url(url)
    kwargs.setdefault("json_serializer", json_dumps)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if url.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control away from the sqlite3 module; the "begin" hook emits BEGIN.
        dbapi_connection.isolation_level = None
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",  # durable at checkpoints; safe against corruption in WAL
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        ):
            dbapi_connection.execute(pragma).close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


class Database:
    """Owns the engine. `transaction()` is the only way to write; `connect()` is for reads."""

    def __init__(self, url: str | URL | None = None, *, engine: Engine | None = None, **engine_kwargs: Any):
        if engine is None:
            if url is None:
                raise ValueError("Database needs a url or an engine")
            engine = make_engine(url, **engine_kwargs)
        self.engine = engine
        self._owns_engine = True

    @classmethod
    def from_engine(cls, engine: Engine) -> Database:
        db = cls(engine=engine)
        db._owns_engine = False
        return db

    @property
    def url(self) -> URL:
        return self.engine.url

    def after_fork(self) -> None:
        """In a forked child: drop the pooled connections inherited from the parent without
        closing them (they are the parent's), so the child opens its own."""
        self.engine.dispose(close=False)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction: commits when the block ends, rolls back when it raises, so a
        failed write changes nothing. On SQLite it holds the database's write lock throughout."""
        with self._answering(), self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read connection. Whatever the block reads comes from one transaction, which is
        rolled back (never committed) at the end."""
        with self._answering(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _answering(self) -> Iterator[None]:
        """A database that does not answer becomes DatabaseUnavailable (a 503 to retry); other
        errors pass unchanged. The pool pings PostgreSQL connections before use, so once the
        server is back the next request reconnects without a restart."""
        try:
            yield
        except DBAPIError as exc:
            if not self._unavailable(exc):
                raise
            raise DatabaseUnavailable(
                "the database is not answering; try again shortly (a write that gets this answer was rolled back)"
            ) from exc

    def _unavailable(self, exc: DBAPIError) -> bool:
        if exc.connection_invalidated:
            return True
        if not isinstance(exc, (OperationalError, InterfaceError)):
            return False
        if self.dialect == "sqlite":  # only a lock held too long: other SQLite errors are bugs
            return "locked" in str(exc.orig) or "busy" in str(exc.orig)
        return True

    def dispose(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"


# --- migrations ------------------------------------------------------------------------------

_migrate_lock = threading.Lock()


def alembic_config(version_locations: list[str] | None = None):
    """The Alembic configuration, built in code: script location is the repository's
    `migrations/` directory whatever the working directory."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if version_locations:
        import os

        locations = [str(MIGRATIONS_DIR / "versions"), *map(str, version_locations)]
        cfg.set_main_option("version_locations", os.pathsep.join(locations))
    return cfg


@contextmanager
def _database_for(target: str | URL | Engine | Database) -> Iterator[Database]:
    if isinstance(target, Database):
        yield target
    elif isinstance(target, Engine):
        yield Database.from_engine(target)
    else:
        db = Database(target)
        try:
            yield db
        finally:
            db.dispose()


@contextmanager
def _migration_transaction(db: Database) -> Iterator[Connection]:
    """A write transaction fit for migrations.

    PostgreSQL: an advisory lock held until commit makes processes that start together
    migrate one after another (the second then finds the schema at head and does nothing).
    SQLite: BEGIN IMMEDIATE serialises them the same way, and foreign keys are switched off
    for the duration (they cannot be switched inside a transaction) because Alembic's batch
    mode rebuilds a table by copy-drop-rename, and dropping a parent table with foreign keys
    on would cascade-delete its children's rows. `PRAGMA foreign_key_check` then verifies
    the result before commit, and the AUTOINCREMENT counters are carried over (see
    _keep_sqlite_counters).
    """
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection if db.dialect == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF").close()
        try:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if db.dialect == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
                counters = _sqlite_counters(conn) if raw is not None else {}
                yield conn
                if raw is not None:
                    problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"migration broke foreign keys: {problems[:5]}")
                    _keep_sqlite_counters(conn, counters)
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON").close()


def _sqlite_counters(conn: Connection) -> dict[str, int]:
    """AUTOINCREMENT counters (sqlite_sequence): the highest id each table ever handed out."""
    if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").first() is None:
        return {}
    return dict(conn.exec_driver_sql("SELECT name, seq FROM sqlite_sequence").all())


def _keep_sqlite_counters(conn: Connection, before: dict[str, int]) -> None:
    """Ids are never reused, across migrations too. A batch-mode rebuild of a table (copy,
    drop, rename) loses AUTOINCREMENT unless the migration passes
    table_kwargs={"sqlite_autoincrement": True}, and resets the counter to the highest id
    still present (so the id of the last deleted record would come back): refuse the first,
    repair the second."""
    for name, seq in before.items():
        sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).scalar()
        if sql is None:  # dropped (a downgrade)
            continue
        if "AUTOINCREMENT" not in sql.upper():
            raise RuntimeError(
                f"migration rebuilt table {name} without AUTOINCREMENT; pass "
                "table_kwargs={'sqlite_autoincrement': True} to op.batch_alter_table"
            )
        if not conn.exec_driver_sql(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (seq, name)
        ).rowcount:
            conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))


def _run(target, fn, version_locations: list[str] | None) -> None:
    cfg = alembic_config(version_locations)
    with _migrate_lock, _database_for(target) as db, _migration_transaction(db) as conn:
        cfg.attributes["connection"] = conn
        fn(cfg)


def upgrade(
    target: str | URL | Engine | Database, revision: str = "head", *, version_locations: list[str] | None = None
) -> None:
    """Migrate the database to `revision` (head). Idempotent: run it at every start.
    All migrations run in one transaction: a failed migration leaves the schema as it was."""
    from alembic import command

    _run(target, lambda cfg: command.upgrade(cfg, revision), version_locations)


def downgrade(
    target: str | URL | Engine | Database, revision: str, *, version_locations: list[str] | None = None
) -> None:
    from alembic import command

    _run(target, lambda cfg: command.downgrade(cfg, revision), version_locations)


def current_revision(target: str | URL | Engine | Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with _database_for(target) as db, db.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
