"""The OpenAPI 3.1 document, generated from the routes and their `operation` metadata."""

from __future__ import annotations

import re

from flask import Flask

from service.api.spec import ERROR_SCHEMA

_STATUS_TEXT = {
    400: "Invalid request",
    401: "Missing, unknown, revoked or expired API key",
    403: "A read-only API key cannot write",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Body too large",
    415: "Unsupported media type",
    429: "Too many requests (Retry-After says when to try again)",
    503: "Not ready, or the database is not answering (Retry-After says when to try again)",
}


def _path(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def build_document(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "openapi", None)
        if meta is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict = {
                "summary": meta["summary"],
                "operationId": f"{rule.endpoint}_{method.lower()}".replace(".", "_"),
                "tags": [meta["tag"]],
                "parameters": meta["params"],
                "responses": {
                    str(meta["success"]): {
                        "description": "Created" if meta["success"] == 201 else "OK",
                        "content": {meta["content_type"]: {"schema": meta["response"]}},
                    },
                    **meta["extra_responses"],
                },
            }
            if 401 in meta["errors"]:
                op["security"] = [{"apiKey": []}]
            if meta["body"] is not None:
                op["requestBody"] = {"required": True, "content": {meta["body_content_type"]: {"schema": meta["body"]}}}
            keyed = {429} if 401 in meta["errors"] else set()  # rate limits apply to keyed requests
            for status in sorted({*meta["errors"], *keyed, 405}):
                op["responses"][str(status)] = {
                    "description": _STATUS_TEXT.get(status, "Error"),
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                if status in (429, 503):
                    op["responses"][str(status)]["headers"] = {
                        "Retry-After": {
                            "description": "seconds to wait before trying again",
                            "schema": {"type": "integer"},
                        }
                    }
            op["responses"]["500"] = {
                "description": "Internal error (no details are disclosed)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            paths.setdefault(_path(rule.rule), {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Talent matching for regional hubs",
            "version": "1.0.0",
            "description": "ESCO skills, SOC occupations and regions; every error has the shape of the Error schema.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "the tenant's API key"}},
        },
    }
