"""The Slack Web API client of each workspace, all sharing one pooled aiohttp session.

Post-ack work may run in another process than the request that started it, so a flow never uses the
client Bolt built for the request: it asks for the workspace's client here (the single-workspace bot
token from settings, or the workspace's installation in OAuth mode).
"""

from __future__ import annotations

import aiohttp
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows.errors import NotInstalled
from bot.settings import Settings


class SlackClients:
    """`for_team(team_id)` → the AsyncWebClient that acts as the app in that workspace."""

    def __init__(self, base: AsyncWebClient, installations: AsyncInstallationStore | None = None) -> None:
        self.base = base  # single-workspace: the client itself; OAuth: the template (base_url, session)
        self.installations = installations

    @classmethod
    def from_settings(
        cls, settings: Settings, installations: AsyncInstallationStore | None = None
    ) -> SlackClients:
        """Clients for DATABASE/Slack settings (the bot token of a single-workspace install, if any)."""
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        base = AsyncWebClient(token=token, base_url=settings.slack_api_url or AsyncWebClient.BASE_URL)
        return cls(base, installations if settings.oauth_mode else None)

    def bind(self, client: AsyncWebClient) -> None:
        """Use the app's own client (the one the server gives the pooled session) as the base."""
        self.base = client

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The pooled session every client shares (None until a server or worker opened one)."""
        return self.base.session

    async def for_team(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient:
        """The workspace's client; raises NotInstalled when OAuth knows no bot token for it."""
        if self.installations is None:
            return self.base
        bot = await self.installations.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise NotInstalled(team_id, enterprise_id)
        return AsyncWebClient(
            token=bot.bot_token,
            base_url=self.base.base_url,
            session=self.base.session,
            timeout=self.base.timeout,
            logger=self.base.logger,
        )
