"""Data shapes of the AI layer: extracted mentions, the parse response, spin-off suggestions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from psa.models import SUMMARY_MAX

REQUIRED_FIELDS: tuple[str, ...] = ("summary", "company_id", "board_id", "status_id", "priority_id")
DESCRIPTION_MAX = 4000
MENTION_MAX = 120


def _clip(value: object, limit: int) -> object:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value[:limit].rstrip()
    return value


class Mentions(BaseModel):
    """What a request says about the ticket, in the user's own words. Never ids."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"required": ["summary"]})

    summary: Annotated[
        str,
        Field(
            max_length=SUMMARY_MAX,
            description="A short title for the problem itself (at most 100 characters), without the "
            "company name, priority, board or assignee words.",
        ),
    ] = ""
    description: Annotated[
        str | None,
        Field(
            max_length=DESCRIPTION_MAX,
            description="The useful details of the problem, or the whole request cleaned up.",
        ),
    ] = None
    company: Annotated[
        str | None,
        Field(max_length=MENTION_MAX, description="The client company name exactly as written, if any."),
    ] = None
    board_hint: Annotated[
        str | None,
        Field(max_length=MENTION_MAX, description="The service board named in the request, if any."),
    ] = None
    priority_words: Annotated[
        list[Annotated[str, Field(max_length=40)]],
        Field(
            max_length=8,
            description="Words that express urgency, as written (e.g. 'urgent', 'low priority', 'asap').",
        ),
    ] = Field(default_factory=list)
    assignee: Annotated[
        str | None,
        Field(
            max_length=MENTION_MAX,
            description="Who should work on it: 'me' when the requester assigns it to themself, "
            "'unassigned' when they say to leave it unassigned, otherwise the person's name as written.",
        ),
    ] = None
    status_hint: Annotated[
        str | None,
        Field(max_length=MENTION_MAX, description="A ticket status named in the request, if any."),
    ] = None

    @field_validator("summary", mode="before")
    @classmethod
    def _clip_summary(cls, value: object) -> object:
        return _clip(value, SUMMARY_MAX) if value is not None else ""

    @field_validator("description", mode="before")
    @classmethod
    def _clip_description(cls, value: object) -> object:
        return _clip(value, DESCRIPTION_MAX)

    @field_validator("priority_words", mode="before")
    @classmethod
    def _clip_words(cls, value: object) -> object:
        if isinstance(value, list):
            return [_clip(word, 40) for word in value[:8]]
        return value

    @field_validator("company", "board_hint", "assignee", "status_hint", mode="before")
    @classmethod
    def _clip_mention(cls, value: object) -> object:
        value = _clip(value, MENTION_MAX)
        return value or None


class Extraction(BaseModel):
    """An extractor's result: the mentions plus anything the user should know about how they were read."""

    mentions: Mentions
    warnings: list[str] = Field(default_factory=list)
    source: Literal["claude", "heuristic"] = "heuristic"


class AiParseResponse(BaseModel):
    """The spec's parse payload: every pre-fill field nullable, plus what is missing and why."""

    summary: str | None = None
    company_id: int | None = None
    board_id: int | None = None
    priority_id: int | None = None
    status_id: int | None = None
    assigned_member_id: int | None = None
    description: str | None = None
    missing_fields: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class SpinoffSuggestion(BaseModel):
    """A suggested second ticket: the button label and the text for the Quick Create prompt."""

    label: str
    description: str
    # Earlier thread messages the detector judged without (not kept for the thread, never read from
    # Slack, or no room in its prompt): the suggestion says so.
    left_out: int = 0


class ThreadContext(BaseModel):
    """What the spin-off detector sees: the linked ticket, the recent thread and the new message."""

    ticket_summary: str
    ticket_description: str | None = None
    ticket_notes: list[str] = Field(default_factory=list)
    thread: list[str] = Field(default_factory=list)  # earlier messages, oldest first
    earlier_left_out: int = 0  # older messages of the thread not in `thread` (not kept, or never read)
    message: str
