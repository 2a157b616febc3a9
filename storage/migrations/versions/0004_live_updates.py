"""Live updates from the PSA: callback settings, deliveries seen, poll cursors, ticket states, follows,
notification preferences and the outbox of DMs and thread replies.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = 32


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "live_settings",
        sa.Column("team_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("callback_url", sa.String(length=1000), nullable=True),
        _when("subscribed_at", nullable=True),
        sa.Column("internal_notes_in_threads", sa.Boolean(), server_default=sa.false(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_live_settings")),
        sa.UniqueConstraint("token", name=op.f("uq_live_settings_token")),
    )
    op.create_table(
        "live_deliveries",
        sa.Column("team_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        _when("received_at"),
        sa.PrimaryKeyConstraint("team_id", "dedupe_key", name=op.f("pk_live_deliveries")),
    )
    op.create_index("ix_live_deliveries_received_at", "live_deliveries", ["received_at"], unique=False)
    op.create_table(
        "live_poll_cursors",
        sa.Column("team_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        _when("polled_at"),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_live_poll_cursors")),
    )
    op.create_table(
        "live_ticket_states",
        sa.Column("team_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("team_id", "ticket_id", name=op.f("pk_live_ticket_states")),
    )
    op.create_table(
        "live_follows",
        sa.Column("team_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("slack_user_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        _when("followed_at"),
        sa.PrimaryKeyConstraint("team_id", "slack_user_id", "ticket_id", name=op.f("pk_live_follows")),
    )
    op.create_index("ix_live_follows_team_ticket", "live_follows", ["team_id", "ticket_id"], unique=False)
    op.create_table(
        "live_preferences",
        sa.Column("team_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("slack_user_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("team_id", "slack_user_id", name=op.f("pk_live_preferences")),
    )
    op.create_table(
        "live_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=SLACK_ID), nullable=False),
        sa.Column("thread_ts", sa.String(length=SLACK_ID), nullable=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _when("created_at"),
        _when("due_at"),
        _when("claimed_at", nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _when("sent_at", nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_outbox")),
        sa.UniqueConstraint("team_id", "dedupe_key", name=op.f("uq_live_outbox_team_id_dedupe_key")),
    )
    op.create_index("ix_live_outbox_pending", "live_outbox", ["sent_at", "due_at"], unique=False)
    op.create_index(
        "ix_live_outbox_team_target", "live_outbox", ["team_id", "target", "sent_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_live_outbox_team_target", table_name="live_outbox")
    op.drop_index("ix_live_outbox_pending", table_name="live_outbox")
    op.drop_table("live_outbox")
    op.drop_table("live_preferences")
    op.drop_index("ix_live_follows_team_ticket", table_name="live_follows")
    op.drop_table("live_follows")
    op.drop_table("live_ticket_states")
    op.drop_table("live_poll_cursors")
    op.drop_index("ix_live_deliveries_received_at", table_name="live_deliveries")
    op.drop_table("live_deliveries")
    op.drop_table("live_settings")
