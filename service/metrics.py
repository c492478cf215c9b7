"""GET /metrics in the Prometheus text format: per-route latency histograms and the sizes of
the tenant indices a worker holds.

Under gunicorn every worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR (set by
service/gunicorn_conf.py before the app is imported) and whichever worker answers a scrape
adds up all of them; elsewhere (tests, a development server) the process's own registry is
read. Routes are labelled by their URL rule (`/v1/candidates/<int:record_id>`), never by the
path a client sent, so a scan of made-up paths cannot blow up the number of series.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, Histogram, generate_latest

from service.api.spec import operation

REQUEST_SECONDS = Histogram(
    "talent_request_seconds",
    "Time to answer a request, by route, method and status",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
INDEX_RECORDS = Gauge(
    "talent_index_records",
    "Records in the tenant indices a worker holds, by kind (largest over live workers)",
    ["kind"],
    multiprocess_mode="livemax",
)


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(rule, request.method, str(response.status_code)).observe(time.perf_counter() - started)
    return response


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@operation(
    "Prometheus metrics: request latency by route, method and status; index sizes by kind",
    tag="meta",
    content_type="text/plain",
    response={"type": "string", "description": "Prometheus text exposition format 0.0.4"},
    errors=(),
)
def metrics() -> Response:
    runtime = current_app.extensions["talent"]
    sizes = runtime.records().indexes.sizes() if runtime.ready else {}
    for kind in ("candidate", "need", "program"):
        INDEX_RECORDS.labels(kind).set(sizes.get(kind, 0))
    return Response(generate_latest(_registry()), headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
