"""Engine set-up: URL handling, SQLite tuned for a server, many concurrent writers, UTC timestamps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from storage import Storage
from storage.db import normalize_database_url
from storage.models import AuditAction
from storage.repositories import audit, ledger, mappings, thread_links


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+asyncpg://u:p@db.example:5432/app"),
        ("postgresql://u@h/app", "postgresql+asyncpg://u@h/app"),
        ("postgresql+asyncpg://u@h/app", "postgresql+asyncpg://u@h/app"),
        ("postgres://u@h/app?sslmode=require", "postgresql+asyncpg://u@h/app?ssl=require"),
        ("sqlite:///./data/tickets.db", "sqlite+aiosqlite:///./data/tickets.db"),
        ("sqlite+aiosqlite:///./data/tickets.db", "sqlite+aiosqlite:///./data/tickets.db"),
    ],
)
def test_database_urls_people_paste_select_the_async_drivers(given: str, expected: str) -> None:
    assert normalize_database_url(given).render_as_string(hide_password=False) == expected


def test_unknown_database_backend_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="sqlite or postgresql"):
        normalize_database_url("mysql://u@h/app")


async def test_sqlite_file_gets_its_directory_and_server_pragmas(tmp_path: Path, fernet: Fernet) -> None:
    path = tmp_path / "nested" / "data" / "tickets.db"
    storage = Storage(f"sqlite:///{path}", fernet)
    try:
        async with storage.read_session() as s:
            pragmas = {
                name: (await s.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
        assert path.exists()
        assert pragmas == {"journal_mode": "wal", "busy_timeout": 15000, "foreign_keys": 1, "synchronous": 1}
    finally:
        await storage.close()


async def test_fifty_concurrent_writers_on_one_sqlite_file_never_hit_database_is_locked(
    sqlite_db: Storage,
) -> None:
    team = "T1"

    async def writer(i: int) -> None:
        # Read-then-write units of work are the ones SQLite cannot retry on its own.
        async with sqlite_db.session() as s:
            await mappings.get_mapping(session=s, team_id=team, slack_user_id=f"U{i}")
            await mappings.map_member(
                session=s,
                team_id=team,
                slack_user_id=f"U{i}",
                member_id=i,
                member_identifier=f"m{i}",
                member_name=f"Member {i}",
                mapped_by="UADMIN",
            )
        async with sqlite_db.session() as s:
            await ledger.get_entry(f"k{i % 5}", team_id=team, session=s)
            result = await ledger.claim(f"k{i % 5}", team_id=team, session=s)
        async with sqlite_db.session() as s:
            if result.won:
                await ledger.complete(f"k{i % 5}", 1000 + i, team_id=team, session=s)
            await thread_links.link_thread(
                session=s, team_id=team, channel_id="C1", thread_ts=f"{i}.0", ticket_id=i, linked_by=f"U{i}"
            )
            await audit.record(session=s, team_id=team, slack_user_id=f"U{i}", action=AuditAction.MAP)

    await asyncio.gather(*(writer(i) for i in range(50)))

    async with sqlite_db.read_session() as s:
        assert len(await mappings.list_mappings(session=s, team_id=team)) == 50
        assert len(await audit.list_events(session=s, team_id=team, limit=100)) == 50
        entries = [await ledger.get_entry(f"k{k}", team_id=team, session=s) for k in range(5)]
    assert all(e is not None and e.state == "done" for e in entries)


async def test_timestamps_come_back_timezone_aware_in_utc(db: Storage) -> None:
    local = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5)))
    async with db.session() as s:
        await thread_links.link_thread(
            session=s, team_id="T1", channel_id="C1", thread_ts="1.0", ticket_id=7, linked_by="U1", now=local
        )
    async with db.read_session() as s:
        link = await thread_links.get_thread_link(session=s, team_id="T1", channel_id="C1", thread_ts="1.0")
    assert link is not None
    assert link.linked_at == local
    assert link.linked_at.tzinfo is not None and link.linked_at.utcoffset() == timedelta(0)
    assert link.linked_at == datetime(2026, 3, 1, 14, 30, 15, 123456, tzinfo=UTC)


async def test_naive_datetimes_are_refused_rather_than_guessed(db: Storage) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        async with db.session() as s:
            await thread_links.link_thread(
                session=s,
                team_id="T1",
                channel_id="C1",
                thread_ts="1.0",
                ticket_id=7,
                linked_by="U1",
                now=datetime(2026, 3, 1, 9, 30),
            )


async def test_storage_repr_never_shows_the_database_password(fernet: Fernet) -> None:
    storage = Storage("postgres://app:Sup3rSecretPw@db.example:5432/tickets", fernet)
    try:
        assert "Sup3rSecretPw" not in repr(storage)
        assert "postgresql+asyncpg://app:***@db.example:5432/tickets" in repr(storage)
    finally:
        await storage.close()


async def test_sqlite_reads_do_not_wait_for_a_writer_holding_the_lock(sqlite_db: Storage) -> None:
    await sqlite_db.workspace("T1").write(
        partial(thread_links.link_thread, channel_id="C1", thread_ts="1.0", ticket_id=1, linked_by="U1")
    )
    async with sqlite_db.session() as writer:
        await thread_links.unlink_thread(session=writer, team_id="T1", channel_id="C1", thread_ts="1.0")
        # The writer holds SQLite's write lock (BEGIN IMMEDIATE) and has not committed yet.
        async with asyncio.timeout(3):
            link = await sqlite_db.workspace("T1").read(
                partial(thread_links.get_thread_link, channel_id="C1", thread_ts="1.0")
            )
    assert link is not None  # the reader saw the last committed state without waiting
    assert (
        await sqlite_db.workspace("T1").read(
            partial(thread_links.get_thread_link, channel_id="C1", thread_ts="1.0")
        )
        is None
    )
