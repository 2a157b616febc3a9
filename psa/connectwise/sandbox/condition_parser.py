"""ConnectWise `conditions` language: tokenizer and recursive-descent parser (no eval).

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
escape sequences.  A backslash inside a string is refused: ConnectWise documents no escape sequence
(Developer Guide, "Escaping Characters" covers JSON bodies and URLs only), so whether its parser reads
`\"` as an escaped quote is unknown, and the sandbox is stricter than either reading.
Datetimes are ISO-8601 inside square brackets: `[2016-08-20T18:04:26Z]`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
            if "\\" in text[i + 1 : end]:
                raise ConditionsError("backslash inside a string (no escape sequence is documented)", i)
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
