"""Live updates' storage, each call one transaction (see storage.repositories.live and .outbox)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories import live, outbox, thread_links
from storage.repositories.live import LiveSettings, TicketState
from storage.repositories.outbox import NewMessage, OutboxMessage
from storage.repositories.thread_links import ThreadLink

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]

__all__ = ["LiveSettings", "LiveStore", "NewMessage", "OutboxMessage", "TicketState"]


def new_token() -> str:
    """The secret part of a workspace's callback URL (a delivery's signature proves the PSA sent it;
    the token only says which workspace it is for, without naming the Slack team)."""
    return secrets.token_urlsafe(24)


class LiveStore:
    """Live-update state; methods taking `team_id` are scoped to that workspace."""

    def __init__(self, *, write: SessionFactory, read: SessionFactory) -> None:
        self._write = write
        self._read = read

    # settings
    async def settings(self, team_id: str, *, now: datetime) -> LiveSettings:
        """The workspace's settings (created on first use)."""
        existing = await self.find_settings(team_id)
        if existing is not None:
            return existing
        async with self._write() as s:
            return await live.ensure_settings(session=s, team_id=team_id, token=new_token(), now=now)

    async def find_settings(self, team_id: str) -> LiveSettings | None:
        """The workspace's settings, if it has any."""
        async with self._read() as s:
            return await live.get_settings(session=s, team_id=team_id)

    async def by_token(self, token: str) -> LiveSettings | None:
        """The workspace a callback URL's token belongs to."""
        async with self._read() as s:
            return await live.settings_by_token(session=s, token=token)

    async def subscribed(self, team_id: str, callback_url: str | None, *, now: datetime | None) -> None:
        """Remember what is registered with the PSA."""
        async with self._write() as s:
            await live.set_subscription(session=s, team_id=team_id, callback_url=callback_url, now=now)

    async def allow_internal_notes(self, team_id: str, allowed: bool, *, now: datetime) -> None:
        """Whether linked threads show internal notes."""
        await self.settings(team_id, now=now)
        async with self._write() as s:
            await live.set_internal_notes(session=s, team_id=team_id, allowed=allowed)

    async def teams(self) -> list[str]:
        """Workspaces with a connection or a mapped engineer."""
        async with self._read() as s:
            return await live.known_teams(session=s)

    # deliveries and cursors
    async def first_sight(self, team_id: str, key: str, *, now: datetime) -> bool:
        """False when this change was taken in before."""
        async with self._write() as s:
            return await live.first_sight(session=s, team_id=team_id, key=key, now=now)

    async def cursor(self, team_id: str) -> dict[str, Any] | None:
        """The poller's stored cursor."""
        async with self._read() as s:
            return await live.get_cursor(session=s, team_id=team_id)

    async def save_cursor(self, team_id: str, cursor: dict[str, Any], *, now: datetime) -> None:
        """Store the poller's cursor."""
        async with self._write() as s:
            await live.save_cursor(session=s, team_id=team_id, cursor=cursor, now=now)

    # ticket states
    async def state(self, team_id: str, ticket_id: int) -> TicketState | None:
        """What the app last knew of a ticket."""
        async with self._read() as s:
            return await live.get_state(session=s, team_id=team_id, ticket_id=ticket_id)

    async def states(self, team_id: str) -> list[tuple[int, dict[str, Any]]]:
        """Every ticket state kept for a workspace."""
        async with self._read() as s:
            return await live.all_states(session=s, team_id=team_id)

    async def sla_due(
        self, team_id: str, *, after: datetime, until: datetime
    ) -> list[tuple[int, dict[str, Any]]]:
        """States of open tickets whose SLA is due in (after, until], soonest first (indexed)."""
        async with self._read() as s:
            return await live.due_between(session=s, team_id=team_id, after=after, until=until)

    async def advance(
        self,
        team_id: str,
        ticket_id: int,
        data: dict[str, Any],
        *,
        expected: int | None,
        messages: Callable[[int], Sequence[NewMessage]],
        now: datetime,
        sla_due_at: datetime | None = None,
    ) -> int | None:
        """Store the ticket's new state and the messages it causes in one transaction, unless another
        writer moved the state since `expected` (then None: nothing stored, read again).
        `messages(version)` builds the messages for the new version (their keys carry it);
        `sla_due_at` is when the open ticket's running SLA stage is due (what `sla_due` finds)."""
        async with self._write() as s:
            version = await live.put_state(
                session=s,
                team_id=team_id,
                ticket_id=ticket_id,
                data=data,
                expected=expected,
                now=now,
                sla_due_at=sla_due_at,
            )
            if version is not None:
                await outbox.put(session=s, team_id=team_id, messages=messages(version), now=now)
            return version

    # follows
    async def follow(self, team_id: str, user_id: str, ticket_id: int, *, now: datetime) -> None:
        """The user follows the ticket."""
        async with self._write() as s:
            await live.follow(session=s, team_id=team_id, user_id=user_id, ticket_id=ticket_id, now=now)

    async def unfollow(self, team_id: str, user_id: str, ticket_id: int) -> bool:
        """The user stops following the ticket."""
        async with self._write() as s:
            return await live.unfollow(session=s, team_id=team_id, user_id=user_id, ticket_id=ticket_id)

    async def followers(self, team_id: str, ticket_id: int) -> list[str]:
        """Users following the ticket."""
        async with self._read() as s:
            return await live.followers(session=s, team_id=team_id, ticket_id=ticket_id)

    async def followed(self, team_id: str, user_id: str) -> list[int]:
        """Tickets the user follows."""
        async with self._read() as s:
            return await live.followed(session=s, team_id=team_id, user_id=user_id)

    async def threads(self, team_id: str, ticket_id: int) -> list[ThreadLink]:
        """Slack threads linked to the ticket."""
        async with self._read() as s:
            return await thread_links.links_for_ticket(session=s, team_id=team_id, ticket_id=ticket_id)

    # preferences
    async def preferences(self, team_id: str, user_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """Stored preferences of these users."""
        async with self._read() as s:
            return await live.get_preferences(session=s, team_id=team_id, user_ids=user_ids)

    async def save_preferences(
        self, team_id: str, user_id: str, data: dict[str, Any], *, now: datetime
    ) -> None:
        """Store a user's preferences."""
        async with self._write() as s:
            await live.save_preferences(session=s, team_id=team_id, user_id=user_id, data=data, now=now)

    async def slack_writers(
        self,
        team_id: str,
        ticket_id: int,
        *,
        kinds: Collection[str],
        since: datetime,
        marker: str | None = None,
    ) -> set[str]:
        """Slack users who made this kind of change to the ticket from Slack since `since` (the ledger;
        a create also by the marker its ticket carries)."""
        async with self._read() as s:
            return await live.slack_writers(
                session=s, team_id=team_id, ticket_id=ticket_id, kinds=kinds, since=since, marker=marker
            )

    # outbox
    async def put_messages(self, team_id: str, messages: Sequence[NewMessage], *, now: datetime) -> int:
        """Store messages not caused by a ticket state (e.g. SLA warnings); how many were new."""
        async with self._write() as s:
            return await outbox.put(session=s, team_id=team_id, messages=messages, now=now)

    async def due_targets(self, *, now: datetime, team_id: str | None = None) -> list[tuple[str, str]]:
        """(team, target) pairs with a message due."""
        async with self._read() as s:
            return await outbox.due_targets(session=s, now=now, team_id=team_id)

    async def pending(
        self, team_id: str, target: str, *, now: datetime, due_only: bool
    ) -> list[OutboxMessage]:
        """Unsent messages for a target."""
        async with self._read() as s:
            return await outbox.pending(session=s, team_id=team_id, target=target, now=now, due_only=due_only)

    async def claim(self, ids: Collection[int], *, now: datetime) -> list[int]:
        """Claim messages for sending; the ids won."""
        async with self._write() as s:
            return await outbox.claim(session=s, ids=ids, now=now)

    async def mark_sent(self, ids: Collection[int], *, now: datetime, error: str | None = None) -> None:
        """The messages went out (or were given up on)."""
        async with self._write() as s:
            await outbox.mark_sent(session=s, ids=ids, now=now, error=error)

    async def release(self, ids: Collection[int], *, error: str) -> None:
        """Sending failed: let a later run try again."""
        async with self._write() as s:
            await outbox.release(session=s, ids=ids, error=error)

    async def sent(self, team_id: str, *, kind: str | None = None) -> list[OutboxMessage]:
        """Messages already sent (tests, diagnostics)."""
        async with self._read() as s:
            return await outbox.sent(session=s, team_id=team_id, kind=kind)

    async def prune(self, *, deliveries_before: datetime, sent_before: datetime) -> int:
        """Forget old dedupe keys and sent messages."""
        async with self._write() as s:
            pruned = await live.prune_deliveries(session=s, before=deliveries_before)
            return pruned + await outbox.prune(session=s, before=sent_before)
