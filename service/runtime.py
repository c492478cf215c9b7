"""What a worker holds: settings and the reference data, loaded once per process.

Under gunicorn the master loads the pack before it forks (service.served_app), so workers are
ready from their first request. An app made by create_app without reference data (a
development server) loads it in a background thread instead, and /readyz answers 503 until it
is done. Tests hand in reference data they loaded once for the session.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from models.core.errors import NotReady
from models.core.settings import Settings
from models.reference.data import ReferenceData
from models.tenants.store.db import Database, upgrade

log = logging.getLogger(__name__)
EXTENSION = "talent"


class Runtime:
    def __init__(self, settings: Settings, reference: ReferenceData | None = None):
        self.settings = settings
        self.reference = reference
        self.load_error: str | None = None
        settings.data_path.mkdir(parents=True, exist_ok=True)
        # migrated at start: upgrading an up-to-date schema is a no-op, and concurrent starts
        # are serialised; a forked worker drops the connections it inherits (served_app)
        self.database = Database(settings.sqlalchemy_url)
        upgrade(self.database)
        self._records = None
        self._matcher = None
        self._gaps = None
        self._records_lock = threading.Lock()
        self._done = threading.Event()  # loading finished, well or not
        self._loaded = threading.Event()  # everything a request may need is in memory
        if reference is not None:
            self._loaded.set()
            self._done.set()

    def load_in_background(self) -> None:
        def run() -> None:
            try:
                self.reference = ReferenceData.load(self.settings.pack_path, settings=self.settings)
                self.matcher()  # its tables (near-synonyms) are built now, not by the first request
                self._loaded.set()
            except Exception as exc:  # reported by /readyz; the worker stays up to say so
                log.exception("loading the reference pack failed")
                self.load_error = f"{type(exc).__name__}: {exc}"
            finally:
                self._done.set()

        threading.Thread(target=run, name="load-reference", daemon=True).start()

    @property
    def ready(self) -> bool:
        """Only once the pack and the matcher's tables are loaded; never after a failed load."""
        return self._loaded.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self._done.wait(timeout)
        return self.ready

    def require_reference(self) -> ReferenceData:
        if self.reference is None:
            if self.load_error:
                raise NotReady("the reference pack failed to load", {"reason": self.load_error})
            raise NotReady("the reference pack is still loading; retry shortly")
        return self.reference

    def records(self):
        """Tenant records service (needs the reference data for understanding and vectors)."""
        if self._records is None:
            ref = self.require_reference()
            with self._records_lock:
                if self._records is None:
                    from models.tenants.record_pipeline import TenantRecords
                    from models.tenants.tenant_index import TenantIndexes

                    indexes = TenantIndexes(
                        self.database, ref.encoder.dim, self.settings.data_path / "indices", ref.encoder.fingerprint
                    )
                    self._records = TenantRecords(self.database, ref, indexes)
        return self._records

    def matcher(self):
        """Matching and gap analysis over the tenant indices (built on first use)."""
        if self._matcher is None:
            records = self.records()
            with self._records_lock:
                if self._matcher is None:
                    from models.recommend.gaps import GapAnalyst
                    from models.recommend.matching import Matcher

                    matcher = Matcher(records.ref, records.indexes, self.settings.micro_hub_weight)
                    self._gaps = GapAnalyst(matcher)
                    self._matcher = matcher
        return self._matcher

    def gaps(self):
        self.matcher()
        return self._gaps


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
