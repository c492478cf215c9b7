"""The schema, in SQLAlchemy Core, portable between SQLite and PostgreSQL.

`migrations/versions/` creates exactly this (a test compares them). Names of constraints and
indexes follow `NAMING`, so a later migration can address them on both backends (SQLite's
batch mode needs named constraints).

Choices worth knowing:
* Ids are BIGINT on PostgreSQL and INTEGER PRIMARY KEY AUTOINCREMENT on SQLite (the rowid;
  AUTOINCREMENT so the id of a deleted record is never handed out again: vector indices and
  clients keyed by id must never mistake a new record for an erased one).
* `data` and `understood` are JSON, not JSONB: JSONB would reorder keys and drop duplicates,
  and `data` is kept as given. Nothing queries inside them; what is filtered on is promoted
  to columns (region_id, soc, status, updated_at).
* Timestamps are timezone-aware UTC in Python on both backends (`UTCDateTime`), written by
  the application, not by the server, so both backends store the same values.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

RECORD_KINDS = ("candidate", "need", "program")
SCOPES = ("read_write", "read_only")  # what an API key may do
OPS = ("upsert", "delete")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# BIGINT on PostgreSQL; on SQLite only "INTEGER PRIMARY KEY" aliases the rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")

MAX_NAME = 100
MAX_EXTERNAL_ID = 200
MAX_REGION_ID = 64
MAX_SOC = 16
MAX_STATUS = 32
KEY_PREFIX_LEN = 12  # "tk_" + 9 characters of the secret: enough to find the key, never to use it


class UTCDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite a naive UTC string (SQLAlchemy's format, which sorts
    in time order). Always hands back an aware UTC datetime; a naive input is taken as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


tenants = Table(
    "tenants",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(MAX_NAME), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name"),
    sqlite_autoincrement=True,
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("key_prefix", String(KEY_PREFIX_LEN), nullable=False),
    Column("key_hash", String(64), nullable=False),  # hex SHA-256 of the whole key
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),  # none: valid until revoked
    Column("scope", String(16), nullable=False, server_default="read_write"),
    CheckConstraint("scope IN ('read_write', 'read_only')", name="scope"),
    Index(None, "key_prefix"),
    Index(None, "tenant_id"),
    sqlite_autoincrement=True,
)

records = Table(
    "records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("external_id", String(MAX_EXTERNAL_ID), nullable=False),
    Column("data", JSON(), nullable=False),
    Column("understood", JSON(), nullable=False),
    Column("region_id", String(MAX_REGION_ID), nullable=True),
    Column("soc", String(MAX_SOC), nullable=True),
    Column("status", String(MAX_STATUS), nullable=True),
    Column("vector", LargeBinary(), nullable=True),  # float32, native little-endian bytes
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    UniqueConstraint("tenant_id", "kind", "external_id"),
    CheckConstraint("kind IN ('candidate', 'need', 'program')", name="kind"),
    # Listing pages by id within a tenant and kind; the filters narrow within that.
    Index(None, "tenant_id", "kind", "id"),
    Index(None, "tenant_id", "kind", "region_id"),
    Index(None, "tenant_id", "kind", "soc"),
    Index(None, "tenant_id", "kind", "updated_at"),
    sqlite_autoincrement=True,
)

changes = Table(
    "changes",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    # No foreign key to records: the log outlives the rows it mentions (deletes).
    Column("tenant_id", Id, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("record_id", Id, nullable=False),
    Column("op", String(8), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    CheckConstraint("op IN ('upsert', 'delete')", name="op"),
    Index(None, "tenant_id", "kind", "seq"),
    sqlite_autoincrement=True,
)

# Who wrote, imported, exported or erased what, and when: a key prefix, an action, record ids
# and counts, never a record's contents (models/tenants/store/audit.py).
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("key_prefix", String(KEY_PREFIX_LEN), nullable=True),  # none: an operator's command
    Column("action", String(32), nullable=False),
    Column("kind", String(16), nullable=True),
    Column("record_id", Id, nullable=True),  # the one record written, if one
    Column("count", Integer(), nullable=False),  # records written (or exported)
    Column("request_id", String(64), nullable=True),
    Index(None, "tenant_id", "id"),
    sqlite_autoincrement=True,
)

# Long batch jobs over a tenant's records (understanding them again after a new encoder or pack,
# importing an NDJSON file; models/tenants/store/jobs.py): the batches planned when the job began and
# the ones done, so that running the same command again resumes where a job stopped.
JOB_ACTIONS = ("reunderstand", "import")
JOB_STATES = ("running", "done", "abandoned")

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("source", String(MAX_EXTERNAL_ID), nullable=False),  # "records", or "sha256:..." of an import file
    Column("plan", JSON(), nullable=False),  # the batches: [[first, last, count], ...] (record ids or line numbers)
    Column("state", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    CheckConstraint("action IN ('reunderstand', 'import')", name="action"),
    CheckConstraint("state IN ('running', 'done', 'abandoned')", name="state"),
    Index(None, "tenant_id", "kind", "action", "source"),
    sqlite_autoincrement=True,
)

job_batches = Table(
    "job_batches",
    metadata,
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("batch", Integer(), primary_key=True),  # position in the job's plan
    Column("counts", JSON(), nullable=False),  # what the batch did: records, written, unchanged, ...
    Column("done_at", UTCDateTime(), nullable=False),
)
