"""Indexes over the ticket store, so a list request does not test every ticket against its conditions.

A `ValueIndex` groups records by the value of one field. A comparison on that field is then tested
once per distinct value (a few dozen boards, statuses, companies, owners, resources strings) instead
of once per record, with exactly the predicate the full scan uses, so the ids it selects are exactly
the ids whose value passes. `candidates` combines them through the condition tree: AND intersects what
it can, OR needs every branch indexed. The full predicate still runs over the candidates, so an
indexed answer is the full scan's answer, only cheaper.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .conditions import And, Comparison, Node, compile_node, getter, is_missing

Rec = dict[str, Any]
# What the app filters tickets on (psa/connectwise/conditions.py ticket_filter and the provider).
TICKET_FIELDS = (
    "board/id",
    "status/id",
    "priority/id",
    "company/id",
    "company/name",
    "contact/id",
    "owner/id",
    "closedFlag",
    "resources",
    "parentTicketId",
    "id",
)
_SCALARS = (str, int, float, bool, type(None))


def _identity(value: Any, _field: str) -> Any:
    return value


class ValueIndex:
    """Record positions grouped by one field's value."""

    def __init__(self, records: Sequence[Rec], path: str) -> None:
        get = getter(path)
        self.buckets: dict[tuple[type, Any], tuple[Any, list[int]]] = {}
        self.unindexed: list[int] = []  # arrays and objects: always candidates
        for pos, record in enumerate(records):
            value = get(record)
            if is_missing(value):
                value = None  # absent and null compare alike
            elif not isinstance(value, _SCALARS):
                self.unindexed.append(pos)
                continue
            # The type is part of the key: True == 1 in a dict, not in ConnectWise's comparisons.
            self.buckets.setdefault((type(value), value), (value, []))[1].append(pos)

    def select(self, cmp: Comparison) -> set[int]:
        """Positions of the records whose value passes the comparison (plus the unindexed ones)."""
        test = compile_node(cmp, _identity)
        out = set(self.unindexed)
        for value, positions in self.buckets.values():
            if test(value):
                out.update(positions)
        return out


class RecordIndex:
    """Value indexes over several fields of one list of records (rebuilt when the list changes)."""

    def __init__(self, records: Sequence[Rec], fields: Iterable[str]) -> None:
        self.records = records
        self.fields = {f.lower(): ValueIndex(records, f) for f in fields}

    def candidates(self, node: Node | None) -> set[int] | None:
        """Positions that may match `node`; None when the indexes cannot narrow it."""
        if node is None:
            return None
        if isinstance(node, Comparison):
            index = self.fields.get(node.field.lower())
            return index.select(node) if index is not None else None
        parts = [self.candidates(item) for item in node.items]
        if isinstance(node, And):
            known = [p for p in parts if p is not None]
            if not known:
                return None
            known.sort(key=len)
            result = set(known[0])
            for other in known[1:]:
                result &= other
            return result
        if any(p is None for p in parts):
            return None
        return set().union(*(p for p in parts if p is not None))

    def narrowed(self, node: Node | None) -> Sequence[Rec]:
        """The records worth testing against `node`, in their original order."""
        positions = self.candidates(node)
        if positions is None:
            return self.records
        return [self.records[p] for p in sorted(positions)]
