"""What a worker holds: settings and the reference data, loaded once per process.

Loading takes seconds (encoder, FAISS indices), so a served app loads in a background
thread started by create_app (after gunicorn forks, never at import time); /readyz answers
503 until it is done. Tests hand in reference data they loaded once for the session.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from models.errors import NotReady
from models.reference import ReferenceData
from models.settings import Settings

log = logging.getLogger(__name__)
EXTENSION = "talent"


class Runtime:
    def __init__(self, settings: Settings, reference: ReferenceData | None = None):
        self.settings = settings
        self.reference = reference
        self.load_error: str | None = None
        self._ready = threading.Event()
        if reference is not None:
            self._ready.set()

    def load_in_background(self) -> None:
        def run() -> None:
            try:
                self.reference = ReferenceData.load(self.settings.pack_path)
            except Exception as exc:  # reported by /readyz; the worker stays up to say so
                log.exception("loading the reference pack failed")
                self.load_error = f"{type(exc).__name__}: {exc}"
            finally:
                self._ready.set()

        threading.Thread(target=run, name="load-reference", daemon=True).start()

    @property
    def ready(self) -> bool:
        return self.reference is not None

    def wait(self, timeout: float | None = None) -> bool:
        self._ready.wait(timeout)
        return self.ready

    def require_reference(self) -> ReferenceData:
        if self.reference is None:
            if self.load_error:
                raise NotReady("the reference pack failed to load", {"reason": self.load_error})
            raise NotReady("the reference pack is still loading; retry shortly")
        return self.reference


def init_app(app: Flask, reference: ReferenceData | None) -> Runtime:
    runtime = Runtime(app.config["SETTINGS"], reference)
    app.extensions[EXTENSION] = runtime
    if reference is None:
        runtime.load_in_background()
    return runtime


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION]


def reference() -> ReferenceData:
    return runtime().require_reference()
