"""PSA connections record the host their private key was validated with; audit knows 'disconnect'.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS_BEFORE = (
    "'create', 'status_change', 'assignee_add', 'assignee_remove', 'note', 'connect', 'map', 'unmap', "
    "'share', 'link_thread', 'time_entry', 'member_keys_saved', 'member_keys_removed'"
)
_ACTIONS_AFTER = _ACTIONS_BEFORE + ", 'disconnect'"


def _host(base_url: str) -> str:
    # What the app stores for new connections: the URL's netloc without user info, lower-case.
    return urlsplit(base_url).netloc.rsplit("@", 1)[-1].lower()


def upgrade() -> None:
    with op.batch_alter_table("psa_connections") as batch:
        batch.add_column(sa.Column("key_host", sa.String(length=300), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT team_id, base_url FROM psa_connections")).all()
    for team_id, base_url in rows:
        bind.execute(
            sa.text("UPDATE psa_connections SET key_host = :host WHERE team_id = :team"),
            {"host": _host(base_url), "team": team_id},
        )
    with op.batch_alter_table("psa_connections") as batch:
        batch.alter_column("key_host", existing_type=sa.String(length=300), nullable=False)
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("ck_audit_events_action"), type_="check")
        batch.create_check_constraint(op.f("ck_audit_events_action"), f"action IN ({_ACTIONS_AFTER})")


def downgrade() -> None:
    op.execute("DELETE FROM audit_events WHERE action = 'disconnect'")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("ck_audit_events_action"), type_="check")
        batch.create_check_constraint(op.f("ck_audit_events_action"), f"action IN ({_ACTIONS_BEFORE})")
    with op.batch_alter_table("psa_connections") as batch:
        batch.drop_column("key_host")
