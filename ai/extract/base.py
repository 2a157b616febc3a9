"""The extractor interface."""

from __future__ import annotations

from typing import Protocol

from ai.models import Extraction


class Extractor(Protocol):
    """Anything that reads a request into mentions."""

    async def extract(self, prompt: str) -> Extraction:
        """Read `prompt`; may raise `ExtractionError` (the fallback extractor never does)."""
        ...
