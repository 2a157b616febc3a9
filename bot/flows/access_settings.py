"""Who may use the app: the admins' settings modal (`/tickets settings`, Home, the connect modal)."""

from __future__ import annotations

import logging
from typing import Any

from bot.directory import SlackUsergroup
from bot.flows.context import FlowContext
from bot.flows.submission import Submission
from bot.flows.work import WorkItem, flow
from bot.ids import AccessBlock
from bot.views.access import (
    access_modal,
    access_saved_modal,
    access_summary,
    read_access_form,
    updated_line,
)
from bot.views.prompts import refused_message
from storage import AccessSettings

log = logging.getLogger(__name__)

Payload = dict[str, Any]
NOT_ADMIN = "Only workspace admins and owners can change who may use the app. Ask one of them."


async def settings_view(ctx: FlowContext, *, notice: str | None = None) -> Payload:
    """The settings modal as stored, with the workspace's user groups to pick from."""
    current = await ctx.deps.storage.access(ctx.team_id).settings()
    groups = await ctx.deps.directory.usergroups(ctx.client)
    if current.usergroup_id and all(g.id != current.usergroup_id for g in groups):
        # Slack didn't list it (e.g. no usergroups:read yet): still shown, so saving keeps the rule.
        handle = current.usergroup_handle or current.usergroup_id
        groups = [SlackUsergroup(id=current.usergroup_id, handle=handle), *groups]
    return access_modal(
        unmapped_can_read=current.unmapped_can_read,
        usergroup_id=current.usergroup_id,
        channel_ids=current.channel_ids,
        restrict_reads=current.restrict_reads,
        groups=groups,
        updated=updated_line(current.updated_by, current.updated_at),
        notice=notice,
    )


async def open_settings(ctx: FlowContext) -> None:
    """Admins get the settings modal (pushed over a modal they clicked in); others a refusal."""
    if ctx.actor.trigger_id is None:
        return
    if not await ctx.is_admin():
        if ctx.actor.response_url:
            await ctx.respond(refused_message(NOT_ADMIN))
        else:
            await ctx.dm(refused_message(NOT_ADMIN))
        return
    view = await settings_view(ctx)
    clicked_in = ctx.item.body.get("view") or {}
    if clicked_in.get("type") == "modal" and await ctx.push(view) is not None:
        return
    await ctx.open(view)


@flow("access.open")
async def open_settings_button(ctx: FlowContext, item: WorkItem) -> None:
    """The "Who can use the app" button (Home for admins, the connect modal)."""
    await open_settings(ctx)


async def submit_settings(ctx: FlowContext, view: Payload) -> Submission:
    """Save the settings (admins only, checked again here) and say what they now mean."""
    if not await ctx.is_admin():
        return Submission.field_errors({AccessBlock.USERGROUP: NOT_ADMIN})
    form = read_access_form(view)
    store = ctx.deps.storage.access(ctx.team_id)
    current = await store.settings()
    handle = None
    if form.usergroup_id is not None and form.usergroup_id == current.usergroup_id:
        handle = current.usergroup_handle  # kept as it is (even when Slack can't list the groups now)
    elif form.usergroup_id is not None:
        groups = {g.id: g for g in await ctx.deps.directory.usergroups(ctx.client)}
        group = groups.get(form.usergroup_id)
        if group is None:
            return Submission.field_errors(
                {AccessBlock.USERGROUP: "Slack doesn't know that user group any more. Pick another one."}
            )
        handle = group.handle
        ctx.deps.directory.forget_usergroup(ctx.team_id, group.id)
    saved = await store.save_settings(
        AccessSettings(
            unmapped_can_read=form.unmapped_can_read,
            usergroup_id=form.usergroup_id,
            usergroup_handle=handle,
            channel_ids=form.channel_ids,
            restrict_reads=form.restrict_reads,
        ),
        updated_by=ctx.user_id,
    )
    log.info("team %s: %s changed who may use the app", ctx.team_id, ctx.user_id)
    summary = access_summary(
        unmapped_can_read=saved.unmapped_can_read,
        group_handle=saved.usergroup_handle,
        channel_ids=saved.channel_ids,
        restrict_reads=saved.restrict_reads,
    )
    return Submission.update(access_saved_modal(summary))
