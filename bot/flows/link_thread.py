"""Link a Slack thread to a ticket: the message shortcut's modal, its PSA-checked submit, the confirmation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.actor import Actor
from bot.deps import AppDeps
from bot.flows.respond import respond
from bot.flows.views_io import open_view, update_view
from bot.ids import LinkThreadField
from bot.state import Origin, StateError
from bot.text import truncate
from bot.views.link_thread import (
    link_checking_view,
    link_confirmation,
    link_done_view,
    link_thread_modal,
    read_link_thread,
)
from bot.views.prompts import not_connected_prompt, psa_error_text
from psa.errors import PSAError, PSANotFoundError
from psa.models import PSATicketSearchResult
from psa.service import TicketService

log = logging.getLogger(__name__)

# The submit must be answered within Slack's 3 s; a slower PSA check finishes behind a "Checking…" view.
CHECK_BUDGET = 2.0
ERROR_MAX = 300


def thread_origin(message: dict[str, Any], channel_id: str) -> Origin:
    """Where a message shortcut ran: the message's thread (or the message itself as the parent)."""
    ts = str(message.get("ts") or "")
    return Origin(channel_id=channel_id, thread_ts=str(message.get("thread_ts") or ts), message_ts=ts)


async def open_link_thread(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, message: dict[str, Any]
) -> None:
    """The "Link thread to ticket" shortcut: ask for the ticket number (or explain that PSA is missing)."""
    if actor.trigger_id is None or actor.channel_id is None or not message.get("ts"):
        return
    if await deps.workspaces.service(actor.team_id) is None:
        is_admin = await deps.directory.can_manage(client, actor.team_id, actor.user_id)
        await respond(actor.response_url, not_connected_prompt(is_admin=is_admin))
        return
    origin = thread_origin(message, actor.channel_id)
    assert origin.thread_ts is not None
    current = await deps.storage.workspace(actor.team_id).thread_link(origin.channel_id, origin.thread_ts)
    view = link_thread_modal(origin, current_ticket_id=current.ticket_id if current else None)
    await open_view(client, actor.trigger_id, view)


@dataclass
class LinkSubmit:
    """How to answer the submission, and what to do after the answer was sent."""

    ack: dict[str, Any] = field(default_factory=dict)
    then: Coroutine[Any, Any, None] | None = None


async def submit_link(
    deps: AppDeps, client: AsyncWebClient, actor: Actor, view: dict[str, Any]
) -> LinkSubmit:
    """Check the typed ticket against the PSA; link and confirm, or keep the modal with a field error."""
    try:
        form = read_link_thread(view)
    except StateError:
        log.warning("link-thread submit with unreadable metadata")
        return LinkSubmit()
    if form.ticket_id is None:
        return _field_error(form.error or "Check the ticket number.")
    service = await deps.workspaces.service(actor.team_id)
    if service is None:
        return _field_error(
            "ConnectWise is not connected to this workspace. Ask an admin to run /tickets connect."
        )
    ticket_id = form.ticket_id
    check = asyncio.ensure_future(_fetch(service, ticket_id))
    done, _ = await asyncio.wait({check}, timeout=CHECK_BUDGET)
    if not done:
        typed = _typed(view)
        return LinkSubmit(
            ack={"response_action": "update", "view": link_checking_view(form.origin, ticket_id)},
            then=_finish_slow(deps, client, actor, service, form.origin, check, view["id"], typed),
        )
    outcome = check.result()
    if isinstance(outcome, str):
        return _field_error(outcome)
    await _store_link(deps, actor, form.origin, outcome)
    return LinkSubmit(then=post_confirmation(deps, client, actor, service, form.origin, outcome))


async def _fetch(service: TicketService, ticket_id: int) -> PSATicketSearchResult | str:
    """The ticket, or the sentence to show next to the input."""
    try:
        return await service.get_ticket(ticket_id)
    except PSANotFoundError:
        return f"Ticket #{ticket_id} doesn't exist in ConnectWise. Check the number."
    except PSAError as exc:
        return f"Couldn't check ticket #{ticket_id}: {psa_error_text(exc)}"


def _field_error(message: str) -> LinkSubmit:
    errors = {LinkThreadField.TICKET: truncate(message, ERROR_MAX)}
    return LinkSubmit(ack={"response_action": "errors", "errors": errors})


def _typed(view: dict[str, Any]) -> str | None:
    values = (view.get("state") or {}).get("values") or {}
    entry = (values.get(LinkThreadField.TICKET) or {}).get(LinkThreadField.TICKET) or {}
    return entry.get("value") or None


async def _store_link(deps: AppDeps, actor: Actor, origin: Origin, ticket: PSATicketSearchResult) -> None:
    assert origin.thread_ts is not None
    await deps.storage.workspace(actor.team_id).link_thread(
        origin.channel_id,
        origin.thread_ts,
        ticket_id=ticket.id,
        linked_by=actor.user_id,
        company_id=ticket.company.id if ticket.company else None,
        board_id=ticket.board.id if ticket.board else None,
    )
    deps.rows.remember(actor.team_id, [ticket])


async def _finish_slow(
    deps: AppDeps,
    client: AsyncWebClient,
    actor: Actor,
    service: TicketService,
    origin: Origin,
    check: asyncio.Future[PSATicketSearchResult | str],
    view_id: str,
    typed: str | None,
) -> None:
    outcome = await check
    if isinstance(outcome, str):
        # Back to the form with the reason and what was typed; the modal may have been closed meanwhile.
        view = link_thread_modal(origin, error=outcome, typed=typed)
        await update_view(client, view_id, view, hash=None)
        return
    await _store_link(deps, actor, origin, outcome)
    await update_view(client, view_id, link_done_view(outcome), hash=None)
    await post_confirmation(deps, client, actor, service, origin, outcome)


async def post_confirmation(
    deps: AppDeps,
    client: AsyncWebClient,
    actor: Actor,
    service: TicketService,
    origin: Origin,
    ticket: PSATicketSearchResult,
) -> None:
    """Say in the thread that it is linked (or, when the bot can't post there, tell the user in a DM)."""
    message = link_confirmation(ticket, url=service.ticket_url(ticket.id))
    try:
        await client.chat_postMessage(
            channel=origin.channel_id,
            thread_ts=origin.thread_ts,
            text=message["text"],
            blocks=message["blocks"],
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.info("link confirmation not posted in %s: %s", origin.channel_id, error)
        note = (
            f"Linked the thread in <#{origin.channel_id}> to #{ticket.id}, but I can't post there ({error}). "
            "Invite me to the channel to see spin-off suggestions in that thread."
        )
        try:
            await client.chat_postMessage(channel=actor.user_id, text=note)
        except SlackApiError as dm_exc:
            log.info("link confirmation DM failed: %s", dm_exc.response.get("error"))
