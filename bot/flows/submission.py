"""`Submission`: the one answer to every view submission — close, clear, field errors, update or push —
plus the follow-up work handed off once Slack has the answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Payload = dict[str, Any]


class FollowUp(BaseModel):
    """A flow to run after the ack, with its small extras (it reads the submitted view from the body)."""

    flow: str
    args: dict[str, Any] = Field(default_factory=dict)
    key: str | None = None  # idempotency key when the follow-up writes


class Submission(BaseModel):
    """How to acknowledge a view submission, and what to hand off after the ack."""

    action: Literal["close", "clear", "errors", "update", "push"] = "close"
    errors: dict[str, str] = Field(default_factory=dict)
    view: Payload | None = None
    then: list[FollowUp] = Field(default_factory=list)

    @classmethod
    def close(cls) -> Submission:
        """Close the submitted modal (back to the one below, if any)."""
        return cls(action="close")

    @classmethod
    def clear(cls) -> Submission:
        """Close every modal of the stack."""
        return cls(action="clear")

    @classmethod
    def field_errors(cls, errors: dict[str, str]) -> Submission:
        """Keep the modal open with these messages next to their inputs ({block_id: message})."""
        return cls(action="errors", errors=errors)

    @classmethod
    def update(cls, view: Payload) -> Submission:
        """Replace the submitted modal with `view`."""
        return cls(action="update", view=view)

    @classmethod
    def push(cls, view: Payload) -> Submission:
        """Push `view` on top of the submitted modal."""
        return cls(action="push", view=view)

    def and_then(self, flow: Any, *, key: str | None = None, **args: Any) -> Submission:
        """The same answer, followed by the flow `flow` (a registered flow function or its name)."""
        from bot.flows.work import flow_name

        follow_up = FollowUp(flow=flow_name(flow), args=args, key=key)
        return self.model_copy(update={"then": [*self.then, follow_up]})

    def ack(self) -> Payload:
        """The keyword arguments of Bolt's `ack()` for this answer."""
        if self.action == "close":
            return {}
        if self.action == "errors":
            return {"response_action": "errors", "errors": self.errors}
        if self.action == "clear":
            return {"response_action": "clear"}
        return {"response_action": self.action, "view": self.view}
