"""Typed view state that travels in button values, block ids and `private_metadata`.

Everything encodes to compact JSON and always fits the slot it is meant for: when it would not,
the least important text (search text, hidden prompt, warnings) is shortened, never a crash.
Free text the user is typing lives in input blocks; `draft_from_view` / `note_from_view` merge
it back with the metadata so typing survives re-renders, tab switches and failed submits.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from bot.ids import (
    CreateAction,
    CreateBlock,
    DetailAction,
    create_block_id,
    note_block_id,
    note_internal_block_id,
)
from psa.models import SUMMARY_MAX, TicketCreatePayload, TicketFilters

BUTTON_VALUE_MAX = 2000
METADATA_MAX = 3000
BLOCK_ID_MAX = 255
NAME_MAX = 80
WARNING_MAX = 200
WARNINGS_KEPT = 5
PAGE_SIZE = 25


class StateError(ValueError):
    """A value, block id or private_metadata that is not state this app wrote."""


def _dump(data: dict[str, Any], *, ascii_only: bool = False) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=ascii_only)


def _load(raw: str | None) -> dict[str, Any]:
    if not raw:
        raise StateError("no state")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, TypeError) as exc:
        raise StateError("state is not JSON") from exc
    if not isinstance(data, dict):
        raise StateError("state is not an object")
    return data


def _fit_text(build: Any, text: str, limit: int) -> tuple[str, str]:
    """Longest prefix of `text` for which `build(prefix)` is ≤ limit chars; returns (encoded, prefix)."""
    encoded = build(text)
    if len(encoded) <= limit:
        return encoded, text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(build(text[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return build(text[:lo]), text[:lo]


# --------------------------------------------------------------------------- list


class ListState(BaseModel):
    """Filters + page of a list message. Names ride along so a re-render needs no lookup."""

    filters: TicketFilters = Field(default_factory=TicketFilters)
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=PAGE_SIZE, ge=1, le=100)
    company_name: str | None = None
    assigned_name: str | None = None  # when filters.assigned is a member id

    @classmethod
    def mine(cls) -> ListState:
        """The default `/tickets` list: open tickets assigned to me."""
        return cls(filters=TicketFilters(assigned="me"))

    @property
    def is_mine(self) -> bool:
        """True when this is exactly the default "my open tickets" list."""
        return self.filters == TicketFilters(assigned="me")

    def with_filter(self, **changes: Any) -> ListState:
        """Change filters (TicketFilters fields, plus company_name/assigned_name) and go to page 1."""
        filter_changes = {k: v for k, v in changes.items() if k in TicketFilters.model_fields}
        unknown = set(changes) - set(filter_changes) - {"company_name", "assigned_name"}
        if unknown:
            raise TypeError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        filters = TicketFilters.model_validate({**self.filters.model_dump(), **filter_changes})
        company_name = self.company_name if filters.company_id == self.filters.company_id else None
        assigned_name = self.assigned_name if filters.assigned == self.filters.assigned else None
        if not isinstance(filters.assigned, int):
            assigned_name = None
        return self.model_copy(
            update={
                "filters": filters,
                "page": 1,
                "company_name": changes.get("company_name", company_name),
                "assigned_name": changes.get("assigned_name", assigned_name),
            }
        )

    def with_page(self, page: int) -> ListState:
        """The same filters on another page (never below 1)."""
        return self.model_copy(update={"page": max(1, page)})

    def _compact(self, search: str) -> dict[str, Any]:
        f = self.filters
        data: dict[str, Any] = {}
        if search:
            data["q"] = search
        for key, value in (("b", f.board_id), ("s", f.status_id), ("p", f.priority_id), ("c", f.company_id)):
            if value is not None:
                data[key] = value
        if f.assigned != "all":
            data["a"] = f.assigned
        if f.include_closed:
            data["x"] = 1
        if self.page != 1:
            data["pg"] = self.page
        if self.page_size != PAGE_SIZE:
            data["ps"] = self.page_size
        if self.company_name and f.company_id is not None:
            data["cn"] = self.company_name[:NAME_MAX]
        if self.assigned_name and isinstance(f.assigned, int):
            data["an"] = self.assigned_name[:NAME_MAX]
        return data

    def encode(self, limit: int = BUTTON_VALUE_MAX, *, ascii_only: bool = False) -> str:
        """Compact JSON ≤ `limit` chars; the search text is shortened (then names dropped) to fit."""
        return self.fit_into(lambda data: _dump(data, ascii_only=ascii_only), limit)

    def fit_into(self, build: Any, limit: int) -> str:
        """`build(compact_dict)` → str, with the search text shortened until the result fits `limit`."""
        encoded, _ = _fit_text(lambda q: build(self._compact(q)), self.filters.search, limit)
        if len(encoded) > limit:
            bare = self.model_copy(update={"company_name": None, "assigned_name": None})
            encoded = build(bare._compact(""))
        if len(encoded) > limit:
            raise StateError(f"list state cannot fit in {limit} characters")
        return encoded

    @classmethod
    def decode(cls, raw: str | None) -> ListState:
        """Parse `encode` output; raises StateError for anything else."""
        return cls.from_compact(_load(raw))

    @classmethod
    def from_compact(cls, data: Any) -> ListState:
        """Build from the compact dict that `encode` serialises."""
        if not isinstance(data, dict):
            raise StateError("list state is not an object")
        try:
            filters = TicketFilters(
                search=data.get("q", ""),
                board_id=data.get("b"),
                status_id=data.get("s"),
                priority_id=data.get("p"),
                company_id=data.get("c"),
                assigned=data.get("a", "all"),
                include_closed=bool(data.get("x", 0)),
            )
            return cls(
                filters=filters,
                page=data.get("pg", 1),
                page_size=data.get("ps", PAGE_SIZE),
                company_name=data.get("cn"),
                assigned_name=data.get("an"),
            )
        except ValidationError as exc:
            raise StateError("bad list state") from exc


class SearchModalState(BaseModel):
    """private_metadata of the list's search modal: the list it came from and where to answer."""

    list_state: ListState
    response_url: str | None = None

    def encode(self) -> str:
        """Compact JSON ≤ 3000 chars."""
        url = self.response_url if self.response_url and len(self.response_url) < 1000 else None
        return self.list_state.fit_into(lambda data: _dump({"r": url, "s": data}), METADATA_MAX)

    @classmethod
    def decode(cls, raw: str | None) -> SearchModalState:
        """Parse `encode` output; raises StateError otherwise."""
        data = _load(raw)
        return cls(list_state=ListState.from_compact(data.get("s")), response_url=data.get("r"))


# --------------------------------------------------------------------------- detail


class Origin(BaseModel):
    """Where a modal was opened from: a channel message / thread."""

    channel_id: str
    thread_ts: str | None = None
    message_ts: str | None = None


class DetailState(BaseModel):
    """private_metadata of the detail modal."""

    ticket_id: int
    list_context: ListState | None = None
    origin: Origin | None = None  # the channel to share into / the thread it came from
    response_url: str | None = None  # the list message to refresh after a change
    note_rev: int = 0  # bumped after a note is added, which clears the composer

    def encode(self) -> str:
        """Compact JSON ≤ 3000 chars; drops the list context's search text, then the context, to fit."""
        base: dict[str, Any] = {"t": self.ticket_id}
        if self.note_rev:
            base["n"] = self.note_rev
        if self.origin:
            base["o"] = self.origin.model_dump(exclude_none=True)
        if self.response_url and len(self.response_url) < 1000:
            base["r"] = self.response_url
        if self.list_context is not None:
            try:
                return self.list_context.fit_into(lambda data: _dump({**base, "l": data}), METADATA_MAX)
            except StateError:
                pass  # the list context is a convenience; the ticket id is what matters
        return _dump(base)

    @classmethod
    def decode(cls, raw: str | None) -> DetailState:
        """Parse `encode` output; raises StateError otherwise."""
        data = _load(raw)
        try:
            return cls(
                ticket_id=data["t"],
                note_rev=data.get("n", 0),
                origin=Origin.model_validate(data["o"]) if data.get("o") else None,
                response_url=data.get("r"),
                list_context=ListState.from_compact(data["l"]) if "l" in data else None,
            )
        except (KeyError, ValidationError) as exc:
            raise StateError("bad detail state") from exc


class NoteDraft(BaseModel):
    text: str | None = None
    internal: bool = True


def note_from_view(view: dict[str, Any]) -> tuple[DetailState, NoteDraft]:
    """The detail modal's state and what is typed in its note composer."""
    state = DetailState.decode(view.get("private_metadata"))
    values = _state_values(view)
    text_entry = values.get(note_block_id(state.note_rev), {}).get(DetailAction.NOTE_TEXT) or {}
    text = (text_entry.get("value") or "").strip() or None
    internal_entry = values.get(note_internal_block_id(state.note_rev), {}).get(DetailAction.NOTE_INTERNAL)
    internal = True
    if internal_entry is not None:
        selected = internal_entry.get("selected_options") or []
        internal = any(opt.get("value") == "internal" for opt in selected)
    return state, NoteDraft(text=text, internal=internal)


# --------------------------------------------------------------------------- create draft

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
_TEXT_FIELDS = ("summary", "prompt", "description")  # the order they claim metadata room in


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

    def encode(self, *, carry_all_text: bool = False) -> str:
        """private_metadata ≤ 3000 chars: ids, names, flags; free text only when its input is hidden.

        `carry_all_text` is for views without inputs (Parsing…, Creating…): then all text rides
        along, shortened if it must be.
        """
        data = self.model_dump(exclude_none=True, exclude=set(_TEXT_FIELDS) | {"missing_fields", "warnings"})
        for key in ("company_name", "assigned_member_name"):
            if key in data:
                data[key] = data[key][:NAME_MAX]
        if not self.origin:
            data.pop("origin", None)
        if self.missing_fields:
            data["missing_fields"] = [m[:40] for m in self.missing_fields[:10]]
        warnings = [w[:WARNING_MAX] for w in self.warnings[:WARNINGS_KEPT]]
        if warnings:
            data["warnings"] = warnings
        while len(_dump(data)) > METADATA_MAX - 64 and data.get("warnings"):
            data["warnings"] = data["warnings"][:-1]
        hidden = [
            name
            for name in _TEXT_FIELDS
            if (carry_all_text or not self._visible(name)) and getattr(self, name)
        ]
        for name in hidden:
            base = dict(data)
            encoded, kept = _fit_text(
                lambda t, b=base, n=name: _dump({**b, n: t}), getattr(self, name), METADATA_MAX
            )
            if kept and len(encoded) <= METADATA_MAX:
                data = json.loads(encoded)
        return _dump(data)

    def _visible(self, name: str) -> bool:
        if name == "prompt":
            return self.prompt_visible
        return self.form_visible

    @classmethod
    def decode(cls, raw: str | None) -> TicketDraft:
        """Parse `encode` output; raises StateError otherwise."""
        data = _load(raw)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise StateError("bad draft") from exc


def _state_values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    state = view.get("state") or {}
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


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


def draft_from_view(view: dict[str, Any]) -> TicketDraft:
    """The draft of a create modal: private_metadata merged with what the user typed/selected."""
    draft = TicketDraft.decode(view.get("private_metadata"))
    values = _state_values(view)
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
