"""The Work it modal: what its private_metadata carries, and what the user typed into it."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.ids import WorkField
from bot.state.codec import METADATA_MAX, StateError, decode, encode, state_values
from psa.models import BillableOption, NoteTarget

Billing = Literal["default"] | BillableOption
KEEP_STATUS = "keep"


class WorkMeta(BaseModel):
    """private_metadata of the Work it modal: small ids only; what was typed lives in the inputs."""

    model_config = ConfigDict(populate_by_name=True)

    ticket_id: int = Field(alias="t")
    key: str = Field(alias="k")  # the idempotency key of this modal's one submit (parts use sub-keys)
    tz: str = Field(default="UTC", alias="z")  # the engineer's Slack time zone: a start–end is read there
    board_id: int | None = Field(default=None, alias="b")
    parent_view_id: str | None = Field(default=None, alias="p")  # the detail it was pushed from
    channel_id: str | None = Field(default=None, alias="c")
    # The board's closed statuses: a status that closes the ticket is set after the time.
    closed_ids: list[int] = Field(default_factory=list, alias="x", max_length=100)

    def encode(self) -> str:
        """Compact JSON (ids and a time zone name: far below the 3000 characters of the slot)."""
        return encode(self, METADATA_MAX)

    @classmethod
    def decode(cls, raw: str | None) -> WorkMeta:
        """Parse `encode` output; raises StateError otherwise."""
        return decode(cls, raw)


class WorkDraft(BaseModel):
    """Everything the Work it modal's inputs hold (each part optional)."""

    duration: str = ""
    day: date | None = None
    work_type_id: int | None = None
    work_role_id: int | None = None
    billing: Billing = "default"
    note: str = ""
    note_target: NoteTarget = "discussion"
    status_id: int | None = None  # None: keep the current status
    email_contact: bool = False

    @property
    def logs_time(self) -> bool:
        """Whether time is to be logged (a duration or start–end was typed)."""
        return bool(self.duration.strip())


def _entry(values: dict[str, dict[str, Any]], field: WorkField) -> dict[str, Any]:
    block = values.get(field.value) or {}
    entry = block.get(field.value) if isinstance(block, dict) else None
    return entry if isinstance(entry, dict) else {}


def _selected(entry: dict[str, Any]) -> str | None:
    option = entry.get("selected_option")
    return str(option.get("value")) if isinstance(option, dict) and option.get("value") else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def draft_from_state(view: dict[str, Any]) -> WorkDraft:
    """The typed values of a submitted (or clicked-in) Work it modal."""
    values = state_values(view)
    day_text = _entry(values, WorkField.DAY).get("selected_date")
    try:
        day = date.fromisoformat(day_text) if isinstance(day_text, str) and day_text else None
    except ValueError:
        day = None
    billing = _selected(_entry(values, WorkField.BILLING)) or "default"
    target = _selected(_entry(values, WorkField.NOTE_TARGET)) or "discussion"
    status = _selected(_entry(values, WorkField.STATUS))
    emailed = _entry(values, WorkField.EMAIL).get("selected_options") or []
    try:
        return WorkDraft(
            duration=str(_entry(values, WorkField.DURATION).get("value") or ""),
            day=day,
            work_type_id=_int(_selected(_entry(values, WorkField.WORK_TYPE))),
            work_role_id=_int(_selected(_entry(values, WorkField.WORK_ROLE))),
            billing=billing,
            note=str(_entry(values, WorkField.NOTE).get("value") or ""),
            note_target=target,
            status_id=None if status in (None, KEEP_STATUS) else _int(status),
            email_contact=bool(emailed),
        )
    except ValidationError as exc:
        raise StateError("a Work it value this app did not offer") from exc
