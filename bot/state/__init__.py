"""Typed view state that travels in button values, block ids and `private_metadata`.

Only ids and small typed state ride in Slack, through one codec (`bot.state.codec`) that never cuts:
what is large or grows (a create draft, a list's filters) is kept on the server (`bot.flows.stored`).
Free text the user is typing lives in input blocks; `draft_from_view` / `note_from_view` merge
it back with the metadata so typing survives re-renders, tab switches and failed submits.
"""

from bot.state.codec import BLOCK_ID_MAX, BUTTON_VALUE_MAX, METADATA_MAX, PAGE_SIZE, StateError
from bot.state.detail import DetailState, NoteDraft, Origin, note_from_view
from bot.state.draft import (
    FORM_FIELDS,
    REQUIRED_FIELDS,
    DraftRef,
    SeenDuplicate,
    Tab,
    TicketDraft,
    draft_ref,
    merge_typed,
)
from bot.state.listing import ListRef, ListState, SearchModalState

__all__ = [
    "BLOCK_ID_MAX",
    "BUTTON_VALUE_MAX",
    "FORM_FIELDS",
    "METADATA_MAX",
    "PAGE_SIZE",
    "REQUIRED_FIELDS",
    "DetailState",
    "DraftRef",
    "ListRef",
    "ListState",
    "NoteDraft",
    "Origin",
    "SearchModalState",
    "SeenDuplicate",
    "StateError",
    "Tab",
    "TicketDraft",
    "draft_ref",
    "merge_typed",
    "note_from_view",
]
