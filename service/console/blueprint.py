"""The console's blueprint: every page under /console/, templates and static files beside it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")
