"""Typed view state that travels in button values, block ids and `private_metadata`.

Everything encodes to compact JSON and always fits the slot it is meant for: when it would not,
the least important text (search text, hidden prompt, warnings) is shortened, never a crash.
Free text the user is typing lives in input blocks; `draft_from_view` / `note_from_view` merge
it back with the metadata so typing survives re-renders, tab switches and failed submits.
"""

from bot.state.codec import BLOCK_ID_MAX, BUTTON_VALUE_MAX, METADATA_MAX, PAGE_SIZE, StateError
from bot.state.detail import DetailState, NoteDraft, Origin, note_from_view
from bot.state.draft import FORM_FIELDS, REQUIRED_FIELDS, DraftRef, Tab, TicketDraft, draft_ref, merge_typed
from bot.state.listing import ListState, SearchModalState

__all__ = [
    "BLOCK_ID_MAX",
    "BUTTON_VALUE_MAX",
    "FORM_FIELDS",
    "METADATA_MAX",
    "PAGE_SIZE",
    "REQUIRED_FIELDS",
    "DetailState",
    "DraftRef",
    "ListState",
    "NoteDraft",
    "Origin",
    "SearchModalState",
    "StateError",
    "Tab",
    "TicketDraft",
    "draft_ref",
    "merge_typed",
    "note_from_view",
]
