"""Slack's limits (text lengths, block and option counts, id and metadata sizes), defined once.

Used by the views validator (`bot.views.limits`), the state codec (`bot.state.codec`) and the local
fake Slack (`bot.local.fake_slack.limits`), so the app, its tests and the fake agree on one set.
Source: Slack's Block Kit reference (https://api.slack.com/reference/block-kit) and surface docs.
"""

from __future__ import annotations

MESSAGE_BLOCKS_MAX = 50
MODAL_BLOCKS_MAX = 100
HOME_BLOCKS_MAX = 100
MESSAGE_TEXT_MAX = 40000
SECTION_TEXT_MAX = 3000
FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
CONTEXT_TEXT_MAX = 2000
MARKDOWN_BLOCK_MAX = 12000
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
OVERFLOW_OPTIONS_MAX = 5
CHECKBOX_OPTIONS_MAX = 10
PLACEHOLDER_MAX = 150
LABEL_MAX = 2000
HINT_MAX = 2000
TITLE_MAX = 24
SUBMIT_MAX = 24
METADATA_MAX = 3000
ID_MAX = 255
ACTIONS_ELEMENTS_MAX = 25
INPUT_VALUE_MAX = 3000
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
VIEW_BYTES_MAX = 250_000
