"""Recommendations: matches for a candidate, candidates for a role, talent map, skill gaps.

All tenant-scoped (API key), ranked and explained; the logic is in models/matching.py and
models/gaps.py.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from models.errors import InvalidInput, NotFound
from models.matching import CandidateFilters, MatchFilters
from service.api.regions import KINDS
from service.api.spec import operation, param
from service.auth import current_tenant
from service.runtime import runtime
from service.validation import query_bool, query_float, query_int, query_list, query_str

bp = Blueprint("recommendations", __name__)
ERRORS = (400, 401, 404, 503)
GEOJSON = "application/geo+json"

REGION_FILTERS = [
    param("region_kind", description="allowed region kinds, comma-separated (large_metro, metro, micro_hub)"),
    param("exclude_kind", description="region kinds to leave out, e.g. large_metro"),
    param("country", description="ISO alpha-2"),
    param("state", description="US state code"),
]


def region_kinds(args) -> tuple[str, ...]:
    """region_kind= and exclude_kind= as the kinds allowed (empty: all)."""
    allowed = query_list(args, "region_kind", KINDS) or KINDS
    excluded = query_list(args, "exclude_kind", KINDS)
    kinds = tuple(k for k in allowed if k not in excluded)
    return () if kinds == KINDS else kinds


@bp.get("/v1/candidates/<int:candidate_id>/matches")
@operation(
    "Ranked (role, region) matches for a candidate: the tenant's open needs and market roles (SOC demand "
    "where no need is posted, flagged), each with score, components, matched and missing skills, region facts",
    tag="recommendations",
    params=[
        param("candidate_id", "path", schema={"type": "integer"}),
        *REGION_FILTERS,
        param(
            "max_km",
            schema={"type": "number", "minimum": 0},
            description="maximum distance from the candidate's region",
        ),
        param("remote_only", schema={"type": "boolean"}),
        param("include_market", schema={"type": "boolean", "default": True}),
        param(
            "include_step_ups",
            schema={"type": "boolean", "default": False},
            description="rank career steps (a job zone above the candidate's occupation) with the other roles "
            "instead of after them",
        ),
        param("limit", schema={"type": "integer", "minimum": 1, "maximum": 200, "default": 20}),
    ],
    errors=ERRORS,
)
def candidate_matches(candidate_id: int):
    tenant = current_tenant()
    filters = MatchFilters(
        kinds=region_kinds(request.args),
        country=query_str(request.args, "country", max_length=2),
        state=query_str(request.args, "state", max_length=3),
        max_km=query_float(request.args, "max_km", 0, 25_000),
        remote_only=query_bool(request.args, "remote_only"),
        include_market=query_bool(request.args, "include_market", True),
        include_step_ups=query_bool(request.args, "include_step_ups"),
        limit=query_int(request.args, "limit", 20, 1, 200),
    )
    return jsonify(runtime().matcher().candidate_matches(tenant, candidate_id, filters))


def candidate_filters(args) -> CandidateFilters:
    """The filters of candidates for a role, from query parameters (the API's and the console's)."""
    return CandidateFilters(
        exclude_large_metro=query_bool(args, "exclude_large_metro"),
        within_km=query_float(args, "within_km", 0, 25_000),
        remote_ready=query_bool(args, "remote_ready"),
        languages=query_list(args, "languages"),
        min_required=query_float(args, "min_required", 0, 1) or 0.0,
        limit=query_int(args, "limit", 20, 1, 200),
    )


@bp.get("/v1/needs/<int:need_id>/candidates")
@operation(
    "Ranked candidates for a role, explained; for sourcing outside the big metros",
    tag="recommendations",
    params=[
        param("need_id", "path", schema={"type": "integer"}),
        param("exclude_large_metro", schema={"type": "boolean"}),
        param("within_km", schema={"type": "number", "minimum": 0}, description="of the role's region"),
        param("remote_ready", schema={"type": "boolean"}),
        param("languages", description="all of these, comma-separated"),
        param(
            "min_required",
            schema={"type": "number", "minimum": 0, "maximum": 1},
            description="minimum share of required skills covered",
        ),
        param("limit", schema={"type": "integer", "minimum": 1, "maximum": 200, "default": 20}),
    ],
    errors=ERRORS,
)
def need_candidates(need_id: int):
    tenant = current_tenant()
    return jsonify(runtime().matcher().need_candidates(tenant, need_id, candidate_filters(request.args)))


def talent_map_result(tenant: int, args, default_limit: int = 50) -> dict:
    """Regions ranked by talent for the role the query names (need=, or skills= and soc=),
    within its region filters (the API's and the console's map)."""
    matcher = runtime().matcher()
    need_id = query_int(args, "need", 0, 0, 2**62) or None
    if need_id:
        need, vec = matcher.record(tenant, "need", need_id)
        role = (need.required, need.nice, vec, need.soc, need.title)
    else:
        role = matcher.role_from_query(list(query_list(args, "skills")), query_str(args, "soc", max_length=7))
    filters = MatchFilters(
        kinds=region_kinds(args),
        country=query_str(args, "country", max_length=2),
        state=query_str(args, "state", max_length=3),
        limit=query_int(args, "limit", default_limit, 1, 500),
    )
    return matcher.talent_map(tenant, *role, filters)


def _geojson(result: dict) -> dict:
    features = []
    for row in result["regions"]:
        region = row["region"]
        if region.get("lat") is None:
            continue
        properties = {k: v for k, v in region.items() if k not in ("lat", "lon")}
        properties.update(score=row["score"], candidates=row["candidates"], market=row["market"])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [region["lon"], region["lat"]]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "role": result["role"], "features": features}


@bp.get("/v1/talent-map")
@operation(
    "Regions ranked by talent for a role (need=<id>, or skills=…&soc=…): the tenant's fitting candidates "
    "(count, median fit) and the market (employment, location quotient, wage and cost advantage); "
    "GeoJSON with Accept: application/geo+json",
    tag="recommendations",
    params=[
        param("need", schema={"type": "integer"}),
        param("skills", description="comma-separated skills (text or ESCO URIs)"),
        param("soc", description="SOC 2018 code, e.g. 49-9081"),
        *REGION_FILTERS,
        param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
    ],
    extra_responses={
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"type": "object"}}, GEOJSON: {"schema": {"type": "object"}}},
        }
    },
    errors=ERRORS,
)
def talent_map():
    result = talent_map_result(current_tenant(), request.args)
    if request.accept_mimetypes.best_match(["application/json", GEOJSON]) == GEOJSON:
        response = jsonify(_geojson(result))
        response.mimetype = GEOJSON
        return response
    return jsonify(result)


@bp.get("/v1/candidates/<int:candidate_id>/gap")
@operation(
    "Skill gap of a candidate for a role (need=<id> or soc=…): missing skills by importance and local demand, "
    "and a training plan from the tenant's programmes (local first, then online, then elsewhere)",
    tag="recommendations",
    params=[
        param("candidate_id", "path", schema={"type": "integer"}),
        param("need", schema={"type": "integer"}),
        param("soc"),
    ],
    errors=ERRORS,
)
def candidate_gap(candidate_id: int):
    tenant = current_tenant()
    need_id = query_int(request.args, "need", 0, 0, 2**62) or None
    soc = query_str(request.args, "soc", max_length=7)
    if need_id is None and soc is None:
        raise InvalidInput(
            "give need=<id> or soc=<SOC code>", {"parameters": ["need", "soc"]}, code="missing_parameter"
        )
    return jsonify(runtime().gaps().candidate_gap(tenant, candidate_id, need_id, soc))


@bp.get("/v1/regions/<region_id>/skill-gaps")
@operation(
    "Training-centre report: skills employers in the region need that local candidates lack, with demand and "
    "supply figures, and certification suggestions (skill bundles demanded together)",
    tag="recommendations",
    params=[
        param("region_id", "path"),
        param("limit", schema={"type": "integer", "minimum": 1, "maximum": 200, "default": 30}),
    ],
    errors=ERRORS,
)
def region_skill_gaps(region_id: str):
    tenant = current_tenant()
    runtime_ = runtime()
    if runtime_.require_reference().regions.get(region_id) is None:
        raise NotFound(f"no region {region_id!r}", {"id": region_id})
    return jsonify(runtime_.gaps().region_report(tenant, region_id, query_int(request.args, "limit", 30, 1, 200)))
