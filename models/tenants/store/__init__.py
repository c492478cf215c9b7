"""Tenant storage: SQLite (embedded default) or PostgreSQL through SQLAlchemy Core.

db.py       make_engine, Database (transaction() for every write), upgrade() (Alembic)
tables.py   the schema
tenants.py  tenants and API keys
record_rows.py  candidates, needs, programmes and the change log indices replay
"""

from models.tenants.store.db import Database, make_engine, upgrade

__all__ = ["Database", "make_engine", "upgrade"]
