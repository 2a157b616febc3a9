"""Share a ticket card into a channel and link the card's thread to the ticket."""

from __future__ import annotations

import logging
from functools import partial

from pydantic import BaseModel
from slack_sdk.errors import SlackApiError

from bot.flows.context import FlowContext
from bot.flows.live.handler import remember
from bot.flows.once import WriteRefused
from bot.views.messages import share_card
from psa.errors import PSAError
from psa.service import TicketService
from storage.repositories import thread_links as thread_link_repo

log = logging.getLogger(__name__)

_POST_ERRORS = {
    "not_in_channel": "I'm not in that channel. Invite me with `/invite @tickets`, then share again.",
    "channel_not_found": "I can't see that channel. Invite me to it, then share again.",
    "is_archived": "That channel is archived.",
    "restricted_action": "This workspace doesn't let me post in that channel.",
}


class Shared(BaseModel):
    """Where the card went."""

    channel_id: str
    ts: str


class ShareFailed(WriteRefused):
    """The card was not posted; `message` says why (plain text)."""


async def share_ticket(
    ctx: FlowContext, service: TicketService, *, ticket_id: int, channel_id: str
) -> Shared:
    """Post the ticket card in `channel_id` and store a thread link for its ts; raises ShareFailed."""
    try:
        ticket = await service.get_ticket(ticket_id)
    except PSAError as exc:
        raise ShareFailed(f"Couldn't read ticket #{ticket_id}: {exc.message} {exc.user_hint}") from exc
    card = share_card(ticket, url=service.ticket_url(ticket_id), shared_by=ctx.user_id)
    try:
        resp = await ctx.client.chat_postMessage(channel=channel_id, text=card["text"], blocks=card["blocks"])
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        log.info("share of #%s into %s failed: %s", ticket_id, channel_id, error)
        raise ShareFailed(_POST_ERRORS.get(error, f"Slack refused the post ({error}).")) from exc
    ts = str(resp["ts"])
    await ctx.deps.storage.workspace(ctx.team_id).write(
        partial(
            thread_link_repo.link_thread,
            channel_id=channel_id,
            thread_ts=ts,
            ticket_id=ticket_id,
            linked_by=ctx.user_id,
            company_id=ticket.company.id if ticket.company else None,
            board_id=ticket.board.id if ticket.board else None,
            context_seeded=True,  # the card starts the thread: nothing earlier to read from Slack
        )
    )
    ctx.deps.rows.remember(ctx.team_id, [ticket])
    await remember(ctx.deps, ctx.team_id, [ticket])  # live updates tell the thread what changes from here
    return Shared(channel_id=str(resp.get("channel") or channel_id), ts=ts)
