"""One error shape for every failure: {"error": {"code", "message", "details", "request_id"}}.

Domain errors carry their own status and code; Werkzeug's HTTP errors are mapped to the same
shape; anything else is logged with its traceback and answered with a bare 500.
"""

from __future__ import annotations

import json
import logging
import uuid

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from models.core.errors import DomainError
from service.headers import SECURITY_HEADERS, request_id

log = logging.getLogger(__name__)


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "unprocessable",
    431: "headers_too_large",
    429: "too_many_requests",
    500: "internal_error",
    503: "not_ready",
}


def error_response(status: int, code: str, message: str, details=None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details, "request_id": request_id()}})
    response.status_code = status
    return response


def _domain(exc: DomainError) -> Response:
    response = error_response(exc.status, exc.code, exc.message, exc.details)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = exc.description or exc.name
    if status == 413:
        message = "request body is larger than the limit"
    response = error_response(status, _HTTP_CODES.get(status, "http_error"), message)
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http(exc)
    log.exception("unhandled error")
    return error_response(500, "internal_error", "internal error; it has been logged")


def raw_error(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP response in the one error shape, for what the server refuses before the app
    runs (gunicorn: a request line longer than limit_request_line is 414; see gunicorn_conf)."""
    rid = uuid.uuid4().hex
    error = {"code": _HTTP_CODES.get(status, "http_error"), "message": message or reason, "details": None}
    body = json.dumps({"error": {**error, "request_id": rid}}).encode()
    headers = {
        "Connection": "close",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "X-Request-Id": rid,
        **SECURITY_HEADERS,
    }
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + body


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
