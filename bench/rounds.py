"""PSA round trips and wall time of user actions, with the sandbox answering every request after 100 ms.

The real app (`create_asgi` under uvicorn, in this process) gets signed requests over HTTP; the
clock runs from sending the request until FakeSlack records the Slack call that shows the result.
Each action runs cold (the workspace's reference-data cache emptied first) and warm (run again).
Sequential round trips are reported two ways: wall time ÷ latency (rounded), and by causality from the
sandbox's request log: the longest chain of requests each received after the previous one was answered
(`psa.connectwise.sandbox.rounds`), which no clock or busy machine changes. The tests assert the
latter; the wall times live only here.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from bench.stack import (
    BOT_TOKEN,
    CHANNEL,
    CLIENT_ID,
    SECRET_KEY,
    SIGNING_SECRET,
    TEAM,
    Backends,
    bench_users,
    prepare_database,
)
from bot.deps import AppDeps, build_deps
from bot.ids import CreateAction, ListAction
from bot.local import SlackRequestSender
from bot.local import payloads as p
from bot.server import create_asgi
from bot.settings import Settings
from psa.connectwise.sandbox import rounds
from storage import Storage, fernet_from_secret

LATENCY_MS = 100
REPEATS = 3  # each figure is the median run: a busy machine adds noise to single wall times
PROMPT = "New ticket for Acme Corp, Outlook not syncing since yesterday, high priority, assign to me"
SEARCH = 'board:"Help Desk" status:New priority:"Priority 3 - Normal Response"'
COMPANY_SEARCH = 'company:"Northwind Traders"'
HELP_DESK = "1"
PLAIN_TICKET, DEVICE_TICKET = 1296, 1649  # seed tickets of jdoe: without and with a configuration


@dataclass
class Measure:
    """One run of one action, cold or warm."""

    action: str
    cache: str
    wall_ms: float
    requests: int  # PSA requests until the result was shown
    sequential: int  # sequential rounds among them, by causality from the sandbox's log
    later: int  # PSA requests the action made after showing its result (e.g. refreshing Home)
    paths: list[str]


class Driver:
    """Sends requests to the in-process app like Slack would and times what the user then sees."""

    def __init__(self, backends: Backends, deps: AppDeps, sender: SlackRequestSender, user: str) -> None:
        self.backends = backends
        self.fake = backends.fake
        self.sandbox = backends.sandbox
        self.deps = deps
        self.sender = sender
        self.user = user

    async def send(self, body: tuple[str, str], *, settle: bool = True) -> Any:
        """Post a signed request (and wait for the work it started); the ack's JSON body (or None)."""
        resp = await self.sender.send(*body)
        resp.raise_for_status()
        if settle:
            await self.deps.work.drain(30)
        return json.loads(resp.text) if resp.text.startswith("{") else None

    async def command(self, text: str) -> Any:
        """`/tickets {text}` with a fresh trigger_id and response_url."""
        return await self.send(
            p.slash_command(
                "/tickets",
                text,
                user=self.user,
                channel=CHANNEL,
                trigger_id=self.fake.new_trigger_id(self.user),
                response_url=self.fake.new_response_url(CHANNEL, self.user),
            )
        )

    async def click_message(
        self, action_id: str, message: dict[str, Any], block_id: str | None = None
    ) -> Any:
        """A click on a message element."""
        return await self.send(
            p.block_actions(
                action_id,
                user=self.user,
                message=message,
                channel=CHANNEL,
                block_id=block_id,
                response_url=self.fake.new_response_url(CHANNEL, self.user, message["ts"]),
                trigger_id=self.fake.new_trigger_id(self.user),
            )
        )

    async def click_view(self, action_id: str, view: dict[str, Any], value: Any = None) -> Any:
        """A click or selection inside a modal."""
        current = self.fake.view(view["id"]) or view
        return await self.send(
            p.block_actions(
                action_id,
                value,
                user=self.user,
                view=current,
                trigger_id=self.fake.new_trigger_id(self.user, view_id=current["id"]),
            )
        )

    async def submit(self, view: dict[str, Any], values: dict[str, Any]) -> Any:
        """Press Submit; the ack's response_action is applied to the fake's modal, as Slack does."""
        current = self.fake.view(view["id"]) or view
        ack = await self.send(
            p.view_submission(
                current,
                user=self.user,
                values=values,
                trigger_id=self.fake.new_trigger_id(self.user, view_id=current["id"]),
            ),
            settle=False,
        )
        if self.fake.is_view_open(current["id"]):
            self.fake.apply_view_response(current["id"], ack if isinstance(ack, dict) else None)
        await self.deps.work.drain(30)
        return ack

    async def open_row(self, ticket_id: int) -> Any:
        """Open a ticket from its row in the newest list message."""
        listed = self.latest_list()
        prefix = f"list.row.{ticket_id}"
        block_id = next(
            b["block_id"]
            for b in listed.get("blocks") or []
            if str(b.get("block_id", "")).split(":", 1)[0] == prefix  # the row id also carries the list
        )
        return await self.click_message(ListAction.OPEN, listed, block_id=block_id)

    def latest_list(self) -> dict[str, Any]:
        """The newest ephemeral list message the user sees."""
        return self.fake.ephemeral(CHANNEL, self.user)[-1]

    async def measure(
        self,
        action: str,
        cache: str,
        run: Callable[[], Awaitable[Any]],
        shown_by: tuple[str, ...],
        expect: str,
    ) -> Measure:
        """Run one action; wall time until the last `shown_by` Slack call it caused (which shows `expect`)."""
        if cache == "cold":
            service = await self.deps.workspaces.service(TEAM)
            assert service is not None
            service.invalidate_reference_data()
        await self.deps.work.drain(30)
        self.sandbox.clear_requests()
        seq = self.fake.last_seq
        started = time.time()
        await run()
        await self.deps.work.drain(30)
        shown = [c for c in self.fake.calls_after(seq) if c.method in shown_by]
        if not shown or expect not in json.dumps(shown[-1].args, ensure_ascii=False):
            raise RuntimeError(f"{action}: the user was not shown {expect!r}")
        requests = sorted(self.sandbox.requests, key=lambda r: r.timestamp)
        before = [r for r in requests if r.timestamp <= shown[-1].at]
        return Measure(
            action,
            cache,
            (shown[-1].at - started) * 1000,
            len(before),
            rounds(before),
            len(requests) - len(before),
            [f"{r.method} {r.path}" for r in before],
        )


def _settings(backends: Backends, database_url: str) -> Settings:
    sandbox = backends.sandbox
    values: dict[str, Any] = {
        "app_env": "test",
        "log_level": "WARNING",
        "database_url": database_url,
        "slack_bot_token": SecretStr(BOT_TOKEN),
        "slack_signing_secret": SecretStr(SIGNING_SECRET),
        "slack_api_url": backends.fake.api_url,
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
        "cw_base_url": sandbox.base_url,
        "cw_company_id": sandbox.company_id,
        "cw_public_key": sandbox.public_key,
        "cw_private_key": SecretStr(sandbox.private_key),
        "cw_client_id": CLIENT_ID,
        "anthropic_api_key": None,  # the offline parser: what every install without a key runs
        "tickets_secret_key": SecretStr(SECRET_KEY),
    }
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_app(backends: Backends, database_url: str, user: str) -> AsyncIterator[Driver]:
    """The real ASGI app under uvicorn on an ephemeral port, driven as `user`."""
    settings = _settings(backends, database_url)
    deps = build_deps(settings, storage=Storage(database_url, fernet_from_secret(SECRET_KEY)))
    client = AsyncWebClient(token=BOT_TOKEN, base_url=backends.fake.api_url)
    api = create_asgi(settings, deps, client=client, migrate=False, own_deps=False)
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(timeout=30) as http:
            sender = SlackRequestSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, http)
            yield Driver(backends, deps, sender, user)
    finally:
        server.should_exit = True
        await task
        await deps.aclose()


async def _actions(driver: Driver, repeats: int) -> list[Measure]:
    fake, user = driver.fake, driver.user
    found: list[Measure] = []

    async def both(action: str, run: Callable[[], Awaitable[Any]], shown_by: str, expect: str) -> None:
        for cache in ("cold", "warm"):
            for _ in range(repeats):
                found.append(await driver.measure(action, cache, run, (shown_by,), expect))

    await driver.command("mine")  # connections open, service built: "cold" is about reference data only
    await both("/tickets mine", lambda: driver.command("mine"), "response_url", "Showing 1–")
    await both(
        "/tickets search with board, status, priority",
        lambda: driver.command(f"search {SEARCH}"),
        "response_url",
        "Showing 1–",
    )
    await both(
        "/tickets search with a company",
        lambda: driver.command(f"search {COMPANY_SEARCH}"),
        "response_url",
        "Showing 1–",
    )
    await driver.command("mine")
    for ticket, label in (
        (PLAIN_TICKET, "detail from a row"),
        (DEVICE_TICKET, "detail from a row, with a device"),
    ):
        await both(
            label,
            partial(driver.open_row, ticket),
            "views.update",
            "Assignees",
        )
    await both(
        f"/tickets {PLAIN_TICKET} (detail by number)",
        lambda: driver.command(str(PLAIN_TICKET)),
        "views.update",
        "Assignees",
    )
    channel = fake.dm_channel(user)
    await both(
        "Home tab (app_home_opened)",
        lambda: driver.send(
            p.event_callback(
                p.app_home_opened_event(user, channel=channel, view=fake.home_view(user)), team_id=TEAM
            )
        ),
        "views.publish",
        "My queue",
    )
    seeded = _ticket_ids(driver.sandbox)
    for cache in ("cold",) * repeats + ("warm",) * repeats:
        await driver.command(f"new {PROMPT}")
        modal = fake.last_view(user)
        assert modal is not None
        found.append(
            await driver.measure(
                "Quick Create parse",
                cache,
                partial(driver.click_view, CreateAction.PARSE, modal),
                ("views.update",),
                "Acme Corp",
            )
        )
        # The parse leaves the board to the user: pick it (the form reloads its statuses), then submit.
        await driver.click_view(CreateAction.BOARD, fake.view(modal["id"]) or modal, HELP_DESK)
        review = fake.view(modal["id"]) or modal
        found.append(
            await driver.measure(
                "ticket creation (submit → created)",
                cache,
                partial(driver.submit, review, {}),
                ("views.update",),
                "created in ConnectWise",
            )
        )
        # The next round creates the same ticket again: gone, this one is no likely duplicate of it
        # (the app would rightly ask "Create anyway?" about an open ticket created moments ago).
        _forget_new(driver.sandbox, seeded)
    return found


def _ticket_ids(sandbox: Any) -> set[int]:
    store = sandbox.state.store
    with store.lock:
        return set(store.tables["tickets"])


def _forget_new(sandbox: Any, seeded: set[int]) -> None:
    """Remove the tickets the bench created (not the seeded ones other actions read)."""
    store = sandbox.state.store
    with store.lock:
        for ticket_id in set(store.tables["tickets"]) - seeded:
            del store.tables["tickets"][ticket_id]
        store.touch("tickets")


def run(latency_ms: int = LATENCY_MS, repeats: int = REPEATS) -> dict[str, Any]:
    """Measure every action `repeats` times, cold and warm, at `latency_ms`; the figures as a dict."""
    users = bench_users(1)
    with tempfile.TemporaryDirectory(prefix="bench-rounds-") as tmp, Backends(users) as backends:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'tickets.db'}"
        prepare_database(database_url, backends.sandbox, users)

        async def measure_all() -> list[Measure]:
            async with running_app(backends, database_url, users[0].slack_id) as driver:
                backends.sandbox.set_latency(latency_ms)
                return await _actions(driver, repeats)

        measures = asyncio.run(measure_all())
    return {"latency_ms": latency_ms, "actions": summarize(measures)}


def summarize(measures: list[Measure]) -> list[dict[str, Any]]:
    """One row per action and cache state: the median run's figures, in the order measured."""
    groups: dict[tuple[str, str], list[Measure]] = {}
    for m in measures:
        groups.setdefault((m.action, m.cache), []).append(m)
    rows = []
    for (action, cache), runs in groups.items():
        median = sorted(runs, key=lambda m: m.wall_ms)[len(runs) // 2]
        rows.append(
            {
                "action": action,
                "cache": cache,
                "wall_ms": round(median.wall_ms),
                "rounds": round(median.wall_ms / LATENCY_MS),
                "sequential": median.sequential,
                "requests": median.requests,
                "later_requests": median.later,
                "runs": len(runs),
                "paths": median.paths,
            }
        )
    return rows


def main() -> dict[str, Any]:
    """Print the figures."""
    figures = run()
    for m in figures["actions"]:
        print(
            f"{m['action']:<48} {m['cache']:<5} {m['wall_ms']:>6} ms  {m['requests']:>2} requests  "
            f"{m['rounds']} rounds (sequential {m['sequential']}, +{m['later_requests']} later)"
        )
    return figures


if __name__ == "__main__":
    main()
