"""The ack of a web process whose jobs are on Postgres (WORKERS=external): one statement to the database
per `/tickets`, on a connection the pool opened beforehand; a replay of it, sent to another process,
hands nothing off. Any other request's replay check is one statement too, shared by every process.
Counted from the pools (psycopg_pool's statistics, SQLAlchemy's checkout events) and from the job and
processed-events tables, not from timings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from jobs_kit import fresh_jobs_database
from scenario_harness import CHANNEL, DEMO, TEAM, scenario_settings, serve_app
from sqlalchemy import event, text

from bot.boundary import bolt_request
from bot.deps import AppDeps, build_deps
from bot.jobs.waking import WakingPsycopgConnector
from bot.local import FakeChannel, FakeSlack, FakeUser, sign
from bot.local import payloads as p
from bot.replay import is_replay
from bot.settings import Settings
from storage.migrate import upgrade

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with fresh_jobs_database() as url:
        await asyncio.to_thread(upgrade, url)
        yield url


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack(
        users=[FakeUser(id=DEMO, name="demo")], channels=[FakeChannel(id=CHANNEL, name="support")]
    )
    slack.start_in_thread()
    try:
        yield slack
    finally:
        slack.stop_thread()


def _command(fake: FakeSlack, text: str = "mine") -> tuple[str, str]:
    return p.slash_command(
        "/tickets",
        text,
        user=DEMO,
        channel=CHANNEL,
        trigger_id=fake.new_trigger_id(DEMO),
        response_url=fake.new_response_url(CHANNEL, DEMO),
    )


class Statements:
    """What one process sends to the database: statements through the job engine's pool (psycopg)
    and connections checked out of the app's SQLAlchemy pool."""

    def __init__(self, deps: AppDeps) -> None:
        assert deps.jobs is not None
        connector = deps.jobs.engine.connector
        assert isinstance(connector, WakingPsycopgConnector)
        self.pool = connector.pool
        self.checkouts = 0
        event.listen(deps.storage.engine.sync_engine, "checkout", self._checked_out)

    def _checked_out(self, *_: Any) -> None:
        self.checkouts += 1

    def reset(self) -> None:
        self.pool.pop_stats()
        self.checkouts = 0

    def handed_out(self) -> dict[str, int]:
        return self.pool.pop_stats()


async def _count(deps: AppDeps, sql: str) -> int:
    async with deps.storage.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_a_commands_ack_is_one_statement_on_an_open_connection_and_its_replay_hands_off_nothing(
    database: str, fake: FakeSlack
) -> None:
    settings: Settings = scenario_settings(database, fake, workers="external")
    web = build_deps(settings)
    other = build_deps(settings)
    try:
        async with serve_app(settings, web, fake) as sender:
            await sender.send(*_command(fake, "help"))  # Bolt's auth.test, the first backlog count
            statements = Statements(web)
            body, content_type = _command(fake)
            timestamp = int(time.time())
            statements.reset()
            first = await sender.send(body, content_type, timestamp=timestamp)
            stats = statements.handed_out()
            sqlalchemy_checkouts = statements.checkouts
            async with statements.pool.connection() as conn:
                # The statement is its own transaction: no BEGIN and COMMIT round trips around it.
                autocommit = conn.autocommit
        async with serve_app(settings, other, fake) as second:
            replay = await second.send(body, content_type, timestamp=timestamp)
        jobs = await _count(web, "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'work'")
        recorded = await _count(web, "SELECT count(*) FROM processed_events WHERE team_id = '~replay'")
        slots = await _count(web, f"SELECT count(*) FROM procrastinate_jobs WHERE lock LIKE 'ws:{TEAM}:%'")
    finally:
        await other.aclose()
        await web.aclose()

    assert first.status_code == 200 and replay.status_code == 200 and replay.content == b""
    # One connection asked of the job engine's pool (one statement: the record, the slot, the job),
    # none opened for it, and nothing through the app's own pool.
    assert stats.get("requests_num", 0) == 1
    assert stats.get("connections_num", 0) == 0
    assert sqlalchemy_checkouts == 0
    assert autocommit
    # The warm-up command and the first: two jobs, each in a workspace slot, two deliveries recorded;
    # the replay added neither.
    assert jobs == 2 and slots == 2
    assert recorded == 2


async def test_a_replayed_click_is_refused_by_one_statement_in_any_process(
    database: str, fake: FakeSlack
) -> None:
    settings: Settings = scenario_settings(database, fake, workers="external")
    processes = [build_deps(settings), build_deps(settings)]
    button = {
        "type": "button",
        "action_id": "any.click",
        "value": "1",
        "text": {"type": "plain_text", "text": "Go"},
    }
    message = {"ts": "1.0", "blocks": [{"type": "actions", "block_id": "b", "elements": [button]}]}
    body, content_type = p.block_actions("any.click", "1", user=DEMO, channel=CHANNEL, message=message)
    headers = {
        "content-type": content_type,
        **{k.lower(): v for k, v in sign(body, signing_secret="s").items()},
    }
    try:
        answers: list[bool] = []
        for deps in processes:
            assert deps.jobs is not None
            await deps.jobs.start()
            statements = Statements(deps)
            statements.reset()
            request = bolt_request(body.encode(), query={}, headers=headers)
            answers.append(await is_replay(deps.storage, request, durable=deps.jobs.queue))
            assert statements.handed_out().get("requests_num", 0) == 1
            assert statements.checkouts == 0
    finally:
        for deps in processes:
            await deps.aclose()
    assert answers == [False, True]


@pytest.mark.parametrize("fast_ack", [True, False], ids=["fast-ack", "through-bolt"])
async def test_a_command_queued_behind_many_others_is_told_so_in_its_own_ack(
    database: str, fake: FakeSlack, fast_ack: bool
) -> None:
    settings: Settings = scenario_settings(database, fake, workers="external", fast_ack=fast_ack)
    web = build_deps(settings)
    try:
        assert web.jobs is not None
        web.jobs.config.busy_backlog = 3
        async with serve_app(settings, web, fake) as sender:
            first = await sender.send(*_command(fake))  # no worker runs: every job waits
            for _ in range(2):
                await sender.send(*_command(fake))
            await web.jobs.queue.waiting()  # the count an ack reads (refreshed in the background)
            queued = await sender.send(*_command(fake))
        jobs = await _count(web, "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'work'")
    finally:
        await web.aclose()

    assert first.status_code == 200 and first.content == b""
    # Slack shows an ack's text to the user at once; the answer itself follows when its job runs.
    assert queued.status_code == 200
    assert queued.json() == {
        "text": "Lots of requests right now: 3 ahead of yours. Your answer will follow here shortly."
    }
    assert jobs == 4
    # Said once, in the ack: nothing posted to the command's response_url from the busy web process.
    assert not [r for r in fake.responses if "Lots of requests" in str(r.body)]
