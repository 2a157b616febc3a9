"""The PSA private key never leaves the secret store: not in any log line (everything captured at DEBUG
across a whole session of use, failures included), not in a Slack message or view, not in the
database file — neither the key typed into the connect modal, nor a wrong one, nor the Basic header."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from create_driver import submit, values_for
from reliability_kit import everything_recorded
from scenario_harness import ADMIN, CLIENT_ID, DEMO, Slack

from bot.ids import ConnectField, CreateAction, DetailAction, ListAction, note_block_id
from bot.local import payloads as p
from psa.connectwise.sandbox import SandboxServer

MakeSlack = Callable[..., AbstractAsyncContextManager[Slack]]
SECRET = "pk-7Rq2-RELIABILITY-SECRET-x9Vb"
WRONG = "pk-0000-WRONG-BUT-STILL-SECRET-0000"


def forms(sandbox: SandboxServer, private_key: str) -> dict[str, dict[str, str]]:
    typed = {
        ConnectField.SITE_URL: sandbox.root_url,
        ConnectField.COMPANY_ID: sandbox.company_id,
        ConnectField.PUBLIC_KEY: sandbox.public_key,
        ConnectField.PRIVATE_KEY: private_key,
        ConnectField.CLIENT_ID: CLIENT_ID,
    }
    return {name: {name: value} for name, value in typed.items()}


def leaks(text: str, sandbox: SandboxServer) -> list[str]:
    basic = f"{sandbox.company_id}+{sandbox.public_key}:{SECRET}"
    needles = {
        "private key": SECRET,
        "wrong private key": WRONG,
        "Basic header": base64.b64encode(basic.encode()).decode(),
    }
    return [name for name, needle in needles.items() if needle in text]


def database_bytes(slack: Slack) -> bytes:
    path = Path(str(slack.deps.storage.engine.url.database))
    return b"".join(f.read_bytes() for f in path.parent.glob(path.name + "*"))


async def test_the_private_key_appears_in_no_log_message_or_database_byte(
    make_slack: MakeSlack,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox.state, "private_key", SECRET)
    caplog.set_level(logging.DEBUG)
    async with make_slack(connected=False) as slack:
        # An admin connects: a wrong key first (refused), then the right one.
        await slack.command("connect", user=ADMIN)
        modal = slack.modal(ADMIN)
        refused = await slack.submit(modal, user=ADMIN, values=forms(sandbox, WRONG))
        assert refused.body["response_action"] == "errors"
        accepted = await slack.submit(modal, user=ADMIN, values=forms(sandbox, SECRET))
        assert accepted.body["response_action"] == "update"

        # A working session: list, page, detail, status, note, assignee options, Home, create.
        await slack.command("search")
        await slack.click(ListAction.NEXT, message=slack.last_ephemeral(DEMO))
        await slack.command("1649")
        detail = slack.modal(DEMO)
        await slack.click(DetailAction.STATUS, "129", view=detail)
        slack.type_into(detail, {note_block_id(0): {DetailAction.NOTE_TEXT: "Rebooted the DC"}})
        await slack.click(DetailAction.ADD_NOTE, view=detail)
        await slack.options(DetailAction.ADD_ASSIGNEE, "chen", view=slack.modal(DEMO))
        await slack.event(p.app_home_opened_event(DEMO, channel=slack.fake.dm_channel(DEMO)))
        await slack.command("new Acme printer jammed, high priority")
        await slack.click(CreateAction.PARSE, view=slack.modal(DEMO))
        await slack.click(CreateAction.BOARD, "1", view=slack.modal(DEMO))
        await submit(slack, slack.modal(DEMO))

        # And failures, whose messages quote ConnectWise's errors.
        slack.sandbox.inject_fault(status=401, count=2)
        await slack.command("mine")
        slack.sandbox.inject_fault(status=500, count=None)
        await slack.command("1649")
        slack.sandbox.clear_faults()
        await slack.command("new")
        form = slack.modal(DEMO)
        slack.sandbox.inject_fault(method="POST", path_pattern="service/tickets$", drop_connection=True)
        await submit(
            slack, form, values=values_for(form, summary="x", company=("Acme Corp", "42"), board="1")
        )
        await slack.settle()

        logged = "\n".join(
            f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.exc_info[1] if r.exc_info else ''}"
            for r in caplog.records
        )
        assert len(caplog.records) > 100  # DEBUG really was on (Bolt, slack_sdk, httpx, the app)
        assert leaks(logged, sandbox) == []
        assert leaks(everything_recorded(slack), sandbox) == []
        assert leaks(json.dumps([r.body for r in slack.sandbox.requests], default=str), sandbox) == []
        stored = database_bytes(slack)
        assert stored and SECRET.encode() not in stored and WRONG.encode() not in stored
        assert SECRET not in repr(slack.deps.settings) + repr(await slack.deps.workspaces.summary(slack.team))
