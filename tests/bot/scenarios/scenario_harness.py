"""The scenario harness: the real app (build_app + ASGI under uvicorn) against FakeSlack, the
ConnectWise sandbox and a real SQLite file, driven with correctly signed Slack requests.

Use the `slack` fixture (connected workspace, demo user mapped) or `make_slack(...)` for other
set-ups. Every helper that sends a request waits for the app's background work before returning,
so a test reads what the user sees right after the call.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from clocks import ManualClock
from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient
from waiting import until_serving

from bot.actor import Actor
from bot.deps import AppDeps, build_deps
from bot.flows.context import FlowContext
from bot.flows.stored import keep_draft, load_draft
from bot.flows.work import InProcessWorkQueue
from bot.local import FakeChannel, FakeSlack, FakeUser, SlackRequestSender
from bot.local import payloads as p
from bot.local.block_state import find_element, view_state
from bot.server import create_asgi
from bot.settings import Settings
from bot.state import TicketDraft
from bot.views import limits
from psa.connectwise import RetryPolicy
from psa.connectwise.factory import ConnectWiseKind
from psa.connectwise.sandbox import SandboxServer
from psa.registry import ProviderRegistry
from storage import ConnectionCredentials, Storage, WorkspaceStore

TEAM = "T0LOCAL"  # FakeSlack's default team: payloads and the installed bot agree on it
SIGNING_SECRET = "scenario-signing-secret"
BOT_TOKEN = "xoxb-local"
CLIENT_ID = "00000000-scenario-client"

ADMIN = "U0ADMIN"  # workspace admin/owner, not mapped
DEMO = "U0DEMO"  # the demo engineer, mapped to ConnectWise member jdoe (17)
NEWBIE = "U0NEWBIE"  # a regular user, not mapped; Slack e-mail matches member mchen
DEMO_MEMBER_ID = 17
DEMO_MEMBER = "jdoe"
CHANNEL = "C0SUPPORT"
OTHER_CHANNEL = "C0GENERAL"

USERS = (
    FakeUser(
        id=ADMIN,
        name="alex",
        real_name="Alex Admin",
        display_name="Alex",
        email="alex@example.com",
        is_admin=True,
        is_owner=True,
    ),
    FakeUser(id=DEMO, name="jdoe", real_name="Jane Doe", display_name="Jane", email="jdoe@northstar-msp.com"),
    FakeUser(id=NEWBIE, name="mchen", real_name="Ming Chen", email="mchen@northstar-msp.com"),
)
CHANNELS = (FakeChannel(id=CHANNEL, name="support"), FakeChannel(id=OTHER_CHANNEL, name="general"))

# Fast, bounded retries: a 429/503 costs milliseconds, and a long Retry-After fails at once.
TEST_RETRY = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.05, max_total=1.0, retry_after_cap=0.2)


def test_factories(tls: ssl.SSLContext) -> ProviderRegistry:
    """The provider registry as in production, with the fast retry policy above."""
    return ProviderRegistry([ConnectWiseKind(retry=TEST_RETRY)])


def sandbox_credentials(sandbox: SandboxServer, **changes: Any) -> ConnectionCredentials:
    """Working credentials for the sandbox (override any field to break them)."""
    values: dict[str, Any] = {
        "provider_kind": "connectwise",
        "base_url": sandbox.base_url,
        "company_id": sandbox.company_id,
        "public_key": sandbox.public_key,
        "private_key": SecretStr(sandbox.private_key),
        "client_id": CLIENT_ID,
        **changes,
    }
    return ConnectionCredentials(**values)


@dataclass
class Sent:
    """What the app answered over HTTP (the ack), already parsed."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _parsed(resp: httpx.Response) -> Sent:
    text = resp.text
    body: Any = text
    if text and resp.headers.get("content-type", "").startswith("application/json"):
        body = json.loads(text)
    return Sent(status=resp.status_code, body=body, headers=dict(resp.headers))


class Slack:
    """Drive the running app like Slack and its users would, and look at what they see."""

    def __init__(
        self,
        fake: FakeSlack,
        sender: SlackRequestSender,
        deps: AppDeps,
        sandbox: SandboxServer,
        clock: ManualClock | None = None,
    ) -> None:
        self.fake = fake
        self.sender = sender
        self.deps = deps
        self.sandbox = sandbox
        self.team = TEAM
        # The fake Slack's clock (trigger_id expiry, response_url lifetime, history rate limits): it
        # stands still unless a test moves it, so a busy machine never expires a trigger. That the app
        # answers in time is shown by causality instead (e.g. a modal opens while the sandbox holds).
        self.clock = clock

    @property
    def store(self) -> WorkspaceStore:
        """The workspace's storage, e.g. `await slack.store.read(partial(audit.list_events))`."""
        return self.deps.storage.workspace(self.team)

    # -- sending ------------------------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until every piece of work the app handed off (and what it started) has finished."""
        await self.deps.work.drain(within=60)  # a hang guard only: nothing waits it out

    async def send(self, body_and_type: tuple[str, str], **kwargs: Any) -> Sent:
        """Sign and post a raw (body, content_type) pair, then wait for the app's background work."""
        resp = await self.sender.send(*body_and_type, **kwargs)
        await self.settle()
        return _parsed(resp)

    async def command(self, text: str = "", *, user: str = DEMO, channel: str = CHANNEL) -> Sent:
        """`/tickets {text}` with a fresh trigger_id and response_url, as Slack would send it."""
        return await self.send(
            p.slash_command(
                "/tickets",
                text,
                user=user,
                channel=channel,
                trigger_id=self.fake.new_trigger_id(user),
                response_url=self.fake.new_response_url(channel, user),
            )
        )

    async def click(
        self,
        action_id: str,
        value: Any = None,
        *,
        user: str = DEMO,
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        channel: str = CHANNEL,
        block_id: str | None = None,
        state_values: dict[str, Any] | None = None,
    ) -> Sent:
        """Click/select `action_id` on a message (ephemeral or not) or on a view (fetched fresh)."""
        if view is not None:
            current = self.fake.view(view["id"]) or view
            return await self.send(
                p.block_actions(
                    action_id,
                    value,
                    user=user,
                    view=current,
                    block_id=block_id,
                    trigger_id=self.fake.new_trigger_id(user, view_id=current["id"]),
                    state_values=state_values,
                )
            )
        assert message is not None, "pass message= or view="
        return await self.send(
            p.block_actions(
                action_id,
                value,
                user=user,
                message=message,
                channel=channel,
                block_id=block_id,
                response_url=self.fake.new_response_url(channel, user, message.get("ts")),
                trigger_id=self.fake.new_trigger_id(user),
                state_values=state_values,
            )
        )

    async def submit(
        self,
        view: dict[str, Any],
        *,
        user: str = DEMO,
        values: dict[str, Any] | None = None,
        settle: bool = True,
    ) -> Sent:
        """Press Submit on a modal; the ack's response_action is applied to the fake's view stack.

        `settle=False` returns with the ack, before the app's background work has run.
        """
        current = self.fake.view(view["id"]) or view
        body = p.view_submission(
            current,
            user=user,
            values=values,
            trigger_id=self.fake.new_trigger_id(user, view_id=current["id"]),
        )
        sent = _parsed(await self.sender.send(*body))
        # As Slack does: the ack's response_action lands first, the app's later views.update after it.
        if sent.status == 200 and self.fake.is_view_open(current["id"]):
            response = sent.body if isinstance(sent.body, dict) else None
            self.fake.apply_view_response(current["id"], response)
        if settle:
            await self.settle()
        return sent

    async def options(
        self,
        action_id: str,
        query: str = "",
        *,
        user: str = DEMO,
        view: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        channel: str = CHANNEL,
    ) -> list[dict[str, Any]]:
        """What an external select offers after the user typed `query`."""
        surface = view if view is not None else message
        assert surface is not None, "pass view= or message="
        block_id, _ = find_element(surface.get("blocks", []), action_id)
        sent = await self.send(
            p.block_suggestion(
                action_id, block_id, query, user=user, view=view, message=message, channel=channel
            )
        )
        assert sent.status == 200, sent
        return list(sent.body.get("options") or [])

    def type_into(self, view: dict[str, Any], values: dict[str, Any], *, user: str = DEMO) -> dict[str, Any]:
        """The user types/selects into an open view without submitting ({block_id: {action_id: value}})."""
        current = self.fake.view(view["id"]) or view
        return self.fake.set_view_state(current["id"], view_state(current, values))

    async def event(self, event: dict[str, Any], **kwargs: Any) -> Sent:
        """An Events API delivery of `event` for this team."""
        return await self.send(p.event_callback(event, team_id=self.team, **kwargs))

    # -- looking ------------------------------------------------------------------------------

    def _flow_context(self, user: str = DEMO) -> FlowContext:
        return FlowContext.for_actor(self.deps, self.deps.slack.base, Actor(team_id=self.team, user_id=user))

    async def draft(self, view: dict[str, Any], user: str = DEMO) -> TicketDraft:
        """The draft a New Ticket modal shows (kept on the server), with what was typed merged in."""
        return await load_draft(self._flow_context(user), self.fake.view(view["id"]) or view)

    async def keep_draft(self, draft: TicketDraft, user: str = DEMO) -> TicketDraft:
        """Store `draft` as the app would before showing it (its `encode()` is then valid metadata)."""
        return await keep_draft(self._flow_context(user), draft)

    def ephemerals(self, user: str = DEMO, channel: str = CHANNEL) -> list[dict[str, Any]]:
        """Ephemeral messages the user sees in the channel, oldest first."""
        return self.fake.ephemeral(channel, user)

    def last_ephemeral(self, user: str = DEMO, channel: str = CHANNEL) -> dict[str, Any]:
        """The newest ephemeral message the user sees (fails the test when there is none)."""
        messages = self.ephemerals(user, channel)
        assert messages, f"no ephemeral message for {user} in {channel}; calls: {self.methods()}"
        return messages[-1]

    def modal(self, user: str = DEMO) -> dict[str, Any]:
        """The modal the user looks at (most recently opened, pushed or updated)."""
        view = self.fake.last_view(user)
        assert view is not None, f"no modal for {user}; calls: {self.methods()}"
        return view

    def methods(self) -> list[str]:
        """Web API methods called so far, in order."""
        return [c.method for c in self.fake.calls]

    def assert_all_valid(self) -> None:
        """Every message and view the app sent passes the app's own Block Kit limit validator."""
        for call in self.fake.calls:
            if call.status != 200 and call.method != "response_url":
                continue
            args = call.args
            if call.method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
                limits.validate_message({"text": args.get("text"), "blocks": args.get("blocks") or []})
            elif call.method == "response_url":
                if args.get("delete_original") in (True, "true"):
                    continue
                limits.validate_message({"text": args.get("text"), "blocks": args.get("blocks") or []})
            elif call.method in ("views.open", "views.push", "views.update"):
                view = args["view"]
                (limits.validate_home if view.get("type") == "home" else limits.validate_modal)(view)
            elif call.method == "views.publish":
                limits.validate_home(args["view"])


def blocks_text(surface: dict[str, Any]) -> str:
    """All text of a message's or view's blocks (and `text`), for assertions on what is shown."""
    parts: list[str] = [surface.get("text") or ""] if isinstance(surface.get("text"), str) else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(surface.get("blocks") or [])
    return "\n".join(parts)


def mrkdwn_texts(surface: dict[str, Any]) -> list[str]:
    """Every mrkdwn text of a surface (where Slack would parse mentions and links)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(surface.get("blocks") or [])
    return found


def find_block(surface: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    """The block with this id, or None."""
    return next((b for b in surface.get("blocks") or [] if b.get("block_id") == block_id), None)


def action_ids(surface: dict[str, Any]) -> list[str]:
    """Every interactive element's action_id in a message or view."""
    out: list[str] = []
    for block in surface.get("blocks") or []:
        elements = [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]
        out.extend(e["action_id"] for e in elements if isinstance(e, dict) and "action_id" in e)
    return out


@asynccontextmanager
async def serve_app(settings: Settings, deps: AppDeps, fake: FakeSlack) -> AsyncIterator[SlackRequestSender]:
    """The real ASGI app (create_asgi) under uvicorn on an ephemeral port; yields a signed sender."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    api = create_asgi(settings, deps, client=client, migrate=False, own_deps=False)
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    port = await until_serving(server, task)
    try:
        # Plain HTTP to 127.0.0.1: no certificates to load (a verifying context costs ~25 ms per test).
        async with httpx.AsyncClient(timeout=30, verify=False) as http:
            yield SlackRequestSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, http)
    finally:
        server.should_exit = True
        await task


def scenario_settings(database_url: str, fake: FakeSlack, **changes: Any) -> Settings:
    """Settings of a single-workspace install pointed at the fake (nothing read from the environment)."""
    values: dict[str, Any] = {
        "app_env": "test",
        "database_url": database_url,
        "slack_bot_token": SecretStr(BOT_TOKEN),
        "slack_signing_secret": SecretStr(SIGNING_SECRET),
        "slack_api_url": fake.api_url,
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
        "cw_base_url": None,
        "cw_company_id": None,
        "cw_public_key": None,
        "cw_private_key": None,
        "cw_client_id": None,
        "anthropic_api_key": None,
        "tickets_secret_key": None,
        "live_poll_seconds": 0,  # no poll in the background: tests poll when they mean to
        **changes,
    }
    return Settings(_env_file=None, **values)


@dataclass
class HarnessOptions:
    """How a scenario's workspace is set up."""

    connected: bool = True  # a PSA connection stored for the team
    env_connection: bool = False  # CW_* settings point at the sandbox instead
    mapped: dict[str, str] = field(default_factory=lambda: {DEMO: DEMO_MEMBER})  # Slack user → member
    users: tuple[FakeUser, ...] = USERS
    channels: tuple[FakeChannel, ...] = CHANNELS
    fake: dict[str, Any] = field(default_factory=dict)  # more FakeSlack options (e.g. enterprise_id)
    settings: dict[str, Any] = field(default_factory=dict)  # more Settings (e.g. app_env="production")


async def _seed(storage: Storage, sandbox: SandboxServer, options: HarnessOptions) -> None:
    store = storage.workspace(TEAM)
    if options.connected:
        await store.save_connection(sandbox_credentials(sandbox), connected_by=ADMIN)
    members = {m["identifier"]: m for m in sandbox.state.store.tables["members"].values()}
    for user_id, identifier in options.mapped.items():
        member = members[identifier]
        await store.map_member(
            user_id,
            member_id=member["id"],
            member_identifier=identifier,
            member_name=f"{member['firstName']} {member['lastName']}",
            mapped_by=ADMIN,
        )


@asynccontextmanager
async def running_slack(
    *,
    sandbox: SandboxServer,
    template_db: Path,
    tmp_path: Path,
    tls: ssl.SSLContext,
    options: HarnessOptions | None = None,
    fernet_key: bytes,
    configure: Callable[[AppDeps], None] | None = None,
) -> AsyncIterator[Slack]:
    """Start FakeSlack + storage (copied from a migrated template) + the app; yield the driver."""
    options = options or HarnessOptions()
    db_file = tmp_path / "tickets.db"
    shutil.copyfile(template_db, db_file)
    database_url = f"sqlite+aiosqlite:///{db_file}"
    fake_options = dict(options.fake)
    clock = fake_options.setdefault("clock", ManualClock())
    async with FakeSlack(users=options.users, channels=options.channels, **fake_options) as fake:
        env: dict[str, Any] = {}
        if options.env_connection:
            env = {
                "cw_base_url": sandbox.base_url,
                "cw_company_id": sandbox.company_id,
                "cw_public_key": sandbox.public_key,
                "cw_private_key": SecretStr(sandbox.private_key),
                "cw_client_id": CLIENT_ID,
            }
        settings = scenario_settings(database_url, fake, **env, **options.settings)
        storage = Storage(database_url, Fernet(fernet_key))

        def http_factory() -> httpx.AsyncClient:
            return httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), verify=tls)

        deps = build_deps(settings, storage=storage, factories=test_factories(tls), http_factory=http_factory)
        # Every work item goes through JSON, as it would to a worker in another process.
        deps.work = InProcessWorkQueue(deps, serialize=True)
        if configure is not None:
            configure(deps)
        try:
            await _seed(storage, sandbox, options)
            async with serve_app(settings, deps, fake) as sender:
                slack = Slack(fake, sender, deps, sandbox, clock if isinstance(clock, ManualClock) else None)
                yield slack
                await slack.settle()
                slack.assert_all_valid()
        finally:
            await deps.aclose()


def expected_open_tickets(sandbox: SandboxServer, member_identifier: str) -> list[int]:
    """Ids of a member's open tickets straight from the sandbox's records: most urgent, then newest."""
    store = sandbox.state.store
    with store.lock:
        tickets = [dict(t) for t in store.tables["tickets"].values()]
        entries = [dict(e) for e in store.tables["schedule_entries"].values()]
    assigned = {
        e["objectId"]
        for e in entries
        if e["type"]["identifier"] == "S"
        and not e["doneFlag"]
        and e["member"]["identifier"] == member_identifier
    }
    mine = [
        t
        for t in tickets
        if not t["closedFlag"]
        and (t["id"] in assigned or (t.get("owner") or {}).get("identifier") == member_identifier)
    ]
    mine.sort(key=lambda t: (t["priority"]["sort"], _neg_time(t["_info"]["dateEntered"]), -t["id"]))
    return [t["id"] for t in mine]


def _neg_time(iso: str) -> float:
    from datetime import datetime

    return -datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def row_block(message: dict[str, Any], ticket_id: int) -> str:
    """The block id of a ticket's row in a list message (it also carries the list state)."""
    for block_id in (str(b.get("block_id", "")) for b in message.get("blocks") or []):
        if block_id == f"list.row.{ticket_id}" or block_id.startswith(f"list.row.{ticket_id}:"):
            return block_id
    raise AssertionError(f"no row for #{ticket_id} in the list")


def row_ids(message: dict[str, Any]) -> list[int]:
    """Ticket ids of the list rows, in the order shown."""
    prefix = "list.row."
    return [
        int(b["block_id"][len(prefix) :].split(":", 1)[0])  # the row's block id also carries the list state
        for b in message.get("blocks") or []
        if str(b.get("block_id", "")).startswith(prefix)
    ]
