"""Regions: OEWS metropolitan and nonmetropolitan areas, and world cities."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify

from models.core.errors import NotFound
from models.reference.regions import REGION_KINDS
from service.api.spec import (
    BOOLEAN,
    COUNT,
    INTEGER,
    NUMBER,
    STRING,
    array,
    described,
    integer,
    nullable,
    obj,
    operation,
    param,
    text,
)
from service.runtime import reference

bp = Blueprint("regions", __name__, url_prefix="/v1/regions")

_NUMBER_OR_NULL = nullable(NUMBER)
COUNTRY = {"type": "string", "pattern": "^[A-Za-z]{2}$"}
STATE = text(3)
REGION_ID = text(100, "oews-<area code> or gn-<GeoNames id>")
EXAMPLE_REGION = "oews-0023060"  # Fort Wayne, IN
REGION = obj(
    {
        "id": described(STRING, "oews-<area code> or gn-<GeoNames id>"),
        "name": STRING,
        "kind": {"type": "string", "enum": list(REGION_KINDS)},
        "country": STRING,
        "state": nullable(STRING),
        "lat": NUMBER,
        "lon": NUMBER,
        "population": nullable(INTEGER),
        "total_employment": nullable(INTEGER),
        "source": {"type": "string", "enum": ["oews", "geonames"]},
    }
)
_FIGURES = ("employment", "median_wage", "per_1000", "location_quotient", "national_employment")
OCCUPATION_STATISTICS = obj(
    {
        "soc": STRING,
        "title": STRING,
        **dict.fromkeys(_FIGURES, _NUMBER_OR_NULL),
        "median_wage_topcoded": BOOLEAN,
        "national_median_wage": _NUMBER_OR_NULL,
        "national_median_wage_topcoded": BOOLEAN,
        "national_per_1000": _NUMBER_OR_NULL,
        "wage_vs_national": _NUMBER_OR_NULL,
    },
    description="OEWS figures of one occupation in the region (null where OEWS publishes none)",
)
STATISTICS = {
    "type": "object",
    "description": "SOC code -> its figures, largest employment first; empty for world cities",
    "additionalProperties": OCCUPATION_STATISTICS,
}
RESOLVED = obj(
    {
        "query": STRING,
        "matches": array(
            obj({"region": REGION, "score": {"type": "number", "minimum": 0, "maximum": 1}, "reason": STRING})
        ),
    }
)


def region_json(region) -> dict:
    return asdict(region)


@bp.get("")
@operation(
    "List regions, filtered",
    tag="regions",
    params=[
        param("kind", schema={"type": "string", "enum": list(REGION_KINDS)}, example="micro_hub"),
        param("country", schema=COUNTRY, description="ISO 3166 alpha-2", example="US"),
        param("state", schema=STATE, description="US state code", example="IN"),
        param("q", schema=text(200), description="name contains"),
        param("limit", schema=integer(1, 1000, 100)),
        param("offset", schema=integer(0, 10**7, 0)),
    ],
    response=obj({"total": COUNT, "limit": INTEGER, "offset": INTEGER, "regions": array(REGION)}),
    errors=(503,),
)
def list_regions(query: dict):
    total, items = reference().regions.list(
        kind=query["kind"],
        country=query["country"],
        state=query["state"],
        q=query["q"],
        limit=query["limit"],
        offset=query["offset"],
    )
    return jsonify(
        {"total": total, "limit": query["limit"], "offset": query["offset"], "regions": [region_json(r) for r in items]}
    )


@bp.get("/resolve")
@operation(
    "Resolve a free-text location ('Fort Wayne, IN', 'Da Nang, Vietnam') to regions, best first",
    tag="regions",
    params=[
        param("q", required=True, schema=text(200), description="free-text location", example="Fort Wayne, IN"),
        param("limit", schema=integer(1, 20, 5)),
    ],
    response=RESOLVED,
    errors=(503,),
)
def resolve_region(query: dict):
    matches = reference().regions.resolve(query["q"], limit=query["limit"])
    return jsonify(
        {
            "query": query["q"],
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
        param("region_id", "path", schema=REGION_ID, example=EXAMPLE_REGION),
        param("limit", schema=integer(1, 1000, 50), description="occupations listed, by employment"),
    ],
    response=obj({"region": REGION, "statistics": STATISTICS}),
    errors=(404, 503),
)
def get_region(region_id: str, query: dict):
    regions = reference().regions
    region = regions.get(region_id)
    if region is None:
        raise NotFound(f"no region {region_id!r}", {"id": region_id})
    return jsonify({"region": region_json(region), "statistics": regions.stats(region_id, limit=query["limit"])})
