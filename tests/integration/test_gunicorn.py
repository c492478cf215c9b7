"""The real server: gunicorn with two workers on a shared database (SQLite and PostgreSQL).

- a write through one worker is visible to queries through every worker at once;
- a worker killed in the middle of a bulk upsert loses nothing it reported as written, and the
  index agrees with the database after the restart;
- a worker killed under steady reads is replaced by one that serves at once: the master loaded
  the pack before forking, so no request gets a 503 while a worker loads;
- every worker reads Spanish with the multilingual encoder the master loaded.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from contextlib import ExitStack

import pytest

from models.tenants.record_pipeline import BULK_CHUNK, chunk_ends
from models.tenants.store import record_rows as store
from models.tenants.store import tenants
from models.tenants.store.db import Database, upgrade
from models.tenants.tenant_index import TenantIndexes
from tests.integration.serving import (
    exchange,
    free_port,
    memory,
    postgres_schema,
    request,
    start_gunicorn,
    wait_ready,
    wind_technicians,
    worker_pids,
)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory, settings):
    data = tmp_path_factory.mktemp("served")
    (data / "pack").symlink_to(settings.pack_path)
    with ExitStack() as stack:
        if request.param == "sqlite":
            db_url = f"sqlite:///{data / 'service.db'}"
        else:
            db_url = stack.enter_context(postgres_schema(request.getfixturevalue("pg_admin")))
        db = Database(db_url)
        stack.callback(db.dispose)
        upgrade(db)
        _, key = tenants.create_tenant(db, "acme")
        port = free_port()
        proc = start_gunicorn(data, db_url, port)
        try:
            wait_ready(port, proc)
            yield {
                "port": port,
                "key": key,
                "db": db,
                "proc": proc,
                "tenant": tenants.authenticate(db, key),
                "data": data,
            }
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def auth(server) -> dict:
    return {"Authorization": f"Bearer {server['key']}", "Content-Type": "application/json"}


def test_a_write_is_visible_through_every_worker(server):
    port = server["port"]
    doc = {"external_id": "vis-1", "headline": "Precision machinist", "skills": ["CNC machining", "metrology"]}
    status, body = request(port, "POST", "/v1/candidates", json.dumps(doc).encode(), auth(server))
    assert status == 201, body
    rid = json.loads(body)["id"]
    # fresh connections are spread over both workers; each must already see the record
    for _ in range(20):
        status, body = request(
            port, "POST", "/v1/candidates:search", json.dumps({"text": "CNC machinist"}).encode(), auth(server)
        )
        assert status == 200
        assert rid in [r["record"]["id"] for r in json.loads(body)["results"]]
    status, _ = request(port, "DELETE", f"/v1/candidates/{rid}", headers=auth(server))
    assert status == 204
    for _ in range(20):
        status, body = request(
            port, "POST", "/v1/candidates:search", json.dumps({"text": "CNC machinist"}).encode(), auth(server)
        )
        assert rid not in [r["record"]["id"] for r in json.loads(body)["results"]]


def test_every_worker_reads_spanish(server):
    """The master loaded the multilingual encoder's weights before forking: each worker
    encodes with them (fresh connections are spread over both workers)."""
    text = json.dumps({"text": "Soldador con experiencia en soldadura TIG de tubería de acero inoxidable."}).encode()
    for _ in range(10):
        status, body = request(server["port"], "POST", "/v1/skills/extract", text, auth(server))
        assert status == 200, body
        answer = json.loads(body)
        assert answer["language"] == "es"
        assert "welding techniques" in [s["label"] for s in answer["skills"][:5]]


def test_killed_worker_loses_nothing_it_reported(server, reference):
    port, db, tenant = server["port"], server["db"], server["tenant"]
    lines = wind_technicians(3000)
    body = ("\n".join(json.dumps(x) for x in lines) + "\n").encode()
    reported: list[dict] = []
    got_first_chunk = threading.Event()

    def send() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {**auth(server), "Content-Type": "application/x-ndjson"}
        conn.request("POST", "/v1/candidates:bulk", body=body, headers=headers)
        response = conn.getresponse()
        try:
            while line := response.readline():
                reported.append(json.loads(line))
                got_first_chunk.set()
        except (http.client.IncompleteRead, ConnectionError, OSError, json.JSONDecodeError):
            pass  # the worker died mid-stream
        finally:
            got_first_chunk.set()
            conn.close()

    sender = threading.Thread(target=send)
    sender.start()
    assert got_first_chunk.wait(timeout=240), "no result line arrived"
    victims = worker_pids(server["proc"].pid)
    for pid in victims:  # whichever worker holds the request dies with the rest
        os.kill(pid, signal.SIGKILL)
    sender.join(timeout=120)
    written = [r for r in reported if r.get("status") in ("created", "updated")]
    assert written, "some lines were reported before the kill"
    assert not any("summary" in r for r in reported), "the request was cut before it finished"

    wait_ready(port, server["proc"])
    stored = {r.external_id: r.id for r in store.export(db, tenant, "candidate")}
    # everything reported as written is stored, under the reported id
    for r in written:
        assert stored[r["external_id"]] == r["id"]
    # and nothing else, except the one chunk that may have committed between its results being
    # sent and the kill: the same first lines of the input, never a gap or half a chunk
    bulk_stored = sorted(int(e.split("-")[1]) for e in stored if e.startswith("bulk-"))
    assert bulk_stored == list(range(len(bulk_stored)))
    assert len(bulk_stored) in chunk_ends(len(lines))
    assert 0 <= len(bulk_stored) - len(written) <= BULK_CHUNK
    print(f"\nkilled workers {victims}: {len(written)} lines reported written, {len(bulk_stored)} stored")
    # a restarted worker's index (snapshot + replayed change log, loaded as a worker loads it)
    # holds exactly what the database holds
    status, _ = request(port, "POST", "/v1/candidates:search", json.dumps({"text": "wind"}).encode(), auth(server))
    assert status == 200
    indexes = TenantIndexes(db, reference.encoder.dim, server["data"] / "indices", reference.encoder.fingerprint)
    assert sorted(indexes.get(tenant, "candidate").index.ids().tolist()) == sorted(stored.values())


def test_a_killed_worker_is_replaced_by_one_ready_to_serve(server):
    port = server["port"]
    doc = {
        "external_id": "steady-1",
        "headline": "CNC machinist",
        "skills": ["CNC machining", "metrology"],
        "location": "Dayton, OH",
    }
    status, body = request(port, "POST", "/v1/candidates", json.dumps(doc).encode(), auth(server))
    assert status == 201, body
    path = f"/v1/candidates/{json.loads(body)['id']}/matches?limit=5"
    statuses: list[int] = []
    retried = []
    lock = threading.Condition()
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            for _ in range(3):
                try:
                    status, _ = request(port, "GET", path, headers=auth(server))
                    break
                except (OSError, http.client.HTTPException):  # in flight on the killed worker: a client retries a GET
                    retried.append(1)
            else:
                status = 0
            with lock:
                statuses.append(status)
                lock.notify_all()

    def after(count: int) -> None:
        with lock:
            assert lock.wait_for(lambda: len(statuses) >= count, timeout=120), f"{len(statuses)} responses"

    clients = [threading.Thread(target=client) for _ in range(4)]
    for t in clients:
        t.start()
    try:
        after(50)
        before = worker_pids(server["proc"].pid)
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not set(worker_pids(server["proc"].pid)) - set(before):
            assert time.monotonic() < deadline, "no replacement worker"
            time.sleep(0.05)  # polling the master's children, not a synchronisation
        killed_at = len(statuses)
        after(killed_at + 400)
    finally:
        stop.set()
        for t in clients:
            t.join()
    assert statuses.count(200) == len(statuses), {s: statuses.count(s) for s in set(statuses)}
    assert len(retried) <= len(clients), "only requests in flight on the killed worker are cut"
    master, workers = server["proc"].pid, worker_pids(server["proc"].pid)
    print(
        f"\n{len(statuses)} reads, all 200, {len(retried)} retried after the kill; memory MB: master {memory(master)}, "
        + ", ".join(f"worker {memory(w)}" for w in workers)
    )


def test_metrics_add_up_every_workers_requests(server):
    port = server["port"]

    def count(text: str) -> float:
        for line in text.splitlines():
            if (
                line.startswith("talent_request_seconds_count{")
                and 'route="/v1/regions"' in line
                and 'status="200"' in line
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    _, before = request(port, "GET", "/metrics")
    for _ in range(20):  # fresh connections: both workers answer some
        assert request(port, "GET", "/v1/regions?limit=1")[0] == 200
    # whichever worker answers the scrape, it reports the requests of both
    for _ in range(4):
        status, after = request(port, "GET", "/metrics")
        assert status == 200 and count(after.decode()) - count(before.decode()) == 20


def test_what_gunicorn_refuses_itself_is_in_the_one_error_shape(server):
    """A request line over 8,190 bytes never reaches the app: gunicorn answers 414, in the
    service's error shape (documented on every operation), not its HTML page."""
    port = server["port"]
    assert request(port, "GET", "/v1/regions?q=" + "a" * 200 + "&limit=1")[0] == 200
    status, headers, raw = exchange(port, "GET", "/v1/regions?q=" + "x" * 9000)
    assert status == 414 and headers["Content-Type"] == "application/json"
    error = json.loads(raw)["error"]
    assert error["code"] == "uri_too_long" and error["request_id"] == headers["X-Request-Id"]
    assert headers["X-Content-Type-Options"] == "nosniff"
