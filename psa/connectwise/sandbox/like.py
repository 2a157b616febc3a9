"""SQL Server `LIKE` as ConnectWise evaluates `like` and `contains` (case-insensitive collation).

Pattern language (Transact-SQL LIKE, "Wildcard characters" and "Using wildcard characters as literals"):
- `%` any string of zero or more characters, `_` exactly one character;
- `[abc]` one character of the set, `[a-f]` one character of the range, `[^abc]` / `[^a-f]` one
  character not in it; a wildcard inside brackets is literal, so `[%]`, `[_]` and `[[]` match `%`, `_`
  and `[`; `]` outside brackets is literal;
- a `[` with no closing `]` makes the pattern match nothing (SQL Server returns no rows).
ConnectWise also documents `*` as a wildcard in condition strings (Developer Guide, "Conditions" table:
"Accepts * for wildcards"); the sandbox reads it as `%`.

`contains "x"` is `like "%x%"`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[str], bool]
_NOTHING = re.compile(r"(?!)")


def _set_regex(body: str) -> str:
    negate = body.startswith("^")
    if negate:
        body = body[1:]
    parts: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = body[i], body[i + 2]
            if low <= high:
                parts.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 3
        else:
            parts.append(re.escape(body[i]))
            i += 1
    if not parts:
        return "(?!)"  # `[]` / `[^]`: no character can match an empty set
    return f"[{'^' if negate else ''}{''.join(parts)}]"


def like_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression for a LIKE pattern (case-sensitive: callers casefold both sides)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch in "%*":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[":
            start = i + 1
            if pattern.startswith("^", start):
                start += 1
            # The first `]` after `[` (or `[^`) closes the set, unless it is the set's first character.
            end = pattern.find("]", start + 1 if pattern.startswith("]", start) else start)
            if end < 0:
                return _NOTHING
            out.append(_set_regex(pattern[i + 1 : end]))
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


_WILDCARDS = frozenset("%*_[")


@lru_cache(maxsize=2048)
def like_matcher(pattern: str) -> Matcher:
    """text -> bool for `text LIKE pattern`, with a plain comparison when nothing is a wildcard."""
    if not _WILDCARDS.intersection(pattern):
        folded = pattern.casefold()
        return lambda text: text.casefold() == folded
    regex = like_regex(pattern.casefold())
    return lambda text: regex.fullmatch(text.casefold()) is not None


@lru_cache(maxsize=2048)
def contains_matcher(needle: str) -> Matcher:
    """text -> bool for `text contains needle` (LIKE `%needle%`)."""
    if not _WILDCARDS.intersection(needle):
        folded = needle.casefold()
        return lambda text: folded in text.casefold()
    return like_matcher(f"%{needle}%")
