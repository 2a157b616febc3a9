"""The issue's thread, as a user lives it: two separate issues in a row each get their suggestion."""

from __future__ import annotations

from scenario_harness import NEWBIE, Slack
from scenario_spinoff_kit import link_thread, reply, say, suggestions

from bot.ids import SuggestionAction

FIREWALL_TICKET = 1569  # "Apply critical FortiOS patch on BWL-FW01" · Bluewater Logistics


async def test_a_second_separate_issue_after_a_spin_off_gets_its_own_suggestion(slack: Slack) -> None:
    parent = say(slack, "Patching BWL-FW01 tonight, expect a short blip", user=NEWBIE)
    await link_thread(slack, parent, str(FIREWALL_TICKET))
    await reply(slack, parent["ts"], "Patch is staged, reboot at 6pm")

    await reply(
        slack,
        parent["ts"],
        "Separately, the label printer at reception is jammed and needs a ticket.",
        user=NEWBIE,
    )
    [first] = suggestions(slack, parent["ts"])
    assert first["text"] == "Create ticket: The label printer at reception is jammed"
    await slack.click(SuggestionAction.DISMISS, first["blocks"][1]["elements"][1]["value"], message=first)

    await reply(slack, parent["ts"], "Thanks, firewall looks good after the reboot", user=NEWBIE)
    await reply(slack, parent["ts"], "CEO's laptop battery is swelling, separate hardware issue", user=NEWBIE)

    [second] = suggestions(slack, parent["ts"])
    assert second["text"] == "Create ticket: CEO's laptop battery is swelling"
