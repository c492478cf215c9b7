"""Sign in with a tenant API key, sign out."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from service import auth, limits
from service.console import session
from service.console.blueprint import bp

ENDED = {
    "revoked": "Your session ended: the API key was revoked. Sign in with a current key.",
    "expired": "Your session ended: the API key has expired. Sign in with its successor.",
    "signed_out": "You are signed out.",
}


@bp.route("/", methods=["GET"])
def index():
    return redirect(url_for("console.candidates"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    notice = ENDED.get(request.args.get("ended", ""))
    error = None
    status = 200
    if request.method == "POST":
        key = request.form.get("key", "").strip()
        try:
            if not key:
                raise auth.Unauthorized("enter the API key")
            session.sign_in(key)
            return redirect(session.safe_next(request.form.get("next")))
        except auth.Unauthorized as exc:
            status = 401
            error = (
                "This API key has expired. Sign in with its successor."
                if exc.code == "key_expired"
                else "This API key is unknown or has been revoked. Check it, or ask for a new one."
                if key
                else "Enter your tenant's API key."
            )
        except limits.TooManyRequests as exc:
            status = 429
            error = f"Too many failed sign-ins from this address. Try again in {exc.retry_after} seconds."
    page = render_template("sign_in.html", notice=notice, error=error, next=request.values.get("next", ""))
    return page, status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    session.sign_out()
    return redirect(url_for("console.sign_in", ended="signed_out"))
