"""The real server: gunicorn with two workers on a shared SQLite database.

- a write through one worker is visible to queries through every worker at once;
- a worker killed in the middle of a bulk upsert loses nothing it reported as written, and the
  index agrees with the database after the restart.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models.store import records as store
from models.store import tenants
from models.store.db import Database, upgrade
from models.tenant_index import TenantIndexes

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    """Poll /readyz until every worker could answer; fail if the server dies."""
    deadline = time.monotonic() + timeout
    ready_in_a_row = 0
    while time.monotonic() < deadline:
        assert proc.poll() is None, "gunicorn exited"
        try:
            status, _ = request(port, "GET", "/readyz", timeout=5)
        except OSError:
            status = 0
        ready_in_a_row = ready_in_a_row + 1 if status == 200 else 0
        if ready_in_a_row >= 6:  # several answers in a row: both workers have loaded
            return
        time.sleep(0.25)  # polling interval while workers load, not a synchronisation
    raise AssertionError("server not ready in time")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(p) for p in children]


@pytest.fixture(scope="module")
def server(tmp_path_factory, settings):
    data = tmp_path_factory.mktemp("served")
    (data / "pack").symlink_to(settings.pack_path)
    db_url = f"sqlite:///{data / 'service.db'}"
    db = Database(db_url)
    upgrade(db)
    _, key = tenants.create_tenant(db, "acme")
    port = free_port()
    env = {
        **os.environ,
        "TALENT_DATA_DIR": str(data),
        "TALENT_BIND": f"127.0.0.1:{port}",
        "TALENT_WORKERS": "2",
        "HF_HUB_OFFLINE": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "service/gunicorn_conf.py", "service:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, proc)
        yield {"port": port, "key": key, "db": db, "proc": proc, "tenant": tenants.authenticate(db, key), "data": data}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        db.dispose()


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
        status, body = request(port, "POST", "/v1/candidates:search", json.dumps({"text": "CNC machinist"}).encode(), auth(server))
        assert status == 200
        assert rid in [r["record"]["id"] for r in json.loads(body)["results"]]
    status, _ = request(port, "DELETE", f"/v1/candidates/{rid}", headers=auth(server))
    assert status == 204
    for _ in range(20):
        status, body = request(port, "POST", "/v1/candidates:search", json.dumps({"text": "CNC machinist"}).encode(), auth(server))
        assert rid not in [r["record"]["id"] for r in json.loads(body)["results"]]


def test_killed_worker_loses_nothing_it_reported(server, reference):
    port, db, tenant = server["port"], server["db"], server["tenant"]
    lines = [
        {
            "external_id": f"bulk-{i}",
            "headline": "Wind turbine technician",
            "summary": f"Candidate {i}. Maintained wind turbines and hydraulic systems. Read schematics. Climbed towers.",
            "skills": ["wind turbine maintenance", "hydraulics"],
            "location": "Fort Wayne, IN",
        }
        for i in range(3000)
    ]
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
    assert len(bulk_stored) % 256 in (0, len(lines) % 256)
    assert 0 <= len(bulk_stored) - len(written) <= 256
    print(f"\nkilled workers {victims}: {len(written)} lines reported written, {len(bulk_stored)} stored")
    # a restarted worker's index (snapshot + replayed change log, loaded as a worker loads it)
    # holds exactly what the database holds
    status, _ = request(port, "POST", "/v1/candidates:search", json.dumps({"text": "wind"}).encode(), auth(server))
    assert status == 200
    indexes = TenantIndexes(db, reference.encoder.dim, server["data"] / "indices", reference.encoder.fingerprint)
    assert sorted(indexes.get(tenant, "candidate").index.ids().tolist()) == sorted(stored.values())
