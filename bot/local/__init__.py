"""The local Slack workspace: a fake Web API server, Slack-shaped request payloads and a request signer."""

from bot.local.block_state import element_state, view_state
from bot.local.fake_slack import FakeChannel, FakeSlack, FakeUser, RecordedCall, ResponsePost
from bot.local.signing import SlackRequestSender, sign

__all__ = [
    "FakeChannel",
    "FakeSlack",
    "FakeUser",
    "RecordedCall",
    "ResponsePost",
    "SlackRequestSender",
    "element_state",
    "sign",
    "view_state",
]
