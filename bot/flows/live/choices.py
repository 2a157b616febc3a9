"""Engineers' live-update choices: notification topics, quiet hours and digest in App Home, the
workspace's internal-notes switch (admins), Follow / Unfollow in the ticket detail."""

from __future__ import annotations

import logging
from typing import Any

from bot.flows.context import FlowContext
from bot.flows.home import publish_home
from bot.flows.live import prefs as stored_prefs
from bot.flows.live.handler import remember
from bot.flows.views_io import as_definition, update_view
from bot.flows.work import WorkItem, flow
from bot.state.live_prefs import DIGEST_CHOICES, QUIET_CHOICES, TOPICS, Preferences
from bot.views.live import follow_swapped
from bot.views.live_prefs import INTERNAL_VALUE, LivePrefsView
from bot.views.prompts import with_banner
from psa.errors import PSAError

log = logging.getLogger(__name__)


async def prefs_view(ctx: FlowContext, user_id: str) -> LivePrefsView:
    """What the Home's notification section shows for a user."""
    live = ctx.deps.storage.live()
    prefs = (await stored_prefs.load(ctx.deps.storage, ctx.team_id, [user_id]))[user_id]
    settings = await live.find_settings(ctx.team_id)
    return LivePrefsView(
        prefs=prefs,
        following=len(await live.followed(ctx.team_id, user_id)),
        is_admin=await ctx.is_admin(user_id),
        internal_in_threads=bool(settings and settings.internal_notes_in_threads),
        mode="callbacks" if settings and settings.callback_url else "poll",
    )


async def _user_tz(ctx: FlowContext) -> str | None:
    user = await ctx.deps.directory.user(ctx.client, ctx.team_id, ctx.user_id)
    return user.tz if user is not None and user.tz else None


async def _change(ctx: FlowContext, **changes: Any) -> None:
    current = (await stored_prefs.load(ctx.deps.storage, ctx.team_id, [ctx.user_id]))[ctx.user_id]
    tz = await _user_tz(ctx) or current.tz  # quiet hours are the user's own hours
    updated = Preferences.model_validate({**current.model_dump(), **changes, "tz": tz})
    await stored_prefs.save(ctx.deps.storage, ctx.team_id, ctx.user_id, updated, now=ctx.deps.now())
    await publish_home(ctx)


@flow("live.topics")
async def choose_topics(ctx: FlowContext, item: WorkItem) -> None:
    """The notification checkboxes (args.topics: the values ticked)."""
    chosen = [t for t in TOPICS if t in set(item.args.get("topics") or [])]
    await _change(ctx, topics=chosen)


@flow("live.quiet")
async def choose_quiet(ctx: FlowContext, item: WorkItem) -> None:
    """Quiet hours (args.quiet: a key of QUIET_CHOICES)."""
    quiet = str(item.args.get("quiet") or "off")
    await _change(ctx, quiet=quiet if quiet in QUIET_CHOICES else "off")


@flow("live.digest")
async def choose_digest(ctx: FlowContext, item: WorkItem) -> None:
    """Digest minutes (args.minutes; 0: each change at once)."""
    minutes = int(item.args.get("minutes") or 0)
    await _change(ctx, digest_minutes=minutes if minutes in DIGEST_CHOICES else 0)


@flow("live.thread_internal")
async def choose_thread_internal(ctx: FlowContext, item: WorkItem) -> None:
    """Admins: whether linked threads show internal notes (args.values: the values ticked)."""
    if not await ctx.is_admin():
        await publish_home(ctx)  # what is shown stays what is stored
        return
    allowed = INTERNAL_VALUE in (item.args.get("values") or [])
    await ctx.deps.storage.live().allow_internal_notes(ctx.team_id, allowed, now=ctx.deps.now())
    await publish_home(ctx)


async def _baseline(ctx: FlowContext, ticket_id: int) -> None:
    """Keep the ticket's state now, so its next change tells what it changed from."""
    if await ctx.deps.storage.live().state(ctx.team_id, ticket_id) is not None:
        return
    row = ctx.deps.rows.get(ctx.team_id, ticket_id)  # the detail the click came from read it
    if row is None:
        try:
            row = await (await ctx.service()).get_ticket(ticket_id)
        except PSAError as exc:
            log.info("baseline of #%s skipped: %s", ticket_id, exc.message)
            return
    await remember(ctx.deps, ctx.team_id, [row])


async def _follow(ctx: FlowContext, item: WorkItem, *, following: bool) -> None:
    ticket_id = int(item.args["ticket_id"])
    live = ctx.deps.storage.live()
    if following:
        await live.follow(ctx.team_id, ctx.user_id, ticket_id, now=ctx.deps.now())
        await _baseline(ctx, ticket_id)
        notice = f"Following #{ticket_id}: you'll get a DM when it changes."
    else:
        await live.unfollow(ctx.team_id, ctx.user_id, ticket_id)
        notice = f"Stopped following #{ticket_id}."
    view = item.body.get("view") or {}
    if view.get("id"):
        definition = follow_swapped(as_definition(view), ticket_id, following=following)
        await update_view(
            ctx.client, view["id"], with_banner(definition, notice=notice), hash=view.get("hash")
        )
    else:
        await ctx.dm({"text": notice})


@flow("live.follow")
async def follow(ctx: FlowContext, item: WorkItem) -> None:
    """Follow a ticket from its detail."""
    await _follow(ctx, item, following=True)


@flow("live.unfollow")
async def unfollow(ctx: FlowContext, item: WorkItem) -> None:
    """Stop following a ticket."""
    await _follow(ctx, item, following=False)
