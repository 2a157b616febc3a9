"""Repository functions run for one workspace, each call in a transaction of its own.

A repository function takes `session` and `team_id` (keywords) and the rest of its arguments; bind the
rest with `functools.partial` and hand it to `read` or `write`:

    link = await store.read(partial(thread_links.get_thread_link, channel_id=c, thread_ts=ts))

mypy checks the bound arguments against the repository function and infers the result, so a new
query is one function in `storage/repositories/`, not a second copy of it here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories._common import require_team

R_co = TypeVar("R_co", covariant=True)
SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class Query(Protocol[R_co]):
    """A repository function with everything bound but the session and the workspace."""

    def __call__(self, *, session: AsyncSession, team_id: str) -> Awaitable[R_co]: ...


class WorkspaceBound:
    """Runs repository functions for one workspace: `read` in a read-only session, `write` committed
    before it returns (rolled back if it raises)."""

    def __init__(self, team_id: str, *, write: SessionFactory, read: SessionFactory) -> None:
        self.team_id = require_team(team_id)
        self._write = write
        self._read = read

    async def read(self, query: Query[R_co]) -> R_co:
        """`query` in a read-only transaction of this workspace."""
        async with self._read() as session:
            return await query(session=session, team_id=self.team_id)

    async def write(self, change: Query[R_co]) -> R_co:
        """`change` in a read-write transaction of this workspace, committed before returning."""
        async with self._write() as session:
            return await change(session=session, team_id=self.team_id)
