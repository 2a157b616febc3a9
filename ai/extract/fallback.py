"""`FallbackExtractor`: the model when it answers properly, the offline parser otherwise."""

from __future__ import annotations

import logging

from ai.errors import ExtractionError
from ai.extract.base import Extractor
from ai.extract.heuristic import HeuristicExtractor
from ai.models import Extraction

FALLBACK_WARNING = "AI parser unavailable; used the offline parser"

logger = logging.getLogger(__name__)


class FallbackExtractor:
    """Tries `primary`; on any failure returns `fallback`'s reading plus a warning. Never raises."""

    def __init__(self, primary: Extractor, fallback: Extractor | None = None) -> None:
        self._primary = primary
        self._fallback: Extractor = fallback or HeuristicExtractor()

    async def extract(self, prompt: str) -> Extraction:
        """The primary's extraction, or the offline one with `FALLBACK_WARNING`."""
        try:
            return await self._primary.extract(prompt)
        except ExtractionError as exc:
            logger.warning("AI extraction failed, using the offline parser: %s", exc)
        except Exception:
            # The user still gets a draft; the stack trace goes to the log for us to fix.
            logger.exception("AI extraction crashed, using the offline parser")
        result = await self._fallback.extract(prompt)
        return result.model_copy(update={"warnings": [FALLBACK_WARNING, *result.warnings]})
