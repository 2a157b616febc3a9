"""ConnectWise ticket links pasted in Slack unfurl into a compact card (`link_shared` → `chat.unfurl`)."""

from __future__ import annotations

from typing import Any

from round_trips import Since
from scenario_harness import CHANNEL, DEMO, NEWBIE, Slack, blocks_text
from scenario_spinoff_kit import OUTLOOK_TICKET, say, seed_ticket

from bot.ids import MessageAction
from bot.local import payloads as p


async def _paste(slack: Slack, url: str, *, user: str = DEMO) -> dict[str, Any]:
    message = say(slack, f"Is this the same as <{url.replace('&', '&amp;')}>?", user=user)
    event = p.link_shared_event(CHANNEL, user=user, message_ts=message["ts"], links=[url])
    sent = await slack.event(event)
    assert sent.status == 200
    return message


async def _url(slack: Slack, ticket_id: int) -> str:
    service = await slack.deps.workspaces.service(slack.team)
    assert service is not None
    url = service.ticket_url(ticket_id)
    assert url is not None
    return url


async def test_a_pasted_ticket_link_unfurls_into_a_compact_card(slack: Slack) -> None:
    url = await _url(slack, OUTLOOK_TICKET)
    ticket = seed_ticket(slack.sandbox, OUTLOOK_TICKET)

    message = await _paste(slack, url)

    [call] = slack.fake.calls_to("chat.unfurl")
    assert call.status == 200 and set(call.args["unfurls"]) == {url}
    card = call.args["unfurls"][url]
    text = blocks_text(card)
    assert f"*#{OUTLOOK_TICKET}* · Outlook not syncing · {ticket['status']['name']}" in text
    assert ticket["priority"]["name"] in text and ticket["company"]["name"] in text and "Assigned" in text
    [button] = [b["accessory"] for b in card["blocks"] if b.get("accessory")]
    assert (button["action_id"], button["value"]) == (MessageAction.OPEN_TICKET, str(OUTLOOK_TICKET))
    stored = slack.fake.messages(CHANNEL)
    assert next(m for m in stored if m["ts"] == message["ts"])["unfurls"][url] == card


async def test_a_link_to_a_ticket_that_does_not_exist_unfurls_to_a_short_not_found(slack: Slack) -> None:
    url = await _url(slack, 987654)
    await _paste(slack, url)
    [call] = slack.fake.calls_to("chat.unfurl")
    assert "was not found" in blocks_text(call.args["unfurls"][url])


async def test_a_link_posted_by_someone_not_mapped_shows_only_the_number(slack: Slack) -> None:
    url = await _url(slack, OUTLOOK_TICKET)
    since = Since(slack.sandbox)

    await _paste(slack, url, user=NEWBIE)

    [call] = slack.fake.calls_to("chat.unfurl")
    text = blocks_text(call.args["unfurls"][url])
    assert f"#{OUTLOOK_TICKET}" in text and "Outlook" not in text
    assert since.trips().records == []  # nothing of the ticket was read for it


async def test_links_to_other_sites_are_left_alone(slack: Slack) -> None:
    await _paste(
        slack,
        "https://na.myconnectwise.net/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=1594",
    )
    await _paste(slack, (await _url(slack, OUTLOOK_TICKET)).replace("service_recid", "other"))
    assert slack.fake.calls_to("chat.unfurl") == []


async def test_open_in_a_link_preview_opens_the_ticket(slack: Slack) -> None:
    url = await _url(slack, OUTLOOK_TICKET)
    pasted = await _paste(slack, url)
    message = next(m for m in slack.fake.messages(CHANNEL) if m["ts"] == pasted["ts"])

    # Slack sends a click in an app's preview as a block action in a message attachment.
    sent = await slack.click(MessageAction.OPEN_TICKET, message=message)
    await slack.settle()

    assert sent.status == 200
    assert f"#{OUTLOOK_TICKET}" in blocks_text(slack.modal())
