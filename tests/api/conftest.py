"""API fixtures: an app on the backend under test with two tenants, alpha and beta (`tenant_api`),
or with one tenant and its post/get helpers (`api`)."""

from __future__ import annotations

import json

import pytest

from models.tenants.store import tenants


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


@pytest.fixture
def api(backend, reference, tmp_path):
    """(post, get) on one tenant of an app on the backend under test; both assert success."""
    from service import create_app

    app = create_app({"data_dir": str(tmp_path), "database_url": backend.standalone_url}, reference=reference)
    db = app.extensions["talent"].database
    _, key = tenants.create_tenant(db, "acme")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}

    def post(path, doc):
        response = client.post(path, json=doc, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def get(path, **kwargs):
        response = client.get(path, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        return response.get_json() if response.is_json else json.loads(response.get_data(as_text=True))

    yield post, get
    db.dispose()
