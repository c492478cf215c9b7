"""When two skills count as the same, and the skills a SOC occupation needs.

Two skills are the same by ESCO identity, or when the cosine similarity of their preferred-label
vectors is at least SAME_SKILL_MIN (0.80 — high enough that "Python (computer programming)"
and "Java (computer programming)" stay apart, low enough that near-synonyms such as "maintain
wind turbines" and "repair wind turbines" meet). A near-synonym match counts with its
similarity as partial credit.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import sparse

from models.skills import SkillCatalog
from models.title_skills import TitleSkillRanker

SAME_SKILL_MIN = 0.80
ROLE_REQUIRED = 6  # a market role (SOC) "requires" its top skills, and would welcome the next ones
ROLE_NICE = 6


class SkillSpace:
    def __init__(self, skills: SkillCatalog, ranker: TitleSkillRanker):
        self.catalog = skills
        self.ranker = ranker
        self.index = {s["id"]: i for i, s in enumerate(skills.skills)}
        self.labels = skills.label_vectors(list(range(len(skills.skills))))
        self.equivalents = lru_cache(maxsize=20_000)(self._equivalents)
        self.soc_skills = lru_cache(maxsize=2_000)(self._soc_skills)

    def label(self, uri: str) -> str:
        i = self.index.get(uri)
        return self.catalog.skills[i]["label"] if i is not None else uri

    def _equivalents(self, uri: str) -> tuple[tuple[int, float], ...]:
        """(catalogue position, similarity) of the skill itself (1.0) and its near-synonyms."""
        i = self.index.get(uri)
        if i is None:
            return ()
        sims = self.labels @ self.labels[i]
        near = np.flatnonzero(sims >= SAME_SKILL_MIN)
        out = [(i, 1.0)] + [(int(j), float(sims[j])) for j in near if j != i]
        return tuple(out)

    def match(self, want: str, have: dict[str, float]) -> tuple[str | None, float]:
        """Best skill of `have` standing for `want`, and its credit: the similarity (1 for the
        same skill) times the weight of the evidence (1 listed, less when only in free text)."""
        best, credit = None, 0.0
        for j, sim in self.equivalents(want):
            uri = self.catalog.skills[j]["id"]
            if uri in have and sim * have[uri] > credit:
                best, credit = uri, sim * have[uri]
        return best, credit

    def coverage(self, wanted: tuple[str, ...] | list[str], have: dict[str, float]) -> tuple[float, list[dict], list[str]]:
        """(share of `wanted` covered, matched pairs, missing skills) for one profile."""
        if not wanted:
            return 1.0, [], []
        matched, missing, total = [], [], 0.0
        for want in wanted:
            got, credit = self.match(want, have)
            if got is None:
                missing.append(want)
                continue
            total += credit
            matched.append({"id": want, "label": self.label(want), "matched_by": got, "credit": round(credit, 3)})
        return total / len(wanted), matched, missing

    def coverage_parts(self, wanted: tuple[str, ...] | list[str], skills: sparse.csc_matrix) -> np.ndarray:
        """Credit of each row of a records x skills matrix for each wanted skill (n x len(wanted))."""
        parts = np.zeros((skills.shape[0], len(wanted)), dtype=np.float32)
        for k, want in enumerate(wanted):
            eq = self.equivalents(want)
            if not eq:
                continue
            cols = np.asarray([j for j, _ in eq], dtype=np.int64)
            credit = sparse.diags(np.asarray([s for _, s in eq], dtype=np.float32))
            parts[:, k] = np.asarray((skills[:, cols] @ credit).max(axis=1).todense()).ravel()
        return parts

    def coverage_matrix(self, wanted: tuple[str, ...] | list[str], skills: sparse.csc_matrix) -> np.ndarray:
        """Share of `wanted` each row of a records x skills matrix covers (vectorised)."""
        if not wanted:
            return np.ones(skills.shape[0], dtype=np.float32)
        return self.coverage_parts(wanted, skills).mean(axis=1)

    def in_set(self, wanted: tuple[str, ...] | list[str], bundle: list[str]) -> np.ndarray:
        """Which wanted skills a set of skills provides (same skill or near-synonym)."""
        return np.asarray([self.match(w, dict.fromkeys(bundle, 1.0))[0] is not None for w in wanted], dtype=bool)

    def _soc_skills(self, soc_title: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, nice-to-have) skills of a market role, from its SOC title."""
        total, _, _ = self.ranker.scores(soc_title)
        top = np.argsort(-total)[: ROLE_REQUIRED + ROLE_NICE]
        uris = [self.catalog.skills[i]["id"] for i in top]
        return tuple(uris[:ROLE_REQUIRED]), tuple(uris[ROLE_REQUIRED:])
