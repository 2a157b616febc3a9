"""What a ticket list says when the app can no longer keep it current (pure builders)."""

from __future__ import annotations

from typing import Any

from bot.ids import ListAction, ListBlock
from bot.state import ListRef
from bot.text import escape_own
from bot.views import kit, limits

STOPS_FOLLOWING = (
    "This list stops showing changes made from it here (Slack lets the app update it only a few times). "
    "Press *Refresh* to bring it up to date."
)
NOT_FOLLOWING = (
    "The list this ticket was opened from can't be updated any more: press Refresh on it to see the change."
)
NOT_UPDATED = "Your ticket list couldn't be updated after the change. Press *Refresh* to see it as it is now."
NOT_UPDATED_NO_LIST = "Your ticket list couldn't be updated after the change. Run /tickets again to see it."


def stops_following(message: dict[str, Any]) -> dict[str, Any]:
    """The list message with a line saying it won't follow further changes (its Refresh button stays)."""
    blocks = list(message.get("blocks") or [])
    if len(blocks) >= limits.MESSAGE_BLOCKS_MAX:
        # Never the case with pages of 25; were it, the last row makes room, never the Refresh button.
        rows = [i for i, b in enumerate(blocks) if str(b.get("block_id") or "").startswith(ListBlock.ROW)]
        del blocks[rows[-1] if rows else -2]
    note = kit.context(f"⚠️ {escape_own(STOPS_FOLLOWING)}", block_id=ListBlock.STALE)
    pager_at = next((i for i, b in enumerate(blocks) if b.get("block_id") == ListBlock.PAGER), len(blocks))
    blocks.insert(pager_at, note)
    return {**message, "blocks": blocks}


def list_not_updated(list_id: str | None) -> dict[str, Any]:
    """Told beside the list when an update failed: what happened, and a Refresh that shows the list here."""
    told = NOT_UPDATED if list_id else NOT_UPDATED_NO_LIST
    blocks = [kit.section(f"⚠️ {escape_own(told)}")]
    if list_id:
        refresh = kit.button("Refresh", ListAction.REFRESH, value=ListRef(list_id=list_id).encode())
        blocks.append(kit.actions(refresh, block_id=ListBlock.PAGER))
    return {
        "text": escape_own((NOT_UPDATED if list_id else NOT_UPDATED_NO_LIST).replace("*", "")),
        "blocks": blocks,
    }
