"""Thread context kept from events (bounded per thread, newest kept, pruned by age); one read of a linked
thread's history, ever; response_url posts counted up to a limit and an age."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial

from storage import Storage
from storage.repositories import response_urls, thread_links, thread_messages
from storage.repositories.thread_messages import ThreadMessage

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def ts(n: int) -> str:
    return f"{1765184400 + n}.{n:06d}"


async def keep(db: Storage, *numbers: int, thread: str = "1765184400.000000", now: datetime = T0) -> int:
    async with db.session() as s:
        return await thread_messages.keep_messages(
            session=s,
            team_id="T1",
            channel_id="C1",
            thread_ts=thread,
            messages=[ThreadMessage(ts=ts(n), text=f"message {n}") for n in numbers],
            keep=5,
            now=now,
        )


async def recent(db: Storage, thread: str = "1765184400.000000", limit: int = 10) -> list[str]:
    async with db.read_session() as s:
        kept = await thread_messages.recent_messages(
            session=s, team_id="T1", channel_id="C1", thread_ts=thread, limit=limit
        )
    return [m.text for m in kept]


async def test_a_thread_keeps_only_its_newest_messages_oldest_first(db: Storage) -> None:
    await keep(db, 3, 1, 2)
    await keep(db, 4, 5, 6, 7)
    await keep(db, 2)  # an old message delivered late does not push out newer ones

    assert await recent(db) == [f"message {n}" for n in (3, 4, 5, 6, 7)]
    assert await recent(db, limit=2) == ["message 6", "message 7"]
    assert await recent(db, thread="other") == []


async def test_a_message_delivered_twice_is_kept_once(db: Storage) -> None:
    added = await asyncio.gather(keep(db, 1), keep(db, 1), keep(db, 1, 2))
    assert await recent(db) == ["message 1", "message 2"]
    assert sum(added) == 2  # each new message counted once, whoever stored it


async def test_a_linked_thread_counts_its_messages_kept_or_not(db: Storage) -> None:
    ws = db.workspace("T1")
    thread = {"channel_id": "C1", "thread_ts": "100.1"}
    await ws.write(partial(thread_links.link_thread, **thread, ticket_id=1594, linked_by="U1"))

    await ws.write(partial(thread_links.count_context, **thread, messages=7))
    relinked = await ws.write(partial(thread_links.link_thread, **thread, ticket_id=1600, linked_by="U2"))
    await ws.write(partial(thread_links.count_context, **thread, messages=-1))  # its author deleted one

    link = await ws.read(partial(thread_links.get_thread_link, **thread))
    assert relinked.context_messages == 7 and link is not None and link.context_messages == 6


async def test_edited_and_deleted_messages_are_followed(db: Storage) -> None:
    await keep(db, 1, 2)
    async with db.session() as s:
        edited = await thread_messages.edit_message(
            session=s, team_id="T1", channel_id="C1", thread_ts="1765184400.000000", ts=ts(1), text="fixed"
        )
        deleted = await thread_messages.forget_message(session=s, team_id="T1", channel_id="C1", ts=ts(2))
        unknown = await thread_messages.forget_message(session=s, team_id="T1", channel_id="C1", ts=ts(9))
    assert (edited, deleted, unknown) == (True, "1765184400.000000", None)
    assert await recent(db) == ["fixed"]


async def test_kept_messages_are_pruned_by_age(db: Storage) -> None:
    await keep(db, 1, now=T0)
    await keep(db, 2, now=T0 + timedelta(days=6))
    async with db.session() as s:
        pruned = await thread_messages.prune_thread_messages(
            session=s, older_than=timedelta(days=7), now=T0 + timedelta(days=7, minutes=1)
        )
    assert pruned == 1
    assert await recent(db) == ["message 2"]


async def test_a_linked_thread_history_is_read_by_one_caller_once_and_a_relink_does_not_read_again(
    db: Storage,
) -> None:
    ws = db.workspace("T1")
    await ws.write(
        partial(thread_links.link_thread, channel_id="C1", thread_ts="100.1", ticket_id=1594, linked_by="U1")
    )

    async def claim() -> bool:
        async with db.session() as s:
            return await thread_links.claim_context_seed(
                session=s, team_id="T1", channel_id="C1", thread_ts="100.1"
            )

    assert sorted(await asyncio.gather(*(claim() for _ in range(6)))) == [False] * 5 + [True]
    relinked = await ws.write(
        partial(thread_links.link_thread, channel_id="C1", thread_ts="100.1", ticket_id=1600, linked_by="U2")
    )
    assert relinked.context_seeded_at is not None and await claim() is False
    # A thread the app starts itself (a shared card) has nothing earlier to read.
    card = await ws.write(
        partial(
            thread_links.link_thread,
            channel_id="C1",
            thread_ts="200.1",
            ticket_id=1594,
            linked_by="U1",
            context_seeded=True,
        )
    )
    assert card.context_seeded_at is not None


async def test_response_url_posts_are_counted_to_the_limit_even_when_concurrent(db: Storage) -> None:
    url = "https://hooks.slack.com/actions/T1/1/abc"

    async def use(now: datetime = T0) -> int | None:
        async with db.session() as s:
            return await response_urls.claim_use(
                session=s, team_id="T1", url=url, limit=4, lifetime=timedelta(minutes=29), now=now
            )

    async with db.session() as s:
        await response_urls.register(session=s, team_id="T1", url=url, issued_at=T0)
    got = await asyncio.gather(*(use() for _ in range(6)))
    assert sorted(n for n in got if n is not None) == [1, 2, 3, 4]
    assert got.count(None) == 2


async def test_an_old_response_url_is_not_used_and_its_count_is_pruned(db: Storage) -> None:
    url = "https://hooks.slack.com/actions/T1/2/def"
    async with db.session() as s:
        await response_urls.register(session=s, team_id="T1", url=url, issued_at=T0)
        assert (
            await response_urls.claim_use(
                session=s,
                team_id="T1",
                url=url,
                limit=4,
                lifetime=timedelta(minutes=29),
                now=T0 + timedelta(minutes=29, seconds=1),
            )
            is None
        )
        # A URL never registered starts counting at its first use.
        other = await response_urls.claim_use(
            session=s, team_id="T2", url=url, limit=4, lifetime=timedelta(minutes=29), now=T0
        )
        assert other == 1
    async with db.session() as s:
        pruned = await response_urls.prune_response_url_uses(
            session=s, older_than=timedelta(hours=1), now=T0 + timedelta(hours=1, seconds=1)
        )
    assert pruned == 2
