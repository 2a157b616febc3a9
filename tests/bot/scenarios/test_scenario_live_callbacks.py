"""Changes pushed by ConnectWise: registered at PUBLIC_URL, verified, taken in once, re-read."""

from __future__ import annotations

import json

import httpx
from live_kit import (
    OTHER_MEMBER,
    Capture,
    app_root,
    change_status,
    delivered,
    deliveries,
    demo_ticket,
    dms,
    go_public,
    member_name,
    other_status,
)
from round_trips import Since, sent_together
from scenario_harness import Slack, blocks_text
from waiting import wait_until

from bot.flows.live.subscriptions import unsubscribe
from bot.ids import MessageAction
from psa.connectwise.sandbox import rounds


async def _registered(slack: Slack) -> list[str]:
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    return [f"{s.record_type}:{s.url}" for s in await service.provider.list_change_subscriptions()]


async def test_connecting_registers_ticket_and_schedule_callbacks_at_the_public_url(slack: Slack) -> None:
    assert await go_public(slack) == "callbacks"
    settings = await slack.deps.storage.live().find_settings(slack.team)
    assert settings is not None and settings.callback_url
    url = settings.callback_url
    assert url.startswith(app_root(slack) + "/psa/callbacks/") and url.endswith("?recordId=")
    assert sorted(await _registered(slack)) == [f"Schedule:{url}", f"Ticket:{url}"]

    assert await go_public(slack) == "callbacks"  # a second sync keeps what is there
    assert len(await _registered(slack)) == 2

    assert await unsubscribe(slack.deps, slack.team)
    assert await _registered(slack) == []


async def test_a_status_change_made_in_connectwise_reaches_the_assignee_as_a_dm(slack: Slack) -> None:
    await go_public(slack)
    ticket = demo_ticket(slack.sandbox)
    before, after = other_status(slack.sandbox, ticket)

    await change_status(slack.sandbox, ticket, after)
    rows = await delivered(slack, 1)

    assert [r["status"] for r in rows] == [200]
    [dm] = dms(slack)
    text = blocks_text(dm)
    assert f"#{ticket}" in text and f"{before}" in text and f"{after}" in text
    assert member_name(slack.sandbox, OTHER_MEMBER) in text
    [button] = [b["accessory"] for b in dm["blocks"] if b.get("accessory")]
    assert (button["action_id"], button["value"]) == (MessageAction.OPEN_TICKET, str(ticket))


async def test_a_forged_delivery_is_refused_and_nothing_is_done(slack: Slack) -> None:
    await go_public(slack)
    settings = await slack.deps.storage.live().find_settings(slack.team)
    assert settings is not None and settings.callback_url
    ticket = demo_ticket(slack.sandbox)
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    async with Capture() as capture:  # a genuine signed delivery, sent elsewhere
        await service.subscribe_to_changes(capture.url, description="capture")
        await change_status(slack.sandbox, ticket, other_status(slack.sandbox, ticket)[1])
        await wait_until(lambda: capture.received, what="a delivery to the capture URL")
        await delivered(slack, 2)
    headers, genuine = capture.received[0]
    told = len(dms(slack))
    payload = json.loads(genuine)
    tampered = json.dumps({**payload, "ID": ticket + 1}).encode()
    elsewhere = json.dumps({**payload, "Metadata": {"key_url": "https://attacker.example/key"}}).encode()
    signature = {
        "x-content-signature": {k.lower(): v for k, v in headers.items()}["x-content-signature"],
        "content-type": "application/json",
    }

    since = Since(slack.sandbox)
    async with httpx.AsyncClient() as http:
        unsigned = await http.post(settings.callback_url + str(ticket), content=genuine)
        altered = await http.post(
            settings.callback_url + str(ticket + 1), content=tampered, headers=signature
        )
        foreign = await http.post(settings.callback_url + str(ticket), content=elsewhere, headers=signature)
    await slack.settle()

    assert [unsigned.status_code, altered.status_code, foreign.status_code] == [403, 403, 403]
    assert len(dms(slack)) == told
    # Nothing was read for them: only the signing key (of the connection's own site) was fetched.
    assert {r.path for r in since.trips().records} <= {"/v4_6_release//system/callbackkey/index.rails"}


async def test_a_delivery_for_an_unknown_token_is_refused(slack: Slack) -> None:
    await go_public(slack)
    async with httpx.AsyncClient() as http:
        resp = await http.post(app_root(slack) + "/psa/callbacks/not-a-token?recordId=1", content=b"{}")
    assert resp.status_code == 403


async def test_a_delivery_sent_twice_is_told_once(slack: Slack) -> None:
    await go_public(slack)
    async with httpx.AsyncClient() as http:
        await http.post(slack.sandbox.root_url + "/__sandbox/callbacks/behaviour", json={"mode": "duplicate"})
    ticket = demo_ticket(slack.sandbox)
    _, after = other_status(slack.sandbox, ticket)

    await change_status(slack.sandbox, ticket, after)
    rows = await delivered(slack, 2)

    assert [r["status"] for r in rows] == [200, 200]
    assert rows[0]["message_id"] == rows[1]["message_id"]
    assert len(dms(slack)) == 1


async def test_the_delivery_is_answered_before_connectwise_is_read_again(slack: Slack) -> None:
    """The answer waits for nothing but the signature: the ticket is re-read after it, by the job."""
    await go_public(slack)
    ticket = demo_ticket(slack.sandbox)
    _, after = other_status(slack.sandbox, ticket)
    with slack.sandbox.holding():  # ConnectWise answers nothing while held (the key comes from it too)
        await change_status(slack.sandbox, ticket, after)
    rows = await delivered(slack, 1)
    assert rows[0]["status"] == 200
    assert len(dms(slack)) == 1
    assert len(await deliveries(slack.sandbox)) == 1


async def test_a_pushed_change_costs_one_round_of_connectwise_reads(slack: Slack) -> None:
    """The ticket and its notes are read together (the engineer's ticket is known from the baseline);
    who did it is named from the member list, reference data the app keeps for minutes."""
    await go_public(slack)
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    await service.members()
    ticket = demo_ticket(slack.sandbox)
    with sent_together(slack.sandbox, 2) as since:  # the ticket and its notes
        await change_status(slack.sandbox, ticket, other_status(slack.sandbox, ticket)[1])
        await delivered(slack, 1)

    reads = [
        r
        for r in since.trips().records
        if not r.path.startswith("/__sandbox") and "callbackkey" not in r.path
    ]
    assert sorted(f"{r.method} {r.path}" for r in reads) == [
        f"GET /service/tickets/{ticket}",
        f"GET /service/tickets/{ticket}/notes",
    ]
    assert rounds(reads) == 1
    assert len(dms(slack)) == 1
