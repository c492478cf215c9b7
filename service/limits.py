"""Rate limits (flask-limiter): requests per API key, and failed authentications per address.

Each credential gets its own budget (`TALENT_RATE_LIMIT`), counted under a digest of the key,
never the key itself. An address whose authentications keep failing is refused every
authentication for the rest of the window (`TALENT_AUTH_FAILURE_LIMIT`): refusing only the
wrong keys would still let a guesser tell a right one by its answer. Both answer 429 with
Retry-After in the one error shape. "off" turns either off (the benchmark and evaluation
harnesses, whose clients exceed any key's budget on purpose). Counters live in `TALENT_RATE_LIMIT_STORAGE`: memory://
counts in each worker process; redis://host:port shares them between workers and machines.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, Response, current_app, request, session
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse

from models.core.errors import DomainError
from service.errors import error_response

EXTENSION = "talent_limiter"
UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics")


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


def _credential() -> str:
    header = request.headers.get("Authorization", "")
    if not header and request.path.startswith("/console/") and session.get("key"):
        header = "Console " + str(session["key"])  # the signed-in key's digest: one budget per key
    if header:
        return "key:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]
    return "addr:" + (request.remote_addr or "unknown")


def _address() -> str:
    return request.remote_addr or "unknown"


def _seconds_until(reset_at: float) -> int:
    return max(1, math.ceil(reset_at - time.time()))


def _exceeded(exc: RateLimitExceeded) -> Response:
    limiter: Limiter = current_app.extensions[EXTENSION]
    current = limiter.current_limit
    response = error_response(
        429,
        "too_many_requests",
        f"rate limit of {exc.limit.limit} for this API key reached",
        {"limit": str(exc.limit.limit)},
    )
    response.headers["Retry-After"] = str(_seconds_until(current.reset_at) if current else 60)
    return response


def _failure_limit():
    """The parsed TALENT_AUTH_FAILURE_LIMIT, or None when it is off."""
    return current_app.extensions[EXTENSION + ".auth_failures"]


def check_auth_allowed() -> None:
    """Before a key is checked: 429 when this address has failed too often lately."""
    limit = _failure_limit()
    if limit is None:
        return
    limiter: Limiter = current_app.extensions[EXTENSION]
    if not limiter.limiter.test(limit, "auth-failure", _address()):
        reset_at, _ = limiter.limiter.get_window_stats(limit, "auth-failure", _address())
        error = TooManyRequests(
            f"too many failed authentications from this address (limit {limit})", {"limit": str(limit)}
        )
        error.retry_after = _seconds_until(reset_at)
        raise error


def auth_failed() -> None:
    limit = _failure_limit()
    if limit is not None:
        current_app.extensions[EXTENSION].limiter.hit(limit, "auth-failure", _address())


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    if settings.rate_limit != "off":
        parse(settings.rate_limit)  # a typo stops the start, not a request
    app.extensions[EXTENSION + ".auth_failures"] = (
        None if settings.auth_failure_limit == "off" else parse(settings.auth_failure_limit)
    )
    limiter = Limiter(
        key_func=_credential,
        app=app,
        default_limits=[] if settings.rate_limit == "off" else [settings.rate_limit],
        storage_uri=settings.rate_limit_storage,
        headers_enabled=False,  # Retry-After goes on a 429 only (see _exceeded)
        key_prefix="talent",
    )
    # the console's scripts and styles are files, not work: a page's dozen must not eat its key's budget
    limiter.request_filter(lambda: request.path in UNLIMITED_PATHS or request.path.startswith("/console/static/"))
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, _exceeded)
