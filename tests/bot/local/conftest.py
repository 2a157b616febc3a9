"""Fixtures for the local Slack workspace: a running FakeSlack and a real slack_sdk client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.local import FakeSlack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A FakeSlack serving in the test's event loop, seeded with the default users and channels."""
    async with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    """The real async Slack client, pointed at the fake with the bot token."""
    return AsyncWebClient(token="xoxb-local", base_url=fake.api_url)
