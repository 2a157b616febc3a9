"""Every limit on text a user types, defined once: the modals' `max_length` and the server's own checks.

Slack enforces `max_length` only in its own client; a forged or replayed request can carry anything,
so each flow that takes typed text checks it again here, and a text over its limit is refused with a
message that names the field — never cut without telling the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.flows.errors import FlowError
from bot.slack_limits import INPUT_VALUE_MAX
from bot.text import truncate
from psa.models import SUMMARY_MAX


@dataclass(frozen=True)
class TextLimit:
    """The longest text a field takes; `label` names the field the way the user sees it."""

    label: str
    max_chars: int

    def problem(self, text: str | None) -> str | None:
        """What to tell the user when `text` is too long (None when it fits)."""
        length = len(text or "")
        if length <= self.max_chars:
            return None
        return (
            f"The {self.label} is {length:,} characters long; it can be at most {self.max_chars:,} "
            "characters. Shorten it and try again."
        )

    def check(self, text: str | None) -> None:
        """Raise InputTooLong when `text` does not fit."""
        problem = self.problem(text)
        if problem is not None:
            raise InputTooLong(self, problem)

    def fit(self, text: str) -> tuple[str, str | None]:
        """`text` shortened to fit when it must be (a prefill the user did not type here), with the
        notice that says so — or unchanged, with None."""
        if len(text) <= self.max_chars:
            return text, None
        notice = (
            f"The text was {len(text):,} characters long and the {self.label} holds {self.max_chars:,}: "
            "only its beginning is below — check what was left out."
        )
        return truncate(text, self.max_chars), notice


class InputTooLong(FlowError):
    """A typed text is over its limit; `message` names the field (told once, in bot.flows.tell)."""

    def __init__(self, limit: TextLimit, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.message = message


NOTE = TextLimit("note", 3000)
# A time entry's note. ConnectWise's OpenAPI (2025.8, as published in ai-connor/connectwise
# api/openapi.yaml) gives TimeEntry.notes no "Max length"; the stopwatches a time entry is made from do
# (ScheduleStopwatch.notes, TicketStopwatch.notes: " Max length: 4000;"). Slack's plain-text input holds
# 3,000 (INPUT_VALUE_MAX), the smaller of the two, so that is the limit the modal and the server keep.
TIME_NOTE = TextLimit("time entry note", min(INPUT_VALUE_MAX, 4000))
PROMPT = TextLimit("Quick Create description", 2000)
SUMMARY = TextLimit("summary", SUMMARY_MAX)
DESCRIPTION = TextLimit("description", 3000)
SEARCH_TEXT = TextLimit("search text", 200)
TICKET_NUMBER = TextLimit("ticket number", 12)
SITE_URL = TextLimit("site URL", 300)
COMPANY_ID = TextLimit("company ID", 100)
PUBLIC_KEY = TextLimit("public key", 200)
PRIVATE_KEY = TextLimit("private key", 200)
CLIENT_ID = TextLimit("client ID", 100)

CREATE_FIELDS = {"prompt": PROMPT, "summary": SUMMARY, "description": DESCRIPTION}
CONNECT_FIELDS = {
    "site_url": SITE_URL,
    "company_id": COMPANY_ID,
    "public_key": PUBLIC_KEY,
    "private_key": PRIVATE_KEY,
    "client_id": CLIENT_ID,
}


def too_long(limits: dict[str, TextLimit], values: dict[str, str | None]) -> dict[str, str]:
    """{field: message} for every value over its field's limit (fields without a limit are ignored)."""
    problems = {name: limits[name].problem(value) for name, value in values.items() if name in limits}
    return {name: problem for name, problem in problems.items() if problem is not None}
