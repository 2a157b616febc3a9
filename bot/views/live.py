"""Live updates in Slack: the DM about a change, a digest of several, a reply in a linked thread.

Pure builders over `Notice`, the JSON a message waits in the outbox as (rendered when it goes out,
so a digest can bundle several). Every PSA text is escaped; a note is trimmed with a visible "…".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.ids import LiveAction, MessageAction
from bot.text import clip, escape, escape_truncate, link, strong
from bot.views import kit, limits
from bot.views.sla import due_stamp

Payload = dict[str, Any]
NOTE_MAX = 600
DIGEST_TICKETS = 20  # tickets shown in one digest (the rest are counted)
Why = Literal["assigned", "mine", "follow", "thread", "sla"]


class Person(BaseModel):
    """Who did something: a Slack user when the member is mapped, else the PSA's name."""

    user_id: str | None = None
    name: str | None = None
    from_slack: bool = False  # made from Slack (by another engineer)

    def mrkdwn(self) -> str:
        """The person for mrkdwn (a mention, or the escaped name)."""
        who = f"<@{self.user_id}>" if self.user_id else escape_truncate(self.name or "someone", 80)
        return f"{who} (from Slack)" if self.from_slack else who


class Line(BaseModel):
    """One thing that happened to the ticket."""

    kind: Literal["assigned", "status", "note", "sla"]
    by: Person | None = None
    member: Person | None = None  # assigned: who (None: the reader)
    owner: bool = False
    old: str | None = None
    new: str | None = None
    text: str = ""
    internal: bool = False
    customer: bool = False
    due_at: datetime | None = None  # sla
    stage: str | None = None  # sla: "response" | "resolution" | …


class Notice(BaseModel):
    """A change to one ticket, told to one reader (or one thread)."""

    ticket_id: int
    summary: str = ""
    url: str | None = None
    why: Why
    lines: list[Line] = Field(default_factory=list)


def _by(line: Line) -> str:
    return f" · by {line.by.mrkdwn()}" if line.by is not None else ""


def line_text(line: Line) -> str:
    """One line in escaped mrkdwn."""
    if line.kind == "assigned":
        role = "the owner" if line.owner else "an assignee"
        who = "You are" if line.member is None else f"{line.member.mrkdwn()} is"
        return f"👤 {who} now {role}{_by(line)}"
    if line.kind == "status":
        old = strong(escape_truncate(line.old, 60)) if line.old else "?"
        return f"🔄 Status: {old} → {strong(escape_truncate(line.new or '', 60))}{_by(line)}"
    if line.kind == "sla":
        stage = escape(line.stage or "SLA")
        when = due_stamp(line.due_at) if line.due_at else "soon"
        return f"⏰ {stage.capitalize()} due {when}: this ticket is about to miss its SLA"
    label = "Customer reply" if line.customer else ("Internal note" if line.internal else "Note")
    author = f" from {line.by.mrkdwn()}" if line.by is not None else ""
    quoted = "\n".join(f">{part}" for part in escape_truncate(line.text.strip(), NOTE_MAX).split("\n"))
    return f"💬 *{label}*{author}:\n{quoted}"


def _title(notice: Notice) -> str:
    title = f"#{notice.ticket_id}"
    head = link(notice.url, title) if notice.url and len(notice.url) <= limits.URL_MAX else title
    return f"*{head}* · {escape_truncate(notice.summary or '(no summary)', 150)}"


def _fallback(notice: Notice) -> str:
    first = notice.lines[0].kind if notice.lines else "update"
    what = {
        "assigned": "assigned to you",
        "status": "status changed",
        "note": "new note",
        "sla": "SLA due soon",
    }.get(first, "updated")
    return f"#{notice.ticket_id} {escape_truncate(notice.summary, 80)}: {what}"


def _why(notice: Notice) -> str | None:
    return {"follow": "You follow this ticket", "mine": "Your ticket", "assigned": None}.get(notice.why)


def _open(notice: Notice) -> dict[str, Any]:
    return kit.button("Open", MessageAction.OPEN_TICKET, value=str(notice.ticket_id))


def notice_blocks(notice: Notice, *, with_button: bool = True) -> list[dict[str, Any]]:
    """The blocks of one ticket's notice."""
    body = "\n".join([_title(notice), *(line_text(line) for line in notice.lines)])
    accessory = _open(notice) if with_button else None
    blocks = [kit.section(clip(body, limits.SECTION_TEXT_MAX), accessory=accessory)]
    why = _why(notice)
    if why:
        blocks.append(kit.context(why))
    return blocks


def notification_message(notice: Notice) -> Payload:
    """The DM about a change to one ticket, with an Open button."""
    return {"text": _fallback(notice), "blocks": notice_blocks(notice)}


def digest_message(notices: list[Notice]) -> Payload:
    """Several changes in one DM: one section per ticket, newest lines last."""
    by_ticket: dict[int, Notice] = {}
    for notice in notices:
        kept = by_ticket.get(notice.ticket_id)
        if kept is None:
            by_ticket[notice.ticket_id] = notice.model_copy(deep=True)
        else:
            kept.lines.extend(notice.lines)
            kept.summary = notice.summary or kept.summary
    tickets = list(by_ticket.values())
    shown = tickets[:DIGEST_TICKETS]
    blocks: list[dict[str, Any]] = [kit.section(f"*{len(tickets)} tickets changed* while you were away")]
    for notice in shown:
        blocks.extend(notice_blocks(notice))
    if len(tickets) > len(shown):
        blocks.append(kit.context(f"…and {len(tickets) - len(shown)} more"))
    changes = sum(len(n.lines) for n in notices)
    return {
        "text": f"{changes} changes on {len(tickets)} tickets",
        "blocks": blocks[: limits.MESSAGE_BLOCKS_MAX],
    }


ADD_AS_NOTE = "note"  # the overflow option's value


def note_menu() -> dict[str, Any]:
    """The overflow on the app's messages in a linked thread: copy this message into the ticket."""
    return {
        "type": "overflow",
        "action_id": LiveAction.ADD_TO_TICKET,
        "options": [kit.option("Add to ticket as note", ADD_AS_NOTE)],
    }


def thread_reply(notice: Notice) -> Payload:
    """A reply in a linked thread: what changed in ConnectWise (no Open button: the card above has one;
    a menu to add the message to the ticket as a note)."""
    body = "\n".join(line_text(line) for line in notice.lines) or "Updated in ConnectWise"
    return {
        "text": _fallback(notice),
        "blocks": [
            kit.section(clip(body, limits.SECTION_TEXT_MAX), accessory=note_menu()),
            kit.context(f"In ConnectWise on #{notice.ticket_id}"),
        ],
    }


def follow_button(ticket_id: int, *, following: bool) -> dict[str, Any]:
    """Follow / Unfollow for the ticket detail."""
    if following:
        return kit.button("Unfollow", LiveAction.UNFOLLOW, value=str(ticket_id))
    return kit.button("Follow", LiveAction.FOLLOW, value=str(ticket_id))


def follow_swapped(view: dict[str, Any], ticket_id: int, *, following: bool) -> dict[str, Any]:
    """The same view with its Follow button turned into Unfollow (or back)."""
    wanted = follow_button(ticket_id, following=following)
    swap = {LiveAction.FOLLOW.value, LiveAction.UNFOLLOW.value}
    blocks = []
    for block in view.get("blocks") or []:
        elements = block.get("elements")
        if block.get("type") == "actions" and isinstance(elements, list):
            block = {**block, "elements": [wanted if e.get("action_id") in swap else e for e in elements]}
        blocks.append(block)
    return {**view, "blocks": blocks}


def thread_note_answer(outcome: str, *, ticket_id: int | None = None) -> Payload:
    """The ephemeral answer to "Add to ticket as note"."""
    text = {
        "added": f"✅ Added to #{ticket_id} as an internal note, with a link back to this message.",
        "already": f"This message is already a note on #{ticket_id}.",
        "in_progress": f"This message is being added to #{ticket_id}.",
        "not_linked": "This thread isn't linked to a ticket yet: use *Link thread to ticket* first.",
    }[outcome]
    return {"text": text, "blocks": [kit.section(text)]}
