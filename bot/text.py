"""Slack text: the one escaping function, safe truncation, markup → plain text, text objects."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ELLIPSIS = "…"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_UNESCAPE_RE = re.compile(r"&(amp|lt|gt);")
_UNESCAPES = {"amp": "&", "lt": "<", "gt": ">"}
# <…> spans as Slack sends them: user/channel/special mentions and links, optionally "|label".
_MARKUP_RE = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def escape(text: str) -> str:
    """Escape Slack's three control characters (& < >) and nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo `escape`: &amp; &lt; &gt; back to & < >."""
    return _UNESCAPE_RE.sub(lambda m: _UNESCAPES[m.group(1)], text)


def truncate(text: str, limit: int) -> str:
    """Cut plain text to at most `limit` characters, ending with … when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def escape_truncate(text: str, limit: int) -> str:
    """Escape, then fit into `limit` characters without splitting an entity; ends with … when cut."""
    if len(text) <= limit:
        escaped = escape(text)
        if len(escaped) <= limit:
            return escaped
    if limit <= 0:
        return ""
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + ELLIPSIS


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

    return unescape(_MARKUP_RE.sub(replace, text))


def link(url: str, label: str) -> str:
    """A mrkdwn link `<url|label>`; `label` must already be escaped, the url is made safe here."""
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{label}>"


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object that Slack will not auto-link (`verbatim: true`). `text` must be escaped."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain_text(text: str, *, emoji: bool = True) -> dict[str, Any]:
    """A plain_text text object (Slack shows it literally; no escaping needed)."""
    return {"type": "plain_text", "text": text, "emoji": emoji}
