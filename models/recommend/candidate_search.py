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
    view = matcher.indexes.view(tenant_id, "candidate")
    rows = view.rows
    regions = matcher.regions
    if not q.text:  # newest first: filtered on the view's columns, only the page turned into rows
        arrays = view.arrays(matcher.space.index)
        ids = arrays["ids"][_passing(arrays, q, regions)]
        newest = np.sort(ids)[::-1][q.offset : q.offset + q.limit]
        return len(ids), [_row(rows[int(i)], None, matcher) for i in newest]
    hits = records.search(tenant_id, "candidate", q.text, TEXT_HITS)
    order = [(h["record"]["id"], h["score"]) for h in hits]
    exact = records.find_external_id(tenant_id, "candidate", q.text)
    if exact is not None:
        order = [(exact, 1.0)] + [(i, s) for i, s in order if i != exact]
    passed: list[tuple[Features, float | None]] = []
    for record_id, score in order:
        f = rows.get(record_id)
        if f is None or not _passes(f, q, regions):
            continue
        passed.append((f, score))
    page = passed[q.offset : q.offset + q.limit]
    return len(passed), [_row(f, score, matcher) for f, score in page]


def _passing(arrays: dict, q: CandidateQuery, regions) -> np.ndarray:
    """`_passes` over a view's columns: one test per distinct region and occupation."""
    keep = np.ones(len(arrays["ids"]), dtype=bool)
    if q.remote_ok:
        keep &= arrays["remote_ok"]
    if q.relocate:
        keep &= arrays["relocate"]
    if q.soc:
        socs = np.asarray([s.startswith(q.soc) for s in arrays["soc_vocab"].tolist()], dtype=bool)
        keep &= socs[arrays["soc_code"]]
    if q.kinds or q.state:
        places = np.asarray([_region_passes(r, q, regions) for r in arrays["region_vocab"].tolist()], dtype=bool)
        keep &= places[arrays["region_code"]]
    return keep


def _passes(f: Features, q: CandidateQuery, regions) -> bool:
    if q.remote_ok and not f.remote_ok:
        return False
    if q.relocate and not f.relocate:
        return False
    if q.soc and not (f.soc or "").startswith(q.soc):
        return False
    return not (q.kinds or q.state) or _region_passes(f.region_id, q, regions)


def _region_passes(region_id: str | None, q: CandidateQuery, regions) -> bool:
    region = regions.get(region_id) if region_id else None
    if region is None:
        return False
    if q.kinds and region.kind not in q.kinds:
        return False
    return not q.state or (region.state or "").upper() == q.state.upper()


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
    arrays = matcher.indexes.view(tenant_id, "candidate").arrays(matcher.space.index)
    counts = np.bincount(arrays["region_code"], minlength=len(arrays["region_vocab"]))
    return {name: int(n) for name, n in zip(arrays["region_vocab"].tolist(), counts.tolist()) if name and n}
