"""Threads and tickets that stay in sync: ConnectWise's notes and status changes appear in the linked
thread, and "Add to ticket as note" copies a Slack reply into the ticket once."""

from __future__ import annotations

from live_kit import OTHER_MEMBER, add_note, change_status, delivered, go_public, member_name, other_status
from scenario_harness import CHANNEL, DEMO, DEMO_MEMBER, NEWBIE, Slack, blocks_text
from scenario_spinoff_kit import OUTLOOK_TICKET, bot_replies, link_thread, say, shortcut

from bot.flows.live.thread_note import note_key
from bot.ids import LiveAction, Shortcut
from bot.views.live import ADD_AS_NOTE
from storage import LedgerState


async def _linked(slack: Slack) -> str:
    await go_public(slack)
    parent = say(slack, "Marcus says Outlook stopped syncing this morning", user=NEWBIE)
    await link_thread(slack, parent, f"#{OUTLOOK_TICKET}")
    return str(parent["ts"])


def _notes(slack: Slack, ticket_id: int) -> list[dict[str, object]]:
    store = slack.sandbox.state.store
    with store.lock:
        return [dict(n) for n in store.tables["notes"].values() if n["ticketId"] == ticket_id]


async def test_notes_and_a_status_change_made_in_connectwise_appear_in_the_linked_thread(
    slack: Slack,
) -> None:
    thread = await _linked(slack)
    linked = len(bot_replies(slack, thread))
    contact = slack.sandbox.state.store.tables["contacts"][301]
    before, after = other_status(slack.sandbox, OUTLOOK_TICKET)

    await add_note(slack.sandbox, OUTLOOK_TICKET, "Rebuilt the OST file", by=OTHER_MEMBER)
    await add_note(slack.sandbox, OUTLOOK_TICKET, "Works again, thanks!", contact=contact["id"])
    await change_status(slack.sandbox, OUTLOOK_TICKET, after)
    await delivered(slack, 3)

    # A re-read finds whatever happened since the last one: one reply, or several, in that order.
    told = "\n".join(blocks_text(r) for r in bot_replies(slack, thread)[linked:])
    assert f"{before}" in told and f"{after}" in told
    assert "Rebuilt the OST file" in told and member_name(slack.sandbox, OTHER_MEMBER) in told
    assert "Customer reply" in told and "Works again, thanks!" in told
    assert told.index("Rebuilt the OST file") < told.index("Works again, thanks!")
    assert told.count("Rebuilt the OST file") == 1


async def test_internal_notes_reach_a_linked_thread_only_when_the_workspace_allows_it(slack: Slack) -> None:
    thread = await _linked(slack)
    linked = len(bot_replies(slack, thread))

    await add_note(slack.sandbox, OUTLOOK_TICKET, "Password is in the vault", internal=True)
    await delivered(slack, 1)
    assert len(bot_replies(slack, thread)) == linked

    await slack.deps.storage.live().allow_internal_notes(slack.team, True, now=slack.deps.now())
    await add_note(slack.sandbox, OUTLOOK_TICKET, "Vault entry renamed", internal=True)
    await delivered(slack, 2)
    [reply] = bot_replies(slack, thread)[linked:]
    assert "Internal note" in blocks_text(reply) and "Vault entry renamed" in blocks_text(reply)


async def test_a_slack_reply_is_added_to_the_ticket_as_the_engineers_note_once(slack: Slack) -> None:
    thread = await _linked(slack)
    linked = len(bot_replies(slack, thread))
    # As Slack sends it: the user's literal "<is>" arrives escaped.
    reply = say(slack, "Customer confirmed: *only* the shared mailbox &lt;is&gt; affected", thread_ts=thread)
    notes_before = _notes(slack, OUTLOOK_TICKET)

    await shortcut(slack, Shortcut.ADD_TO_TICKET, reply)
    await shortcut(slack, Shortcut.ADD_TO_TICKET, reply)  # a second click
    await delivered(slack, 1)

    added = [n for n in _notes(slack, OUTLOOK_TICKET) if n not in notes_before]
    assert len(added) == 1
    note = added[0]
    assert str(note["text"]).startswith("Customer confirmed: *only* the shared mailbox <is> affected")
    assert "From Slack" in str(note["text"]) and "/archives/" in str(note["text"])  # the link back
    assert note["member"]["identifier"] == DEMO_MEMBER  # type: ignore[index]
    assert note["internalAnalysisFlag"] is True
    answers = [r.body for r in slack.fake.responses if r.body.get("text")]
    assert "Added to #" in str(answers[-2]["text"]) and "already a note" in str(answers[-1]["text"])
    entry = await slack.deps.storage.ledger(slack.team).entry(note_key(CHANNEL, reply["ts"]))
    assert entry is not None and entry.state == LedgerState.DONE and entry.actor_user_id == DEMO
    assert len(bot_replies(slack, thread)) == linked  # not echoed back into the thread


async def test_the_apps_own_message_in_a_linked_thread_is_added_as_the_engineers_note_once(
    slack: Slack,
) -> None:
    thread = await _linked(slack)
    linked = len(bot_replies(slack, thread))
    await add_note(slack.sandbox, OUTLOOK_TICKET, "Rebuilt the OST <file> & profile", by=OTHER_MEMBER)
    await delivered(slack, 1)
    [synced] = bot_replies(slack, thread)[linked:]
    notes_before = _notes(slack, OUTLOOK_TICKET)

    # The menu on the app's message (no message shortcut needed), picked twice: one note.
    await slack.click(LiveAction.ADD_TO_TICKET, ADD_AS_NOTE, message=synced)
    await slack.click(LiveAction.ADD_TO_TICKET, ADD_AS_NOTE, message=synced)
    await slack.settle()

    added = [n for n in _notes(slack, OUTLOOK_TICKET) if n not in notes_before]
    assert len(added) == 1
    text = str(added[0]["text"])
    assert "Rebuilt the OST <file> & profile" in text and "\u200b" not in text
    assert "From Slack" in text and "/archives/" in text
    assert added[0]["member"]["identifier"] == DEMO_MEMBER  # type: ignore[index]
    answers = [str(r.body.get("text")) for r in slack.fake.responses if r.body.get("text")]
    assert "Added to #" in answers[-2] and "already a note" in answers[-1]
    entry = await slack.deps.storage.ledger(slack.team).entry(note_key(CHANNEL, synced["ts"]))
    assert entry is not None and entry.state == LedgerState.DONE and entry.actor_user_id == DEMO
    assert len(bot_replies(slack, thread)) == linked + 1  # the copy is not echoed back


async def test_add_to_ticket_in_a_thread_without_a_ticket_says_how_to_link_it(slack: Slack) -> None:
    message = say(slack, "Anyone seen the VPN drop today?")
    await shortcut(slack, Shortcut.ADD_TO_TICKET, message)
    assert "Link thread to ticket" in str(slack.fake.responses[-1].body.get("text"))


async def test_follow_and_unfollow_are_on_the_detail(slack: Slack) -> None:
    await slack.command(str(OUTLOOK_TICKET))
    assert LiveAction.FOLLOW in str(slack.modal()["blocks"])
