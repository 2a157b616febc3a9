"""Slack text: the one escaping function for user and PSA text (`escape`), its siblings for the app's own
sentences, safe truncation, markup → plain text, text objects."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ELLIPSIS = "…"
# Slack's mrkdwn makes *bold*, _italic_, ~strike~ and `code` of a marker pair only when each marker sits
# between a space (or the text's edge, or punctuation) on its outer side and a visible character on its
# inner side, and a line starting with ">" a quote. A zero-width space on both sides of every marker
# leaves it in neither place, whether Slack reads that space as a space or as part of a word; the
# characters still show, and copy, as written. The local workspace renders with the same rules
# (bot/local/workspace/static/js/mrkdwn.js).
BREAK = "\u200b"
FORMATTING = "*_~`"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPES = str.maketrans({**_ENTITIES, **{ch: f"{BREAK}{ch}{BREAK}" for ch in FORMATTING}})
_ENTITIES_ONLY = str.maketrans(_ENTITIES)
_QUOTE_LINE_RE = re.compile(r"^&gt;", re.MULTILINE)
_UNESCAPE_RE = re.compile(r"&(amp|lt|gt);")
_UNESCAPES = {"amp": "&", "lt": "<", "gt": ">"}
# <…> spans as Slack sends them: user/channel/special mentions and links, optionally "|label".
_MARKUP_RE = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_QUOTED_RE = re.compile(r"“[^“”]*”")


def escape(text: str) -> str:
    """User and PSA text for mrkdwn, shown exactly as written: no mention, link, formatting or quote.

    Slack's three control characters become entities (&amp; &lt; &gt;); formatting markers and a
    leading ">" are kept from acting by zero-width spaces (see `BREAK`).
    """
    return _QUOTE_LINE_RE.sub(f"{BREAK}&gt;", text.translate(_ESCAPES))


def escape_own(text: str) -> str:
    """Text the app wrote itself, whose *bold* and `code` are meant: only & < > become entities."""
    return text.translate(_ENTITIES_ONLY)


def escape_sentence(text: str) -> str:
    """An app sentence quoting user text in “…”: the app's own formatting kept, the quoted parts literal."""
    out: list[str] = []
    position = 0
    for match in _QUOTED_RE.finditer(text):
        out.append(escape_own(text[position : match.start()]))
        out.append(escape(match.group(0)))
        position = match.end()
    out.append(escape_own(text[position:]))
    return "".join(out)


def strong(escaped: str) -> str:
    """Bold already-escaped text when Slack can make it bold; else the text as it is (never stray `*`)."""
    if escaped and escaped[0] not in f"{BREAK} " and escaped[-1] not in f"{BREAK} ":
        return f"*{escaped}*"
    return escaped


def unescape(text: str) -> str:
    """Undo `escape`: &amp; &lt; &gt; back to & < >, and the zero-width spaces it added gone."""
    return _UNESCAPE_RE.sub(lambda m: _UNESCAPES[m.group(1)], text.replace(BREAK, ""))


def truncate(text: str, limit: int) -> str:
    """Cut plain text to at most `limit` characters, ending with … when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def escape_truncate(text: str, limit: int) -> str:
    """Escape, then fit into `limit` characters without splitting an entity; ends with … when cut."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    if limit <= 0:
        return ""
    budget = limit - len(ELLIPSIS)
    lo, hi = 0, min(len(text), budget)
    while lo < hi:  # the longest prefix whose escaped form fits the budget
        mid = (lo + hi + 1) // 2
        if len(escape(text[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return escape(text[:lo]).rstrip() + ELLIPSIS


def clip(escaped: str, limit: int) -> str:
    """Cut already-escaped mrkdwn to ≤ `limit` chars without leaving half an entity; ends with …."""
    if len(escaped) <= limit:
        return escaped
    if limit <= 0:
        return ""
    cut = escaped[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    if len(cut) >= 2 and cut[-2] == BREAK and cut[-1] in FORMATTING:
        cut = cut[:-2]  # a marker without its closing break could still act
    return cut.rstrip() + ELLIPSIS


def plain(text: str, resolve_user: Callable[[str], str | None] | None = None) -> str:
    """Turn Slack message markup into plain text for prompts (mentions, channels, links, entities)."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            user_id = target[1:]
            if label:
                return "@" + label.lstrip("@")
            name = resolve_user(user_id) if resolve_user else None
            return "@" + (name or user_id)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            special = target[1:]
            if label:
                return label
            keyword = special.split("^", 1)[0]
            return "@" + keyword if keyword else ""
        if label:
            if target.startswith("mailto:") and target[len("mailto:") :] == label:
                return label
            return f"{label} ({target})" if label != target else target
        return target

    return unescape(_MARKUP_RE.sub(replace, text.replace(BREAK, "")))


def link(url: str, label: str) -> str:
    """A mrkdwn link `<url|label>`; `label` must already be escaped, the url is made safe here."""
    safe_url = escape_own(url).replace("|", "%7C")
    return f"<{safe_url}|{label}>"


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object that Slack will not auto-link (`verbatim: true`). `text` must be escaped."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain_text(text: str, *, emoji: bool = True) -> dict[str, Any]:
    """A plain_text text object (Slack shows it literally; no escaping needed)."""
    return {"type": "plain_text", "text": text, "emoji": emoji}
