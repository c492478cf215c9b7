"""Finding a tenant's candidates by words and filters, for people browsing them (the console).

Filters read the in-memory features the matcher keeps (models/tenants/features.py), so a page of a
large tenant costs no scan of the database; free text ranks by the profile vectors through
the same semantic search as POST /v1/candidates:search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.recommend.matching import Matcher
from models.tenants.features import Features
from models.tenants.record_pipeline import TenantRecords

TEXT_HITS = 300  # nearest profiles a free-text query considers before the filters


@dataclass(frozen=True)
class CandidateQuery:
    text: str | None = None
    kinds: tuple[str, ...] = ()  # region kinds allowed; empty = all
    state: str | None = None
    soc: str | None = None  # a SOC code or its prefix ("51-" all production occupations)
    remote_ok: bool = False  # only candidates open to remote work
    relocate: bool = False  # only candidates willing to relocate
    offset: int = 0
    limit: int = 25


@dataclass(frozen=True)
class CandidateRow:
    id: int
    external_id: str
    headline: str
    region: dict | None  # id, name, kind, state
    soc: str | None
    occupation: str | None
    remote_ok: bool
    relocate: bool
    score: float | None  # similarity to the free text, when there was one


def find_candidates(
    records: TenantRecords, matcher: Matcher, tenant_id: int, q: CandidateQuery
) -> tuple[int, list[CandidateRow]]:
    """How many candidates pass, and the page of them asked for: by similarity to the text
    when there is one (an exact external_id first), else newest first."""
    rows = matcher.indexes.view(tenant_id, "candidate").rows
    if q.text:
        hits = records.search(tenant_id, "candidate", q.text, TEXT_HITS)
        order = [(h["record"]["id"], h["score"]) for h in hits]
        exact = [f.id for f in rows.values() if f.external_id == q.text]
        order = [(i, 1.0) for i in exact] + [(i, s) for i, s in order if i not in exact]
    else:
        order = [(i, None) for i in sorted(rows, reverse=True)]
    regions = matcher.regions
    passed: list[tuple[Features, float | None]] = []
    for record_id, score in order:
        f = rows.get(record_id)
        if f is None or not _passes(f, q, regions):
            continue
        passed.append((f, score))
    page = passed[q.offset : q.offset + q.limit]
    return len(passed), [_row(f, score, matcher) for f, score in page]


def _passes(f: Features, q: CandidateQuery, regions) -> bool:
    if q.remote_ok and not f.remote_ok:
        return False
    if q.relocate and not f.relocate:
        return False
    if q.soc and not (f.soc or "").startswith(q.soc):
        return False
    if q.kinds or q.state:
        region = regions.get(f.region_id) if f.region_id else None
        if region is None:
            return False
        if q.kinds and region.kind not in q.kinds:
            return False
        if q.state and (region.state or "").upper() != q.state.upper():
            return False
    return True


def _row(f: Features, score: float | None, matcher: Matcher) -> CandidateRow:
    region = matcher.regions.get(f.region_id) if f.region_id else None
    occupation = matcher.ref.titles.soc(f.soc) if f.soc else None
    return CandidateRow(
        id=f.id,
        external_id=f.external_id,
        headline=f.title,
        region=None
        if region is None
        else {"id": region.id, "name": region.name, "kind": region.kind, "state": region.state},
        soc=f.soc,
        occupation=occupation["title"] if occupation else None,
        remote_ok=f.remote_ok,
        relocate=f.relocate,
        score=score,
    )


def region_counts(matcher: Matcher, tenant_id: int) -> dict[str, int]:
    """Candidates of the tenant per region id (all of them, fitting a role or not)."""
    regions = matcher.indexes.view(tenant_id, "candidate").arrays(matcher.space.index)["region"]
    names, counts = np.unique(regions.astype(str), return_counts=True)
    return {name: int(n) for name, n in zip(names.tolist(), counts.tolist()) if name}
