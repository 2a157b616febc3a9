"""When a job runs again: only when the work asked for it (`RetryLater`), with exponential backoff.

A job is *at least once*: besides these retries, a job whose worker died (SIGKILL, lost host) or was
stopped mid-job is run again by another worker. Flows that write therefore claim their idempotency
key (the ledger) before writing; a rerun finds the claim and goes to reconciliation instead of
writing twice. `RetryLater` is for reads and for writes known not to have been sent.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job


class RetryLater(Exception):
    """Raised by work that failed for a passing reason (ConnectWise busy or down) and is safe to rerun.

    `after`: the least number of seconds to wait (a 429's Retry-After), when the cause said so.
    """

    def __init__(self, reason: str, *, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


@dataclass(frozen=True)
class Attempt:
    """Which run of a job this is: `number` from 1; `final` when no retry will follow."""

    number: int
    final: bool


_OUTSIDE_A_JOB = Attempt(number=1, final=True)
_ATTEMPT: ContextVar[Attempt | None] = ContextVar("job_attempt", default=None)


def current_attempt() -> Attempt:
    """The attempt of the job running in this task (outside a job: the first and final one).

    Work consults it to decide between `raise RetryLater` (not final: the user was told "trying
    again") and answering the user with the error (final).
    """
    return _ATTEMPT.get() or _OUTSIDE_A_JOB


def set_attempt(attempt: Attempt) -> None:
    """Set by the job engine before it runs a job's work."""
    _ATTEMPT.set(attempt)


# A job waiting for its retry keeps its workspace's fairness lock, and on Postgres procrastinate skips
# every job queued behind a *waiting* job of the same lock unless that job has a lower priority
# (procrastinate_fetch_job_v2). So a retry goes back below fresh work: attempt n waits at priority
# -n, and the workspace's later jobs run meanwhile instead of queueing behind its backoff. Retries
# of one slot still go in order among themselves (a later attempt has the longer backoff anyway).
def retry_priority(attempt: int) -> int:
    """The priority of a job's `attempt`-th run (fresh work is 0, retries below it)."""
    return -(attempt - 1)


class Backoff(BaseRetryStrategy):
    """Retry `RetryLater` up to `max_attempts` runs in all, waiting base * 2**(n-1) s before run n+1
    (or the cause's Retry-After, when longer), below fresh work (`retry_priority`)."""

    def __init__(self, max_attempts: int, base: float) -> None:
        self.max_attempts = max_attempts
        self.base = base

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        """procrastinate's hook: None = do not retry."""
        runs = job.attempts + 1
        if not isinstance(exception, RetryLater) or runs >= self.max_attempts:
            return None
        wait = max(self.delay(runs), exception.after or 0.0)
        return RetryDecision(
            retry_at=datetime.now(UTC) + timedelta(seconds=wait), priority=retry_priority(runs + 1)
        )

    def delay(self, runs: int) -> float:
        """Seconds to wait after `runs` failed runs."""
        return self.base * 2 ** (runs - 1)

    def attempt(self, previous_runs: int) -> Attempt:
        """The attempt a job with `previous_runs` runs behind it is on."""
        number = previous_runs + 1
        return Attempt(number=number, final=number >= self.max_attempts)
