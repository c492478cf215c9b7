"""Initial schema: tenants, api_keys, records, changes.

Revision ID: 0001
Revises:
Create Date: 2025-11-21

Written out rather than generated from models/tenants/store/tables.py, so it stays what it was when
later migrations change the tables; tests/storage checks that head matches tables.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# BIGINT on PostgreSQL; INTEGER PRIMARY KEY AUTOINCREMENT (the rowid, never reused) on SQLite.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("name", name=op.f("uq_tenants_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("key_prefix", sa.String(12), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_api_keys_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_api_keys_key_prefix"), "api_keys", ["key_prefix"])
    op.create_index(op.f("ix_api_keys_tenant_id"), "api_keys", ["tenant_id"])
    op.create_table(
        "records",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("understood", sa.JSON(), nullable=False),
        sa.Column("region_id", sa.String(64), nullable=True),
        sa.Column("soc", sa.String(16), nullable=True),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_records_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("tenant_id", "kind", "external_id", name=op.f("uq_records_tenant_id_kind_external_id")),
        sa.CheckConstraint("kind IN ('candidate', 'need', 'program')", name=op.f("ck_records_kind")),
        sqlite_autoincrement=True,
    )
    for columns in (
        ["tenant_id", "kind", "id"],
        ["tenant_id", "kind", "region_id"],
        ["tenant_id", "kind", "soc"],
        ["tenant_id", "kind", "updated_at"],
    ):
        op.create_index(op.f("ix_records_" + "_".join(columns)), "records", columns)
    op.create_table(
        "changes",
        sa.Column("seq", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("record_id", Id, nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_changes_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.CheckConstraint("op IN ('upsert', 'delete')", name=op.f("ck_changes_op")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_changes_tenant_id_kind_seq"), "changes", ["tenant_id", "kind", "seq"])


def downgrade() -> None:
    """Drops everything: the initial revision has nothing to keep the data in."""
    op.drop_table("changes")
    op.drop_table("records")
    op.drop_table("api_keys")
    op.drop_table("tenants")
