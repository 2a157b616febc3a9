"""Errors of the AI layer. Callers normally never see them: the fallback extractor absorbs them."""

from __future__ import annotations


class AIError(Exception):
    """Base of AI-layer failures; the message is safe to log (no prompt text, no keys)."""


class ExtractionError(AIError):
    """The model could not produce usable mentions (API error, timeout, refusal, invalid output)."""
