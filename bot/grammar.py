"""`/tickets …` text → one typed command. Never raises: bad input becomes `Invalid`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from bot.text import plain, unescape
from bot.worked_time import ClockRange, Duration, WorkedTimeError, split_worked_time

USAGE = "\n".join(
    [
        "`/tickets` or `/tickets mine` — your open tickets",
        '`/tickets search TEXT [board:"Help Desk"] [status:New] [priority:high] [company:acme] '
        "[assigned:me|unassigned|all|@user|member] [closed]` — search tickets",
        "`/tickets 1042` or `/tickets show 1042` — open ticket #1042",
        "`/tickets new [what happened]` — create a ticket",
        "`/tickets time 1604 45m [note]` — log 45 minutes on #1604 (or `1h15`, `1.5h`, `1:30`, `9:00-10:30`)",
        "`/tickets work 1604` — log time, write a note and set the next status in one go",
        "`/tickets connect` — connect ConnectWise (workspace admins)",
        "`/tickets disconnect` — disconnect ConnectWise (workspace admins)",
        "`/tickets map` — map your Slack user to your ConnectWise member (and store your own API keys)",
        "`/tickets settings` — who may use the app here (workspace admins)",
        "`/tickets help` — this help",
    ]
)
# Shown under the usage and run as written by the tests (tests/bot/scenarios/test_scenario_examples.py).
EXAMPLES = (
    "/tickets search printer priority:high",
    "/tickets search status:New company:acme",
    '/tickets search outlook board:"Help Desk" assigned:all',
    "/tickets search assigned:jsmith closed",
    "/tickets search assigned:@Sam",
    "/tickets search C: drive",
)

MAX_TICKET_ID = 2**31 - 1
FILTER_KEYS = ("board", "status", "priority", "company", "assigned", "closed")
_KEY_ALIASES = {
    "assignee": "assigned",
    "assign": "assigned",
    "owner": "assigned",
    "state": "status",
    "prio": "priority",
    "client": "company",
    "customer": "company",
}
# Quote pairs for filter values and quoted phrases (Slack turns straight quotes into curly ones).
_PAIRS = {'"': '"“”', "“": "”", "”": "”“", "„": "“”", "'": "'’", "‘": "’"}
_VALUE_QUOTES = '"“”„'
_TYPO_SCORE = 80.0
_SPACES = str.maketrans({"\t": " ", "\u00a0": " ", "\u202f": " ", "\u2007": " "})
_ID_RE = re.compile(r"#?([0-9]+)")
_USER_RE = re.compile(r"<@([A-Z0-9]+)(?:\|([^<>]*))?>", re.IGNORECASE)
_KEY_RE = re.compile(r"([A-Za-z_]+):")
_TRUE = {"", "yes", "true", "on", "1", "y"}
_FALSE = {"no", "false", "off", "0", "n"}


class _Cmd(BaseModel):
    pass


class SlackUserRef(BaseModel):
    """A @mention in `assigned:`. `user_id` when Slack escaped the mention, else only the typed `name`."""

    user_id: str | None = None
    name: str | None = None


class MemberName(BaseModel):
    """A PSA member in `assigned:` by identifier or name, as typed (`assigned:jsmith`)."""

    text: str


AssignedFilter = Literal["me", "unassigned", "all"] | SlackUserRef | MemberName
_ASSIGNED_WORDS: dict[str, Literal["me", "unassigned", "all"]] = {
    "me": "me",
    "mine": "me",
    "unassigned": "unassigned",
    "none": "unassigned",
    "nobody": "unassigned",
    "all": "all",
    "any": "all",
    "anyone": "all",
    "everyone": "all",
}


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
    assigned: AssignedFilter = "all"
    include_closed: bool = False


class Show(_Cmd):
    kind: Literal["show"] = "show"
    ticket_id: int


class New(_Cmd):
    kind: Literal["new"] = "new"
    prompt: str | None = None


class Time(_Cmd):
    """Quick time: how long (or from when to when) and an optional note."""

    kind: Literal["time"] = "time"
    ticket_id: int
    worked: Duration | ClockRange = Field(discriminator="kind")
    note: str = ""


class Work(_Cmd):
    """The "Work it" modal for one ticket."""

    kind: Literal["work"] = "work"
    ticket_id: int


class Connect(_Cmd):
    kind: Literal["connect"] = "connect"


class Disconnect(_Cmd):
    kind: Literal["disconnect"] = "disconnect"


class Map(_Cmd):
    kind: Literal["map"] = "map"


class Settings(_Cmd):
    kind: Literal["settings"] = "settings"


class Help(_Cmd):
    kind: Literal["help"] = "help"


class Invalid(_Cmd):
    kind: Literal["invalid"] = "invalid"
    message: str
    usage: str = USAGE


AnyCommand = Mine | Search | Show | New | Time | Work | Connect | Disconnect | Map | Settings | Help | Invalid
Command = Annotated[
    Mine | Search | Show | New | Time | Work | Connect | Disconnect | Map | Settings | Help | Invalid,
    Field(discriminator="kind"),
]


class _ParseError(Exception):
    pass


def parse(
    text: str,
) -> Mine | Search | Show | New | Time | Work | Connect | Disconnect | Map | Settings | Help | Invalid:
    """Parse the text after `/tickets` into a command; anything unparseable becomes `Invalid`."""
    try:
        return _parse(text or "")
    except _ParseError as exc:
        return Invalid(message=str(exc))


def _parse(
    text: str,
) -> Mine | Search | Show | New | Time | Work | Connect | Disconnect | Map | Settings | Help | Invalid:
    # Spaces are kept as typed (a search for two spaces sends two); only their look-alikes are unified.
    stripped = text.translate(_SPACES).strip()
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
    if word == "time":
        return _time(rest)
    if word == "work":
        return Work(ticket_id=_one_ticket(rest, "work", "/tickets work 1042"))
    if word in ("connect", "disconnect", "map", "settings", "help", "?"):
        if rest:
            raise _ParseError(f"`{word}` takes no arguments (got “{_short(rest)}”).")
        if word == "connect":
            return Connect()
        if word == "disconnect":
            return Disconnect()
        if word == "map":
            return Map()
        if word == "settings":
            return Settings()
        return Help()
    key_match = _KEY_RE.match(head)
    if key_match and _canonical_key(key_match.group(1)) is not None:
        # `/tickets status:New` reads as a search with filters
        return _search(stripped)
    raise _ParseError(f"Unknown command “{_short(head)}”.")


def _one_ticket(rest: str, word: str, example: str) -> int:
    if not rest:
        raise _ParseError(f"Which ticket? Give its number, like `{example}`.")
    if " " in rest.strip():
        raise _ParseError(f"`{word}` takes one ticket number (got “{_short(rest)}”).")
    return _ticket_id(rest.strip())


def _time(rest: str) -> Time:
    """`time 1042 45m replaced toner, tested`: the ticket, the worked time, then the note as typed."""
    example = "/tickets time 1042 45m replaced toner"
    parts = rest.split(None, 1)
    if not parts:
        raise _ParseError(f"Which ticket, and how long? Like `{example}`.")
    ticket_id = _ticket_id(parts[0])
    after = parts[1] if len(parts) > 1 else ""
    if not after.strip():
        raise _ParseError(f"How long did you work on #{ticket_id}? Like `{example}`.")
    try:
        worked, note = split_worked_time(after)
    except WorkedTimeError as exc:
        raise _ParseError(exc.message) from None
    return Time(ticket_id=ticket_id, worked=worked, note=plain(note))


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
    """Filters anywhere in `rest`; everything else is the search text, character for character."""
    values: dict[str, str] = {}
    text_pieces: list[str] = []
    piece_start = 0
    i, n = 0, len(rest)
    while i < n:
        if rest[i].isspace():
            i += 1
            continue
        token_start = i
        key_match = _KEY_RE.match(rest, i)
        key = _canonical_key(key_match.group(1)) if key_match else None
        if key_match and key is not None and not rest.startswith("//", key_match.end()):
            value, i = _read_value(rest, key_match.end(), key)
            _set_value(values, key, value)
        elif key_match and _looks_like_a_filter(key_match.group(1), rest, key_match.end()):
            raw_key = key_match.group(1)
            raise _ParseError(
                f"Unknown filter “{_short(raw_key)}:”. Did you mean `{_closest_key(raw_key)}:`? Filters are: "
                + ", ".join(f"{k}:" for k in FILTER_KEYS[:-1])
                + " and closed."
            )
        else:
            i = _text_token_end(rest, i)
            if rest[token_start:i].lower() != "closed":
                continue  # part of the search text: it stays exactly as typed
            values["closed"] = "yes"
        text_pieces.append(rest[piece_start:token_start])
        piece_start = i
    text_pieces.append(rest[piece_start:])
    text = " ".join(piece.strip() for piece in text_pieces if piece.strip())
    return Search(
        text=plain(text).strip(),  # zero-width spaces (our own escaping's, when pasted back) are no text
        board_name=_name(values.get("board")),
        status_name=_name(values.get("status")),
        priority_name=_name(values.get("priority")),
        company_name=_name(values.get("company")),
        assigned=_assigned(values["assigned"]) if "assigned" in values else "all",
        include_closed=values.get("closed") == "yes",
    )


def _set_value(values: dict[str, str], key: str, value: str) -> None:
    if key == "closed":
        values[key] = _closed_value(value)
        return
    if not value.strip():
        raise _ParseError(f"`{key}:` needs a value, like {_example(key)}.")
    previous = values.get(key)
    if previous is not None and previous.lower() != value.lower():
        raise _ParseError(f"`{key}:` is given twice (“{_short(previous)}” and “{_short(value)}”).")
    values.setdefault(key, value)


def _looks_like_a_filter(raw_key: str, text: str, value_start: int) -> bool:
    """A mistyped filter name with a value (`statsu:New`); `C:\\temp`, `error:` or `ID:42` are text."""
    if value_start >= len(text) or text[value_start].isspace() or text.startswith("//", value_start):
        return False
    return len(raw_key) >= 4 and fuzz.ratio(raw_key.lower(), _closest_key(raw_key)) >= _TYPO_SCORE


def _closest_key(raw_key: str) -> str:
    return max(FILTER_KEYS, key=lambda key: fuzz.ratio(raw_key.lower(), key))


def _text_token_end(text: str, start: int) -> int:
    """End of a word of search text; a quoted phrase is one token (so `"status: x"` stays text)."""
    n = len(text)
    close = _PAIRS.get(text[start]) if text[start] in _VALUE_QUOTES else None
    if close is not None:
        end = next((j for j in range(start + 1, n) if text[j] in close), -1)
        if end != -1:
            start = end + 1
    while start < n and not text[start].isspace():
        start += 1
    return start


def _read_value(text: str, start: int, key: str) -> tuple[str, int]:
    n = len(text)
    if start < n and text[start] in _PAIRS:
        return _read_quoted(text, start, context=f"`{key}:`")
    if start < n and text[start] == "<":
        end = text.find(">", start)
        if end == -1:
            raise _ParseError(f"`{key}:` has an unclosed “<”.")
        return text[start : end + 1], end + 1
    j = start
    while j < n and not text[j].isspace():
        if text[j] in _VALUE_QUOTES:
            raise _ParseError(f"`{key}:` has a stray quote; quote the whole value, like {_example(key)}.")
        j += 1
    return text[start:j], j


def _read_quoted(text: str, start: int, *, context: str) -> tuple[str, int]:
    close = _PAIRS[text[start]]
    j = start + 1
    while j < len(text) and text[j] not in close:
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


def _assigned(value: str) -> AssignedFilter:
    stripped = value.strip()
    lowered = stripped.lower()
    if lowered in _ASSIGNED_WORDS:
        return _ASSIGNED_WORDS[lowered]
    mention = _USER_RE.fullmatch(stripped)
    if mention:
        label = mention.group(2)
        name = label.lstrip("@") if label else None
        return SlackUserRef(user_id=mention.group(1).upper(), name=name or None)
    if stripped.startswith("@") and len(stripped) > 1:
        return SlackUserRef(name=unescape(stripped[1:]))
    if stripped.startswith("<") or stripped.startswith("@"):
        raise _ParseError(
            f"`assigned:` is me, unassigned, all, a @mention or a member (got “{_short(value)}”)."
        )
    return MemberName(text=" ".join(unescape(stripped).split()))


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
