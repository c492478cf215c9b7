"""The web console: server-rendered pages for recruiters, training centres and HR admins.

Every page calls the same models/ code as the API, in the same process, on the tenant of the
signed-in key; nothing here goes through HTTP to the API. Pages are plain HTML forms (GET for
filters, POST with a CSRF token for writes); JavaScript draws the maps and shows import
progress, all from static files, under a Content-Security-Policy without inline scripts.
"""

from __future__ import annotations

from flask import Flask, Response, render_template
from werkzeug.exceptions import HTTPException

from models.errors import DomainError
from service.console import candidates, imports, needs, reports, session, signin, talent  # noqa: F401 (routes)
from service.console.blueprint import bp
from service.console.session import csrf_token

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


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    titles = {400: "That did not work", 403: "Not allowed", 404: "Not found", 409: "Already there"}
    page, status = _error_page(exc.status, titles.get(exc.status, "Something went wrong"), exc.message)
    details = (exc.details or {}).get("errors") if isinstance(exc.details, dict) else None
    if details:
        page = render_template(
            "error.html", status=status, title=titles.get(status, "Error"), message=exc.message, errors=details
        )
    response = Response(page, status=status, mimetype="text/html")
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _error_page(exc.code or 500, exc.name, exc.description or exc.name)


@bp.route("/<path:_rest>")
def _unknown(_rest: str):
    return _error_page(404, "Not found", "There is no console page at this address.")


bp.before_request(session.before_request)
bp.app_template_global()(csrf_token)


def init_app(app: Flask) -> None:
    session.init_app(app)
    app.register_blueprint(bp)
