"""Spanish to English by machine translation: Apertium, a rule-based translator from Debian's
packages (`apertium-eng-spa`, GPL-2), run as a program; nothing of it is in this repository.

A sentence encoder reads a Spanish CV poorly word by word ("Soldador" lands nearer "shearer"
than "welder"), while a dictionary and grammar rules turn "soldadura TIG y MIG de tubería de
acero inoxidable; lectura de planos isométricos" into "welding TIG and MIG of pipe of stainless
steel; reading of isometric plans", which the English path links as it links English. Words
Apertium does not know stay as written ("Chofer"), so a caller checks that what comes back
reads as English before trusting it.

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
from pathlib import Path

log = logging.getLogger(__name__)

PROGRAM = "apertium"
# ESCO writes British English ("labour"), hence the pair's default variety
MODE = "spa-eng"
MODES_DIR = Path("/usr/share/apertium/modes")
CACHE_SIZE = 50_000
TIMEOUT_S = 60.0
SENTENCE_END = " ."  # ends every line sent, so that no rule reorders words across two texts


class TranslationError(RuntimeError):
    pass


class Translator:
    """Spanish -> English, one line per text (line breaks inside a text become spaces)."""

    def __init__(self, program: str, mode: str = MODE, cache_size: int = CACHE_SIZE):
        self.program = program
        self.mode = mode
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def find(cls) -> Translator | None:
        """The installed translator, or None (with a warning) when Apertium or its Spanish-English
        pair is missing: foreign text is then read by the multilingual encoder alone."""
        program = shutil.which(PROGRAM)
        if program is None or not (MODES_DIR / f"{MODE}.mode").exists():
            log.warning("Apertium's Spanish-English pair is not installed (apt-get install apertium-eng-spa)")
            return None
        return cls(program)

    def translate(self, texts: list[str]) -> list[str]:
        lines = [" ".join(t.split()) for t in texts]
        with self._lock:
            known = {line: self._cache[line] for line in lines if line in self._cache}
        todo = list(dict.fromkeys(line for line in lines if line not in known and line))
        if todo:
            fresh = dict(zip(todo, self._run(todo)))
            with self._lock:
                for line, english in fresh.items():
                    self._cache[line] = english
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            known.update(fresh)
        return [known.get(line, line) for line in lines]

    def _run(self, lines: list[str]) -> list[str]:
        # -u: unknown words as written, without Apertium's '*' mark; -f none: the text is written
        # in Apertium's stream format (escaped, codes in superblanks) by `_protect`. A line break
        # is only a blank to Apertium: its reordering rules would run across it ("Subgerente de
        # tienda - Tienda de dólar" + "Técnico de turbinas" gave "... Tent of Technical" and
        # "dollar of aeolian turbines"), so each line ends a sentence of its own.
        try:
            done = subprocess.run(
                [self.program, "-u", "-f", "none", self.mode],
                input="".join(f"{_protect(line)}{SENTENCE_END}\n" for line in lines),
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
        return [_unprotect(_without_end(o)).strip() for o in out[: len(lines)]]


def _without_end(line: str) -> str:
    return line.rstrip().removesuffix(SENTENCE_END.strip())


_RESERVED = re.compile(r"([\\\[\]^$/@<>{}*#])")
_ESCAPED_OR_BRACKET = re.compile(r"\\(.)|[\[\]]")


def _is_code(token: str) -> bool:
    """Acronyms and codes are names, not Spanish words: "TI" is not "you", nor "MIL-STD" "one thousand"."""
    core = token.strip(".,;:()|")
    upper = sum(c.isupper() for c in core)
    return (upper >= 2 and not any(c.islower() for c in core)) or any(c.isdigit() for c in core)


def _protect(line: str) -> str:
    """A line in Apertium's stream format: reserved characters escaped, codes in superblanks
    (square brackets), which Apertium passes through untouched."""
    out = []
    for token in line.split():
        escaped = _RESERVED.sub(r"\\\1", token)
        out.append(f"[{escaped}]" if _is_code(token) else escaped)
    return " ".join(out)


def _unprotect(line: str) -> str:
    return _ESCAPED_OR_BRACKET.sub(lambda m: m.group(1) or "", line)
