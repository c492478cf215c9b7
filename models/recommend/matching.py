"""Scoring and explanations: candidate -> (role, region), role -> candidates, talent map.

Every score is a documented blend of components, each in [0, 1], returned with the result:

    total = 0.40 * occupation_fit + 0.25 * skill_fit + 0.25 * region_fit + 0.10 * remote_fit
            (+0.05 for a posted need)

    occupation_fit = how close the role's occupation is to the candidate's own (1 the same, a
                 stated career goal 0.9, O*NET related occupations by tier, see role_plan.py);
                 the skill fit stands in when either occupation is unknown
    skill_fit  = 0.55 * required coverage + 0.15 * nice-to-have coverage + 0.30 * semantic
                 (coverage: share of the role's skills the profile has, same skill or a
                 near-synonym, see skill_space.py; semantic: cosine of the profile and role
                 vectors mapped from [0.2, 0.8] to [0, 1])
    region_fit = 0.30 * specialisation (location quotient, capped at 3, over 3)
               + 0.20 * demand (employment in the SOC there, log scale, 10,000 jobs = 1)
               + 0.15 * wage (median wage against national: 0.5x -> 0, 1.5x -> 1)
               + 0.35 * reach (distance against relocation and remote preferences, below)
               + micro_hub_weight when the region is a micro-hub (setting, default 0.10)
               (a region without OEWS statistics scores 0.5 on the three market terms)
    reach      = 1 in the same region; else the best option the candidate has: commuting,
                 1 - 0.4 * d/80 within 80 km; remote work, 0.9 for a remote role and a
                 candidate open to it; moving, 0.7 - 0.2 * min(d, 3000)/3000 for a candidate
                 willing to relocate; none of them, 0.1 (models/core/geo.py, with the distances)
    remote_fit = remote role: 1.0 if the candidate is open to remote, else 0.6;
                 hybrid 0.85; on-site 0.7

A candidate's matches are then ordered as `order_matches` says (reach, level, own occupation
first, diversity).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol, TypeVar

import numpy as np

from models.core.errors import InvalidInput, NotFound
from models.core.geo import COMMUTE_KM, Geography, reach
from models.core.language import language_key
from models.core.sorted_arrays import find_sorted
from models.recommend.results import (
    Anchor,
    CandidateMatch,
    CandidateMatches,
    CandidateSummary,
    MapRegion,
    MapRole,
    MatchComponents,
    NeedCandidates,
    RegionFacts,
    RegionMarket,
    RegionTalent,
    RoleMatch,
    TalentMap,
    TalentRegion,
)
from models.recommend.role_plan import CLOSE_ALTERNATIVE, CLOSE_TARGET, PlannedRole, RolePlanner
from models.reference.data import ReferenceData
from models.reference.regions import Region
from models.reference.skill_space import RowSubset
from models.tenants.features import Features
from models.tenants.tenant_index import TenantIndexes
from models.tenants.understanding import RecordUnderstander

W_OCCUPATION, W_SKILL, W_REGION, W_REMOTE, POSTED_BONUS = 0.40, 0.25, 0.25, 0.10, 0.05
W_REQUIRED, W_NICE, W_SEMANTIC = 0.55, 0.15, 0.30
W_SPECIALISATION, W_DEMAND, W_WAGE, W_REACH = 0.30, 0.20, 0.15, 0.35
SEMANTIC_BLOCK = 4096  # candidates whose semantic term is computed at a time when ranking for a need
FIT_MIN = 0.5  # a candidate "fits" a role (talent map counts) at this skill fit
MARKET_SOCS = 4  # occupations nearest the profile vector, for a candidate whose record names none
MARKET_REGIONS = 80  # regions considered per market role (by specialisation)
NEARBY_REGIONS = 12  # regions near the candidate's home considered per market role
DIVERSITY = 0.06  # taken off a match's score for each better match of the same occupation
MARKET_CACHE = 200_000  # (region, SOC) market facts kept per process
# a count that needs more profile vectors than this (how many candidates fit a role, in a
# tenant of a million) reads a seeded uniform sample of them and says it is an estimate
SEMANTIC_SAMPLE = 8_000


@dataclass(frozen=True)
class MatchFilters:
    kinds: tuple[str, ...] = ()  # allowed region kinds; empty = all
    country: str | None = None
    state: str | None = None
    max_km: float | None = None
    remote_only: bool = False
    include_market: bool = True
    include_step_ups: bool = False  # rank career steps with the others instead of after them
    limit: int = 20


@dataclass(frozen=True)
class CandidateFilters:
    exclude_large_metro: bool = False
    within_km: float | None = None
    remote_ready: bool = False
    languages: tuple[str, ...] = ()
    min_required: float = 0.0
    limit: int = 20


def semantic(cosine: np.ndarray | float) -> np.ndarray | float:
    """Cosine of profile and role mapped to 0..1 (0.2 is unrelated, 0.8 the same job)."""
    if isinstance(cosine, float):  # one pair: plain floats, NumPy's per-call cost dominates here
        return min(1.0, max(0.0, (cosine - 0.2) / 0.6))
    return np.clip((np.asarray(cosine) - 0.2) / 0.6, 0.0, 1.0)


def skill_fit(required: float | np.ndarray, nice: float | np.ndarray, sem: float | np.ndarray):
    return W_REQUIRED * required + W_NICE * nice + W_SEMANTIC * sem


def fit_key(base: np.ndarray, sem: np.ndarray, close: np.ndarray) -> np.ndarray:
    """How need_candidates orders candidates before scoring them in full: occupation and skill
    fit (base = the coverage part of skill_fit, close = occupation closeness or NaN)."""
    sfit = base + W_SEMANTIC * sem
    return W_OCCUPATION * np.where(np.isnan(close), sfit, close) + W_SKILL * sfit


@dataclass(frozen=True)
class RowCloseness:
    """How close each row's occupation is to one role's, kept per occupation code: every row of
    an occupation shares its code's value (NaN: unknown), except the few whose stated goal is
    the role and who therefore sit at CLOSE_TARGET (`lifted`, ascending)."""

    per_code: np.ndarray
    code: np.ndarray
    order: np.ndarray  # rows grouped by code (by_code)
    starts: np.ndarray
    lifted: np.ndarray

    def at(self, rows: np.ndarray) -> np.ndarray:
        out = self.per_code[self.code[rows]]
        if len(self.lifted):
            hit = find_sorted(self.lifted, rows)[1]
            out[hit] = np.maximum(out[hit], CLOSE_TARGET)
        return out

    def members(self, code: int) -> np.ndarray:
        return self.order[self.starts[code] : self.starts[code + 1]]


def by_code(code: np.ndarray, codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by a small code: (the rows, ascending within a code; where each code's
    rows start). A radix sort when the codes fit 16 bits."""
    order = np.argsort(code.astype(np.uint16) if codes <= 2**16 else code, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(code, minlength=codes))]).astype(np.int64)
    return order, starts


def best_rows(
    keep: np.ndarray, base: np.ndarray, close: RowCloseness, sem_at: Callable[[np.ndarray], np.ndarray], m: int
) -> tuple[np.ndarray, dict[int, float]]:
    """The `m` kept rows (ascending row numbers) with the highest fit_key, ties to the lower
    row, and the semantic term of every row it computed. The semantic term (a dot product with
    the profile vector, the costly part on a large tenant) is computed only for rows whose key
    could still reach the best m with a perfect semantic score, best bound first.

    Rows with some coverage (or a lifted closeness) are bounded one by one; all other rows of
    an occupation share one bound, so they are listed (from `close`'s groups) only when the
    search reaches their occupation: most of a large tenant is never looked at."""
    if m <= 0:
        return np.zeros(0, dtype=np.int64), {}
    marked = base > 0
    marked[close.lifted] = True
    own = np.flatnonzero(marked & keep)
    bound = fit_key(base[own], np.ones(len(own), dtype=base.dtype), close.at(own))
    codes = len(close.per_code)  # bounds of the dtype of the keys: no rounding above them
    group_bound = fit_key(np.zeros(codes, dtype=base.dtype), np.ones(codes, dtype=base.dtype), close.per_code)

    def rest_of(code: int) -> np.ndarray:
        rows = close.members(code)
        return rows[keep[rows] & ~marked[rows]]

    groups = [(float(group_bound[c]), partial(rest_of, c)) for c in range(codes)]
    seen, keys, sems = [], [], []
    block = min(SEMANTIC_BLOCK, 4 * m)  # a few hundred wanted: the first block is often all it reads
    for chunk, next_bound in _by_bound(own, bound, groups, max(m, block) * 4, block):
        sem = sem_at(chunk)
        seen.append(chunk)
        sems.append(sem)
        keys.append(fit_key(base[chunk], sem, close.at(chunk)))
        done = sum(len(c) for c in seen)
        if done >= m and next_bound is not None:
            all_keys = np.concatenate(keys)
            if np.partition(all_keys, len(all_keys) - m)[len(all_keys) - m] > next_bound:
                break  # no row left can overtake the m-th best
    if not seen:
        return np.zeros(0, dtype=np.int64), {}
    picked, key, sem_all = np.concatenate(seen), np.concatenate(keys), np.concatenate(sems)
    top = np.lexsort((picked, -key))[:m]
    return picked[top], dict(zip(picked.tolist(), sem_all.tolist()))


def _by_bound(
    rows: np.ndarray,
    bound: np.ndarray,
    groups: Sequence[tuple[float, Callable[[], np.ndarray]]],
    head: int,
    block: int,
) -> Iterator[tuple[np.ndarray, float | None]]:
    """Blocks of rows, highest bound first, each with the highest bound left after it (None at
    the end): `rows` with a bound each, and `groups` of rows sharing one bound (listed when
    reached)."""
    groups = sorted(groups, key=lambda g: -g[0])
    singles = _singles(rows, bound, head, block)
    next_single = float(bound.max()) if len(rows) else None
    g = 0
    while next_single is not None or g < len(groups):
        group_bound = groups[g][0] if g < len(groups) else None
        if group_bound is None or (next_single is not None and next_single >= group_bound):
            chunk, next_single = next(singles)
            yield chunk, _highest(next_single, group_bound)
            continue
        members = groups[g][1]()
        g += 1
        following = groups[g][0] if g < len(groups) else None
        for start in range(0, len(members), block):
            last = start + block >= len(members)
            yield members[start : start + block], _highest(next_single, following if last else group_bound)


def _highest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _singles(rows: np.ndarray, bound: np.ndarray, head: int, block: int) -> Iterator[tuple[np.ndarray, float | None]]:
    """Blocks of `rows`, highest bound first, each with the highest bound left after it (None
    at the end). Only the `head` best are sorted at first (a partition, not a sort of a large
    tenant); the rest only if the search reaches them."""
    if len(rows) > head:
        threshold = np.partition(bound, len(bound) - head)[len(bound) - head]
        parts = [np.flatnonzero(bound >= threshold), np.flatnonzero(bound < threshold)]
    else:
        parts = [np.arange(len(rows))]
    for p, part in enumerate(parts):
        part = part[np.argsort(-bound[part], kind="stable")]
        rest = float(bound[parts[p + 1]].max()) if p + 1 < len(parts) and len(parts[p + 1]) else None
        for start in range(0, len(part), block):
            following = start + block
            yield rows[part[start:following]], float(bound[part[following]]) if following < len(part) else rest


def _fitting(
    rows: np.ndarray, base: np.ndarray, known: dict[int, float], sem_at: Callable[[np.ndarray], np.ndarray]
) -> tuple[int, bool]:
    """How many of `rows` have skill_fit >= FIT_MIN, and whether that is an estimate. The
    semantic term is needed only where coverage alone leaves it open (`known`: terms computed
    already); past SEMANTIC_SAMPLE such rows, a seeded sample of them stands for all. (A row
    without coverage never fits, W_SEMANTIC < FIT_MIN: callers pass the rows with some.)"""
    have = base[rows]
    sure = int((have >= FIT_MIN).sum())
    open_rows = rows[(have < FIT_MIN) & (have + W_SEMANTIC >= FIT_MIN)]
    if len(open_rows) > SEMANTIC_SAMPLE:
        sample = np.sort(np.random.default_rng(0).choice(open_rows, SEMANTIC_SAMPLE, replace=False))
        share = _fitting(sample, base, known, sem_at)[0] / SEMANTIC_SAMPLE
        return sure + round(share * len(open_rows)), True
    if not len(open_rows):
        return sure, False
    values = np.zeros(len(open_rows), dtype=np.float32)
    found = np.zeros(len(open_rows), dtype=bool)
    if known:  # vectorised look-up: a large tenant leaves 100,000s of rows open
        got = np.fromiter(known, dtype=np.int64, count=len(known))
        sems = np.fromiter(known.values(), dtype=np.float32, count=len(known))
        order = np.argsort(got)
        got, sems = got[order], sems[order]
        at, found = find_sorted(got, open_rows)
        values[found] = sems[at[found]]
    if not found.all():
        values[~found] = sem_at(open_rows[~found])
    return sure + int((base[open_rows] + W_SEMANTIC * values >= FIT_MIN).sum()), False


def remote_fit(policy: str, remote_ok: bool) -> float:
    if policy == "remote":
        return 1.0 if remote_ok else 0.6
    return 0.85 if policy == "hybrid" else 0.7


class Orderable(Protocol):
    """What `order_matches` reads of a match (a RoleMatch, or a ScoredRole before it is built)."""

    @property
    def score(self) -> float: ...
    @property
    def step_up(self) -> bool: ...
    @property
    def beyond_commute(self) -> bool: ...
    @property
    def role(self) -> dict: ...


M = TypeVar("M", bound=Orderable)


def order_matches(items: list[M], limit: int, include_step_ups: bool = False, pinned: tuple[str, ...] = ()) -> list[M]:
    """The matches a careful recruiter would show first.

    Reachable places come before places beyond commuting distance (for a candidate who will not
    move); within each, roles at the person's level before career steps (unless asked for);
    the `pinned` occupations (the person's own, when their record names it confidently, and a
    career goal it states) lead, each in its best place; then by score, less DIVERSITY for every better match of the same occupation
    already shown, so that the first screen shows the person's occupation in its best places
    and also the other roles that fit, instead of one occupation in forty places."""
    groups: dict[tuple, dict[str | None, list[M]]] = {}
    for item in items:
        # a career goal the person states is a step they asked for: flagged, never held back
        held_back = item.step_up and item.role.get("relation") != "target" and not include_step_ups
        tier = (item.beyond_commute, held_back)
        groups.setdefault(tier, {}).setdefault(item.role.get("soc"), []).append(item)
    out: list[M] = []
    for tier in sorted(groups):
        queues = {soc: sorted(queue, key=lambda x: -x.score) for soc, queue in groups[tier].items()}
        shown = dict.fromkeys(queues, 0)
        for soc in pinned:
            if queues.get(soc) and not shown[soc] and len(out) < limit:
                out.append(queues[soc].pop(0))
                shown[soc] += 1
        while len(out) < limit and any(queues.values()):
            best = max((s for s in queues if queues[s]), key=lambda s: queues[s][0].score - DIVERSITY * shown[s])
            out.append(queues[best].pop(0))
            shown[best] += 1
    return out[:limit]


@dataclass(slots=True)
class ScoredRole:
    """A (role, region) match with its score and what `order_matches` reads, written out in full
    (`build`) only when it is among the matches shown: a candidate's market roles run to hundreds
    of (role, region) pairs, of which a page shows twenty."""

    score: float
    step_up: bool
    beyond_commute: bool
    role: dict
    build: Callable[[], RoleMatch]


class Matcher:
    def __init__(self, ref: ReferenceData, indexes: TenantIndexes, micro_hub_weight: float = 0.10):
        self.ref = ref
        self.regions = ref.regions
        self.indexes = indexes
        self.space = ref.skill_space
        self.planner = RolePlanner(ref.titles.socs, ref.titles.facts, ref.profiles.role_matrix)
        self.micro_hub_weight = micro_hub_weight
        self.geo = Geography(ref.regions, NEARBY_REGIONS)
        self._market: dict[tuple[str, str], dict] = {}
        self._specialised: dict[str, list[Region]] = {}  # SOC -> regions most specialised in it

    # ---- shared pieces -----------------------------------------------------------------------
    def record(self, tenant_id: int, kind: str, record_id: int) -> tuple[Features, np.ndarray]:
        table = self.indexes.view(tenant_id, kind)
        f = table.rows.get(int(record_id))
        if f is None:
            raise NotFound(f"no {kind} {record_id}", {"id": record_id})
        vector = table.vectors.get(f.id)
        return f, vector if vector is not None else np.zeros(self.ref.encoder.dim, dtype=np.float32)

    def market(self, region_id: str | None, soc: str | None) -> dict:
        """OEWS facts of a SOC in a region (empty for world cities or unpublished cells);
        memoised, since every match of a candidate asks for dozens (read-only afterwards)."""
        if not region_id or not soc:
            return {}
        key = (region_id, soc)
        facts = self._market.get(key)
        if facts is None:
            try:
                facts = self.regions.stats(region_id, soc=soc).get(soc, {})
            except (KeyError, ValueError):
                facts = {}
            if len(self._market) < MARKET_CACHE:
                self._market[key] = facts
        return facts

    def region_fit(self, region: Region | None, facts: dict, reach_value: float) -> tuple[float, dict]:
        lq, emp, ratio = facts.get("location_quotient"), facts.get("employment"), facts.get("wage_vs_national")
        spec = min(lq, 3.0) / 3.0 if lq is not None else 0.5
        demand = min(1.0, math.log10(1 + emp) / 4.0) if emp is not None else 0.5
        wage = min(1.0, max(0.0, ratio - 0.5)) if ratio is not None else 0.5
        hub = self.micro_hub_weight if region is not None and region.kind == "micro_hub" else 0.0
        value = W_SPECIALISATION * spec + W_DEMAND * demand + W_WAGE * wage + W_REACH * reach_value + hub
        return value, {
            "specialisation": round(spec, 3),
            "demand": round(demand, 3),
            "wage": round(wage, 3),
            "reach": round(reach_value, 3),
            "micro_hub_bonus": hub,
        }

    def region_facts(self, region: Region | None, facts: dict, distance: float | None) -> RegionFacts | None:
        if region is None:
            return None
        return RegionFacts(
            id=region.id,
            name=region.name,
            kind=region.kind,
            state=region.state,
            country=region.country,
            employment=facts.get("employment"),
            location_quotient=facts.get("location_quotient"),
            median_wage=facts.get("median_wage"),
            national_median_wage=facts.get("national_median_wage"),
            wage_vs_national=facts.get("wage_vs_national"),
            distance_km=None if distance is None else round(distance, 1),
        )

    def _allowed(self, region: Region | None, distance: float | None, f: MatchFilters) -> bool:
        if region is None:
            return not (f.kinds or f.country or f.state or f.max_km is not None)
        if f.kinds and region.kind not in f.kinds:
            return False
        if f.country and region.country != f.country.upper():
            return False
        if f.state and (region.state or "").upper() != f.state.upper():
            return False
        if f.max_km is not None and (distance is None or distance > f.max_km):
            return False
        return True

    # ---- 1. candidate -> (role, region) --------------------------------------------------------
    def candidate_matches(self, tenant_id: int, candidate_id: int, f: MatchFilters) -> CandidateMatches:
        cand, cvec = self.record(tenant_id, "candidate", candidate_id)
        plan = self.planner.plan(cand.soc, cand.occupations, cand.target_soc)
        if not plan:
            plan = self._plan_from_vector(cvec)
        by_soc = {r.soc: r for r in plan}
        items: list[ScoredRole] = []
        posted_socs: dict[tuple[str, str], int] = {}
        needs = self.indexes.view(tenant_id, "need")
        for need in list(needs.rows.values()):
            if need.status != "open":
                continue
            if need.soc and need.region_id:
                posted_socs[(need.soc, need.region_id)] = need.id
            region = self.regions.get(need.region_id) if need.region_id else None
            d = self.geo.distance(cand.region_id, need.region_id)
            if f.remote_only and need.remote_policy != "remote":
                continue
            if not self._allowed(region, d, f):
                continue
            nvec = needs.vectors.get(need.id)
            cos = float(cvec @ nvec) if nvec is not None else 0.0
            planned = by_soc.get(need.soc) if need.soc else None
            items.append(
                self._score_role(
                    cand,
                    need.required,
                    need.nice,
                    cos,
                    region,
                    need.soc,
                    d,
                    need.remote_policy,
                    {
                        "type": "need",
                        "need_id": need.id,
                        "external_id": need.external_id,
                        "title": need.title,
                        "soc": need.soc,
                        "employer": need.extra.get("employer"),
                        "remote_policy": need.remote_policy,
                        "openings": need.openings,
                    },
                    planned,
                    planned.closeness if planned else self._closeness(cand, need.soc),
                )
            )
        if f.include_market and not f.remote_only:
            items += self._market_roles(cand, cvec, plan, f, posted_socs)
        pinned = [r.soc for r in plan if r.relation == "target"]
        if plan and plan[0].relation == "own" and not cand.uncertain:
            pinned.insert(0, plan[0].soc)
        ranked = order_matches(items, f.limit, f.include_step_ups, tuple(pinned))
        return CandidateMatches(
            candidate_id=cand.id, anchor=self._anchor(cand, plan), items=tuple(r.build() for r in ranked)
        )

    def _anchor(self, cand: Features, plan: list[PlannedRole]) -> Anchor | None:
        """The occupation the matches are built around, as the candidate's record was read."""
        if not plan:
            return None
        own = plan[0]
        target = None
        if cand.target_soc and cand.target_soc != own.soc:
            target = {"soc": cand.target_soc, "title": self.planner.title(cand.target_soc)}
        return Anchor(
            soc=own.soc,
            title=own.title,
            uncertain=bool(cand.uncertain or own.relation != "own"),
            job_zone=self.planner.job_zone(own.soc),
            career_target=target,
        )

    def _plan_from_vector(self, cvec: np.ndarray) -> list[PlannedRole]:
        """Without an occupation (no title, text or skill to go on): the occupations nearest the profile vector."""
        if not np.any(cvec):
            return []
        ranked = self.ref.titles.normalize_vectors(cvec[None, :], k=MARKET_SOCS)[0]
        top = max(ranked[0]["score"], 1e-6) if ranked else 1.0
        return [
            PlannedRole(
                o["soc"],
                o["title"],
                round(CLOSE_ALTERNATIVE * min(1.0, max(0.0, o["score"] / top)), 4),
                "nearest",
                False,
                "nearest to your profile: your record names no occupation",
            )
            for o in ranked
        ]

    def _closeness(self, cand: Features, soc: str | None) -> float | None:
        """How close an occupation is to the candidate's (None when either is unknown)."""
        if not soc or not cand.soc:
            return None
        if soc == cand.soc:
            return 1.0
        if soc == cand.target_soc:
            return CLOSE_TARGET
        return self.planner.closeness(cand.soc, soc)

    def _coverage(self, cand: Features, required, nice) -> dict:
        """How a profile covers a role's skills: shares, and the matched and missing skills."""
        req_cov, matched, missing_req = self.space.coverage(required, cand.skills)
        nice_cov, matched_nice, missing_nice = self.space.coverage(nice, cand.skills)
        return {
            "required": req_cov,
            "nice": nice_cov,
            "matched": matched + matched_nice,
            "missing": [{"id": s, "label": self.space.label(s), "importance": "required"} for s in missing_req]
            + [{"id": s, "label": self.space.label(s), "importance": "nice_to_have"} for s in missing_nice],
        }

    def _score_role(
        self,
        cand: Features,
        required,
        nice,
        cos: float,
        region,
        soc,
        d,
        policy,
        role: dict,
        planned: PlannedRole | None = None,
        closeness: float | None = None,
        coverage: dict | None = None,
    ) -> ScoredRole:
        """One (role, region) match; `coverage` is `_coverage` of the role when already known."""
        coverage = coverage or self._coverage(cand, required, nice)
        req_cov, nice_cov = coverage["required"], coverage["nice"]
        facts = self.market(region.id if region else None, soc)
        posted = POSTED_BONUS if role["type"] == "need" else 0.0
        total, (sem, sfit, ofit, rfit, rparts, rem) = self._blend(
            req_cov, nice_cov, cos, region, facts, d, policy, cand.remote_ok, cand.relocate, posted, closeness
        )
        beyond = d is not None and d > COMMUTE_KM and not cand.relocate and not (policy == "remote" and cand.remote_ok)
        relation = planned.relation if planned else ("own" if closeness == 1.0 else "other")
        score, step_up, role = (
            round(total, 4),
            bool(planned.step_up) if planned else False,
            {**role, "relation": relation},
        )

        def build() -> RoleMatch:
            return RoleMatch(
                role=role,
                region=self.region_facts(region, facts, d),
                score=score,
                step_up=step_up,
                beyond_commute=beyond,
                components=MatchComponents(
                    occupation_fit=round(ofit, 4),
                    skill_fit=round(sfit, 4),
                    required_coverage=round(req_cov, 3),
                    nice_coverage=round(nice_cov, 3),
                    semantic=round(sem, 3),
                    region_fit=round(rfit, 4),
                    **rparts,
                    remote_fit=rem,
                    posted_bonus=posted,
                ),
                explanation=self._explain(planned, region, d, beyond, cand),
                matched_skills=coverage["matched"],
                missing_skills=coverage["missing"],
            )

        return ScoredRole(score, step_up, beyond, role, build)

    def _blend(
        self,
        req_cov: float,
        nice_cov: float,
        cos: float,
        region: Region | None,
        facts: dict,
        d: float | None,
        policy: str,
        remote_ok: bool,
        relocate: bool,
        posted: float,
        closeness: float | None,
    ) -> tuple[float, tuple[float, float, float, float, dict, float]]:
        """The total of the module docstring, and its parts (semantic, skill, occupation,
        region fit and its parts, remote fit)."""
        sem = float(semantic(float(cos)))
        sfit = skill_fit(req_cov, nice_cov, sem)
        rfit, rparts = self.region_fit(region, facts, reach(d, policy == "remote", remote_ok, relocate))
        rem = remote_fit(policy, remote_ok)
        ofit = sfit if closeness is None else closeness
        total = W_OCCUPATION * ofit + W_SKILL * sfit + W_REGION * rfit + W_REMOTE * rem + posted
        return total, (sem, sfit, ofit, rfit, rparts, rem)

    def _explain(
        self, planned: PlannedRole | None, region: Region | None, d: float | None, beyond: bool, cand: Features
    ) -> str:
        parts = [planned.why if planned else "a posted role matching your skills"]
        if planned and planned.step_up:
            parts.append(
                "a career step: a higher preparation level than your occupation; the missing skills show the gap"
            )
        if region is not None:
            if region.id == cand.region_id:
                parts.append(f"in your region, {region.name}")
            elif d is not None and d <= COMMUTE_KM:
                parts.append(f"{region.name}, {d:.0f} km away: within commuting distance")
            elif beyond:
                parts.append(
                    f"{region.name}, {d:.0f} km away: beyond commuting distance, and you have not said you would relocate"
                )
            elif d is not None:
                parts.append(f"{region.name}, {d:.0f} km away")
        return "; ".join(parts)

    def _market_regions(self, cand: Features, soc: str) -> list[Region]:  # a SOC with OEWS statistics
        """Where a market role is: the regions most specialised in it, the candidate's own and
        those within commuting distance of it."""
        places = self._specialised.get(soc)
        if places is None:  # memoised: the same for every candidate (one entry per SOC, under 900)
            places = [
                p["region"]
                for p in self.regions.occupation_regions(
                    soc, by="location_quotient", min_employment=50, limit=MARKET_REGIONS
                )
            ]
            self._specialised[soc] = places
        return list({r.id: r for r in places + self.geo.nearby(cand.region_id)}.values())

    def _market_roles(
        self, cand: Features, cvec: np.ndarray, plan: list[PlannedRole], f: MatchFilters, posted: dict
    ) -> list[ScoredRole]:
        out = []
        for planned in plan:
            soc = planned.soc
            occ = self.ref.titles.soc(soc)
            if occ is None:
                continue
            required, nice = self.space.soc_skills(soc)
            role_vec = (
                self.space.labels[[self.space.index[s] for s in required + nice]].mean(axis=0)
                if required + nice
                else None
            )
            cos = float(cvec @ role_vec / (np.linalg.norm(role_vec) or 1.0)) if role_vec is not None else 0.0
            coverage = self._coverage(cand, required, nice)  # the same in every region
            if self.regions.has_soc(soc):
                regions = self._market_regions(cand, soc)
            else:
                home = self.regions.get(cand.region_id) if cand.region_id else None
                regions = [home] if home is not None else []
            for region in regions:
                if region is None or (soc, region.id) in posted:
                    continue
                facts = self.market(region.id, soc)
                # OEWS suppresses small cells: no published employment is not no job, so the
                # candidate's own region always shows their roles (with neutral market terms)
                if not facts.get("employment") and region.id != cand.region_id:
                    continue
                d = self.geo.distance(cand.region_id, region.id)
                if not self._allowed(region, d, f):
                    continue
                out.append(
                    self._score_role(
                        cand,
                        required,
                        nice,
                        cos,
                        region,
                        soc,
                        d,
                        "onsite",
                        {
                            "type": "market",
                            "title": occ["title"],
                            "soc": soc,
                            "market": True,
                            "note": "no posted need: demand from OEWS employment and specialisation",
                        },
                        planned,
                        planned.closeness,
                        coverage,
                    )
                )
        return out

    # ---- 2. role -> candidates -----------------------------------------------------------------
    def need_candidates(self, tenant_id: int, need_id: int, f: CandidateFilters) -> NeedCandidates:
        need, nvec = self.record(tenant_id, "need", need_id)
        table = self.indexes.view(tenant_id, "candidate")
        arrays = table.arrays(self.space.index)
        n = len(arrays["ids"])
        if n == 0:
            return NeedCandidates(need_id=need.id, total_fitting=0, items=())
        req = self.space.coverage_matrix(need.required, arrays["skills"])
        nice = self.space.coverage_matrix(need.nice, arrays["skills"])
        base = skill_fit(req, nice, 0.0)  # without its semantic term, computed below where it matters
        keep = req >= f.min_required
        places = self.geo.places(arrays)
        km = self.geo.place_distances(places, need.region_id)  # per distinct region
        if f.within_km is not None:
            keep &= (np.nan_to_num(km, nan=np.inf) <= f.within_km)[places["code"]]
        if f.exclude_large_metro:
            keep &= (places["kind"] != "large_metro")[places["code"]]
        if f.remote_ready:
            keep &= arrays["remote_ok"]
        if f.languages:
            wanted = {language_key(x) for x in f.languages}
            keep &= arrays["languages"].speak_all(wanted)
        close = self._occupation_closeness(arrays, need.soc)

        def sem_at(rows: np.ndarray) -> np.ndarray:
            return np.asarray(semantic(arrays["vectors"][rows] @ nvec))

        # region and remote terms need per-candidate preferences; occupation and skill fit make
        # up most of the total, so only the best few hundred by them are scored in full
        order, sems = best_rows(keep, base, close, sem_at, max(200, f.limit * 10))
        region = self.regions.get(need.region_id) if need.region_id else None
        cosines = arrays["vectors"][order] @ nvec if len(order) else np.zeros(0, dtype=np.float32)
        close_at, km_at = close.at(order), km[places["code"][order]]
        shown = self._shown(need, region, order, cosines, close_at, km_at, arrays, f.limit)
        scored = []
        for r, cosine, closeness, d in zip(
            order[shown], cosines[shown].tolist(), close_at[shown].tolist(), km_at[shown].tolist()
        ):
            cand = table.rows[int(arrays["ids"][r])]
            pending = self._score_role(
                cand,
                need.required,
                need.nice,
                cosine,
                region,
                need.soc,
                None if math.isnan(d) else float(d),
                need.remote_policy,
                {"type": "need", "need_id": need.id, "title": need.title, "soc": need.soc},
                closeness=None if math.isnan(closeness) else closeness,
            )
            scored.append((pending, cand))
        scored.sort(key=lambda x: (-x[0].score, x[1].id))  # ties in a stable order
        items = []
        for pending, cand in scored[: f.limit]:
            item = pending.build()
            cregion = self.regions.get(cand.region_id) if cand.region_id else None
            items.append(
                CandidateMatch(
                    candidate=CandidateSummary(
                        id=cand.id,
                        external_id=cand.external_id,
                        headline=cand.title,
                        region=None
                        if cregion is None
                        else {"id": cregion.id, "name": cregion.name, "kind": cregion.kind},
                        remote_ok=cand.remote_ok,
                        willing_to_relocate=cand.relocate,
                        languages=list(cand.languages),
                    ),
                    score=item.score,
                    components=item.components,
                    matched_skills=item.matched_skills,
                    missing_skills=item.missing_skills,
                    distance_km=item.region.distance_km if item.region else None,
                )
            )
        fitting, estimated = _fitting(np.flatnonzero(keep & (base > 0)), base, sems, sem_at)
        return NeedCandidates(
            need_id=need.id, total_fitting=fitting, items=tuple(items), total_fitting_approximate=estimated
        )

    def _shown(
        self,
        need: Features,
        region: Region | None,
        rows: np.ndarray,
        cosines: np.ndarray,
        closeness: np.ndarray,
        km: np.ndarray,
        arrays: dict,
        limit: int,
    ) -> np.ndarray:
        """Positions in `rows` of the `limit` best by total score as shown (rounded, ties to
        the lower id), from the skill columns of just these rows, read in float64 as a
        profile's own coverage is: only the shown are turned back into profiles."""
        facts = self.market(region.id if region else None, need.soc)
        ascending = np.sort(rows)
        subset = RowSubset(arrays["skills"], ascending)
        at = np.searchsorted(ascending, rows)
        req = self.space.coverage_matrix(need.required, subset, exact=True)[at]
        nice = self.space.coverage_matrix(need.nice, subset, exact=True)[at]
        totals = [
            round(
                self._blend(
                    rq,
                    nc,
                    cos,
                    region,
                    facts,
                    None if math.isnan(d) else d,
                    need.remote_policy,
                    ok,
                    moves,
                    POSTED_BONUS,
                    None if math.isnan(c) else c,
                )[0],
                4,
            )
            for rq, nc, cos, c, d, ok, moves in zip(
                req.tolist(),
                nice.tolist(),
                cosines.tolist(),
                closeness.tolist(),
                km.tolist(),
                arrays["remote_ok"][rows].tolist(),
                arrays["relocate"][rows].tolist(),
            )
        ]
        return np.lexsort((arrays["ids"][rows], -np.asarray(totals)))[:limit]

    def _occupation_closeness(self, arrays: dict, soc: str | None) -> RowCloseness:
        """Per candidate, how close their occupation (or stated goal) is to `soc`; NaN when
        either is unknown. One look-up per distinct occupation of the tenant."""
        codes = self._occupation_codes(arrays)
        per_code = np.asarray(
            [
                np.nan if not (own and soc) else 1.0 if own == soc else self.planner.closeness(own, soc)
                for own in codes["socs"]
            ],
            dtype=np.float32,
        )
        lifted = np.zeros(0, dtype=np.int64)
        position = codes["goal_position"].get(soc) if soc else None
        if position is not None:  # the few whose stated goal is this occupation
            lifted = np.flatnonzero(codes["goal"] == position)
            own = per_code[codes["own"][lifted]]
            lifted = lifted[~np.isnan(own) & (own < CLOSE_TARGET)]
        order, starts = codes["by_code"]
        return RowCloseness(per_code, codes["own"], order, starts, lifted)

    def _occupation_codes(self, arrays: dict) -> dict:
        """Distinct occupations and stated goals of a view's candidates, with each candidate's
        position in them and the candidates grouped by occupation; added to the arrays once, in
        one assignment."""
        codes = arrays.get("occupation_codes")
        if codes is None:
            socs, own = arrays["soc_vocab"], arrays["soc_code"]
            goal = arrays["target_code"]
            goal_position = {g: i for i, g in enumerate(arrays["target_vocab"].tolist()) if g}
            codes = {
                "socs": socs,
                "own": own,
                "goal": goal,
                "goal_position": goal_position,
                "by_code": by_code(own, len(socs)),
            }
            arrays["occupation_codes"] = codes
        return codes

    # ---- 3. talent map -------------------------------------------------------------------------
    def role_from_query(self, skills: list[str], soc: str | None) -> tuple[tuple, tuple, np.ndarray, str | None, str]:
        """A role described by skills (text or URIs) and/or a SOC code."""
        required: list[str] = RecordUnderstander(self.ref).skill_ids(skills) if skills else []
        nice: list[str] = []
        title = "custom role"
        if soc:
            occ = self.ref.titles.soc(soc)
            if occ is None:
                raise InvalidInput(f"unknown SOC code {soc!r}", {"soc": soc})
            title = occ["title"]
            soc_req, soc_nice = self.space.soc_skills(soc)
            if not required:
                required, nice = list(soc_req), list(soc_nice)
            else:
                nice = [s for s in soc_req + soc_nice if s not in required]
        if not required:
            raise InvalidInput("give need=<id>, or skills=… and/or soc=…", code="missing_parameter")
        vec = self.space.labels[[self.space.index[s] for s in required + nice]].mean(axis=0)
        vec = vec / (np.linalg.norm(vec) or 1.0)
        return tuple(required), tuple(nice), vec, soc, title

    def talent_map(
        self, tenant_id: int, required, nice, vec, soc: str | None, title: str, f: MatchFilters
    ) -> TalentMap:
        table = self.indexes.view(tenant_id, "candidate")
        arrays = table.arrays(self.space.index)
        fits_by_region: dict[str, list[float]] = {}
        weight = 1.0  # candidates each fit found stands for
        if len(arrays["ids"]):
            base = skill_fit(
                self.space.coverage_matrix(required, arrays["skills"]),
                self.space.coverage_matrix(nice, arrays["skills"]),
                0.0,
            )
            # the semantic term only where it can lift the fit over FIT_MIN (profile vectors
            # are the costly part of a large tenant); past SEMANTIC_SAMPLE such candidates, a
            # seeded sample of them stands for all, each sampled fit counting for 1/rate
            able = np.flatnonzero(base + W_SEMANTIC >= FIT_MIN)
            if len(able) > SEMANTIC_SAMPLE:
                weight = len(able) / SEMANTIC_SAMPLE
                able = np.sort(np.random.default_rng(0).choice(able, SEMANTIC_SAMPLE, replace=False))
            sfit = base[able] + W_SEMANTIC * semantic(arrays["vectors"][able] @ vec)
            for r, fit in zip(able[sfit >= FIT_MIN], sfit[sfit >= FIT_MIN]):
                rid = arrays["region"][r]
                if rid:
                    fits_by_region.setdefault(rid, []).append(float(fit))
        market = {}
        if soc and self.regions.has_soc(soc):
            for place in self.regions.occupation_regions(soc, by="employment", limit=None):
                market[place["region"].id] = place
        region_ids = set(fits_by_region) | set(list(market)[:200])
        counts = {rid: round(len(v) * weight) for rid, v in fits_by_region.items()}
        max_count = max(counts.values(), default=1)
        rows: list[TalentRegion] = []
        for rid in region_ids:
            region = self.regions.get(rid)
            if region is None or not self._allowed(
                region, None, MatchFilters(kinds=f.kinds, country=f.country, state=f.state)
            ):
                continue
            fits = fits_by_region.get(rid, [])
            facts = self.market(rid, soc) if soc else {}
            talent = math.log1p(counts.get(rid, 0)) / math.log1p(max_count)
            mkt, _ = self.region_fit(region, facts, 0.0)
            ratio = facts.get("wage_vs_national")
            rows.append(
                TalentRegion(
                    region=MapRegion(
                        id=region.id,
                        name=region.name,
                        kind=region.kind,
                        state=region.state,
                        country=region.country,
                        lat=region.lat,
                        lon=region.lon,
                        micro_hub=region.kind == "micro_hub",
                    ),
                    score=round(0.6 * talent + 0.4 * min(1.0, mkt / (1 - W_REACH)), 4),
                    candidates=RegionTalent(
                        fitting=counts.get(rid, 0),
                        median_fit=round(float(np.median(fits)), 4) if fits else None,
                    ),
                    market=RegionMarket(
                        employment=facts.get("employment"),
                        location_quotient=facts.get("location_quotient"),
                        median_wage=facts.get("median_wage"),
                        national_median_wage=facts.get("national_median_wage"),
                        cost_advantage=None if ratio is None else round(1 - ratio, 3),
                    ),
                )
            )
        # region_ids is a set: ties in region order, or the order changes with the hash seed
        rows.sort(key=lambda x: (-x.score, x.region.id))
        return TalentMap(
            role=MapRole(
                title=title,
                soc=soc,
                required_skills=[{"id": s, "label": self.space.label(s)} for s in required],
                nice_to_have_skills=[{"id": s, "label": self.space.label(s)} for s in nice],
            ),
            regions=tuple(rows[: f.limit]),
            approximate=weight != 1.0,
        )
