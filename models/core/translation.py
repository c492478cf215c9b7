"""Spanish to English by machine translation: Apertium, a rule-based translator from Debian's
packages (`apertium-eng-spa`, GPL-2), run as a program; nothing of it is in this repository.

A sentence encoder reads a Spanish CV poorly word by word ("Soldador" lands nearer "shearer"
than "welder"), while a dictionary and grammar rules turn "soldadura TIG y MIG de tubería de
acero inoxidable; lectura de planos isométricos" into "welding TIG and MIG of pipe of stainless
steel; reading of isometric plans", which the English path links as it links English.

Apertium's dictionary lacks many trade nouns ("Soldador", "Empacador", "Subgerente"), yet most
are regular derivations of words it knows: an agent noun in -dor names who does the verb
(soldar -> solder -> "solderer"), and "sub-" before a person makes a deputy (gerente -> manager
-> "assistant manager"). An unknown word of either form is derived from its base's translation
when the English word formed is a known English word (the taxonomy's vocabulary); any other
unknown word stays as written ("Chofer"), so a caller checks that what comes back reads as
English before trusting it.

Where the dictionary errs in the sense work uses ("tienda" -> "tent", "turno" -> "turn",
"servicio al cliente" -> "service to the client") or lacks a trade word ("Chofer"), a glossary
of work terms (data/translation/spa-eng-work-terms.tsv, carried in the reference pack) gives the
English: each term found is passed to Apertium as a superblank, which it copies untouched.

One process pipeline per batch (about 0.2 s to start), one line per text; translations are
remembered, since titles and listed skills repeat across records.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

PROGRAM = "apertium"
# ESCO writes British English ("labour"), hence the pair's default variety
MODE = "spa-eng"
MODES_DIR = Path("/usr/share/apertium/modes")
CACHE_SIZE = 50_000
TIMEOUT_S = 60.0
SENTENCE_END = " ."  # ends every line sent, so that no rule reorders words across two texts
# a word the dictionary does not know, as Apertium marks it (an escaped "\*" is the text's own)
_UNKNOWN = re.compile(r"(?<![\\\w])\*(\w+)")
# Spanish agent nouns: the verb's stem and theme vowel, then -dor/-dora/-dores/-doras
_AGENT = re.compile(r"^(\w{2,}?[aei])dor(?:a|es|as)?$", re.IGNORECASE)
# "sub-" before a person: subgerente, subjefa, subencargado
_DEPUTY = re.compile(r"^sub(\w{4,})$", re.IGNORECASE)
# English endings of nouns for a person (manager, director, chemist, technician, attendant)
_PERSON = re.compile(r"(?:er|or|ist|ian|ant|ent)$")


class TranslationError(RuntimeError):
    pass


class Translator:
    """Spanish -> English, one line per text (line breaks inside a text become spaces)."""

    def __init__(
        self,
        program: str,
        mode: str = MODE,
        cache_size: int = CACHE_SIZE,
        is_english_word: Callable[[str], bool] | None = None,
        terms: dict[str, str] | None = None,
    ):
        """`is_english_word` decides whether a word derived for an unknown one exists (without
        it unknown words stay as written); `terms` is the glossary (Spanish term -> English)."""
        self.program = program
        self.mode = mode
        self.is_english_word = is_english_word
        self.terms = Glossary(terms or {})
        self._derived: dict[str, str | None] = {}  # unknown word -> its derived English, or None
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def find(
        cls, is_english_word: Callable[[str], bool] | None = None, terms: dict[str, str] | None = None
    ) -> Translator | None:
        """The installed translator, or None (with a warning) when Apertium or its Spanish-English
        pair is missing: foreign text is then read by the multilingual encoder alone."""
        program = shutil.which(PROGRAM)
        if program is None or not (MODES_DIR / f"{MODE}.mode").exists():
            log.warning("Apertium's Spanish-English pair is not installed (apt-get install apertium-eng-spa)")
            return None
        return cls(program, is_english_word=is_english_word, terms=terms)

    def translate(self, texts: list[str]) -> list[str]:
        lines = [" ".join(t.split()) for t in texts]
        with self._lock:
            known = {line: self._cache[line] for line in lines if line in self._cache}
        todo = list(dict.fromkeys(line for line in lines if line not in known and line))
        if todo:
            raw = self._run(todo)
            derived = self._derive({w for line in raw for w in _UNKNOWN.findall(line)})
            fresh = {
                line: _finish(_UNKNOWN.sub(lambda m: derived.get(m.group(1), m.group(1)), out))
                for line, out in zip(todo, raw)
            }
            with self._lock:
                for line, english in fresh.items():
                    self._cache[line] = english
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            known.update(fresh)
        return [known.get(line, line) for line in lines]

    def _derive(self, unknown: set[str]) -> dict[str, str]:
        """English words for the unknown Spanish words that are agent nouns or deputies of words
        the dictionary knows (module docstring); the others are left out. Each word is derived
        once: the answer is remembered, so a batch pays the second Apertium call only for words
        it is the first to meet."""
        if self.is_english_word is None:
            return {}
        bases: dict[str, tuple[str, str]] = {}  # unknown word -> (form, base to translate)
        with self._lock:
            fresh = [w for w in unknown if w not in self._derived]
        for word in fresh:
            if agent := _AGENT.match(word):
                bases[word] = ("agent", f"{agent.group(1)}r")
            elif deputy := _DEPUTY.match(word):
                bases[word] = ("deputy", deputy.group(1))
        translated = dict(zip(bases, self._run([base for _, base in bases.values()]))) if bases else {}
        found: dict[str, str | None] = dict.fromkeys(fresh)
        for word, (form, _) in bases.items():
            english = _finish(translated[word]).lower()
            if not english.isalpha():  # unknown itself (still marked) or more than one word
                continue
            if form == "deputy" and not _PERSON.search(english):
                continue
            options = _agents(english) if form == "agent" else [f"sub{english}", f"assistant {english}"]
            best = next((o for o in options if all(self.is_english_word(w) for w in o.split())), None)
            if best:
                found[word] = best.capitalize() if word[:1].isupper() else best
        with self._lock:
            if len(self._derived) + len(found) > self._cache_size:
                self._derived.clear()
            self._derived.update(found)
            return {w: e for w in unknown if (e := self._derived.get(w)) is not None}

    def _run(self, lines: list[str]) -> list[str]:
        """Apertium's output for each line, still in its stream format, unknown words marked."""
        # -f none: the text is written in Apertium's stream format (escaped, codes in
        # superblanks) by `_protect`. A line break is only a blank to Apertium: its reordering
        # rules would run across it ("Subgerente de tienda - Tienda de dólar" + "Técnico de
        # turbinas" gave "... Tent of Technical" and "dollar of aeolian turbines"), so each line
        # ends a sentence of its own.
        try:
            done = subprocess.run(
                [self.program, "-f", "none", self.mode],
                input="".join(f"{_protect(line, self.terms)}{SENTENCE_END}\n" for line in lines),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise TranslationError(f"apertium {self.mode} failed: {exc}") from exc
        out = done.stdout.split("\n")
        if len(out) < len(lines):
            raise TranslationError(f"apertium {self.mode} returned {len(out)} lines for {len(lines)}")
        return out[: len(lines)]


def _finish(line: str) -> str:
    """A line of Apertium's output as text: without the sentence end added and the escapes."""
    return _unprotect(line.rstrip().removesuffix(SENTENCE_END.strip())).strip()


def _agents(verb: str) -> list[str]:
    """English agent nouns a verb may form: operate -> operator, manufacture -> manufacturer,
    weld -> welder, cut -> cutter."""
    options = [f"{verb[:-1]}or"] if verb.endswith("ate") else []
    options += [f"{verb}r"] if verb.endswith("e") else [f"{verb}er", f"{verb}{verb[-1]}er"]
    return options


_RESERVED = re.compile(r"([\\\[\]^$/@<>{}*#])")
_ESCAPED_OR_BRACKET = re.compile(r"\\(.)|[\[\]]")


def _is_code(token: str) -> bool:
    """Acronyms and codes are names, not Spanish words: "TI" is not "you", nor "MIL-STD" "one thousand"."""
    core = token.strip(".,;:()|")
    upper = sum(c.isupper() for c in core)
    return (upper >= 2 and not any(c.islower() for c in core)) or any(c.isdigit() for c in core)


class Glossary:
    """Spanish work terms and their English, found in a line longest first, whole words, any case."""

    def __init__(self, terms: dict[str, str]):
        self.terms = {tuple(k.casefold().split()): v for k, v in terms.items()}
        self.longest = max((len(k) for k in self.terms), default=0)

    def find(self, words: list[str], start: int, limit: int) -> tuple[int, str] | None:
        """(words matched, English) of the longest term of at most `limit` words beginning at
        words[start], or None."""
        for n in range(min(self.longest, limit, len(words) - start), 0, -1):
            english = self.terms.get(tuple(w.casefold() for w in words[start : start + n]))
            if english is not None:
                return n, english
        return None


_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$")


def _protect(line: str, glossary: Glossary | None = None) -> str:
    """A line in Apertium's stream format: reserved characters escaped; codes and the glossary's
    English in superblanks (square brackets), which Apertium passes through untouched."""
    tokens = line.split()
    edges = [_EDGE.match(t).groups() for t in tokens]  # type: ignore[union-attr]  # matches any string
    words = [core for _, core, _ in edges]
    out = []
    i = 0
    while i < len(tokens):
        # a term runs on to the first word with punctuation after it or before the next
        limit = 1
        longest = glossary.longest if glossary else 0
        while limit < longest and i + limit < len(tokens) and not edges[i + limit - 1][2] and not edges[i + limit][0]:
            limit += 1
        found = glossary.find(words, i, limit) if glossary and words[i] else None
        if found is not None:
            n, english = found
            if words[i][:1].isupper():
                english = english[:1].upper() + english[1:]
            lead, trail = edges[i][0], edges[i + n - 1][2]
            out.append(f"{_escape(lead)}[{_escape(english)}]{_escape(trail)}")
            i += n
            continue
        out.append(f"[{_escape(tokens[i])}]" if _is_code(tokens[i]) else _escape(tokens[i]))
        i += 1
    return " ".join(out)


def _escape(text: str) -> str:
    return _RESERVED.sub(r"\\\1", text)


def load_terms(path: Path) -> dict[str, str]:
    """The glossary file: `Spanish<TAB>English` lines; blank lines and # comments skipped."""
    terms = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        spanish, sep, english = line.partition("\t")
        if not sep or not spanish.strip() or not english.strip():
            raise ValueError(f"{path}:{n}: expected Spanish<TAB>English")
        terms[" ".join(spanish.split())] = english.strip()
    return terms


def _unprotect(line: str) -> str:
    return _ESCAPED_OR_BRACKET.sub(lambda m: m.group(1) or "", line)
