"""Thread context kept from events, and response_url use counts.

- thread_messages: members' messages in linked threads (plain text, a bounded number per thread,
  pruned by age), so spin-off detection needs no Slack history call per message.
- thread_links.context_seeded_at: when the thread's earlier messages were read from Slack (once).
- response_url_uses: posts made to each response_url (by hash), so the app stops before Slack's limit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thread_messages",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", "thread_ts", "ts", name=op.f("pk_thread_messages")),
    )
    op.create_index("ix_thread_messages_stored_at", "thread_messages", ["stored_at"], unique=False)
    op.create_table(
        "response_url_uses",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "url_hash", name=op.f("pk_response_url_uses")),
    )
    op.create_index("ix_response_url_uses_issued_at", "response_url_uses", ["issued_at"], unique=False)
    with op.batch_alter_table("thread_links") as batch:
        batch.add_column(sa.Column("context_seeded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("thread_links") as batch:
        batch.drop_column("context_seeded_at")
    op.drop_index("ix_response_url_uses_issued_at", table_name="response_url_uses")
    op.drop_table("response_url_uses")
    op.drop_index("ix_thread_messages_stored_at", table_name="thread_messages")
    op.drop_table("thread_messages")
