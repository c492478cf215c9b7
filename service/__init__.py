"""HTTP layer of the talent-matching service: the Flask app factory."""

from __future__ import annotations

import gc
import os
from typing import Any

from flask import Flask

from models.core.settings import load_settings


def create_app(config: dict[str, Any] | None = None, reference=None) -> Flask:
    """Build the app. `config` overrides settings; `reference` is pre-loaded reference data
    (tests); without it the pack is loaded in a background thread of this process."""
    from service import auth, console, errors, headers, limits, logs, metrics, runtime
    from service.api import audit, health, language, recommendations, regions, resources

    settings = load_settings(config)
    logs.configure(settings.log_level, settings.log_format)
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    # The hard ceiling Werkzeug enforces while reading; each endpoint applies its own limit.
    app.config["MAX_CONTENT_LENGTH"] = max(settings.max_body_bytes, settings.max_bulk_bytes)
    app.json.sort_keys = False
    headers.init_app(app)
    errors.init_app(app)
    limits.init_app(app)
    metrics.init_app(app)
    runtime.init_app(app, reference)
    app.teardown_request(auth.forget_actor)
    for blueprint in (health.bp, language.bp, regions.bp, recommendations.bp, audit.bp):
        app.register_blueprint(blueprint)
    for kind in resources.PLURAL:
        app.register_blueprint(resources.make_blueprint(kind))
    console.init_app(app)  # after the API: its session, CSRF and page errors stay under /console/
    return app


def served_app() -> Flask:
    """The app as gunicorn serves it (`preload_app`): the master loads the reference pack and
    the matcher's tables before it forks, so every worker, a respawned one too, is ready at once
    and shares those pages copy-on-write instead of loading its own copy.

    Nothing here may run the encoder: a torch operation run before the fork leaves an OpenMP
    thread pool that hangs the children's first encoding."""
    from models.reference.data import ReferenceData

    settings = load_settings()
    reference = ReferenceData.load(settings.pack_path, settings=settings)
    if reference.skills.multilingual is not None:  # NumPy only: reads files, runs nothing
        reference.skills.multilingual.load_models()
    app = create_app(reference=reference)
    runtime = app.extensions["talent"]
    runtime.matcher()
    os.register_at_fork(after_in_child=runtime.database.after_fork)
    # what is loaded now lives as long as the process: kept out of the collector's sweeps, so a
    # worker's garbage collections never write to (and so copy) the pages it shares
    gc.freeze()
    return app
