"""The link-thread modal: tie a Slack thread to a ticket number."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from bot import inputs
from bot.ids import Callback, LinkThreadField, MessageAction
from bot.state import METADATA_MAX, Origin
from bot.state.codec import decode, encode
from bot.text import escape_truncate, link
from bot.views import kit, limits
from psa.models import PSATicketSearchResult

MAX_TICKET_ID = 2**31 - 1
_TICKET_RE = re.compile(r"#?\s*([0-9]{1,10})")


class LinkThreadForm(BaseModel):
    """A submitted link: the thread and either a ticket id or what is wrong with the input."""

    origin: Origin
    ticket_id: int | None = None
    error: str | None = None


def link_thread_modal(
    origin: Origin,
    *,
    current_ticket_id: int | None = None,
    error: str | None = None,
    typed: str | None = None,
) -> dict[str, Any]:
    """Ask for the ticket number to link the thread in `origin` to (`typed` refills the input)."""
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append(kit.section(f"⚠️ {escape_truncate(error, 1000)}"))
    if current_ticket_id is not None:
        blocks.append(
            kit.context(f"This thread is linked to ticket #{current_ticket_id}. Linking replaces it.")
        )
    blocks.append(
        kit.input_block(
            LinkThreadField.TICKET,
            "Ticket number",
            kit.text_input(
                LinkThreadField.TICKET,
                max_length=inputs.TICKET_NUMBER.max_chars,
                placeholder="e.g. 1042",
                initial_value=typed,
            ),
            hint="New spin-off tickets from this thread will start with this ticket's company and board.",
        )
    )
    return kit.modal(
        title="Link thread to ticket",
        blocks=blocks,
        callback_id=Callback.LINK_THREAD,
        private_metadata=encode(origin, METADATA_MAX),
        submit="Link",
        close="Cancel",
    )


def read_link_thread(view: dict[str, Any]) -> LinkThreadForm:
    """The thread and the typed ticket number (or an error for `response_action: errors`)."""
    origin = decode(Origin, view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    entry = (values.get(LinkThreadField.TICKET) or {}).get(LinkThreadField.TICKET) or {}
    raw = (entry.get("value") or "").strip()
    match = _TICKET_RE.fullmatch(raw)
    if not match:
        return LinkThreadForm(origin=origin, error="Type a ticket number, like 1042.")
    ticket_id = int(match.group(1))
    if not 1 <= ticket_id <= MAX_TICKET_ID:
        return LinkThreadForm(origin=origin, error="That is not a valid ticket number.")
    return LinkThreadForm(origin=origin, ticket_id=ticket_id)


def link_thread_errors(form: LinkThreadForm) -> dict[str, str]:
    """`response_action: errors` payload for a bad ticket number."""
    return {LinkThreadField.TICKET: form.error or "Check the ticket number."}


def link_checking_view(origin: Origin, ticket_id: int) -> dict[str, Any]:
    """Shown while ConnectWise takes its time to confirm the ticket exists."""
    return kit.modal(
        title="Link thread to ticket",
        blocks=[kit.section(f"⏳ Checking ticket #{ticket_id} in ConnectWise…")],
        callback_id=Callback.LINK_THREAD,
        private_metadata=encode(origin, METADATA_MAX),
        close="Close",
    )


def link_done_view(ticket: PSATicketSearchResult) -> dict[str, Any]:
    """The modal after a slow check succeeded: the thread is linked."""
    return kit.modal(
        title="Link thread to ticket",
        blocks=[kit.section(f"✅ {_linked_line(ticket, None)}")],
        callback_id=Callback.LINK_THREAD,
        close="Done",
    )


def link_confirmation(ticket: PSATicketSearchResult, *, url: str | None = None) -> dict[str, Any]:
    """The thread message: "This thread is linked to #1042 · summary" with an Open button."""
    accessory = kit.button("Open", MessageAction.OPEN_TICKET, value=str(ticket.id))
    return {
        "text": f"This thread is linked to #{ticket.id} · {escape_truncate(ticket.summary, 150)}",
        "blocks": [kit.section(f"🔗 {_linked_line(ticket, url)}", accessory=accessory)],
    }


def _linked_line(ticket: PSATicketSearchResult, url: str | None) -> str:
    number = f"#{ticket.id}"
    if url and len(url) <= limits.URL_MAX:
        number = link(url, number)
    return f"This thread is linked to {number} · {escape_truncate(ticket.summary, 200)}"
