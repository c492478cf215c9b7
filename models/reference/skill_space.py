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
from typing import Protocol

import numpy as np
import torch
from scipy import sparse

from models.core import artifacts
from models.core.sorted_arrays import find_sorted
from models.reference.skills import SkillCatalog
from models.reference.title_skills import TitleSkillRanker


class SkillMatrix(Protocol):
    """Records x skills weights read a skill (column of `SkillSpace.index`) at a time
    (models/tenants/feature_views.py: SkillColumns)."""

    shape: tuple[int, int]

    def column(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows holding skill j, ascending; their weights)."""
        ...


class RowSubset:
    """Some rows of a SkillMatrix (ascending), as a SkillMatrix of their own: what a few
    hundred records of a large tenant cover, without reading the others' credits."""

    def __init__(self, skills: SkillMatrix, rows: np.ndarray):
        self.skills, self.rows = skills, rows
        self.shape = (len(rows), skills.shape[1])

    def column(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        held, weight = self.skills.column(j)
        at, hit = find_sorted(held, self.rows)
        return np.flatnonzero(hit), weight[at[hit]]


SAME_SKILL_MIN = 0.80
# skill weights as profiles hold them: short decimals (1.0 listed, 0.7 from text, 0.5 nice to
# have); a tenant's columns store them as float32 and round them back to this many decimals
WEIGHT_DECIMALS = 6
ROLE_REQUIRED = 8  # a market role (SOC) "requires" its top skills, and would welcome the next ones
ROLE_NICE = 8
ROLE_SKILLS_KIND = "role_skills"  # pack artifact: every SOC's role skills (training/build_role_skills.py)
ROLE_SKILLS_FILE = "role_skills.json"


def role_skills_of(ranker: TitleSkillRanker, title: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, nice-to-have) skills of a market role guessed from its title: only for a pack
    without the role_skills artifact."""
    total, _, _ = ranker.scores(title)
    top = np.argsort(-total)[: ROLE_REQUIRED + ROLE_NICE]
    uris = [ranker.skills.skills[i]["id"] for i in top]
    return tuple(uris[:ROLE_REQUIRED]), tuple(uris[ROLE_REQUIRED:])


class RoleSkills:
    """Each SOC occupation's role skills from curated relations: code -> (required, nice), and
    the details behind them (each skill's weight and sources, the ESCO occupations pooled)."""

    def __init__(self, table: dict[str, dict]):
        self._table = table
        self._pairs = {code: (tuple(v["required"]), tuple(v["nice"])) for code, v in table.items()}

    @classmethod
    def load(cls, directory: Path) -> RoleSkills:
        artifacts.verify(directory, ROLE_SKILLS_KIND)
        return cls(artifacts.read_json(Path(directory) / ROLE_SKILLS_FILE))

    def __contains__(self, code: object) -> bool:
        return code in self._pairs

    def __getitem__(self, code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self._pairs[code]

    def __len__(self) -> int:
        return len(self._pairs)

    def details(self, code: str) -> dict | None:
        """{"skills": [{"id", "weight", "score", "sources"}], "esco_occupations": [...]} or None."""
        entry = self._table.get(code)
        return (
            None
            if entry is None
            else {"skills": entry.get("skills", []), "esco_occupations": entry.get("esco_occupations", [])}
        )


class SkillSpace:
    def __init__(
        self,
        skills: SkillCatalog,
        ranker: TitleSkillRanker,
        role_skills: RoleSkills | dict[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None,
    ):
        self.catalog = skills
        self.ranker = ranker
        # ranking a title's skills scores every skill (~0.1-0.3 s): done for every SOC at pack
        # build time, so a request never pays it; computed here only for a pack without them
        self._role_skills: RoleSkills | dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = role_skills or {}
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

    def coverage(
        self, wanted: tuple[str, ...] | list[str], have: dict[str, float]
    ) -> tuple[float, list[dict], list[str]]:
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

    def _add_credit(self, want: str, skills: SkillMatrix, out: np.ndarray) -> None:
        """Add to `out` (one value per row) each row's credit for `want`: its best over the
        skill and its near-synonyms. Read from the skills' columns, so it costs what those
        columns hold, plus one pass over the rows when several columns overlap. A float64
        `out` gets what `coverage` gives a profile, to the bit (weights rounded as a profile's)."""
        exact = out.dtype == np.float64
        columns = []
        for j, sim in self.equivalents(want):
            held, weight = skills.column(j)
            if len(held):
                credit = (
                    np.round(weight.astype(np.float64), WEIGHT_DECIMALS) * sim if exact else weight * np.float32(sim)
                )
                columns.append((held, credit))
        if len(columns) == 1:  # a column holds each row once
            out[columns[0][0]] += columns[0][1]
        elif columns:
            best = np.zeros(len(out), dtype=out.dtype)
            for held, credit in columns:
                best[held] = np.maximum(best[held], credit)
            out += best

    def coverage_parts(self, wanted: tuple[str, ...] | list[str], skills: SkillMatrix) -> np.ndarray:
        """Credit of each row of a records x skills matrix for each wanted skill (n x len(wanted))."""
        parts = np.zeros((len(wanted), skills.shape[0]), dtype=np.float32)
        for k, want in enumerate(wanted):
            self._add_credit(want, skills, parts[k])
        return parts.T

    def coverage_matrix(
        self, wanted: tuple[str, ...] | list[str], skills: SkillMatrix, exact: bool = False
    ) -> np.ndarray:
        """Share of `wanted` each row of a records x skills matrix covers (vectorised; the cost
        grows with the records holding the wanted skills, not with all records). `exact`:
        float64, equal to `coverage` of each row's profile; else float32."""
        dtype: type[np.floating] = np.float64 if exact else np.float32
        if not wanted:
            return np.ones(skills.shape[0], dtype=dtype)
        total = np.zeros(skills.shape[0], dtype=dtype)
        for want in wanted:
            self._add_credit(want, skills, total)
        return total / len(wanted)

    def in_set(self, wanted: tuple[str, ...] | list[str], bundle: list[str]) -> np.ndarray:
        """Which wanted skills a set of skills provides (same skill or near-synonym)."""
        return np.asarray([self.match(w, dict.fromkeys(bundle, 1.0))[0] is not None for w in wanted], dtype=bool)

    def credits(self, have: dict[str, float]) -> dict[int, float]:
        """Catalogue row -> credit of a profile's skills (URI -> evidence weight), each skill
        standing also for its near-synonyms at their similarity."""
        out: dict[int, float] = {}
        for uri, weight in have.items():
            for j, sim in self.equivalents(uri):
                if sim * weight > out.get(j, 0.0):
                    out[j] = sim * weight
        return out

    def role_matrix(self, socs: list[dict]) -> sparse.csr_matrix:
        """(SOC rows x catalogue rows): the weight of each skill in each occupation's role
        (its pool of curated skills, or its required and nice-to-have skills), rows summing to 1."""
        rows, cols, vals = [], [], []
        for r, soc in enumerate(socs):
            details = self._role_skills.details(soc["code"]) if isinstance(self._role_skills, RoleSkills) else None
            if details and details["skills"]:
                pool = [(item["id"], float(item["weight"])) for item in details["skills"]]
            else:
                required, nice = self.soc_skills(soc["code"])
                pool = [(uri, 1.0) for uri in required] + [(uri, 0.5) for uri in nice]
            total = sum(w for _, w in pool) or 1.0
            for uri, weight in pool:
                j = self.index.get(uri)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
                    vals.append(weight / total)
        return sparse.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(socs), len(self.index)))

    def soc_skills(self, code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, nice-to-have) skills of the market role of a SOC occupation."""
        if code in self._role_skills:
            return self._role_skills[code]
        occ = self.ranker.titles.soc(code)
        return self._computed(occ["title"] if occ else code)
