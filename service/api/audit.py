"""GET /v1/audit: the tenant's own audit log (models/tenants/store/audit.py)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from models.tenants.store import audit
from service.api.spec import INTEGER, STRING, array, described, integer, nullable, obj, operation, param
from service.auth import current_tenant
from service.runtime import runtime

bp = Blueprint("audit", __name__)

EVENT_SCHEMA = obj(
    {
        "id": INTEGER,
        "at": {"type": "string", "format": "date-time"},
        "key_prefix": nullable(STRING, "the first characters of the acting API key; null: an operator's command"),
        "action": described(
            STRING, "create, replace, patch, delete (erasure), bulk, export; upsert/delete without a key"
        ),
        "kind": nullable(STRING),
        "record_id": nullable(INTEGER, "the record written, when one was"),
        "count": described(INTEGER, "records written, erased or exported"),
        "request_id": nullable(STRING),
    }
)


@bp.get("/v1/audit")
@operation(
    "The tenant's audit log, oldest first: every write, bulk import, export and erasure, with the acting key's "
    "prefix; never record contents",
    tag="audit",
    auth="read",
    params=[
        param("after", schema=integer(0, 2**62, 0), description="events after this id (paging)"),
        param("limit", schema=integer(1, audit.MAX_PAGE, 100)),
    ],
    response=obj({"events": array(EVENT_SCHEMA), "next_after": nullable(INTEGER)}),
    errors=(503,),
)
def audit_log(query: dict):
    limit = query["limit"]
    events = audit.events(runtime().database, current_tenant(), query["after"], limit)
    return jsonify({"events": events, "next_after": events[-1]["id"] if len(events) == limit else None})
