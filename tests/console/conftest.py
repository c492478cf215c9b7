"""Console fixtures: an app on SQLite with two tenants (alpha holds the seed data, beta one
candidate of its own) and a signed-in test client; for the browser journeys, a real gunicorn
on the same data and headless Chromium."""

from __future__ import annotations

import json
import re
import signal

import pytest

from models.tenants.store import tenants
from models.tenants.store.db import Database, upgrade
from tests.console.browser import CHROMIUM, Guard, seed_over_http
from tests.console.seed import SEED
from tests.integration.serving import exchange, free_port, start_gunicorn, wait_ready

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed_through_api(client, headers: dict) -> None:
    """The seed tenant written as an HR platform would: the API's bulk import."""
    for kind, docs in SEED.items():
        body = "\n".join(json.dumps(d) for d in docs)
        response = client.post(
            f"/v1/{kind}s:bulk", data=body, headers={**headers, "Content-Type": "application/x-ndjson"}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        assert '"error": 0' in response.get_data(as_text=True).splitlines()[-1]


@pytest.fixture(scope="module")
def console(reference, tmp_path_factory):
    from service import create_app

    data = tmp_path_factory.mktemp("console")
    app = create_app({"data_dir": str(data)}, reference=reference)
    db = app.extensions["talent"].database
    _, key_a = tenants.create_tenant(db, "alpha")
    _, key_b = tenants.create_tenant(db, "beta")
    client = app.test_client()
    seed_through_api(client, {"Authorization": f"Bearer {key_a}"})
    beta = client.post(
        "/v1/candidates",
        json={"external_id": "beta-1", "headline": "Beta's own welder", "location": "Toledo, OH"},
        headers={"Authorization": f"Bearer {key_b}"},
    )
    assert beta.status_code == 201
    yield {"app": app, "db": db, "alpha": key_a, "beta": key_b, "beta_candidate": beta.get_json()["id"]}
    db.dispose()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client, key: str):
    page = client.get("/console/sign-in")
    return client.post("/console/sign-in", data={"key": key, "csrf_token": csrf_of(page.get_data(as_text=True))})


@pytest.fixture
def alpha(console):
    client = console["app"].test_client()
    response = sign_in(client, console["alpha"])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


# ---- the browser journeys: a real gunicorn and Chromium, one of each per module ------------


@pytest.fixture(scope="module")
def server(tmp_path_factory, settings):
    """gunicorn as `make serve` runs it, on a fresh SQLite database holding the seed tenant
    (alpha) and a second tenant (beta) with one candidate."""
    data = tmp_path_factory.mktemp("served-console")
    (data / "pack").symlink_to(settings.pack_path)
    db_url = f"sqlite:///{data / 'service.db'}"
    db = Database(db_url)
    upgrade(db)
    _, alpha = tenants.create_tenant(db, "alpha")
    _, beta = tenants.create_tenant(db, "beta")
    port = free_port()
    proc = start_gunicorn(data, db_url, port)
    try:
        wait_ready(port, proc)
        seed_over_http(port, alpha)
        status, _, body = exchange(
            port,
            "POST",
            "/v1/candidates",
            json.dumps({"external_id": "beta-1", "headline": "Beta's welder", "location": "Toledo, OH"}).encode(),
            {"Authorization": f"Bearer {beta}", "Content-Type": "application/json"},
        )
        assert status == 201, body
        yield {
            "port": port,
            "base": f"http://127.0.0.1:{port}",
            "db": db,
            "alpha": alpha,
            "beta_candidate": json.loads(body)["id"],
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        db.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(
        base_url=server["base"], viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    guard = Guard()
    page.on("console", guard.on_console)
    page.on("pageerror", lambda exc: guard.errors.append(f"page error: {exc}"))
    page.on("request", guard.on_request)
    page.on("response", guard.on_response)
    page.on("dialog", lambda d: (guard.dialogs.append(d.message), d.dismiss()))
    page.guard = guard
    yield page
    context.close()
    guard.check()
