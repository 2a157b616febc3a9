"""Changes made from the detail modal: status, assignees, notes, share, spin-off.

Each change: one PSA write, an audit record, then the modal re-rendered from fresh data with a
notice (hash-guarded). A failure shows as a banner on the very same view, so whatever the user
typed stays where it was.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.actor import Actor
from bot.deps import AppDeps
from bot.flows import create, home
from bot.flows.detail import load_detail
from bot.flows.respond import respond
from bot.flows.share import ShareFailed, share_ticket
from bot.flows.tickets_list import render_list
from bot.flows.views_io import as_definition, update_view
from bot.state import DetailState, ListState, StateError, note_from_view
from bot.views.prompts import psa_error_text, with_banner
from bot.views.ticket_detail import detail_view, status_notice
from psa.errors import PSAError
from psa.service import TicketService
from storage import AuditAction

log = logging.getLogger(__name__)

Change = Callable[[TicketService, DetailState], Awaitable[tuple[str, DetailState]]]


async def _audit(
    deps: AppDeps, actor: Actor, action: AuditAction, ticket_id: int, detail: dict[str, Any]
) -> None:
    try:
        await deps.storage.workspace(actor.team_id).audit(
            actor.user_id, action, ticket_id=ticket_id, detail=detail
        )
    except SQLAlchemyError:
        # The PSA change is done; losing its audit line must not make it look failed to the user.
        log.exception("audit of %s on #%s failed", action, ticket_id)


class ChangeRefused(Exception):
    """A change the app refuses before calling the PSA (e.g. an empty note); `message` is shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def show_banner(
    client: AsyncWebClient, view: dict[str, Any], *, error: str | None = None, notice: str | None = None
) -> None:
    """Put a ⚠️/✅ line on top of the view as it is (inputs and typed text untouched)."""
    await update_view(
        client,
        view["id"],
        with_banner(as_definition(view), error=error, notice=notice),
        hash=view.get("hash"),
    )


async def refresh(
    deps: AppDeps,
    client: AsyncWebClient,
    actor: Actor,
    service: TicketService,
    view: dict[str, Any],
    state: DetailState,
    *,
    notice: str,
) -> None:
    """Re-render the modal from fresh data with `notice` on top (hash-guarded), then refresh Home."""
    known = deps.rows.get(actor.team_id, state.ticket_id)
    try:
        data = await load_detail(deps, service, actor, state.ticket_id, known=known)
    except PSAError as exc:
        # The change went through; only the re-read failed. Say both, keep the view.
        await show_banner(client, view, notice=notice, error=f"Couldn't refresh the ticket: {exc.message}")
    else:
        rendered = detail_view(data, state=state, now=deps.now(), notice=notice)
        await update_view(client, view["id"], rendered, hash=view.get("hash"))
    deps.tasks.spawn(
        home.publish_home(deps, client, team_id=actor.team_id, user_id=actor.user_id),
        name="home-after-change",
    )
    if state.list_context is not None and state.response_url:
        deps.tasks.spawn(
            _refresh_list(deps, client, actor, state.list_context, state.response_url),
            name="list-after-change",
        )


async def _refresh_list(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, listing: ListState, response_url: str
) -> None:
    """Re-render the list message the detail was opened from, so its row shows the change."""
    payload, is_list = await render_list(deps, client, actor, listing)
    if is_list:  # a failure here is not worth a message: the modal already told the outcome
        await respond(response_url, payload, replace=True)


async def apply_change(
    deps: AppDeps,
    client: AsyncWebClient,
    actor: Actor,
    view: dict[str, Any],
    change: Change,
    *,
    doing: str,
) -> None:
    """Run one change against the ticket of this modal and show the outcome in the modal."""
    try:
        state = DetailState.decode(view.get("private_metadata"))
    except StateError:
        log.info("detail action on a view without detail state")
        return
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        await show_banner(client, view, error="ConnectWise is not connected to this workspace any more.")
        return
    try:
        notice, new_state = await change(service, state)
    except ChangeRefused as refused:
        await show_banner(client, view, error=refused.message)
        return
    except PSAError as exc:
        log.info("%s failed on #%s: %s", doing, state.ticket_id, exc.message)
        await show_banner(client, view, error=f"Couldn't {doing}: {psa_error_text(exc)}")
        return
    deps.rows.forget(actor.team_id, state.ticket_id)
    await refresh(deps, client, actor, service, view, new_state, notice=notice)


async def change_status(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any], status_id: int
) -> None:
    """Move the ticket to another status of its board; the notice reads "Status: New → In Progress"."""

    async def change(service: TicketService, state: DetailState) -> tuple[str, DetailState]:
        update = await service.update_status(state.ticket_id, status_id)
        detail = {"from": update.previous_status, "to": update.new_status, "status_id": status_id}
        await _audit(deps, actor, AuditAction.STATUS_CHANGE, state.ticket_id, detail)
        return status_notice(update.previous_status, update.new_status), state

    await apply_change(deps, client, actor, view, change, doing="change the status")


async def add_assignee(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any], member_id: int
) -> None:
    """Assign a member to the ticket."""

    async def change(service: TicketService, state: DetailState) -> tuple[str, DetailState]:
        resource = await service.add_resource(state.ticket_id, member_id)
        detail = {"member_id": member_id, "member": resource.member_identifier}
        await _audit(deps, actor, AuditAction.ASSIGNEE_ADD, state.ticket_id, detail)
        return f"Assigned {resource.member_name or resource.member_identifier}", state

    await apply_change(deps, client, actor, view, change, doing="add the assignee")


async def remove_assignee(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any], member_id: int
) -> None:
    """Unassign a member from the ticket."""

    async def change(service: TicketService, state: DetailState) -> tuple[str, DetailState]:
        await service.remove_resource(state.ticket_id, member_id)
        await _audit(deps, actor, AuditAction.ASSIGNEE_REMOVE, state.ticket_id, {"member_id": member_id})
        name = await _member_name(service, member_id)
        return f"Removed {name}", state

    await apply_change(deps, client, actor, view, change, doing="remove the assignee")


async def _member_name(service: TicketService, member_id: int) -> str:
    try:
        members = await service.members()
    except PSAError:
        return f"member {member_id}"
    return next((m.name for m in members if m.id == member_id), f"member {member_id}")


async def add_note(deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any]) -> None:
    """Add the typed note (discussion or internal); on success the composer is cleared."""

    async def change(service: TicketService, state: DetailState) -> tuple[str, DetailState]:
        _, draft = note_from_view(view)
        if not draft.text:
            raise ChangeRefused("Type the note first, then press Add note.")
        await service.add_note(state.ticket_id, draft.text, internal=draft.internal)
        detail = {"internal": draft.internal, "length": len(draft.text)}
        await _audit(deps, actor, AuditAction.NOTE, state.ticket_id, detail)
        kind = "Internal note" if draft.internal else "Discussion note"
        return f"{kind} added", state.model_copy(update={"note_rev": state.note_rev + 1})

    await apply_change(deps, client, actor, view, change, doing="add the note")


async def share(deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any]) -> None:
    """Post the ticket card in the channel the modal was opened from and link its thread."""
    try:
        state = DetailState.decode(view.get("private_metadata"))
    except StateError:
        return
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        await show_banner(client, view, error="ConnectWise is not connected to this workspace any more.")
        return
    if state.origin is None:
        await show_banner(
            client, view, error="Open the ticket from a channel (with /tickets) to share it there."
        )
        return
    try:
        await share_ticket(
            deps,
            client,
            service,
            team_id=actor.team_id,
            user_id=actor.user_id,
            ticket_id=state.ticket_id,
            channel_id=state.origin.channel_id,
        )
    except ShareFailed as failed:
        await show_banner(client, view, error=failed.message)
        return
    await show_banner(
        client,
        view,
        notice=f"Shared #{state.ticket_id} in the channel; replies in the card's thread stay linked to it.",
    )


async def spin_off(deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any]) -> None:
    """Hand over to ticket creation with this ticket as the parent and the same channel as origin."""
    if actor.trigger_id is None:
        return
    try:
        state = DetailState.decode(view.get("private_metadata"))
    except StateError:
        return
    await create.open_create_modal(
        deps,
        client,
        team_id=actor.team_id,
        user_id=actor.user_id,
        trigger_id=actor.trigger_id,
        origin=state.origin,
        parent_ticket_id=state.ticket_id,
    )
