"""Job title -> SOC 2018 occupation, with a probability that means something.

The known titles are those of O*NET (its occupation titles and 56,000 alternate titles), the
SOC titles and the short titles they imply, each cleaned as a query is (models/core/title_text.py).
A title is compared with them in three ways, and with the occupations' descriptions in the
normaliser's dense channels (models/reference/occupations.py). For every candidate occupation, the
evidence is a short feature vector (FEATURES):

- lexical: best cosine of character 2-4-gram TF-IDF vectors against the occupation's known
  titles (robust to misspellings and word forms), words: the same with words and word pairs;
- dense: best cosine of sentence vectors against its known titles;
- context, activity, names, blend: the normaliser's channels and its blended score;
- prior: log of the occupation's national employment (OEWS): a common job is a likelier answer;
- the lexical, dense and blend scores minus the best any occupation reaches (how far behind
  the leader a candidate is);
- head: the share of known titles ending in the query's head noun that belong to the occupation;
- modifier: the same for each other word of the query (the words before the head), averaged:
  a "Kitchen Helper" is O*NET's title of four occupations, and "kitchen" says which family.

A logistic regression weighs them. It is trained when the pack is built, on known titles
taken out of the index they are looked up in (training/fit_title_classifier.py), so it learns
how a title it has not seen relates to the evidence; the benchmark files are never used. The
probability of each candidate is the softmax of the regression's scores over the candidates.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from models.core.artifacts import read_json, write_json
from models.core.text import FUNCTION_WORDS
from models.core.title_text import TitleCleaner

FEATURES = (
    "lexical", "words", "dense", "context", "activity", "names", "blend", "prior",
    "lexical_gap", "dense_gap", "blend_gap", "head", "modifier",
)  # fmt: skip
CANDIDATES = 15  # best occupations by each of lexical, dense and blend that are scored
HEAD_CANDIDATES = 5  # and the occupations most often named by the head noun
BATCH = 256  # queries scored at once: bounds the (queries x known titles) matrices
CHAR_NGRAMS = (2, 4)
WORD_NGRAMS = (1, 2)
WORD_PATTERN = r"[a-z0-9][a-z0-9'-]*"
_HEAD = re.compile(r"[a-z][a-z'-]*")


def head_of(cleaned: str) -> str:
    """The head noun of a cleaned, lower-case title: its last word."""
    words = _HEAD.findall(cleaned.replace("/", " "))
    return words[-1] if words else ""


def modifiers_of(cleaned: str) -> list[str]:
    """The other content words of a cleaned, lower-case title, once each."""
    words = _HEAD.findall(cleaned.replace("/", " "))[:-1]
    return [w for w in dict.fromkeys(words) if len(w) > 2 and w not in FUNCTION_WORDS]


def _shares(counts: Counter, left_out: int, out: np.ndarray, weight: float) -> None:
    """Adds `weight` x each owner's share of `counts` to `out`, `left_out` counting one less."""
    if left_out >= 0:  # a copy only when a count changes: at request time none does
        counts = Counter(counts)
        counts[left_out] -= 1
    total = sum(n for n in counts.values() if n > 0)
    for row, n in counts.items():
        if n > 0:
            out[row] += weight * n / total


def char_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, lowercase=True, vocabulary=vocabulary
    )


def word_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="word",
        ngram_range=WORD_NGRAMS,
        sublinear_tf=True,
        lowercase=True,
        token_pattern=WORD_PATTERN,
        vocabulary=vocabulary,
    )


def fitted(vectorizer: TfidfVectorizer, idf: np.ndarray) -> TfidfVectorizer:
    """A vectorizer with a fixed vocabulary and the IDF weights learnt when the pack was built."""
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer


class KnownTitles:
    """The known titles: cleaned text, owning SOC row, sentence vector, TF-IDF rows."""

    def __init__(
        self,
        texts: list[str],
        owner: np.ndarray,
        n_owners: int,
        vectors: np.ndarray,
        char: TfidfVectorizer,
        word: TfidfVectorizer,
    ):
        # held grouped by owner, so a per-owner maximum reduces the similarity matrix in place
        order = np.argsort(np.asarray(owner), kind="stable")
        self.texts = [texts[i] for i in order]
        self.owner = np.asarray(owner, dtype=np.int32)[order]
        self.n_owners = n_owners
        self.vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32)[order])
        self.char, self.word = char, word
        self._char_rows = sparse.csr_matrix(char.transform(self.texts).T, dtype=np.float32)  # (grams x titles)
        self._word_rows = sparse.csr_matrix(word.transform(self.texts).T, dtype=np.float32)
        self._starts = np.r_[0, np.flatnonzero(np.diff(self.owner)) + 1] if len(self.owner) else np.zeros(0, np.int64)
        self._present = self.owner[self._starts] if len(self.owner) else np.zeros(0, np.int32)
        self.rows_of_text: dict[str, list[int]] = defaultdict(list)
        heads: dict[str, Counter] = defaultdict(Counter)
        modifiers: dict[str, Counter] = defaultdict(Counter)
        for i, (text, row) in enumerate(zip(self.texts, self.owner)):
            self.rows_of_text[text].append(i)
            heads[head_of(text)][int(row)] += 1
            for modifier in modifiers_of(text):
                modifiers[modifier][int(row)] += 1
        self.heads = dict(heads)
        self.modifiers = dict(modifiers)

    def __len__(self) -> int:
        return len(self.texts)

    def _reduce(self, sims: np.ndarray, exclude: list[list[int]] | None, fill: float) -> np.ndarray:
        if exclude is not None:
            for i, rows in enumerate(exclude):
                sims[i, rows] = fill
        out = np.full((sims.shape[0], self.n_owners), fill, dtype=np.float32)
        if len(self.owner):
            out[:, self._present] = np.maximum.reduceat(sims, self._starts, axis=1)
        return out

    def lexical(self, cleaned: list[str], exclude: list[list[int]] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(char, word) TF-IDF best cosine per owner, leaving out the `exclude` rows of each query."""
        char = (sparse.csr_matrix(self.char.transform(cleaned), dtype=np.float32) @ self._char_rows).toarray()
        word = (sparse.csr_matrix(self.word.transform(cleaned), dtype=np.float32) @ self._word_rows).toarray()
        return self._reduce(char, exclude, 0.0), self._reduce(word, exclude, 0.0)

    def dense(self, vectors: np.ndarray, exclude: list[list[int]] | None = None) -> np.ndarray:
        return self._reduce(vectors @ self.vectors.T, exclude, -1.0)

    def head_shares(self, cleaned: list[str], left_out: list[int] | None = None) -> np.ndarray:
        """(queries x owners) share of the known titles with the query's head that each owner
        has; `left_out[i]` is an owner whose count loses one (the query's own title)."""
        out = np.zeros((len(cleaned), self.n_owners), dtype=np.float32)
        for i, text in enumerate(cleaned):
            counts = self.heads.get(head_of(text))
            if counts:
                _shares(counts, -1 if left_out is None else left_out[i], out[i], 1.0)
        return out

    def modifier_shares(self, cleaned: list[str], left_out: list[int] | None = None) -> np.ndarray:
        """(queries x owners) the same for the query's other words, averaged over those that
        known titles use."""
        out = np.zeros((len(cleaned), self.n_owners), dtype=np.float32)
        for i, text in enumerate(cleaned):
            known = [self.modifiers[w] for w in modifiers_of(text) if w in self.modifiers]
            for counts in known:
                _shares(counts, -1 if left_out is None else left_out[i], out[i], 1.0 / len(known))
        return out


@dataclass(frozen=True)
class ClassifierWeights:
    """A logistic regression over standardised FEATURES."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def to_dict(self) -> dict:
        return {
            "features": list(FEATURES),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ClassifierWeights:
        if tuple(d.get("features", ())) != FEATURES:
            raise ValueError("the title classifier was trained on other features: rebuild the pack")
        return cls(tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]), float(d["intercept"]))

    def logits(self, features: np.ndarray) -> np.ndarray:
        z = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.coef) + self.intercept


class CandidateEvidence:
    """Features of the candidate occupations of a batch of queries (one block per query)."""

    def __init__(self, candidates: list[np.ndarray], features: list[np.ndarray]):
        self.candidates = candidates
        self.features = features


def gather_evidence(
    known: KnownTitles,
    channels: dict[str, np.ndarray],
    cleaned: list[str],
    prior: np.ndarray,
    exclude: list[list[int]] | None = None,
    left_out: list[int] | None = None,
) -> CandidateEvidence:
    """Candidates and their FEATURES; `channels` holds the normaliser's (queries x owners)
    "context", "activity", "names" and "blend" scores and the "vectors" of the queries."""
    lexical, words = known.lexical(cleaned, exclude)
    dense = known.dense(channels["vectors"], exclude)
    heads = known.head_shares(cleaned, left_out)
    modifiers = known.modifier_shares(cleaned, left_out)
    blend = channels["blend"]
    candidates, features = [], []
    for i in range(len(cleaned)):
        named = np.flatnonzero(heads[i])
        named = named[np.argsort(-heads[i][named], kind="stable")][:HEAD_CANDIDATES]
        picks = {
            *np.argsort(-lexical[i])[:CANDIDATES],
            *np.argsort(-dense[i])[:CANDIDATES],
            *np.argsort(-blend[i])[:CANDIDATES],
            *named,
        }
        c = np.asarray(sorted(int(p) for p in picks), dtype=np.int64)
        f = np.stack([
            lexical[i, c], words[i, c], dense[i, c], channels["context"][i, c], channels["activity"][i, c],
            channels["names"][i, c], blend[i, c], prior[c],
            lexical[i, c] - lexical[i].max(), dense[i, c] - dense[i].max(), blend[i, c] - blend[i].max(), heads[i, c],
            modifiers[i, c],
        ], axis=1).astype(np.float32)  # fmt: skip
        candidates.append(c)
        features.append(f)
    return CandidateEvidence(candidates, features)


def probabilities(weights: ClassifierWeights, evidence: CandidateEvidence) -> list[tuple[np.ndarray, np.ndarray]]:
    """(candidates best first, their probabilities) of each query."""
    out = []
    for c, f in zip(evidence.candidates, evidence.features):
        z = weights.logits(f)
        p = np.exp(z - z.max())
        p /= p.sum()
        order = np.argsort(-p, kind="stable")
        out.append((c[order], p[order]))
    return out


KNOWN_FILE = "known_titles.json"  # {"texts": [cleaned title], "owner": [SOC row]}
KNOWN_VECTORS_FILE = "known_vectors.npy"
LEXICAL_FILE = "lexical_tfidf.json"  # {"char": {"vocabulary", "idf"}, "word": {...}}
CLEANER_FILE = "cleaner.json"  # TitleCleaner.to_dict()
PRIOR_FILE = "prior.npy"  # log10 national employment per SOC row
WEIGHTS_FILE = "classifier.json"  # ClassifierWeights.to_dict()


class TitleClassifier:
    """Known titles, the cleaner learnt from them, the employment prior and the weights."""

    def __init__(self, known: KnownTitles, cleaner: TitleCleaner, prior: np.ndarray, weights: ClassifierWeights | None):
        self.known = known
        self.cleaner = cleaner
        self.prior = np.asarray(prior, dtype=np.float32)
        self.weights = weights

    @classmethod
    def load(cls, directory: Path, n_owners: int) -> TitleClassifier:
        known = read_json(directory / KNOWN_FILE)
        lexical = read_json(directory / LEXICAL_FILE)
        char = fitted(char_vectorizer(lexical["char"]["vocabulary"]), lexical["char"]["idf"])
        word = fitted(word_vectorizer(lexical["word"]["vocabulary"]), lexical["word"]["idf"])
        vectors = np.load(directory / KNOWN_VECTORS_FILE, allow_pickle=False)
        cleaner = read_json(directory / CLEANER_FILE)
        return cls(
            KnownTitles(known["texts"], np.asarray(known["owner"], np.int32), n_owners, vectors, char, word),
            TitleCleaner(cleaner["heads"], cleaner["vocabulary"]),
            np.load(directory / PRIOR_FILE, allow_pickle=False),
            ClassifierWeights.from_dict(read_json(directory / WEIGHTS_FILE)),
        )

    def save(self, directory: Path) -> None:
        k = self.known
        write_json(directory / KNOWN_FILE, {"texts": k.texts, "owner": k.owner.tolist()})
        np.save(directory / KNOWN_VECTORS_FILE, k.vectors, allow_pickle=False)
        write_json(
            directory / LEXICAL_FILE,
            {
                name: {"vocabulary": {g: int(i) for g, i in v.vocabulary_.items()}, "idf": v.idf_.tolist()}
                for name, v in (("char", k.char), ("word", k.word))
            },
        )
        write_json(directory / CLEANER_FILE, self.cleaner.to_dict())
        np.save(directory / PRIOR_FILE, self.prior, allow_pickle=False)
        if self.weights is not None:
            write_json(directory / WEIGHTS_FILE, self.weights.to_dict())

    def evidence(
        self,
        channels: dict[str, np.ndarray],
        cleaned: list[str],
        exclude: list[list[int]] | None = None,
        left_out: list[int] | None = None,
    ) -> CandidateEvidence:
        lowered = [c.lower() for c in cleaned]
        return gather_evidence(self.known, channels, lowered, self.prior, exclude, left_out)

    def rank(self, channels: dict[str, np.ndarray], cleaned: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(SOC rows best first, probabilities) of each cleaned title."""
        if self.weights is None:
            raise ValueError("the title classifier has no weights yet")
        return probabilities(self.weights, self.evidence(channels, cleaned))
