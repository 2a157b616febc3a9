"""`AppDeps`: everything a listener or flow needs, built once at start-up and passed in (no globals)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from slack_sdk.web.async_client import AsyncWebClient

from ai.spinoff import ClaudeSpinoffDetector, HeuristicSpinoffDetector, SpinoffDetector
from bot.changes import ChangeFeed
from bot.directory import SlackDirectory
from bot.flows import list_refresh, stored, thread_context
from bot.flows.work import InProcessWorkQueue, WorkQueue
from bot.jobs.config import jobs_config
from bot.jobs.limits import site_limiter
from bot.jobs.runtime import BoxSealer, Jobs
from bot.jobs.thread import WorkerThread
from bot.mapping_cache import PeopleCache
from bot.parsers import ParserRegistry, build_parsers
from bot.rowcache import RowCache
from bot.settings import Settings
from bot.slack_clients import SlackClients
from bot.tasks import TaskSupervisor
from bot.workspaces import HttpFactory, WorkspaceRegistry, env_credentials
from psa.connectwise.site import SitePolicy
from psa.registry import ProviderRegistry
from storage import ConnectionCredentials, Storage, load_or_create_keys
from storage.db import is_memory_sqlite, normalize_database_url
from storage.maintenance import prune_processed_events

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class AppDeps:
    """Shared services handed to every `register(app, deps)` and every flow."""

    settings: Settings
    storage: Storage
    workspaces: WorkspaceRegistry
    tasks: TaskSupervisor = field(default_factory=TaskSupervisor)
    directory: SlackDirectory = field(default_factory=SlackDirectory)
    rows: RowCache = field(default_factory=RowCache)
    kept_lists: stored.KeptLists = field(default_factory=stored.KeptLists)  # list snapshots written here
    now: Callable[[], datetime] = utc_now
    anthropic: AsyncAnthropic | None = None  # the one model client (parser and spin-offs), closed here
    spinoff: SpinoffDetector = field(default_factory=HeuristicSpinoffDetector)
    changes: ChangeFeed | None = None  # committed connection/mapping changes, from every process
    replies_cooldown: thread_context.RepliesCooldown = field(default_factory=thread_context.RepliesCooldown)
    parser_registry: InitVar[ParserRegistry | None] = None
    parsers: ParserRegistry = field(init=False)  # the AI ticket parser of each workspace
    work: WorkQueue = field(init=False)  # where listeners hand post-ack work (in-process by default)
    jobs: Jobs | None = None  # the job engine behind `work` (bot/jobs), when build_deps made one
    worker_thread: WorkerThread | None = None  # `work` when the embedded worker has a thread of its own
    slack: SlackClients = field(init=False)  # each workspace's Slack client, one pooled session

    def __post_init__(self, parser_registry: ParserRegistry | None) -> None:
        self.parsers = parser_registry or ParserRegistry(self.workspaces)
        self.work = InProcessWorkQueue(self)
        installations = None
        if self.settings.oauth_mode and self.settings.slack_client_id:
            installations, _ = self.storage.slack_oauth_stores(self.settings.slack_client_id)
        self.slack = SlackClients.from_settings(self.settings, installations)

    async def slack_client_for(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient:
        """The Slack client that acts as the app in this workspace (raises NotInstalled)."""
        return await self.slack.for_team(team_id, enterprise_id)

    async def housekeep(self) -> int:
        """Housekeeping: forget Slack event ids Slack no longer retries, expired view states, old thread
        context and response_url counts."""
        async with self.storage.session() as session:
            pruned = await prune_processed_events(session=session)
        if pruned:
            log.info("pruned %d processed Slack event ids", pruned)
        states = await stored.prune(self.storage)
        if states:
            log.info("pruned %d expired view states", states)
        kept = await thread_context.prune(self.storage) + await list_refresh.prune(self.storage)
        if kept:
            log.info("pruned %d old thread messages and response_url counts", kept)
        return pruned + states + kept

    async def aclose(self, *, drain_timeout: float = 10.0) -> None:
        """Let running background work finish (bounded), then close PSA clients and the database."""
        try:
            await self.work.drain(drain_timeout)
            await self.tasks.drain(drain_timeout)
        except TimeoutError:
            log.warning("shutting down with %d background tasks still running", self.tasks.pending)
            await self.tasks.cancel_all()
        if self.jobs is not None:
            await self.jobs.aclose()  # a worker here stops gracefully (running jobs get a grace)
        if self.worker_thread is not None:
            await self.worker_thread.aclose()  # its deps drain and close on its own loop
        self.parsers.clear()
        if self.anthropic is not None:
            await self.anthropic.close()
        if self.changes is not None:
            await self.changes.aclose()
        await self.workspaces.aclose()
        await self.storage.close()


def _allowed_hosts(settings: Settings, env: ConnectionCredentials | None) -> list[str]:
    """CW_ALLOWED_PRIVATE_HOSTS, and the host of the operator's own CW_BASE_URL: both are the operator's
    explicit choice (a workspace admin's site, typed in the connect modal, is what the policy is for)."""
    hosts = list(settings.cw_allowed_private_hosts)
    host = urlsplit(env.base_url).hostname if env is not None else None
    return [*hosts, host] if host else hosts


def key_file_for(database_url: str) -> Path:
    """Where the local encryption key lives without TICKETS_SECRET_KEY: beside the SQLite file."""
    url = normalize_database_url(database_url)
    if url.get_backend_name() == "sqlite" and not is_memory_sqlite(url) and url.database:
        return Path(url.database).expanduser().resolve().parent / KEY_FILE_NAME
    return Path("data") / KEY_FILE_NAME


def embedded_worker_thread(settings: Settings) -> bool:
    """Whether `serve` runs its jobs on a loop of their own in a thread: embedded on a SQLite file."""
    url = normalize_database_url(settings.database_url)
    return (
        settings.workers == "embedded"
        and settings.embedded_worker == "thread"
        and url.get_backend_name() == "sqlite"
        and not is_memory_sqlite(url)
    )


def build_storage(settings: Settings, *, runs_jobs: bool = True) -> Storage:
    """The app's Storage for DATABASE_URL, with the encryption key from settings (or the local key file)."""
    newest, *previous = load_or_create_keys(
        settings.secret_keys, key_file=key_file_for(settings.database_url), app_env=settings.app_env
    )
    url = normalize_database_url(settings.database_url)
    pool: dict[str, Any] = {}
    if not is_memory_sqlite(url):  # an in-memory SQLite database lives in one connection
        config = jobs_config(settings.workers, settings.worker_concurrency)
        pool = config.database_pool(runs_jobs=runs_jobs and settings.workers == "embedded")
    return Storage(settings.database_url, newest, previous_keys=previous, **pool)


def build_anthropic(settings: Settings, *, http: Any | None = None) -> AsyncAnthropic | None:
    """The app's one model client when ANTHROPIC_API_KEY is set (`http`: the SDK's own HTTP client,
    which tests give a local transport); AppDeps closes it."""
    if settings.anthropic_api_key is None:
        return None
    import anthropic  # a second to import: only paid when Claude is configured

    # One retry: every caller has a fallback (the offline parser / heuristic), so failing fast is better.
    return anthropic.AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(), max_retries=1, http_client=http
    )


def build_spinoff_detector(settings: Settings, client: AsyncAnthropic | None) -> SpinoffDetector:
    """Claude (heuristic fallback) with the app's model client, else the offline heuristic."""
    if client is None:
        return HeuristicSpinoffDetector()
    return ClaudeSpinoffDetector(client, settings.anthropic_model, fallback=HeuristicSpinoffDetector())


def build_deps(
    settings: Settings,
    *,
    storage: Storage | None = None,
    factories: ProviderRegistry | None = None,
    http_factory: HttpFactory | None = None,
    now: Callable[[], datetime] = utc_now,
) -> AppDeps:
    """Compose the app's services from settings; tests pass their own storage, provider registry or clock."""
    # A worker thread builds deps of its own from settings: not when a caller injects any of them.
    threaded = (
        storage is None and factories is None and http_factory is None and embedded_worker_thread(settings)
    )
    storage = storage or build_storage(settings, runs_jobs=not threaded)
    # CW_* variables describe the one workspace of a single-workspace install; in OAuth mode every
    # workspace connects its own PSA, so they must never apply to all of them.
    env = None
    if not settings.oauth_mode:
        env = env_credentials(
            settings.cw_base_url,
            settings.cw_company_id,
            settings.cw_public_key,
            settings.cw_private_key,
            settings.cw_client_id,
        )
    workspaces = WorkspaceRegistry(
        storage,
        env_credentials=env,
        factories=factories,
        http_factory=http_factory,
        limiter=site_limiter(settings.database_url, per_minute=settings.cw_requests_per_minute),
        site_policy=SitePolicy.build(
            production=settings.production, allowed_private_hosts=_allowed_hosts(settings, env)
        ),
    )
    changes = ChangeFeed(storage.engine)
    changes.subscribe(workspaces.changed)
    workspaces.people = PeopleCache()  # the feed tells the registry of every change: safe to keep them
    model = build_anthropic(settings)
    deps = AppDeps(
        settings=settings,
        storage=storage,
        workspaces=workspaces,
        changes=changes,
        now=now,
        anthropic=model,
        spinoff=build_spinoff_detector(settings, model),
        parser_registry=build_parsers(settings, workspaces, model),
    )
    if threaded:
        # The jobs, their periodic functions and their deps live in the worker's thread (bot/jobs/thread.py).
        deps.worker_thread = WorkerThread(
            settings.model_copy(update={"embedded_worker": "loop"}), deps, build=build_deps
        )
        deps.work = deps.worker_thread
        return deps
    deps.jobs = Jobs(settings, sealer=BoxSealer(storage.box))
    deps.jobs.attach(deps)
    from bot.flows.live.jobs import register_live_jobs  # flows import deps' types: not at module top

    register_live_jobs(deps)
    from bot.flows.time.nudge import register_nudges

    register_nudges(deps)  # the end-of-day time reminder's periodic job
    from bot.flows.create.recover import register_create_recovery

    register_create_recovery(deps, deps.jobs.engine.periodic)  # creates a dead process left unfinished
    return deps
