"""The database going away under the real server: a PostgreSQL server of the test's own (in a
temporary directory) is stopped in the middle of a bulk import and started again.

- requests while it is down get 503 with Retry-After, in the one error shape;
- the bulk stream ends with an error line instead of a summary, and every line it reported as
  written is stored, under the id it reported; nothing else is, but whole chunks;
- once the server is back, the same gunicorn answers again (no restart) and the import, sent
  again, completes.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading

import pytest

from models.tenants.record_pipeline import BULK_CHUNK, chunk_ends
from models.tenants.store import record_rows as store
from models.tenants.store import tenants
from models.tenants.store.db import Database, upgrade
from tests.integration.serving import exchange, free_port, request, start_gunicorn, wait_ready, wind_technicians

pytestmark = pytest.mark.postgres
CHUNK = BULK_CHUNK  # lines a bulk request writes per transaction, after a shorter first chunk


class OwnPostgres:
    """initdb + pg_ctl in a temporary directory, on a spare port; run as the postgres user
    when the tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self, directory, port: int):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        assert binaries, "PostgreSQL server binaries not found under /usr/lib/postgresql"
        self.bin = os.path.dirname(binaries[-1])
        self.dir, self.port = directory, port
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(directory, "postgres")
        self._run("initdb", "-D", f"{directory}/data", "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_owner, f"{self.bin}/{tool}", *args], check=True, capture_output=True)

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            f"{self.dir}/data",
            "-w",
            "-l",
            f"{self.dir}/log",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "start",
        )

    def crash(self) -> None:
        """Stopped at once, as a crash would: no checkpoint, clients cut off."""
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-w", "-m", "immediate", "stop")

    def stop(self) -> None:
        subprocess.run(
            [*self.as_owner, f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "stop"],
            capture_output=True,
            check=False,
        )  # already stopped is fine


@pytest.fixture
def outage(tmp_path_factory, settings):
    # not under pytest's temporary root: that is private to root, and the server runs as postgres
    pg_dir = tempfile.mkdtemp(prefix="talent-pg-")
    pg = OwnPostgres(pg_dir, free_port())
    pg.start()
    data = tmp_path_factory.mktemp("served")
    (data / "pack").symlink_to(settings.pack_path)
    db = Database(pg.url)
    upgrade(db)
    _, key = tenants.create_tenant(db, "acme")
    port = free_port()
    proc = start_gunicorn(data, pg.url, port)
    try:
        wait_ready(port, proc)
        yield {
            "pg": pg,
            "db": db,
            "port": port,
            "tenant": tenants.authenticate(db, key),
            "headers": {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        db.dispose()
        pg.stop()
        shutil.rmtree(pg_dir, ignore_errors=True)


def bulk(port: int, headers: dict, lines: list[dict], on_first_line=lambda: None) -> list[dict]:
    """POST an NDJSON bulk request; the response lines as they stream in."""
    body = ("\n".join(json.dumps(x) for x in lines) + "\n").encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    out: list[dict] = []
    try:
        conn.request(
            "POST", "/v1/candidates:bulk", body=body, headers={**headers, "Content-Type": "application/x-ndjson"}
        )
        response = conn.getresponse()
        assert response.status == 200, response.read()[:500]
        while line := response.readline():
            out.append(json.loads(line))
            if len(out) == 1:
                on_first_line()
    finally:
        conn.close()
    return out


def test_the_database_going_away_mid_bulk_loses_nothing_and_heals(outage):
    port, headers, pg, db, tenant = outage["port"], outage["headers"], outage["pg"], outage["db"], outage["tenant"]
    lines = wind_technicians(3 * CHUNK)
    first = threading.Event()
    reported: list[dict] = []

    def send() -> None:
        reported.extend(bulk(port, headers, lines, on_first_line=first.set))

    sender = threading.Thread(target=send)
    sender.start()
    assert first.wait(timeout=240), "no result line arrived"
    pg.crash()
    sender.join(timeout=240)
    assert not sender.is_alive()

    # the stream says where writing stopped, in place of its summary
    assert "summary" not in reported[-1]
    assert reported[-1]["error"]["code"] == "database_unavailable", reported[-1]
    written = [r for r in reported if r.get("status") in ("created", "updated")]
    ends = chunk_ends(len(lines))
    assert written and len(written) in ends

    # while it is down: 503, Retry-After, the error shape; reads and writes alike
    for method, path, body in [
        ("GET", "/v1/candidates?limit=5", None),
        ("POST", "/v1/candidates", json.dumps(lines[-1]).encode()),
        ("GET", "/v1/talent-map?soc=49-9081", None),
    ]:
        status, answer_headers, raw = exchange(port, method, path, body, headers)
        assert status == 503, raw
        assert json.loads(raw)["error"]["code"] == "database_unavailable"
        assert answer_headers.get("Retry-After") == "5"

    pg.start()
    # the same server answers again: every worker's pool reconnects by itself
    for _ in range(10):
        status, raw = request(port, "GET", "/v1/candidates?limit=5", headers=headers)
        assert status == 200, raw
    stored = {r.external_id: r.id for r in store.export(db, tenant, "candidate")}
    for r in written:  # everything acknowledged is there, under the reported id
        assert stored[r["external_id"]] == r["id"]
    # nothing half-written: whole chunks of the first lines, at most the one whose commit the
    # crash cut off before its results were sent
    numbers = sorted(int(e.split("-")[1]) for e in stored)
    assert numbers == list(range(len(numbers))) and len(numbers) in ends
    assert ends.index(len(numbers)) - ends.index(len(written)) in (0, 1)

    again = bulk(port, headers, lines)  # idempotent by external_id: sent again, it completes
    assert again[-1]["summary"]["error"] == 0 and again[-1]["summary"]["lines"] == len(lines)
    assert sum(1 for _ in store.export(db, tenant, "candidate")) == len(lines)
    status, raw = request(port, "POST", "/v1/candidates:search", json.dumps({"text": "wind turbine"}).encode(), headers)
    assert status == 200 and len(json.loads(raw)["results"]) > 0
