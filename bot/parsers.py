"""The AI ticket parser of each workspace: one extractor for the app, one `TicketParser` per PSA service."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ai.extract import Extractor, FallbackExtractor, HeuristicExtractor
from ai.parser import TicketParser
from bot.settings import Settings
from bot.workspaces import WorkspaceRegistry
from psa.service import TicketService

log = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]


class ParserRegistry:
    """team id → a `TicketParser` resolving against that workspace's `TicketService` (None: not connected).

    A parser is kept per service object: the resolver caches its company index, and a rebuilt service
    (the connection changed) gets a fresh parser.
    """

    def __init__(
        self,
        workspaces: WorkspaceRegistry,
        extractor: Extractor | None = None,
        *,
        on_close: Closer | None = None,
        source: str = "heuristic",
    ) -> None:
        self._workspaces = workspaces
        self.extractor: Extractor = extractor or HeuristicExtractor()
        self.source = source  # "claude" (with the offline fallback) or "heuristic"
        self._on_close = on_close
        self._parsers: dict[str, tuple[TicketService, TicketParser]] = {}

    async def parser(self, team_id: str) -> TicketParser | None:
        """The workspace's parser, or None when it has no PSA connection."""
        service = await self._workspaces.service(team_id)
        if service is None:
            self._parsers.pop(team_id, None)
            return None
        cached = self._parsers.get(team_id)
        if cached is not None and cached[0] is service:
            return cached[1]
        parser = TicketParser(self.extractor, service)
        self._parsers[team_id] = (service, parser)
        return parser

    async def aclose(self) -> None:
        """Close the model client, if the registry owns one."""
        self._parsers.clear()
        if self._on_close is not None:
            closer, self._on_close = self._on_close, None
            await closer()


def build_parsers(
    settings: Settings, workspaces: WorkspaceRegistry, *, anthropic_http: Any | None = None
) -> ParserRegistry:
    """Claude (falling back to the offline parser) when ANTHROPIC_API_KEY is set, else the offline parser.

    `anthropic_http` is the SDK's own HTTP client (tests pass one over a local transport).
    """
    if settings.anthropic_api_key is None:
        return ParserRegistry(workspaces, HeuristicExtractor())
    import anthropic  # a second to import: only paid when Claude is configured

    from ai.extract.claude import ClaudeExtractor

    client = anthropic.AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(), max_retries=1, http_client=anthropic_http
    )
    extractor = FallbackExtractor(ClaudeExtractor(client, settings.anthropic_model), HeuristicExtractor())
    log.info("ticket parsing uses Claude (%s) with the offline parser as fallback", settings.anthropic_model)
    return ParserRegistry(workspaces, extractor, on_close=client.close, source="claude")
