"""Who made a change from Slack, from the write ledger: by ticket, and a create by its ticket's marker
before the create learned the ticket's id (on SQLite and Postgres)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Storage, WriteKind

TEAM = "T0WRITERS"


async def test_a_claimed_write_names_its_engineer_for_that_ticket_and_kind(db: Storage) -> None:
    ledger = db.ledger(TEAM)
    await ledger.claim("status:1", kind=WriteKind.STATUS, actor_user_id="U1", ticket_id=1005)
    failed = await ledger.claim("status:2", kind=WriteKind.STATUS, actor_user_id="U2", ticket_id=1005)
    assert failed.won
    await ledger.fail("status:2", "refused")
    live = db.live()
    since = datetime.now(UTC) - timedelta(minutes=5)

    assert await live.slack_writers(TEAM, 1005, kinds=["status"], since=since) == {"U1"}
    assert await live.slack_writers(TEAM, 1005, kinds=["note"], since=since) == set()
    assert await live.slack_writers(TEAM, 1006, kinds=["status"], since=since) == set()
    assert await live.slack_writers("T0OTHER", 1005, kinds=["status"], since=since) == set()


async def test_a_create_is_found_by_its_marker_before_it_knows_its_ticket(db: Storage) -> None:
    await db.ledger(TEAM).claim(
        "create:view-1", kind=WriteKind.CREATE, actor_user_id="U1", payload={"marker": "tix-abc123"}
    )
    live = db.live()
    since = datetime.now(UTC) - timedelta(minutes=5)
    kinds = [WriteKind.ASSIGNEE_ADD.value, WriteKind.CREATE.value]

    assert await live.slack_writers(TEAM, 1650, kinds=kinds, since=since, marker="tix-abc123") == {"U1"}
    assert await live.slack_writers(TEAM, 1650, kinds=kinds, since=since, marker="tix-other") == set()
    assert await live.slack_writers(TEAM, 1650, kinds=kinds, since=since) == set()
