"""Kept ticket states carry their SLA due time in an indexed column, so the SLA watch asks the
database for the tickets due soon instead of reading every state.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:40:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _due_at(data: Any) -> datetime | None:
    # What bot/flows/live/model.py kept in the state's JSON: an ISO time, or none for a closed ticket.
    state = json.loads(data) if isinstance(data, str) else data
    if not isinstance(state, dict) or state.get("closed") or not state.get("sla_due_at"):
        return None
    try:
        due = datetime.fromisoformat(str(state["sla_due_at"]).replace("Z", "+00:00"))
    except ValueError:
        return None
    return due.astimezone(UTC) if due.tzinfo else due.replace(tzinfo=UTC)


def upgrade() -> None:
    with op.batch_alter_table("live_ticket_states") as batch:
        batch.add_column(sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    states = sa.table(
        "live_ticket_states",
        sa.column("team_id", sa.String()),
        sa.column("ticket_id", sa.BigInteger()),
        sa.column("data", sa.JSON()),
        sa.column("sla_due_at", sa.DateTime(timezone=True)),
    )
    kept = bind.execute(sa.select(states.c.team_id, states.c.ticket_id, states.c.data))
    for team_id, ticket_id, data in kept:
        due = _due_at(data)
        if due is not None:
            bind.execute(
                states.update()
                .where(states.c.team_id == team_id, states.c.ticket_id == ticket_id)
                .values(sla_due_at=due)
            )
    op.create_index(
        "ix_live_ticket_states_sla_due", "live_ticket_states", ["team_id", "sla_due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_live_ticket_states_sla_due", table_name="live_ticket_states")
    with op.batch_alter_table("live_ticket_states") as batch:
        batch.drop_column("sla_due_at")
