"""Detail modal state and its note composer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.ids import DetailAction, note_block_id, note_internal_block_id
from bot.state.codec import METADATA_MAX, decode, encode, state_values


class Origin(BaseModel):
    """Where a modal was opened from: a channel message / thread."""

    channel_id: str
    thread_ts: str | None = None
    message_ts: str | None = None


class DetailState(BaseModel):
    """private_metadata of the detail modal."""

    model_config = ConfigDict(populate_by_name=True)

    ticket_id: int = Field(alias="t")
    list_id: str | None = Field(default=None, alias="l")  # the list message it was opened from
    origin: Origin | None = Field(default=None, alias="o")  # the channel to share into / thread
    response_url: str | None = Field(default=None, alias="r")  # that list message, to refresh it
    note_rev: int = Field(default=0, alias="n")  # bumped after a note is added: clears the composer
    rev: int = Field(default=0, alias="w")  # bumped after every other write made here: part of its key
    status: str | None = Field(default=None, alias="s")  # the status shown: "from" of a status change

    def encode(self) -> str:
        """Compact JSON ≤ 3000 chars."""
        return encode(self, METADATA_MAX)

    @classmethod
    def decode(cls, raw: str | None) -> DetailState:
        """Parse `encode` output; raises StateError otherwise."""
        return decode(cls, raw)


class NoteDraft(BaseModel):
    text: str | None = None
    internal: bool = True


def note_from_view(view: dict[str, Any]) -> tuple[DetailState, NoteDraft]:
    """The detail modal's state and what is typed in its note composer."""
    state = DetailState.decode(view.get("private_metadata"))
    values = state_values(view)
    text_entry = values.get(note_block_id(state.note_rev), {}).get(DetailAction.NOTE_TEXT) or {}
    text = (text_entry.get("value") or "").strip() or None
    internal_entry = values.get(note_internal_block_id(state.note_rev), {}).get(DetailAction.NOTE_INTERNAL)
    internal = True
    if internal_entry is not None:
        selected = internal_entry.get("selected_options") or []
        internal = any(opt.get("value") == "internal" for opt in selected)
    return state, NoteDraft(text=text, internal=internal)
