"""App Home "My queue" (placeholder: the Home flow replaces this body)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import AppDeps


async def publish_home(deps: AppDeps, client: AsyncWebClient, *, team_id: str, user_id: str) -> None:
    """Publish the user's Home tab; ticket flows call this after the user changes a ticket."""
    return None
