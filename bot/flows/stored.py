"""State kept on the server for views and messages; Slack carries only a short id.

A New Ticket modal's draft (everything typed and picked, any length) and a list message's filters are
saved as immutable snapshots: each view Slack shows names the snapshot it was rendered from, so a
late or out-of-order update can never pair a view with someone else's state. Snapshots expire.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.flows.context import FlowContext
from bot.state import ListState, StateError, TicketDraft, draft_ref, merge_typed
from storage import Storage
from storage.repositories.view_states import keep_view_state, prune_view_states, save_view_state, view_state

log = logging.getLogger(__name__)

DRAFT = "draft"
LIST = "list"
# A modal left open over a weekend still submits; a list message is clicked for weeks at most.
RETENTION = {DRAFT: timedelta(days=3), LIST: timedelta(days=30)}
STALE = "this form is out of date"
# How long this process trusts that a list snapshot it wrote is still stored: well within LIST's retention.
LIST_REWRITE_AFTER = 86_400.0


class KeptLists:
    """Which list snapshots this process wrote, and when (bounded; the oldest are forgotten first).

    A list's snapshot is named by its content, so every `/tickets mine` of a workspace shows the same
    one: it is written (or made young again) once a day at most instead of once per command.
    """

    def __init__(self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._written: dict[tuple[str, str], float] = {}
        self._max = max_entries
        self._clock = clock

    def fresh(self, team_id: str, state_id: str) -> bool:
        """Whether this process wrote the snapshot less than LIST_REWRITE_AFTER ago."""
        written = self._written.get((team_id, state_id))
        return written is not None and self._clock() - written < LIST_REWRITE_AFTER

    def written(self, team_id: str, state_id: str) -> None:
        """Note that the snapshot was just written."""
        self._written.pop((team_id, state_id), None)
        self._written[(team_id, state_id)] = self._clock()
        if len(self._written) > self._max:
            del self._written[next(iter(self._written))]


def _new_id() -> str:
    return uuid.uuid4().hex[:20]


async def _save(ctx: FlowContext, kind: str, data: str, key: str | None = None) -> str:
    state_id = _new_id()
    async with ctx.deps.storage.session() as session:
        await save_view_state(
            session=session, team_id=ctx.team_id, state_id=state_id, kind=kind, data=data, key=key
        )
    return state_id


async def _load(ctx: FlowContext, kind: str, state_id: str) -> str:
    async with ctx.deps.storage.read_session() as session:
        data = await view_state(session=session, team_id=ctx.team_id, state_id=state_id, kind=kind)
    if data is None:
        raise StateError(f"no {kind} state {state_id!r} (expired or foreign)")
    return data


async def keep_draft(ctx: FlowContext, draft: TicketDraft) -> TicketDraft:
    """Save the draft about to be shown; the copy to render (its snapshot id goes into the view)."""
    snapshot = await _save(ctx, DRAFT, draft.stored_json(), key=draft.idempotency_key)
    return draft.model_copy(update={"snapshot": snapshot})


async def load_draft(ctx: FlowContext, view: dict[str, Any]) -> TicketDraft:
    """The draft a New Ticket modal was rendered from, with what the user typed since merged in."""
    key, snapshot = draft_ref(view)
    stored = TicketDraft.model_validate_json(await _load(ctx, DRAFT, snapshot))
    if stored.idempotency_key != key:
        raise StateError("draft snapshot of another modal")
    return merge_typed(stored.model_copy(update={"snapshot": snapshot}), view)


async def kept_draft(ctx: FlowContext, snapshot: str) -> TicketDraft:
    """A draft exactly as it was kept (recovery, which has no modal to merge typing from)."""
    stored = TicketDraft.model_validate_json(await _load(ctx, DRAFT, snapshot))
    return stored.model_copy(update={"snapshot": snapshot})


async def keep_list(ctx: FlowContext, state: ListState) -> str:
    """Save the list state about to be shown; its id (which the message's buttons carry), derived from
    the state itself: an unchanged snapshot is one row, not one per message."""
    data = state.model_dump_json()
    state_id = hashlib.sha256(f"{LIST}:{data}".encode()).hexdigest()[:20]
    kept = ctx.deps.kept_lists
    if kept.fresh(ctx.team_id, state_id):
        return state_id
    async with ctx.deps.storage.session() as session:
        await keep_view_state(session=session, team_id=ctx.team_id, state_id=state_id, kind=LIST, data=data)
    kept.written(ctx.team_id, state_id)
    return state_id


async def load_list(ctx: FlowContext, list_id: str | None) -> ListState:
    """The list state a list message was rendered from."""
    if not list_id:
        raise StateError("no list id")
    return ListState.model_validate_json(await _load(ctx, LIST, list_id))


async def prune(storage: Storage) -> int:
    """Forget expired snapshots (start-up and periodic housekeeping); how many."""
    pruned = 0
    async with storage.session() as session:
        for kind, age in RETENTION.items():
            pruned += await prune_view_states(session=session, kind=kind, older_than=age)
    return pruned
