"""Who may do what from Slack: the policy behind `FlowContext.require_writer` / `require_reader`.

Writes need a mapped member (attribution) and, when the workspace's admins restricted the app, a user in
its Slack user group and a place among its channels. Reads need nothing unless the workspace says
unmapped users may not read, or applied the restriction to reads too. Every refusal is a typed error
(`NotMapped`, `Restricted`) told once by `bot.flows.tell`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.directory import UsergroupUnknown
from bot.flows.errors import NotMapped, Restricted, RestrictedRule
from storage import AccessSettings, MemberMapping

if TYPE_CHECKING:
    from bot.flows.context import FlowContext


async def require_access(
    ctx: FlowContext, *, reading: bool, user_id: str | None = None, in_home: bool = False
) -> MemberMapping | None:
    """The member of `user_id` (default: the actor) when they may read (`reading`) or write here; raises
    the refusal otherwise. A reader without a mapping gets None when the workspace lets unmapped users
    read. `in_home`: the place is the user's Home tab (no channel)."""
    user_id = user_id or ctx.user_id
    settings = await access_settings(ctx)
    if not reading or settings.restrict_reads:
        channel = None if in_home else channel_of(ctx)
        await _check_restriction(ctx, settings, user_id, channel, reading=reading)
    mapped = await ctx.member(user_id)
    if mapped is None and (not reading or not settings.unmapped_can_read):
        raise NotMapped(ctx.team_id, user_id, reading=reading)
    return mapped


async def access_settings(ctx: FlowContext) -> AccessSettings:
    """The workspace's access settings (cached where every change is heard of: bot/mapping_cache.py)."""
    read = ctx.deps.storage.access(ctx.team_id).settings
    people = ctx.deps.workspaces.people
    return await people.settings(ctx.team_id, read) if people is not None else await read()


async def _check_restriction(
    ctx: FlowContext, settings: AccessSettings, user_id: str, channel: str | None, *, reading: bool
) -> None:
    def refused(rule: RestrictedRule, slack_error: str | None = None) -> Restricted:
        return Restricted(
            ctx.team_id,
            user_id,
            rule=rule,
            reading=reading,
            group_handle=settings.usergroup_handle,
            channel_ids=settings.channel_ids,
            set_by=settings.updated_by,
            slack_error=slack_error,
        )

    if settings.usergroup_id is not None:
        try:
            member = await ctx.deps.directory.in_usergroup(
                ctx.client, ctx.team_id, settings.usergroup_id, user_id
            )
        except UsergroupUnknown as exc:
            raise refused(RestrictedRule.GROUP_UNCHECKED, exc.error) from exc
        if not member:
            raise refused(RestrictedRule.GROUP)
    if settings.channel_ids and channel not in settings.channel_ids:
        raise refused(RestrictedRule.CHANNEL)


def channel_of(ctx: FlowContext) -> str | None:
    """The channel the work is done from: the one a flow named (`ctx.channel`, e.g. a New Ticket draft's
    origin), the payload's, or for a modal the channel it was opened from, as its metadata keeps it. None
    from the Home tab, a global shortcut, or a modal opened there."""
    if ctx.channel or ctx.actor.channel_id:
        return ctx.channel or ctx.actor.channel_id
    view = ctx.item.body.get("view")
    if not isinstance(view, dict) or view.get("type") != "modal":
        return None
    meta = _loose_json(view.get("private_metadata"))
    origin = meta.get("o")  # the detail modal (DetailState.origin)
    place = origin if isinstance(origin, dict) else meta  # the link-thread modal is an Origin itself
    for key in ("channel_id", "c"):  # Origin.channel_id; WorkMeta.channel_id (alias "c")
        value = place.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _loose_json(raw: Any) -> dict[str, Any]:
    # Modals encode their metadata with one codec (bot/state/codec.py) as compact JSON; only the origin
    # keys are read here, whatever the model.
    if not isinstance(raw, str) or not raw.startswith("{"):
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
