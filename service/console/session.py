"""Signing in to the console: a tenant API key held in a signed session cookie, and CSRF tokens.

The cookie carries the key's digest (its prefix and SHA-256, as the key table stores them),
signed so it cannot be forged or changed; never the key, so a copied cookie is no API key.
Every request checks it again with the API's own key check (service.auth.authenticate), so a
key revoked or expired while someone is signed in ends their session at the next page.
The cookie is HttpOnly, SameSite=Strict, scoped to /console and Secure whenever the request
came over TLS; it lives as long as the browser session.

CSRF: one random token per session, put in every form and compared on every POST. With
SameSite=Strict a cross-site form already arrives without the cookie; the token also covers
browsers or proxies that do not honour SameSite.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from models.core.errors import DomainError
from models.tenants.store import tenants
from service import auth

SECRET_FILE = "secret_key"
CSRF_FIELD = "csrf_token"
OPEN_ENDPOINTS = {"console.sign_in", "console.static"}


class ConsoleSessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure  # Secure under TLS; a plain-HTTP localhost console still signs in


def secret_key(configured: str, data_path: Path) -> str:
    """The configured key, else the one kept in the data directory (made by whichever process
    gets there first), so every worker and every restart signs and checks cookies alike."""
    if configured:
        return configured
    path = data_path / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.secret_key = secret_key(settings.secret_key, settings.data_path)
    app.session_interface = ConsoleSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="talent_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/console",
    )


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if token is None:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


class CsrfFailed(DomainError):
    status = 400
    code = "csrf_failed"


def check_csrf() -> None:
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed("this form has expired or did not come from the console; reload the page and send it again")


def sign_in(key: str) -> None:
    """Check the key (401/429 as the API answers them) and start a fresh session with it."""
    auth.authenticate(key)
    session.clear()  # nothing of a session before sign-in carries over (fixation)
    session["key"] = list(tenants.key_digest(key))
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def sign_out() -> None:
    session.clear()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/console/"):
            return target
    return url_for("console.candidates")


def before_request():
    """Every console request: POSTs carry the session's CSRF token; pages need a live key."""
    if request.method == "POST":
        check_csrf()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    key = session.get("key")
    if not (isinstance(key, list) and len(key) == 2):
        return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
    try:
        auth.authenticate(digest=(key[0], key[1]))
    except auth.Unauthorized as exc:
        session.clear()
        reason = "expired" if exc.code == "key_expired" else "revoked"
        return redirect(url_for("console.sign_in", ended=reason))
    g.console_tenant = g.grant.tenant_id
    return None
