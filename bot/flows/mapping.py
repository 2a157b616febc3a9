"""The member mapping modal (placeholder: the mapping flow replaces this body)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import AppDeps
from bot.views.prompts import coming_soon_modal

log = logging.getLogger(__name__)


async def open_mapping_modal(
    deps: AppDeps, client: AsyncWebClient, *, team_id: str, user_id: str, trigger_id: str
) -> None:
    """Open the modal where a user picks their PSA member (admins: also for others)."""
    view = coming_soon_modal("Map your member", "Picking your ConnectWise member is coming soon.")
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed for the mapping modal: %s", exc.response.get("error"))
