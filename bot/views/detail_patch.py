"""The detail modal right after a write, from the write's own answer: the shown view with just what the
write changed (status, a new note, a new assignee), so the result is on screen after one PSA round trip.
The full re-read follows in the background and replaces it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.ids import DetailAction, DetailBlock, assignee_block_id, note_block_id, note_internal_block_id
from bot.state import DetailState
from bot.views import limits
from bot.views.format import escape_name
from bot.views.ticket_detail import assignee_row, composer_blocks, note_section
from psa.models import Note, PSAResource

Definition = dict[str, Any]
STATUS_FIELD = "*Status*\n"
_COUNT = re.compile(r"\((\d+)\)")


def after_status(definition: Definition, state: DetailState, status_id: int, name: str) -> Definition:
    """The status shown in the facts and selected in the status menu is the new one."""
    blocks = []
    for block in definition.get("blocks") or []:
        if block.get("block_id") == DetailBlock.META:
            fields = [
                {**f, "text": STATUS_FIELD + escape_name(name)}
                if f.get("text", "").startswith(STATUS_FIELD)
                else f
                for f in block.get("fields") or []
            ]
            block = {**block, "fields": fields}
        elif block.get("block_id") == DetailBlock.CONTROLS:
            block = {**block, "elements": [_select(e, status_id) for e in block.get("elements") or []]}
        blocks.append(block)
    return _with(definition, blocks, state)


def _select(element: dict[str, Any], status_id: int) -> dict[str, Any]:
    if element.get("action_id") != DetailAction.STATUS:
        return element
    chosen = next((o for o in element.get("options") or [] if o.get("value") == str(status_id)), None)
    return {**element, "initial_option": chosen} if chosen is not None else element


def after_note(
    definition: Definition, before: DetailState, after: DetailState, note: Note, now: datetime
) -> Definition:
    """The new note last in the list and an empty composer (its block ids carry the new revision)."""
    composer = {
        note_block_id(before.note_rev),
        note_internal_block_id(before.note_rev),
        DetailBlock.NOTE_ACTIONS,
    }
    blocks: list[dict[str, Any]] = []
    placed = False
    for block in definition.get("blocks") or []:
        block_id = block.get("block_id")
        if block_id == DetailBlock.NOTES:
            block = _counted(block, "*Notes* (1)")
        if block_id in composer:
            if not placed:
                blocks.append(note_section(note, now))
                blocks.extend(composer_blocks(after.note_rev))
                placed = True
            continue
        blocks.append(block)
    return _with(definition, _fit(blocks), after)


def after_assignee_added(definition: Definition, state: DetailState, resource: PSAResource) -> Definition:
    """The new assignee listed (unless already shown)."""
    blocks = list(definition.get("blocks") or [])
    if any(b.get("block_id") == assignee_block_id(resource.member_id) for b in blocks):
        return _with(definition, blocks, state)
    prefix = f"{DetailBlock.ASSIGNEE}."
    at = max((i for i, b in enumerate(blocks) if str(b.get("block_id", "")).startswith(prefix)), default=None)
    title = next((i for i, b in enumerate(blocks) if b.get("block_id") == DetailBlock.ASSIGNEE), None)
    if title is None:
        return _with(definition, blocks, state)
    blocks[title] = _counted(blocks[title], "*Assignees* (1)")
    blocks.insert((at if at is not None else title) + 1, assignee_row(resource, state.ticket_id))
    return _with(definition, _fit(blocks), state)


def after_assignee_removed(definition: Definition, state: DetailState, member_id: int) -> Definition:
    """The removed assignee no longer listed."""
    blocks = [b for b in definition.get("blocks") or [] if b.get("block_id") != assignee_block_id(member_id)]
    if len(blocks) < len(definition.get("blocks") or []):
        blocks = [_counted(b, "", -1) if b.get("block_id") == DetailBlock.ASSIGNEE else b for b in blocks]
    return _with(definition, blocks, state)


def _counted(block: dict[str, Any], first: str, by: int = 1) -> dict[str, Any]:
    """A section title "*X* (n)" counting `by` more, or `first` when it said there were none."""
    text = str((block.get("text") or {}).get("text") or "")
    if block.get("accessory") is not None:
        return block  # "Couldn't load …" with its Retry: still unknown
    found = _COUNT.search(text)
    if found is None and not first:
        return block
    new = _COUNT.sub(f"({int(found.group(1)) + by})", text, count=1) if found else first
    return {**block, "text": {**block["text"], "text": new}}


def _fit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Within Slack's block limit, dropping the oldest shown notes first."""
    while len(blocks) > limits.MODAL_BLOCKS_MAX:
        notes_at = next((i for i, b in enumerate(blocks) if b.get("block_id") == DetailBlock.NOTES), None)
        start = (notes_at + 1) if notes_at is not None else len(blocks)
        drop = next(
            (
                i
                for i in range(start, len(blocks))
                if blocks[i].get("type") == "section" and not blocks[i].get("block_id")
            ),
            None,
        )
        if drop is None:
            return blocks[: limits.MODAL_BLOCKS_MAX]
        del blocks[drop]
    return blocks


def _with(definition: Definition, blocks: list[dict[str, Any]], state: DetailState) -> Definition:
    return {**definition, "blocks": blocks, "private_metadata": state.encode()}
