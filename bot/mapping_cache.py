"""Member mappings of one workspace, read once and kept until they change (or a TTL passes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from psa.service import MemberMappingLookup

DEFAULT_TTL = 300.0
EVERYTHING = "*"  # bot.changes.EVERYTHING: a change that concerns every workspace (or every table)
T = TypeVar("T")


class CachedMappings:
    """A `MemberMappingLookup` answering from one cached read of the workspace's mappings.

    Every `/tickets mine` asks who the user is; the mappings of a workspace are few and change
    rarely, so one SELECT serves every command until `clear()` (a mapping changed, in any process:
    see bot/changes.py) or `ttl` seconds pass (a missed notification heals by itself).
    """

    def __init__(
        self,
        inner: MemberMappingLookup,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._ttl = ttl
        self._clock = clock
        self._by_member: dict[int, str] | None = None
        self._by_user: dict[str, int] = {}
        self._expires = 0.0
        self._generation = 0
        self._loading: asyncio.Task[dict[int, str]] | None = None

    async def member_id_for(self, user_ref: str) -> int | None:
        """The PSA member id of a Slack user, or None when unmapped."""
        await self._current()
        return self._by_user.get(user_ref)

    async def mapped_member_ids(self) -> dict[int, str]:
        """PSA member id -> Slack user id, for every mapped member (a copy)."""
        return dict(await self._current())

    def clear(self) -> None:
        """Forget what was read: the next question reads the mappings again."""
        self._generation += 1
        self._by_member = None
        self._loading = None

    async def _current(self) -> dict[int, str]:
        if self._by_member is not None and self._clock() < self._expires:
            return self._by_member
        if self._loading is None:
            self._loading = asyncio.ensure_future(self._load(self._generation))
            self._loading.add_done_callback(_consume_exception)
        # Concurrent commands share one read; one of them giving up does not cancel it for the others.
        return await asyncio.shield(self._loading)

    async def _load(self, generation: int) -> dict[int, str]:
        try:
            by_member = await self._inner.mapped_member_ids()
        finally:
            if generation == self._generation:
                self._loading = None
        if generation == self._generation:  # not cleared while reading: the rows are current
            self._by_member = by_member
            self._by_user = {user: member for member, user in by_member.items()}
            self._expires = self._clock() + self._ttl
        return by_member


def _consume_exception(task: asyncio.Future[dict[int, str]]) -> None:
    if not task.cancelled():
        task.exception()  # its waiters got it; keep asyncio from warning when none is left


class PeopleCache:
    """Each workspace's access settings and each user's mapping, as the last read found them.

    Every command asks both before it reads a ticket (`require_reader`); they change rarely, and every
    change is announced (bot/changes.py, in every process and the worker thread), so one read serves
    until `changed()` or `ttl` seconds (a missed notification heals by itself). Reads that overlap a
    change are not kept. At most `max_users` mappings are kept (the oldest go first).
    """

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_users: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max_users = max_users
        self._clock = clock
        self._generation = 0
        self._settings: dict[str, tuple[float, Any]] = {}
        self._mappings: dict[tuple[str, str], tuple[float, Any]] = {}

    async def settings(self, team_id: str, read: Callable[[], Awaitable[T]]) -> T:
        """The workspace's access settings (`read` when not cached)."""
        return await self._get(self._settings, team_id, read)

    async def mapping(self, team_id: str, user_id: str, read: Callable[[], Awaitable[T]]) -> T:
        """A user's mapping, or None (`read` when not cached)."""
        return await self._get(self._mappings, (team_id, user_id), read)

    def changed(self, table: str, team_id: str) -> None:
        """Forget what a change of `table` in `team_id` ("*": every workspace) may have made stale."""
        self._generation += 1
        every = team_id == EVERYTHING
        if table in ("access_settings", EVERYTHING):
            if every:
                self._settings.clear()
            else:
                self._settings.pop(team_id, None)
        if table in ("member_mappings", EVERYTHING):
            if every:
                self._mappings.clear()
            else:
                for key in [k for k in self._mappings if k[0] == team_id]:
                    del self._mappings[key]

    async def _get(
        self, store: dict[Any, tuple[float, Any]], key: Any, read: Callable[[], Awaitable[T]]
    ) -> T:
        kept = store.get(key)
        if kept is not None and self._clock() < kept[0]:
            value: T = kept[1]
            return value
        generation = self._generation
        value = await read()
        if generation == self._generation:  # nothing changed while reading: the row is current
            store.pop(key, None)
            store[key] = (self._clock() + self._ttl, value)
            if len(store) > self._max_users:
                del store[next(iter(store))]
        return value
