"""Hostile requests to the running app: bad signatures and stale timestamps get 401, malformed or
truncated payloads a 4xx (never a 500), and the app keeps serving."""

from __future__ import annotations

import copy
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from fuzz_budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_kit import unhandled
from scenario_harness import CHANNEL, DEMO, SIGNING_SECRET, Slack

from bot.ids import (
    Callback,
    CreateAction,
    DetailAction,
    HomeAction,
    ListAction,
    MappingAction,
    MessageAction,
    SuggestionAction,
)
from bot.local import payloads as p
from bot.local.signing import sign

FORM, JSON = p.FORM, p.JSON


def _samples(slack: Slack) -> dict[str, tuple[str, str]]:
    """One well-formed request of every kind Slack sends."""
    view = {
        "id": "V0FUZZ",
        "type": "modal",
        "callback_id": "list_search",
        "private_metadata": '{"l":{}}',
        "blocks": [],
    }
    message = {
        "ts": "1700000000.000100",
        "blocks": [
            {
                "type": "actions",
                "block_id": "list.pager",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ListAction.NEXT,
                        "value": "{}",
                        "text": {"type": "plain_text", "text": "Next"},
                    }
                ],
            }
        ],
    }
    return {
        "slash command": p.slash_command("/tickets", "mine", user=DEMO, channel=CHANNEL),
        "block action": p.block_actions(ListAction.NEXT, user=DEMO, message=message, channel=CHANNEL),
        "view submission": p.view_submission(view, user=DEMO),
        "options": p.block_suggestion(ListAction.COMPANY, "list.filters", "acme", user=DEMO, view=view),
        "event": p.event_callback(p.message_event(CHANNEL, user=DEMO, text="hello"), team_id=slack.team),
        "shortcut": p.global_shortcut("new_ticket", user=DEMO),
    }


async def _post(slack: Slack, body: str | bytes, headers: dict[str, str]) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return await slack.sender.http.post(slack.sender.events_url, content=content, headers=headers)


def _signed(body: str, content_type: str, **sign_args: Any) -> dict[str, str]:
    return {"Content-Type": content_type, **sign(body, signing_secret=SIGNING_SECRET, **sign_args)}


BAD_SIGNATURES = {
    "no signature headers": lambda body: {},
    "wrong secret": lambda body: sign(body, signing_secret="not-the-secret"),
    "signature of another body": lambda body: sign(body + " ", signing_secret=SIGNING_SECRET),
    "stale timestamp (6 min old)": lambda body: sign(
        body, signing_secret=SIGNING_SECRET, timestamp=int(time.time()) - 360
    ),
    "timestamp from the future": lambda body: sign(
        body, signing_secret=SIGNING_SECRET, timestamp=int(time.time()) + 360
    ),
    "timestamp not a number": lambda body: {
        **sign(body, signing_secret=SIGNING_SECRET),
        "X-Slack-Request-Timestamp": "soon",
    },
    "empty signature": lambda body: {**sign(body, signing_secret=SIGNING_SECRET), "X-Slack-Signature": ""},
    "v1 scheme": lambda body: {
        **sign(body, signing_secret=SIGNING_SECRET),
        "X-Slack-Signature": "v1=" + sign(body, signing_secret=SIGNING_SECRET)["X-Slack-Signature"][3:],
    },
}


@pytest.mark.parametrize("forgery", list(BAD_SIGNATURES))
async def test_forged_or_stale_requests_of_every_kind_get_401_and_do_nothing(
    slack: Slack, forgery: str
) -> None:
    for kind, (body, content_type) in _samples(slack).items():
        headers = {"Content-Type": content_type, **BAD_SIGNATURES[forgery](body)}
        resp = await _post(slack, body, headers)
        assert resp.status_code == 401, f"{kind}: {resp.status_code}"
    await slack.settle()
    assert slack.fake.calls == []  # nothing was done for anyone
    assert slack.sandbox.requests == []


MALFORMED: dict[str, tuple[str, str]] = {
    "interactive payload cut short": (
        urlencode({"payload": '{"type":"block_actions","user":{"id":"U0DEMO"'}),
        FORM,
    ),
    "interactive payload is a list": (urlencode({"payload": "[1,2]"}), FORM),
    "interactive payload is null": (urlencode({"payload": "null"}), FORM),
    "interactive payload is a string": (urlencode({"payload": '"x"'}), FORM),
    "event JSON cut short": ('{"type":"event_callback","event":{"type":"mess', JSON),
    "event JSON is a list": ("[1]", JSON),
    "view is a string": (
        urlencode(
            {
                "payload": json.dumps(
                    {"type": "view_submission", "user": {"id": DEMO}, "team": {"id": "T0LOCAL"}, "view": "x"}
                )
            }
        ),
        FORM,
    ),
    "view without a type": (
        urlencode(
            {
                "payload": json.dumps(
                    {
                        "type": "view_submission",
                        "user": {"id": DEMO},
                        "team": {"id": "T0LOCAL"},
                        "view": {"callback_id": "list_search", "private_metadata": "{{"},
                    }
                )
            }
        ),
        FORM,
    ),
}
NOT_SLACK: dict[str, tuple[str, str]] = {
    "empty body": ("", FORM),
    "binary garbage": ("\x00\xff\xfe garbage", "application/octet-stream"),
    "plain text": ("hello", "text/plain"),
    "a form that is not Slack's": ("a=1&b=2", FORM),
    "an interactive payload without a type": (urlencode({"payload": '{"user":{"id":"U0DEMO"}}'}), FORM),
    "an event callback without its event": ('{"type":"event_callback","team_id":"T0LOCAL"}', JSON),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_signed_payloads_get_400(
    slack: Slack, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body, content_type = MALFORMED[case]

    resp = await _post(slack, body, _signed(body, content_type))

    assert resp.status_code == 400
    assert (
        await slack.sender.http.get(slack.sender.events_url.replace("/slack/events", "/healthz"))
    ).status_code == 200
    assert not unhandled(caplog.records)


@pytest.mark.parametrize("case", list(NOT_SLACK))
async def test_signed_bodies_that_are_no_slack_request_get_a_4xx(slack: Slack, case: str) -> None:
    body, content_type = NOT_SLACK[case]

    resp = await _post(slack, body, _signed(body, content_type))

    assert 400 <= resp.status_code < 500


GARBAGE_METADATA = ("", "{{", "[]", "null", '{"t": "x"}', '{"ticket_id": "1649; DROP"}', "x" * 3001)
GARBAGE_VALUES = (None, "", "garbage", "-1", "99999999999999999999", '{"p": "x"}', "open:abc", "<!channel>")
ACTION_IDS = [
    a.value
    for enum in (
        ListAction,
        DetailAction,
        CreateAction,
        HomeAction,
        MappingAction,
        MessageAction,
        SuggestionAction,
    )
    for a in enum
]


def _envelope(kind: str, **fields: Any) -> tuple[str, str]:
    payload = {
        "type": kind,
        "user": {"id": DEMO, "name": "jdoe"},
        "team": {"id": "T0LOCAL"},
        "api_app_id": "A0LOCAL",
        **fields,
    }
    return urlencode({"payload": json.dumps(payload)}), FORM


def _view(callback_id: str, metadata: str) -> dict[str, Any]:
    return {
        "id": "V0GARBLED",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "hash": "1.x",
        "blocks": [],
        "state": {"values": {"b": {"a": {"type": "plain_text_input", "value": "x"}}}},
    }


async def test_submissions_with_foreign_or_garbled_state_are_answered_calmly(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for callback_id in Callback:
        for metadata in GARBAGE_METADATA:
            for kind in ("view_submission", "view_closed"):
                body, content_type = _envelope(kind, view=_view(callback_id, metadata), trigger_id="1.2.3")
                resp = await _post(slack, body, _signed(body, content_type))
                assert resp.status_code < 500, (callback_id, kind, metadata[:40], resp.status_code)
    await slack.settle()
    assert not unhandled(caplog.records)


async def test_clicks_with_garbled_values_are_answered_calmly(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for action_id in ACTION_IDS:
        for value, metadata in zip(GARBAGE_VALUES, GARBAGE_METADATA * 2, strict=False):
            action = {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "value": value,
                "action_ts": "1.2",
            }
            if value is not None:
                action["selected_option"] = {"value": value, "text": {"type": "plain_text", "text": "x"}}
            body, content_type = _envelope(
                "block_actions",
                actions=[action],
                trigger_id="1.2.3",
                container={"type": "view", "view_id": "V0GARBLED"},
                view=_view(Callback.DETAIL, metadata),
            )
            resp = await _post(slack, body, _signed(body, content_type))
            assert resp.status_code < 500, (action_id, value, metadata, resp.status_code)
    await slack.settle()
    assert not unhandled(caplog.records)


def _mutations() -> st.SearchStrategy[tuple[str, Any]]:
    junk = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=30),
        st.just(""),
        st.just([]),
        st.just({}),
        st.lists(st.text(max_size=5), max_size=3),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    )
    return st.one_of(
        st.tuples(st.just("truncate"), st.floats(min_value=0.0, max_value=0.999)),
        st.tuples(st.just("replace"), st.tuples(st.integers(min_value=0, max_value=10_000), junk)),
        st.tuples(st.just("delete"), st.integers(min_value=0, max_value=10_000)),
    )


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(body: str, content_type: str, mutation: tuple[str, Any]) -> str:
    kind, arg = mutation
    if kind == "truncate":
        return body[: int(len(body) * arg)]
    form = content_type == FORM
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()} if form else None
    raw = fields.get("payload") if fields is not None else body
    try:
        data: Any = json.loads(raw) if raw is not None else copy.deepcopy(fields)
    except json.JSONDecodeError:
        return body[: len(body) // 2]
    paths = _paths(data)
    if not paths:
        return body
    index, *value = (arg, None) if kind == "delete" else arg
    path = paths[index % len(paths)]
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if kind == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value[0]
    if fields is not None and "payload" in fields:
        return urlencode({**fields, "payload": json.dumps(data)})
    return urlencode(data) if form and isinstance(data, dict) else json.dumps(data)


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(
        ["slash command", "block action", "view submission", "options", "event", "shortcut"]
    ),
    mutation=_mutations(),
)
async def test_mangled_payloads_never_get_a_5xx(slack: Slack, kind: str, mutation: tuple[str, Any]) -> None:
    body, content_type = _samples(slack)[kind]
    mangled = _mutate(body, content_type, mutation)

    resp = await _post(slack, mangled, _signed(mangled, content_type))

    assert resp.status_code < 500, (kind, mutation, mangled[:300])
