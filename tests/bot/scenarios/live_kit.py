"""Live updates in scenarios: the app given a public URL the sandbox can post to, changes "made in
ConnectWise by someone else" through the sandbox's control API, and waits on what they caused."""

from __future__ import annotations

from typing import Any

import httpx
from aiohttp import web
from scenario_harness import DEMO, DEMO_MEMBER, Slack, expected_open_tickets
from waiting import wait_until

from bot.flows.live.subscriptions import subscribe
from psa.connectwise.sandbox import SandboxServer

OTHER_MEMBER = "mchen"  # a colleague working in ConnectWise itself (not mapped in the workspace)


def app_root(slack: Slack) -> str:
    """Where the running app listens (what PUBLIC_URL would be)."""
    return slack.sender.events_url.removesuffix("/slack/events")


async def go_public(slack: Slack) -> str:
    """Give the app its PUBLIC_URL and register the workspace's callbacks; the mode it chose."""
    slack.deps.settings = slack.deps.settings.model_copy(update={"public_url": app_root(slack)})
    return await subscribe(slack.deps, slack.team)


def demo_ticket(sandbox: SandboxServer) -> int:
    """An open ticket of the demo engineer."""
    return expected_open_tickets(sandbox, DEMO_MEMBER)[0]


def not_demo_ticket(sandbox: SandboxServer) -> int:
    """An open ticket the demo engineer has nothing to do with."""
    store = sandbox.state.store
    mine = set(expected_open_tickets(sandbox, DEMO_MEMBER))
    with store.lock:
        rows = [dict(t) for t in store.tables["tickets"].values()]
    views = {v["id"]: v for v in store.ticket_views()}
    return next(
        t["id"]
        for t in rows
        if not t["closedFlag"]
        and t["id"] not in mine
        and t["board"]["id"] == 1
        and DEMO_MEMBER not in str(views[t["id"]].get("resources", ""))
    )


async def control(sandbox: SandboxServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to the sandbox's control API (someone working in ConnectWise itself)."""
    async with httpx.AsyncClient(base_url=sandbox.root_url + "/__sandbox", timeout=10) as client:
        resp = await client.post(path, json=body)
    assert resp.status_code < 300, resp.text
    answer: dict[str, Any] = resp.json()
    return answer


async def change_status(
    sandbox: SandboxServer, ticket_id: int, status: str, *, by: str = OTHER_MEMBER
) -> None:
    """Someone changes the ticket's status in ConnectWise."""
    await control(sandbox, f"/changes/tickets/{ticket_id}/status", {"status": {"name": status}, "member": by})


async def add_note(
    sandbox: SandboxServer,
    ticket_id: int,
    text: str,
    *,
    by: str | None = OTHER_MEMBER,
    contact: int | None = None,
    internal: bool = False,
) -> None:
    """A note written in ConnectWise by a member, or by the customer's contact (an e-mail reply)."""
    body: dict[str, Any] = {"text": text, "internal": internal}
    body |= {"contact": contact} if contact is not None else {"member": by}
    await control(sandbox, f"/changes/tickets/{ticket_id}/notes", body)


async def assign(
    sandbox: SandboxServer, ticket_id: int, member: str, *, by: str = OTHER_MEMBER, owner: bool = False
) -> None:
    """Someone assigns a member to the ticket in ConnectWise (a schedule entry, or as owner)."""
    await control(
        sandbox, f"/changes/tickets/{ticket_id}/assign", {"member": member, "by": by, "owner": owner}
    )


async def deliveries(sandbox: SandboxServer) -> list[dict[str, Any]]:
    """Every callback delivery attempt the sandbox made since its reset."""
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.get(sandbox.root_url + "/__sandbox/callbacks/deliveries")
    rows: list[dict[str, Any]] = resp.json()
    return rows


async def delivered(slack: Slack, count: int) -> list[dict[str, Any]]:
    """Wait until the app answered `count` deliveries, then for the work they queued."""

    async def answered() -> list[dict[str, Any]] | None:
        rows = await deliveries(slack.sandbox)
        done = [r for r in rows if r["status"] is not None or r["error"]]
        return done if len(done) >= count else None

    rows = await wait_until(answered, what=f"{count} deliveries answered")
    await slack.settle()
    return rows


def dms(slack: Slack, user: str = DEMO) -> list[dict[str, Any]]:
    """Messages the app posted in the user's DM, oldest first."""
    return [
        c.args
        for c in slack.fake.calls_to("chat.postMessage")
        if c.args.get("channel") == user and c.status == 200
    ]


def other_status(sandbox: SandboxServer, ticket_id: int) -> tuple[str, str]:
    """(current status, an open status of the same board it is not in)."""
    store = sandbox.state.store
    with store.lock:
        ticket = dict(store.tables["tickets"][ticket_id])
    current = ticket["status"]["name"]
    choice = next(s for s in ("Waiting on Client", "Scheduled", "In Progress") if s != current)
    return current, choice


def member_name(sandbox: SandboxServer, identifier: str) -> str:
    """A member's full name as ConnectWise shows it."""
    member = sandbox.state.store.find_member(identifier)
    assert member is not None
    return f"{member['firstName']} {member['lastName']}"


class Capture:
    """A second callback URL (not the app's) that keeps genuine signed deliveries, to replay or tamper."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> Capture:
        async def keep(request: web.Request) -> web.Response:
            self.received.append((dict(request.headers), await request.read()))
            return web.Response(status=200)

        app = web.Application()
        app.router.add_post("/{tail:.*}", keep)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/capture?recordId="
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
