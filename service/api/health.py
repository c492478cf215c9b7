"""Liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from service.api.spec import COUNT, STRING, described, obj, operation
from service.errors import error_response
from service.runtime import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation(
    "Liveness: the process answers",
    tag="meta",
    response=obj({"status": {"const": "ok"}}),
)
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@operation(
    "Readiness: 200 once the reference pack and its indices are loaded, else 503",
    tag="meta",
    response=obj(
        {
            "status": {"const": "ready"},
            "skills": COUNT,
            "occupations": COUNT,
            "regions": COUNT,
            "encoder": described(STRING, "the sentence encoder's fingerprint"),
        }
    ),
    errors=(503,),
)
def readyz():
    rt = runtime()
    if not rt.ready:
        status = "failed" if rt.load_error else "loading"
        return error_response(503, "not_ready", f"reference pack {status}", {"reason": rt.load_error})
    ref = rt.reference
    return jsonify(
        {
            "status": "ready",
            "skills": len(ref.skills),
            "occupations": len(ref.titles.socs),
            "regions": len(ref.regions),
            "encoder": ref.encoder.fingerprint,
        }
    )


@bp.get("/v1/openapi.json")
@operation(
    "This OpenAPI 3.1 document",
    tag="meta",
    response=obj(
        {
            "openapi": {"type": "string", "pattern": "^3\\.1\\."},
            "info": {"type": "object"},
            "paths": {"type": "object"},
            "components": {"type": "object"},
        }
    ),
)
def openapi():
    from service.openapi import build_document

    return jsonify(build_document(current_app))
