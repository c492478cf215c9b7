"""GET /v1/audit: the tenant's own audit log (models/store/audit.py)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from models.store import audit
from service.api.spec import operation, param
from service.auth import current_tenant
from service.runtime import runtime
from service.validation import query_int

bp = Blueprint("audit", __name__)

EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "key_prefix": {
            "type": ["string", "null"],
            "description": "the first characters of the acting API key; null: an operator's command",
        },
        "action": {
            "type": "string",
            "description": "create, replace, patch, delete (erasure), bulk, export; upsert/delete without a key",
        },
        "kind": {"type": ["string", "null"]},
        "record_id": {"type": ["integer", "null"], "description": "the record written, when one was"},
        "count": {"type": "integer", "description": "records written, erased or exported"},
        "request_id": {"type": ["string", "null"]},
    },
}


@bp.get("/v1/audit")
@operation(
    "The tenant's audit log, oldest first: every write, bulk import, export and erasure, with the acting key's "
    "prefix; never record contents",
    tag="audit",
    params=[
        param(
            "after", schema={"type": "integer", "minimum": 0, "default": 0}, description="events after this id (paging)"
        ),
        param("limit", schema={"type": "integer", "minimum": 1, "maximum": audit.MAX_PAGE, "default": 100}),
    ],
    response={
        "type": "object",
        "properties": {"events": {"type": "array", "items": EVENT_SCHEMA}, "next_after": {"type": ["integer", "null"]}},
    },
    errors=(400, 401, 503),
)
def audit_log():
    tenant = current_tenant()
    after = query_int(request.args, "after", 0, 0, 2**62)
    limit = query_int(request.args, "limit", 100, 1, audit.MAX_PAGE)
    events = audit.events(runtime().database, tenant, after, limit)
    return jsonify({"events": events, "next_after": events[-1]["id"] if len(events) == limit else None})
