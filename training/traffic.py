"""Concurrent clients against a real gunicorn: requests/s and latency of mixed reads and writes.

    python -m training.bench traffic --clients 10 --seconds 120            # mixed (80% reads, 20% writes)
    python -m training.bench traffic --clients 10 --seconds 120 --reads-only

The demo tenant (training/demo.py: 1,500 candidates, 240 needs, 120 programmes) is loaded into
a fresh SQLite database in a temporary directory; `service:served_app()` is started under
gunicorn with TALENT_WORKERS workers (default 2) and no rate limit; each client thread then
sends requests back to back on fresh connections until the time is up. Reads: matches of a
candidate, candidates for a need, talent map, gap, semantic search. Writes: a new candidate
(understood and encoded) and a change of an existing one's headline. Prints one JSON line.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from models.core.settings import load_settings
from models.reference.data import ReferenceData
from models.tenants.store import tenants
from models.tenants.store.db import Database

ROOT = Path(__file__).resolve().parents[1]
READS = {"matches": 30, "need_candidates": 20, "talent_map": 15, "gap": 15, "search": 20}
WRITES = {"create": 50, "patch": 50}
WRITE_SHARE = 0.2
NEW_CANDIDATES = 3_000  # distinct CVs the creates draw from (then again, as other records)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port: int, method: str, path: str, headers: dict, body: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _request(kind: str, rng: random.Random, ids: dict, serial: list[int], client: int) -> tuple[str, str, dict | None]:
    cand, need = rng.choice(ids["candidate"]), rng.choice(ids["need"])
    if kind == "matches":
        return "GET", f"/v1/candidates/{cand}/matches", None
    if kind == "need_candidates":
        return "GET", f"/v1/needs/{need}/candidates", None
    if kind == "talent_map":
        return "GET", f"/v1/talent-map?need={need}", None
    if kind == "gap":
        return "GET", f"/v1/candidates/{cand}/gap?need={need}", None
    if kind == "search":
        text = rng.choice(["CNC machinist", "wind turbine technician", "registered nurse", "python developer"])
        return "POST", "/v1/candidates:search", {"text": text}
    if kind == "create":
        serial[0] += 1
        doc = {**next(ids["new"]), "external_id": f"traffic-{os.getpid()}-{client}-{serial[0]}"}
        return "POST", "/v1/candidates", doc
    return "PATCH", f"/v1/candidates/{cand}", {"headline": rng.choice(["Welder", "Senior welder", "Lead welder"])}


def run(clients: int, seconds: float, reads_only: bool, workers: int) -> dict:
    from training.demo import SEED, load_demo
    from training.synthetic import SyntheticTenant

    settings = load_settings()
    ref = ReferenceData.load(settings.pack_path)
    gen = SyntheticTenant(ref, seed=SEED + 1)  # not the demo's candidates
    new = [gen.candidate(n)[0] for n in range(NEW_CANDIDATES)]
    with tempfile.TemporaryDirectory(prefix="talent-traffic-") as tmp:
        work = Path(tmp)
        (work / "pack").symlink_to(settings.pack_path)
        served = load_settings({"data_dir": str(work), "database_url": ""})
        load_demo(served, ref)
        db = Database(served.sqlalchemy_url)
        key = tenants.add_key(db, tenants.DEMO_TENANT)
        db.dispose()
        del ref  # the server loads its own
        port = _port()
        env = {
            **os.environ,
            "TALENT_DATA_DIR": str(work),
            "TALENT_BIND": f"127.0.0.1:{port}",
            "TALENT_WORKERS": str(workers),
            "TALENT_RATE_LIMIT": "off",
            "TALENT_LOG_LEVEL": "WARNING",
            "HF_HUB_OFFLINE": "1",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "service/gunicorn_conf.py", "--access-logfile", "/dev/null",
             "service:served_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            return {**_drive(port, headers, clients, seconds, reads_only, proc, workers, new), "workers": workers}
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def _drive(
    port: int,
    headers: dict,
    clients: int,
    seconds: float,
    reads_only: bool,
    proc: subprocess.Popen,
    workers: int,
    new: list[dict],
) -> dict:
    deadline = time.monotonic() + 180
    while _ready(port) is False:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the server did not become ready")
        time.sleep(0.5)  # polling the server's readiness, not a synchronisation
    ids: dict = {"new": itertools.cycle(new)}  # next() of a C iterator: one thread at a time
    for kind in ("candidate", "need"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", f"/v1/{kind}s?limit=1000", headers=headers)
        ids[kind] = [r["id"] for r in json.loads(conn.getresponse().read())["items"]]
        conn.close()
    for path in (f"/v1/candidates/{ids['candidate'][0]}/matches", f"/v1/needs/{ids['need'][0]}/candidates"):
        for _ in range(4 * workers):  # warm every worker's tenant arrays (fresh connections spread them)
            _call(port, "GET", path, headers)
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng, serial, mine = random.Random(seed), [0], []
        while time.monotonic() < end:
            write = not reads_only and rng.random() < WRITE_SHARE
            table = WRITES if write else READS
            kind = rng.choices(list(table), weights=list(table.values()))[0]
            method, path, body = _request(kind, rng, ids, serial, seed)
            t0 = time.perf_counter()
            try:
                status = _call(port, method, path, headers, body)
            except OSError:
                status = 0
            mine.append((kind, (time.perf_counter() - t0) * 1000, status))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    def stats(rows: list[tuple[str, float, int]]) -> dict:
        ms = np.asarray([r[1] for r in rows]) if rows else np.zeros(1)
        return {"requests": len(rows), "p50_ms": round(float(np.percentile(ms, 50)), 1),
                "p99_ms": round(float(np.percentile(ms, 99)), 1)}  # fmt: skip

    statuses: dict[str, int] = {}
    for _, _, status in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "mode": "reads-only" if reads_only else "mixed",
        "requests_per_s": round(len(results) / elapsed, 1),
        "non_2xx": sum(1 for r in results if not 200 <= r[2] < 300),
        "statuses": statuses,
        "all": stats(results),
        "reads": stats([r for r in results if r[0] in READS]),
        "writes": stats([r for r in results if r[0] in WRITES]),
        "by_kind": {
            k: stats([r for r in results if r[0] == k]) for k in {**READS, **WRITES} if any(r[0] == k for r in results)
        },
    }


def _ready(port: int) -> bool:
    try:
        return _call(port, "GET", "/readyz", {}) == 200
    except OSError:
        return False
