"""Post-ack work as durable jobs: the backends behind `WorkQueue` and the worker.

Engine: procrastinate (3.x), a maintained Postgres job queue. Weighed against pgqueuer:
- both defer with one INSERT, wake workers with LISTEN/NOTIFY and fetch with `FOR UPDATE SKIP LOCKED`;
- procrastinate has what this app needs built in: per-job *locks* (jobs sharing a lock run one at a time
  across every worker — the per-workspace cap below), priorities, retry strategies with backoff,
  periodic tasks deferred once per tick across all workers (a unique index, not a leader election),
  worker heartbeats with stalled-job detection (a SIGKILLed worker's job is found and re-run), a
  schema shipped with its own migration files, and an in-memory connector that runs the very same
  worker loop without a database — so the SQLite install runs the same job functions in-process;
- pgqueuer is leaner per job (no locks/events tables) and has per-entrypoint concurrency limits and
  rate limits, but it is Postgres-only (no in-memory path: the SQLite install would need a second code
  path) and per-*entrypoint* limits do not express per-*workspace* fairness.

Modules: `config` (the knobs, from Settings), `connector` (Postgres or in-process; `waking`: the
Postgres one's worker wake-ups), `engine` (the app, the work task, the worker), `queue`
(`JobQueue.submit/drain`; `handoff`: concurrent acks' jobs in one statement), `periodic`
(`register_periodic`), `retry` (what makes a job run again), `schema` (procrastinate's schema, applied
by `python -m bot migrate`), `limits` (where the per-site ConnectWise rate limit counts), `thread` (the
embedded worker in a thread of `serve`). Fairness (a noisy workspace kept from starving the others) is
`queue.fairness_lock`.
"""

from bot.jobs.config import JobsConfig, WorkersMode
from bot.jobs.engine import JobEngine, Runner
from bot.jobs.periodic import PeriodicFn, PeriodicRegistry
from bot.jobs.queue import JobQueue
from bot.jobs.retry import RetryLater, current_attempt

__all__ = [
    "JobEngine",
    "JobQueue",
    "JobsConfig",
    "PeriodicFn",
    "PeriodicRegistry",
    "RetryLater",
    "Runner",
    "WorkersMode",
    "current_attempt",
]
