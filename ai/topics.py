"""Topic keywords: what a piece of text is about, for overlap checks (stems, with IT synonyms merged)."""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

from ai.text import norm_tokens
from ai.vocabulary import PROBLEM_RE

STOPWORDS = frozenset(
    """
    a an the and or but so if then than to of in on at by for from with about into onto over under
    after before since until while during again still just only even also too very really quite is
    are was were be been being am do does did done doing has have had having can could would should
    will shall may might must i me my mine we us our you your he him his she her they them their it
    its this that these those there here what which who whom when where why how all any some every
    each no not yes ok okay thanks thank thx please pls hi hey hello btw way another other separate
    different unrelated unrelatedly issue issues problem problems thing things matter note side one
    more additionally addition oh look looking looked check checking take see seems seem like think
    noticed notice now today yesterday tomorrow morning afternoon evening minute minutes min mins
    hour hours day days week time times keeps keep get gets getting got going go goes make makes
    making use using used someone anyone everyone user users guy guys folks team lot bit much many
    same new old anything something everything nothing well there's theres it's im ive youre dont
    doesnt didnt cant wont isnt arent wasnt around floor office room desk building site fix fixed
    help ticket tickets sure great cool perfect awesome sorry need needs want restart restarted reboot
    rebooted reinstall reinstalled tried try trying cleared probably maybe cause caused work works
    working worked dr mr mrs ms jr sr
    """.split()
)
# Words for the same thing, so "email" overlaps "Outlook" and "wifi" overlaps "wireless".
_SYNONYMS: tuple[frozenset[str], ...] = (
    frozenset({"outlook", "email", "mail", "mailbox", "exchange", "inbox", "e", "calendar", "o365", "m365"}),
    frozenset({"wifi", "wi", "fi", "wireless", "internet", "network", "connection", "connectivity", "ssid"}),
    frozenset({"printer", "print", "printing", "toner", "mfp", "copier"}),
    frozenset({"vpn", "anyconnect", "globalprotect", "forticlient", "tunnel"}),
    frozenset({"phone", "voip", "call", "calls", "handset", "softphone", "dial"}),
    frozenset({"pc", "computer", "laptop", "desktop", "workstation", "machine", "notebook"}),
    frozenset({"password", "login", "logon", "signin", "mfa", "2fa", "authenticator", "account"}),
    frozenset({"backup", "backups", "veeam", "restore", "snapshot"}),
    frozenset({"monitor", "screen", "display"}),
)
_ALIAS = {word: min(group) for group in _SYNONYMS for word in group}
_NUMBERISH_RE = re.compile(r"^\d+(?:st|nd|rd|th|s)?$")


def stem(word: str) -> str:
    """A crude English stem, enough to make 'printers'/'printing' meet 'printer'."""
    for suffix in ("ing", "ers", "er", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _alias(word: str) -> str | None:
    """The synonym group of `word`, also when misspelt by one letter ("outlok", "printr")."""
    found = _ALIAS.get(word) or _ALIAS.get(stem(word))
    if found is None and len(word) >= 5:
        close = {
            _ALIAS[known]
            for known in _ALIAS
            if len(known) >= 5 and OSA.distance(word, known, score_cutoff=1) <= 1
        }
        found = close.pop() if len(close) == 1 else None
    return found


def topic_keys(text: str) -> set[str]:
    """Content words of `text` (no stopwords, problem words or numbers), stemmed, synonyms merged."""
    keys: set[str] = set()
    for word in norm_tokens(PROBLEM_RE.sub(" ", text)):
        if word in STOPWORDS or _NUMBERISH_RE.match(word) or len(word) < 2:
            continue
        keys.add(_alias(word) or stem(word))
    return keys
