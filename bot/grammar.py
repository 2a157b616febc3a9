"""`/tickets …` text → one typed command. Never raises: bad input becomes `Invalid`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bot.text import plain, unescape

USAGE = "\n".join(
    [
        "`/tickets` or `/tickets mine` — your open tickets",
        '`/tickets search TEXT [board:"Help Desk"] [status:New] [priority:high] [company:acme] '
        "[assigned:me|unassigned|all|@user] [closed]` — search tickets",
        "`/tickets 1042` or `/tickets show 1042` — open ticket #1042",
        "`/tickets new [what happened]` — create a ticket",
        "`/tickets connect` — connect ConnectWise (workspace admins)",
        "`/tickets map` — map your Slack user to your ConnectWise member",
        "`/tickets help` — this help",
    ]
)

MAX_TICKET_ID = 2**31 - 1
FILTER_KEYS = ("board", "status", "priority", "company", "assigned", "closed")
_KEY_ALIASES = {"assignee": "assigned", "owner": "assigned", "state": "status"}
_OPEN_QUOTES = '"“”„'
_CLOSE_QUOTES = '"“”'
_ID_RE = re.compile(r"#?([0-9]+)")
_USER_RE = re.compile(r"<@([A-Z0-9]+)(?:\|([^<>]*))?>", re.IGNORECASE)
_KEY_RE = re.compile(r"([A-Za-z_]+):")
_TRUE = {"", "yes", "true", "on", "1", "y"}
_FALSE = {"no", "false", "off", "0", "n"}


class _Cmd(BaseModel):
    pass


class SlackUserRef(BaseModel):
    """A user named in `assigned:`. `user_id` when Slack escaped the mention, else only `name`."""

    user_id: str | None = None
    name: str | None = None


class Mine(_Cmd):
    kind: Literal["mine"] = "mine"
    page: int = 1


class Search(_Cmd):
    """Filters by NAME; the listener resolves names to ids."""

    kind: Literal["search"] = "search"
    text: str = ""
    board_name: str | None = None
    status_name: str | None = None
    priority_name: str | None = None
    company_name: str | None = None
    assigned: Literal["me", "unassigned", "all"] | SlackUserRef = "all"
    include_closed: bool = False


class Show(_Cmd):
    kind: Literal["show"] = "show"
    ticket_id: int


class New(_Cmd):
    kind: Literal["new"] = "new"
    prompt: str | None = None


class Connect(_Cmd):
    kind: Literal["connect"] = "connect"


class Map(_Cmd):
    kind: Literal["map"] = "map"


class Help(_Cmd):
    kind: Literal["help"] = "help"


class Invalid(_Cmd):
    kind: Literal["invalid"] = "invalid"
    message: str
    usage: str = USAGE


Command = Annotated[
    Mine | Search | Show | New | Connect | Map | Help | Invalid,
    Field(discriminator="kind"),
]


class _ParseError(Exception):
    pass


def parse(text: str) -> Mine | Search | Show | New | Connect | Map | Help | Invalid:
    """Parse the text after `/tickets` into a command; anything unparseable becomes `Invalid`."""
    try:
        return _parse(text or "")
    except _ParseError as exc:
        return Invalid(message=str(exc))


def _parse(text: str) -> Mine | Search | Show | New | Connect | Map | Help | Invalid:
    stripped = text.strip()
    if not stripped:
        return Mine()
    parts = stripped.split(None, 1)
    head = parts[0]
    rest = parts[1].strip() if len(parts) > 1 else ""
    word = head.lower()

    if _ID_RE.fullmatch(head):
        if rest:
            raise _ParseError(f"Unexpected text after the ticket number: “{_short(rest)}”.")
        return Show(ticket_id=_ticket_id(head))
    if head.startswith("#"):
        raise _ParseError(f"“{_short(head)}” is not a ticket number. Use digits, like #1042.")
    if word == "mine":
        if not rest:
            return Mine()
        if re.fullmatch(r"[0-9]+", rest):
            if len(rest) > 6:
                raise _ParseError(f"Page {_short(rest)} is too large.")
            page = int(rest)
            if page < 1:
                raise _ParseError("Page numbers start at 1.")
            return Mine(page=page)
        raise _ParseError(f"`mine` takes no filters (got “{_short(rest)}”). Use `/tickets search` instead.")
    if word in ("show", "open"):
        if not rest:
            raise _ParseError("Which ticket? Give its number, like `/tickets show 1042`.")
        if " " in rest.strip():
            raise _ParseError(f"`{word}` takes one ticket number (got “{_short(rest)}”).")
        return Show(ticket_id=_ticket_id(rest.strip()))
    if word in ("search", "find"):
        return _search(rest)
    if word in ("new", "create"):
        return New(prompt=plain(rest) if rest else None)
    if word in ("connect", "map", "help", "?"):
        if rest:
            raise _ParseError(f"`{word}` takes no arguments (got “{_short(rest)}”).")
        if word == "connect":
            return Connect()
        if word == "map":
            return Map()
        return Help()
    key_match = _KEY_RE.match(head)
    if key_match and _canonical_key(key_match.group(1)) is not None:
        # `/tickets status:New` reads as a search with filters
        return _search(stripped)
    raise _ParseError(f"Unknown command “{_short(head)}”.")


def _ticket_id(token: str) -> int:
    match = _ID_RE.fullmatch(token)
    if not match:
        raise _ParseError(f"“{_short(token)}” is not a ticket number. Use digits, like 1042.")
    digits = match.group(1)
    if len(digits) > 10 or int(digits) > MAX_TICKET_ID:
        raise _ParseError(f"Ticket number {_short(digits)} is too large.")
    value = int(digits)
    if value < 1:
        raise _ParseError("Ticket numbers start at 1.")
    return value


def _canonical_key(key: str) -> str | None:
    lowered = key.lower()
    lowered = _KEY_ALIASES.get(lowered, lowered)
    return lowered if lowered in FILTER_KEYS else None


def _search(rest: str) -> Search:
    values: dict[str, str] = {}
    words: list[str] = []
    i, n = 0, len(rest)
    while i < n:
        if rest[i].isspace():
            i += 1
            continue
        key_match = _KEY_RE.match(rest, i)
        if key_match and not rest.startswith("//", key_match.end()):
            raw_key = key_match.group(1)
            key = _canonical_key(raw_key)
            value_start = key_match.end()
            at_end = value_start >= n or rest[value_start].isspace()
            if key is None:
                if at_end:
                    # "error: disk full" is text, not a filter
                    words.append(rest[i:value_start])
                    i = value_start
                    continue
                raise _ParseError(
                    f"Unknown filter “{_short(raw_key)}:”. Filters are: "
                    + ", ".join(f"{k}:" for k in FILTER_KEYS[:-1])
                    + " and closed."
                )
            value, i = _read_value(rest, value_start, key)
            if key == "closed":
                values[key] = _closed_value(value)
                continue
            if not value.strip():
                raise _ParseError(f"`{key}:` needs a value, like {_example(key)}.")
            previous = values.get(key)
            if previous is not None and previous.lower() != value.lower():
                raise _ParseError(f"`{key}:` is given twice (“{_short(previous)}” and “{_short(value)}”).")
            values.setdefault(key, value)
            continue
        if rest[i] in _OPEN_QUOTES:
            phrase, i = _read_quoted(rest, i, context="the search text")
            if phrase.strip():
                words.append(phrase.strip())
            continue
        j = i
        while j < n and not rest[j].isspace():
            j += 1  # a quote inside a word (12" monitor) is just a character
        word = rest[i:j]
        if word.lower() == "closed":
            values["closed"] = "yes"
        else:
            words.append(word)
        i = j

    return Search(
        text=plain(" ".join(words)),
        board_name=_name(values.get("board")),
        status_name=_name(values.get("status")),
        priority_name=_name(values.get("priority")),
        company_name=_name(values.get("company")),
        assigned=_assigned(values["assigned"]) if "assigned" in values else "all",
        include_closed=values.get("closed") == "yes",
    )


def _read_value(text: str, start: int, key: str) -> tuple[str, int]:
    n = len(text)
    if start < n and text[start] in _OPEN_QUOTES:
        return _read_quoted(text, start, context=f"`{key}:`")
    if start < n and text[start] == "<":
        end = text.find(">", start)
        if end == -1:
            raise _ParseError(f"`{key}:` has an unclosed “<”.")
        return text[start : end + 1], end + 1
    j = start
    while j < n and not text[j].isspace():
        if text[j] in _OPEN_QUOTES:
            raise _ParseError(f"`{key}:` has a stray quote; quote the whole value, like {_example(key)}.")
        j += 1
    return text[start:j], j


def _read_quoted(text: str, start: int, *, context: str) -> tuple[str, int]:
    j = start + 1
    while j < len(text) and text[j] not in _CLOSE_QUOTES:
        j += 1
    if j >= len(text):
        raise _ParseError(f"Missing closing quote in {context}.")
    return text[start + 1 : j], j + 1


def _closed_value(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return "yes"
    if lowered in _FALSE:
        return "no"
    raise _ParseError(f"`closed:` is yes or no (got “{_short(value)}”).")


def _assigned(value: str) -> Literal["me", "unassigned", "all"] | SlackUserRef:
    lowered = value.strip().lower()
    if lowered in ("me", "unassigned", "all"):
        return lowered  # type: ignore[return-value]
    if lowered in ("none", "nobody"):
        return "unassigned"
    if lowered in ("any", "anyone"):
        return "all"
    mention = _USER_RE.fullmatch(value.strip())
    if mention:
        label = mention.group(2)
        name = label.lstrip("@") if label else None
        return SlackUserRef(user_id=mention.group(1).upper(), name=name or None)
    if value.startswith("@") and len(value) > 1:
        return SlackUserRef(name=unescape(value[1:]))
    raise _ParseError(f"`assigned:` is me, unassigned, all or a @mention (got “{_short(value)}”).")


def _name(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(unescape(value).split())
    return cleaned or None


def _example(key: str) -> str:
    return {
        "board": 'board:"Help Desk"',
        "status": 'status:"In Progress"',
        "priority": "priority:high",
        "company": "company:acme",
        "assigned": "assigned:me",
    }.get(key, f"{key}:value")


def _short(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
