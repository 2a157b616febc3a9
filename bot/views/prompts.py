"""Answers that ask the user to do something first (connect, map), PSA failures, and placeholders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.ids import Callback, DetailBlock, MessageAction
from bot.text import clip, escape_own, escape_sentence, escape_truncate, truncate
from bot.views import kit, limits
from bot.views.format import visible_or
from bot.views.messages import error_message
from psa.errors import PSAError

Payload = dict[str, Any]
CHOICES_SHOWN = 25


def not_connected_prompt(*, is_admin: bool) -> Payload:
    """ConnectWise is not connected: admins get a Connect button, others are told whom to ask."""
    if is_admin:
        blocks = [
            kit.section(
                "⚠️ ConnectWise is not connected to this workspace yet.\n"
                "Connect it once and everyone here can work their tickets from Slack."
            ),
            kit.actions(kit.button("Connect ConnectWise", MessageAction.CONNECT, style="primary")),
        ]
    else:
        blocks = [
            kit.section(
                "⚠️ ConnectWise is not connected to this workspace yet.\n"
                "Ask a workspace admin to run `/tickets connect`."
            )
        ]
    return {"text": "ConnectWise is not connected yet.", "blocks": blocks}


KEY_UNREADABLE = "The stored ConnectWise key can't be read — reconnect ConnectWise."
KEY_UNREADABLE_USER = "ConnectWise can't be used right now: its stored key can't be read."
ASK_ADMIN = "Ask a workspace admin to reconnect it (`/tickets connect`)."


def key_unreadable_prompt(*, is_admin: bool) -> Payload:
    """The stored key can't be used (decryption key changed, or validated for another host)."""
    if is_admin:
        blocks = [
            kit.section(
                f"⚠️ {KEY_UNREADABLE}\nThe app's encryption key (TICKETS_SECRET_KEY) no longer opens it, "
                "or it was checked with another site. Enter the keys again to go on."
            ),
            kit.actions(kit.button("Reconnect ConnectWise", MessageAction.CONNECT, style="primary")),
        ]
    else:
        blocks = [kit.section(f"⚠️ {KEY_UNREADABLE_USER}\n{ASK_ADMIN}")]
    return {"text": KEY_UNREADABLE if is_admin else KEY_UNREADABLE_USER, "blocks": blocks}


def not_mapped_prompt() -> Payload:
    """The user is not mapped to a PSA member: a button opens the mapping modal."""
    return {
        "text": "Map your ConnectWise member to see your tickets.",
        "blocks": [
            kit.section(
                "You are not mapped to a ConnectWise member yet, so the app can't tell which tickets "
                "are yours. Pick your member once (or run `/tickets map`)."
            ),
            kit.actions(kit.button("Map my ConnectWise member", MessageAction.MAP, style="primary")),
        ],
    }


def psa_error_text(exc: PSAError) -> str:
    """One plain sentence pair for a PSA failure: what happened, then what to do."""
    return visible_or(f"{exc.message} {exc.user_hint}".strip(), "ConnectWise gave no reason.")


def psa_error_message(exc: PSAError, *, doing: str | None = None) -> Payload:
    """An ephemeral message for a PSA failure (what failed, the PSA's reason, what to do)."""
    what = f"Couldn't {doing}: {exc.message}" if doing else exc.message
    return error_message(what, exc.user_hint)


def refused_message(text: str) -> Payload:
    """A refusal (e.g. a non-admin running `/tickets connect`)."""
    return error_message(text)


def unknown_choice_message(
    kind: str, given: str, choices: Sequence[str], *, hint: str | None = None, ambiguous: bool = False
) -> Payload:
    """An unknown (or ambiguous) filter value, listing the values that would work."""
    shown = ", ".join(f"`{escape_truncate(c, 60)}`" for c in choices[:CHOICES_SHOWN])
    more = len(choices) - CHOICES_SHOWN
    if more > 0:
        shown += f" and {more} more"
    kind_text = clip(escape_own(kind), 60)
    given_text = escape_truncate(given, 80)
    if ambiguous:
        headline = f"“{given_text}” matches more than one {kind_text}."
        body = f"⚠️ “{given_text}” matches more than one {kind_text}; be more exact."
        if shown:
            body += f"\nDid you mean: {shown}"
    else:
        headline = f"No {kind_text} called “{given_text}”."
        body = f"⚠️ No {kind_text} called “{given_text}”."
        if shown:
            body += f"\nValid {kind_text} values: {shown}"
    if hint:
        body += f"\n{clip(escape_sentence(hint), 300)}"
    return {"text": truncate(headline, 3000), "blocks": [kit.section(body)]}


def problem_modal(
    title: str,
    text: str,
    *,
    hint: str | None = None,
    mrkdwn: bool = False,
    action: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A modal that only explains why nothing more can happen here (not connected, stale form, …).
    `mrkdwn`: text and hint are the app's own mrkdwn (mentions meant); `action`: a button to go on."""

    def shown(value: str, limit: int) -> str:
        return clip(value if mrkdwn else escape_sentence(value), limit)

    blocks = [kit.section(f"⚠️ {shown(text, 2000)}")]
    if hint:
        blocks.append(kit.context(shown(hint, 1000)))
    if action is not None:
        blocks.append(kit.actions(action))
    return kit.modal(title=title, blocks=blocks, callback_id=Callback.COMING_SOON, close="Close")


def coming_soon_modal(title: str, text: str) -> dict[str, Any]:
    """A simple modal saying a feature is on its way (placeholders until their flows land)."""
    return kit.modal(
        title=title,
        callback_id=Callback.COMING_SOON,
        blocks=[kit.section(escape_truncate(text, 2900))],
        close="OK",
    )


def with_banner(
    view: dict[str, Any],
    *,
    notice: str | None = None,
    error: str | None = None,
    error_mrkdwn: str | None = None,
    error_action: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The same detail modal with its ✅ notice / ⚠️ error line replaced (≤ 100 blocks still).
    `error_mrkdwn` is an error line that is the app's own mrkdwn (mentions meant); `error_action` a
    button beside the error line (e.g. "Map my ConnectWise member")."""
    banners = {DetailBlock.NOTICE.value, DetailBlock.ERROR.value}
    blocks = [b for b in view.get("blocks") or [] if b.get("block_id") not in banners]
    top: list[dict[str, Any]] = []
    shown = (
        clip(error_mrkdwn, 2000) if error_mrkdwn else clip(escape_sentence(error), 2000) if error else None
    )
    if shown:
        top.append(kit.section(f"⚠️ {shown}", block_id=DetailBlock.ERROR, accessory=error_action))
    if notice:
        top.append(kit.section(f"✅ {escape_truncate(notice, 2000)}", block_id=DetailBlock.NOTICE))
    blocks = top + blocks
    while len(blocks) > limits.MODAL_BLOCKS_MAX:
        # Make room by dropping the oldest shown note (plain sections right after the notes title).
        notes_at = next((i for i, b in enumerate(blocks) if b.get("block_id") == DetailBlock.NOTES), None)
        drop = None
        if notes_at is not None:
            drop = next(
                (
                    i
                    for i in range(notes_at + 1, len(blocks))
                    if blocks[i].get("type") == "section" and not blocks[i].get("block_id")
                ),
                None,
            )
        if drop is None:
            blocks = blocks[: limits.MODAL_BLOCKS_MAX]
            break
        del blocks[drop]
    return {**view, "blocks": blocks}
