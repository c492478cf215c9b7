"""What each endpoint accepts and answers, declared once: `operation` publishes it in the
OpenAPI document (openapi.py) and enforces it on every request, with the same schemas.

An operation's view runs only once the request has passed, in this order: the API key (401;
403 for a read-only key where the operation writes), the body's media type (415), its size
(413), JSON or NDJSON syntax (400), the query parameters' and the body's schemas (400, every
problem with its JSON path). The view gets the typed query parameters as `query` and the
checked body as `body`. A request that has passed its schema and is still refused by the
service (it names a region, SOC code or skill the reference data does not hold, misses a
parameter only a combination of parameters makes required, ...) gets 422, not 400: 400 always
means the request does not match the published schema.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, request

from models.core.errors import InvalidInput
from service.auth import current_tenant
from service.errors import UnsupportedMediaType
from service.schemas import NOT_BLANK
from service.validation import check_document, decode_body, parse_json, parse_query, refuse_unknown

JSON = "application/json"
NDJSON = "application/x-ndjson"
MAX_ID = 2**63 - 1  # the largest id a record can have

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "request_id"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "stable machine-readable code"},
                "message": {"type": "string", "description": "what went wrong, for people"},
                "details": {
                    "description": "structured details or null; for a request that does not match its schema, "
                    "`errors`: [{path, message}], the JSON path of each problem ($.<field> in the body, "
                    "$.<name> for a query parameter)"
                },
                "request_id": {
                    "type": ["string", "null"],
                    "description": "the request's id, also in the X-Request-Id header and "
                    "the service's log lines; a client's own X-Request-Id (1-64 of A-Z a-z 0-9 . _ : -) is kept",
                },
            },
        }
    },
}


def text(max_length: int = 500, description: str = "", **extra: Any) -> dict:
    """A string that is not blank and holds no NUL character."""
    schema = {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NOT_BLANK, **extra}
    if description:
        schema["description"] = description
    return schema


def integer(minimum: int, maximum: int, default: int | None = None) -> dict:
    schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
    if default is not None:
        schema["default"] = default
    return schema


def boolean(default: bool = False) -> dict:
    return {"type": "boolean", "default": default}


ID = integer(1, MAX_ID)

# ---- the vocabulary of the answers' schemas -------------------------------------------------

STRING = {"type": "string"}
NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
COUNT = {"type": "integer", "minimum": 0}


def nullable(schema: dict, description: str = "") -> dict:
    """`schema` or null (a type, or an object schema)."""
    out = {**schema, "type": [schema["type"], "null"]}
    if description:
        out["description"] = description
    return out


def described(schema: dict, description: str) -> dict:
    return {**schema, "description": description}


def obj(properties: dict, *, optional: tuple[str, ...] = (), description: str = "") -> dict:
    """An object with these properties, each present unless named in `optional`."""
    out = {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }
    if description:
        out["description"] = description
    return out


def array(items: dict, description: str = "") -> dict:
    out = {"type": "array", "items": items}
    if description:
        out["description"] = description
    return out


def param(
    name: str,
    where: str = "query",
    *,
    required: bool = False,
    schema: dict | None = None,
    description: str = "",
    example: Any = None,
) -> dict:
    """An OpenAPI parameter object; a list travels comma-separated (explode: false), and the
    parameter may also be repeated."""
    schema = schema or text()
    out = {"name": name, "in": where, "required": required or where == "path", "schema": schema}
    if description:
        out["description"] = description
    if example is not None:
        out["example"] = example
    if schema.get("type") == "array":
        out.update(style="form", explode=False)
    return out


def _media_type_ok(expected: str) -> bool:
    sent = request.mimetype
    if not sent:  # no Content-Type: read as the operation's own media type
        return True
    if expected == JSON:
        return sent == JSON or sent.endswith("+json")
    return sent == expected


def operation(
    summary: str,
    *,
    tag: str,
    auth: str | None = None,
    params: list[dict] | None = None,
    body: dict | None = None,
    body_content_type: str = JSON,
    body_limit: str = "max_body_bytes",
    read_body: Callable[[str, Any], Any] | None = None,
    protect: bool = False,
    response: dict | None = None,
    content_type: str | None = JSON,
    alternatives: dict[str, dict] | None = None,
    errors: tuple[int, ...] = (),
    explain: dict[int, str] | None = None,
    responses: dict[str, Any] | None = None,
    links: dict[str, dict] | None = None,
    headers: dict[str, dict] | None = None,
    success: int = 200,
) -> Callable:
    """Describe an endpoint and check its requests (see the module's docstring).

    auth: None, "read" or "write" (a read-only key gets 403). body: the JSON Schema of the body;
    `read_body(text, settings)` reads a body that is not one JSON document (NDJSON). protect:
    protected attributes are refused by name. alternatives: other media types of the answer
    (chosen by the Accept header) and their schemas. errors: the statuses the view itself can answer
    besides those that follow from the above (404, 409, 422, 503), with `explain` saying when."""
    params = params or []
    query = [p for p in params if p["in"] == "query"]

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def view(*args: Any, **kwargs: Any) -> Any:
            if auth is not None:
                current_tenant(write=auth == "write")
            refuse_unknown(request.args, query)
            if query:
                kwargs["query"] = parse_query(request.args, query)
            if body is not None:
                if not _media_type_ok(body_content_type):
                    raise UnsupportedMediaType(
                        f"send the body as {body_content_type}",
                        {"expected": body_content_type, "sent": request.mimetype},
                    )
                settings = current_app.config["SETTINGS"]
                raw = decode_body(request, getattr(settings, body_limit))
                if read_body is not None:
                    kwargs["body"] = read_body(raw, settings)
                else:
                    kwargs["body"] = check_document(parse_json(raw), body, protect=protect)
            try:
                return fn(*args, **kwargs)
            except InvalidInput as exc:
                if exc.status == 400:  # the request matched its schema: refused, not malformed
                    exc.status = 422
                raise

        # 400: a query parameter the operation does not take; 414: gunicorn, for a request line
        # over 8,190 bytes
        statuses = set(errors) | {400, 414, 500}
        if body is not None:
            statuses |= {413, 415}
        if auth is not None:
            statuses |= {401, 429}
        if auth == "write":
            statuses.add(403)
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary,
            "tag": tag,
            "auth": auth is not None,
            "params": params,
            "body": body,
            "body_content_type": body_content_type,
            "response": response if response is not None else {"type": "object"},
            "content_type": content_type,
            "alternatives": alternatives or {},
            "statuses": sorted(statuses),
            "explain": explain or {},
            "responses": responses or {},
            "links": links or {},
            "headers": headers or {},
            "success": success,
        }
        return view

    return wrap
