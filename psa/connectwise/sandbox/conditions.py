"""ConnectWise `conditions` language: tokenizer, recursive-descent parser and evaluator.

The parse tree is public so other code (and property tests) can check the exact shape
a conditions string produces:

    parse('summary contains "a AND b" and board/id in (1, 2)')
    == And((Comparison("summary", "contains", "a AND b"), Comparison("board/id", "in", (1, 2))))

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("OR" and_expr)*
    and_expr   := primary ("AND" primary)*
    primary    := "(" expr ")" | comparison
    comparison := FIELD ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") value
                | FIELD ["NOT"] ("CONTAINS" | "LIKE") value
                | FIELD ["NOT"] "IN" "(" value ("," value)* ")"
    value      := STRING | NUMBER | TRUE | FALSE | NULL | DATETIME

Strings run from a quote (`"` or `'`) to the next quote of the same kind; there are no
escape sequences.  Datetimes are ISO-8601 inside square brackets: `[2016-08-20T18:04:26Z]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

Literal = str | int | float | bool | None | datetime
Record = Mapping[str, Any]

MAX_DEPTH = 64
MAX_LENGTH = 20_000
INFO_ALIASES = {"dateentered", "lastupdated", "enteredby", "updatedby"}
_KEYWORDS = {"and", "or", "not", "contains", "like", "in", "true", "false", "null"}
_COMPARATORS = {"=", "!=", "<>", "<", "<=", ">", ">="}
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DIGITS = "0123456789"


class ConditionsError(ValueError):
    """A conditions (or orderBy) string that cannot be parsed."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} at position {position}")
        self.position = position


@dataclass(frozen=True)
class Comparison:
    """One `field op value` test; `value` is a tuple for `in`."""

    field: str
    op: str
    value: Literal | tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True)
class And:
    """All items must hold."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one item must hold."""

    items: tuple[Node, ...]


Node = Comparison | And | Or


@dataclass(frozen=True)
class _Token:
    kind: str  # FIELD, KW, OP, STRING, NUMBER, DATETIME, LPAREN, RPAREN, COMMA, END
    value: Any
    pos: int


def _parse_datetime(text: str, pos: int) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
        if value.tzinfo:
            value = value.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise ConditionsError(f"invalid datetime [{text}]", pos) from None
    return value


def tokenize(text: str) -> list[_Token]:
    """Split a conditions string into tokens."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "\"'":
            end = text.find(ch, i + 1)
            if end < 0:
                raise ConditionsError("unterminated string", i)
            tokens.append(_Token("STRING", text[i + 1 : end], i))
            i = end + 1
        elif ch == "[":
            end = text.find("]", i + 1)
            if end < 0:
                raise ConditionsError("unterminated datetime", i)
            tokens.append(_Token("DATETIME", _parse_datetime(text[i + 1 : end], i), i))
            i = end + 1
        elif ch == "(":
            tokens.append(_Token("LPAREN", ch, i))
            i += 1
        elif ch == ")":
            tokens.append(_Token("RPAREN", ch, i))
            i += 1
        elif ch == ",":
            tokens.append(_Token("COMMA", ch, i))
            i += 1
        elif ch in "=!<>":
            two = text[i : i + 2]
            op = two if two in _COMPARATORS else ch
            if op not in _COMPARATORS:
                raise ConditionsError(f"unexpected character {ch!r}", i)
            tokens.append(_Token("OP", "!=" if op == "<>" else op, i))
            i += len(op)
        elif ch in _DIGITS or (ch == "-" and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER_RE.match(text, i)
            if m is None:
                raise ConditionsError("malformed number", i)
            end = m.end()
            if end < n and (text[end].isalnum() or text[end] in "_./"):
                raise ConditionsError("malformed number", i)
            raw = m.group()
            tokens.append(_Token("NUMBER", float(raw) if "." in raw else int(raw), i))
            i = end
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _FIELD_RE.match(text, i)
            if m is None:
                raise ConditionsError("malformed field name", i)
            word = m.group()
            end = m.end()
            if end < n and text[end] == "/":
                raise ConditionsError("malformed field path", i)
            if word.lower() in _KEYWORDS:
                tokens.append(_Token("KW", word.lower(), i))
            else:
                tokens.append(_Token("FIELD", word, i))
            i = end
        else:
            raise ConditionsError(f"unexpected character {ch!r}", i)
    tokens.append(_Token("END", None, n))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        if tok.kind != "END":
            self.i += 1
        return tok

    def is_kw(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "KW" and tok.value == word

    def expect(self, kind: str, what: str) -> _Token:
        tok = self.take()
        if tok.kind != kind:
            raise ConditionsError(f"expected {what}", tok.pos)
        return tok

    def expr(self) -> Node:
        items = [self.and_expr()]
        while self.is_kw("or"):
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.primary()]
        while self.is_kw("and"):
            self.take()
            items.append(self.primary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind == "LPAREN":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ConditionsError("conditions nested too deeply", tok.pos)
            self.take()
            node = self.expr()
            self.expect("RPAREN", "')'")
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        field = self.expect("FIELD", "a field name").value
        tok = self.take()
        if tok.kind == "OP":
            return Comparison(field, tok.value, self.value())
        negated = False
        if tok.kind == "KW" and tok.value == "not":
            negated = True
            tok = self.take()
        if tok.kind == "KW" and tok.value in ("contains", "like"):
            return Comparison(field, tok.value, self.value(), negated)
        if tok.kind == "KW" and tok.value == "in":
            self.expect("LPAREN", "'(' after in")
            values = [self.value()]
            while self.peek().kind == "COMMA":
                self.take()
                values.append(self.value())
            self.expect("RPAREN", "')' closing the in list")
            return Comparison(field, "in", tuple(values), negated)
        raise ConditionsError(f"expected an operator after {field}", tok.pos)

    def value(self) -> Literal:
        tok = self.take()
        if tok.kind in ("STRING", "NUMBER", "DATETIME"):
            return tok.value
        if tok.kind == "KW" and tok.value in ("true", "false"):
            return tok.value == "true"
        if tok.kind == "KW" and tok.value == "null":
            return None
        raise ConditionsError("expected a value", tok.pos)


@lru_cache(maxsize=512)
def parse(text: str) -> Node | None:
    """Parse a conditions string; an empty string gives None (no filter)."""
    if len(text) > MAX_LENGTH:
        raise ConditionsError("conditions too long")
    tokens = tokenize(text)
    if tokens[0].kind == "END":
        return None
    parser = _Parser(tokens)
    node = parser.expr()
    tok = parser.peek()
    if tok.kind != "END":
        raise ConditionsError("unexpected text after the conditions", tok.pos)
    return node


# ---------------------------------------------------------------- evaluation

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


@lru_cache(maxsize=1024)
def _like_regex(pattern: str) -> re.Pattern[str]:
    regex = "".join(".*" if c in "%*" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


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
        if op == "contains":
            hit = needle.casefold() in text.casefold()
        else:
            hit = _like_regex(needle).fullmatch(text) is not None
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
    if cmp.op == "contains" and (needle := _text(lit)) is not None:
        folded = needle.casefold()

        def contains(value: Any) -> bool:
            text = value if type(value) is str else _text(value)
            return text is not None and (folded in text.casefold()) != cmp.negated

        return contains
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
