"""Skill gaps, training plans, and the training-centre report for a region.

Training plan: a greedy weighted set cover. At each step the programme with the best value
is chosen, where

    value = (importance of the missing skills it newly covers) / (1 + hours/40 + cost/1000)
            * place preference (in the candidate's region 1.0, online 0.9, elsewhere 0.5)

(required skills weigh 2, nice-to-have 1). Because the place preference multiplies an
otherwise equal value, a local programme is always chosen over an equally good one elsewhere.
The plan stops when no programme covers anything new; what is left is reported as uncovered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from models.recommend.matching import FIT_MIN, Matcher
from models.recommend.results import ProgramStep, RegionReport, SkillBundle, SkillGap, SkillShortage, TrainingPlan
from models.reference.skill_space import SAME_SKILL_MIN
from models.tenants.feature_views import FeatureTable
from models.tenants.features import Features

PLACE_PREFERENCE = {"local": 1.0, "online": 0.9, "elsewhere": 0.5}
IMPORTANCE = {"required": 2.0, "nice_to_have": 1.0}
RELOCATION_RADIUS_KM = 300.0  # supply counts candidates willing to move from this far
SPECIALISED_LQ = 1.2  # occupations a region specialises in (location quotient at least this)
SPECIALISED_MIN_EMPLOYMENT = 100
BUNDLE_MAX = 8


class GapAnalyst:
    def __init__(self, matcher: Matcher):
        self.m = matcher
        self.space = matcher.space

    # ---- 4. candidate gap and training plan ----------------------------------------------------
    def role_skills(self, tenant_id: int, need_id: int | None, soc: str | None) -> tuple[dict, tuple, tuple]:
        if need_id is not None:
            need, _ = self.m.record(tenant_id, "need", need_id)
            return (
                {"type": "need", "need_id": need.id, "title": need.title, "soc": need.soc, "region_id": need.region_id},
                need.required,
                need.nice,
            )
        required, nice, _, soc, title = self.m.role_from_query([], soc)
        return {"type": "market", "title": title, "soc": soc}, required, nice

    def candidate_gap(self, tenant_id: int, candidate_id: int, need_id: int | None, soc: str | None) -> SkillGap:
        cand, _ = self.m.record(tenant_id, "candidate", candidate_id)
        role, required, nice = self.role_skills(tenant_id, need_id, soc)
        _, matched_req, missing_req = self.space.coverage(required, cand.skills)
        _, matched_nice, missing_nice = self.space.coverage(nice, cand.skills)
        demand = self._local_demand(tenant_id, cand.region_id)
        missing: list[dict[str, Any]] = [
            {"id": s, "label": self.space.label(s), "importance": "required", "open_needs_in_region": demand[s]}
            for s in missing_req
        ]
        missing += [
            {"id": s, "label": self.space.label(s), "importance": "nice_to_have", "open_needs_in_region": demand[s]}
            for s in missing_nice
        ]
        # required before nice-to-have; then by how many open needs in the region ask for it
        missing.sort(key=lambda x: (x["importance"] != "required", -x["open_needs_in_region"]))
        plan = self.training_plan(tenant_id, cand, missing)
        return SkillGap(
            candidate_id=cand.id,
            role=role,
            matched_skills=matched_req + matched_nice,
            missing_skills=missing,
            training_plan=plan,
        )

    def _local_demand(self, tenant_id: int, region_id: str | None) -> Counter:
        counts: Counter = Counter()
        needs = self.m.indexes.view(tenant_id, "need")
        for need in needs.rows.values():
            if need.status == "open" and region_id and need.region_id == region_id:
                counts.update(set(need.required) | set(need.nice))
        return counts

    def _place(self, cand: Features, program: Features) -> str:
        if program.region_id and program.region_id == cand.region_id and program.delivery != "online":
            return "local"
        if program.delivery in ("online", "hybrid") and not (
            program.delivery == "hybrid" and program.region_id != cand.region_id
        ):
            return "online"
        return "elsewhere"

    def training_plan(self, tenant_id: int, cand: Features, missing: list[dict]) -> TrainingPlan:
        programs = list(self.m.indexes.view(tenant_id, "program").rows.values())
        weight = {x["id"]: IMPORTANCE[x["importance"]] for x in missing}
        # which missing skills each programme teaches (same skill or near-synonym)
        teaches = {}
        for p in programs:
            covered = {s for s in weight if self.space.match(s, {k: 1.0 for k in p.skills})[0] is not None}
            if covered:
                teaches[p.id] = covered
        by_id = {p.id: p for p in programs}
        left = set(weight)
        chosen: list[ProgramStep] = []
        while left:
            best, best_value = None, 0.0
            for pid, covered in teaches.items():
                new = covered & left
                if not new:
                    continue
                p = by_id[pid]
                value = (
                    sum(weight[s] for s in new)
                    / (1 + p.hours / 40 + p.cost / 1000)
                    * PLACE_PREFERENCE[self._place(cand, p)]
                )
                if value > best_value + 1e-12 or (abs(value - best_value) <= 1e-12 and best is not None and pid < best):
                    best, best_value = pid, value
            if best is None:
                break
            p = by_id[best]
            new = teaches[best] & left
            left -= new
            chosen.append(
                ProgramStep(
                    program={
                        "id": p.id,
                        "external_id": p.external_id,
                        "title": p.title,
                        "provider": p.extra.get("provider"),
                        "region_id": p.region_id,
                        "delivery": p.delivery,
                        "hours": p.hours,
                        "cost": p.cost,
                        "certification": p.extra.get("certification"),
                        "next_start_date": p.extra.get("next_start_date"),
                    },
                    place=self._place(cand, p),
                    covers=[
                        {"id": s, "label": self.space.label(s)} for s in sorted(new, key=lambda s: (-weight[s], s))
                    ],
                    value=round(best_value, 4),
                )
            )
        return TrainingPlan(
            programs=tuple(chosen),
            total_hours=sum(c.program["hours"] for c in chosen),
            total_cost=sum(c.program["cost"] for c in chosen),
            uncovered_skills=[{"id": s, "label": self.space.label(s)} for s in weight if s in left],
            same_skill_rule=f"ESCO identity, or label similarity ≥ {SAME_SKILL_MIN}",
        )

    # ---- 5. training-centre report ------------------------------------------------------------
    def region_report(self, tenant_id: int, region_id: str, limit: int = 30) -> RegionReport:
        region = self.m.regions.get(region_id)
        needs = [
            n
            for n in self.m.indexes.view(tenant_id, "need").rows.values()
            if n.status == "open" and n.region_id == region_id
        ]
        demand: dict[str, float] = defaultdict(float)  # openings asking for a skill, half for nice-to-have
        for n in needs:
            for s in n.required:
                demand[s] += n.openings
            for s in n.nice:
                demand[s] += 0.5 * n.openings
        specialised = self._specialisations(region_id)
        for occ in specialised:
            required, nice = self.space.soc_skills(occ["soc"])
            for s in required:
                demand[s] += occ["weight"]
            for s in nice:
                demand[s] += 0.5 * occ["weight"]

        local, movers = self._supply_pool(tenant_id, region_id)
        supply: Counter = Counter()
        for c in local:
            supply.update({s: 1.0 for s in c.skills})
        for c in movers:
            supply.update({s: 0.5 for s in c.skills})
        pool = len(local) + 0.5 * len(movers)

        rows: list[SkillShortage] = []
        total_demand = sum(demand.values()) or 1.0
        for s, d in demand.items():
            have = max((supply[j_uri] for j_uri in self._same(s)), default=0.0)
            share_have = have / pool if pool else 0.0
            gap = d / total_demand * (1 - min(1.0, share_have))
            rows.append(
                SkillShortage(
                    id=s,
                    label=self.space.label(s),
                    demand=round(d, 2),
                    supply=round(have, 2),
                    supply_share=round(share_have, 3),
                    gap=round(gap, 5),
                )
            )
        rows.sort(key=lambda r: -r.gap)
        return RegionReport(
            region=None if region is None else {"id": region.id, "name": region.name, "kind": region.kind},
            demand_sources={
                "open_needs": len(needs),
                "openings": sum(n.openings for n in needs),
                "specialised_occupations": specialised,
            },
            supply_sources={
                "local_candidates": len(local),
                "willing_to_relocate_within_km": RELOCATION_RADIUS_KM,
                "movers": len(movers),
            },
            gaps=tuple(rows[:limit]),
            certification_suggestions=tuple(
                self.bundles(tenant_id, needs, [r.id for r in rows[: max(limit, 30)] if r.gap > 0], local + movers)
            ),
        )

    def _same(self, uri: str) -> list[str]:
        return [self.space.catalog.skills[j]["id"] for j, _ in self.space.equivalents(uri)]

    def _specialisations(self, region_id: str, top: int = 6) -> list[dict]:
        try:
            stats = self.m.regions.stats(region_id)
        except (KeyError, ValueError):
            return []
        picked = []
        for soc, st in stats.items():
            lq, emp = st.get("location_quotient"), st.get("employment")
            if lq is not None and emp is not None and lq >= SPECIALISED_LQ and emp >= SPECIALISED_MIN_EMPLOYMENT:
                picked.append(
                    {
                        "soc": soc,
                        "title": st.get("title") or soc,
                        "location_quotient": lq,
                        "employment": emp,
                        "weight": round(float(np.log10(emp) * min(lq, 3.0)), 3),
                    }
                )
        picked.sort(key=lambda x: -x["weight"])
        return picked[:top]

    def _supply_pool(self, tenant_id: int, region_id: str) -> tuple[list[Features], list[Features]]:
        """The region's candidates, and those elsewhere willing to move from within
        RELOCATION_RADIUS_KM; found on the view's arrays, never by walking every record."""
        view = self.m.indexes.view(tenant_id, "candidate")
        arrays = view.arrays(self.space.index)
        here = arrays["region"] == region_id
        distance = np.nan_to_num(self.m.geo.distances(self.m.geo.places(arrays), region_id), nan=np.inf)
        movers = ~here & arrays["relocate"] & (distance <= RELOCATION_RADIUS_KM)
        ids = arrays["ids"]
        return [view.rows[int(i)] for i in ids[here]], [view.rows[int(i)] for i in ids[movers]]

    def bundles(
        self, tenant_id: int, needs: list[Features], gap_skills: list[str], pool: list[Features]
    ) -> list[SkillBundle]:
        """Certification suggestions: gap skills demanded together, clustered.

        Distance between two skills = 1 - (0.5 * co-occurrence in the region's open needs
        (Jaccard) + 0.5 * label similarity); average-linkage agglomerative clustering cut at
        0.75 groups skills that employers ask for together or that are close in meaning.
        """
        if len(gap_skills) < 2:
            return []
        idx = {s: i for i, s in enumerate(gap_skills)}
        n = len(gap_skills)
        occurrence = np.zeros((n, max(1, len(needs))), dtype=np.float32)
        for j, need in enumerate(needs):
            for s in set(need.required) | set(need.nice):
                for same in self._same(s):
                    if same in idx:
                        occurrence[idx[same], j] = 1.0
        inter = occurrence @ occurrence.T
        sizes = occurrence.sum(axis=1)
        union = sizes[:, None] + sizes[None, :] - inter
        jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        vectors = self.space.labels[[self.space.index[s] for s in gap_skills]]
        semantic = np.clip(vectors @ vectors.T, 0, 1)
        distance = 1 - (0.5 * jaccard + 0.5 * semantic)
        np.fill_diagonal(distance, 0)
        labels = AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average", distance_threshold=0.75
        ).fit_predict(distance)
        programs = list(self.m.indexes.view(tenant_id, "program").rows.values())
        table = FeatureTable(self.m.ref.encoder.dim)
        for c in pool:
            table.put(c, None)
        pool_arrays = table.arrays(self.space.index)
        # how the pool covers each need's required skills does not depend on the bundle: once
        # per need, not once per need and bundle (it was 90% of a report's time)
        coverage = self._pool_coverage(needs, pool_arrays)
        out: list[SkillBundle] = []
        for label in set(labels):
            members = [gap_skills[i] for i in np.flatnonzero(labels == label)][:BUNDLE_MAX]
            if len(members) < 2:
                continue
            eligible_roles, eligible_people = self._eligibility(coverage, members, pool_arrays["ids"])
            teaching: list[dict[str, Any]] = []
            for p in programs:
                taught = [s for s in members if self.space.match(s, {k: 1.0 for k in p.skills})[0] is not None]
                if taught:
                    teaching.append(
                        {
                            "id": p.id,
                            "title": p.title,
                            "provider": p.extra.get("provider"),
                            "teaches": [self.space.label(s) for s in taught],
                            "share": round(len(taught) / len(members), 2),
                        }
                    )
            teaching.sort(key=lambda x: -x["share"])
            out.append(
                SkillBundle(
                    skills=[{"id": s, "label": self.space.label(s)} for s in members],
                    open_roles_made_eligible=eligible_roles,
                    candidates_made_eligible=eligible_people,
                    existing_programs=teaching[:5],
                )
            )
        out.sort(key=lambda b: (-b.open_roles_made_eligible, -b.candidates_made_eligible))
        return out

    def _pool_coverage(self, needs: list[Features], pool: dict) -> list[tuple[Features, np.ndarray, np.ndarray]]:
        """Per need with required skills: each pool candidate's cover of each of them, and the mean."""
        if len(pool["ids"]) == 0:
            return []
        out = []
        for need in needs:
            if need.required:
                parts = self.space.coverage_parts(need.required, pool["skills"])
                out.append((need, parts, parts.mean(axis=1)))
        return out

    def _eligibility(
        self, coverage: list[tuple[Features, np.ndarray, np.ndarray]], bundle: list[str], ids: np.ndarray
    ) -> tuple[int, int]:
        """Open roles (counting openings) for which some candidate of the pool would reach the
        required-skill bar only with the bundle, and how many candidates that is."""
        roles, people = 0, set[int]()
        for need, parts, before in coverage:
            after = np.maximum(parts, self.space.in_set(need.required, bundle)[None, :]).mean(axis=1)
            made = ids[(before < FIT_MIN) & (after >= FIT_MIN)]
            if len(made):
                roles += need.openings
                people.update(int(i) for i in made)
        return roles, len(people)
