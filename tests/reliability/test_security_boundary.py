"""The HTTP boundary in front of Bolt, driven over real HTTP: commands that contain the word "payload",
bodies over the size limit (declared or streamed), hostile JSON of any shape, and replayed requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from reliability_kit import unhandled
from scenario_harness import CHANNEL, DEMO, SIGNING_SECRET, TEAM, Slack, blocks_text, row_ids, serve_app

from bot.boundary import MAX_BODY_BYTES, MAX_JSON_DEPTH
from bot.deps import build_deps
from bot.ids import DetailAction, note_block_id
from bot.local import FakeChannel, FakeUser
from bot.local import payloads as p
from bot.local.signing import sign
from storage import Storage

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
FORM, JSON = p.FORM, p.JSON


async def _post(
    slack: Slack, content: bytes | AsyncIterator[bytes], headers: dict[str, str]
) -> httpx.Response:
    return await slack.sender.http.post(slack.sender.events_url, content=content, headers=headers)


def _signed(body: str, content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type, **sign(body, signing_secret=SIGNING_SECRET)}


async def _healthy(slack: Slack) -> bool:
    resp = await slack.sender.http.get(slack.sender.events_url.replace("/slack/events", "/healthz"))
    return resp.status_code == 200


# -- "payload" anywhere in a slash command ------------------------------------------------------


async def test_a_search_for_the_word_payload_lists_tickets(slack: Slack) -> None:
    sent = await slack.command("search payload")

    assert sent.status == 200
    assert "No tickets" in blocks_text(slack.last_ephemeral()) or row_ids(slack.last_ephemeral())


async def test_quick_create_with_payload_in_the_text_opens_the_modal_with_it(slack: Slack) -> None:
    sent = await slack.command("new payload server down at Acme")

    assert sent.status == 200
    prompt = json.dumps(slack.modal())
    assert "payload server down at Acme" in prompt


@pytest.mark.parametrize(
    "where",
    ["channel name", "user name", "team domain"],
)
async def test_commands_from_a_channel_user_or_team_named_payload_are_answered(
    slack: Slack, where: str
) -> None:
    channel: Any = FakeChannel(id=CHANNEL, name="payload-alerts") if where == "channel name" else CHANNEL
    user: Any = FakeUser(id=DEMO, name="payload.bot") if where == "user name" else DEMO
    team: Any = p.Team(id=TEAM, domain="payloadco") if where == "team domain" else TEAM
    body = p.slash_command(
        "/tickets",
        "mine",
        user=user,
        channel=channel,
        team=team,
        trigger_id=slack.fake.new_trigger_id(DEMO),
        response_url=slack.fake.new_response_url(CHANNEL, DEMO),
    )
    assert "payload" in body[0]

    sent = await slack.send(body)

    assert sent.status == 200
    assert row_ids(slack.last_ephemeral())  # Jane's open tickets


# -- bodies over the limit ---------------------------------------------------------------------


async def _status_while_sending(slack: Slack, headers: dict[str, str], body: bytes, *, chunked: bool) -> int:
    """POST over a raw socket, writing the body piece by piece until the server answers; its status.

    An HTTP client library would finish writing before it reads, so it could not show the answer
    arriving before the body was sent (or read) whole.
    """
    url = httpx.URL(slack.sender.events_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    head = [f"POST {url.raw_path.decode()} HTTP/1.1", f"Host: {url.host}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    if chunked:
        head.append("Transfer-Encoding: chunked")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())

    async def send_body() -> None:
        piece = 64 * 1024
        for start in range(0, len(body), piece):
            part = body[start : start + piece]
            writer.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    sending = asyncio.ensure_future(send_body())
    try:
        status_line = await reader.readline()
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sending
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return int(status_line.split()[1])


async def test_a_body_declared_over_one_megabyte_gets_413_before_it_is_sent(slack: Slack) -> None:
    headers = {"Content-Type": FORM, "Content-Length": str(50 * MAX_BODY_BYTES)}

    # Only a tenth of the declared body is ever written: the answer cannot have waited for the rest.
    status = await _status_while_sending(slack, headers, b"x" * (5 * MAX_BODY_BYTES), chunked=False)

    assert status == 413
    assert await _healthy(slack)


async def test_a_streamed_body_over_one_megabyte_gets_413(slack: Slack) -> None:
    status = await _status_while_sending(
        slack, {"Content-Type": FORM}, b"x" * (3 * MAX_BODY_BYTES), chunked=True
    )

    assert status == 413
    assert await _healthy(slack)


async def test_a_signed_body_just_over_the_limit_gets_413_and_does_nothing(slack: Slack) -> None:
    body, content_type = p.slash_command(
        "/tickets", "search " + "a" * MAX_BODY_BYTES, user=DEMO, channel=CHANNEL
    )

    resp = await _post(slack, body.encode(), _signed(body, content_type))
    await slack.settle()

    assert resp.status_code == 413
    assert slack.fake.calls == [] and slack.sandbox.requests == []


async def test_a_signed_body_under_the_limit_is_served(slack: Slack) -> None:
    sent = await slack.command("search " + "a" * (MAX_BODY_BYTES // 2))

    assert sent.status == 200


# -- hostile JSON --------------------------------------------------------------------------------


def _event_with(value: str) -> str:
    return '{"type":"event_callback","team_id":"T0LOCAL","event":' + value + "}"


HOSTILE_JSON = {
    "nested 100,000 deep (RecursionError)": _event_with("[" * 100_000 + "]" * 100_000),
    "nested just past the depth limit": _event_with("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH),
    "objects nested past the depth limit": _event_with(
        '{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1)
    ),
    "an integer of 5,000 digits": _event_with("1" * 5000),
    "NaN": _event_with("NaN"),
    "Infinity": _event_with("-Infinity"),
    "an unpaired surrogate": _event_with('{"type":"message","text":"\\ud800 x"}'),
    "a lone low surrogate": _event_with('{"type":"message","text":"x \\udc00"}'),
    "a top-level list": "[" + _event_with("{}") + "]",
    "a top-level string": '"event_callback"',
    "a top-level number": "42",
}


@pytest.mark.parametrize("case", list(HOSTILE_JSON))
async def test_hostile_json_events_get_400(slack: Slack, case: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    text = HOSTILE_JSON[case]
    raw = text.encode()
    headers = {"Content-Type": JSON, **sign(raw, signing_secret=SIGNING_SECRET)}

    resp = await _post(slack, raw, headers)

    assert resp.status_code == 400
    assert await _healthy(slack)
    assert not unhandled(caplog.records)


async def test_a_body_that_is_not_utf8_is_refused(slack: Slack) -> None:
    raw = b'{"type":"event_callback","team_id":"T0LOCAL","x":"\xff\xfe"}'

    resp = await _post(slack, raw, {"Content-Type": JSON, **sign(raw, signing_secret=SIGNING_SECRET)})

    assert 400 <= resp.status_code < 500  # slack_sdk's signature check decodes the body first (401)
    assert await _healthy(slack)


@pytest.mark.parametrize("case", ["nested 100,000 deep (RecursionError)", "an unpaired surrogate", "NaN"])
async def test_hostile_json_inside_an_interactive_payload_gets_400(slack: Slack, case: str) -> None:
    body = urlencode({"payload": HOSTILE_JSON[case]})

    resp = await _post(slack, body.encode(), _signed(body, FORM))

    assert resp.status_code == 400


async def test_a_deep_but_legitimate_rich_text_message_is_still_served(slack: Slack) -> None:
    nested: dict[str, Any] = {"type": "text", "text": "hi"}
    for _ in range(12):
        nested = {"type": "rich_text_section", "elements": [nested]}
    event = p.message_event(CHANNEL, user=DEMO, text="hello")
    event["blocks"] = [{"type": "rich_text", "elements": [nested]}]

    sent = await slack.event(event)

    assert sent.status == 200


# -- replays -------------------------------------------------------------------------------------


async def _note_click(slack: Slack) -> tuple[str, str]:
    await slack.command("1649")
    detail = slack.modal(DEMO)
    slack.type_into(detail, {note_block_id(0): {DetailAction.NOTE_TEXT: "Replaced the toner"}})
    current = slack.fake.view(detail["id"]) or detail
    return p.block_actions(
        DetailAction.ADD_NOTE,
        None,
        user=DEMO,
        view=current,
        trigger_id=slack.fake.new_trigger_id(DEMO, view_id=current["id"]),
    )


def _notes_posted(slack: Slack) -> int:
    return sum(1 for r in slack.sandbox.requests if r.method == "POST" and r.path.endswith("/notes"))


async def test_a_replayed_note_click_adds_the_note_once(slack: Slack) -> None:
    body, content_type = await _note_click(slack)
    timestamp = int(time.time())

    first = await slack.sender.send(body, content_type, timestamp=timestamp)
    await slack.settle()
    calls = len(slack.fake.calls)
    replay = await slack.sender.send(body, content_type, timestamp=timestamp)
    await slack.settle()

    assert first.status_code == 200 and replay.status_code == 200
    assert replay.content == b""
    assert _notes_posted(slack) == 1
    assert len(slack.fake.calls) == calls  # the replay made no Slack call either


async def test_a_replayed_command_sent_to_another_app_process_does_nothing(
    slack: Slack, app_key: bytes
) -> None:
    body, content_type = p.slash_command(
        "/tickets",
        "mine",
        user=DEMO,
        channel=CHANNEL,
        trigger_id=slack.fake.new_trigger_id(DEMO),
        response_url=slack.fake.new_response_url(CHANNEL, DEMO),
    )
    timestamp = int(time.time())
    await slack.sender.send(body, content_type, timestamp=timestamp)
    await slack.settle()
    shown = len(slack.ephemerals())
    settings = slack.deps.settings
    from cryptography.fernet import Fernet

    other = build_deps(settings, storage=Storage(settings.database_url, Fernet(app_key)))
    try:
        async with serve_app(settings, other, slack.fake) as second:
            replay = await second.send(body, content_type, timestamp=timestamp)
            await other.work.drain(20)
    finally:
        await other.aclose()

    assert replay.status_code == 200 and replay.content == b""
    assert len(slack.ephemerals()) == shown


async def test_the_same_click_signed_anew_is_not_a_replay(slack: Slack) -> None:
    body, content_type = p.slash_command(
        "/tickets",
        "mine",
        user=DEMO,
        channel=CHANNEL,
        trigger_id=slack.fake.new_trigger_id(DEMO),
        response_url=slack.fake.new_response_url(CHANNEL, DEMO),
    )
    now = int(time.time())
    await slack.sender.send(body, content_type, timestamp=now - 2)
    await slack.sender.send(body, content_type, timestamp=now - 1)
    await slack.settle()

    assert len(slack.ephemerals()) == 2
