"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Portable to SQLite and PostgreSQL. Alter tables inside `with op.batch_alter_table(...)`
(SQLite rebuilds the table: copy, drop, rename), passing
table_kwargs={"sqlite_autoincrement": True} for tenants, api_keys, records and changes
(models.tenants.store.db refuses a migration that loses AUTOINCREMENT). Name every constraint and
index (models/tenants/store/tables.py NAMING) so later migrations can address them.
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
