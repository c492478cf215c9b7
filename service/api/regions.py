"""Regions: OEWS metropolitan and nonmetropolitan areas, and world cities."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, request

from models.errors import InvalidInput, NotFound
from service.api.spec import operation, param
from service.runtime import reference
from service.validation import query_int, query_str

bp = Blueprint("regions", __name__, url_prefix="/v1/regions")
KINDS = ("large_metro", "metro", "micro_hub")

REGION = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "oews-<area code> or gn-<GeoNames id>"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": list(KINDS)},
        "country": {"type": "string"},
        "state": {"type": ["string", "null"]},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "population": {"type": ["integer", "null"]},
        "total_employment": {"type": ["integer", "null"]},
        "source": {"type": "string"},
    },
}


def region_json(region) -> dict:
    return asdict(region)


@bp.get("")
@operation(
    "List regions, filtered",
    tag="regions",
    params=[
        param("kind", schema={"type": "string", "enum": list(KINDS)}),
        param("country", description="ISO 3166 alpha-2, e.g. US"),
        param("state", description="US state code, e.g. IN"),
        param("q", description="name contains"),
        param("limit", schema={"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
        param("offset", schema={"type": "integer", "minimum": 0, "default": 0}),
    ],
    response={
        "type": "object",
        "properties": {"total": {"type": "integer"}, "regions": {"type": "array", "items": REGION}},
    },
    errors=(400, 503),
)
def list_regions():
    kind = query_str(request.args, "kind")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind must be one of {list(KINDS)}", {"parameter": "kind", "value": kind})
    limit = query_int(request.args, "limit", 100, 1, 1000)
    offset = query_int(request.args, "offset", 0, 0, 10**7)
    total, items = reference().regions.list(
        kind=kind,
        country=query_str(request.args, "country", max_length=2),
        state=query_str(request.args, "state", max_length=3),
        q=query_str(request.args, "q", max_length=200),
        limit=limit,
        offset=offset,
    )
    return jsonify({"total": total, "limit": limit, "offset": offset, "regions": [region_json(r) for r in items]})


@bp.get("/resolve")
@operation(
    "Resolve a free-text location ('Fort Wayne, IN', 'Da Nang, Vietnam') to regions, best first",
    tag="regions",
    params=[
        param("q", required=True, description="free-text location"),
        param("limit", schema={"type": "integer", "minimum": 1, "maximum": 20, "default": 5}),
    ],
    response={"type": "object", "properties": {"matches": {"type": "array", "items": {"type": "object"}}}},
    errors=(400, 503),
)
def resolve_region():
    q = query_str(request.args, "q", required=True, max_length=200)
    limit = query_int(request.args, "limit", 5, 1, 20)
    matches = reference().regions.resolve(q, limit=limit)
    return jsonify(
        {
            "query": q,
            "matches": [
                {"region": region_json(r), "score": round(float(s), 4), "reason": why} for r, s, why in matches
            ],
        }
    )


@bp.get("/<region_id>")
@operation(
    "One region with its labour statistics per SOC occupation (OEWS areas only)",
    tag="regions",
    params=[
        param("region_id", "path"),
        param(
            "limit",
            schema={"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
            description="occupations listed, by employment",
        ),
    ],
    response={"type": "object", "properties": {"region": REGION, "statistics": {"type": "object"}}},
    errors=(400, 404, 503),
)
def get_region(region_id: str):
    regions = reference().regions
    region = regions.get(region_id)
    if region is None:
        raise NotFound(f"no region {region_id!r}", {"id": region_id})
    limit = query_int(request.args, "limit", 50, 1, 1000)
    return jsonify({"region": region_json(region), "statistics": regions.stats(region_id, limit=limit)})
