"""Detail modal state and its note composer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from bot.ids import DetailAction, note_block_id, note_internal_block_id
from bot.state.codec import METADATA_MAX, StateError, dump, load, state_values
from bot.state.listing import ListState


class Origin(BaseModel):
    """Where a modal was opened from: a channel message / thread."""

    channel_id: str
    thread_ts: str | None = None
    message_ts: str | None = None


class DetailState(BaseModel):
    """private_metadata of the detail modal."""

    ticket_id: int
    list_context: ListState | None = None
    origin: Origin | None = None  # the channel to share into / the thread it came from
    response_url: str | None = None  # the list message to refresh after a change
    note_rev: int = 0  # bumped after a note is added, which clears the composer

    def encode(self) -> str:
        """Compact JSON ≤ 3000 chars; drops the list context's search text, then the context, to fit."""
        base: dict[str, Any] = {"t": self.ticket_id}
        if self.note_rev:
            base["n"] = self.note_rev
        if self.origin:
            base["o"] = self.origin.model_dump(exclude_none=True)
        if self.response_url and len(self.response_url) < 1000:
            base["r"] = self.response_url
        if self.list_context is not None:
            try:
                return self.list_context.fit_into(lambda data: dump({**base, "l": data}), METADATA_MAX)
            except StateError:
                pass  # the list context is a convenience; the ticket id is what matters
        return dump(base)

    @classmethod
    def decode(cls, raw: str | None) -> DetailState:
        """Parse `encode` output; raises StateError otherwise."""
        data = load(raw)
        try:
            return cls(
                ticket_id=data["t"],
                note_rev=data.get("n", 0),
                origin=Origin.model_validate(data["o"]) if data.get("o") else None,
                response_url=data.get("r"),
                list_context=ListState.from_compact(data["l"]) if "l" in data else None,
            )
        except (KeyError, ValidationError) as exc:
            raise StateError("bad detail state") from exc


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
