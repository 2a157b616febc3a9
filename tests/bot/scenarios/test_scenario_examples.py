"""Every `/tickets` example in README.md and in `/tickets help` works as written, against the sandbox.

The examples are read from the README and from the help builder at collection time, so a new example is
tested without touching this file. A usage pattern such as `/tickets search TEXT [status:New] [closed]`
is run once per concrete option it shows (placeholders like TEXT or @user are skipped).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scenario_harness import ADMIN, DEMO, Slack, blocks_text, row_ids

from bot.grammar import EXAMPLES
from bot.ids import Callback, ConnectAction, ListBlock
from bot.views.messages import help_message

README = Path(__file__).resolve().parents[3] / "README.md"
_CODE_RE = re.compile(r"`((?:/tickets|#\d)[^`]*)`")
_PLACEHOLDERS = re.compile(r"TEXT|\[what happened\]|<what happened>|^@user$|^member$|^…$")


def _expand(example: str) -> list[str]:
    """A usage pattern → the concrete commands it shows; a plain example → itself."""
    example = " ".join(example.replace("\\|", "|").split())
    if example.startswith("#"):
        return [f"/tickets {example}"]
    if "[" not in example and "<" not in example:
        return [example]
    head = example.split("[", 1)[0].split("<", 1)[0].strip()
    if "TEXT" in head:  # `/tickets search TEXT [a] [b|c]` → `/tickets search a`, `… b`, `… c`
        command = head.replace("TEXT", "").strip()
        options = [alt for group in re.findall(r"\[([^\]]+)\]", example) for alt in _alternatives(group)]
        return [f"{command} {option}" for option in options if not _PLACEHOLDERS.search(option)]
    return [head]  # `/tickets new [what happened]` → `/tickets new`


def _alternatives(group: str) -> list[str]:
    key, sep, values = group.partition(":")
    if not sep or "|" not in values:
        return [group]
    return [f"{key}:{value}" if not _PLACEHOLDERS.search(value) else value for value in values.split("|")]


def _examples() -> list[str]:
    texts = [README.read_text(encoding="utf-8"), blocks_text(help_message())]
    found = [code for text in texts for code in _CODE_RE.findall(text)] + list(EXAMPLES)
    commands = [command for code in found for command in _expand(code)]
    return list(dict.fromkeys(commands))


EXAMPLE_COMMANDS = _examples()


def test_the_examples_are_found() -> None:
    assert "/tickets search status:New" in EXAMPLE_COMMANDS
    assert "/tickets search company:acme" in EXAMPLE_COMMANDS
    assert "/tickets search printer priority:high" in EXAMPLE_COMMANDS
    assert len(EXAMPLE_COMMANDS) >= 20


@pytest.mark.parametrize("example", EXAMPLE_COMMANDS)
async def test_every_readme_and_help_example_works_as_written(slack: Slack, example: str) -> None:
    text = example.removeprefix("/tickets").strip()
    word = text.split(" ", 1)[0].lower()
    user = ADMIN if word in ("connect", "disconnect", "settings") else DEMO

    await slack.command(text, user=user)

    if word in ("", "mine", "search") or ":" in word:
        message = slack.last_ephemeral(user)
        shown = blocks_text(message)
        assert any(b.get("block_id") == ListBlock.HEADER for b in message["blocks"]), shown
        assert "⚠️" not in shown
        assert row_ids(message), f"{example} found no tickets"
    elif word.lstrip("#").isdigit() or word == "show":
        assert slack.modal(user)["callback_id"] == Callback.DETAIL
    elif word == "new":
        modal = slack.modal(user)
        assert modal["callback_id"] == Callback.CREATE
        prompt = text.removeprefix("new").strip()
        assert prompt in str(modal) if prompt else True
    elif word == "connect":
        assert slack.modal(user)["callback_id"] == Callback.CONNECT
    elif word == "disconnect":  # asks first: a button behind a confirmation dialog
        assert ConnectAction.DISCONNECT in str(slack.last_ephemeral(user)["blocks"])
    elif word == "map":
        assert slack.modal(user)["callback_id"] == Callback.MAPPING
    elif word == "settings":
        assert slack.modal(user)["callback_id"] == Callback.ACCESS
    elif word == "time":
        shown = blocks_text(slack.last_ephemeral(user))
        assert "Logged" in shown and "⚠️" not in shown, shown
    elif word == "work":
        assert slack.modal(user)["callback_id"] == Callback.WORK
    elif word == "help":
        assert "How to use `/tickets`" in blocks_text(slack.last_ephemeral(user))
    else:
        pytest.fail(f"no check for the example {example!r}")
