"""Text utilities for the language services: sentence splitting, spans, boilerplate, and the
word forms used for lexical matching (tokens, a light stemmer, function words)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WS = re.compile(r"\s+")
_BULLET = re.compile(r"^\s*(?:[-*•·▪●◦‣∙]|\d{1,2}[.)])\s+")
# sentence ends: . ! ? followed by space and an uppercase letter/digit, never inside "e.g." or "U.S."
_SENTENCE_END = re.compile(r"(?<!\b[A-Za-z]\.[A-Za-z]\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_SPAN_SPLIT = re.compile(
    r"\s*(?:[,;:/|()\[\]]|\s(?:and|or|as well as|including|such as|like|e\.g\.|i\.e\.|with|using|in|for)\s)\s*",
    re.IGNORECASE,
)
_LEADING_JOINER = re.compile(r"^(?:and|or|with|plus|using)\s+", re.IGNORECASE)
# bullets and dashes left at the start of a span ("* • Understanding of ..."); "." is kept for ".NET"
_LEADING_MARKS = re.compile(r"^[\s*•·▪●◦‣∙>\-–—]+")
# tokens as skill names are written: keeps C#, C++, ASP.NET, node.js, CI/CD parts
_TOKEN = re.compile(r"[\w+#.\-']+")
# words that carry no skill meaning on their own; everything else is weighted by its IDF
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "nor",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "without",
        "as",
        "is",
        "are",
        "be",
        "been",
        "being",
        "was",
        "were",
        "your",
        "you",
        "our",
        "we",
        "us",
        "they",
        "their",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "into",
        "onto",
        "via",
        "per",
        "other",
        "all",
        "any",
        "can",
        "will",
        "would",
        "should",
        "must",
        "may",
        "might",
        "etc",
        "e.g",
        "i.e",
    ]
)
_SUFFIXES = (
    "ational",
    "ations",
    "ation",
    "ings",
    "ing",
    "ities",
    "ity",
    "ions",
    "ion",
    "ively",
    "ive",
    "ers",
    "er",
    "ed",
    "es",
    "s",
    "ly",
    "al",
)
STEM_LENGTH = 6
_WORD = re.compile(r"[a-z0-9][a-z0-9+#.\-']*", re.IGNORECASE)

# Lines that describe pay, benefits, the company or the application process rather than
# the work itself; they must not turn into skills.
_BOILERPLATE = re.compile(
    r"(\$\s?\d|\d+\s?(?:k|000)\s*(?:-|to|–)\s*\$?\d|\bsalary\b|\bper (?:hour|year|annum)\b|\bcompensation\b|"
    r"\bbenefits?\b|\b401\s?\(?k\)?|\bpaid time off\b|\bpto\b|\bhealth insurance\b|\bdental\b|\bvision insurance\b|"
    r"\bequal opportunity\b|\beeo\b|\bregardless of (?:race|gender|age)\b|\baffirmative action\b|"
    r"\bapply (?:now|today|online)\b|\bsend (?:your|us your) (?:cv|resume)\b|\bto apply\b|"
    r"\babout us\b|\bfounded in\b|\bwe are (?:a|an|the) (?:leading|global|fast|growing|award)|"
    r"\bour (?:company|mission|team|culture) (?:is|was|has)\b|\bheadquartered\b|\bvisit our website\b|"
    r"\bwww\.|https?://|@[a-z0-9-]+\.[a-z])",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    """NFC, unified whitespace, no control characters."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return text


def fold(text: str) -> str:
    """Lower-case, whitespace-collapsed form used for exact label matching."""
    return _WS.sub(" ", text.casefold()).strip()


def sentences(text: str) -> list[tuple[str, int]]:
    """Split a CV or job ad into sentences/lines, each with its character offset."""
    out: list[tuple[str, int]] = []
    offset = 0
    for line in normalize(text).split("\n"):
        start = offset
        offset += len(line) + 1
        stripped = _BULLET.sub("", line)
        lead = len(line) - len(stripped)
        if not stripped.strip():
            continue
        pos = 0
        for part in _SENTENCE_END.split(stripped):
            idx = stripped.find(part, pos)
            pos = idx + len(part)
            part_clean = _WS.sub(" ", part).strip()
            if len(part_clean) >= 2:
                out.append((part_clean, start + lead + max(idx, 0)))
    return out


def is_boilerplate(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence))


def spans(sentence: str, max_words: int = 8) -> list[str]:
    """Short phrases inside a sentence: list items, coordinated terms, parentheticals."""
    parts = [_LEADING_JOINER.sub("", _LEADING_MARKS.sub("", p).strip(" .-")) for p in _SPAN_SPLIT.split(sentence)]
    out: list[str] = []
    for part in parts:
        words = part.split()
        if not words or len(words) > max_words:
            continue
        if part.lower() != sentence.lower().strip(" ."):
            out.append(part)
    return list(dict.fromkeys(out))


def words(text: str) -> list[str]:
    return [w.lower().strip(".'") for w in _WORD.findall(text)]


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(case-folded token, start, end) for each token as skill names are written."""
    out = []
    for m in _TOKEN.finditer(text):
        raw = m.group()
        left = len(raw) - len(raw.lstrip(".'-"))
        core = raw.strip(".'-")
        if core:
            start = m.start() + left
            out.append((core.casefold(), start, start + len(core)))
    return out


# the crude stemmer's suffixes (stem(..., crude=True))
CRUDE_SUFFIXES = ("ing", "ed", "es", "s", "e")


@lru_cache(maxsize=1 << 16)
def stem(word: str, crude: bool = False) -> str:
    """A light stemmer: strip one common suffix, keep at most STEM_LENGTH characters, drop a
    final "e" ("manage", "manager", "management" -> "manag"). Tokens with digits or symbols
    (C#, ASP.NET, HTML5) are kept as they are. Crude on purpose: it only has to make the
    inflections of a job ad meet those of ESCO labels, and it is the same on both sides.

    `crude=True` is the cruder form the ESCO label splitter compares words with
    (training/sources/esco_packaged.py), enough to see that "assessing" and "assess" are the
    same word: lower-cased, one of CRUDE_SUFFIXES stripped, not shortened, a final doubled
    letter other than "s" undoubled ("modell(ing)" -> "model", but "assess" stays)."""
    if crude:
        word = _strip_suffix(word.lower(), CRUDE_SUFFIXES)
        return word[:-1] if len(word) > 3 and word[-1] == word[-2] != "s" else word
    if not word.isalpha():
        return word
    word = _strip_suffix(word, _SUFFIXES)[:STEM_LENGTH]
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def _strip_suffix(word: str, suffixes: tuple[str, ...]) -> str:
    """The word without the first of `suffixes` it ends with, when at least 3 letters remain."""
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """Stemmed tokens of text without function words, in order (with repeats)."""
    return [stem(t) for t, _, _ in tokens(text) if t not in FUNCTION_WORDS]
