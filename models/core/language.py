"""Which language a text is written in, and whether the English path can read it.

py3langid (a naive Bayes model over byte n-grams, shipped in its wheel) names the language of
a sentence well, but not of two words: "Welder" comes out Dutch, "Chofer" Polish, "javascript
reactjs java" Spanish. So a text counts as English when the identifier says so *or* when its
words are the English words of the taxonomy (labels, definitions, job titles); a short text
whose words are mostly unknown to English is read as foreign whatever the identifier guesses.
English is the default: a wrong "foreign" verdict would move an English text off the path
its figures were measured on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from models.core.text import fold
from models.core.title_text import expand_abbreviations, singular

ENGLISH = "en"
# The 16 languages of the multilingual encoder (Universal Sentence Encoder multilingual v3).
SUPPORTED = ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh")
NAMES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "th": "Thai",
    "tr": "Turkish",
    "zh": "Chinese",
}
# a text this share of whose words are English taxonomy words is English, whatever the identifier says
ENGLISH_SHARE = 0.75
# below this many words, mostly unknown words make a text foreign whatever the identifier says
SHORT = 4
# a short text is foreign when at most this share of its words are English
SHORT_FOREIGN_SHARE = 0.34
# otherwise a text is foreign when the identifier gives another language at least this probability,
# or names another language at all and most of the text's words are not English
FOREIGN_PROBABILITY = 0.5
MOSTLY_FOREIGN_SHARE = 0.5

_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Detected:
    language: str  # ISO 639-1 code
    english: bool  # read by the English path
    probability: float  # the identifier's, 1.0 when English words decided


def words_of(text: str) -> list[str]:
    """Folded words, each in its singular form ("greenskeepers" and "greenskeeper" are one word)."""
    return [singular(w) for w in _WORD.findall(fold(text))]


_CODE_OF_NAME = {name.lower(): code for code, name in NAMES.items()}


def language_key(value: str) -> str:
    """The form a language is compared in: the ISO 639-1 code of a language served, given by
    code or English name ("es", "Spanish", "spanish" -> "es"); any other, lower-cased."""
    key = value.strip().lower()
    return key if key in NAMES else _CODE_OF_NAME.get(key, key)


class LanguageDetector:
    def __init__(self, english_words: Iterable[str]):
        self.english_words = frozenset(english_words)
        self._identifier: Any = None  # py3langid's, loaded on first use (0.6 s)
        self._lock = threading.Lock()

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> LanguageDetector:
        vocabulary: set[str] = set()
        for text in texts:
            vocabulary.update(words_of(text))
        return cls(vocabulary)

    def load(self) -> None:
        """Load the identifier's model (0.5 s) now rather than on the first text that needs it."""
        if self._identifier is None:
            with self._lock:
                if self._identifier is None:
                    from py3langid.langid import MODEL_FILE, LanguageIdentifier

                    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                    identifier.set_languages(list(SUPPORTED))
                    self._identifier = identifier

    def _identify(self, text: str) -> tuple[str, float]:
        self.load()
        language, probability = self._identifier.classify(text)
        return str(language), float(probability)

    def is_english_word(self, word: str) -> bool:
        """Whether one word (any case, singular or plural) is a word of the English vocabulary."""
        words = words_of(word)
        return len(words) == 1 and words[0] in self.english_words

    def english_share(self, words: list[str]) -> float:
        return sum(w in self.english_words for w in words) / len(words) if words else 1.0

    def detect(self, text: str) -> Detected:
        words = words_of(expand_abbreviations(text))  # "LPN" is English: Licensed Practical Nurse
        share = self.english_share(words)
        if not words or share >= ENGLISH_SHARE:
            return Detected(ENGLISH, True, 1.0)
        language, probability = self._identify(text)
        if language == ENGLISH:
            return Detected(ENGLISH, True, probability)
        if (len(words) < SHORT and share <= SHORT_FOREIGN_SHARE) or share < MOSTLY_FOREIGN_SHARE:
            return Detected(language, False, probability)
        return Detected(language, probability < FOREIGN_PROBABILITY, probability)

    def is_english(self, text: str) -> bool:
        return self.detect(text).english
