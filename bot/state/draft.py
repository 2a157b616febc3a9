"""The create modal's one shared draft, and merging it with what the user typed."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.ids import CreateAction, CreateBlock, create_block_id
from bot.state.codec import METADATA_MAX, StateError, decode, encode, state_values
from bot.state.detail import Origin
from psa.models import SUMMARY_MAX, TicketCreatePayload

Tab = Literal["quick", "full"]
FORM_FIELDS = (
    "summary",
    "company_id",
    "board_id",
    "status_id",
    "priority_id",
    "assigned_member_id",
    "description",
)
REQUIRED_FIELDS = ("summary", "company_id", "board_id", "status_id", "priority_id")


class DraftRef(BaseModel):
    """What a New Ticket modal carries in private_metadata: its key and the draft snapshot it shows."""

    model_config = ConfigDict(populate_by_name=True)

    key: str = Field(alias="k")
    snapshot: str = Field(default="", alias="s")


class SeenDuplicate(BaseModel):
    """A likely duplicate the user was shown before creating (pressing Create anyway accepts it)."""

    id: int
    summary: str
    company: str | None = None
    minutes_ago: int = 0
    same_member: bool = False


class TicketDraft(BaseModel):
    """The create modal's one shared draft (both tabs)."""

    tab: Tab = "full"
    reviewing: bool = False  # Quick Create shows the form once a parse (or typing) filled it
    rev: int = 0  # bumped when the app re-fills the form, so Slack shows the new values
    prompt: str | None = None
    summary: str | None = None
    company_id: int | None = None
    company_name: str | None = None
    board_id: int | None = None
    status_id: int | None = None
    priority_id: int | None = None
    assigned_member_id: int | None = None
    assigned_member_name: str | None = None
    description: str | None = None
    missing_fields: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    idempotency_key: str = ""
    origin: Origin | None = None
    suggestion_id: str | None = None
    parent_ticket_id: int | None = None  # spin-off of this ticket
    duplicates: list[SeenDuplicate] = Field(default_factory=list)  # shown with "Create anyway"
    snapshot: str = ""  # the stored snapshot this draft was rendered from (bot.flows.stored)

    @classmethod
    def start(cls, *, tab: Tab = "full", **fields: Any) -> TicketDraft:
        """A fresh draft for a modal being opened, with a new idempotency key."""
        draft = cls(tab=tab, idempotency_key=uuid.uuid4().hex, **fields)
        if tab == "quick" and draft.has_form_values:
            draft.reviewing = True
        return draft

    @property
    def has_form_values(self) -> bool:
        """True when any form field holds something."""
        return any(getattr(self, name) not in (None, "") for name in FORM_FIELDS)

    @property
    def form_visible(self) -> bool:
        """Whether the form inputs are on screen (Full Form, or Quick Create after a parse)."""
        return self.tab == "full" or self.reviewing

    @property
    def prompt_visible(self) -> bool:
        """Whether the prompt input is on screen."""
        return self.tab == "quick"

    def switch_tab(self, tab: Tab) -> TicketDraft:
        """The same draft shown on another tab; Quick Create keeps a filled form visible."""
        return self.model_copy(update={"tab": tab, "reviewing": self.reviewing or self.has_form_values})

    def with_prefill(self, **fields: Any) -> TicketDraft:
        """Apply values computed by the app (e.g. a parse): None leaves a field alone; inputs reset."""
        update = {k: v for k, v in fields.items() if v is not None or k in ("missing_fields", "warnings")}
        if update.get("summary"):
            update["summary"] = str(update["summary"])[:SUMMARY_MAX]
        if "board_id" in update and update["board_id"] != self.board_id and "status_id" not in update:
            update["status_id"] = None
        update["rev"] = self.rev + 1
        update["reviewing"] = True
        return self.model_copy(update=update)

    def missing(self) -> dict[str, str]:
        """Required fields that are still empty, as {field: message}."""
        messages = {
            "summary": "Add a summary.",
            "company_id": "Pick a company.",
            "board_id": "Pick a board.",
            "status_id": "Pick a status.",
            "priority_id": "Pick a priority.",
        }
        out = {name: messages[name] for name in REQUIRED_FIELDS if getattr(self, name) in (None, "")}
        if self.summary and len(self.summary) > SUMMARY_MAX:
            out["summary"] = f"Keep the summary to {SUMMARY_MAX} characters."
        return out

    def to_payload(self) -> TicketCreatePayload:
        """The create payload; raises StateError naming the missing fields when incomplete."""
        missing = self.missing()
        if missing:
            raise StateError("incomplete draft: " + ", ".join(missing))
        assert self.company_id is not None and self.board_id is not None  # for mypy; checked above
        assert self.status_id is not None and self.priority_id is not None and self.summary
        return TicketCreatePayload(
            summary=self.summary.strip(),
            company_id=self.company_id,
            board_id=self.board_id,
            status_id=self.status_id,
            priority_id=self.priority_id,
            description=(self.description or "").strip() or None,
            assigned_member_id=self.assigned_member_id,
        )

    def encode(self) -> str:
        """private_metadata: the key and the snapshot id (the draft itself is kept on the server)."""
        return encode(DraftRef(key=self.idempotency_key, snapshot=self.snapshot), METADATA_MAX)

    def stored_json(self) -> str:
        """The draft as kept on the server (whole: nothing typed is ever shortened)."""
        return self.model_dump_json(exclude={"snapshot"})


def draft_ref(view: dict[str, Any]) -> tuple[str, str]:
    """(idempotency key, snapshot id) of a New Ticket modal; raises StateError for any other view."""
    ref = decode(DraftRef, view.get("private_metadata"))
    if not ref.key or not ref.snapshot:
        raise StateError("not a stored draft")
    return ref.key, ref.snapshot


def _entry(values: dict[str, dict[str, Any]], block_id: str, action_id: str) -> dict[str, Any] | None:
    block = values.get(block_id)
    if not isinstance(block, dict):
        return None
    entry = block.get(action_id)
    return entry if isinstance(entry, dict) else None


def _selected(entry: dict[str, Any]) -> tuple[int | None, str | None]:
    option = entry.get("selected_option")
    if not isinstance(option, dict):
        return None, None
    try:
        value = int(option.get("value", ""))
    except (TypeError, ValueError):
        return None, None
    text = option.get("text")
    name = text.get("text") if isinstance(text, dict) else None
    return value, name


def merge_typed(draft: TicketDraft, view: dict[str, Any]) -> TicketDraft:
    """`draft` (what the modal was rendered from) with what the user typed/selected in `view` since."""
    values = state_values(view)
    update: dict[str, Any] = {}

    if draft.prompt_visible:
        entry = _entry(values, CreateBlock.PROMPT, CreateAction.PROMPT)
        if entry is not None:
            update["prompt"] = entry.get("value") or None
    if draft.form_visible:
        rev = draft.rev
        for name, block, action in (
            ("summary", CreateBlock.SUMMARY, CreateAction.SUMMARY),
            ("description", CreateBlock.DESCRIPTION, CreateAction.DESCRIPTION),
        ):
            entry = _entry(values, create_block_id(block, rev), action)
            if entry is not None:
                update[name] = entry.get("value") or None
        entry = _entry(values, create_block_id(CreateBlock.COMPANY, rev), CreateAction.COMPANY)
        if entry is not None:
            company_id, company_name = _selected(entry)
            update["company_id"] = company_id
            update["company_name"] = company_name if company_id is not None else None
        entry = _entry(values, create_block_id(CreateBlock.BOARD, rev), CreateAction.BOARD)
        board_id = draft.board_id
        if entry is not None:
            board_id, _ = _selected(entry)
            update["board_id"] = board_id
        entry = _entry(values, create_block_id(CreateBlock.STATUS, rev, board_id), CreateAction.STATUS)
        if entry is not None:
            update["status_id"], _ = _selected(entry)
        elif board_id != draft.board_id:
            update["status_id"] = None  # a status belongs to one board
        entry = _entry(values, create_block_id(CreateBlock.PRIORITY, rev), CreateAction.PRIORITY)
        if entry is not None:
            update["priority_id"], _ = _selected(entry)
        entry = _entry(values, create_block_id(CreateBlock.ASSIGNEE, rev), CreateAction.ASSIGNEE)
        if entry is not None:
            member_id, member_name = _selected(entry)
            update["assigned_member_id"] = member_id
            update["assigned_member_name"] = member_name if member_id is not None else None
    merged = draft.model_copy(update=update)
    if merged.missing_fields:
        still = [f for f in merged.missing_fields if getattr(merged, f, None) in (None, "")]
        merged = merged.model_copy(update={"missing_fields": still})
    return merged
