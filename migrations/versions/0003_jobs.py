"""Batch jobs and their finished batches, so an interrupted job resumes (models/tenants/store/jobs.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_jobs_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.CheckConstraint("action IN ('reunderstand', 'import')", name=op.f("ck_jobs_action")),
        sa.CheckConstraint("state IN ('running', 'done', 'abandoned')", name=op.f("ck_jobs_state")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_jobs_tenant_id_kind_action_source"), "jobs", ["tenant_id", "kind", "action", "source"])
    op.create_table(
        "job_batches",
        sa.Column("job_id", Id, nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "batch", name=op.f("pk_job_batches")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_batches_job_id_jobs"), ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("job_batches")
    op.drop_index(op.f("ix_jobs_tenant_id_kind_action_source"), table_name="jobs")
    op.drop_table("jobs")
