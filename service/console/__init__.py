"""The web console: server-rendered pages for recruiters, training centres and HR admins.

Every page calls the same models/ code as the API, in the same process, on the tenant of the
signed-in key; nothing here goes through HTTP to the API. Pages are plain HTML forms (GET for
filters, POST with a CSRF token for writes); JavaScript draws the maps and shows import
progress, all from static files, under a Content-Security-Policy without inline scripts.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template
from werkzeug.exceptions import HTTPException

from models.core.errors import DomainError
from service.console import candidates, imports, needs, reports, session, signin, talent  # noqa: F401 (routes)
from service.console.blueprint import bp
from service.console.session import csrf_token
from service.headers import request_id

log = logging.getLogger(__name__)

# Only what the console's own files need: scripts, styles, the atlas fetched by the map, images
# (Leaflet's, and data: URIs in its stylesheet); no inline script or style, no other host.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.after_request
def _policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP  # before the app's default, which allows nothing
    return response


TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    409: "Already there",
    429: "Too many requests",
}


def _error_page(status: int, message: str, errors=None, title: str | None = None) -> Response:
    title = title or TITLES.get(status, "Something went wrong")
    page = render_template("error.html", status=status, title=title, message=message, errors=errors)
    return Response(page, status=status, mimetype="text/html")


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    response = _error_page(exc.status, exc.message, errors)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return _error_page(exc.code or 500, exc.description or exc.name, title=exc.name)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error in the console")
    return _error_page(500, f"Something broke on our side; it has been logged (request {request_id()}).")


@bp.route("/<path:_rest>")
def _unknown(_rest: str) -> Response:
    return _error_page(404, "There is no console page at this address.")


bp.before_request(session.before_request)
bp.app_template_global()(csrf_token)


def init_app(app: Flask) -> None:
    session.init_app(app)
    app.register_blueprint(bp)
