"""Running the real server in tests: gunicorn on a spare port, and plain HTTP calls to it."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def postgres_schema(admin) -> Iterator[str]:
    """A schema of its own on the test PostgreSQL server (`admin`: the pg_admin engine), dropped
    afterwards: the URL that reaches it through its search_path."""
    from tests.conftest import PG_URL

    schema = "t_" + secrets.token_hex(6)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exchange(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 60
) -> tuple[int, dict, bytes]:
    """One request on a fresh connection: status, response headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 60
):
    status, _, raw = exchange(port, method, path, body, headers, timeout)
    return status, raw


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


def memory(pid: int) -> dict:
    """Resident, proportional (shared pages split among their sharers) and private set size, MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":")
        fields[name] = int(value.split()[0]) / 1024
    private = fields["Private_Clean"] + fields["Private_Dirty"]
    return {"rss": round(fields["Rss"]), "pss": round(fields["Pss"]), "private": round(private)}


def start_gunicorn(
    data: Path, db_url: str, port: int, workers: int = 2, env: dict | None = None, log: Path | None = None
) -> subprocess.Popen:
    """The service as `make serve` runs it, on `data` (holding a `pack` link) and `db_url`;
    `env` adds settings, `log` keeps the server's output (else it is dropped)."""
    env = {
        **os.environ,
        "TALENT_DATA_DIR": str(data),
        "TALENT_DATABASE_URL": db_url,
        "TALENT_BIND": f"127.0.0.1:{port}",
        "TALENT_WORKERS": str(workers),
        "HF_HUB_OFFLINE": "1",
        **(env or {}),
    }
    output = subprocess.DEVNULL if log is None else log.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "service/gunicorn_conf.py", "service:served_app()"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
        )
    finally:
        if log is not None:
            output.close()  # the child holds its own copy


def wind_technicians(n: int) -> list[dict]:
    """n candidate documents for bulk imports, numbered by external_id (bulk-0, bulk-1, ...)."""
    return [
        {
            "external_id": f"bulk-{i}",
            "headline": "Wind turbine technician",
            "summary": f"Candidate {i}. Maintained wind turbines and hydraulic systems. Read schematics. Climbed towers.",
            "skills": ["wind turbine maintenance", "hydraulics"],
            "location": "Fort Wayne, IN",
        }
        for i in range(n)
    ]
