"""Evaluation of parsed conditions with ConnectWise's comparison semantics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .condition_parser import INFO_ALIASES, And, Comparison, Literal, Node, Record, parse
from .like import contains_matcher, like_matcher

_MISSING = object()


class _Many(list[Any]):
    """Values collected through an array field; a test holds if it holds for any."""


def _lookup(obj: Mapping[str, Any], key: str) -> Any:
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if k.lower() == low:
            return v
    return _MISSING


def resolve(record: Record, path: str) -> Any:
    """Value of a `/`-separated field path (bare `_info` names allowed); _MISSING if absent."""
    parts = path.split("/")
    current: Any = _lookup(record, parts[0])
    if current is _MISSING and len(parts) == 1 and parts[0].lower() in INFO_ALIASES:
        info = record.get("_info")
        current = _lookup(info, parts[0]) if isinstance(info, Mapping) else _MISSING
    for part in parts[1:]:
        if isinstance(current, Mapping):
            current = _lookup(current, part)
        elif isinstance(current, list):
            found = _Many()
            for item in current:
                if isinstance(item, Mapping):
                    v = _lookup(item, part)
                    if v is not _MISSING and v is not None:
                        found.extend(v if isinstance(v, list) else [v])
            current = found if found else _MISSING
        else:
            return _MISSING
    return None if current is _MISSING else current


def is_missing(value: Any) -> bool:
    """True when a resolved value counts as null."""
    return value is None or value is _MISSING


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    except (ValueError, OverflowError):
        return None


def _coerce(field: Any, lit: Literal) -> tuple[Any, Any] | None:
    """Bring a field value and a literal to comparable values, or None if they cannot be."""
    if isinstance(lit, datetime):
        dt = _as_datetime(field)
        return (dt, lit) if dt is not None else None
    if isinstance(field, bool):
        if isinstance(lit, bool):
            return field, lit
        if isinstance(lit, str) and lit.lower() in ("true", "false"):
            return field, lit.lower() == "true"
        if isinstance(lit, int) and lit in (0, 1):
            return field, bool(lit)
        return None
    if isinstance(field, int | float):
        if isinstance(lit, bool):
            return None
        if isinstance(lit, int | float):
            return field, lit
        if isinstance(lit, str):
            try:
                return field, float(lit)
            except ValueError:
                return None
        return None
    if isinstance(field, str):
        if isinstance(lit, str):
            return field.casefold(), lit.casefold()
        if isinstance(lit, int | float) and not isinstance(lit, bool):
            try:
                return float(field), lit
            except ValueError:
                return None
        return None
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _test_one(value: Any, cmp: Comparison) -> bool:
    op, lit = cmp.op, cmp.value
    if op == "in":
        assert isinstance(lit, tuple)
        hit = any(_equal(value, v) for v in lit)
        return not hit if cmp.negated else hit
    if op in ("contains", "like"):
        text, needle = _text(value), _text(lit)
        if text is None or needle is None:
            return False
        matcher = contains_matcher(needle) if op == "contains" else like_matcher(needle)
        hit = matcher(text)
        return not hit if cmp.negated else hit
    assert not isinstance(lit, tuple)
    if lit is None:
        return op == "!="
    if op == "=":
        return _equal(value, lit)
    if op == "!=":
        pair = _coerce(value, lit)
        return pair is not None and pair[0] != pair[1]
    pair = _coerce(value, lit)
    if pair is None:
        return False
    a, b = pair
    try:
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    except TypeError:
        return False


def _equal(value: Any, lit: Literal) -> bool:
    if lit is None:
        return False
    pair = _coerce(value, lit)
    return pair is not None and pair[0] == pair[1]


def _holds(value: Any, cmp: Comparison) -> bool:
    if is_missing(value):
        return cmp.op == "=" and cmp.value is None
    if isinstance(value, _Many):
        return any(_test_one(v, cmp) for v in value)
    return _test_one(value, cmp)


Predicate = Callable[[Record], bool]
Resolver = Callable[[Record, str], Any]
Getter = Callable[[Record], Any]


def getter(path: str) -> Getter:
    """A fast accessor for one field path (exact-case dict walk, else the full `resolve`)."""
    parts = tuple(path.split("/"))

    def get(record: Record) -> Any:
        current: Any = record
        for part in parts:
            if type(current) is dict and part in current:
                current = current[part]
            else:
                return resolve(record, path)
        return current

    return get


def _tester(cmp: Comparison) -> Callable[[Any], bool]:
    """value -> bool for a present, single value, with the literal prepared once."""
    lit = cmp.value
    if cmp.op in ("contains", "like") and (needle := _text(lit)) is not None:
        matcher = contains_matcher(needle) if cmp.op == "contains" else like_matcher(needle)
        negated = cmp.negated

        def like(value: Any) -> bool:
            text = value if type(value) is str else _text(value)
            return text is not None and matcher(text) != negated

        return like
    if cmp.op in ("=", "!=") and type(lit) is str:
        folded_lit = lit.casefold()
        same = cmp.op == "="

        def equals(value: Any) -> bool:
            if type(value) is str:
                return (value.casefold() == folded_lit) == same
            return _test_one(value, cmp)

        return equals
    if cmp.op == "=" and type(lit) in (bool, int):
        exact_type = type(lit)
        return lambda value: value == lit if type(value) is exact_type else _test_one(value, cmp)
    if cmp.op == "in" and isinstance(lit, tuple) and all(type(v) is int for v in lit):
        members = frozenset(lit)
        negated = cmp.negated
        return lambda value: (value in members) != negated if type(value) is int else _test_one(value, cmp)
    return lambda value: _test_one(value, cmp)


def _compile_comparison(cmp: Comparison, resolver: Resolver | None) -> Predicate:
    get = getter(cmp.field) if resolver is None else (lambda record: resolver(record, cmp.field))
    test = _tester(cmp)
    want_null = cmp.op == "=" and cmp.value is None

    def pred(record: Record) -> bool:
        value = get(record)
        if value is None or value is _MISSING:
            return want_null
        if type(value) is _Many:
            return any(test(v) for v in value)
        return test(value)

    return pred


def compile_node(node: Node | None, resolver: Resolver | None = None) -> Predicate:
    """Turn a parse tree into a predicate over records (custom `resolver` optional)."""
    if node is None:
        return lambda record: True
    if isinstance(node, Comparison):
        return _compile_comparison(node, resolver)
    parts = [compile_node(item, resolver) for item in node.items]
    if isinstance(node, And):

        def all_of(record: Record) -> bool:
            for p in parts:
                if not p(record):
                    return False
            return True

        return all_of

    def any_of(record: Record) -> bool:
        for p in parts:
            if p(record):
                return True
        return False

    return any_of


def evaluate(node: Node | None, record: Record) -> bool:
    """Reference (unoptimised) evaluation; `compile_node` must always agree with it."""
    if node is None:
        return True
    if isinstance(node, Comparison):
        return _holds(resolve(record, node.field), node)
    if isinstance(node, And):
        return all(evaluate(item, record) for item in node.items)
    return any(evaluate(item, record) for item in node.items)


def matches(conditions: str, record: Record) -> bool:
    """Convenience: does `record` satisfy the conditions string."""
    return compile_node(parse(conditions))(record)
