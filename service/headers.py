"""Request ids and security headers, on every response.

A request id is the client's `X-Request-Id` when it is a plain token, else a fresh one; it is
echoed in the response header, in error bodies and in every log line written while the
request runs, so a client's report and the server's log meet on one string.

The API answers JSON to programs: nothing of it may be framed, sniffed as another type,
cached by a shared cache (responses hold tenant data) or leak its URL as a referrer.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, has_request_context, request

_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000; includeSubDomains"


def request_id() -> str | None:
    """The current request's id; None outside a request."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        sent = request.headers.get("X-Request-Id", "")
        rid = g.request_id = sent if _CLIENT_ID.fullmatch(sent) else uuid.uuid4().hex
    return rid


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = request_id()
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:  # only over TLS: a browser ignores it on plain HTTP anyway
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _start() -> None:
    request_id()  # fixed before the view runs (a returned value would become the response)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
