"""Candidates: search and filters with paging; one candidate with what was understood, the
roles recommended and the gap to a chosen role with its training plan."""

from __future__ import annotations

from flask import render_template, request

from models.core.errors import InvalidInput
from models.recommend.candidate_search import CandidateQuery, find_candidates
from models.recommend.matching import MatchFilters
from service.api.regions import REGION_KINDS
from service.console.blueprint import bp
from service.console.helpers import PAGE_SIZE, record_context, tenant
from service.runtime import runtime
from service.validation import query_bool, query_int, query_list, query_str

MATCHES = 10


@bp.get("/candidates")
def candidates():
    args = request.args
    page = query_int(args, "page", 1, 1, 100_000)
    query = CandidateQuery(
        text=query_str(args, "q", max_length=500),
        kinds=query_list(args, "kind", REGION_KINDS),
        state=query_str(args, "state", max_length=3),
        soc=query_str(args, "soc", max_length=7),
        remote_ok=query_bool(args, "remote"),
        relocate=query_bool(args, "relocate"),
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    rt = runtime()
    total, rows = find_candidates(rt.records(), rt.matcher(), tenant(), query)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template(
        "candidates.html", query=query, rows=rows, total=total, page=page, pages=pages, kinds=REGION_KINDS, args=args
    )


def _chosen_role(raw: str | None) -> tuple[int | None, str | None]:
    """The role the gap is measured against: "need:<id>" or "soc:<code>" (a select's value),
    or a SOC code typed in."""
    if not raw:
        return None, None
    kind, _, value = raw.partition(":")
    if kind == "need" and value.isdigit():
        return int(value), None
    if kind == "soc" and value:
        return None, value.strip()
    if not value and len(raw) <= 7:
        return None, raw.strip()
    raise InvalidInput(f"unknown role {raw!r}: choose one of the list or type a SOC code like 49-9081")


@bp.get("/candidates/<int:candidate_id>")
def candidate(candidate_id: int):
    rt = runtime()
    record = rt.records().get(tenant(), "candidate", candidate_id)  # another tenant's id: 404
    matches = rt.matcher().candidate_matches(tenant(), candidate_id, MatchFilters(limit=MATCHES)).to_dict()
    role = query_str(request.args, "role", max_length=40) or query_str(request.args, "soc", max_length=7)
    need_id, soc = _chosen_role(role)
    gap = None
    if need_id is not None or soc is not None:
        gap = rt.gaps().candidate_gap(tenant(), candidate_id, need_id, soc).to_dict()
    return render_template(
        "candidate.html",
        **record_context(record),
        matches=matches,
        role=role or "",
        gap=gap,
    )
