"""Matching members, boards, statuses and priorities by name (companies live in `ai.companies`)."""

from __future__ import annotations

from collections.abc import Sequence

from ai.match import Match, decide, fuzzy_pick, rank
from ai.text import norm_tokens, normalize
from ai.vocabulary import Urgency, explicit_rank, urgency_in_name, urgency_of
from psa.models import Board, BoardStatus, Member, Priority

_MEMBER_CUTOFF = 85.0
_MEMBER_MARGIN = 8.0  # "Jon Smyth" sits between Jon Smith and John Smyth: too close to call
_BOARD_FILLER = frozenset({"the", "on", "in", "to", "into", "onto", "under", "board", "queue", "team", "a"})


def _member_words(member: Member) -> list[str]:
    return norm_tokens(member.name)


def match_member(name: str, members: Sequence[Member]) -> Match[Member]:
    """An active member by full name, identifier, e-mail, first or last name, or typo-level spelling."""
    words = norm_tokens(name.lstrip("@"))
    if not words:
        return Match(text=name)
    joined = " ".join(words)
    exact = [
        member
        for member in members
        if _member_words(member) == words
        or joined == member.identifier.casefold()
        or (member.email and name.strip().casefold() in {member.email.casefold(), member.email.split("@")[0]})
    ]
    if exact:
        return decide(exact, text=name)
    # "Sam", "Rivera", "Sam L", "Alex R.": first word exact, later words as leading letters.
    partial = []
    for member in members:
        full = _member_words(member)
        if len(words) == 1 and len(words[0]) >= 3 and words[0] in full:
            partial.append(member)
        elif 1 < len(words) <= len(full) and words[0] == full[0]:
            if all(part.startswith(word) for word, part in zip(words[1:], full[1:], strict=False)):
                partial.append(member)
    if partial:
        return decide(partial, text=name)
    # "Sama", "Riv": the leading letters of one word of the name.
    leading = [
        member
        for member in members
        if len(words) == 1
        and len(words[0]) >= 3
        and (
            any(part.startswith(words[0]) for part in _member_words(member))
            or member.identifier.casefold().startswith(words[0])
        )
    ]
    if leading:
        return decide(rank(joined, leading, lambda member: [member.name]), text=name)
    # "Samanta" for Samantha: one word is compared with each word of the names too.
    single = len(words) == 1 and len(words[0]) >= 4
    found = fuzzy_pick(
        joined,
        members,
        lambda member: [
            normalize(member.name),
            member.identifier.casefold(),
            *(_member_words(member) if single else []),
        ],
        cutoff=_MEMBER_CUTOFF,
        margin=_MEMBER_MARGIN,
    )
    return Match(found.chosen, found.candidates, text=name)


def _singular(words: list[str]) -> tuple[str, ...]:
    return tuple(word[:-1] if len(word) > 3 and word.endswith("s") else word for word in words)


def _board_key(text: str) -> tuple[str, ...]:
    return _singular([word for word in norm_tokens(text) if word not in _BOARD_FILLER])


def board_in_clause(clause: str, boards: Sequence[Board]) -> Match[Board]:
    """A clause that is nothing but a board's name ('help desk', 'on the Alerts queue')."""
    key = _board_key(clause)
    if not key:
        return Match()
    squashed = "".join(key)
    hits = [
        board
        for board in boards
        if _board_key(board.name) in {key} or "".join(_board_key(board.name)) == squashed
    ]
    return decide(hits, text=clause)


def _abbreviates(key: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """'network ops' → Network Operations, 'hd' → Help Desk."""
    if len(key) == 1 and len(name) > 1 and key[0] == "".join(word[0] for word in name):
        return True
    return len(key) == len(name) and all(
        len(short) >= 2 and word.startswith(short.removesuffix("s") if len(short) > 2 else short)
        for short, word in zip(key, name, strict=True)
    )


def match_board(hint: str, boards: Sequence[Board]) -> Match[Board]:
    """A board named by the user: exact, contained in the hint, leading words, or typo-level."""
    exact = board_in_clause(hint, boards)
    if exact.found:
        return exact
    key = _board_key(hint)
    if not key:
        return Match(text=hint)
    contained = [
        board
        for board in boards
        if (name := _board_key(board.name))
        and any(key[i : i + len(name)] == name for i in range(len(key) - len(name) + 1))
    ]
    if contained:
        longest = max(len(_board_key(board.name)) for board in contained)
        return decide([b for b in contained if len(_board_key(b.name)) == longest], text=hint)
    leading = [board for board in boards if _board_key(board.name)[: len(key)] == key]
    if leading:
        return decide(leading, text=hint)
    short = [board for board in boards if _abbreviates(key, _board_key(board.name))]
    if short:
        return decide(short, text=hint)
    found = fuzzy_pick(
        " ".join(key), boards, lambda board: [" ".join(_board_key(board.name))], cutoff=80.0, margin=8.0
    )
    return Match(found.chosen, found.candidates, text=hint)


def match_status(hint: str, statuses: Sequence[BoardStatus]) -> Match[BoardStatus]:
    """A status of the board named by the user (inactive statuses never match)."""
    usable = [status for status in statuses if not status.inactive]
    key = normalize(hint)
    exact = [status for status in usable if normalize(status.name) == key]
    if exact:
        return decide(exact, text=hint)
    leading = [status for status in usable if normalize(status.name).startswith(key) and len(key) >= 3]
    if leading:
        return decide(leading, text=hint)
    found = fuzzy_pick(key, usable, lambda status: [normalize(status.name)], cutoff=80.0, margin=8.0)
    return Match(found.chosen, found.candidates, text=hint)


def default_status(statuses: Sequence[BoardStatus]) -> BoardStatus | None:
    """The board's default status, else its first open one."""
    usable = sorted((s for s in statuses if not s.inactive), key=lambda s: (s.sort_order, s.id))
    for status in usable:
        if status.default and not status.closed:
            return status
    return next((status for status in usable if not status.closed), None)


def level_indexes(priorities: Sequence[Priority]) -> dict[Urgency, int]:
    """Each urgency level → an index into `priorities` (sorted most urgent first), by meaning and rank.

    A priority whose name states a level ("Emergency Response", "Normal", "Low") anchors that level; the
    most urgent priority is the emergency one and the least urgent the lowest, unless their names say
    otherwise; "normal" sits in the middle. Levels left over take the free priorities between their
    anchored neighbours, in order, so "urgent" and "high" differ whenever the site has a level for each;
    with no free priority between, a level shares the next less urgent anchor's priority (the more urgent
    one's when that would be "normal").
    """
    count = len(priorities)
    anchors: dict[Urgency, int] = {}
    for index, priority in enumerate(priorities):
        level = urgency_in_name(priority.name)
        if level is not None and level not in anchors and all(level > other for other in anchors):
            anchors[level] = index
    _default_anchor(anchors, Urgency.EMERGENCY, 0)
    _default_anchor(anchors, Urgency.LOWEST, count - 1)
    _default_anchor(anchors, Urgency.NORMAL, max(count // 2, min(3, count - 2)))
    indexes = dict(anchors)
    levels = list(Urgency)
    position = 0
    while position < len(levels):
        if levels[position] in anchors:
            position += 1
            continue
        run_end = position
        while run_end < len(levels) and levels[run_end] not in anchors:
            run_end += 1
        before = anchors[levels[position - 1]] if position > 0 else -1
        after = anchors[levels[run_end]] if run_end < len(levels) else count
        free = list(range(before + 1, after))
        for offset, level in enumerate(levels[position:run_end]):
            if free:
                indexes[level] = free[min(offset, len(free) - 1)]
                continue
            # No priority of its own: share a neighbour's, but "high" or "low" never reads as "normal".
            sides = [after, before] if after < count else [before]
            if anchors.get(Urgency.NORMAL) == sides[0] and len(sides) > 1 and sides[1] >= 0:
                sides.reverse()
            indexes[level] = max(sides[0], 0)
        position = run_end
    return indexes


def _default_anchor(anchors: dict[Urgency, int], level: Urgency, index: int) -> None:
    """Anchor `level` at `index` when its name did not, and the order of the anchors allows it."""
    if level in anchors or index < 0 or index in anchors.values():
        return
    more_urgent = [i for other, i in anchors.items() if other < level]
    less_urgent = [i for other, i in anchors.items() if other > level]
    if all(i < index for i in more_urgent) and all(i > index for i in less_urgent):
        anchors[level] = index


def pick_priority(words: Sequence[str], priorities: Sequence[Priority]) -> Priority | None:
    """The PSA priority the urgency words point to (by meaning and rank); the most urgent wins."""
    ordered = sorted(priorities, key=lambda priority: (priority.sort, priority.id))
    if not ordered:
        return None
    indexes = level_indexes(ordered)
    ranks: list[int] = []
    for word in words:
        rank = explicit_rank(word)
        if rank is None and (level := urgency_of(word)) is not None:
            rank = indexes[level]
        if rank is not None and rank < len(ordered):
            ranks.append(rank)
    return ordered[min(ranks)] if ranks else None
