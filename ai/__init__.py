"""Prompt → ticket draft: extraction (Claude or offline), resolution to PSA ids, spin-off detection.

Importing this package does not import the anthropic SDK; `ClaudeExtractor` loads it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ai.actions import SPIN_OFF_COMMAND, Action, format_actions_marker, parse_actions_marker
from ai.errors import AIError, ExtractionError
from ai.extract import FALLBACK_WARNING, Extractor, FallbackExtractor, HeuristicExtractor
from ai.models import AiParseResponse, Extraction, Mentions, SpinoffSuggestion, ThreadContext
from ai.parser import TicketParser
from ai.reference import ReferenceSource
from ai.resolve import Resolver
from ai.spinoff import ClaudeSpinoffDetector, HeuristicSpinoffDetector, SpinoffDetector

if TYPE_CHECKING:
    from ai.extract.claude import ClaudeExtractor


def __getattr__(name: str) -> Any:
    if name == "ClaudeExtractor":
        from ai.extract.claude import ClaudeExtractor

        return ClaudeExtractor
    raise AttributeError(name)


__all__ = [
    "FALLBACK_WARNING",
    "SPIN_OFF_COMMAND",
    "AIError",
    "Action",
    "AiParseResponse",
    "ClaudeExtractor",
    "ClaudeSpinoffDetector",
    "Extraction",
    "ExtractionError",
    "Extractor",
    "FallbackExtractor",
    "HeuristicExtractor",
    "HeuristicSpinoffDetector",
    "Mentions",
    "ReferenceSource",
    "Resolver",
    "SpinoffDetector",
    "SpinoffSuggestion",
    "ThreadContext",
    "TicketParser",
    "format_actions_marker",
    "parse_actions_marker",
]
