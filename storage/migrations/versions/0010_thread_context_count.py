"""thread_links.context_messages: how many of a linked thread's messages the app has known of (kept,
forgotten since, or never read), so spin-off context says how many earlier messages it left out.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("thread_links") as batch:
        batch.add_column(sa.Column("context_messages", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("thread_links") as batch:
        batch.drop_column("context_messages")
