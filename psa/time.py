"""`TimeSpan`: the worked interval of a time entry, and the rules every PSA holds time to.

Parsing what a person types ("30m", "1h15", "9:00-10:30") belongs to the bot; it ends here, as a
start and an end in UTC. The rules live in one place so the modal, the quick command and the
provider refuse the same things with the same words: at least a minute, at most a day, ending after
it starts, and not in the future (a minute of grace absorbs clock skew between us and the PSA).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from psa.errors import PSAValidationError

MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(hours=24)
FUTURE_GRACE = timedelta(minutes=1)


class TimeSpanError(PSAValidationError):
    """A span that breaks a rule; `fields` names the part to fix (`start`, `end` or `duration`)."""

    user_hint = "Correct the time and submit again."


class TimeSpan(BaseModel):
    """A worked interval in UTC. Build one with `checked()` to get errors that name the field."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _in_order(self) -> TimeSpan:
        problem = _shape_problem(self.start, self.end)
        if problem is not None:
            raise ValueError(problem[1])
        return self

    @property
    def duration(self) -> timedelta:
        """How long the work took."""
        return self.end - self.start

    @property
    def hours(self) -> float:
        """The duration in hours, to the hundredth (how PSAs store actual hours)."""
        return round(self.duration.total_seconds() / 3600, 2)

    @classmethod
    def checked(cls, start: datetime, end: datetime, *, now: datetime) -> TimeSpan:
        """A valid span, or a `TimeSpanError` whose `fields` says which part is wrong."""
        for name, value in (("start", start), ("end", end)):
            if value.tzinfo is None:
                raise TimeSpanError(f"The {name} time has no time zone.", fields={name: "needs a time zone"})
        problem = _shape_problem(start, end)
        if problem is not None:
            field, message = problem
            raise TimeSpanError(message, fields={field: message})
        if end > now + FUTURE_GRACE:
            message = "The end time is in the future."
            raise TimeSpanError(message, fields={"end": message})
        return cls(start=start.astimezone(UTC), end=end.astimezone(UTC))

    @classmethod
    def ending_at(cls, end: datetime, duration: timedelta, *, now: datetime) -> TimeSpan:
        """The span of `duration` that ends at `end` (e.g. "45 minutes, ending now")."""
        return cls.checked(end - duration, end, now=now)


def _shape_problem(start: datetime, end: datetime) -> tuple[str, str] | None:
    if end <= start:
        return "end", "The end time must be after the start time."
    length = end - start
    if length < MIN_DURATION:
        return "duration", "Log at least one minute."
    if length > MAX_DURATION:
        return "duration", "A time entry can cover at most 24 hours."
    return None
