"""API fixtures: an app on the backend under test with two tenants, alpha and beta."""

from __future__ import annotations

import pytest

from models.store import tenants


@pytest.fixture
def tenant_api(backend, reference, tmp_path):
    from service import create_app

    app = create_app(
        {"data_dir": str(tmp_path), "database_url": backend.standalone_url, "max_bulk_lines": 40},
        reference=reference,
    )
    db = app.extensions["talent"].database
    _, key_a = tenants.create_tenant(db, "alpha")
    _, key_b = tenants.create_tenant(db, "beta")
    yield app, {"Authorization": f"Bearer {key_a}"}, {"Authorization": f"Bearer {key_b}"}
    db.dispose()
