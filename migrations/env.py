"""Alembic environment, configured in code.

`models.tenants.store.db.upgrade(url)` is the normal entry point: it opens the transaction (with the
locks that keep concurrent starts safe) and hands its connection in as
`config.attributes["connection"]`. The `alembic` command line works too (alembic.ini at the
top of the repository): the URL then comes from `-x url=...`, else `sqlalchemy.url` in the
ini file, else the service settings (TALENT_DATABASE_URL / DATABASE_URL / the data directory).
"""

from __future__ import annotations

from alembic import context

from models.tenants.store.tables import metadata

config = context.config
target_metadata = metadata

if config.config_file_name is not None and "connection" not in config.attributes:
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)  # the alembic CLI only


def _url() -> str:
    from models.core.settings import load_settings
    from models.tenants.store.db import normalize_url

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    return normalize_url(url or load_settings().sqlalchemy_url).render_as_string(hide_password=False)


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
        transactional_ddl=True,  # on SQLite too: models.tenants.store.db emits BEGIN itself
    )


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # models.tenants.store.db.upgrade: already inside its transaction
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from models.tenants.store.db import Database, _migration_transaction

    db = Database(_url())
    try:
        with _migration_transaction(db) as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        db.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
