"""The poller: where callbacks cannot reach the app, ask the PSA for tickets changed since the last
poll (`lastUpdated >= [t]`, psa.changes.poll_ticket_changes) and feed the same handler.

One request per workspace per poll when nothing changed; the rows read are handed over, so a changed
ticket costs no second read (only its notes, when someone is concerned). The cursor is saved after
the changes are handled: a poll cut short is repeated, and the handler tells nothing twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.flows.context import FlowContext
from bot.flows.live.handler import take_in
from bot.flows.live.subscriptions import baseline
from bot.flows.work import WorkItem, flow, work_item
from psa.changes import PollCursor

if TYPE_CHECKING:
    from bot.deps import AppDeps

log = logging.getLogger(__name__)


def polling(deps: AppDeps) -> bool:
    """Whether this install polls: no PUBLIC_URL for callbacks, and a poll interval set."""
    return not deps.settings.public_url and deps.settings.live_poll_seconds > 0


async def poll_all(deps: AppDeps) -> int:
    """The periodic job: one poll per workspace, each as its own job; how many were queued."""
    if not polling(deps):
        return 0
    teams = await deps.storage.live().teams()
    for team in teams:
        await deps.work.submit(work_item("live.poll", {}, team_id=team))
    return len(teams)


async def poll_once(deps: AppDeps, team_id: str) -> int:
    """Poll one workspace; how many changes were handled."""
    service = await deps.workspaces.service(team_id)
    if service is None:
        return 0
    live = deps.storage.live()
    stored = await live.cursor(team_id)
    cursor = PollCursor.model_validate(stored) if stored else PollCursor()
    result = await service.poll_ticket_changes(cursor)
    if cursor.since is None:
        await baseline(deps, team_id, service)
    for change, row in zip(result.changes, result.tickets, strict=True):
        await take_in(deps, team_id, change, known=row)
    await live.save_cursor(team_id, result.cursor.model_dump(mode="json"), now=deps.now())
    if not result.complete:  # more changed tickets than a poll reads: continue at once
        await deps.work.submit(work_item("live.poll", {}, team_id=team_id))
    return len(result.changes)


@flow("live.poll")
async def poll_flow(ctx: FlowContext, item: WorkItem) -> None:
    """Poll one workspace for changed tickets."""
    await poll_once(ctx.deps, ctx.team_id)
