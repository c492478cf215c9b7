"""GET /metrics: Prometheus text with per-route latency histograms and index sizes."""

from __future__ import annotations

from tests.api.test_audit import CANDIDATE


def series(text: str, name: str, **labels) -> float:
    """The value of one sample; 0 when absent."""
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_and_show_index_sizes(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    client.post("/v1/candidates", json=CANDIDATE, headers=a)
    for _ in range(3):
        client.get("/v1/candidates", headers=a)
    client.get("/v1/candidates/123456789", headers=a)
    client.get("/made/up/path/1")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    text = response.get_data(as_text=True)

    def grew(**labels) -> float:
        return series(text, "talent_request_seconds_count", **labels) - series(
            before, "talent_request_seconds_count", **labels
        )

    assert grew(route="/v1/candidates", method="GET", status="200") == 3
    assert grew(route="/v1/candidates", method="POST", status="201") == 1
    assert grew(route="/v1/candidates/<int:record_id>", method="GET", status="404") == 1
    assert grew(route="unmatched", method="GET", status="404") == 1  # labelled by rule: no path leaks in
    assert "/made/up" not in text
    assert series(text, "talent_index_records", kind="candidate") >= 1
    buckets = [
        line
        for line in text.splitlines()
        if line.startswith("talent_request_seconds_bucket{")
        and 'route="/v1/candidates"' in line
        and 'status="200"' in line
    ]
    assert any('le="+Inf"' in line for line in buckets) and len(buckets) >= 10
