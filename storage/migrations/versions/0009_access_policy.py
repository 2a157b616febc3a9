"""Who may use the app: workspace access settings (unmapped reads, user group / channel restriction) and
users' requests for an admin's approval of a mapping without an e-mail match.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_settings",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("unmapped_can_read", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("usergroup_id", sa.String(length=32), nullable=True),
        sa.Column("usergroup_handle", sa.String(length=200), nullable=True),
        sa.Column("channel_ids", sa.JSON(), nullable=False),
        sa.Column("restrict_reads", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_access_settings")),
    )
    op.create_table(
        "mapping_requests",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("psa_member_id", sa.BigInteger(), nullable=False),
        sa.Column("member_identifier", sa.String(length=100), nullable=False),
        sa.Column("member_name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'denied')", name=op.f("ck_mapping_requests_state")
        ),
        sa.PrimaryKeyConstraint("team_id", "slack_user_id", name=op.f("pk_mapping_requests")),
    )


def downgrade() -> None:
    op.drop_table("mapping_requests")
    op.drop_table("access_settings")
