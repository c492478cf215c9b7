"""The skills a job title needs, from curated occupation-skill relations.

The pack holds ESCO's occupation-skill relations (essential and optional) and the bridge
between ESCO and SOC occupations. A title's skills are pooled from the occupations it most
likely names, the same way a SOC role's skills are (training/build_role_skills.py):

    score(skill) = ESCO_SHARE x sum over the nearest ESCO occupations by name, weighted by a
                   softmax of their name similarity (temperature TEMPERATURE), of the relation
                   (essential 1, optional 0.5)
                 + (1 - ESCO_SHARE) x sum over the title classifier's SOC occupations, weighted
                   by probability, of the share of the SOC's linked ESCO occupations listing it
                 + TAIL x the title-skill similarity ranking (models/reference/title_skills.py), which
                   only orders skills no related occupation lists

`exclude` leaves one ESCO occupation's relations out everywhere: what the ranking would say of
an occupation the relations did not know (leave-one-occupation-out evaluation).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from models.reference.occupations import TitleNormalizer
from models.reference.skills import SkillCatalog
from models.reference.title_skills import TitleSkillRanker, TitleSkillWeights

ESCO_NEIGHBOURS = 10
TEMPERATURE = 0.05
ESCO_SHARE = 0.6
SOC_CANDIDATES = 3
TAIL = 0.05
GRADE_VALUE = {2: 1.0, 1: 0.5}


class OccupationSkills:
    def __init__(self, catalog: SkillCatalog, titles: TitleNormalizer):
        self.catalog = catalog
        self.titles = titles
        # the tail must not know any occupation's relations: those are what the pools are for
        self.ranker = TitleSkillRanker(catalog, titles, TitleSkillWeights(relation_bonus=0.0))
        occupations = list(catalog.occupations.values())
        self.row_of = {o["id"]: i for i, o in enumerate(occupations)}
        rows, cols, vals = [], [], []
        for i, occ in enumerate(occupations):
            for uri, grade in (occ.get("skills") or {}).items():
                j = catalog.by_id.get(uri)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
                    vals.append(GRADE_VALUE.get(int(grade), 0.5))
        self.relations = sparse.csr_matrix(
            (np.asarray(vals, np.float32), (rows, cols)), shape=(len(occupations), len(catalog.skills))
        )
        self.soc_links: dict[str, list[tuple[int, float]]] = {}
        for e in titles.esco:
            for link in e.get("links", []):
                if e["id"] in self.row_of:
                    self.soc_links.setdefault(link["soc"], []).append((self.row_of[e["id"]], float(link["weight"])))

    def pool(self, weights: dict[int, float]) -> np.ndarray:
        """Weighted mean of the relation rows of some ESCO occupations (row -> weight)."""
        total = sum(weights.values())
        out = np.zeros(self.relations.shape[1], dtype=np.float32)
        if total <= 0:
            return out
        rows = np.asarray(list(weights), dtype=np.int64)
        w = np.asarray([weights[r] for r in rows], dtype=np.float32) / total
        return np.asarray(self.relations[rows].T @ w, dtype=np.float32).ravel()

    def soc_pool(self, soc: str, exclude: int | None = None) -> np.ndarray:
        return self.pool({row: w for row, w in self.soc_links.get(soc, []) if row != exclude})

    def _evidence(self, title: str) -> tuple[list[dict], list[dict]]:
        """(nearest ESCO occupations by name, the classifier's SOC occupations) of a title."""
        return self.titles.nearest_esco(title, k=ESCO_NEIGHBOURS + 1), self.titles.normalize(title, k=SOC_CANDIDATES)

    def scores(self, title: str, exclude: str | None = None, evidence: tuple | None = None) -> np.ndarray:
        """Score of every skill for a title (module docstring); `exclude` is an ESCO URI."""
        nearest, socs = evidence or self._evidence(title)
        hidden = self.row_of.get(exclude) if exclude else None
        near = [h for h in nearest if h["id"] != exclude][:ESCO_NEIGHBOURS]
        weights: dict[int, float] = {}
        if near:
            top = near[0]["score"]
            for h in near:
                if h["id"] in self.row_of:
                    weights[self.row_of[h["id"]]] = float(np.exp((h["score"] - top) / TEMPERATURE))
        esco = self.pool(weights)
        soc = np.zeros_like(esco)
        for answer in socs:
            soc += answer["score"] * self.soc_pool(answer["soc"], hidden)
        tail, _, _ = self.ranker.scores(title, exclude)
        span = float(tail.max() - tail.min()) or 1.0
        return ESCO_SHARE * esco + (1 - ESCO_SHARE) * soc + TAIL * (tail - tail.min()) / span

    def rank(self, title: str, k: int = 20) -> dict:
        """The k skills a title needs, each with its score, and the occupations they come from."""
        evidence = self._evidence(title)
        total = self.scores(title, evidence=evidence)
        top = np.argsort(-total, kind="stable")[:k]
        return {
            "title": title,
            "occupations": evidence[1],
            "esco_occupation": evidence[0][0] if evidence[0] else None,
            "skills": [
                {
                    "id": self.catalog.skills[i]["id"],
                    "label": self.catalog.skills[i]["label"],
                    "score": round(float(total[i]), 4),
                }
                for i in top
            ],
        }

    def ranked_ids(self, title: str, k: int = 1000, exclude: str | None = None) -> list[str]:
        total = self.scores(title, exclude)
        k = min(k, len(total))
        top = np.argpartition(-total, k - 1)[:k]
        return [self.catalog.skills[i]["id"] for i in top[np.argsort(-total[top], kind="stable")]]
