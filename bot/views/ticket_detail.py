"""The ticket detail modal: opened at once from the row, then filled in with context + resources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from bot import inputs
from bot.ids import (
    Callback,
    DetailAction,
    DetailBlock,
    TimeAction,
    assignee_block_id,
    note_block_id,
    note_internal_block_id,
    related_block_id,
)
from bot.state import DetailState
from bot.text import escape_truncate, plain_text, strong
from bot.views import kit, limits
from bot.views.format import age, escape_name, priority_label
from bot.views.live import follow_button
from bot.views.sla import sla_text
from bot.views.time_section import ENTRIES_SHOWN, TimeSection, time_blocks
from psa.models import BoardStatus, Note, PSAResource, PSATicketSearchResult, TicketContext

NOTE_TEXT_MAX = 1500
NOTES_MAX = 20
ASSIGNEES_MAX = 25
RELATED_MAX = 8
CONFIGS_MAX = 15
NOTE_INPUT_MAX = inputs.NOTE.max_chars
LOADING = "_Loading details…_"


class DetailData(BaseModel):
    """Everything the detail modal shows, as the service assembled it."""

    context: TicketContext
    resources: list[PSAResource] | None = None  # None: could not be loaded
    statuses: list[BoardStatus] = Field(default_factory=list)  # of the ticket's board
    slack_users: dict[int, str] = Field(default_factory=dict)  # PSA member id → mapped Slack user id
    viewer_member_id: int | None = None
    time: TimeSection | None = None  # None: not loaded (yet)
    following: bool | None = None  # the viewer follows the ticket (None: unknown, no button)
    loaded: bool = True  # False: the ticket's context (contact, notes, …) could not be read


def detail_title(ticket_id: int) -> str:
    """Modal title, ≤ 24 chars."""
    return f"Ticket #{ticket_id}"


def detail_loading(row: PSATicketSearchResult, *, state: DetailState | None = None) -> dict[str, Any]:
    """The modal opened inside the trigger window: what the row knows, and placeholders."""
    state = state or DetailState(ticket_id=row.id)
    blocks = [
        kit.header(f"#{row.id} · {row.summary}", block_id=DetailBlock.HEADER),
        kit.section(fields=_meta_fields(row, None), block_id=DetailBlock.META),
        kit.divider(),
        kit.section(f"*Contact*\n{LOADING}", block_id=DetailBlock.CONTACT),
        kit.section(f"*Assignees*\n{LOADING}", block_id=f"{DetailBlock.ASSIGNEE}.loading"),
        kit.section(f"*Notes*\n{LOADING}", block_id=DetailBlock.NOTES),
    ]
    return kit.modal(
        title=detail_title(row.id),
        blocks=blocks,
        callback_id=Callback.DETAIL,
        private_metadata=state.encode(),
    )


def detail_view(
    detail: DetailData,
    *,
    state: DetailState,
    now: datetime,
    notice: str | None = None,
    error: str | None = None,
    note_draft: str | None = None,
    note_internal: bool = True,
) -> dict[str, Any]:
    """The full detail modal (≤ 100 blocks whatever the data); notes get the blocks left over."""
    ctx = detail.context
    ticket = ctx.ticket
    top: list[dict[str, Any]] = []
    if error:
        top.append(kit.section(f"⚠️ {escape_truncate(error, 2000)}", block_id=DetailBlock.ERROR))
    if notice:
        top.append(kit.section(f"✅ {escape_truncate(notice, 2000)}", block_id=DetailBlock.NOTICE))
    top.append(kit.header(f"#{ticket.id} · {ticket.summary}", block_id=DetailBlock.HEADER))
    top.append(kit.section(fields=_meta_fields(ticket, now), block_id=DetailBlock.META))
    top.append(kit.divider())
    top.append(kit.section(_contact_text(ctx, detail.loaded), block_id=DetailBlock.CONTACT))
    top.extend(_assignee_blocks(detail))
    controls = _controls(detail)
    if controls is not None:
        top.append(controls)
    top.extend(time_blocks(detail.time, _total_hours(detail), ticket.id))
    top.append(kit.divider())

    bottom: list[dict[str, Any]] = [
        *composer_blocks(state.note_rev, note_draft, note_internal),
        kit.divider(),
    ]
    if ctx.configurations:
        bottom.append(kit.section(_configs_text(ctx), block_id=DetailBlock.CONFIGS))
    bottom.extend(_related_blocks(ctx.related))
    bottom.append(_ticket_actions(ctx, detail.following))

    state = state.model_copy(update={"status": ticket.status.name if ticket.status else None})
    room = limits.MODAL_BLOCKS_MAX - len(top) - len(bottom)
    notes = _notes_blocks(ctx.notes, now, room) if detail.loaded else [_notes_failed()]
    blocks = top + notes + bottom
    return kit.modal(
        title=detail_title(ticket.id),
        blocks=blocks,
        callback_id=Callback.DETAIL,
        private_metadata=state.encode(),
        submit="Done",
    )


def composer_blocks(rev: int, draft: str | None = None, internal: bool = True) -> list[dict[str, Any]]:
    """The note composer; its block ids carry `rev`, so a new revision starts empty."""
    text = kit.text_input(
        DetailAction.NOTE_TEXT,
        multiline=True,
        initial_value=draft,
        max_length=NOTE_INPUT_MAX,
        placeholder="What did you find or do?",
    )
    return [
        kit.input_block(note_block_id(rev), "Add a note", text, optional=True),
        _internal_checkbox(rev, internal),
        kit.actions(
            kit.button("Add note", DetailAction.ADD_NOTE, style="primary"), block_id=DetailBlock.NOTE_ACTIONS
        ),
    ]


def _total_hours(detail: DetailData) -> float | None:
    """The PSA's own total when it gave one, else the sum of the entries read (when all were read)."""
    if detail.context.ticket.actual_hours is not None:
        return detail.context.ticket.actual_hours
    section = detail.time
    if section is None or section.failed or len(section.entries) >= ENTRIES_SHOWN:
        return None
    return round(sum(e.hours for e in section.entries), 2)


def _meta_fields(ticket: PSATicketSearchResult, now: datetime | None) -> list[str]:
    fields = [
        f"*Company*\n{escape_name(ticket.company.name if ticket.company else None)}",
        f"*Board*\n{escape_name(ticket.board.name if ticket.board else None)}",
        f"*Status*\n{escape_name(ticket.status.name if ticket.status else None)}",
        f"*Priority*\n{priority_label(ticket.priority)}",
    ]
    if now is not None and ticket.date_entered is not None:
        fields.append(f"*Age*\n{age(ticket.date_entered, now)}")
    if ticket.owner is not None:
        fields.append(f"*Owner*\n{escape_name(ticket.owner.name)}")
    if ticket.parent_ticket_id:
        fields.append(f"*Parent ticket*\n#{ticket.parent_ticket_id}")
    sla = sla_text(ticket.sla, now) if now is not None else None
    if sla:
        fields.append(f"*SLA*\n{sla}")
    return fields


def _contact_text(ctx: TicketContext, loaded: bool = True) -> str:
    contact = ctx.contact
    if contact is None and not loaded:
        return "*Contact*\n_Couldn't load the contact._"
    if contact is None:
        name = ctx.ticket.contact.name if ctx.ticket.contact else None
        return f"*Contact*\n{escape_name(name, default='No contact')}"
    parts = [strong(escape_truncate(contact.name, 100))]
    if contact.title:
        parts.append(escape_truncate(contact.title, 100))
    if contact.email:
        parts.append(escape_truncate(contact.email, 200))
    if contact.phone:
        parts.append(escape_truncate(contact.phone, 60))
    return "*Contact*\n" + " · ".join(parts)


def _assignee_blocks(detail: DetailData) -> list[dict[str, Any]]:
    resources = detail.resources
    if resources is None:
        return [
            kit.section("*Assignees*\n_Couldn't load assignees just now._", block_id=DetailBlock.ASSIGNEE)
        ]
    if not resources:
        return [kit.section("*Assignees*\nNobody is assigned yet.", block_id=DetailBlock.ASSIGNEE)]
    ordered = sorted(
        resources, key=lambda r: (not r.is_owner, r.member_id not in detail.slack_users, r.member_name)
    )
    blocks = [kit.section(f"*Assignees* ({len(resources)})", block_id=DetailBlock.ASSIGNEE)]
    ticket_id = detail.context.ticket.id
    shown: list[PSAResource] = []
    for resource in ordered:
        if all(r.member_id != resource.member_id for r in shown):  # one row per member
            shown.append(resource)
    for resource in shown[:ASSIGNEES_MAX]:
        slack_user = detail.slack_users.get(resource.member_id)
        you = resource.member_id == detail.viewer_member_id
        blocks.append(assignee_row(resource, ticket_id, slack_user=slack_user, you=you))
    if len(shown) > ASSIGNEES_MAX:
        rest = ", ".join(escape_truncate(r.member_name, 40) for r in shown[ASSIGNEES_MAX:])
        blocks.append(kit.context(f"+ {len(shown) - ASSIGNEES_MAX} more: {rest}"))
    return blocks


def assignee_row(
    resource: PSAResource, ticket_id: int, *, slack_user: str | None = None, you: bool = False
) -> dict[str, Any]:
    """One assignee, starred when they use the app, with Remove."""
    name = escape_truncate(resource.member_name or resource.member_identifier, 100)
    if slack_user or resource.is_rf_user:
        label = f"★ {strong(name)}"
        notes = [f"<@{slack_user}>" if slack_user else "in Slack"]
        if you:
            notes.append("you")
        label += f" ({' — '.join(notes)})"
    else:
        label = name
    if resource.is_owner:
        label += " · _owner_"
    remove = kit.button(
        "Remove",
        DetailAction.REMOVE_ASSIGNEE,
        value=str(resource.member_id),
        confirm=kit.confirm_dialog(
            "Remove assignee?", f"Remove {name} from ticket #{ticket_id}?", "Remove", "Keep"
        ),
    )
    return kit.section(label, block_id=assignee_block_id(resource.member_id), accessory=remove)


def _controls(detail: DetailData) -> dict[str, Any] | None:
    ticket = detail.context.ticket
    elements: list[dict[str, Any]] = []
    statuses = [s for s in detail.statuses if not s.inactive or (ticket.status and s.id == ticket.status.id)]
    statuses.sort(key=lambda s: (s.sort_order, s.name))
    options = [kit.option(f"{s.name}{' (closed)' if s.closed else ''}", str(s.id)) for s in statuses]
    current = ticket.status
    if current is not None and options and all(o["value"] != str(current.id) for o in options):
        options.insert(0, kit.option(current.name or f"Status {current.id}", str(current.id)))
    if options:
        elements.append(
            kit.static_select(
                DetailAction.STATUS,
                "Change status",
                options,
                initial_value=str(current.id) if current is not None else None,
            )
        )
    elements.append(kit.external_select(DetailAction.ADD_ASSIGNEE, "Add assignee…"))
    return kit.actions(*elements, block_id=DetailBlock.CONTROLS)


def _internal_checkbox(rev: int, checked: bool) -> dict[str, Any]:
    option = {
        "text": plain_text("Internal note (not visible to the customer)"),
        "value": "internal",
    }
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": DetailAction.NOTE_INTERNAL,
        "options": [option],
    }
    if checked:
        element["initial_options"] = [option]
    return kit.input_block(note_internal_block_id(rev), "Visibility", element, optional=True)


def note_section(note: Note, now: datetime) -> dict[str, Any]:
    """One note as the modal lists it."""
    return kit.section(_note_text(note, now))


def _note_text(note: Note, now: datetime) -> str:
    author = escape_truncate(note.author_name or note.author_identifier or "Someone", 80)
    when = f" · {age(note.created_at, now)} ago" if note.created_at else ""
    flag = " · 🔒 internal" if note.internal else ""
    body = escape_truncate(note.text.strip() or "(empty note)", NOTE_TEXT_MAX)
    return f"*{author}*{when}{flag}\n{body}"


def _notes_failed() -> dict[str, Any]:
    """Never "No notes yet" for notes that could not be read: say so, with a Retry."""
    retry = kit.button("Retry", DetailAction.RETRY, value="notes")
    return kit.section("*Notes*\nCouldn't load notes.", block_id=DetailBlock.NOTES, accessory=retry)


def _notes_blocks(notes: list[Note], now: datetime, room: int) -> list[dict[str, Any]]:
    title = f"*Notes* ({len(notes)})" if notes else "*Notes*\nNo notes yet."
    blocks = [kit.section(title, block_id=DetailBlock.NOTES)]
    if not notes:
        return blocks
    ordered = sorted(notes, key=lambda n: (n.created_at is not None, n.created_at or now, n.id))
    fit = max(0, min(NOTES_MAX, room - 2))  # title + "earlier" context
    shown = ordered[len(ordered) - fit :] if fit else []
    earlier = len(ordered) - len(shown)
    if earlier:
        noun = "note" if earlier == 1 else "notes"
        blocks.append(kit.context(f"+ {earlier} earlier {noun}"))
    blocks.extend(kit.section(_note_text(n, now)) for n in shown)
    return blocks


def _configs_text(ctx: TicketContext) -> str:
    lines = []
    for cfg in ctx.configurations[:CONFIGS_MAX]:
        bits = [
            escape_truncate(x, 60)
            for x in (cfg.type_name, cfg.serial_number, cfg.ip_address, cfg.os_type)
            if x
        ]
        line = f"• {strong(escape_truncate(cfg.name, 80))}"
        if bits:
            line += " — " + " · ".join(bits)
        lines.append(line)
    more = len(ctx.configurations) - CONFIGS_MAX
    if more > 0:
        lines.append(f"+ {more} more")
    return f"*Configurations* ({len(ctx.configurations)})\n" + "\n".join(lines)


def _related_blocks(related: list[PSATicketSearchResult]) -> list[dict[str, Any]]:
    if not related:
        return []
    blocks = [kit.section(f"*Related tickets* ({len(related)})", block_id=DetailBlock.RELATED)]
    seen: set[int] = set()
    for ticket in related:
        if ticket.id in seen or len(seen) >= RELATED_MAX:
            continue
        seen.add(ticket.id)
        status = f" · {escape_truncate(ticket.status.name, 40)}" if ticket.status else ""
        text = f"#{ticket.id} · {escape_truncate(ticket.summary, 150)}{status}"
        button = kit.button("Open", DetailAction.RELATED_OPEN, value=str(ticket.id))
        blocks.append(kit.section(text, block_id=related_block_id(ticket.id), accessory=button))
    more = len({t.id for t in related}) - len(seen)
    if more > 0:
        blocks.append(kit.context(f"+ {more} more related tickets"))
    return blocks


def _ticket_actions(ctx: TicketContext, following: bool | None = None) -> dict[str, Any]:
    ticket_id = str(ctx.ticket.id)
    elements = [kit.button("Log time", TimeAction.WORK, value=ticket_id, style="primary")]
    if ctx.url and len(ctx.url) <= limits.URL_MAX:
        elements.append(
            kit.button("Open in ConnectWise", DetailAction.OPEN_IN_PSA, url=ctx.url, value=ticket_id)
        )
    elements.append(kit.button("Share to channel", DetailAction.SHARE, value=ticket_id))
    elements.append(kit.button("New spin-off ticket", DetailAction.SPINOFF, value=ticket_id))
    if following is not None:
        elements.append(follow_button(ctx.ticket.id, following=following))
    return kit.actions(*elements, block_id=DetailBlock.ACTIONS)


def status_notice(previous: str, new: str) -> str:
    """The notice after a status change, e.g. Status: New → In Progress (plain text)."""
    return f"Status: {previous} → {new}"
