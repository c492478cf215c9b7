"""Which occupations to recommend to a candidate, and how close each is to their own.

The candidate's own occupation (models/reference/profile_occupation.py) is the anchor. Around it, in
order of closeness (0..1, the anchor is 1):

- a career target the record names ("Aspiring Software Developer"): CLOSE_TARGET;
- the anchor's rivals, when the record leaves the occupation open: CLOSE_ALTERNATIVE times
  their score relative to the anchor's;
- O*NET's related occupations of the anchor, by tier (Primary-Short, Primary-Long,
  Supplemental), nudged by how much of their role skills the two occupations share.

A role a full job zone (O*NET preparation level) above the anchor is a career step: flagged
`step_up`, and ranked after the roles at the person's level unless asked for. A career target
is what the person asked for, so it is flagged but never held back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

CLOSE_TARGET = 0.9
CLOSE_ALTERNATIVE = 0.85
ALTERNATIVE_MIN = 0.35  # a rival is recommended when it scores this share of the anchor's score
CLOSE_RELATED = (0.75, 0.65, 0.55)  # by O*NET relatedness tier
SHARED_SKILLS = 0.15  # added times the cosine of the two occupations' role skills
STEP_UP_ZONES = 1.0
MAX_ROLES = 7


@dataclass(frozen=True)
class PlannedRole:
    soc: str
    title: str
    closeness: float
    relation: str  # "own", "target", "alternative", "related"; "nearest" when the record names no occupation
    step_up: bool
    why: str


class RolePlanner:
    def __init__(self, socs: list[dict], facts: dict[str, dict], role_matrix: sparse.csr_matrix):
        self.socs = socs
        self.by_code = {s["code"]: i for i, s in enumerate(socs)}
        self.facts = facts
        norms = np.sqrt(np.asarray(role_matrix.multiply(role_matrix).sum(axis=1)).ravel())
        self._roles = sparse.diags(1.0 / np.maximum(norms, 1e-9)) @ role_matrix
        self._closeness: dict[tuple[str, str], float] = {}
        self._shared: dict[tuple[str, str], float] = {}

    def title(self, code: str) -> str:
        i = self.by_code.get(code)
        return self.socs[i]["title"] if i is not None else code

    def job_zone(self, code: str | None) -> float | None:
        return (self.facts.get(code) or {}).get("job_zone") if code else None

    def shared_skills(self, a: str, b: str) -> float:
        """Cosine of two occupations' role skills (memoised)."""
        key = (a, b) if a <= b else (b, a)
        if key not in self._shared:
            i, j = self.by_code.get(a), self.by_code.get(b)
            self._shared[key] = 0.0 if i is None or j is None else float(self._roles[i].multiply(self._roles[j]).sum())
        return self._shared[key]

    def is_step_up(self, anchor: str, code: str) -> bool:
        za, zb = self.job_zone(anchor), self.job_zone(code)
        return za is not None and zb is not None and zb - za >= STEP_UP_ZONES

    def _related(self, a: str, b: str, tier: int) -> float:
        """Closeness of b, related to a at an O*NET tier: by tier, nudged by shared role skills,
        always below a stated goal's."""
        value = CLOSE_RELATED[min(tier, len(CLOSE_RELATED) - 1)] + SHARED_SKILLS * self.shared_skills(a, b)
        return round(min(value, CLOSE_TARGET - 0.01), 4)

    def closeness(self, a: str, b: str) -> float:
        """How close occupation b is to occupation a, outside a plan: related (either way) by
        tier, else by shared role skills alone. Memoised: a tenant has few distinct pairs."""
        key = (a, b)
        if key not in self._closeness:
            tiers = [t for code, t in (self.facts.get(a) or {}).get("related", []) if code == b]
            tiers += [t for code, t in (self.facts.get(b) or {}).get("related", []) if code == a]
            value = self._related(a, b, min(tiers)) if tiers else round(0.5 * self.shared_skills(a, b), 4)
            self._closeness[key] = value  # a dict assignment: safe to share between threads
        return self._closeness[key]

    def plan(
        self,
        anchor: str | None,
        rivals: tuple[tuple[str, float], ...] = (),
        target: str | None = None,
        limit: int = MAX_ROLES,
    ) -> list[PlannedRole]:
        """The roles to recommend, closest first (step-ups are flagged, not reordered here)."""
        if anchor is None or anchor not in self.by_code:
            return []
        name = self.title(anchor)
        roles = {anchor: PlannedRole(anchor, name, 1.0, "own", False, f"your occupation: {name}")}
        if target and target in self.by_code and target != anchor:
            roles[target] = PlannedRole(
                target,
                self.title(target),
                CLOSE_TARGET,
                "target",
                self.is_step_up(anchor, target),
                "your career goal, as your record states it",
            )
        top = dict(rivals).get(anchor) or (rivals[0][1] if rivals else 0.0)
        for code, score in rivals:
            if code in roles or code not in self.by_code or not top or score < ALTERNATIVE_MIN * top:
                continue
            roles[code] = PlannedRole(
                code,
                self.title(code),
                CLOSE_ALTERNATIVE * min(1.0, score / top),
                "alternative",
                self.is_step_up(anchor, code),
                f"your record also fits {self.title(code)}",
            )
        for code, tier in (self.facts.get(anchor) or {}).get("related", []):
            if code in roles or code not in self.by_code:
                continue
            roles[code] = PlannedRole(
                code,
                self.title(code),
                self._related(anchor, code, tier),
                "related",
                self.is_step_up(anchor, code),
                f"related to {name} (O*NET related occupation)",
            )
        ordered = sorted(roles.values(), key=lambda r: -r.closeness)
        return ordered[:limit]
