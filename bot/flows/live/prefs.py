"""Loading and storing engineers' notification choices (the model: bot.state.live_prefs)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.state.live_prefs import Preferences, Topic
from storage import Storage

__all__ = ["Preferences", "Topic", "load", "save"]


async def load(storage: Storage, team_id: str, user_ids: Collection[str]) -> dict[str, Preferences]:
    """Each user's preferences (defaults for users who never chose)."""
    stored = await storage.live().preferences(team_id, list(user_ids))
    return {u: Preferences.model_validate(stored[u]) if u in stored else Preferences() for u in user_ids}


async def save(storage: Storage, team_id: str, user_id: str, prefs: Preferences, *, now: datetime) -> None:
    """Store a user's preferences."""
    await storage.live().save_preferences(team_id, user_id, prefs.model_dump(mode="json"), now=now)
