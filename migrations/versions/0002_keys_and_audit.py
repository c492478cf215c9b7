"""API keys with an expiry and a scope (read_write, read_only); the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Existing keys keep working as before: no expiry, read_write.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _batch():
    """SQLite adds a CHECK constraint only by rebuilding the table; the rebuilt one must keep
    AUTOINCREMENT (an id is never handed out twice). PostgreSQL alters in place."""
    sqlite = op.get_context().dialect.name == "sqlite"
    return op.batch_alter_table(
        "api_keys", recreate="always" if sqlite else "auto", table_kwargs={"sqlite_autoincrement": True}
    )


Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with _batch() as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("scope", sa.String(16), nullable=False, server_default="read_write"))
        batch.create_check_constraint(op.f("ck_api_keys_scope"), "scope IN ('read_write', 'read_only')")
    op.create_table(
        "audit_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_prefix", sa.String(12), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("record_id", Id, nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_audit_events_tenant_id_id"), "audit_events", ["tenant_id", "id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    with _batch() as batch:
        batch.drop_constraint(op.f("ck_api_keys_scope"), type_="check")
        batch.drop_column("scope")
        batch.drop_column("expires_at")
