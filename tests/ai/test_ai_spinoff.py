"""Offline spin-off detection on realistic threads: suggest for clearly separate problems only."""

from __future__ import annotations

import pytest

from ai.actions import LABEL_MAX
from ai.models import ThreadContext
from ai.spinoff import HeuristicSpinoffDetector

# (ticket summary, earlier thread messages, new message, words the suggestion must contain)
SEPARATE = [
    (
        "Outlook not syncing on Sarah's laptop",
        ["Can you restart Outlook in safe mode?", "Did that, still stuck on 'Updating inbox'"],
        "Also, the printer on the 2nd floor is offline",
        ["printer", "offline"],
    ),
    (
        "Outlook not syncing",
        ["Looking at it now"],
        "btw can you also look at the VPN, it drops every 10 min",
        ["vpn"],
    ),
    (
        "New hire onboarding for Maria Gomez",
        ["Account created, laptop being imaged"],
        "Separate issue: the conference room TV won't turn on",
        ["tv"],
    ),
    (
        "Backup job failed on BWL-FS01",
        ["Re-running the job manually"],
        "While you're at it, the front desk scanner keeps jamming",
        ["scanner", "jamming"],
    ),
    ("Teams calls dropping", [], "Unrelated, but Bob's monitor is flickering", ["monitor"]),
    (
        "Password reset for jdoe",
        ["Reset done, temp password sent"],
        "One more thing - the wifi in the warehouse is really slow",
        ["wifi", "warehouse"],
    ),
    (
        "POS terminal slow at register 2",
        [],
        "Another issue: QuickBooks won't open on the office PC",
        ["quickbooks"],
    ),
    ("MFA reset request for Dr. Patel", [], "Oh and the fax server is not sending again", ["fax"]),
    (
        "Firewall firmware update",
        ["Scheduled for 6pm"],
        "By the way, the shared drive is full and nobody can save files",
        ["shared drive"],
    ),
    (
        "Smartboard frozen in room 12",
        ["Power cycled it, working again"],
        "Additionally the card reader at the cafeteria isn't working",
        ["card reader"],
    ),
    ("ERP down at the main plant", [], "Also our website is showing a certificate error", ["website"]),
    (
        "Disk space low on dispatch PC",
        ["I cleared the temp folder, 40 GB free now"],
        "Thanks! Also the label printer in shipping keeps printing blank labels",
        ["label printer"],
    ),
    (
        "Slow internet at branch office",
        ["ISP ticket opened"],
        "btw the door badge reader at the back entrance is dead",
        ["badge reader"],
    ),
    (
        "Teller printer jam",
        [],
        "ALSO THE DRIVE-THRU INTERCOM HAS NO SOUND",
        ["intercom"],
    ),
]

# (ticket summary, earlier thread messages, new message)
SAME_TOPIC_OR_NOT_AN_ISSUE = [
    ("Outlook not syncing", ["Try re-adding the account"], "Thanks, that fixed it!"),
    ("Outlook not syncing", [], "The Outlook issue started after the printer driver update"),
    ("Outlook not syncing", ["Restarted Outlook"], "Also, it still isn't syncing after the restart"),
    ("Outlook not syncing", [], "Also it's still broken after the reboot"),
    ("Printer offline on 2nd floor", [], "Also the printer on the 3rd floor is offline too"),
    ("Outlook not syncing", [], "Any update on this?"),
    ("VPN drops every 10 minutes", [], "Also, is this related to the firewall update last week?"),
    ("Outlook not syncing", [], "I also noticed the email on my phone is slow"),
    ("Teams calls dropping", [], "btw I'll be out tomorrow, call my cell if needed"),
    ("New laptop setup for Maria", [], "Also, she'll need access to the shared drive"),
    ("Wifi slow in the warehouse", [], "Also the scanners there keep disconnecting from the network"),
    (
        "Server room temperature alert",
        [],
        "Also the AC unit in the server room seems broken, probably the cause",
    ),
    ("Outlook search broken", [], "Outlook also crashes when I open attachments"),
    ("Backup job failed on BWL-FS01", [], "Also FYI the backup failed again last night with the same error"),
    ("Printer jam at teller station", [], "Also, when will someone come by?"),
    ("MFA reset request", ["Sent the reset link"], "It's also not working on her phone"),
    ("Outlook not syncing", [], "ok thanks, also thanks for the quick response"),
    (
        "Outlook not syncing for the finance mailbox",
        ["It's the shared finance mailbox"],
        "Also the finance mailbox shows an error when sending",
    ),
    ("Outlook not syncing", ["Printer driver was updated Monday"], "Also the printer driver keeps failing"),
    ("Teams calls dropping", [], "Her headset is also plugged into the printer's USB hub, if that matters"),
    ("ERP down at the main plant", [], "Also, who else is affected?"),
]


def _context(summary: str, thread: list[str], message: str) -> ThreadContext:
    return ThreadContext(ticket_summary=summary, thread=thread, message=message)


@pytest.mark.parametrize(("summary", "thread", "message", "words"), SEPARATE)
def test_a_clearly_separate_problem_gets_one_suggestion(
    summary: str, thread: list[str], message: str, words: list[str]
) -> None:
    suggestion = HeuristicSpinoffDetector().check(_context(summary, thread, message))
    assert suggestion is not None, message
    assert suggestion.label.startswith("Create ticket: ")
    assert len(suggestion.label) <= LABEL_MAX
    for word in words:
        assert word in suggestion.description.lower()
    # The cue words are not part of what goes into the Quick Create prompt.
    assert not suggestion.description.lower().startswith(("also", "btw", "by the way", "while you"))


@pytest.mark.parametrize(("summary", "thread", "message"), SAME_TOPIC_OR_NOT_AN_ISSUE)
def test_follow_ups_thanks_questions_and_context_get_no_suggestion(
    summary: str, thread: list[str], message: str
) -> None:
    assert HeuristicSpinoffDetector().check(_context(summary, thread, message)) is None


async def test_the_async_interface_gives_the_same_answer() -> None:
    detector = HeuristicSpinoffDetector()
    context = _context("Outlook not syncing", [], "Also, the printer on the 2nd floor is offline")
    assert await detector.detect(context) == detector.check(context)


def test_a_long_description_keeps_the_button_label_within_slacks_limit() -> None:
    message = "Also the " + "very " * 40 + "old label printer in shipping is broken"
    suggestion = HeuristicSpinoffDetector().check(_context("Outlook not syncing", [], message))
    assert suggestion is not None
    assert len(suggestion.label) <= LABEL_MAX
    assert suggestion.label.endswith("…")
    assert len(suggestion.description) <= 200 and suggestion.description.endswith("…")  # shown as cut


def test_the_separate_sentence_is_found_inside_a_longer_message() -> None:
    message = "Thanks for jumping on this so fast. Also, the scanner at reception is offline."
    suggestion = HeuristicSpinoffDetector().check(_context("Outlook not syncing", [], message))
    assert suggestion is not None
    assert suggestion.description.startswith("The scanner at reception is offline")


def test_the_new_message_repeated_as_the_threads_last_entry_is_not_its_own_context() -> None:
    message = "Also, the printer on the 2nd floor is offline"
    context = ThreadContext(
        ticket_summary="Outlook not syncing", thread=["Restarted Outlook", message], message=message
    )
    assert HeuristicSpinoffDetector().check(context) is not None
