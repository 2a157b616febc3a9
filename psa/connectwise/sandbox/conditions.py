"""ConnectWise `conditions`: the public face of the parser and the evaluator.

    parse('summary contains "a AND b" and board/id in (1, 2)')
    == And((Comparison("summary", "contains", "a AND b"), Comparison("board/id", "in", (1, 2))))

The grammar is documented in `condition_parser`; comparison semantics in `condition_eval`.
"""

from .condition_eval import compile_node, evaluate, getter, is_missing, matches, resolve
from .condition_parser import (
    MAX_DEPTH,
    And,
    Comparison,
    ConditionsError,
    Literal,
    Node,
    Or,
    parse,
    tokenize,
)

__all__ = [
    "MAX_DEPTH",
    "And",
    "Comparison",
    "ConditionsError",
    "Literal",
    "Node",
    "Or",
    "compile_node",
    "evaluate",
    "getter",
    "is_missing",
    "matches",
    "parse",
    "resolve",
    "tokenize",
]
