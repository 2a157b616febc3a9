"""The AI's spin-off suggestion posted in a linked thread, and what replaces it afterwards."""

from __future__ import annotations

import json
from typing import Any

from bot.ids import MessageAction, SuggestionAction
from bot.state import StateError
from bot.text import escape_truncate, link, strong, truncate
from bot.views import kit, limits

DESCRIPTION_IN_VALUE = 1800


def suggestion_blocks(
    description: str, suggestion_id: str, *, left_out: int = 0, earlier: int = 0
) -> dict[str, Any]:
    """The thread message: "Create ticket: <description>" (primary) + Dismiss; when the suggestion was
    judged without the oldest `left_out` of the `earlier` messages kept for the thread, it says so."""
    value = json.dumps(
        {"id": suggestion_id, "d": description[:DESCRIPTION_IN_VALUE]},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    while len(value) > limits.BUTTON_VALUE_MAX:  # JSON escaping can grow the text
        description = description[: len(description) * 3 // 4]
        value = json.dumps({"id": suggestion_id, "d": description}, separators=(",", ":"), ensure_ascii=False)
    blocks = [
        kit.section(f"💡 This sounds like a separate issue: {strong(escape_truncate(description, 2500))}"),
        kit.actions(
            kit.button(
                f"Create ticket: {truncate(description, 60)}",
                SuggestionAction.CREATE,
                value=value,
                style="primary",
            ),
            kit.button("Dismiss", SuggestionAction.DISMISS, value=suggestion_id),
            block_id=f"suggestion.{suggestion_id}"[: limits.ID_MAX],
        ),
    ]
    if left_out > 0:
        of = f" of {earlier}" if earlier >= left_out else ""
        blocks.append(
            kit.context(
                f"The oldest {left_out}{of} earlier messages of this thread were left out of the context."
            )
        )
    return {"text": f"Create ticket: {escape_truncate(description, 200)}", "blocks": blocks}


def read_suggestion_value(value: str | None) -> tuple[str, str]:
    """(suggestion id, description) from a Create button's value. Raises StateError."""
    try:
        data = json.loads(value or "")
        return str(data["id"]), str(data.get("d", ""))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise StateError("bad suggestion value") from exc


def suggestion_created_blocks(ticket_id: int, url: str | None = None) -> dict[str, Any]:
    """What replaces the suggestion once the ticket exists: "Ticket #1042 created in ConnectWise"."""
    text = f"Ticket #{ticket_id} created in ConnectWise"
    label = link(url, f"Ticket #{ticket_id}") if url else f"Ticket #{ticket_id}"
    accessory = kit.button("Open", MessageAction.OPEN_TICKET, value=str(ticket_id))
    return {"text": text, "blocks": [kit.section(f"✅ {label} created in ConnectWise", accessory=accessory)]}


def suggestion_dismissed_blocks(user_id: str | None = None) -> dict[str, Any]:
    """What replaces a dismissed suggestion (if it is not simply deleted)."""
    who = f" by <@{user_id}>" if user_id else ""
    return {"text": "Suggestion dismissed", "blocks": [kit.context(f"Ticket suggestion dismissed{who}.")]}
