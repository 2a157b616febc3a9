"""The local Slack workspace: a fake Web API server, Slack-shaped request payloads and a request signer.

Typical test::

    async with FakeSlack() as fake:
        client = AsyncWebClient(token="xoxb-local", base_url=fake.api_url)
        app = AsyncApp(client=client, signing_secret=SECRET)      # then serve it over HTTP
        sender = SlackRequestSender(events_url, SECRET, http)
        await sender.send(*payloads.slash_command("/tickets", "", user="U0ADMIN", channel="C0GENERAL",
                          trigger_id=fake.new_trigger_id("U0ADMIN"),
                          response_url=fake.new_response_url("C0GENERAL", "U0ADMIN")))
        modal = fake.last_view("U0ADMIN")
        values = {"summary": {"value": "Printer jam"}}            # {block_id: {action_id: value}}
        await sender.send(*payloads.view_submission(modal, user="U0ADMIN", values=values))
        [post] = await fake.wait_for("chat.postMessage")
"""

from bot.local.block_state import element_state, view_state
from bot.local.fake_slack import FakeChannel, FakeSlack, FakeUser, FakeUsergroup, RecordedCall, ResponsePost
from bot.local.signing import SlackRequestSender, sign

__all__ = [
    "FakeChannel",
    "FakeSlack",
    "FakeUser",
    "FakeUsergroup",
    "RecordedCall",
    "ResponsePost",
    "SlackRequestSender",
    "element_state",
    "sign",
    "view_state",
]
