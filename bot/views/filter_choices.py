"""The answer to a search filter that names several things: the candidates, best first, each typeable
(the exact filter text) and clickable (a button that shows that filter's tickets in place)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from bot.ids import ListAction, ListBlock
from bot.state import ListState, StateError
from bot.text import escape, escape_truncate, strong, truncate
from bot.views import kit

CHOICES_SHOWN = 10
_QUOTES = ('"', "'", "“")


class FilterChoice(BaseModel):
    """One candidate: its name, the filter text that selects it, and the list it leads to (if clickable)."""

    label: str
    typed: str
    state: ListState | None = None


def typed_filter(key: str, value: str) -> str:
    """`key:value` as the user would type it: quoted when it has spaces, with a quote it does not contain."""
    if value and not any(ch.isspace() or ch in "\"'“”‘’" for ch in value):
        return f"{key}:{value}"
    quote = next((q for q in _QUOTES if q not in value), "“")
    close = "”" if quote == "“" else quote
    return f"{key}:{quote}{value}{close}"


def _pick_value(state: ListState) -> str | None:
    # A candidate whose state does not fit a button stays typeable (its filter text), just not clickable.
    try:
        return state.encode()
    except StateError:
        return None


def ambiguous_filter_message(kind: str, given: str, choices: Sequence[FilterChoice]) -> dict[str, Any]:
    """“acme” matches more than one company: one line per candidate with its filter text and a button."""
    shown = list(choices[:CHOICES_SHOWN])
    given_text = escape_truncate(given, 80)
    headline = f"“{truncate(given, 80)}” matches more than one {kind}."
    blocks: list[dict[str, Any]] = [
        kit.section(f"⚠️ “{given_text}” matches more than one {escape(kind)}. Pick one, or type it exactly:")
    ]
    for index, choice in enumerate(shown):
        line = f"{strong(escape_truncate(choice.label, 150))} · `{escape_truncate(choice.typed, 200)}`"
        accessory = None
        if choice.state is not None and (value := _pick_value(choice.state)) is not None:
            accessory = kit.button("Show tickets", ListAction.PICK, value=value)
        blocks.append(kit.section(line, block_id=f"{ListBlock.CHOICE}.{index}", accessory=accessory))
    if len(choices) > len(shown):
        blocks.append(kit.context(f"…and {len(choices) - len(shown)} more; type more of the name."))
    names = ", ".join(truncate(c.label, 60) for c in shown)
    return {"text": truncate(f"{headline} Did you mean: {names}", 3000), "blocks": blocks}
