"""View-state snapshots kept under an id derived from their content: one row, young while handed out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Storage
from storage.repositories.view_states import keep_view_state, prune_view_states, view_state

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
RETENTION = timedelta(days=30)


async def test_a_snapshot_kept_again_is_one_row_made_young_again(db: Storage) -> None:
    for days in (0, 20):  # the same list shown again 20 days later
        async with db.session() as s:
            await keep_view_state(
                session=s,
                team_id="T1",
                state_id="abc",
                kind="list",
                data='{"p":1}',
                now=T0 + timedelta(days=days),
            )
    async with db.session() as s:  # 35 days after it was first kept, 15 after it was last shown
        pruned = await prune_view_states(
            session=s, kind="list", older_than=RETENTION, now=T0 + timedelta(days=35)
        )
    assert pruned == 0
    async with db.read_session() as s:
        assert await view_state(session=s, team_id="T1", state_id="abc", kind="list") == '{"p":1}'
        assert await view_state(session=s, team_id="T2", state_id="abc", kind="list") is None
    async with db.session() as s:  # no longer shown: it goes
        pruned = await prune_view_states(
            session=s, kind="list", older_than=RETENTION, now=T0 + timedelta(days=51)
        )
    assert pruned == 1
