"""The IDF lexicon: which owners (occupations, skills) use which words, and how rare each word is.

One class for both users of word IDF:
- title coverage (models/reference/occupations.py, training/build_role_skills.py): smoothed IDF
  over the owners, log((n + 1) / (df + 1)) in float32, a word no owner has log(n + 1);
  `coverage(texts)` is the IDF-weighted share of a text's words found in each owner's set;
- skill specificity and lexical evidence (models/reference/skills.py): plain IDF, log(n / df)
  in float64, a word no skill has log(n) ("as rare as it gets").
The two formulas are kept as they were measured; `smoothed` chooses between them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import cached_property

import numpy as np
from scipy import sparse

from models.core.title_text import title_words


class Lexicon:
    """Each owner's set of words; `coverage(titles)` is the IDF-weighted share of a title's
    words found in an owner's set, in [0, 1] (IDF over the owners, so "technician" counts
    little and "kiln" a lot)."""

    def __init__(
        self,
        words_per_owner: Iterable[Iterable[str]],
        smoothed: bool = True,
        words: Callable[[str], list[str]] = title_words,
    ):
        self.words = words  # a text's words, as the owners' words were made (for coverage)
        self.vocabulary: dict[str, int] = {}
        rows, cols = [], []
        n = 0
        for row, owner_words in enumerate(words_per_owner):
            n += 1
            for word in set(owner_words):
                rows.append(row)
                cols.append(self.vocabulary.setdefault(word, len(self.vocabulary)))
        self.has = sparse.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, cols)), shape=(n, len(self.vocabulary))
        ).T.tocsr()  # (words x owners)
        df = np.asarray(self.has.sum(axis=1)).ravel()
        self.idf: np.ndarray
        if smoothed:
            self.idf = np.log((n + 1) / (df + 1)).astype(np.float32)
            self.unknown_idf = math.log(n + 1)  # a word no owner has still counts in the denominator
        else:
            self.idf = np.asarray([float(np.log(n / c)) for c in df.astype(np.int64).tolist()], dtype=np.float64)
            self.unknown_idf = float(np.log(n))  # a word no owner uses is as rare as it gets
        self.n_owners = n

    @cached_property
    def idf_by_word(self) -> dict[str, float]:
        return dict(zip(self.vocabulary, self.idf.tolist()))

    def idf_of(self, word: str) -> float:
        return self.idf_by_word.get(word, self.unknown_idf)

    def coverage(self, titles: list[str]) -> np.ndarray:
        rows, cols, totals = [], [], np.zeros(len(titles), np.float32)
        for i, title in enumerate(titles):
            words = list(dict.fromkeys(self.words(title)))
            known = [self.vocabulary[w] for w in words if w in self.vocabulary]
            totals[i] = self.idf[known].sum() + self.unknown_idf * (len(words) - len(known))
            rows.extend([i] * len(known))
            cols.extend(known)
        weights = sparse.csr_matrix(
            (self.idf[cols] if cols else np.zeros(0, np.float32), (rows, cols)), shape=(len(titles), len(self.idf))
        )
        return (weights @ self.has).toarray().astype(np.float32) / np.maximum(totals, 1e-6)[:, None]
