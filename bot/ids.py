"""Every Slack identifier the app uses, defined once.

Builders put these ids into Block Kit, listeners register on them, submission parsers read
`view.state.values` by them. Action ids are exact strings (Bolt matches them as-is); block ids
that must change to reset an input carry a suffix built by the helper functions below.
"""

from __future__ import annotations

from enum import StrEnum

COMMAND = "/tickets"


class Shortcut(StrEnum):
    """Shortcut callback ids (as declared in the app manifest)."""

    CREATE_SPINOFF = "create_spinoff_ticket"  # message shortcut
    LINK_THREAD = "link_thread_to_ticket"  # message shortcut
    ADD_TO_TICKET = "add_to_ticket_as_note"  # message shortcut: copy a reply into the linked ticket
    NEW_TICKET = "new_ticket"  # global shortcut
    LOG_TIME = "log_time_on_ticket"  # message shortcut, in a thread linked to a ticket


class Callback(StrEnum):
    """Modal `callback_id`s: what a `view_submission` / `view_closed` listener registers on."""

    DETAIL = "ticket_detail"
    CREATE = "ticket_create"
    CREATED = "ticket_created"
    CONNECT = "psa_connect"
    MAPPING = "member_mapping"
    ACCESS = "access_settings"  # who may use the app (admins)
    LINK_THREAD = "link_thread"
    LIST_SEARCH = "list_search"
    COMING_SOON = "coming_soon"  # placeholder modals (no submit)
    WORK = "ticket_work"  # "Work it": time, note, next status in one submit


class ListAction(StrEnum):
    """The `/tickets` list message."""

    OPEN = "list.open"  # row button; value = ticket id
    ROW_MENU = "list.row_menu"  # row overflow (when rows use a menu); option value "open:ID" / "share:ID"
    PREV = "list.prev"  # value = ListRef (the list, the target page)
    NEXT = "list.next"  # value = ListRef (the list, the target page)
    BOARD = "list.board"  # static select; option value = board id or "any"
    STATUS = "list.status"  # static select; option value = status id or "any"
    PRIORITY = "list.priority"  # static select; option value = priority id or "any"
    COMPANY = "list.company"  # external select; option value = company id or "any"
    ASSIGNED = "list.assigned"  # external select; option value = me | unassigned | all | member id
    CLOSED = "list.closed"  # toggle button; value = ListRef with the flag flipped
    SEARCH = "list.search"  # opens the search modal; value = ListRef
    REFRESH = "list.refresh"  # value = ListRef
    PICK = "list.pick"  # one candidate of an ambiguous search filter; value = encoded ListState
    SHARE = "list.share"  # value = ticket id


class ListBlock(StrEnum):
    HEADER = "list.header"
    FILTERS = "list.filters"  # prefix: the real block id names the list ("list.filters:<list id>")
    SUMMARY = "list.summary"
    PAGER = "list.pager"
    EMPTY = "list.empty"
    ROW = "list.row"  # prefix: list.row.<ticket id>
    CHOICE = "list.choice"  # prefix: list.choice.<n>, the candidates of an ambiguous search filter
    STALE = "list.stale"  # the list stops following changes made from it (response_url used up)


class SearchModal(StrEnum):
    BLOCK = "list_search.query"
    ACTION = "list_search.query_input"


class DetailAction(StrEnum):
    """The ticket detail modal."""

    STATUS = "detail.status"  # static select of the board's statuses; option value = status id
    ADD_ASSIGNEE = "detail.add_assignee"  # external select; option value = member id
    REMOVE_ASSIGNEE = "detail.remove_assignee"  # button; value = member id
    NOTE_TEXT = "detail.note_text"  # plain_text_input (multiline)
    NOTE_INTERNAL = "detail.note_internal"  # checkboxes, one option "internal"
    ADD_NOTE = "detail.add_note"  # button
    RELATED_OPEN = "detail.related_open"  # button; value = related ticket id
    OPEN_IN_PSA = "detail.open_in_psa"  # url button (Slack still sends block_actions: ack it)
    SHARE = "detail.share"  # button; value = ticket id
    SPINOFF = "detail.spinoff"  # button; value = ticket id
    RETRY = "detail.retry"  # button on a section that failed to load: read the ticket again


class DetailBlock(StrEnum):
    NOTICE = "detail.notice"
    ERROR = "detail.error"
    HEADER = "detail.header"
    META = "detail.meta"
    CONTACT = "detail.contact"
    ASSIGNEE = "detail.assignee"  # prefix: detail.assignee.<member id>
    CONTROLS = "detail.controls"  # status select + add-assignee select
    NOTES = "detail.notes"
    NOTE = "detail.note"  # prefix: detail.note.<rev>; changes only to clear the composer
    NOTE_INTERNAL = "detail.note_internal"  # prefix: detail.note_internal.<rev>
    NOTE_ACTIONS = "detail.note_actions"
    CONFIGS = "detail.configs"
    RELATED = "detail.related"  # prefix: detail.related.<ticket id>
    ACTIONS = "detail.actions"


class CreateAction(StrEnum):
    """The new-ticket modal (Quick Create and Full Form share one draft)."""

    TAB_QUICK = "create.tab_quick"
    TAB_FULL = "create.tab_full"
    PROMPT = "create.prompt"
    PARSE = "create.parse"
    SUMMARY = "create.summary"
    COMPANY = "create.company"  # external select; option value = company id
    BOARD = "create.board"  # static select with dispatch_action: reload statuses on change
    STATUS = "create.status"
    PRIORITY = "create.priority"
    ASSIGNEE = "create.assignee"  # static select (external when > 100 members); value = member id
    DESCRIPTION = "create.description"
    OPEN_CREATED = "create.open_created"  # in the "created" view; value = ticket id
    OPEN_DUPLICATE = "create.open_duplicate"  # a likely duplicate shown before creating; value = ticket id


class CreateBlock(StrEnum):
    TABS = "create.tabs"
    PROMPT = "create.prompt"
    PARSE = "create.parse"
    BANNER = "create.banner"
    MISSING = "create.missing"
    WARNINGS = "create.warnings"
    DUPLICATES = "create.duplicates"  # likely duplicates: one section per ticket, this prefix + its id
    # Form inputs: prefixes completed by `create_block_id` so a re-fill after a parse resets them.
    SUMMARY = "create.summary"
    COMPANY = "create.company"
    BOARD = "create.board"
    STATUS = "create.status"
    PRIORITY = "create.priority"
    ASSIGNEE = "create.assignee"
    DESCRIPTION = "create.description"


class ConnectField(StrEnum):
    """Connect modal inputs: block id and action id are the same string."""

    SITE_URL = "connect.site_url"
    COMPANY_ID = "connect.company_id"
    PUBLIC_KEY = "connect.public_key"
    PRIVATE_KEY = "connect.private_key"
    CLIENT_ID = "connect.client_id"


class ConnectAction(StrEnum):
    DISCONNECT = "connect.disconnect"  # button (connect modal and `/tickets disconnect`), with a confirm


class MappingAction(StrEnum):
    MEMBER = "mapping.member"  # external select; option value = member id
    SLACK_USER = "mapping.slack_user"  # users_select, admins only
    UNMAP = "mapping.unmap"  # button; value = member id
    REASSIGN = "mapping.reassign"  # checkboxes, admins only: take a member another user holds
    ASK_ADMIN = "mapping.ask_admin"  # checkboxes, non-admins: ask an admin when the e-mails don't match
    APPROVE = "mapping.approve"  # admin's DM; value = RequestRef
    DENY = "mapping.deny"  # admin's DM; value = RequestRef
    PUBLIC_KEY = "mapping.public_key"  # plain_text_input: the engineer's own API keys
    PRIVATE_KEY = "mapping.private_key"
    REMOVE_KEYS = "mapping.remove_keys"  # button


class MappingBlock(StrEnum):
    MEMBER = "mapping.member"  # prefix: mapping.member.<user> once an admin picks whom to map
    SLACK_USER = "mapping.slack_user"
    CURRENT = "mapping.current"
    REASSIGN = "mapping.reassign"
    ASK_ADMIN = "mapping.ask_admin"
    KEYS = "mapping.keys"  # "keys saved on …" + Remove
    PUBLIC_KEY = "mapping.public_key"
    PRIVATE_KEY = "mapping.private_key"


class AccessAction(StrEnum):
    """Who may use the app: the settings modal (admins) and the buttons that open it."""

    OPEN = "access.open"  # button: Home (admins), the connect modal
    UNMAPPED_READ = "access.unmapped_read"  # checkboxes
    USERGROUP = "access.usergroup"  # static select; option value = user group id or "none"
    CHANNELS = "access.channels"  # multi_conversations_select
    RESTRICT_READS = "access.restrict_reads"  # checkboxes


class AccessBlock(StrEnum):
    UNMAPPED_READ = "access.unmapped_read"
    USERGROUP = "access.usergroup"
    CHANNELS = "access.channels"
    RESTRICT_READS = "access.restrict_reads"


class HomeAction(StrEnum):
    CONNECT = "home.connect"
    MAP = "home.map"
    REFRESH = "home.refresh"
    RETRY = "home.retry"
    VIEW_ALL = "home.view_all"
    OPEN = "home.open"  # value = ticket id
    NEW_TICKET = "home.new_ticket"


class SuggestionAction(StrEnum):
    CREATE = "suggestion.create"  # value = compact JSON {"id": suggestion id, "d": description}
    DISMISS = "suggestion.dismiss"  # value = suggestion id


class MessageAction(StrEnum):
    """Buttons in channel/ephemeral messages: share card, created confirmation."""

    OPEN_TICKET = "ticket.open"  # value = ticket id
    OPEN_IN_PSA = "ticket.open_in_psa"  # url button
    NEW_TICKET = "ticket.new"  # e.g. in help/empty messages
    CONNECT = "ticket.connect"  # "not connected" answers: opens the connect modal (admins)
    MAP = "ticket.map"  # "not mapped" answers: opens the mapping modal


class TimeAction(StrEnum):
    """Time on tickets: buttons of the detail modal, the quick-time answer, the nudge DM and Home."""

    WORK = "time.work"  # opens the Work it modal; value = ticket id
    UNDO = "time.undo"  # value = the logged entry's write key
    RETRY = "time.retry"  # the detail's "Couldn't load time entries": reloads the detail
    NUDGE = "time.nudge"  # Home static select: "off" or the local time of day ("17:30")


class WorkField(StrEnum):
    """Work it modal inputs: block id and action id are the same string."""

    DURATION = "work.duration"
    DAY = "work.day"
    WORK_TYPE = "work.work_type"
    WORK_ROLE = "work.work_role"
    BILLING = "work.billing"
    NOTE = "work.note"
    NOTE_TARGET = "work.note_target"
    STATUS = "work.status"
    EMAIL = "work.email"


class TimeBlock(StrEnum):
    SUMMARY = "work.summary"  # the ticket the Work it modal is about
    DETAIL = "detail.time"  # the detail modal's time section
    DETAIL_ENTRY = "detail.time_entry"  # prefix: detail.time_entry.<entry id>
    NUDGE = "home.nudge"
    UNDO = "time.undo_row"


class LiveAction(StrEnum):
    """Live updates: follow a ticket, notification choices in App Home."""

    FOLLOW = "live.follow"  # value = ticket id
    UNFOLLOW = "live.unfollow"  # value = ticket id
    TOPICS = "live.topics"  # checkboxes in Home; option values are bot.flows.live.prefs topics
    QUIET = "live.quiet"  # static select; option value = a quiet-hours key
    DIGEST = "live.digest"  # static select; option value = minutes ("0": off)
    THREAD_INTERNAL = "live.thread_internal"  # checkboxes (admins): internal notes in linked threads
    ADD_TO_TICKET = "live.add_to_ticket"  # overflow on the app's messages in a linked thread; value "note"


class LiveBlock(StrEnum):
    PREFS = "live.prefs"  # Home: the notification choices
    PREFS_TIMING = "live.prefs_timing"
    PREFS_ADMIN = "live.prefs_admin"


class LinkThreadField(StrEnum):
    TICKET = "link_thread.ticket"


# Every action whose value is a ticket id and whose click should open the detail modal.
OPEN_TICKET_ACTIONS: tuple[str, ...] = (
    ListAction.OPEN,
    DetailAction.RELATED_OPEN,
    HomeAction.OPEN,
    MessageAction.OPEN_TICKET,
    CreateAction.OPEN_CREATED,
    CreateAction.OPEN_DUPLICATE,
)

# Every url button: Slack sends block_actions for these too, so something must ack them.
URL_BUTTON_ACTIONS: tuple[str, ...] = (DetailAction.OPEN_IN_PSA, MessageAction.OPEN_IN_PSA)


def row_block_id(ticket_id: int) -> str:
    """Block id of one list row."""
    return f"{ListBlock.ROW}.{ticket_id}"


def assignee_block_id(member_id: int) -> str:
    """Block id of one assignee row in the detail modal."""
    return f"{DetailBlock.ASSIGNEE}.{member_id}"


def related_block_id(ticket_id: int) -> str:
    """Block id of one related-ticket row in the detail modal."""
    return f"{DetailBlock.RELATED}.{ticket_id}"


def note_block_id(rev: int) -> str:
    """Block id of the note composer; bumping `rev` clears what was typed."""
    return f"{DetailBlock.NOTE}.{rev}"


def note_internal_block_id(rev: int) -> str:
    """Block id of the note composer's internal checkbox."""
    return f"{DetailBlock.NOTE_INTERNAL}.{rev}"


def create_block_id(field: CreateBlock, rev: int, board_id: int | None = None) -> str:
    """Block id of a create-form input: the revision (and, for status, the board) is part of it."""
    if field is CreateBlock.STATUS:
        return f"{field}.{rev}.{board_id if board_id is not None else 'none'}"
    return f"{field}.{rev}"
