"""Text plumbing shared by extraction and resolution: folding, tokens with spans, clauses, tidying."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from psa.models import SUMMARY_MAX

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|&")
_APOSTROPHES = str.maketrans("", "", "'’‘`")
# Abbreviations whose period does not end a sentence ("St. Mary's", "Precision Tooling Inc. printer").
_ABBREVIATIONS = frozenset(
    {"st", "mr", "mrs", "ms", "dr", "inc", "ltd", "co", "corp", "jr", "sr", "no", "vs", "etc", "mt", "ft"}
)
_CLAUSE_SPLIT_RE = re.compile(r"\s*(?:[,;\n]|\s[-–—]+\s|(?<=[.!?])\s+)\s*")
_SENTENCE_END_RE = re.compile(r"([\w']+)[.!?]$")
_EDGE_PUNCT = " \t\r\n,;:.!?-–—/\\|"
_LEADING_JUNK_RE = re.compile(r"^[\s,;:.!?\-–—/\\|)\]}]+")
_TRAILING_JUNK_RE = re.compile(r"[\s,;:.!?\-–—/\\|(\[{]+$")
_EMPTY_PAIR_RE = re.compile(r"\(\s*\)|\[\s*\]|\"\s*\"|“\s*”|‘\s*’|(?<!\w)'\s*'(?!\w)")


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the original text with its folded form and character span."""

    text: str
    norm: str
    start: int
    end: int

    @property
    def base(self) -> str:
        """The folded word without a possessive "'s" ("Corp's" → "corp")."""
        if self.text[-2:].casefold() in {"'s", "’s"}:
            return self.norm[:-1]
        return self.norm


def fold(text: str) -> str:
    """Lower-case, strip accents and apostrophes, spell '&' as 'and'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_APOSTROPHES).replace("&", " and ").casefold()


def tokenize(text: str) -> list[Token]:
    """Words (and '&') of `text` with their folded forms and spans in `text`."""
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        raw = match.group(0)
        norm = "and" if raw == "&" else fold(raw).strip()
        if norm:
            tokens.append(Token(raw, norm, match.start(), match.end()))
    return tokens


def norm_tokens(text: str) -> list[str]:
    """The folded words of `text`."""
    return [token.norm for token in tokenize(text)]


def normalize(text: str) -> str:
    """The folded words of `text` joined by single spaces (the key fuzzy matching compares)."""
    return " ".join(norm_tokens(text))


@dataclass(frozen=True, slots=True)
class Clause:
    """A piece of a request between separators; `ends_sentence` when a period, '!', '?' or line followed."""

    text: str
    ends_sentence: bool = False


def split_clauses(text: str) -> list[Clause]:
    """Split on commas, semicolons, new lines, spaced dashes and sentence ends (not after 'St.')."""
    clauses: list[Clause] = []
    buffer = ""
    position = 0
    for match in [*_CLAUSE_SPLIT_RE.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[position:end]
        separator = match.group(0) if match else ""
        position = match.end() if match else len(text)
        buffer = f"{buffer} {piece}".strip() if buffer else piece.strip()
        if not buffer:
            continue
        tail = _SENTENCE_END_RE.search(buffer)
        if match and tail and fold(tail.group(1)) in _ABBREVIATIONS and not separator.strip():
            continue
        ends = bool(re.search(r"[.!?]$", buffer)) or "\n" in separator or match is None
        if cleaned := strip_edges(buffer):
            clauses.append(Clause(cleaned, ends))
        buffer = ""
    return clauses


def join_clauses(clauses: list[Clause]) -> str:
    """Rebuild prose from clauses: sentence breaks become '. ', the rest ', '."""
    parts: list[str] = []
    for index, clause in enumerate(clauses):
        parts.append(clause.text)
        if index < len(clauses) - 1:
            parts.append(". " if clause.ends_sentence else ", ")
    return "".join(parts)


def strip_edges(text: str) -> str:
    """Remove separator punctuation and whitespace from both ends, keep closing quotes and parentheses."""
    text = _LEADING_JUNK_RE.sub("", " ".join(text.split()))
    return _TRAILING_JUNK_RE.sub("", text)


def cut_span(text: str, start: int, end: int) -> str:
    """Remove text[start:end] and the separator left dangling by the cut."""
    before, after = text[:start].rstrip(), text[end:].lstrip()
    if before and after:
        if after[0] in ",;:-–—" and before[-1] in ",;:-–—":
            after = after[1:].lstrip()
        glue = "" if after[:1] in ",;:.!?)" else " "
        joined = f"{before}{glue}{after}"
    else:
        joined = before or after
    return strip_edges(_EMPTY_PAIR_RE.sub(" ", joined))


def clip(text: str, limit: int = SUMMARY_MAX) -> str:
    """Shorten to `limit` characters at a word boundary, without trailing punctuation."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[: limit + 1]
        space = cut.rfind(" ")
        text = cut[:space] if space > limit // 2 else text[:limit]
    return text.rstrip(_EDGE_PUNCT)


def capitalize_first(text: str) -> str:
    """Upper-case the first letter only ('iPhone' and 'VPN' keep their casing)."""
    if not text:
        return text
    first = text[0]
    if first.islower() and not (len(text) > 1 and text[1].isupper()):
        return first.upper() + text[1:]
    return text
