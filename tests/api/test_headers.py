"""Every response carries a request id and the security headers; log lines are JSON objects
with the id of the request that wrote them."""

from __future__ import annotations

import io
import json
import logging
import re

from service.headers import SECURITY_HEADERS
from service.logs import JsonFormatter, RequestIdFilter


def test_every_response_has_the_security_headers_and_a_request_id(client):
    for response in (client.get("/healthz"), client.get("/v1/nowhere"), client.post("/v1/skills/extract", json={})):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, name
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    assert client.get("/healthz").headers["X-Request-Id"] != client.get("/healthz").headers["X-Request-Id"]


def test_over_tls_browsers_are_told_to_stay_on_it(client):
    response = client.get("/healthz", base_url="https://talent.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_clients_request_id_is_kept_and_a_malformed_one_replaced(client):
    response = client.post("/v1/skills/extract", json={"text": ""}, headers={"X-Request-Id": "client-7.a:b_c"})
    assert response.headers["X-Request-Id"] == "client-7.a:b_c"
    assert response.get_json()["error"]["request_id"] == "client-7.a:b_c"
    odd = client.get("/healthz", headers={"X-Request-Id": "no spaces <or> markup"})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-Id"])


def test_log_lines_are_json_with_the_request_id(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("talent.test.logs")
    logger.addHandler(handler)
    try:
        with app.test_request_context(headers={"X-Request-Id": "client-7"}):
            logger.warning("seen %d", 3)
        logger.warning("outside")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    inside, outside, failed = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert inside["request_id"] == "client-7" and inside["message"] == "seen 3" and inside["level"] == "WARNING"
    assert inside["logger"] == "talent.test.logs" and inside["time"].endswith("Z")
    assert outside["request_id"] is None
    assert "ValueError: boom" in failed["exception"]
