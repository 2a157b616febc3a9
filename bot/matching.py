"""Cheaper listener matching: Bolt's built-in matchers without its per-matcher kwargs building."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener_matcher.async_builtins import AsyncBuiltinListenerMatcher
from slack_bolt.listener_matcher.async_listener_matcher import AsyncListenerMatcher
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse


class BodyMatcher(AsyncListenerMatcher):
    """A built-in constraint (`app.action("id")`, `app.view(...)`, …) checked against the body alone."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    async def async_matches(self, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        """True if the request's body meets the constraint."""
        result: bool = await self.func(body=req.body)
        return result


def streamline_matchers(app: AsyncApp) -> int:
    """Swap every body-only built-in matcher of `app`'s listeners for a `BodyMatcher`; how many.

    Bolt tries the listeners in order, and its built-in matcher builds the full listener kwargs (every
    payload view, say/respond/…) for each one just to pass `body`: about 10 µs a listener, and the app
    has dozens before its catch-alls. The predicate and the order stay Bolt's own.
    """
    swapped = 0
    for listener in app._async_listeners:
        matchers: list[AsyncListenerMatcher] = []
        for matcher in listener.matchers:
            if type(matcher) is AsyncBuiltinListenerMatcher and list(matcher.arg_names) == ["body"]:
                matchers.append(BodyMatcher(matcher.func))
                swapped += 1
            else:
                matchers.append(matcher)
        listener.matchers = matchers
    return swapped
