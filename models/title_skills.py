"""Job title -> the skills that job needs.

The title is matched to its nearest ESCO occupations. When the best match is confident and
the occupation's skill relations are known (the official ESCO download has them for every
occupation; the packaged sample only for 91 ICT occupations), those skills lead, essential
before optional. Every skill is then ranked by its similarity to the title and to the
occupation's description, which carries far more about the work than a two-word title.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.occupations import TitleNormalizer
from models.skills import SkillCatalog


@dataclass(frozen=True)
class TitleSkillWeights:
    title: float = 0.5  # similarity of skill to the title as typed
    occupation: float = 0.5  # similarity of skill to the matched occupation's label and definition
    relation_min_match: float = 0.8  # match score above which an occupation's known relations are used
    candidates: int = 3000  # skill vectors fetched per query


class TitleSkillRanker:
    def __init__(self, skills: SkillCatalog, titles: TitleNormalizer, weights: TitleSkillWeights | None = None):
        self.skills = skills
        self.titles = titles
        self.weights = weights or TitleSkillWeights()

    def scores(self, title: str) -> tuple[np.ndarray, dict | None, float]:
        """Score of every skill for the title, the matched ESCO occupation and its match score."""
        w = self.weights
        nearest = self.titles.nearest_esco(title, k=1)
        occupation = self.skills.occupations.get(nearest[0]["id"]) if nearest else None
        match = float(nearest[0]["score"]) if nearest else 0.0
        queries = [title]
        if occupation:
            queries.append(f"{occupation['label']}: {occupation['definition']}".strip(": "))
        sims = self.skills.score_vectors(self.skills.encoder.encode(queries), candidates=w.candidates)
        total = w.title * sims[0] + (w.occupation * sims[1] if occupation else w.occupation * sims[0])
        if occupation and occupation.get("skills") and match >= w.relation_min_match:
            for uri, grade in occupation["skills"].items():
                i = self.skills.by_id.get(uri)
                if i is not None:
                    total[i] += 1.0 + 0.1 * grade
        return total, occupation, match

    def rank(self, title: str, k: int = 20) -> dict:
        total, occupation, match = self.scores(title)
        top = np.argsort(-total)[:k]
        known = (occupation or {}).get("skills", {}) if match >= self.weights.relation_min_match else {}
        return {
            "title": title,
            "esco_occupation": (
                {"id": occupation["id"], "label": occupation["label"], "score": round(match, 4)} if occupation else None
            ),
            "skills": [
                {
                    "id": self.skills.skills[i]["id"],
                    "label": self.skills.skills[i]["label"],
                    "score": round(float(total[i]), 4),
                    "relation": {2: "essential", 1: "optional"}.get(known.get(self.skills.skills[i]["id"]), None),
                }
                for i in top
            ],
        }

    def ranked_ids(self, title: str, k: int = 1000) -> list[str]:
        total, _, _ = self.scores(title)
        return [self.skills.skills[i]["id"] for i in np.argsort(-total)[:k]]
