"""Storage tests use the `backend` fixture of tests/conftest.py (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest


@pytest.fixture
def db(backend):
    """A migrated database (schema at head) on the backend."""
    return backend.database()


@pytest.fixture
def sqlite_db(sqlite_backend):
    """For the few checks of SQLite specifics (AUTOINCREMENT, pragmas)."""
    return sqlite_backend.database()
