"""ESCO skills: the catalogue, short-query search and skill extraction from free text.

Each skill has several vectors in one FAISS index: its preferred label, its alternative
labels ("names") and its definition. A query is scored against a skill by its best name
match blended with its definition match; exact mentions of a label in the text add a bonus.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models import artifacts
from models.encoder import Encoder
from models.index import FaissIndex
from models.text import fold, is_boilerplate, sentences, spans

VIEW_LABEL, VIEW_ALT, VIEW_DEFINITION = 0, 1, 2
MAX_NGRAM = 6


@dataclass(frozen=True)
class LinkWeights:
    """How the views and the evidence combine; tuned on the skill-linking validation sets."""

    name: float = 0.75  # weight of the best label/alt-label similarity (rest: definition)
    span: float = 0.6  # weight of the best short span against the whole sentence
    exact_bonus: float = 0.15  # a label found verbatim in the text
    candidates: int = 400  # vectors fetched per query before aggregating per skill


@dataclass
class SkillHit:
    id: str
    label: str
    score: float
    evidence: str = ""
    offset: int = -1
    exact: bool = False
    components: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "score": round(float(self.score), 4),
            "evidence": self.evidence,
            "offset": self.offset,
            "exact": self.exact,
        }


class SkillCatalog:
    def __init__(
        self,
        skills: list[dict],
        index: FaissIndex,
        owners: np.ndarray,
        views: np.ndarray,
        encoder: Encoder,
        occupations: list[dict] | None = None,
    ):
        self.skills = skills
        # ESCO occupations (label, definition, skill relations where known), by URI
        self.occupations = {o["id"]: o for o in occupations or []}
        self.by_id = {s["id"]: i for i, s in enumerate(skills)}
        self.index = index
        self.owners = owners
        self.views = views
        self.encoder = encoder
        self.weights = LinkWeights()
        self.exact_names = self._name_table()
        # row of each skill's preferred-label vector, for profile vectors built from skills
        self._label_rows = np.full(len(skills), -1, dtype=np.int64)
        label = np.flatnonzero(views == VIEW_LABEL)
        self._label_rows[owners[label]] = label

    # ---- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path, encoder: Encoder) -> "SkillCatalog":
        manifest = artifacts.verify(directory, "taxonomy")
        if manifest.get("encoder") != encoder.fingerprint:
            raise artifacts.ArtifactError(
                f"{directory} was embedded with {manifest.get('encoder')}, the service runs {encoder.fingerprint}"
            )
        skills = artifacts.read_json(directory / "skills.json")
        occupations = artifacts.read_json(directory / "occupations.json")
        index = FaissIndex.load(directory / "index.faiss", "flat")
        owners = np.load(directory / "owners.npy", allow_pickle=False)
        views = np.load(directory / "views.npy", allow_pickle=False)
        return cls(skills, index, owners, views, encoder, occupations)

    def _name_table(self) -> dict[str, list[int]]:
        """Folded label/alt label -> skills, for exact mentions in text."""
        table: dict[str, list[int]] = {}
        for i, s in enumerate(self.skills):
            for name in [s["label"], *s.get("alt_labels", [])]:
                key = fold(name)
                if key and len(key) >= 2 and len(key.split()) <= MAX_NGRAM:
                    table.setdefault(key, [])
                    if i not in table[key]:
                        table[key].append(i)
        return table

    def __len__(self) -> int:
        return len(self.skills)

    def get(self, skill_id: str) -> dict | None:
        i = self.by_id.get(skill_id)
        return None if i is None else self.skills[i]

    # ---- scoring -------------------------------------------------------------------------
    def score_vectors(self, queries: np.ndarray, candidates: int | None = None) -> np.ndarray:
        """Similarity of each query to each skill (n_queries x n_skills).

        Only the nearest `candidates` vectors are fetched; a view of a skill that was not
        fetched is given the lowest fetched similarity, an upper bound of its true value.
        """
        k = min(candidates or self.weights.candidates, len(self.owners))
        sims, rows = self.index.search(queries, k)
        n = len(self.skills)
        floor = np.where(np.isfinite(sims[:, -1]), sims[:, -1], 0.0).astype(np.float32)
        names = np.repeat(floor[:, None], n, axis=1)
        definition = names.copy()
        for q in range(len(queries)):
            valid = rows[q] >= 0
            r, s = rows[q][valid], sims[q][valid]
            own, is_def = self.owners[r], self.views[r] == VIEW_DEFINITION
            # rows arrive best-first; writing them in reverse leaves each skill's best value
            names[q, own[~is_def][::-1]] = s[~is_def][::-1]
            definition[q, own[is_def][::-1]] = s[is_def][::-1]
        w = self.weights.name
        return (w * names + (1 - w) * definition).astype(np.float32)

    def exact_mentions(self, text: str) -> dict[int, str]:
        """Skills whose label or alternative label occurs verbatim (word-bounded) in text."""
        tokens = re.findall(r"[\w+#.\-']+", text.casefold())
        tokens = [t.strip(".'-") for t in tokens]
        found: dict[int, str] = {}
        for i in range(len(tokens)):
            for n in range(1, MAX_NGRAM + 1):
                if i + n > len(tokens):
                    break
                key = " ".join(tokens[i : i + n])
                for skill in self.exact_names.get(key, ()):
                    if skill not in found or len(key) > len(found[skill]):
                        found[skill] = key
        return found

    def rank_sentence(self, sentence: str, k: int = 100) -> list[SkillHit]:
        """All skills a single sentence mentions or implies, best first."""
        return self._rank_sentences([sentence], k)[0][0]

    def label_vectors(self, skill_rows: list[int]) -> np.ndarray:
        """Preferred-label vectors of the given skills (by catalogue position)."""
        return self.index.vectors(self._label_rows[np.asarray(skill_rows, dtype=np.int64)])

    def _rank_sentences(self, batch: list[str], k: int) -> tuple[list[list[SkillHit]], np.ndarray]:
        """Rank skills for each sentence; also returns the sentence vectors."""
        span_lists = [spans(s) for s in batch]
        texts = list(batch) + [sp for spl in span_lists for sp in spl]
        vectors = self.encoder.encode(texts)
        scores = self.score_vectors(vectors)
        w = self.weights
        out = []
        cursor = len(batch)
        for b, sentence in enumerate(batch):
            sent_scores = scores[b]
            n_spans = len(span_lists[b])
            if n_spans:
                span_scores = scores[cursor : cursor + n_spans]
                best_span = span_scores.max(axis=0)
                which = span_scores.argmax(axis=0)
                cursor += n_spans
                combined = np.maximum(sent_scores, w.span * best_span + (1 - w.span) * sent_scores)
            else:
                best_span, which, combined = None, None, sent_scores.copy()
            exact = self.exact_mentions(sentence)
            for skill in exact:
                combined[skill] += w.exact_bonus
            top = np.argsort(-combined)[:k]
            hits = []
            for i in top:
                evidence = sentence
                if i in exact:
                    evidence = exact[i]
                elif best_span is not None and best_span[i] > sent_scores[i]:
                    evidence = span_lists[b][int(which[i])]
                hits.append(SkillHit(self.skills[i]["id"], self.skills[i]["label"], float(combined[i]), evidence, exact=i in exact))
            out.append(hits)
        return out, vectors[: len(batch)]

    # ---- public services -------------------------------------------------------------------
    def search(self, query: str, k: int = 10) -> list[SkillHit]:
        return self.rank_sentence(query, k)

    def extract(self, text: str, k: int = 30, min_score: float = 0.55) -> list[SkillHit]:
        return self.extract_many([text], k, min_score)[0][0]

    def extract_many(
        self, texts: list[str], k: int = 30, min_score: float = 0.55, chunk: int = 128
    ) -> list[tuple[list[SkillHit], np.ndarray]]:
        """Skills each CV or job ad mentions or implies, merged over its sentences, and the
        vectors of its sentences.

        Boilerplate sentences (pay, benefits, company blurb, how to apply) are skipped. A skill
        keeps its best sentence as evidence; skills supported by several sentences get a
        small boost, because repetition is evidence too. Sentences of all texts are encoded
        together in chunks, which is what makes bulk ingest fast.
        """
        parts = [
            (t, s, off) for t, text in enumerate(texts) for s, off in sentences(text or "") if not is_boilerplate(s)
        ]
        ranked: list[list[SkillHit]] = []
        vectors = np.zeros((len(parts), self.encoder.dim), dtype=np.float32)
        for start in range(0, len(parts), chunk):
            hits, vecs = self._rank_sentences([s for _, s, _ in parts[start : start + chunk]], k)
            ranked += hits
            vectors[start : start + len(hits)] = vecs
        results = []
        owners = np.asarray([t for t, _, _ in parts], dtype=np.int64)
        for t in range(len(texts)):
            best: dict[str, SkillHit] = {}
            support: dict[str, int] = {}
            for j in np.flatnonzero(owners == t):
                _, sentence, offset = parts[j]
                for hit in ranked[j]:
                    if hit.score < min_score:
                        continue
                    support[hit.id] = support.get(hit.id, 0) + 1
                    if hit.id not in best or hit.score > best[hit.id].score:
                        found = sentence.find(hit.evidence) if hit.evidence != sentence else 0
                        hit.offset = offset + max(found, 0)
                        best[hit.id] = hit
            for sid, hit in best.items():
                hit.score = min(1.0, hit.score + 0.02 * (support[sid] - 1))
            results.append((sorted(best.values(), key=lambda h: -h.score)[:k], vectors[owners == t]))
        return results
