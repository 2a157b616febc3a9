"""A local fake of the Slack Web API: real HTTP on 127.0.0.1, recorded calls, Slack-strict limits."""

from bot.local.fake_slack.models import (
    DEFAULT_CHANNELS,
    DEFAULT_USERS,
    FakeChannel,
    FakeUser,
    FakeUsergroup,
    RecordedCall,
    ResponsePost,
)
from bot.local.fake_slack.server import FakeSlack

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_USERS",
    "FakeChannel",
    "FakeSlack",
    "FakeUser",
    "FakeUsergroup",
    "RecordedCall",
    "ResponsePost",
]
