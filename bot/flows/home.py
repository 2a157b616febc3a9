"""App Home "My queue": work out which state a user's Home is in, render it, publish it (hash-guarded)."""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from bot.flows import create
from bot.flows.access import require_access
from bot.flows.context import FlowContext
from bot.flows.errors import NotConnected, NotMapped, Restricted
from bot.flows.tickets_list import render_list
from bot.flows.time.nudge import nudge_of
from bot.flows.views_io import post_message
from bot.flows.work import WorkItem, flow
from bot.state import ListState
from bot.views.access import restricted_refusal
from bot.views.home import HOME_ROWS, HomeConnection, HomeState, home_view
from psa.connectwise.site import site_label
from psa.errors import PSAError
from psa.models import TicketFilters
from psa.service import NotMappedError
from storage import StoredKeyUnusable

log = logging.getLogger(__name__)

# On a first visit (no Home published yet) a slow PSA would leave the tab blank: after this long a
# "Loading…" Home is published and replaced when the queue arrives. Later visits keep the previous
# Home on screen instead, which is better than a flash of "Loading…".
LOADING_AFTER_SECONDS = 0.8


async def home_state(ctx: FlowContext, user_id: str) -> HomeState:
    """Which state the user's Home is in, with the queue when there is one (PSA failures → "error")."""
    team_id = ctx.team_id
    try:
        service = await ctx.service()
    except NotConnected:
        return HomeState(kind="not_connected", is_admin=await ctx.is_admin(user_id))
    except StoredKeyUnusable:  # logged by the registry, with the workspace
        return HomeState(kind="key_unreadable", is_admin=await ctx.is_admin(user_id))
    summary = await ctx.deps.workspaces.summary(team_id)
    connection = (
        HomeConnection(company_id=summary.company_id, site=site_label(summary.base_url))
        if summary is not None
        else None
    )
    now = ctx.deps.now()
    is_admin = await ctx.is_admin(user_id)
    try:
        await require_access(ctx, reading=True, user_id=user_id, in_home=True)
    except (NotMapped, Restricted) as refused:
        if isinstance(refused, NotMapped):
            return HomeState(kind="not_mapped", connection=connection, last_updated=now, is_admin=is_admin)
        line = restricted_refusal(refused)
        return HomeState(
            kind="refused",
            connection=connection,
            last_updated=now,
            is_admin=is_admin,
            refusal=f"{line.line}\n{line.hint}",
        )
    mapped = await ctx.member(user_id)
    if mapped is None:
        return HomeState(kind="not_mapped", connection=connection, last_updated=now, is_admin=is_admin)
    member_name = f"{mapped.member_name} ({mapped.member_identifier})"
    nudge = await nudge_of(ctx, user_id)
    reminder = {"nudge_at": nudge.at_minute, "nudge_tz": nudge.tz} if nudge is not None else {}
    try:
        # The mapping is already at hand: asking for its member directly saves the 'me' lookup.
        queue = await service.search(
            TicketFilters(assigned=mapped.psa_member_id), user_ref=user_id, page=1, page_size=HOME_ROWS
        )
    except NotMappedError:
        return HomeState(kind="not_mapped", connection=connection, last_updated=now)
    except PSAError as exc:
        log.warning("Home queue unavailable for team %s user %s: %s", team_id, user_id, exc.message)
        return HomeState(
            kind="error",
            connection=connection,
            last_updated=now,
            member_name=member_name,
            is_admin=is_admin,
            **reminder,
        )
    ctx.deps.rows.remember(team_id, queue.items)
    from bot.flows.live.choices import prefs_view  # live imports this module (publish_home)

    return HomeState(
        kind="tickets" if queue.items else "empty",
        tickets=queue.items,
        total=queue.total,
        connection=connection,
        last_updated=now,
        member_name=member_name,
        is_admin=is_admin,
        notifications=await prefs_view(ctx, user_id),
        **reminder,
    )


async def _publish(
    ctx: FlowContext, user_id: str, view: dict[str, object], view_hash: str | None
) -> str | None:
    """views.publish; a stale hash is retried once without it. Returns the new hash (None on failure)."""
    try:
        resp = await ctx.client.views_publish(user_id=user_id, view=view, hash=view_hash)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "hash_conflict" and view_hash is not None:
            # Someone published in between; what we render now is fresher than what they did.
            return await _publish(ctx, user_id, view, None)
        log.warning("views.publish failed for %s: %s", user_id, error)
        return None
    published = resp.get("view") or {}
    return published.get("hash") if isinstance(published, dict) else None


async def publish_home(ctx: FlowContext, user_id: str | None = None, *, view_hash: str | None = None) -> None:
    """Publish the Home tab of `user_id` (default: the actor)."""
    user_id = user_id or ctx.user_id
    state = await home_state(ctx, user_id)
    await _publish(ctx, user_id, home_view(state), view_hash)


@flow("home.refresh")
async def refresh_home(ctx: FlowContext, item: WorkItem) -> None:
    """Publish a Home: of `args.user_id` (e.g. a user just mapped by an admin) or of the actor."""
    await publish_home(ctx, item.args.get("user_id"), view_hash=item.args.get("view_hash"))


@flow("home.opened")
async def home_opened(ctx: FlowContext, item: WorkItem) -> None:
    """`app_home_opened`: publish the Home, with a loading Home first when a first visit is slow."""
    user_id = str(item.args["user_id"])
    view_hash = item.args.get("view_hash")
    pending = asyncio.ensure_future(home_state(ctx, user_id))
    done, _ = await asyncio.wait({pending}, timeout=LOADING_AFTER_SECONDS)
    if not done and view_hash is None:
        view_hash = await _publish(ctx, user_id, home_view(HomeState(kind="loading")), None)
    state = await pending
    await _publish(ctx, user_id, home_view(state), view_hash)


@flow("home.view_all", retry=True)
async def view_all(ctx: FlowContext, item: WorkItem) -> None:
    """ "View all tickets": the full `/tickets mine` list as a message in the app's DM.

    A message (not a modal) because the list's paging, filters, search and Share all work on a
    message in place through its response_url, and the DM sits right beside the Home tab.
    """
    ctx.doing = "load the tickets"
    payload = await render_list(ctx, ListState.mine())
    await post_message(ctx.client, ctx.user_id, payload)


@flow("home.new_ticket")
async def new_ticket(ctx: FlowContext, item: WorkItem) -> None:
    """The Home's "New ticket": ticket creation on its Full Form tab."""
    await create.open_create_modal(ctx, tab="full")
