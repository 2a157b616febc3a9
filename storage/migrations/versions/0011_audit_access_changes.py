"""Audit knows 'access_change' (an admin changed who may use the app) and 'mapping_denied'.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS_BEFORE = (
    "'create', 'status_change', 'assignee_add', 'assignee_remove', 'note', 'connect', 'map', 'unmap', "
    "'share', 'link_thread', 'time_entry', 'member_keys_saved', 'member_keys_removed', 'disconnect'"
)
_ACTIONS_AFTER = _ACTIONS_BEFORE + ", 'access_change', 'mapping_denied'"


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("ck_audit_events_action"), type_="check")
        batch.create_check_constraint(op.f("ck_audit_events_action"), f"action IN ({_ACTIONS_AFTER})")


def downgrade() -> None:
    op.execute("DELETE FROM audit_events WHERE action IN ('access_change', 'mapping_denied')")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("ck_audit_events_action"), type_="check")
        batch.create_check_constraint(op.f("ck_audit_events_action"), f"action IN ({_ACTIONS_BEFORE})")
