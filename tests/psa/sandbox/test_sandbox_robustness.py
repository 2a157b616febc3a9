"""Whatever a client sends, the sandbox answers 2xx or a ConnectWise-shaped 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
from fuzz_budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psa.connectwise.sandbox import SandboxServer

_TOKENS = (
    "id summary board/id status/name _info/dateEntered resources asc desc , = \"x\" 'y' ( ) and or not"
    " in like contains 1 -2.5 null True [ ] 2026-01-01T00:00:00Z % * \\ /"
).split()
_NOISE = st.one_of(st.lists(st.sampled_from([*_TOKENS, " "]), max_size=12).map("".join), st.text(max_size=20))
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 2000), st.text(max_size=8))
_KEYS = st.sampled_from(
    ["op", "path", "value", "id", "summary", "company", "text", "member", "type", "objectId"]
)
_JSON = st.recursive(
    _SCALARS,
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(_KEYS, kids, max_size=3)),
    max_leaves=8,
)
_SETTINGS = settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _client(sandbox: SandboxServer, make_headers: Any) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, headers=make_headers(), timeout=10)


def _is_cw_answer(r: httpx.Response) -> bool:
    if r.status_code < 300:
        return True
    body = r.json()
    return (
        400 <= r.status_code < 500
        and isinstance(body.get("code"), str)
        and isinstance(body.get("message"), str)
    )


@_SETTINGS
@given(conditions=_NOISE, order_by=_NOISE, fields=_NOISE, page=_NOISE)
def test_random_list_parameters_never_cause_a_500(
    sandbox: SandboxServer, make_headers: Any, conditions: str, order_by: str, fields: str, page: str
) -> None:
    with _client(sandbox, make_headers) as cw:
        params = {
            "conditions": conditions,
            "orderBy": order_by,
            "fields": fields,
            "page": page,
            "pageSize": page,
        }
        assert _is_cw_answer(cw.get("/service/tickets", params=params))
        assert _is_cw_answer(cw.get("/service/tickets/count", params={"conditions": conditions}))


@_SETTINGS
@given(body=_JSON)
def test_random_write_bodies_never_cause_a_500(sandbox: SandboxServer, make_headers: Any, body: Any) -> None:
    with _client(sandbox, make_headers) as cw:
        for method, path in [
            ("PATCH", "/service/tickets/1000"),
            ("POST", "/service/tickets"),
            ("POST", "/service/tickets/1000/notes"),
            ("POST", "/service/tickets/1000/configurations"),
            ("POST", "/schedule/entries"),
            ("PATCH", "/schedule/entries/9001"),
            ("POST", "/service/tickets/search"),
        ]:
            r = cw.request(method, path, json=body)
            assert _is_cw_answer(r), (method, path, r.status_code, r.text)
