"""Changes made from the detail modal: status, assignees, notes, share, spin-off.

Each change: one PSA write, an audit record, then the modal re-rendered from fresh data with a
notice (hash-guarded). A failure shows as a banner on the very same view, so whatever the user
typed stays where it was.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.flows import create, home, list_refresh
from bot.flows.context import FlowContext
from bot.flows.detail import load_detail
from bot.flows.share import ShareFailed, share_ticket
from bot.flows.work import WorkItem, flow
from bot.inputs import NOTE
from bot.state import DetailState, note_from_view
from bot.views.prompts import psa_error_text
from bot.views.ticket_detail import detail_view, status_notice
from psa.errors import PSAError
from psa.service import TicketService
from storage import AuditAction

log = logging.getLogger(__name__)

Change = Callable[[TicketService, DetailState], Awaitable[tuple[str, DetailState]]]


async def _audit(ctx: FlowContext, action: AuditAction, ticket_id: int, detail: dict[str, Any]) -> None:
    try:
        await ctx.deps.storage.workspace(ctx.team_id).audit(
            ctx.user_id, action, ticket_id=ticket_id, detail=detail
        )
    except SQLAlchemyError:
        # The PSA change is done; losing its audit line must not make it look failed to the user.
        log.exception("audit of %s on #%s failed", action, ticket_id)


class ChangeRefused(Exception):
    """A change the app refuses before calling the PSA (e.g. an empty note); `message` is shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _view(item: WorkItem) -> dict[str, Any]:
    return dict(item.body.get("view") or {})


async def refresh(
    ctx: FlowContext,
    service: TicketService,
    view: dict[str, Any],
    state: DetailState,
    *,
    notice: str,
) -> None:
    """Re-render the modal from fresh data with `notice` on top (hash-guarded), then refresh Home."""
    known = ctx.deps.rows.get(ctx.team_id, state.ticket_id)
    listed = await list_refresh.claim(ctx, state)
    notice = list_refresh.with_list_note(notice, listed)
    try:
        data = await load_detail(ctx, service, state.ticket_id, known=known)
    except PSAError as exc:
        # The change went through; only the re-read failed. Say both, keep the view.
        await ctx.banner(view, notice=notice, error=f"Couldn't refresh the ticket: {exc.message}")
    else:
        rendered = detail_view(data, state=state, now=ctx.deps.now(), notice=notice)
        await ctx.update(rendered, view_id=view["id"], hash=view.get("hash"))
    await ctx.submit(home.refresh_home)
    if listed is not None and listed.allowed:
        await ctx.submit(
            refresh_list,
            list_id=state.list_id,
            response_url=state.response_url,
            last=listed.last,
            channel_id=state.origin.channel_id if state.origin else None,
        )


@flow("detail.refresh_list")
async def refresh_list(ctx: FlowContext, item: WorkItem) -> None:
    """Re-render the list message the detail was opened from, so its row shows the change."""
    await list_refresh.replace_list(
        ctx,
        item.args.get("list_id"),
        str(item.args["response_url"]),
        last=bool(item.args.get("last")),
        channel_id=item.args.get("channel_id"),
    )


async def apply_change(ctx: FlowContext, view: dict[str, Any], change: Change, *, doing: str) -> None:
    """Run one change against the ticket of this modal and show the outcome in the modal."""
    state = DetailState.decode(view.get("private_metadata"))
    service = await ctx.service()
    try:
        notice, new_state = await change(service, state)
    except ChangeRefused as refused:
        await ctx.banner(view, error=refused.message)
        return
    except PSAError as exc:
        log.info("%s failed on #%s: %s", doing, state.ticket_id, exc.message)
        await ctx.banner(view, error=f"Couldn't {doing}: {psa_error_text(exc)}")
        return
    ctx.deps.rows.forget(ctx.team_id, state.ticket_id)
    await refresh(ctx, service, view, new_state, notice=notice)


@flow("detail.change_status")
async def change_status(ctx: FlowContext, item: WorkItem) -> None:
    """Move the ticket to another status of its board; the notice reads "Status: New → In Progress"."""
    status_id = int(item.args["status_id"])

    async def change(service: TicketService, state: DetailState) -> tuple[str, DetailState]:
        update = await service.update_status(state.ticket_id, status_id)
        detail = {"from": update.previous_status, "to": update.new_status, "status_id": status_id}
        await _audit(ctx, AuditAction.STATUS_CHANGE, state.ticket_id, detail)
        return status_notice(update.previous_status, update.new_status), state

    await apply_change(ctx, _view(item), change, doing="change the status")


@flow("detail.add_assignee")
async def add_assignee(ctx: FlowContext, item: WorkItem) -> None:
    """Assign a member to the ticket."""
    member_id = int(item.args["member_id"])

    async def change(service: TicketService, state: DetailState) -> tuple[str, DetailState]:
        resource = await service.add_resource(state.ticket_id, member_id)
        detail = {"member_id": member_id, "member": resource.member_identifier}
        await _audit(ctx, AuditAction.ASSIGNEE_ADD, state.ticket_id, detail)
        return f"Assigned {resource.member_name or resource.member_identifier}", state

    await apply_change(ctx, _view(item), change, doing="add the assignee")


@flow("detail.remove_assignee")
async def remove_assignee(ctx: FlowContext, item: WorkItem) -> None:
    """Unassign a member from the ticket."""
    member_id = int(item.args["member_id"])

    async def change(service: TicketService, state: DetailState) -> tuple[str, DetailState]:
        await service.remove_resource(state.ticket_id, member_id)
        await _audit(ctx, AuditAction.ASSIGNEE_REMOVE, state.ticket_id, {"member_id": member_id})
        name = await _member_name(service, member_id)
        return f"Removed {name}", state

    await apply_change(ctx, _view(item), change, doing="remove the assignee")


async def _member_name(service: TicketService, member_id: int) -> str:
    try:
        members = await service.members()
    except PSAError:
        return f"member {member_id}"
    return next((m.name for m in members if m.id == member_id), f"member {member_id}")


@flow("detail.add_note")
async def add_note(ctx: FlowContext, item: WorkItem) -> None:
    """Add the typed note (discussion or internal); on success the composer is cleared."""
    view = _view(item)

    async def change(service: TicketService, state: DetailState) -> tuple[str, DetailState]:
        _, draft = note_from_view(view)
        if not draft.text:
            raise ChangeRefused("Type the note first, then press Add note.")
        too_long = NOTE.problem(draft.text)
        if too_long is not None:
            raise ChangeRefused(too_long)
        await service.add_note(state.ticket_id, draft.text, internal=draft.internal)
        detail = {"internal": draft.internal, "length": len(draft.text)}
        await _audit(ctx, AuditAction.NOTE, state.ticket_id, detail)
        kind = "Internal note" if draft.internal else "Discussion note"
        return f"{kind} added", state.model_copy(update={"note_rev": state.note_rev + 1})

    await apply_change(ctx, view, change, doing="add the note")


@flow("detail.share")
async def share(ctx: FlowContext, item: WorkItem) -> None:
    """Post the ticket card in the channel the modal was opened from and link its thread."""
    view = _view(item)
    state = DetailState.decode(view.get("private_metadata"))
    service = await ctx.service()
    if state.origin is None:
        await ctx.banner(view, error="Open the ticket from a channel (with /tickets) to share it there.")
        return
    try:
        await share_ticket(ctx, service, ticket_id=state.ticket_id, channel_id=state.origin.channel_id)
    except ShareFailed as failed:
        await ctx.banner(view, error=failed.message)
        return
    await ctx.banner(
        view,
        notice=f"Shared #{state.ticket_id} in the channel; replies in the card's thread stay linked to it.",
    )


@flow("detail.spin_off")
async def spin_off(ctx: FlowContext, item: WorkItem) -> None:
    """Hand over to ticket creation with this ticket as the parent and the same channel as origin."""
    state = DetailState.decode(_view(item).get("private_metadata"))
    await create.open_create_modal(ctx, origin=state.origin, parent_ticket_id=state.ticket_id)
