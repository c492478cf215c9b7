"""Fit the title classifier's weights (models/reference/title_classifier.py) on the known titles alone.

Each training query is a known title looked up in an index that no longer holds it, nor any
other known title written the same way: the features then describe a title the service has
not seen, which is what an employer's title is. Queries are drawn occupation first, with
probability growing with the square root of the occupation's employment (titles people
actually hold are asked about more than rare ones, but every occupation is represented), then
a known title of that occupation. A share of the queries stays in the index: employers also
write titles exactly as O*NET lists them, and the regression must learn to trust such a match.

The positive of a query is its own occupation, every other candidate a negative. Nothing from
the benchmark files is used.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.linear_model import LogisticRegression

from models.reference.occupations import TitleNormalizer
from models.reference.title_classifier import BATCH, FEATURES, ClassifierWeights

log = logging.getLogger(__name__)

QUERIES = 6000
CHECK_QUERIES = 1500  # drawn the same way, never trained on: the reported held-out accuracy
IN_INDEX_SHARE = 0.3
SEED = 2026


def draw_queries(owner: np.ndarray, prior: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Known-title rows: an occupation by sqrt(employment), then one of its titles."""
    rows_of: dict[int, list[int]] = {}
    for i, o in enumerate(owner):
        rows_of.setdefault(int(o), []).append(i)
    owners = np.asarray(sorted(rows_of))
    weight = np.sqrt(np.power(10.0, prior[owners]))
    picks = rng.choice(len(owners), size=size, p=weight / weight.sum())
    return np.asarray([rows_of[int(owners[p])][rng.integers(len(rows_of[int(owners[p])]))] for p in picks])


def evidence_of(normalizer: TitleNormalizer, rows: np.ndarray, left_out: np.ndarray):
    """Candidates, features and labels of the queries `rows` (left out of the index where
    `left_out` is true)."""
    clf = normalizer.classifier
    known = clf.known
    candidates, features, labels = [], [], []
    for start in range(0, len(rows), BATCH):
        block = rows[start : start + BATCH]
        texts = [known.texts[r] for r in block]
        vectors = known.vectors[block]
        out = left_out[start : start + BATCH]
        exclude = [known.rows_of_text[t] if o else [] for t, o in zip(texts, out)]
        owners = [int(known.owner[r]) if o else -1 for r, o in zip(block, out)]
        ev = clf.evidence(normalizer.channels(vectors, texts), texts, exclude, owners)
        for r, c, f in zip(block, ev.candidates, ev.features):
            candidates.append(c)
            features.append(f)
            labels.append((c == known.owner[r]).astype(np.int8))
    return candidates, features, labels


def fit_title_classifier(
    normalizer: TitleNormalizer, queries: int = QUERIES, seed: int = SEED
) -> tuple[ClassifierWeights, dict]:
    """The weights, and figures for the manifest: how often the true occupation is among the
    candidates and is ranked first on held-out queries."""
    clf = normalizer.classifier
    rng = np.random.default_rng(seed)
    rows = draw_queries(clf.known.owner, clf.prior, queries + CHECK_QUERIES, rng)
    left_out = rng.random(len(rows)) >= IN_INDEX_SHARE
    _, features, labels = evidence_of(normalizer, rows[:queries], left_out[:queries])
    x, y = np.concatenate(features), np.concatenate(labels)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y)
    weights = ClassifierWeights(
        tuple(map(float, mean)), tuple(map(float, scale)), tuple(map(float, model.coef_[0])), float(model.intercept_[0])
    )
    check_rows, check_out = rows[queries:], left_out[queries:]
    _, c_feats, c_labels = evidence_of(normalizer, check_rows[check_out], check_out[check_out])
    found = np.mean([lab.any() for lab in c_labels])
    top1 = np.mean([lab[np.argmax(weights.logits(f))] == 1 for f, lab in zip(c_feats, c_labels)])
    report = {
        "training_queries": int(queries),
        "candidate_pairs": len(y),
        "left_out_check_queries": int(check_out.sum()),
        "left_out_candidate_recall": round(float(found), 4),
        "left_out_top1": round(float(top1), 4),
        "coefficients": {name: round(float(c), 3) for name, c in zip(FEATURES, model.coef_[0])},
    }
    log.info("title classifier: %s", report)
    return weights, report
