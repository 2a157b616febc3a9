"""Ticket creation (placeholder: the creation flow replaces this body)."""

from __future__ import annotations

import logging
from typing import Literal

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import AppDeps
from bot.state import Origin
from bot.views.prompts import coming_soon_modal

log = logging.getLogger(__name__)


async def open_create_modal(
    deps: AppDeps,
    client: AsyncWebClient,
    *,
    team_id: str,
    user_id: str,
    trigger_id: str,
    prompt: str | None = None,
    origin: Origin | None = None,
    tab: Literal["quick", "full"] | None = None,
    parent_ticket_id: int | None = None,
) -> None:
    """Open the new-ticket modal (for now: a modal saying creation is coming)."""
    view = coming_soon_modal("New ticket", "Creating tickets from Slack is coming soon.")
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed for the create modal: %s", exc.response.get("error"))
