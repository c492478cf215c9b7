"""HTTP layer of the talent-matching service: the Flask app factory."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from models.settings import load_settings


def create_app(config: dict[str, Any] | None = None, reference=None) -> Flask:
    """Build the app. `config` overrides settings; `reference` is pre-loaded reference data
    (tests); without it the pack is loaded in a background thread of this process."""
    from service import errors, runtime
    from service.api import health, language, recommendations, regions, resources

    settings = load_settings(config)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    # The hard ceiling Werkzeug enforces while reading; each endpoint applies its own limit.
    app.config["MAX_CONTENT_LENGTH"] = max(settings.max_body_bytes, settings.max_bulk_bytes)
    app.json.sort_keys = False
    errors.init_app(app)
    runtime.init_app(app, reference)
    for blueprint in (health.bp, language.bp, regions.bp, recommendations.bp):
        app.register_blueprint(blueprint)
    for kind in resources.PLURAL:
        app.register_blueprint(resources.make_blueprint(kind))
    return app
