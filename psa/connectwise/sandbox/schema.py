"""The fields ConnectWise knows per resource, so the sandbox refuses what a real server would.

`fields.json` holds the field names of the API 2025.1 models (see its `_source`). A condition on a path
outside them answers what real servers answer: HTTP 400 `{"code": "ApiFindCondition", "message":
"typeids is not a recognized name."}` (LabtechConsulting/ConnectWise-Manage-Powershell issue #4, printed
from the body's `code` and `message` by that module's `Invoke-CWMWebRequest` in CWManage.psm1). No source
shows the answer to an unknown `orderBy` field; the sandbox answers the same (an assumption). Field names
match case-insensitively (the Developer Guide writes `Board/Id`, `ClosedFlag`, `LastUpdated`); `_info` is
free-form, and its timestamps may be named bare (`dateEntered > [...]`), as public clients filter them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .condition_parser import INFO_ALIASES, Node
from .errors import CWError

FIELDS_FILE = Path(__file__).with_name("fields.json")
Schema = Mapping[str, Any]  # field (lower case) -> None (a value), "*" (free-form) or a nested Schema


@cache
def _all() -> dict[str, Schema]:
    with open(FIELDS_FILE, encoding="utf-8") as fh:
        raw = json.load(fh)["resources"]
    return {name: _lower(fields) for name, fields in raw.items()}


def _lower(fields: Mapping[str, Any]) -> Schema:
    out: dict[str, Any] = {"_info": "*"}
    for key, value in fields.items():
        out[key.lower()] = _lower(value) if isinstance(value, Mapping) else value
    return out


def schema(resource: str) -> Schema:
    """The field tree of a resource (a key of fields.json)."""
    return _all()[resource]


def knows(tree: Schema, path: str) -> bool:
    """Whether `path` (`a/b/c`) names a field of the resource."""
    parts = path.lower().split("/")
    if len(parts) == 1 and parts[0] in INFO_ALIASES:
        return True
    node: Any = tree
    for part in parts:
        if node == "*":
            return True
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def unknown_name(path: str) -> CWError:
    """ConnectWise's answer to a condition or orderBy on a field it does not know."""
    return CWError(400, "ApiFindCondition", f"{path} is not a recognized name.")


def fields_of(node: Node | None) -> Iterable[str]:
    """Every field path a parsed conditions tree compares."""
    if node is None:
        return
    items = getattr(node, "items", None)
    if items is None:
        yield node.field  # type: ignore[union-attr]
        return
    for item in items:
        yield from fields_of(item)


def check(tree: Schema, paths: Iterable[str], forgotten: frozenset[str] = frozenset()) -> None:
    """Raise ConnectWise's 400 for the first path the resource does not know (or was told to forget)."""
    for path in paths:
        if path.lower() in forgotten or not knows(tree, path):
            raise unknown_name(path)


def check_body(tree: Schema, body: Mapping[str, Any], resource: str) -> None:
    """Refuse a POST body naming a field the model does not have (ConnectWise's InvalidObject shape)."""
    from .errors import field_error, invalid_many

    unknown = sorted(k for k in body if k.lower() not in tree)
    if unknown:
        raise invalid_many(
            [field_error(k, "InvalidField", f"{k} is not a recognized field", resource) for k in unknown],
            resource,
        )
