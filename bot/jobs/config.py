"""The knobs of post-ack execution, with the reasoning behind their defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

WorkersMode = Literal["embedded", "external"]

# One workspace's ConnectWise client has an HTTP pool of 20 connections (bot/workspaces.py) and a
# flow makes up to ~4 requests at once (a detail: ticket, notes, resources, priorities): 4 jobs of
# one workspace at a time keep its pool below saturation, whatever the number of workers.
WORKSPACE_CONCURRENCY = 4
# Jobs one process runs at once. Each holds at most one database session at a time, so the
# SQLAlchemy pool is sized from it (see `database_pool`).
WORKER_CONCURRENCY = 16


class JobsConfig(BaseModel):
    """How post-ack work runs: where (embedded in `serve` or in `worker` processes) and how much at once."""

    workers: WorkersMode = "embedded"
    concurrency: int = Field(default=WORKER_CONCURRENCY, ge=1, le=200)
    workspace_concurrency: int = Field(default=WORKSPACE_CONCURRENCY, ge=1, le=64)
    # Retries of work that said "retry later" (ConnectWise briefly unavailable): attempts in all,
    # and the backoff before attempt n+1 = retry_base * 2**(n-1) seconds.
    max_attempts: int = Field(default=4, ge=1)
    retry_base: float = Field(default=1.0, ge=0)
    # A worker that has not written its heartbeat for `stalled_after` seconds is dead (SIGKILL, lost
    # host): its running jobs are handed to another worker by the `recover-stalled` periodic job.
    heartbeat: float = Field(default=5.0, gt=0)
    stalled_after: float = Field(default=30.0, gt=0)
    # Workers also poll for jobs (LISTEN/NOTIFY wakes them at once; polling catches retries that come
    # due and notifications lost while reconnecting).
    poll_interval: float = Field(default=1.0, gt=0)
    # How long a stopping worker lets running jobs finish before aborting them (they are re-run).
    shutdown_grace: float = Field(default=10.0, ge=0)
    # When this many jobs wait ahead of a new one, its user is told at once that an answer is coming.
    busy_backlog: int = Field(default=50, ge=1)
    # How often the periodic housekeeping and recovery run (seconds).
    recover_every: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _stalled_needs_heartbeats(self) -> JobsConfig:
        if self.stalled_after <= 2 * self.heartbeat:
            raise ValueError("stalled_after must exceed two heartbeats, or live workers look dead")
        return self

    def database_pool(self, *, runs_jobs: bool) -> dict[str, int | float]:
        """SQLAlchemy pool settings: a connection for every job this process runs, plus a few for acks.

        A job holds at most one session at a time, so `concurrency` jobs never exhaust the pool; web
        processes with external workers only ack and defer. Waiting (pool_timeout) beats failing.
        """
        base = self.concurrency + 4 if runs_jobs else 5
        return {"pool_size": base, "max_overflow": 4, "pool_timeout": 60.0}


def jobs_config(workers: WorkersMode, concurrency: int, *, stalled_after: float = 30.0) -> JobsConfig:
    """The knobs for a deployment: Settings.workers, worker_concurrency and jobs_stalled_after.

    Heartbeats come six times per `stalled_after`, and dead workers are looked for three times.
    """
    return JobsConfig(
        workers=workers,
        concurrency=concurrency,
        stalled_after=stalled_after,
        heartbeat=stalled_after / 6,
        recover_every=_divisor_of_60(max(1, int(stalled_after / 3))),
        poll_interval=min(1.0, stalled_after / 6),
    )


def _divisor_of_60(seconds: int) -> int:
    # Periodic ticks are cron lines: a period must divide a minute.
    return max(d for d in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) if d <= seconds)
