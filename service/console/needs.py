"""Needs (recruiters): list, create and edit in a form, and one need with what was understood,
its ranked candidates under the API's filters, and a map of where the fitting talent is."""

from __future__ import annotations

import secrets

from flask import redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from models.core.errors import DomainError, InvalidInput
from service.api.recommendations import CANDIDATE_FILTERS, TALENT_MAP_PARAMS, candidate_filters, talent_map_result
from service.auth import current_tenant
from service.console.blueprint import bp
from service.console.helpers import PAGE_SIZE, occupation_title, record_context, region_of, tenant
from service.console.talent import map_points
from service.runtime import runtime
from service.schemas import NEED
from service.validation import check_document, given, parse_query, query_int

FORM_FIELDS = (
    "external_id",
    "employer",
    "title",
    "description",
    "required_skills",
    "nice_to_have_skills",
    "location",
    "remote_policy",
    "openings",
    "status",
)
MAP_REGIONS = 15  # the best regions only: the table sits beside the map


@bp.get("/needs")
def needs():
    rows = runtime().matcher().indexes.view(tenant(), "need").rows
    page = query_int(request.args, "page", 1, 1, 100_000)
    ordered = sorted(rows.values(), key=lambda f: -f.id)
    shown = [
        {"need": f, "region": region_of(f.region_id), "occupation": occupation_title(f.soc)}
        for f in ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    return render_template("needs.html", rows=shown, total=len(ordered), page=page, pages=pages, args=request.args)


def _lines(text: str) -> list[str]:
    """Skills typed one a line (commas separate too)."""
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def document_from_form(form: MultiDict) -> dict:
    """The need as the API would receive it; empty fields left out."""
    doc: dict = {}
    for name in ("external_id", "employer", "title", "description", "location", "remote_policy", "status"):
        value = form.get(name, "").strip()
        if value:
            doc[name] = value
    for name in ("required_skills", "nice_to_have_skills"):
        skills = _lines(form.get(name, ""))
        if skills:
            doc[name] = skills
    openings = form.get("openings", "").strip()
    if openings:
        if not openings.isdigit():
            raise InvalidInput(
                "openings must be a whole number",
                {"errors": [{"path": "$.openings", "message": "a whole number"}]},
            )
        doc["openings"] = int(openings)
    return doc


def form_from_document(doc: dict) -> dict:
    form = {name: doc.get(name, "") for name in FORM_FIELDS}
    for name in ("required_skills", "nice_to_have_skills"):
        form[name] = "\n".join(s if isinstance(s, str) else s.get("skill", "") for s in doc.get(name, []))
    form["openings"] = str(doc.get("openings", ""))
    return form


def _save(need_id: int | None):
    """Create or replace from the posted form; on a refusal, the form again with the reasons."""
    form = request.form
    try:
        doc = document_from_form(form)
        if need_id is None:
            doc.setdefault("external_id", "console-" + secrets.token_hex(6))
        doc = check_document(doc, NEED)
        records = runtime().records()
        tenant_id = current_tenant(write=True)  # a read-only key: 403
        saved = (
            records.create(tenant_id, "need", doc)
            if need_id is None
            else records.replace(tenant_id, "need", need_id, doc)
        )
    except DomainError as exc:
        if exc.status not in (400, 409):
            raise
        problems = (exc.details or {}).get("errors") or []
        page = render_template("need_form.html", form=form, need_id=need_id, error=exc.message, problems=problems)
        return page, exc.status
    return redirect(url_for("console.need", need_id=saved["id"], saved=1), code=303)


@bp.route("/needs/new", methods=["GET", "POST"])
def need_new():
    if request.method == "POST":
        return _save(None)
    form = {name: "" for name in FORM_FIELDS} | {"remote_policy": "onsite", "openings": "1", "status": "open"}
    return render_template("need_form.html", form=form, need_id=None)


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
def need_edit(need_id: int):
    record = runtime().records().get(tenant(), "need", need_id)
    if request.method == "POST":
        return _save(need_id)
    form = form_from_document(record["data"])
    return render_template("need_form.html", form=form, need_id=need_id)


@bp.get("/needs/<int:need_id>")
def need(need_id: int):
    rt = runtime()
    record = rt.records().get(tenant(), "need", need_id)
    args = request.args
    result = (
        rt.matcher()
        .need_candidates(tenant(), need_id, candidate_filters(parse_query(given(args), CANDIDATE_FILTERS)))
        .to_dict()
    )
    # the map follows the filter that is about places: outside large metros leaves them off
    map_args = MultiDict({"need": str(need_id), "limit": str(MAP_REGIONS)})
    if args.get("exclude_large_metro") == "true":
        map_args["exclude_kind"] = "large_metro"
    points = map_points(talent_map_result(tenant(), parse_query(map_args, TALENT_MAP_PARAMS)).to_dict(), tenant())
    return render_template(
        "need.html",
        **record_context(record),
        result=result,
        points=points,
        args=args,
        saved=args.get("saved") == "1",
    )
