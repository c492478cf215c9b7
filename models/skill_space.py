"""When two skills count as the same, and the skills a SOC occupation needs.

Two skills are the same by ESCO identity, or when the cosine similarity of their preferred-label
vectors is at least SAME_SKILL_MIN (0.80 — high enough that "Python (computer programming)"
and "Java (computer programming)" stay apart, low enough that near-synonyms such as "maintain
wind turbines" and "repair wind turbines" meet). A near-synonym match counts with its
similarity as partial credit.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from scipy import sparse

from models import artifacts
from models.skills import SkillCatalog
from models.title_skills import TitleSkillRanker

SAME_SKILL_MIN = 0.80
ROLE_REQUIRED = 6  # a market role (SOC) "requires" its top skills, and would welcome the next ones
ROLE_NICE = 6
ROLE_SKILLS_KIND = "role_skills"  # pack artifact: every SOC's role skills, ranked at build time
ROLE_SKILLS_FILE = "role_skills.json"


def role_skills_of(ranker: TitleSkillRanker, title: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, nice-to-have) skills of a market role, from its SOC title."""
    total, _, _ = ranker.scores(title)
    top = np.argsort(-total)[: ROLE_REQUIRED + ROLE_NICE]
    uris = [ranker.skills.skills[i]["id"] for i in top]
    return tuple(uris[:ROLE_REQUIRED]), tuple(uris[ROLE_REQUIRED:])


def load_role_skills(directory: Path) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    artifacts.verify(directory, ROLE_SKILLS_KIND)
    table = artifacts.read_json(Path(directory) / ROLE_SKILLS_FILE)
    return {code: (tuple(v["required"]), tuple(v["nice"])) for code, v in table.items()}


class SkillSpace:
    def __init__(self, skills: SkillCatalog, ranker: TitleSkillRanker, role_skills: dict | None = None):
        self.catalog = skills
        self.ranker = ranker
        # ranking a title's skills scores every skill (~0.1-0.3 s): done for every SOC at pack
        # build time, so a request never pays it; computed here only for a pack without them
        self._role_skills = role_skills or {}
        self.index = {s["id"]: i for i, s in enumerate(skills.skills)}
        self.labels = skills.label_vectors(list(range(len(skills.skills))))
        self._near = self._near_synonyms()
        self._computed = lru_cache(maxsize=2_000)(lambda title: role_skills_of(self.ranker, title))

    def _near_synonyms(self, block: int = 2048) -> list[tuple[tuple[int, float], ...]]:
        """For every skill: itself (1.0), then the skills whose label vectors are at least
        SAME_SKILL_MIN similar. All pairs at once (~2 s for 14k skills), so no request pays
        for a first look-up."""
        labels = torch.from_numpy(np.ascontiguousarray(self.labels))
        out: list[tuple[tuple[int, float], ...]] = []
        for start in range(0, len(self.labels), block):
            with torch.inference_mode():
                sims = (labels[start : start + block] @ labels.T).numpy()
            for r, row in enumerate(sims):
                i = start + r
                near = np.flatnonzero(row >= SAME_SKILL_MIN)
                out.append(((i, 1.0), *((int(j), float(row[j])) for j in near if j != i)))
        return out

    def label(self, uri: str) -> str:
        i = self.index.get(uri)
        return self.catalog.skills[i]["label"] if i is not None else uri

    def equivalents(self, uri: str) -> tuple[tuple[int, float], ...]:
        """(catalogue position, similarity) of the skill itself (1.0) and its near-synonyms."""
        i = self.index.get(uri)
        return () if i is None else self._near[i]

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

    def soc_skills(self, code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, nice-to-have) skills of the market role of a SOC occupation."""
        if code in self._role_skills:
            return self._role_skills[code]
        occ = self.ranker.titles.soc(code)
        return self._computed(occ["title"] if occ else code)
