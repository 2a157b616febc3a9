"""Small messages: errors that say what to do, confirmations, help, and the share card."""

from __future__ import annotations

from typing import Any

from bot.grammar import EXAMPLES, USAGE, Invalid
from bot.ids import MessageAction
from bot.text import clip, escape_own, escape_sentence, escape_truncate, link, strong
from bot.views import kit, limits
from bot.views.format import escape_name, priority_label, visible_or
from psa.models import PSATicketCreated, PSATicketSearchResult, PSATicketStatusUpdate

Payload = dict[str, Any]


def notice_message(text: str) -> Payload:
    """A one-line message (the text is escaped; a blank one reads "Done.")."""
    text = visible_or(text, "Done.")
    return {
        "text": clip(escape_sentence(text), 3000),
        "blocks": [kit.section(clip(escape_sentence(text), limits.SECTION_TEXT_MAX))],
    }


def loading_message(what: str) -> Payload:
    """The placeholder an answer that takes a moment replaces ("Loading your tickets…")."""
    text = f"⏳ {what}"
    return {"text": text, "blocks": [kit.context(text)]}


def error_message(what: str, todo: str | None = None) -> Payload:
    """An error saying what went wrong and what to do (both escaped; never a blank message)."""
    what = visible_or(what, "Something went wrong.")
    todo = todo if todo is not None and todo.strip() else None
    body = f"⚠️ {clip(escape_sentence(what), 1500)}"
    if todo:
        body += f"\n{clip(escape_own(todo), 1400)}"
    plain = what + (f" {todo}" if todo else "")
    return {"text": clip(escape_sentence(plain), 3000), "blocks": [kit.section(body)]}


def psa_unavailable_message() -> Payload:
    """ConnectWise did not answer: nothing changed, try again."""
    return error_message("ConnectWise is not answering; nothing was changed.", "Try again in a minute.")


def not_connected_message(*, is_admin: bool) -> Payload:
    """No PSA connection for this workspace yet."""
    todo = "Run `/tickets connect` to set it up."
    if not is_admin:
        todo = "Ask a workspace admin to run `/tickets connect`."
    return {
        "text": "ConnectWise is not connected yet.",
        "blocks": [kit.section(f"⚠️ ConnectWise is not connected to this workspace yet.\n{todo}")],
    }


def not_mapped_message() -> Payload:
    """The user has no PSA member mapped, so "mine" means nothing yet."""
    return {
        "text": "Map your ConnectWise member to see your tickets.",
        "blocks": [
            kit.section(
                "You are not mapped to a ConnectWise member yet, "
                "so the app can't tell which tickets are yours.\n"
                "Run `/tickets map` to pick your member."
            )
        ],
    }


def status_changed_message(update: PSATicketStatusUpdate) -> Payload:
    """The status change line: #1042 Status: New → In Progress."""
    line = f"Status: {update.previous_status} → {update.new_status}"
    return {
        "text": f"#{update.ticket_id} {escape_truncate(line, 500)}",
        "blocks": [kit.section(f"✅ *#{update.ticket_id}* {escape_truncate(line, 500)}")],
    }


def ticket_created_message(created: PSATicketCreated, url: str | None = None) -> Payload:
    """Ticket #1042 created in ConnectWise, with a link and an Open button (for the origin thread)."""
    url = url or created.url
    title = f"Ticket #{created.id}"
    label = link(url, title) if url and len(url) <= limits.URL_MAX else title
    body = f"✅ {label} created in ConnectWise: {strong(escape_truncate(created.summary, 300))}"
    meta = " · ".join(
        escape_truncate(x, 80) for x in (created.company_name, created.board_name, created.priority_name) if x
    )
    blocks = [
        kit.section(body, accessory=kit.button("Open", MessageAction.OPEN_TICKET, value=str(created.id)))
    ]
    if meta:
        blocks.append(kit.context(meta))
    return {"text": f"Ticket #{created.id} created in ConnectWise", "blocks": blocks}


def help_message(error: str | None = None, usage: str = USAGE) -> Payload:
    """Usage of `/tickets`, optionally under a specific error."""
    blocks = []
    error = error if error is not None and error.strip() else None
    if error:
        blocks.append(kit.section(f"⚠️ {clip(escape_sentence(error), 1000)}"))
    blocks.append(kit.section("*How to use `/tickets`*\n" + escape_own(usage)))
    if usage == USAGE:
        blocks.append(
            kit.section("*Examples*\n" + "\n".join(f"`{escape_own(example)}`" for example in EXAMPLES))
        )
    blocks.append(kit.actions(kit.button("New ticket", MessageAction.NEW_TICKET, style="primary")))
    usage_line = "Usage: /tickets [mine | search … | 1042 | new … | connect | map | help]"
    text = f"{clip(escape_sentence(error), 1000)} {usage_line}" if error else usage_line
    return {"text": text, "blocks": blocks}


def invalid_command_message(command: Invalid) -> Payload:
    """The answer to a `/tickets` line that did not parse: the specific problem, then the usage."""
    return help_message(error=command.message, usage=command.usage)


def share_card(
    ticket: PSATicketSearchResult,
    *,
    url: str | None = None,
    shared_by: str | None = None,
) -> Payload:
    """A ticket card posted in a channel: header, fields, Open (and Open in ConnectWise)."""
    fields = [
        f"*Company*\n{escape_name(ticket.company.name if ticket.company else None)}",
        f"*Board*\n{escape_name(ticket.board.name if ticket.board else None)}",
        f"*Status*\n{escape_name(ticket.status.name if ticket.status else None)}",
        f"*Priority*\n{priority_label(ticket.priority)}",
    ]
    if ticket.owner is not None:
        fields.append(f"*Owner*\n{escape_name(ticket.owner.name)}")
    buttons = [kit.button("Open", MessageAction.OPEN_TICKET, value=str(ticket.id), style="primary")]
    if url and len(url) <= limits.URL_MAX:
        buttons.append(kit.button("Open in ConnectWise", MessageAction.OPEN_IN_PSA, url=url))
    blocks = [
        kit.header(f"#{ticket.id} · {ticket.summary}"),
        kit.section(fields=fields),
        kit.actions(*buttons),
    ]
    if shared_by and shared_by.isalnum():
        blocks.append(kit.context(f"Shared by <@{shared_by}> · replies in this thread stay linked"))
    return {"text": f"Ticket #{ticket.id}: {escape_truncate(ticket.summary, 150)}", "blocks": blocks}
