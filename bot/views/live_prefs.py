"""App Home: an engineer's notification choices (pure builder)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bot.ids import LiveAction, LiveBlock
from bot.state.live_prefs import DIGEST_CHOICES, QUIET_LABELS, TOPIC_LABELS, TOPICS, Preferences
from bot.views import kit

INTERNAL_VALUE = "internal"


class LivePrefsView(BaseModel):
    """What the Home shows of live updates for one engineer."""

    prefs: Preferences = Field(default_factory=Preferences)
    following: int = 0  # tickets followed
    is_admin: bool = False
    internal_in_threads: bool = False
    mode: str = "poll"  # "callbacks" | "poll"


def _checkboxes(action_id: str, options: list[dict[str, Any]], chosen: list[str]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "checkboxes", "action_id": action_id, "options": options}
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    return element


def prefs_blocks(view: LivePrefsView) -> list[dict[str, Any]]:
    """The "Notifications" section of the Home."""
    prefs = view.prefs
    topics = [kit.option(TOPIC_LABELS[t], t) for t in TOPICS]
    quiet = [kit.option(label, key) for key, label in QUIET_LABELS.items()]
    digest = [kit.option(label, str(minutes)) for minutes, label in DIGEST_CHOICES.items()]
    followed = (
        f"You follow {view.following} ticket{'s' if view.following != 1 else ''}" if view.following else ""
    )
    how = (
        "ConnectWise tells the app at once"
        if view.mode == "callbacks"
        else "The app checks ConnectWise every minute"
    )
    blocks = [
        kit.divider(),
        kit.section("*Notifications* — DMs from the app when your tickets change"),
        kit.actions(_checkboxes(LiveAction.TOPICS, topics, list(prefs.topics)), block_id=LiveBlock.PREFS),
        kit.actions(
            kit.static_select(LiveAction.QUIET, "Quiet hours", quiet, initial_value=prefs.quiet),
            kit.static_select(LiveAction.DIGEST, "Digest", digest, initial_value=str(prefs.digest_minutes)),
            block_id=LiveBlock.PREFS_TIMING,
        ),
    ]
    if view.is_admin:
        option = kit.option("Linked threads show internal notes too", INTERNAL_VALUE)
        chosen = [INTERNAL_VALUE] if view.internal_in_threads else []
        blocks.append(
            kit.actions(
                _checkboxes(LiveAction.THREAD_INTERNAL, [option], chosen), block_id=LiveBlock.PREFS_ADMIN
            )
        )
    blocks.append(kit.context(" · ".join(p for p in (followed, how, f"Times in {prefs.tz}") if p)))
    return blocks
