"""The new-ticket modal's other states: loading, Parsing…, Creating…, already creating, created, refusals."""

from __future__ import annotations

from typing import Any

from bot.ids import Callback, CreateAction, MessageAction
from bot.state import TicketDraft
from bot.text import escape_truncate, plain_text, strong
from bot.views import kit, limits
from bot.views.format import escape_name
from bot.views.prompts import problem_modal
from psa.models import PSATicketCreated

TITLE = "New ticket"


def _quote(text: str) -> str:
    return "> " + escape_truncate(text, 1500).replace("\n", "\n> ")


def _progress_view(
    draft: TicketDraft, headline: str, detail: str | None, *, close: str = "Cancel", note: str | None = None
) -> dict[str, Any]:
    blocks = [kit.section(headline)]
    if detail:
        blocks.append(kit.section(_quote(detail)))
    if note:
        blocks.append(kit.context(escape_truncate(note, 500)))
    return kit.modal(
        title=TITLE,
        blocks=blocks,
        callback_id=Callback.CREATE,
        private_metadata=draft.encode(),
        close=close,
    )


def parsing_view(draft: TicketDraft) -> dict[str, Any]:
    """Shown while the prompt is being parsed."""
    return _progress_view(draft, "⏳ *Parsing…* reading your description to fill in the form.", draft.prompt)


def creating_view(draft: TicketDraft) -> dict[str, Any]:
    """Shown while ConnectWise creates the ticket (closing the modal does not stop it)."""
    return _progress_view(
        draft,
        "⏳ *Creating ticket…*",
        draft.summary,
        close="Close",
        note="You can close this window; the confirmation is also posted in Slack.",
    )


def already_creating_view(draft: TicketDraft) -> dict[str, Any]:
    """A repeated submission while the first one is still creating the ticket: nothing new is created."""
    return _progress_view(
        draft,
        "⏳ *Already creating this ticket…* this form was submitted more than once; "
        "only one ticket will be created.",
        draft.summary,
        close="Close",
    )


def loading_form_view(draft: TicketDraft) -> dict[str, Any]:
    """Opened at once while the form's boards, priorities and members load."""
    return _progress_view(draft, "⏳ *Loading the form…*", None)


def unavailable_view(text: str, *, hint: str | None = None) -> dict[str, Any]:
    """A modal that only explains why no ticket can be created here (not connected, stale form)."""
    return problem_modal(TITLE, text, hint=hint)


def created_view(created: PSATicketCreated, url: str | None = None) -> dict[str, Any]:
    """The modal after success: "Ticket #1042 created in ConnectWise" with Open buttons."""
    url = url or created.url
    assignees = ", ".join(escape_truncate(r.member_name, 60) for r in created.resources[:10]) or "—"
    blocks = [
        kit.section(f"✅ *Ticket #{created.id} created in ConnectWise*"),
        kit.section(strong(escape_truncate(created.summary, 300))),
        kit.section(
            fields=[
                f"*Company*\n{escape_name(created.company_name)}",
                f"*Board*\n{escape_name(created.board_name)}",
                f"*Status*\n{escape_name(created.status_name)}",
                f"*Priority*\n{escape_name(created.priority_name)}",
                f"*Assigned*\n{assignees}",
            ]
        ),
    ]
    buttons = [kit.button("Open ticket", CreateAction.OPEN_CREATED, value=str(created.id), style="primary")]
    if url and len(url) <= limits.URL_MAX:
        buttons.append(kit.button("Open in ConnectWise", MessageAction.OPEN_IN_PSA, url=url))
    blocks.append(kit.actions(*buttons))
    return {
        "type": "modal",
        "callback_id": Callback.CREATED,
        "title": plain_text("Ticket created"),
        "close": plain_text("Done"),
        "blocks": blocks,
    }
