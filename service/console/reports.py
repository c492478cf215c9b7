"""Region report (training centres): demand against supply, the largest skill gaps as a chart,
certification suggestions with the programmes that teach them; CSV and XLSX downloads."""

from __future__ import annotations

from flask import Response, render_template, request

from models.core.errors import NotFound
from service.console import tables
from service.console.blueprint import bp
from service.console.helpers import region_of, tenant
from service.runtime import runtime
from service.validation import query_str

GAPS = 30
CHART_BARS = 12


def _report(region_id: str) -> dict:
    if region_of(region_id) is None:
        raise NotFound(f"no region {region_id!r}", {"id": region_id})
    report = runtime().gaps().region_report(tenant(), region_id, GAPS).to_dict()
    programs = runtime().matcher().indexes.view(tenant(), "program").rows
    for bundle in report["certification_suggestions"]:
        for p in bundle["existing_programs"]:
            f = programs.get(p["id"])
            local = f is not None and f.region_id == region_id
            p["place"] = "local" if local else f.delivery if f is not None and f.delivery == "online" else "elsewhere"
        bundle["existing_programs"].sort(key=lambda p: (p["place"] != "local", p["place"] != "online", -p["share"]))
    return report


def _report_regions() -> list:
    """Regions where the tenant has open needs, for the picker (by name)."""
    needs = runtime().matcher().indexes.view(tenant(), "need").rows.values()
    ids = {f.region_id for f in needs if f.status == "open" and f.region_id}
    return sorted((r for r in map(region_of, ids) if r is not None), key=lambda r: r.name)


def chart_bars(gaps: list[dict], width: int = 320) -> list[dict]:
    """The largest gaps as bar lengths (0..width, SVG units) for the report's SVG chart."""
    top = gaps[:CHART_BARS]
    largest = max((g["gap"] for g in top), default=0) or 1
    return [{**g, "length": round(width * g["gap"] / largest, 2)} for g in top]


@bp.get("/report")
def report():
    region_id = query_str(request.args, "region", max_length=40)
    place = query_str(request.args, "place", max_length=200)
    resolved_from = None
    if place and not region_id:
        found = runtime().require_reference().regions.resolve(place, limit=1)
        if not found:
            raise NotFound(f"no region matches {place!r}", {"place": place})
        region_id, resolved_from = found[0][0].id, place
    data = _report(region_id) if region_id else None
    return render_template(
        "report.html",
        regions=_report_regions(),
        region_id=region_id or "",
        region=region_of(region_id),
        resolved_from=resolved_from,
        report=data,
        bars=chart_bars(data["gaps"]) if data else [],
    )


@bp.get("/report.csv")
def report_csv():
    region_id = query_str(request.args, "region", required=True, max_length=40)
    body = tables.gaps_csv(_report(region_id))
    return _download(body, "text/csv; charset=utf-8", f"skill-gaps-{region_id}.csv")


@bp.get("/report.xlsx")
def report_xlsx():
    region_id = query_str(request.args, "region", required=True, max_length=40)
    body = tables.report_xlsx(_report(region_id))
    return _download(body, tables.XLSX, f"skill-gaps-{region_id}.xlsx")


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
