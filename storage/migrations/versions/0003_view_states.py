"""View states kept on the server (create drafts, list messages), Slack carrying only their ids.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "view_states",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "id", name=op.f("pk_view_states")),
    )
    op.create_index("ix_view_states_kind_created", "view_states", ["kind", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_view_states_kind_created", table_name="view_states")
    op.drop_table("view_states")
