"""Recommendations: matches for a candidate, candidates for a role, talent map, skill gaps.

All tenant-scoped (API key), ranked and explained; the logic is in models/recommend/matching.py and
models/recommend/gaps.py. The response schemas below describe the JSON those return.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from models.core.errors import InvalidInput, NotFound
from models.recommend.matching import CandidateFilters, MatchFilters
from models.recommend.results import TalentMap
from service.api.regions import COUNTRY, EXAMPLE_REGION, REGION_KINDS, STATE
from service.api.spec import (
    BOOLEAN,
    COUNT,
    ID,
    INTEGER,
    NUMBER,
    STRING,
    array,
    boolean,
    described,
    integer,
    nullable,
    obj,
    operation,
    param,
    text,
)
from service.auth import current_tenant
from service.runtime import runtime
from service.schemas import LIST_ITEM

bp = Blueprint("recommendations", __name__)
GEOJSON = "application/geo+json"
SOC = {"type": "string", "pattern": r"^\d{2}-\d{4}$", "description": "SOC 2018 detailed code, e.g. 49-9081"}
_KIND_LIST = {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "string", "enum": list(REGION_KINDS)}}
_TEXT_LIST = {
    "type": "array",
    "minItems": 1,
    "maxItems": 50,
    "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": LIST_ITEM},
}
NEED_422 = "a SOC code or skills the reference data does not know, or neither need= nor soc= (or skills=) given"

REGION_FILTERS = [
    param("region_kind", schema=_KIND_LIST, description="allowed region kinds, comma-separated"),
    param("exclude_kind", schema=_KIND_LIST, description="region kinds to leave out, e.g. large_metro"),
    param("country", schema=COUNTRY, description="ISO alpha-2"),
    param("state", schema=STATE, description="US state code"),
]

# ---- what the recommendations answer ------------------------------------------------------

_NUMBER_OR_NULL = nullable(NUMBER)
_STRING_OR_NULL = nullable(STRING)
_KIND = {"type": "string", "enum": list(REGION_KINDS)}
_IMPORTANCE = {"type": "string", "enum": ["required", "nice_to_have"]}
_SKILL = obj({"id": described(STRING, "ESCO skill URI"), "label": STRING})
_MATCHED_SKILL = obj(
    {
        "id": described(STRING, "the skill the role asks for"),
        "label": STRING,
        "matched_by": described(STRING, "the profile's skill that covers it (itself or a near-synonym)"),
        "credit": {"type": "number", "minimum": 0, "maximum": 1},
    }
)
_SKILL_MATCHING = {
    "matched_skills": array(_MATCHED_SKILL),
    "missing_skills": array(obj({"id": STRING, "label": STRING, "importance": _IMPORTANCE})),
}
_MARKET_FIGURES = {
    "employment": _NUMBER_OR_NULL,
    "location_quotient": _NUMBER_OR_NULL,
    "median_wage": _NUMBER_OR_NULL,
    "national_median_wage": _NUMBER_OR_NULL,
}
_PLACE = {"id": STRING, "name": STRING, "kind": _KIND, "state": _STRING_OR_NULL, "country": STRING}
_REGION_FACTS = nullable(
    obj(
        {
            **_PLACE,
            **_MARKET_FIGURES,
            "wage_vs_national": _NUMBER_OR_NULL,
            "distance_km": nullable(NUMBER, "from the candidate's region; null when either is unknown"),
        }
    ),
    "where the role is, with the OEWS figures of its occupation there (null where none are published)",
)
_COMPONENTS = obj(
    dict.fromkeys(
        (
            "occupation_fit",
            "skill_fit",
            "required_coverage",
            "nice_coverage",
            "semantic",
            "region_fit",
            "specialisation",
            "demand",
            "wage",
            "reach",
            "micro_hub_bonus",
            "remote_fit",
            "posted_bonus",
        ),
        NUMBER,
    ),
    description="the parts of the score",
)
_ROLE = obj(
    {
        "type": {"type": "string", "enum": ["need", "market"]},
        "need_id": INTEGER,
        "external_id": STRING,
        "title": STRING,
        "soc": _STRING_OR_NULL,
        "employer": _STRING_OR_NULL,
        "remote_policy": {"type": "string", "enum": ["onsite", "hybrid", "remote"]},
        "openings": INTEGER,
        "market": BOOLEAN,
        "note": STRING,
        "relation": {
            "type": "string",
            "enum": ["own", "target", "alternative", "related", "nearest", "other"],
            "description": "how the role's occupation relates to the candidate's",
        },
    },
    optional=("need_id", "external_id", "employer", "remote_policy", "openings", "market", "note"),
    description="a posted need of the tenant (type need), or a market role: an occupation in demand where "
    "no need is posted (type market)",
)
_OCCUPATION = {"soc": STRING, "title": STRING}
MATCHES = obj(
    {
        "candidate_id": INTEGER,
        "anchor": nullable(
            obj(
                {**_OCCUPATION, "uncertain": BOOLEAN, "job_zone": _NUMBER_OR_NULL, "career_target": obj(_OCCUPATION)},
                optional=("career_target",),
            ),
            "the occupation the matches are built around, as the candidate's record was read",
        ),
        "items": array(
            obj(
                {
                    "role": _ROLE,
                    "region": _REGION_FACTS,
                    "score": NUMBER,
                    "step_up": described(BOOLEAN, "a career step above the candidate's occupation"),
                    "beyond_commute": BOOLEAN,
                    "components": _COMPONENTS,
                    "explanation": STRING,
                    **_SKILL_MATCHING,
                }
            )
        ),
    }
)
NEED_CANDIDATES = obj(
    {
        "need_id": INTEGER,
        "total_fitting": described(COUNT, "candidates that fit, before the limit"),
        "total_fitting_approximate": described(
            BOOLEAN, "total_fitting is estimated from a sample of the candidates (tenants of hundreds of thousands)"
        ),
        "items": array(
            obj(
                {
                    "candidate": obj(
                        {
                            "id": INTEGER,
                            "external_id": STRING,
                            "headline": STRING,
                            "region": nullable(obj({"id": STRING, "name": STRING, "kind": _KIND})),
                            "remote_ok": BOOLEAN,
                            "willing_to_relocate": BOOLEAN,
                            "languages": array(STRING),
                        },
                        optional=("languages",),
                    ),
                    "score": NUMBER,
                    "components": _COMPONENTS,
                    **_SKILL_MATCHING,
                    "distance_km": nullable(NUMBER, "from the role's region"),
                }
            )
        ),
    }
)
_MAP_ROLE = obj(
    {
        "title": STRING,
        "soc": _STRING_OR_NULL,
        "required_skills": array(_SKILL),
        "nice_to_have_skills": array(_SKILL),
    }
)
_TALENT_AND_MARKET = {
    "score": NUMBER,
    "candidates": obj({"fitting": COUNT, "median_fit": _NUMBER_OR_NULL}),
    "market": obj(
        {
            **_MARKET_FIGURES,
            "cost_advantage": nullable(NUMBER, "1 - the region's median wage over the national one"),
        }
    ),
}
TALENT_MAP = obj(
    {
        "role": _MAP_ROLE,
        "regions": array(
            obj(
                {
                    "region": obj({**_PLACE, "lat": _NUMBER_OR_NULL, "lon": _NUMBER_OR_NULL, "micro_hub": BOOLEAN}),
                    **_TALENT_AND_MARKET,
                }
            )
        ),
        "approximate": described(
            BOOLEAN,
            "the fitting counts are estimated from a sample of the candidates (tenants of hundreds of thousands)",
        ),
    }
)
TALENT_GEOJSON = obj(
    {
        "type": {"const": "FeatureCollection"},
        "role": _MAP_ROLE,
        "approximate": BOOLEAN,
        "features": array(
            obj(
                {
                    "type": {"const": "Feature"},
                    "geometry": obj(
                        {
                            "type": {"const": "Point"},
                            "coordinates": {**array(NUMBER, "[lon, lat]"), "minItems": 2, "maxItems": 2},
                        }
                    ),
                    "properties": obj({**_PLACE, "micro_hub": BOOLEAN, **_TALENT_AND_MARKET}),
                }
            )
        ),
    },
    description="the same regions as GeoJSON points (regions without coordinates left out)",
)
_PROGRAM_STEP = obj(
    {
        "program": obj(
            {
                "id": INTEGER,
                "external_id": STRING,
                "title": STRING,
                "provider": _STRING_OR_NULL,
                "region_id": _STRING_OR_NULL,
                "delivery": {"type": "string", "enum": ["in_person", "online", "hybrid"]},
                "hours": NUMBER,
                "cost": NUMBER,
                "certification": _STRING_OR_NULL,
                "next_start_date": _STRING_OR_NULL,
            }
        ),
        "place": {"type": "string", "enum": ["local", "online", "elsewhere"]},
        "covers": array(_SKILL),
        "value": NUMBER,
    }
)
GAP = obj(
    {
        "candidate_id": INTEGER,
        "role": obj(
            {
                "type": {"type": "string", "enum": ["need", "market"]},
                "need_id": INTEGER,
                **_OCCUPATION,
                "soc": _STRING_OR_NULL,
                "region_id": _STRING_OR_NULL,
            },
            optional=("need_id", "region_id"),
        ),
        "matched_skills": array(_MATCHED_SKILL),
        "missing_skills": array(
            obj({"id": STRING, "label": STRING, "importance": _IMPORTANCE, "open_needs_in_region": COUNT}),
            "required before nice-to-have, then by the open needs in the candidate's region asking for it",
        ),
        "training_plan": obj(
            {
                "programs": array(_PROGRAM_STEP),
                "total_hours": NUMBER,
                "total_cost": NUMBER,
                "uncovered_skills": array(_SKILL),
                "same_skill_rule": STRING,
            }
        ),
    }
)
REGION_REPORT = obj(
    {
        "region": obj({"id": STRING, "name": STRING, "kind": _KIND}),
        "demand_sources": obj(
            {
                "open_needs": COUNT,
                "openings": COUNT,
                "specialised_occupations": array(
                    obj({**_OCCUPATION, "location_quotient": NUMBER, "employment": NUMBER, "weight": NUMBER})
                ),
            }
        ),
        "supply_sources": obj({"local_candidates": COUNT, "willing_to_relocate_within_km": NUMBER, "movers": COUNT}),
        "gaps": array(
            obj(
                {
                    "id": STRING,
                    "label": STRING,
                    "demand": NUMBER,
                    "supply": NUMBER,
                    "supply_share": NUMBER,
                    "gap": NUMBER,
                }
            )
        ),
        "certification_suggestions": array(
            obj(
                {
                    "skills": array(_SKILL),
                    "open_roles_made_eligible": COUNT,
                    "candidates_made_eligible": COUNT,
                    "existing_programs": array(
                        obj(
                            {
                                "id": INTEGER,
                                "title": STRING,
                                "provider": _STRING_OR_NULL,
                                "teaches": array(STRING),
                                "share": NUMBER,
                            }
                        )
                    ),
                }
            )
        ),
    }
)

# ---- the routes ----------------------------------------------------------------------------


def region_kinds(query: dict) -> tuple[str, ...]:
    """region_kind= and exclude_kind= as the kinds allowed (empty: all)."""
    allowed = query.get("region_kind") or REGION_KINDS
    excluded = query.get("exclude_kind") or ()
    kinds = tuple(k for k in REGION_KINDS if k in allowed and k not in excluded)
    return () if kinds == REGION_KINDS else kinds


@bp.get("/v1/candidates/<int:candidate_id>/matches")
@operation(
    "Ranked (role, region) matches for a candidate: the tenant's open needs and market roles (SOC demand "
    "where no need is posted, flagged), each with score, components, matched and missing skills, region facts",
    tag="recommendations",
    auth="read",
    params=[
        param("candidate_id", "path", schema=ID),
        *REGION_FILTERS,
        param(
            "max_km",
            schema={"type": "number", "minimum": 0, "maximum": 25_000},
            description="maximum distance from the candidate's region",
        ),
        param("remote_only", schema=boolean()),
        param("include_market", schema=boolean(True)),
        param(
            "include_step_ups",
            schema=boolean(),
            description="rank career steps (a job zone above the candidate's occupation) with the other roles "
            "instead of after them",
        ),
        param("limit", schema=integer(1, 200, 20)),
    ],
    response=MATCHES,
    errors=(404, 503),
)
def candidate_matches(candidate_id: int, query: dict):
    filters = MatchFilters(
        kinds=region_kinds(query),
        country=query["country"],
        state=query["state"],
        max_km=query["max_km"],
        remote_only=query["remote_only"],
        include_market=query["include_market"],
        include_step_ups=query["include_step_ups"],
        limit=query["limit"],
    )
    return jsonify(runtime().matcher().candidate_matches(current_tenant(), candidate_id, filters).to_dict())


CANDIDATE_FILTERS = [
    param("exclude_large_metro", schema=boolean()),
    param("within_km", schema={"type": "number", "minimum": 0, "maximum": 25_000}, description="of the role's region"),
    param("remote_ready", schema=boolean()),
    param(
        "languages",
        schema={**_TEXT_LIST, "items": {**_TEXT_LIST["items"], "maxLength": 40}},
        description="all of these (ISO 639-1 codes or English names), comma-separated",
    ),
    param(
        "min_required",
        schema={"type": "number", "minimum": 0, "maximum": 1, "default": 0},
        description="minimum share of required skills covered",
    ),
    param("limit", schema=integer(1, 200, 20)),
]


def candidate_filters(query: dict) -> CandidateFilters:
    """The filters of candidates for a role, from the query parameters CANDIDATE_FILTERS reads
    (the API's and the console's)."""
    return CandidateFilters(
        exclude_large_metro=query["exclude_large_metro"],
        within_km=query["within_km"],
        remote_ready=query["remote_ready"],
        languages=tuple(dict.fromkeys(query["languages"] or ())),
        min_required=query["min_required"],
        limit=query["limit"],
    )


@bp.get("/v1/needs/<int:need_id>/candidates")
@operation(
    "Ranked candidates for a role, explained; for sourcing outside the big metros",
    tag="recommendations",
    auth="read",
    params=[param("need_id", "path", schema=ID), *CANDIDATE_FILTERS],
    response=NEED_CANDIDATES,
    errors=(404, 503),
)
def need_candidates(need_id: int, query: dict):
    filters = candidate_filters(query)
    return jsonify(runtime().matcher().need_candidates(current_tenant(), need_id, filters).to_dict())


TALENT_MAP_PARAMS = [
    param("need", schema=ID, description="a need of the tenant (404 if there is none)"),
    param("skills", schema=_TEXT_LIST, description="comma-separated skills (text or ESCO URIs)"),
    param("soc", schema=SOC, example="49-9081"),
    *REGION_FILTERS,
    param("limit", schema=integer(1, 500, 50)),
]


def talent_map_result(tenant: int, query: dict) -> TalentMap:
    """Regions ranked by talent for the role the query names (need=, or skills= and soc=),
    within its region filters: the query parameters TALENT_MAP_PARAMS reads (the API's and the
    console's map)."""
    matcher = runtime().matcher()
    if query["need"] is not None:
        need, vec = matcher.record(tenant, "need", query["need"])
        role = (need.required, need.nice, vec, need.soc, need.title)
    else:
        role = matcher.role_from_query(list(dict.fromkeys(query["skills"] or ())), query["soc"])
    filters = MatchFilters(
        kinds=region_kinds(query), country=query["country"], state=query["state"], limit=query["limit"]
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
    return {
        "type": "FeatureCollection",
        "role": result["role"],
        "approximate": result["approximate"],
        "features": features,
    }


@bp.get("/v1/talent-map")
@operation(
    "Regions ranked by talent for a role (need=<id>, or skills=…&soc=…): the tenant's fitting candidates "
    "(count, median fit) and the market (employment, location quotient, wage and cost advantage); "
    "GeoJSON with Accept: application/geo+json",
    tag="recommendations",
    auth="read",
    params=TALENT_MAP_PARAMS,
    response=TALENT_MAP,
    alternatives={GEOJSON: TALENT_GEOJSON},
    errors=(404, 422, 503),
    explain={422: NEED_422},
)
def talent_map(query: dict):
    result = talent_map_result(current_tenant(), query).to_dict()
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
    auth="read",
    params=[
        param("candidate_id", "path", schema=ID),
        param("need", schema=ID, description="a need of the tenant (404 if there is none)"),
        param("soc", schema=SOC, description="a market role, when need= is not given", example="49-9081"),
    ],
    response=GAP,
    errors=(404, 422, 503),
    explain={422: NEED_422},
)
def candidate_gap(candidate_id: int, query: dict):
    if query["need"] is None and query["soc"] is None:
        raise InvalidInput(
            "give need=<id> or soc=<SOC code>", {"parameters": ["need", "soc"]}, code="missing_parameter"
        )
    return jsonify(
        runtime().gaps().candidate_gap(current_tenant(), candidate_id, query["need"], query["soc"]).to_dict()
    )


@bp.get("/v1/regions/<region_id>/skill-gaps")
@operation(
    "Training-centre report: skills employers in the region need that local candidates lack, with demand and "
    "supply figures, and certification suggestions (skill bundles demanded together)",
    tag="recommendations",
    auth="read",
    params=[
        param("region_id", "path", schema=text(100), example=EXAMPLE_REGION),
        param("limit", schema=integer(1, 200, 30)),
    ],
    response=REGION_REPORT,
    errors=(404, 503),
)
def region_skill_gaps(region_id: str, query: dict):
    tenant = current_tenant()
    runtime_ = runtime()
    if runtime_.require_reference().regions.get(region_id) is None:
        raise NotFound(f"no region {region_id!r}", {"id": region_id})
    return jsonify(runtime_.gaps().region_report(tenant, region_id, query["limit"]).to_dict())
