"""`TicketParser`: a request in plain words → a ticket draft with PSA ids (nothing is created)."""

from __future__ import annotations

from ai.extract import Extractor
from ai.models import AiParseResponse
from ai.reference import ReferenceSource
from ai.resolve import Resolver


class TicketParser:
    """Extraction then resolution, kept apart: the extractor reads names, the resolver finds ids."""

    def __init__(self, extractor: Extractor, reference: ReferenceSource) -> None:
        self._extractor = extractor
        self._resolver = Resolver(reference)

    async def parse(self, prompt: str, *, actor_member_id: int | None) -> AiParseResponse:
        """Parse `prompt` into the spec's pre-fill payload; `actor_member_id` is who "me" means."""
        extraction = await self._extractor.extract(prompt)
        return await self._resolver.resolve(
            extraction.mentions,
            actor_member_id=actor_member_id,
            prompt=prompt,
            warnings=extraction.warnings,
        )
