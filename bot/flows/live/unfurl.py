"""Unfurling ConnectWise ticket links: `link_shared` → a card per link → `chat.unfurl`.

Links are recognised by the workspace's own connection (its site's host and the ticket parameter);
links elsewhere are left alone. The details are read with the workspace's key, so they are shown only
when the person who posted the link is mapped to a member (an engineer); anyone else gets the number.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from bot.flows.context import FlowContext
from bot.flows.errors import NotMapped, Restricted
from bot.flows.work import WorkItem, flow
from bot.views.unfurl import Unfurl, minimal_card, not_found_card, ticket_card
from psa.errors import PSAError, PSANotFoundError
from psa.service import TicketService

log = logging.getLogger(__name__)
LINKS_MAX = 5  # Slack sends at most 5 links per message


async def _card(service: TicketService, ticket_id: int) -> Unfurl | None:
    try:
        return ticket_card(await service.get_ticket(ticket_id))
    except PSANotFoundError:
        return not_found_card(ticket_id)
    except PSAError as exc:
        log.info("unfurl of #%s skipped: %s", ticket_id, exc.message)
        return None  # no preview rather than a wrong one


async def _shows_contents(ctx: FlowContext, item: WorkItem) -> bool:
    """Whether the preview may show the ticket: the poster is mapped and may read it in that channel
    (the workspace's read rules, bot/flows/access.py); else only its number."""
    ctx.channel = str(item.args.get("channel") or "") or None
    try:
        return await ctx.require_reader() is not None
    except (NotMapped, Restricted):
        return False


@flow("live.unfurl")
async def unfurl(ctx: FlowContext, item: WorkItem) -> None:
    """Unfurl the ticket links of a `link_shared` event (args: channel, ts, links, unfurl_id, source)."""
    service = await ctx.deps.workspaces.service(ctx.team_id)
    if service is None:
        return
    tickets = {
        url: ticket_id
        for url in list(item.args.get("links") or [])[:LINKS_MAX]
        if (ticket_id := service.ticket_id_from_url(str(url))) is not None
    }
    if not tickets:
        return
    if not await _shows_contents(ctx, item):
        cards: dict[str, Unfurl | None] = {url: minimal_card(t) for url, t in tickets.items()}
    else:
        found = await asyncio.gather(*(_card(service, t) for t in tickets.values()))
        cards = dict(zip(tickets, found, strict=True))
    unfurls = {url: card for url, card in cards.items() if card is not None}
    if not unfurls:
        return
    try:
        if item.args.get("source") == "composer" and item.args.get("unfurl_id"):  # not posted yet
            await ctx.client.chat_unfurl(
                unfurls=unfurls, unfurl_id=str(item.args["unfurl_id"]), source="composer"
            )
        else:
            await ctx.client.chat_unfurl(
                unfurls=unfurls, channel=str(item.args.get("channel")), ts=str(item.args.get("ts"))
            )
    except SlackApiError as exc:
        log.info("chat.unfurl refused: %s", exc.response.get("error"))
