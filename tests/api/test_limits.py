"""Rate limits: a key's budget, counted per key; failed authentications per address."""

from __future__ import annotations

import pytest

from models.tenants.store import tenants


@pytest.fixture
def limited(sqlite_backend, reference, tmp_path):
    from service import create_app

    app = create_app(
        {
            "data_dir": str(tmp_path),
            "database_url": sqlite_backend.standalone_url,
            "rate_limit": "5 per minute",
            "auth_failure_limit": "3 per minute",
        },
        reference=reference,
    )
    db = app.extensions["talent"].database
    _, a = tenants.create_tenant(db, "alpha")
    _, b = tenants.create_tenant(db, "beta")
    yield app.test_client(), {"Authorization": f"Bearer {a}"}, {"Authorization": f"Bearer {b}"}
    db.dispose()


def test_a_key_over_its_budget_gets_429_with_retry_after_and_others_go_on(limited):
    client, a, b = limited
    assert [client.get("/v1/candidates", headers=a).status_code for _ in range(5)] == [200] * 5
    over = client.get("/v1/candidates", headers=a)
    assert over.status_code == 429
    assert over.get_json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(over.headers["Retry-After"]) <= 61  # a one-minute window, in whole seconds
    assert client.get("/v1/candidates", headers=b).status_code == 200  # another key, its own budget
    assert client.get("/healthz").status_code == 200  # probes are never limited


def test_an_address_failing_to_authenticate_is_refused_for_the_window(limited):
    client, a, _ = limited
    wrong = {"Authorization": "Bearer tk_wrong-key-wrong-key-wrong-key-xx"}
    elsewhere = {"REMOTE_ADDR": "10.0.0.9"}
    assert [client.get("/v1/needs", headers=wrong).status_code for _ in range(3)] == [401] * 3
    refused = client.get("/v1/needs", headers=wrong)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # every authentication from that address, a right key too: no oracle for a guesser
    assert client.get("/v1/needs", headers=a).status_code == 429
    assert client.get("/v1/needs", headers=a, environ_base=elsewhere).status_code == 200
