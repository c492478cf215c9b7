"""Multilingual artifact (models/reference/multilingual.py): every skill's English label and alternative
labels, and every known job title, embedded with the multilingual encoder; and the English
words of the taxonomy, which tell the language detector what English looks like; and the
glossary of Spanish work terms the translator uses (data/translation/, models/core/translation.py).

Inputs are the taxonomy's skills and the titles' known titles (their checksums) and the
encoder's identity. ~100,000 names and ~60,000 titles, about 2 minutes on two cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.core import artifacts
from models.core.language import words_of
from models.core.translation import load_terms
from models.reference.multilingual import (
    KIND,
    SKILL_OWNER,
    SKILL_VECTORS,
    TERMS,
    TITLE_TEXTS,
    TITLE_VECTORS,
    VOCABULARY,
    MultilingualEncoder,
)
from models.reference.skills import VIEW_DEFINITION, skill_views
from models.reference.title_classifier import KNOWN_FILE
from training.progress import Progress

CHUNK = 2048
METHOD = "names-v3"  # v3: words in singular form
MIN_TITLE_CHARS = 6
TERMS_SOURCE = Path(__file__).resolve().parents[1] / "data" / "translation" / "spa-eng-work-terms.tsv"


def encode(encoder: MultilingualEncoder, texts: list[str], label: str) -> np.ndarray:
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    progress = Progress(label, len(texts))
    for start in range(0, len(texts), CHUNK):
        out[start : start + CHUNK] = encoder.encode(texts[start : start + CHUNK])
        progress.update(min(CHUNK, len(texts) - start))
    progress.close()
    return out


def build_multilingual(pack_dir: Path, force: bool = False, encoder: MultilingualEncoder | None = None):
    pack_dir = Path(pack_dir)
    encoder = encoder or MultilingualEncoder()
    taxonomy = artifacts.read_manifest(pack_dir / "taxonomy")
    titles = artifacts.read_manifest(pack_dir / "titles")
    inputs = {
        "skills": taxonomy["files"]["skills.json"],
        "known_titles": titles["files"][KNOWN_FILE],
        "encoder": encoder.fingerprint,
        "method": METHOD,
        "terms": artifacts.sha256_file(TERMS_SOURCE),
    }

    def write(tmp: Path) -> dict:
        skills = artifacts.read_json(pack_dir / "taxonomy" / "skills.json")
        names, owner = [], []
        vocabulary: set[str] = set()
        for i, s in enumerate(skills):
            for text, view in skill_views(s["label"], s.get("alt_labels", []), s.get("definition", "")):
                vocabulary.update(words_of(text))
                if view != VIEW_DEFINITION:  # names only: a definition adds nothing across languages
                    names.append(text)
                    owner.append(i)
        known = artifacts.read_json(pack_dir / "titles" / KNOWN_FILE)["texts"]
        for title in known:
            vocabulary.update(words_of(title))
        # one copy of each title; acronyms ("cna", "cdl a") match any short foreign word
        known = sorted({t for t in known if len(t) >= MIN_TITLE_CHARS})
        np.save(tmp / SKILL_VECTORS, encode(encoder, names, "multilingual: skill names"))
        np.save(tmp / SKILL_OWNER, np.asarray(owner, dtype=np.int32))
        np.save(tmp / TITLE_VECTORS, encode(encoder, known, "multilingual: known titles"))
        artifacts.write_json(tmp / TITLE_TEXTS, known)
        artifacts.write_json(tmp / VOCABULARY, sorted(vocabulary))
        terms = load_terms(TERMS_SOURCE)
        artifacts.write_json(tmp / TERMS, terms)
        return {
            "encoder": encoder.fingerprint,
            "counts": {
                "skill_names": len(names),
                "titles": len(known),
                "english_words": len(vocabulary),
                "terms": len(terms),
            },
        }

    return artifacts.build(pack_dir / KIND, KIND, inputs, write, force)
