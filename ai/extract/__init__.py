"""Extraction: request text → `Mentions` (names as written, never ids)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ai.extract.base import Extractor
from ai.extract.fallback import FALLBACK_WARNING, FallbackExtractor
from ai.extract.heuristic import HeuristicExtractor

if TYPE_CHECKING:
    from ai.extract.claude import ClaudeExtractor


def __getattr__(name: str) -> Any:
    # The anthropic SDK takes a second or more to import; offline installs and tests need not pay it.
    if name == "ClaudeExtractor":
        from ai.extract.claude import ClaudeExtractor

        return ClaudeExtractor
    raise AttributeError(name)


__all__ = ["FALLBACK_WARNING", "ClaudeExtractor", "Extractor", "FallbackExtractor", "HeuristicExtractor"]
