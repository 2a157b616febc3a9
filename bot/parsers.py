"""The AI ticket parser of each workspace: one extractor for the app, one `TicketParser` per PSA service."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ai.extract import Extractor, FallbackExtractor, HeuristicExtractor
from ai.parser import TicketParser
from bot.settings import Settings
from bot.workspaces import WorkspaceRegistry
from psa.service import TicketService

if TYPE_CHECKING:
    import anthropic

log = logging.getLogger(__name__)


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
        source: str = "heuristic",
    ) -> None:
        self._workspaces = workspaces
        self.extractor: Extractor = extractor or HeuristicExtractor()
        self.source = source  # "claude" (with the offline fallback) or "heuristic"
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

    def clear(self) -> None:
        """Forget every workspace's parser (the model client belongs to the app's deps)."""
        self._parsers.clear()


def build_parsers(
    settings: Settings, workspaces: WorkspaceRegistry, client: anthropic.AsyncAnthropic | None
) -> ParserRegistry:
    """Claude (falling back to the offline parser) with the app's model client, else the offline parser."""
    if client is None:
        return ParserRegistry(workspaces, HeuristicExtractor())
    from ai.extract.claude import ClaudeExtractor

    extractor = FallbackExtractor(ClaudeExtractor(client, settings.anthropic_model), HeuristicExtractor())
    log.info("ticket parsing uses Claude (%s) with the offline parser as fallback", settings.anthropic_model)
    return ParserRegistry(workspaces, extractor, source="claude")
