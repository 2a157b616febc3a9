"""The new-ticket modal: Quick Create (prompt → parse → review) and Full Form tabs over one draft.

The progress and result views (Parsing…, Creating…, created) live in `bot.views.create_status`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from bot import inputs
from bot.ids import Callback, CreateAction, CreateBlock, create_block_id
from bot.state import SeenDuplicate, TicketDraft
from bot.text import escape, escape_truncate
from bot.views import kit, limits
from bot.views.create_status import TITLE, created_view, creating_view, parsing_view
from bot.views.format import priority_marker
from psa.models import SUMMARY_MAX, Board, BoardStatus, Member, Priority

__all__ = ["TITLE", "create_modal", "created_view", "creating_view", "parsing_view"]
SUBMIT = "Create ticket"
SUBMIT_ANYWAY = "Create anyway"
DUPLICATES_SHOWN = 3
PROMPT_MAX = inputs.PROMPT.max_chars
DESCRIPTION_MAX = inputs.DESCRIPTION.max_chars
FIELD_LABELS = {
    "summary": "Summary",
    "company_id": "Company",
    "board_id": "Board",
    "status_id": "Status",
    "priority_id": "Priority",
    "assigned_member_id": "Assignee",
    "description": "Description",
}
_FIELD_ALIASES = {
    "company": "company_id",
    "board": "board_id",
    "status": "status_id",
    "priority": "priority_id",
    "assignee": "assigned_member_id",
    "assigned_member": "assigned_member_id",
}


def field_name(name: str) -> str:
    """The draft field a (possibly short) field name refers to: "board" → "board_id"."""
    return _FIELD_ALIASES.get(name, name)


def field_block_id(draft: TicketDraft, field: str) -> str:
    """Block id of the input that holds `field` in the modal rendered for `draft`."""
    field = field_name(field)
    if field == "prompt":
        return CreateBlock.PROMPT
    block = {
        "summary": CreateBlock.SUMMARY,
        "company_id": CreateBlock.COMPANY,
        "board_id": CreateBlock.BOARD,
        "status_id": CreateBlock.STATUS,
        "priority_id": CreateBlock.PRIORITY,
        "assigned_member_id": CreateBlock.ASSIGNEE,
        "description": CreateBlock.DESCRIPTION,
    }[field]
    if block is CreateBlock.STATUS and draft.board_id is None:
        block = CreateBlock.BOARD  # no status input until a board is picked
    return create_block_id(block, draft.rev, draft.board_id)


def form_errors(draft: TicketDraft, errors: dict[str, str]) -> dict[str, str]:
    """`errors` by field name → by block id, for `ack(response_action="errors", errors=...)`."""
    out: dict[str, str] = {}
    for field, message in errors.items():
        try:
            block_id = field_block_id(draft, field)
        except KeyError:
            continue
        out.setdefault(block_id, message[: limits.LABEL_MAX])
    if not out:
        out[field_block_id(draft, "summary" if draft.form_visible else "prompt")] = "Please check the form."
    return out


def company_option_for(draft: TicketDraft) -> dict[str, Any] | None:
    """The external select's initial option for the draft's company, if it has one."""
    if draft.company_id is None:
        return None
    return kit.option(draft.company_name or f"Company {draft.company_id}", str(draft.company_id))


def create_modal(
    draft: TicketDraft,
    *,
    boards: list[Board],
    statuses: list[BoardStatus],
    priorities: list[Priority],
    members: list[Member],
    mapped_member_ids: Collection[int] = (),
    company_option: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    banner: str | None = None,
    viewer_member_id: int | None = None,
) -> dict[str, Any]:
    """The modal for `draft` on its tab. `statuses` are the draft board's; `banner` is a top error.

    `viewer_member_id` (the user's own PSA member) is listed first among the assignees, marked "(you)".
    """
    errors = {field_name(k): v for k, v in (errors or {}).items()}
    blocks: list[dict[str, Any]] = [_tabs(draft)]
    if banner:
        blocks.append(kit.section(f"⚠️ {escape_truncate(banner, 2000)}", block_id=CreateBlock.BANNER))
    if draft.form_visible:
        blocks.extend(duplicate_blocks(draft))
    if draft.tab == "quick":
        blocks.extend(_quick_blocks(draft, errors))
    if draft.form_visible:
        if draft.tab == "quick":
            blocks.extend(_review_notes(draft))
        blocks.extend(
            _form_blocks(
                draft,
                boards=boards,
                statuses=statuses,
                priorities=priorities,
                members=members,
                mapped=set(mapped_member_ids),
                company_option=company_option or company_option_for(draft),
                errors=errors,
                viewer=viewer_member_id,
            )
        )
    if draft.parent_ticket_id is not None:
        blocks.append(kit.context(f"Spin-off of ticket #{draft.parent_ticket_id}."))
    if draft.origin is not None and draft.origin.thread_ts:
        blocks.append(kit.context("The ticket will be linked to the Slack thread it came from."))
    return kit.modal(
        title=TITLE,
        blocks=blocks,
        callback_id=Callback.CREATE,
        private_metadata=draft.encode(),
        submit=SUBMIT_ANYWAY if draft.duplicates and draft.form_visible else SUBMIT,
        close="Cancel",
    )


def _ago(minutes: int) -> str:
    if minutes <= 0:
        return "just now"
    return "1 minute ago" if minutes == 1 else f"{minutes} minutes ago"


def duplicate_line(seen: SeenDuplicate) -> str:
    """ "#1658 'Outlook not syncing' was created 2 minutes ago for Acme Corp" (escaped)."""
    line = f"#{seen.id} '{escape_truncate(seen.summary, 150)}' was created {_ago(seen.minutes_ago)}"
    if seen.same_member:
        line += " by you"
    if seen.company:
        line += f" for {escape_truncate(seen.company, 80)}"
    return line


def duplicate_blocks(draft: TicketDraft) -> list[dict[str, Any]]:
    """Likely duplicates of the ticket about to be created, each with Open; the submit says Create anyway."""
    if not draft.duplicates:
        return []
    blocks = [
        kit.section(
            f"⚠️ {duplicate_line(seen)}.",
            block_id=f"{CreateBlock.DUPLICATES}.{seen.id}",
            accessory=kit.button("Open", CreateAction.OPEN_DUPLICATE, value=str(seen.id)),
        )
        for seen in draft.duplicates[:DUPLICATES_SHOWN]
    ]
    blocks.append(
        kit.context(f"Is this the same problem? Open it to check. If not, press *{SUBMIT_ANYWAY}*.")
    )
    return blocks


def _tabs(draft: TicketDraft) -> dict[str, Any]:
    quick = kit.button("✨ Quick Create", CreateAction.TAB_QUICK, value="quick")
    full = kit.button("Full Form", CreateAction.TAB_FULL, value="full")
    (quick if draft.tab == "quick" else full)["style"] = "primary"
    return kit.actions(quick, full, block_id=CreateBlock.TABS)


def _quick_blocks(draft: TicketDraft, errors: dict[str, str]) -> list[dict[str, Any]]:
    blocks = [
        kit.input_block(
            CreateBlock.PROMPT,
            "Describe the issue",
            kit.text_input(
                CreateAction.PROMPT,
                multiline=True,
                initial_value=draft.prompt,
                max_length=PROMPT_MAX,
                placeholder="e.g. Acme's Outlook stopped syncing this morning, high priority, assign to me",
            ),
            optional=draft.reviewing,
            hint="Parse fills in the form below. Nothing is created until you press Create ticket.",
        ),
        kit.actions(
            kit.button(
                "Parse again" if draft.reviewing else "Parse",
                CreateAction.PARSE,
                style=None if draft.reviewing else "primary",
            ),
            block_id=CreateBlock.PARSE,
        ),
    ]
    if "prompt" in errors:
        blocks.append(kit.context(f"⚠️ {escape_truncate(errors['prompt'], 500)}"))
    return blocks


def _review_notes(draft: TicketDraft) -> list[dict[str, Any]]:
    blocks = []
    missing = [FIELD_LABELS.get(field_name(f), f) for f in draft.missing_fields]
    if missing:
        names = ", ".join(escape(m) for m in dict.fromkeys(missing))
        blocks.append(kit.context(f"⚠️ *Still needed:* {names}", block_id=CreateBlock.MISSING))
    if draft.warnings:
        texts = [f"⚠️ {escape_truncate(w, 300)}" for w in draft.warnings[:9]]
        blocks.append(kit.context(*texts, block_id=CreateBlock.WARNINGS))
    return blocks


def _label(draft: TicketDraft, field: str) -> str:
    base = FIELD_LABELS[field]
    missing = {field_name(f) for f in draft.missing_fields}
    return f"{base} — required" if field in missing else base


def _form_blocks(
    draft: TicketDraft,
    *,
    boards: list[Board],
    statuses: list[BoardStatus],
    priorities: list[Priority],
    members: list[Member],
    mapped: set[int],
    company_option: dict[str, Any] | None,
    errors: dict[str, str],
    viewer: int | None = None,
) -> list[dict[str, Any]]:
    rev = draft.rev
    blocks: list[dict[str, Any]] = []

    def error_line(field: str) -> None:
        if field in errors:
            blocks.append(kit.context(f"⚠️ {escape_truncate(errors[field], 500)}"))

    blocks.append(
        kit.input_block(
            create_block_id(CreateBlock.SUMMARY, rev),
            _label(draft, "summary"),
            kit.text_input(
                CreateAction.SUMMARY,
                initial_value=(draft.summary or "")[:SUMMARY_MAX] or None,
                max_length=SUMMARY_MAX,
                placeholder="One line: what is wrong",
            ),
        )
    )
    error_line("summary")
    blocks.append(
        kit.input_block(
            create_block_id(CreateBlock.COMPANY, rev),
            _label(draft, "company_id"),
            kit.external_select(
                CreateAction.COMPANY, "Search companies", initial_option=company_option, min_query_length=0
            ),
        )
    )
    error_line("company_id")
    board_options = [
        kit.option(b.name, str(b.id)) for b in boards if not b.inactive or b.id == draft.board_id
    ]
    if board_options:
        blocks.append(
            kit.input_block(
                create_block_id(CreateBlock.BOARD, rev),
                _label(draft, "board_id"),
                kit.static_select(
                    CreateAction.BOARD,
                    "Pick a board",
                    board_options,
                    initial_value=str(draft.board_id) if draft.board_id is not None else None,
                ),
                dispatch_action=True,
            )
        )
    else:
        blocks.append(kit.context("⚠️ No boards could be loaded from ConnectWise."))
    error_line("board_id")
    board_statuses = [
        s for s in statuses if s.board_id == draft.board_id and (not s.inactive or s.id == draft.status_id)
    ]
    board_statuses.sort(key=lambda s: (s.sort_order, s.name))
    if draft.board_id is not None and board_statuses:
        default = next((s for s in board_statuses if s.default), None)
        initial = draft.status_id if draft.status_id is not None else (default.id if default else None)
        blocks.append(
            kit.input_block(
                create_block_id(CreateBlock.STATUS, rev, draft.board_id),
                _label(draft, "status_id"),
                kit.static_select(
                    CreateAction.STATUS,
                    "Pick a status",
                    [kit.option(s.name, str(s.id)) for s in board_statuses],
                    initial_value=str(initial) if initial is not None else None,
                ),
            )
        )
    else:
        hint = (
            "Pick a board to see its statuses." if draft.board_id is None else "This board has no statuses."
        )
        blocks.append(kit.context(f"*Status:* {hint}"))
    error_line("status_id")
    priority_options = [
        kit.option(f"{priority_marker(p)} {p.name}", str(p.id))
        for p in sorted(priorities, key=lambda p: (p.sort or 99, p.name))
    ]
    if priority_options:
        default_priority = next((p for p in priorities if p.default), None)
        initial_priority = draft.priority_id
        if (
            initial_priority is None
            and default_priority is not None
            and "priority_id" not in draft.missing_fields
        ):
            initial_priority = default_priority.id
        blocks.append(
            kit.input_block(
                create_block_id(CreateBlock.PRIORITY, rev),
                _label(draft, "priority_id"),
                kit.static_select(
                    CreateAction.PRIORITY,
                    "Pick a priority",
                    priority_options,
                    initial_value=str(initial_priority) if initial_priority is not None else None,
                ),
            )
        )
    error_line("priority_id")
    blocks.append(_assignee_input(draft, members, mapped, viewer))
    error_line("assigned_member_id")
    blocks.append(
        kit.input_block(
            create_block_id(CreateBlock.DESCRIPTION, rev),
            _label(draft, "description"),
            kit.text_input(
                CreateAction.DESCRIPTION,
                multiline=True,
                initial_value=draft.description,
                max_length=DESCRIPTION_MAX,
                placeholder="Details, steps tried, who is affected",
            ),
            optional=True,
        )
    )
    error_line("description")
    return blocks


def member_label(member: Member, mapped: bool, *, you: bool = False) -> str:
    """Option text for a member: mapped (in Slack) ones starred, the viewer's own marked "(you)"."""
    label = f"★ {member.name}" if mapped or you else member.name
    return f"{label} (you)" if you else label


def _assignee_input(
    draft: TicketDraft, members: list[Member], mapped: set[int], viewer: int | None = None
) -> dict[str, Any]:
    active = [m for m in members if not m.inactive or m.id == draft.assigned_member_id]
    active.sort(key=lambda m: (m.id != viewer, m.id not in mapped, m.name.lower()))
    block_id = create_block_id(CreateBlock.ASSIGNEE, draft.rev)
    initial = None
    if draft.assigned_member_id is not None:
        known = next((m for m in active if m.id == draft.assigned_member_id), None)
        name = (
            member_label(known, known.id in mapped, you=known.id == viewer)
            if known
            else draft.assigned_member_name
        )
        initial = kit.option(name or f"Member {draft.assigned_member_id}", str(draft.assigned_member_id))
    if 0 < len(active) <= limits.OPTIONS_MAX:
        options = [kit.option(member_label(m, m.id in mapped, you=m.id == viewer), str(m.id)) for m in active]
        element = kit.static_select(
            CreateAction.ASSIGNEE,
            "Nobody yet",
            options,
            initial_value=str(draft.assigned_member_id) if draft.assigned_member_id is not None else None,
        )
    else:
        element = kit.external_select(CreateAction.ASSIGNEE, "Search members", initial_option=initial)
    return kit.input_block(block_id, _label(draft, "assigned_member_id"), element, optional=True)
