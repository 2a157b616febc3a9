"""The PSA connection modal (placeholder: the connect flow replaces this body)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import AppDeps
from bot.views.prompts import coming_soon_modal

log = logging.getLogger(__name__)


async def open_connect_modal(
    deps: AppDeps, client: AsyncWebClient, *, team_id: str, user_id: str, trigger_id: str
) -> None:
    """Open the ConnectWise connection modal (callers have checked the user is an admin)."""
    view = coming_soon_modal("Connect ConnectWise", "The connection form is coming soon.")
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed for the connect modal: %s", exc.response.get("error"))
