"""OpenAPI metadata attached to view functions, collected into one document by openapi.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "request_id"],
            "properties": {
                "code": {"type": "string", "description": "stable machine-readable code"},
                "message": {"type": "string", "description": "what went wrong, for people"},
                "details": {"description": "structured details (e.g. JSON paths of invalid fields) or null"},
                "request_id": {
                    "type": "string",
                    "description": "the request's id, also in the X-Request-Id header and "
                    "the service's log lines; a client's own X-Request-Id (1-64 of A-Z a-z 0-9 . _ : -) is kept",
                },
            },
        }
    },
}


def param(
    name: str, where: str = "query", *, required: bool = False, schema: dict | None = None, description: str = ""
) -> dict:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema or {"type": "string"},
        "description": description,
    }


def operation(
    summary: str,
    *,
    tag: str,
    body: dict | None = None,
    params: list[dict] | None = None,
    response: dict | None = None,
    errors: tuple[int, ...] = (400,),
    content_type: str = "application/json",
    body_content_type: str = "application/json",
    extra_responses: dict[str, Any] | None = None,
    success: int = 200,
) -> Callable:
    """Describe an endpoint; the decorated function is unchanged."""

    def wrap(fn: Callable) -> Callable:
        fn.openapi = {
            "summary": summary,
            "tag": tag,
            "body": body,
            "content_type": content_type,
            "body_content_type": body_content_type,
            "params": params or [],
            "response": response or {"type": "object"},
            "errors": errors,
            "extra_responses": extra_responses or {},
            "success": success,
        }
        return fn

    return wrap
