"""The result of matching a name against reference data, and helpers shared by the matchers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rapidfuzz import fuzz


class HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=HasId)


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    """`chosen` when one record clearly fits; otherwise the `candidates` that fit equally (or weakly).

    `text` is the mention as it appeared, `span` its position in the text that was scanned.
    """

    chosen: T | None = None
    candidates: tuple[T, ...] = ()
    text: str = ""
    span: tuple[int, int] | None = None

    @property
    def found(self) -> bool:
        """True when something was matched, even ambiguously."""
        return self.chosen is not None or bool(self.candidates)


def decide(records: Iterable[T], *, text: str = "", span: tuple[int, int] | None = None) -> Match[T]:
    """One distinct record → chosen; several → ambiguous; none → empty."""
    unique = tuple({record.id: record for record in records}.values())
    if len(unique) == 1:
        return Match(chosen=unique[0], text=text, span=span)
    return Match(candidates=unique, text=text, span=span)


def fuzzy_pick(
    query: str,
    records: Iterable[T],
    keys: Callable[[T], Iterable[str]],
    *,
    cutoff: float,
    margin: float,
) -> Match[T]:
    """Best fuzzy match of `query` over each record's keys; runners-up within `margin` make it ambiguous."""
    scores: dict[int, tuple[T, float]] = {}
    for record in records:
        best = max(
            (max(fuzz.ratio(query, key), fuzz.token_sort_ratio(query, key)) for key in keys(record) if key),
            default=0.0,
        )
        if best >= cutoff and best > scores.get(record.id, (record, -1.0))[1]:
            scores[record.id] = (record, best)
    if not scores:
        return Match(text=query)
    ranked = sorted(scores.values(), key=lambda item: -item[1])
    top_score = ranked[0][1]
    close = [record for record, score in ranked if top_score - score < margin]
    return decide(close, text=query)


def rank(query: str, records: Iterable[T], keys: Callable[[T], Iterable[str]]) -> list[T]:
    """`records` closest to `query` first (ties keep their order): how candidates are offered to a user."""
    folded = query.casefold()

    def closeness(record: T) -> float:
        return max((fuzz.WRatio(folded, key.casefold()) for key in keys(record) if key), default=0.0)

    return sorted(records, key=lambda record: -closeness(record))


def names_list(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C' (at most five, then 'and N more')."""
    shown = names[:5]
    extra = len(names) - len(shown)
    if extra:
        return f"{', '.join(shown)} and {extra} more"
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"
