"""`python -m bot run` without Slack credentials: the whole product offline, used from a browser.

One process starts the ConnectWise sandbox, the fake Slack Web API, the real app (same `create_asgi` as
`serve`) and the local workspace page, all on 127.0.0.1, and stops them cleanly on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import uvicorn
from pydantic import SecretStr

from bot.deps import AppDeps, build_deps
from bot.local.fake_slack import FakeSlack
from bot.local.signing import SlackRequestSender
from bot.local.workspace.bridge import SlackBridge
from bot.local.workspace.directory import (
    ADMIN_USER_ID,
    DEMO_MEMBER_IDENTIFIER,
    DEMO_USER_ID,
    LOCAL_CHANNELS,
    LOCAL_USERS,
    SEED_MESSAGES,
    TEAM_ID,
    TEAM_NAME,
)
from bot.local.workspace.server import WorkspaceServer
from bot.server import EVENTS_PATH, create_asgi
from bot.settings import DEFAULT_DATABASE_URL, Settings
from psa.connectwise.sandbox import SandboxServer
from storage import ConnectionCredentials, MappingConflictError
from storage.repositories import connections as connection_repo
from storage.repositories import mappings as mapping_repo

log = logging.getLogger(__name__)

SANDBOX_CLIENT_ID = "local-sandbox-client"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the local stack owns Ctrl-C for every part."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def local_settings(settings: Settings, *, data_dir: Path, fake: FakeSlack, signing_secret: str) -> Settings:
    """The app's settings in local mode: Slack is the fake; SQLite lives in `data_dir` unless set."""
    database_url = settings.database_url
    if database_url == DEFAULT_DATABASE_URL:
        database_url = f"sqlite+aiosqlite:///{(data_dir / 'tickets.db').resolve()}"
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(fake.identity.bot_token),
            "slack_signing_secret": SecretStr(signing_secret),
            "slack_api_url": fake.api_url,
            "slack_app_token": None,
            "slack_client_id": None,
            "slack_client_secret": None,
            "database_url": database_url,
        }
    )


class LocalStack:
    """Everything `make run` starts when no Slack credentials are set; `async with` runs it."""

    def __init__(
        self,
        settings: Settings,
        *,
        data_dir: Path = Path("data"),
        ui_port: int | None = None,
        app_port: int = 0,
        connect_sandbox: bool = True,
        map_demo_user: bool = True,
        sandbox_latency_ms: int = 0,
    ) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.ui_port = settings.port if ui_port is None else ui_port
        self.app_port = app_port
        self.connect_sandbox = connect_sandbox and not settings.has_connectwise_env
        self.map_demo_user = map_demo_user
        self.sandbox: SandboxServer | None = None
        self.sandbox_latency_ms = sandbox_latency_ms
        self.fake = FakeSlack(
            team_id=TEAM_ID, team_name=TEAM_NAME, users=LOCAL_USERS, channels=LOCAL_CHANNELS
        )
        self.deps: AppDeps | None = None
        self.app_settings: Settings | None = None
        self._app_server: _Server | None = None
        self._app_task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self.workspace: WorkspaceServer | None = None

    @property
    def url(self) -> str:
        """The page to open in a browser."""
        if self.workspace is None:
            raise RuntimeError("the local stack is not running")
        return self.workspace.url

    @property
    def events_url(self) -> str:
        """The app's Slack request URL."""
        if self._app_server is None or not self._app_server.servers:
            raise RuntimeError("the app is not running")
        port = self._app_server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}{EVENTS_PATH}"

    async def start(self) -> None:
        """Start every part; on failure, stop whatever already started."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.connect_sandbox:
            self.sandbox = await asyncio.to_thread(SandboxServer(latency_ms=self.sandbox_latency_ms).start)
        await self.fake.start()
        for channel, user, text in SEED_MESSAGES:
            self.fake.add_message(channel, user=user, text=text)
        signing_secret = secrets.token_urlsafe(32)
        self.app_settings = local_settings(
            self.settings, data_dir=self.data_dir, fake=self.fake, signing_secret=signing_secret
        )
        self.deps = build_deps(self.app_settings)
        await self.deps.storage.migrate()
        await self._prepare_workspace()
        await self._start_app()
        self._http = httpx.AsyncClient(timeout=30)
        sender = SlackRequestSender(self.events_url, signing_secret, self._http)
        site = urlsplit(
            self.sandbox.base_url if self.sandbox else self.app_settings.cw_base_url or ""
        ).hostname
        bridge = SlackBridge(
            self.fake,
            sender,
            users=LOCAL_USERS,
            channels=LOCAL_CHANNELS,
            unfurl_domains=[site] if site else [],
        )
        self.workspace = WorkspaceServer(self.fake, bridge, port=self.ui_port)
        await self.workspace.start()

    async def _prepare_workspace(self) -> None:
        """Point the local team at the sandbox and map the demo user, unless someone chose otherwise."""
        assert self.deps is not None
        store = self.deps.storage.workspace(TEAM_ID)
        if self.sandbox is not None:
            stored = await store.read(connection_repo.get_connection_info)
            if stored is None or urlsplit(stored.base_url).hostname in LOCAL_HOSTS:
                # The sandbox listens on a new port each run; a stored real PSA is left alone.
                await self.deps.workspaces.connect(
                    TEAM_ID,
                    ADMIN_USER_ID,
                    ConnectionCredentials(
                        base_url=self.sandbox.base_url,
                        company_id=self.sandbox.company_id,
                        public_key=self.sandbox.public_key,
                        private_key=SecretStr(self.sandbox.private_key),
                        client_id=SANDBOX_CLIENT_ID,
                    ),
                )
        if (
            self.map_demo_user
            and await store.read(partial(mapping_repo.get_mapping, slack_user_id=DEMO_USER_ID)) is None
        ):
            await self._map_demo_user()

    async def _map_demo_user(self) -> None:
        assert self.deps is not None
        service = await self.deps.workspaces.service(TEAM_ID)
        if service is None:
            return
        try:
            member = await service.member_for_identifier(DEMO_MEMBER_IDENTIFIER)
        except Exception as exc:  # the PSA may be unreachable; the user can map from Slack later
            log.warning("could not look up %s to map the demo user: %s", DEMO_MEMBER_IDENTIFIER, exc)
            return
        if member is None:
            return
        with suppress(MappingConflictError):
            await self.deps.storage.workspace(TEAM_ID).map_member(
                DEMO_USER_ID,
                member_id=member.id,
                member_identifier=member.identifier,
                member_name=member.name,
                mapped_by="local-run",
            )

    async def _start_app(self) -> None:
        assert self.deps is not None and self.app_settings is not None
        api = create_asgi(self.app_settings, self.deps, migrate=False, own_deps=True)
        config = uvicorn.Config(
            api,
            host="127.0.0.1",
            port=self.app_port,
            log_level="warning",
            lifespan="on",
            access_log=False,
        )
        self._app_server = _Server(config)
        self._app_task = asyncio.create_task(self._app_server.serve(), name="local-app")
        while not self._app_server.started:
            if self._app_task.done():
                self._app_task.result()
                raise RuntimeError("the app stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop every part that is running (safe to call twice)."""
        if self.workspace is not None:
            await self.workspace.stop()
            self.workspace = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._app_server is not None and self._app_task is not None:
            self._app_server.should_exit = True
            with suppress(Exception):
                await self._app_task
        elif self.deps is not None:
            await self.deps.aclose()
        self._app_server = self._app_task = None
        self.deps = None
        await self.fake.stop()
        if self.sandbox is not None:
            await asyncio.to_thread(self.sandbox.stop)
            self.sandbox = None

    async def __aenter__(self) -> LocalStack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def serve_local(settings: Settings, *, data_dir: Path = Path("data")) -> None:
    """Run the local stack until SIGINT/SIGTERM."""
    # Each request to the sandbox or the fake would otherwise print a line; the terminal is for the URL.
    for noisy in ("httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with LocalStack(settings, data_dir=data_dir) as stack:
        where = stack.sandbox.base_url if stack.sandbox else "the CW_* settings"
        print(
            "\n  Local Slack workspace ready: "
            f"{stack.url}\n"
            f"  (app {stack.events_url} · fake Slack {stack.fake.url} · ConnectWise {where} · "
            f"data {stack.data_dir.resolve()})\n  Press Ctrl-C to stop.\n",
            flush=True,
        )
        await stop.wait()
        print("Stopping…", flush=True)


def run_local(settings: Settings) -> int:
    """Entry point for `python -m bot run` when Slack is not configured."""
    try:
        asyncio.run(serve_local(settings))
    except OSError as exc:
        print(f"Could not start the local workspace: {exc}")
        print("Is another copy running? Set PORT to use another port.")
        return 1
    return 0
