"""Driving the console in Debian's Chromium (headless, through Playwright), against a real
gunicorn: the browser, the server and its guard against console errors and outside requests.

No browser is downloaded: Playwright launches /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from tests.console.seed import SEED
from tests.integration.serving import exchange

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


def seed_over_http(port: int, key: str) -> None:
    for kind, docs in SEED.items():
        status, _, body = exchange(
            port,
            "POST",
            f"/v1/{kind}s:bulk",
            "\n".join(json.dumps(d) for d in docs).encode(),
            {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"},
            timeout=300,
        )
        assert status == 200, body
        assert json.loads(body.splitlines()[-1])["summary"]["error"] == 0, body


def api(server, path: str):
    status, _, body = exchange(server["port"], "GET", path, headers={"Authorization": f"Bearer {server['alpha']}"})
    assert status == 200, body
    return json.loads(body)


class Guard:
    """What a journey must not cause: console errors and requests to any host but this one.
    A page the journey expects to answer 4xx is allowed the browser's note that it did."""

    def __init__(self):
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.expected_statuses: set[str] = set()
        self.failed: list[str] = []

    def on_console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_response(self, response) -> None:
        if response.status >= 400:  # which resource a console's "Failed to load resource" was
            self.failed.append(f"{response.status} {response.url}")

    def on_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob") and parts.hostname not in LOCAL_HOSTS:
            self.outside.append(request.url)

    def check(self) -> None:
        unexpected = [
            e for e in self.errors if not ((m := FAILED_LOAD.search(e)) and m.group(1) in self.expected_statuses)
        ]
        assert unexpected == [], f"console errors: {unexpected}; responses >= 400: {self.failed}"
        assert self.outside == [], f"requests to other hosts: {self.outside}"
        assert self.dialogs == [], f"dialogs opened (a script ran?): {self.dialogs}"


def sign_in(page, key: str) -> None:
    page.goto("/console/sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def shot(page, folder: Path, name: str) -> Path:
    path = folder / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
