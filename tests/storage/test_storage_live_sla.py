"""The SLA watch's query: kept states carry their due time in an indexed column, and finding the
tickets due soon is a range scan of that index (shown with Postgres' query plan), not a read of
every state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import insert, text
from storage_backends import Backend

from storage import Storage
from storage import migrate as migrations
from storage.models import LiveTicketStateRow
from storage.repositories.live import due_between_query

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TEAM = "T0SLA"


async def _keep(db: Storage, ticket_id: int, due: datetime | None, *, team: str = TEAM) -> None:
    data = {"summary": f"#{ticket_id}"}
    live = db.live()
    version = await live.advance(
        team, ticket_id, data, expected=None, messages=lambda _: [], now=NOW, sla_due_at=due
    )
    assert version == 1


async def test_only_tickets_due_within_the_window_are_read_soonest_first(db: Storage) -> None:
    await _keep(db, 1, NOW + timedelta(minutes=20))
    await _keep(db, 2, NOW + timedelta(minutes=5))
    await _keep(db, 3, NOW + timedelta(hours=3))  # later
    await _keep(db, 4, NOW - timedelta(minutes=1))  # missed already
    await _keep(db, 5, None)  # no SLA running, or closed
    await _keep(db, 6, NOW + timedelta(minutes=10), team="T0OTHER")

    due = await db.live().sla_due(TEAM, after=NOW, until=NOW + timedelta(minutes=30))

    assert [ticket for ticket, _ in due] == [2, 1]
    assert due[0][1] == {"summary": "#2"}


async def test_a_new_reading_moves_or_clears_the_due_time(db: Storage) -> None:
    live = db.live()
    await _keep(db, 1, NOW + timedelta(minutes=20))
    window = {"after": NOW, "until": NOW + timedelta(minutes=30)}
    assert [t for t, _ in await live.sla_due(TEAM, **window)] == [1]

    later = await live.advance(
        TEAM, 1, {}, expected=1, messages=lambda _: [], now=NOW, sla_due_at=NOW + timedelta(hours=4)
    )
    assert later == 2 and await live.sla_due(TEAM, **window) == []
    assert await live.advance(TEAM, 1, {}, expected=2, messages=lambda _: [], now=NOW) == 3
    assert await live.sla_due(TEAM, **{"after": NOW, "until": NOW + timedelta(days=9)}) == []


@pytest.mark.postgres
async def test_postgres_finds_the_tickets_due_soon_through_the_index(
    postgres_backend: Backend, fernet: Fernet
) -> None:
    storage = postgres_backend.storage(fernet)
    try:
        # Many workspaces' tickets, due over a month: the watch wants one workspace's next half hour.
        rows = [
            {
                "team_id": f"T{n % 50:04d}",
                "ticket_id": n,
                "data": {},
                "version": 1,
                "updated_at": NOW,
                "sla_due_at": NOW + timedelta(minutes=n % 43_200) if n % 3 else None,
            }
            for n in range(20_000)
        ]
        async with storage.session() as s:
            await s.execute(insert(LiveTicketStateRow), rows)
        async with storage.session() as s:
            await s.execute(text("ANALYZE live_ticket_states"))
        query = due_between_query("T0007", NOW, NOW + timedelta(minutes=30))
        async with storage.session() as s:
            conn = await s.connection()
            compiled = query.compile(dialect=conn.dialect)  # the very SQL the app sends, $n parameters
            params = [compiled.params[name] for name in compiled.positiontup or ()]
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            plan = "\n".join(r[0] for r in await raw.fetch(f"EXPLAIN {compiled}", *params))
        assert "ix_live_ticket_states_sla_due" in plan, plan
        assert "Seq Scan" not in plan, plan
    finally:
        await storage.close()


async def test_states_kept_before_the_column_get_their_due_time_on_upgrade(empty_db_url: str) -> None:
    await migrations.upgrade_async(empty_db_url, "0007")
    storage = Storage(empty_db_url, Fernet(Fernet.generate_key()))
    due = NOW + timedelta(minutes=20)
    kept = {
        1: {"sla_due_at": due.isoformat(), "closed": False},
        2: {"sla_due_at": due.isoformat(), "closed": True},
        3: {"sla_due_at": None},
    }
    try:
        async with storage.session() as session:
            await session.execute(
                insert(LiveTicketStateRow.__table__).values(  # type: ignore[arg-type]
                    [
                        {"team_id": TEAM, "ticket_id": i, "data": d, "version": 1, "updated_at": NOW}
                        for i, d in kept.items()
                    ]
                )
            )
        await storage.migrate()
        found = await storage.live().sla_due(TEAM, after=NOW, until=NOW + timedelta(hours=1))
    finally:
        await storage.close()

    assert [ticket for ticket, _ in found] == [1]
