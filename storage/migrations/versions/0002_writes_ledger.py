"""Every write under one ledger entry; engineers' own PSA keys; audit rows that say whose name the PSA used.

- idempotency_ledger: kind, actor, result and payload columns; `in_progress` becomes `claimed`, and a
  failure recorded as "uncertain: …" becomes the state `uncertain`.
- audit_events: the PSA member written on behalf of, how (own keys / named), and the ledger key;
  new actions (share, link_thread, time_entry, member_keys_saved, member_keys_removed).
- engineer_keys: a mapped engineer's own API key pair (private key encrypted), bound to the site it was
  validated on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ACTIONS = (
    "'create', 'status_change', 'assignee_add', 'assignee_remove', 'note', 'connect', 'map', 'unmap'"
)
NEW_ACTIONS = (
    OLD_ACTIONS + ", 'share', 'link_thread', 'time_entry', 'member_keys_saved', 'member_keys_removed'"
)
KINDS = "'create', 'note', 'status', 'assignee_add', 'assignee_remove', 'share', 'link_thread', 'time_entry'"


def upgrade() -> None:
    with op.batch_alter_table("idempotency_ledger") as batch:
        batch.drop_constraint(op.f("ck_idempotency_ledger_state"), type_="check")
        batch.add_column(sa.Column("kind", sa.String(length=32), server_default="create", nullable=False))
        batch.add_column(sa.Column("actor_user_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("actor_member_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("result", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    op.execute("UPDATE idempotency_ledger SET state = 'claimed' WHERE state = 'in_progress'")
    op.execute(
        "UPDATE idempotency_ledger SET state = 'uncertain' "
        "WHERE state = 'failed' AND error LIKE 'uncertain: %'"
    )
    with op.batch_alter_table("idempotency_ledger") as batch:
        batch.create_check_constraint(
            op.f("ck_idempotency_ledger_state"), "state IN ('claimed', 'done', 'failed', 'uncertain')"
        )
        batch.create_check_constraint(op.f("ck_idempotency_ledger_kind"), f"kind IN ({KINDS})")
    op.create_index("ix_idempotency_ledger_state_updated", "idempotency_ledger", ["state", "updated_at"])

    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("ck_audit_events_action"), type_="check")
        batch.add_column(sa.Column("psa_member_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("attribution", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("ledger_key", sa.String(length=128), nullable=True))
        batch.create_check_constraint(op.f("ck_audit_events_action"), f"action IN ({NEW_ACTIONS})")

    op.create_table(
        "engineer_keys",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("psa_member_id", sa.BigInteger(), nullable=False),
        sa.Column("public_key", sa.String(length=200), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("company_id", sa.String(length=100), nullable=False),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "slack_user_id", name=op.f("pk_engineer_keys")),
    )


def downgrade() -> None:
    op.drop_table("engineer_keys")

    op.execute(f"DELETE FROM audit_events WHERE action NOT IN ({OLD_ACTIONS})")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("ck_audit_events_action"), type_="check")
        batch.drop_column("ledger_key")
        batch.drop_column("attribution")
        batch.drop_column("psa_member_id")
        batch.create_check_constraint(op.f("ck_audit_events_action"), f"action IN ({OLD_ACTIONS})")

    op.drop_index("ix_idempotency_ledger_state_updated", table_name="idempotency_ledger")
    with op.batch_alter_table("idempotency_ledger") as batch:
        batch.drop_constraint(op.f("ck_idempotency_ledger_kind"), type_="check")
        batch.drop_constraint(op.f("ck_idempotency_ledger_state"), type_="check")
    # Only ticket creation used the ledger before; other kinds of write are forgotten.
    op.execute("DELETE FROM idempotency_ledger WHERE kind != 'create'")
    op.execute("UPDATE idempotency_ledger SET state = 'in_progress' WHERE state = 'claimed'")
    op.execute(
        "UPDATE idempotency_ledger SET error = 'uncertain: ' || COALESCE(error, '') "
        "WHERE state = 'uncertain' AND (error IS NULL OR error NOT LIKE 'uncertain: %')"
    )
    op.execute("UPDATE idempotency_ledger SET state = 'failed' WHERE state = 'uncertain'")
    with op.batch_alter_table("idempotency_ledger") as batch:
        batch.drop_column("payload")
        batch.drop_column("result")
        batch.drop_column("actor_member_id")
        batch.drop_column("actor_user_id")
        batch.drop_column("kind")
        batch.create_check_constraint(
            op.f("ck_idempotency_ledger_state"), "state IN ('in_progress', 'done', 'failed')"
        )
