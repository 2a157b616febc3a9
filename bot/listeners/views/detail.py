"""The detail modal's Done button just closes it."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import AppDeps
from bot.ids import Callback


def register(app: AsyncApp, deps: AppDeps) -> None:
    """Register the detail modal's submission."""

    async def on_done(ack: AsyncAck) -> None:
        await ack()

    app.view(Callback.DETAIL)(on_done)
