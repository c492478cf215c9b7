"""Job title -> the skills that job needs, by similarity alone.

The service ranks a title's skills from curated occupation-skill relations
(models/reference/occupation_skills.py); this ranking orders what no related occupation lists (its tail)
and stands in for role skills only in a pack without them. The title is matched to its nearest
ESCO occupation; with `relation_bonus`, that occupation's known relations lead, essential before
optional. Every skill is then ranked by its similarity to the title and, mostly, to the
occupation's description, which carries far more about the work than a two-word title:

- the description as a whole;
- IDF-weighted word overlap between the description and the skill's names;
- minus how well the skill matches any occupation at all: a skill close to the centroid of all
  occupation descriptions ("manage staff", "maintain equipment") otherwise rises for every title.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.reference.occupations import TitleNormalizer
from models.reference.skills import SkillCatalog, occupation_description


@dataclass(frozen=True)
class TitleSkillWeights:
    """Chosen on the ESCO title-skills validation set (TalentCLEF 2025 task B format); the
    neighbourhood of each value scores within a point of MAP."""

    title: float = 0.2  # skill vs the title as typed: what is left when the occupation is wrong
    description: float = 0.8  # skill vs the matched occupation's description
    # name vs definition views for the description: a long text meets a skill's definition
    # better than its two-word name, so it leans more on definitions than short queries do
    description_name: float = 0.5
    lexical: float = 0.1  # IDF-weighted overlap between the description and the skill's names
    generic: float = 1.0  # times the skill's similarity to the centroid of all occupations
    relation_min_match: float = 0.8  # match score above which an occupation's known relations are used
    relation_bonus: float = 1.0  # added to related skills (plus 0.1 per grade): they lead


class TitleSkillRanker:
    def __init__(self, skills: SkillCatalog, titles: TitleNormalizer, weights: TitleSkillWeights | None = None):
        self.skills = skills
        self.titles = titles
        self.weights = weights or TitleSkillWeights()

    def scores(self, title: str, exclude: str | None = None) -> tuple[np.ndarray, dict | None, float]:
        """Score of every skill for the title, the matched ESCO occupation and its match score;
        `exclude` (an ESCO URI) is never the match."""
        w = self.weights
        catalog = self.skills
        nearest = [n for n in self.titles.nearest_esco(title, k=2) if n["id"] != exclude][:1]
        occupation = catalog.occupations.get(nearest[0]["id"]) if nearest else None
        match = float(nearest[0]["score"]) if nearest else 0.0
        queries = [catalog.encoder.encode([title])]
        if occupation:
            queries.append(catalog.occupation_vectors(occupation["id"]))
        names, definitions = catalog.view_scores(np.concatenate(queries))
        dense = catalog.weights.name * names + (1 - catalog.weights.name) * definitions
        title_score = dense[0]
        if occupation:
            described = w.description_name * names[1] + (1 - w.description_name) * definitions[1]
            text = occupation_description(occupation["label"], occupation.get("definition", ""))
        else:
            described, text = title_score, title
        total = w.title * title_score + w.description * described
        total += w.lexical * catalog.lexical_scores(text) - w.generic * catalog.generic_scores()
        if w.relation_bonus > 0 and occupation and occupation.get("skills") and match >= w.relation_min_match:
            for uri, grade in occupation["skills"].items():
                i = catalog.by_id.get(uri)
                if i is not None:
                    total[i] += w.relation_bonus + 0.1 * grade
        return total, occupation, match
