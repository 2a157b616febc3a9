"""Making the PSA push changes to the app (callbacks at PUBLIC_URL), or not: registration when a
workspace connects and from `python -m bot callbacks sync`, removal on uninstall or `callbacks remove`.

Without PUBLIC_URL the PSA cannot reach the app (local mode, a firewall): the poller asks instead.
Either way the tickets of mapped engineers are read once as the baseline later changes are compared
with (one request per engineer), so the first status change on a ticket already tells "from → to".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from bot.flows.context import FlowContext
from bot.flows.live.handler import remember
from bot.flows.live.inbound import CALLBACK_PREFIX
from bot.flows.work import WorkItem, flow
from psa.connectwise.changes import callback_url
from psa.errors import PSAError
from psa.models import TicketFilters
from psa.service import TicketService
from storage.repositories import mappings as mapping_repo

if TYPE_CHECKING:
    from bot.deps import AppDeps

log = logging.getLogger(__name__)
DESCRIPTION = "Slack tickets app: live updates"
BASELINE_PAGE = 200

Mode = Literal["callbacks", "poll", "not_connected"]


def push_url(public_url: str, token: str) -> str:
    """The callback URL of a workspace (the PSA appends `recordId=`)."""
    return callback_url(public_url.rstrip("/") + CALLBACK_PREFIX + token)


async def subscribe(deps: AppDeps, team_id: str) -> Mode:
    """Register the workspace's callbacks when the app has a public URL (idempotent); baseline."""
    service = await deps.workspaces.service(team_id)
    if service is None:
        return "not_connected"
    live = deps.storage.live()
    settings = await live.settings(team_id, now=deps.now())
    public = deps.settings.public_url
    mode: Mode = "poll"
    if public:
        url = push_url(public, settings.token)
        if settings.callback_url and settings.callback_url != url:
            await service.unsubscribe_from_changes(settings.callback_url)  # PUBLIC_URL moved
        await service.subscribe_to_changes(url, description=DESCRIPTION)
        await live.subscribed(team_id, url, now=deps.now())
        mode = "callbacks"
    await baseline(deps, team_id, service)
    return mode


async def unsubscribe(deps: AppDeps, team_id: str) -> bool:
    """Remove the workspace's callbacks from the PSA; True if some were registered."""
    live = deps.storage.live()
    settings = await live.find_settings(team_id)
    if settings is None or not settings.callback_url:
        return False
    service = await deps.workspaces.service(team_id)
    if service is not None:
        await service.unsubscribe_from_changes(settings.callback_url)
    await live.subscribed(team_id, None, now=None)
    return True


async def baseline(deps: AppDeps, team_id: str, service: TicketService) -> int:
    """Keep the current state of every mapped engineer's open tickets (tickets already known stay)."""
    kept = 0
    for mapping in await deps.storage.workspace(team_id).read(mapping_repo.list_mappings):
        try:
            page = await service.search(
                TicketFilters(assigned=mapping.psa_member_id), user_ref=None, page_size=BASELINE_PAGE
            )
        except PSAError as exc:
            log.warning(
                "baseline of %s in team %s failed: %s", mapping.member_identifier, team_id, exc.message
            )
            continue
        kept += await remember(deps, team_id, page.items)
    return kept


async def sync_all(deps: AppDeps, team_id: str | None = None) -> dict[str, Mode]:
    """`python -m bot callbacks sync`: every known workspace (or one) registered as it should be."""
    teams = [team_id] if team_id else await deps.storage.live().teams()
    return {team: await subscribe(deps, team) for team in teams}


@flow("live.subscribe")
async def subscribe_flow(ctx: FlowContext, item: WorkItem) -> None:
    """After a workspace connects: register its callbacks (or rely on the poller) and baseline."""
    try:
        mode = await subscribe(ctx.deps, ctx.team_id)
    except PSAError as exc:
        log.warning("team %s: live updates not registered: %s", ctx.team_id, exc.message)
        return
    log.info("team %s: live updates by %s", ctx.team_id, mode)


@flow("live.unsubscribe")
async def unsubscribe_flow(ctx: FlowContext, item: WorkItem) -> None:
    """The app was uninstalled from the workspace: stop the PSA pushing to it."""
    try:
        await unsubscribe(ctx.deps, ctx.team_id)
    except PSAError as exc:
        log.warning("team %s: callbacks not removed: %s", ctx.team_id, exc.message)
