"""The Work it modal: log time, write the note, set the next status, e-mail the contact — one submit."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot import inputs
from bot.ids import Callback, TimeBlock, WorkField
from bot.state.work import KEEP_STATUS, WorkDraft, WorkMeta
from bot.text import escape_truncate, plain_text, strong
from bot.views import kit
from bot.views.format import escape_name
from bot.views.prompts import with_banner
from psa.models import BoardStatus, MemberTimeDefaults, WorkRole, WorkType

NOTE_INPUT_MAX = inputs.TIME_NOTE.max_chars
SUBMIT = "Save"
DURATION_HINT = "A duration ends now. A start–end (9:00-10:30) is on the day below, in your time zone."
BILLING_LABELS: dict[str, str] = {
    "billable": "Billable",
    "do_not_bill": "Do not bill",
    "no_charge": "No charge",
}
TARGET_LABELS: dict[str, str] = {
    "discussion": "Discussion",
    "internal": "Internal",
    "resolution": "Resolution",
}
PartName = Literal["time", "note", "status"]


class WorkForm(BaseModel):
    """What the modal offers, as the PSA told it (reference data is cached by the service)."""

    ticket_id: int
    summary: str = ""
    company_name: str | None = None
    status_id: int | None = None
    status_name: str | None = None
    statuses: list[BoardStatus] = Field(default_factory=list)  # of the ticket's board
    work_types: list[WorkType] = Field(default_factory=list)
    work_roles: list[WorkRole] = Field(default_factory=list)
    defaults: MemberTimeDefaults | None = None
    contact_name: str | None = None
    today: date  # in the engineer's time zone


class PartResult(BaseModel):
    """How one part of a submit ended, in words for the user."""

    part: PartName
    done: bool
    text: str  # e.g. "Time: 45m logged (Remote Support)" or "Status: ConnectWise said …"
    uncertain: bool = False  # the PSA may have made it: a retry checks before writing again


def work_title(ticket_id: int) -> str:
    """Modal title, ≤ 24 chars."""
    return f"Work ticket #{ticket_id}"


def _summary_blocks(ticket_id: int, summary: str, detail: str | None) -> list[dict[str, Any]]:
    title = f"*#{ticket_id}* · {escape_truncate(summary, 300)}" if summary else f"*#{ticket_id}*"
    blocks = [kit.section(title, block_id=TimeBlock.SUMMARY)]
    if detail:
        blocks.append(kit.context(detail))
    return blocks


def work_loading(ticket_id: int, meta: WorkMeta, summary: str = "") -> dict[str, Any]:
    """The modal opened inside the trigger's 3 s, before the board's statuses and work types arrive."""
    blocks = [*_summary_blocks(ticket_id, summary, None), kit.context("_Loading work types and statuses…_")]
    return kit.modal(
        title=work_title(ticket_id), blocks=blocks, callback_id=Callback.WORK, private_metadata=meta.encode()
    )


def _select(
    field: WorkField, placeholder: str, options: list[dict[str, Any]], initial: str | None
) -> dict[str, Any]:
    return kit.static_select(field, placeholder, options, initial_value=initial)


def _work_type_options(form: WorkForm) -> list[dict[str, Any]]:
    out = []
    for work_type in form.work_types:
        if work_type.inactive:
            continue
        bills = BILLING_LABELS.get(work_type.billable or "", "")
        out.append(kit.option(work_type.name, str(work_type.id), description=bills or None))
    return out


def _status_options(form: WorkForm) -> list[dict[str, Any]]:
    keep = f"Keep: {form.status_name}" if form.status_name else "Keep the current status"
    options = [kit.option(keep, KEEP_STATUS)]
    shown = sorted((s for s in form.statuses if not s.inactive), key=lambda s: (s.sort_order, s.name))
    for status in shown:
        if status.id != form.status_id:
            options.append(kit.option(f"{status.name}{' (closed)' if status.closed else ''}", str(status.id)))
    return options


def work_view(form: WorkForm, draft: WorkDraft, meta: WorkMeta, *, note_cut: bool = False) -> dict[str, Any]:
    """The whole modal, its inputs showing `draft` (the member's defaults on a fresh one); `note_cut` says
    the note was filled in from a message longer than the input holds."""
    detail_bits = [escape_name(form.company_name)] if form.company_name else []
    if form.status_name:
        detail_bits.append(f"Status: {escape_truncate(form.status_name, 80)}")
    blocks: list[dict[str, Any]] = _summary_blocks(form.ticket_id, form.summary, " · ".join(detail_bits))
    blocks.append(kit.divider())
    blocks.append(kit.section("*Time*"))
    blocks.append(
        kit.input_block(
            WorkField.DURATION,
            "Time worked",
            kit.text_input(
                WorkField.DURATION,
                initial_value=draft.duration or None,
                max_length=40,
                placeholder="45m, 1h15, 1.5h, 1:30 or 9:00-10:30",
            ),
            optional=True,
            hint=DURATION_HINT,
        )
    )
    day = draft.day or form.today
    blocks.append(
        kit.input_block(
            WorkField.DAY,
            "Day",
            {"type": "datepicker", "action_id": WorkField.DAY, "initial_date": day.isoformat()},
            optional=True,
        )
    )
    defaults = form.defaults
    type_id = draft.work_type_id or (defaults.work_type.id if defaults and defaults.work_type else None)
    role_id = draft.work_role_id or (defaults.work_role.id if defaults and defaults.work_role else None)
    types = _work_type_options(form)
    if types:
        blocks.append(
            kit.input_block(
                WorkField.WORK_TYPE,
                "Work type",
                _select(WorkField.WORK_TYPE, "Your default", types, str(type_id) if type_id else None),
                optional=True,
            )
        )
    roles = [kit.option(r.name, str(r.id)) for r in form.work_roles if not r.inactive]
    if roles:
        blocks.append(
            kit.input_block(
                WorkField.WORK_ROLE,
                "Work role",
                _select(WorkField.WORK_ROLE, "Your default", roles, str(role_id) if role_id else None),
                optional=True,
            )
        )
    billing = [kit.option("As the work type says", "default")]
    billing += [kit.option(label, value) for value, label in BILLING_LABELS.items()]
    blocks.append(
        kit.input_block(
            WorkField.BILLING, "Billing", _select(WorkField.BILLING, "Billing", billing, draft.billing)
        )
    )
    blocks.append(kit.divider())
    blocks.append(kit.section("*Note*"))
    blocks.append(
        kit.input_block(
            WorkField.NOTE,
            "What did you do?",
            kit.text_input(
                WorkField.NOTE,
                multiline=True,
                initial_value=draft.note or None,
                max_length=NOTE_INPUT_MAX,
                placeholder="Replaced the toner, printed a test page.",
            ),
            optional=True,
            hint="With time logged, the note goes on the time entry and shows on the ticket.",
        )
    )
    if note_cut:
        blocks.append(
            kit.context(
                "The message is longer than a note holds here: "
                f"its first {NOTE_INPUT_MAX:,} characters are filled in."
            )
        )
    targets = [kit.option(label, value) for value, label in TARGET_LABELS.items()]
    radio: dict[str, Any] = {"type": "radio_buttons", "action_id": WorkField.NOTE_TARGET, "options": targets}
    radio["initial_option"] = next(o for o in targets if o["value"] == draft.note_target)
    blocks.append(kit.input_block(WorkField.NOTE_TARGET, "Note goes to", radio))
    blocks.append(kit.divider())
    statuses = _status_options(form)
    initial_status = str(draft.status_id) if draft.status_id is not None else KEEP_STATUS
    blocks.append(
        kit.input_block(
            WorkField.STATUS,
            "Next status",
            _select(WorkField.STATUS, "Keep the current status", statuses, initial_status),
            optional=True,
        )
    )
    if form.contact_name:
        option = {"text": plain_text(f"E-mail the note to {form.contact_name}"[:75]), "value": "email"}
        checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": WorkField.EMAIL, "options": [option]}
        if draft.email_contact:
            checkbox["initial_options"] = [option]
        blocks.append(
            kit.input_block(
                WorkField.EMAIL,
                "Contact",
                checkbox,
                optional=True,
                hint="Sent by ConnectWise with the time entry.",
            )
        )
    return kit.modal(
        title=work_title(form.ticket_id),
        blocks=blocks,
        callback_id=Callback.WORK,
        private_metadata=meta.encode(),
        submit=SUBMIT,
        close="Cancel",
    )


def saving_view(meta: WorkMeta, parts: list[str]) -> dict[str, Any]:
    """What the modal shows while the parts are written (replaced by the outcome)."""
    doing = ", ".join(parts) if parts else "your changes"
    blocks = [kit.section(f"Saving {escape_truncate(doing, 200)} on #{meta.ticket_id}…")]
    return kit.modal(
        title=work_title(meta.ticket_id),
        blocks=blocks,
        callback_id=Callback.WORK,
        private_metadata=meta.encode(),
        close="Close",
    )


def done_view(meta: WorkMeta, results: list[PartResult]) -> dict[str, Any]:
    """Every part went through: what was done."""
    lines = [f"✅ {escape_truncate(r.text, 500)}" for r in results]
    blocks = [
        kit.section(strong(f"Saved on #{meta.ticket_id}")),
        kit.section("\n".join(lines) or "Nothing to save."),
    ]
    return kit.modal(title=work_title(meta.ticket_id), blocks=blocks, callback_id=Callback.WORK, close="Done")


def partial_banner(results: list[PartResult]) -> str:
    """The modal's banner after a submit that did not finish: what was done, what was not, and what to do.

    Free text (the PSA's reasons, what was typed) is inside “…”, which `with_banner` shows literally."""
    done = [r.text for r in results if r.done]
    missing = [r.text for r in results if not r.done]
    parts = []
    if done:
        parts.append("Done: " + "; ".join(done) + ".")
    parts.append("Not done: " + "; ".join(missing) + ".")
    if any(r.uncertain for r in results if not r.done):
        parts.append("Save again: the app first checks ConnectWise for what may have gone through.")
    else:
        parts.append("Save again to finish: what is done is not repeated.")
    return " ".join(parts)


def refill(definition: dict[str, Any], draft: WorkDraft, *, error: str) -> dict[str, Any]:
    """The submitted modal again, its inputs showing what was typed, with `error` on top."""
    blocks = []
    for block in definition.get("blocks") or []:
        if block.get("type") == "input":
            block = {**block, "element": _with_initial(dict(block.get("element") or {}), block, draft)}
        blocks.append(block)
    return with_banner({**definition, "blocks": blocks, "submit": plain_text(SUBMIT)}, error=error)


def _with_initial(element: dict[str, Any], block: dict[str, Any], draft: WorkDraft) -> dict[str, Any]:
    for key in ("initial_value", "initial_option", "initial_options", "initial_date"):
        element.pop(key, None)
    field = str(block.get("block_id") or "")
    text = {WorkField.DURATION.value: draft.duration, WorkField.NOTE.value: draft.note}.get(field)
    if text:
        element["initial_value"] = text
    chosen: str | None = {
        WorkField.WORK_TYPE.value: str(draft.work_type_id) if draft.work_type_id else None,
        WorkField.WORK_ROLE.value: str(draft.work_role_id) if draft.work_role_id else None,
        WorkField.BILLING.value: draft.billing,
        WorkField.NOTE_TARGET.value: draft.note_target,
        WorkField.STATUS.value: str(draft.status_id) if draft.status_id is not None else KEEP_STATUS,
    }.get(field)
    if chosen is not None:
        option = next((o for o in element.get("options") or [] if o.get("value") == chosen), None)
        if option is not None:
            element["initial_option"] = option
    if field == WorkField.DAY and draft.day is not None:
        element["initial_date"] = draft.day.isoformat()
    if field == WorkField.EMAIL and draft.email_contact:
        element["initial_options"] = list(element.get("options") or [])
    return element
