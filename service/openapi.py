"""The OpenAPI 3.1 document, generated from the routes and their `operation` declarations
(service/api/spec.py): the schemas published here are the ones requests are checked with."""

from __future__ import annotations

import re

from flask import Flask

from service.api.spec import ERROR_SCHEMA

_STATUS_TEXT = {
    400: "The request does not match its schema (details.errors: the JSON path of each problem), or its "
    "body is not valid JSON or UTF-8",
    401: "Missing, unknown, revoked or expired API key",
    403: "A read-only API key cannot write",
    404: "Not found (another tenant's records are not found either)",
    409: "Conflict",
    413: "Body too large",
    414: "Request line (method, path and query) longer than 8,190 bytes: refused before the route runs",
    415: "Unsupported media type: the body is sent as another type than the one documented",
    422: "The request matches its schema but cannot be carried out",
    429: "Too many requests (Retry-After says when to try again)",
    500: "Internal error (no details are disclosed)",
    503: "Not ready, or the database is not answering (Retry-After says when to try again)",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}
_REQUEST_ID = {
    "X-Request-Id": {
        "description": "the request's id (the client's own when it sent a plain token), also in error bodies and logs",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    }
}


def _path(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def _operation_id(endpoint: str, method: str) -> str:
    return f"{endpoint}_{method.lower()}".replace(".", "_")


def _operation(rule, method: str, meta: dict) -> dict:
    success: dict = {"description": "Created" if meta["success"] == 201 else "OK", "headers": dict(_REQUEST_ID)}
    if meta["content_type"] is not None:
        success["content"] = {meta["content_type"]: {"schema": meta["response"]}}
        success["content"].update({media: {"schema": schema} for media, schema in meta["alternatives"].items()})
    if meta["headers"]:
        success["headers"].update(meta["headers"])
    if meta["links"]:
        success["links"] = meta["links"]
    op: dict = {
        "summary": meta["summary"],
        "operationId": _operation_id(rule.endpoint, method),
        "tags": [meta["tag"]],
        "parameters": meta["params"],
        "responses": {str(meta["success"]): success, **meta["responses"]},
    }
    if meta["auth"]:
        op["security"] = [{"apiKey": []}]
    if meta["body"] is not None:
        op["requestBody"] = {"required": True, "content": {meta["body_content_type"]: {"schema": meta["body"]}}}
    for status in meta["statuses"]:
        explained = meta["explain"].get(status)
        response = {
            "description": _STATUS_TEXT[status] + (f": {explained}" if explained else ""),
            "headers": dict(_REQUEST_ID),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        if status in (429, 503):
            response["headers"].update(_RETRY_AFTER)
        op["responses"][str(status)] = response
    return op


def build_document(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "openapi", None)
        if meta is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(_path(rule.rule), {})[method.lower()] = _operation(rule, method, meta)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Talent matching for regional hubs",
            "version": "1.0.0",
            "description": "ESCO skills, SOC occupations and regions; tenant records and recommendations. Every "
            "request is checked against the schemas published here (JSON Schema 2020-12, formats checked); every "
            "error has the shape of the Error schema. NDJSON bodies (bulk import, export) are described as the "
            "array of their lines.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "the tenant's API key"}},
        },
    }
