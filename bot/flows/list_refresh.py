"""Keeping a ticket list current after changes in a detail opened from it, within Slack's limits.

A list answers a command or a click (often ephemerally), so the app can edit it only through the
response_url of the click that opened the detail. Slack accepts up to 5 posts to a response_url within
30 minutes of that click (docs.slack.dev/interactivity/handling-user-interaction, "response_url"), then
refuses them. Posts are counted per URL in the database, so every process sees one count:

- the first refreshes replace the list as usual; the last one the app takes (one post stays free for
  an answer to the click itself) also says on the list that it stops following changes;
- after that, or once the URL is too old, the detail's notice says the list is out of date;
- a post Slack refuses anyway, or a list that can't be re-read, is told beside the list with a Refresh
  button (a new click, so a fresh response_url), or in a DM when the app can't post there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.flows.context import FlowContext
from bot.flows.errors import FlowError
from bot.flows.stored import load_list
from bot.flows.tickets_list import render_list
from bot.state import DetailState, StateError
from bot.views.list_refresh import NOT_FOLLOWING, list_not_updated, stops_following
from psa.errors import PSAError
from storage import Storage
from storage.repositories import response_urls

log = logging.getLogger(__name__)

USES = 5
LIFETIME = timedelta(minutes=30)
REFRESH_USES = USES - 1
# A post claimed this close to the end of the URL's life might reach Slack after it.
LIFETIME_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class ListRefresh:
    """Whether a change may refresh the list it came from, and whether that is the last time."""

    allowed: bool
    last: bool = False


async def register(ctx: FlowContext, response_url: str) -> None:
    """Note when the click that carried `response_url` happened (the URL's 30 minutes start there)."""
    async with ctx.deps.storage.session() as session:
        await response_urls.register(
            session=session, team_id=ctx.team_id, url=response_url, issued_at=ctx.item.submitted_at
        )


async def claim(ctx: FlowContext, state: DetailState) -> ListRefresh | None:
    """Count a refresh of the detail's list; None when the detail was not opened from a list."""
    if state.list_id is None or not state.response_url:
        return None
    async with ctx.deps.storage.session() as session:
        used = await response_urls.claim_use(
            session=session,
            team_id=ctx.team_id,
            url=state.response_url,
            limit=REFRESH_USES,
            lifetime=LIFETIME - LIFETIME_MARGIN,
        )
    if used is None:
        log.info("list of #%s not refreshed: its response_url is used up or too old", state.ticket_id)
        return ListRefresh(allowed=False)
    return ListRefresh(allowed=True, last=used >= REFRESH_USES)


def with_list_note(notice: str, refresh: ListRefresh | None) -> str:
    """The detail's notice, saying so when the list behind it was not updated."""
    if refresh is None or refresh.allowed:
        return notice
    return f"{notice}. {NOT_FOLLOWING}" if notice else NOT_FOLLOWING


async def replace_list(
    ctx: FlowContext, list_id: str | None, response_url: str, *, last: bool, channel_id: str | None
) -> None:
    """Re-render the list in place (saying it stops following changes when `last`), or tell beside it."""
    try:
        payload = await render_list(ctx, await load_list(ctx, list_id))
    except StateError as exc:
        log.info("list after a change not re-read: %s", exc)
        await _tell_not_updated(ctx, None, channel_id)
        return
    except (PSAError, FlowError) as exc:
        log.info("list after a change not re-read: %s", exc)
        await _tell_not_updated(ctx, list_id, channel_id)
        return
    if last:
        payload = stops_following(payload)
    if not await ctx.respond(payload, replace=True, url=response_url):
        await _tell_not_updated(ctx, list_id, channel_id)


async def _tell_not_updated(ctx: FlowContext, list_id: str | None, channel_id: str | None) -> None:
    message = list_not_updated(list_id)
    if channel_id:
        try:
            await ctx.client.chat_postEphemeral(
                channel=channel_id, user=ctx.user_id, text=message["text"], blocks=message["blocks"]
            )
            return
        except SlackApiError as exc:
            log.info("list update failure not told in %s: %s", channel_id, exc.response.get("error"))
    await ctx.dm(message)


async def prune(storage: Storage) -> int:
    """Forget counts of response_urls Slack no longer accepts anyway (periodic housekeeping)."""
    async with storage.session() as session:
        return await response_urls.prune_response_url_uses(session=session, older_than=LIFETIME * 2)
