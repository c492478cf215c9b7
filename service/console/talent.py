"""Talent map: regions ranked by talent for a need or an occupation, on a map of US states
with a table beside it. The map's data travels in a data- attribute (no inline script)."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.datastructures import MultiDict

from models.recommend.candidate_search import region_counts
from service.api.recommendations import TALENT_MAP_PARAMS, talent_map_result
from service.api.regions import REGION_KINDS
from service.console.blueprint import bp
from service.console.helpers import tenant
from service.runtime import runtime
from service.validation import parse_query, query_int, query_list, query_str

MAP_REGIONS = 30


def map_points(result: dict, tenant_id: int) -> list[dict]:
    """One row per region the talent map ranked, with what its bubble and facts panel show."""
    counts = region_counts(runtime().matcher(), tenant_id)
    points = []
    for rank, row in enumerate(result["regions"], start=1):
        region, market = row["region"], row["market"]
        points.append(
            {
                "rank": rank,
                "id": region["id"],
                "name": region["name"],
                "kind": region["kind"],
                "state": region["state"],
                "lat": region["lat"],
                "lon": region["lon"],
                "micro_hub": region["micro_hub"],
                "score": row["score"],
                "fitting": row["candidates"]["fitting"],
                "median_fit": row["candidates"]["median_fit"],
                "local_candidates": counts.get(region["id"], 0),
                "employment": market["employment"],
                "location_quotient": market["location_quotient"],
                "median_wage": market["median_wage"],
            }
        )
    return points


@bp.get("/talent-map")
def talent_map():
    args = request.args
    need_id = query_int(args, "need", 0, 0, 2**62) or None
    soc = query_str(args, "soc", max_length=7)
    kinds = query_list(args, "kind", REGION_KINDS)
    open_needs = sorted(
        (f for f in runtime().matcher().indexes.view(tenant(), "need").rows.values() if f.status == "open"),
        key=lambda f: (f.title.lower(), f.id),
    )
    result, points = None, []
    if need_id or soc:
        query = MultiDict({"limit": str(MAP_REGIONS)})
        if need_id:
            query["need"] = str(need_id)
        else:
            query["soc"] = soc
        if kinds:
            query["region_kind"] = ",".join(kinds)
        result = talent_map_result(tenant(), parse_query(query, TALENT_MAP_PARAMS)).to_dict()
        points = map_points(result, tenant())
    return render_template(
        "talent_map.html",
        open_needs=open_needs,
        need_id=need_id,
        soc=soc or "",
        kinds=REGION_KINDS,
        chosen_kinds=kinds,
        result=result,
        points=points,
    )
