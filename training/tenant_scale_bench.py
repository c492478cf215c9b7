"""A tenant of a million candidates on one machine: build, memory, start-up, recall, latency.

    python -m training.bench scale --candidates 1000000 [--database-url URL] [--pool 3000]

Encoding a million CVs takes hours here, so the tenant is made from a pool of `--pool`
synthetic candidates understood for real (encoder, skill linking, occupation, region), each
written many times over through the bulk store path (`models.tenants.store.record_rows.bulk_upsert`,
the path the API's bulk import ends in) with its own external id and its vector moved a
little (Gaussian noise, cosine ~0.9 to the pool original), so the index holds a million
distinct points with the neighbourhoods real profiles have.

Each measure runs in its own process, one after the other:
1. `build`: the rows (records/s), then the tenant's index and features from the database,
   snapshot written (index build seconds);
2. `serve`: a fresh process as a gunicorn worker is: start-up (reference data, then the
   tenant: its snapshot mapped) in seconds, p50/p99 of every recommendation route and of
   POST /v1/candidates:search through the Flask app, resident memory (the process, and the
   part of it that is the tenant's mapped snapshot files, shared by all workers), then
   recall@10 of the served search against exact search on held-out probes.
Prints one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from models.core.settings import load_settings
from models.reference.data import ReferenceData
from models.tenants.store import record_rows as store
from models.tenants.store import tenants

NOISE_COSINE = 0.9  # a written copy's vector against its pool original
WRITE_BATCH = 5_000
TENANT = "scale"


def _noisy(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors at cosine ~NOISE_COSINE from the given unit vectors."""
    dim = vectors.shape[1]
    spread = np.sqrt(1 / NOISE_COSINE**2 - 1) / np.sqrt(dim)
    out = vectors + rng.normal(0.0, spread, size=vectors.shape).astype(np.float32)
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def understood_pool(ref: ReferenceData, size: int, seed: int) -> tuple[list[dict], list, np.ndarray]:
    """(documents, understandings, vectors) of `size` synthetic candidates."""
    from models.tenants.understanding import RecordUnderstander
    from training.synthetic import SyntheticTenant

    gen = SyntheticTenant(ref, seed=seed)
    understander = RecordUnderstander(ref)
    docs = [gen.candidate(n)[0] for n in range(size)]
    out = []
    for start in range(0, size, 500):
        out += understander.understand("candidate", docs[start : start + 500])
        print(f"  pool: {len(out)}/{size} understood", file=sys.stderr, flush=True)
    return docs, out, np.stack([u.vector for u in out])


def build(database_url: str, data_dir: Path, candidates: int, pool: int) -> dict:
    from service import create_app
    from training.demo import documents

    settings = load_settings({"data_dir": str(data_dir), "database_url": database_url})
    ref = ReferenceData.load(settings.pack_path)
    app = create_app({"data_dir": str(data_dir), "database_url": database_url, "rate_limit": "off"}, reference=ref)
    rt = app.extensions["talent"]
    db = rt.database
    tenant, key = tenants.create_tenant(db, TENANT)
    tenant_id = tenant.id
    started = time.time()
    docs, understood, vectors = understood_pool(ref, pool, seed=candidates)
    pool_s = time.time() - started

    rng = np.random.default_rng(candidates)
    started = time.time()
    for start in range(0, candidates, WRITE_BATCH):
        picks = rng.integers(0, pool, size=min(WRITE_BATCH, candidates - start))
        moved = _noisy(vectors[picks], rng)
        items = []
        for n, (p, vector) in enumerate(zip(picks, moved), start=start):
            u = understood[int(p)]
            items.append(
                {
                    "external_id": f"scale-{n:07d}",
                    "data": {**docs[int(p)], "external_id": f"scale-{n:07d}"},
                    "understood": u.understood,
                    "region_id": u.region_id,
                    "soc": u.soc,
                    "status": None,
                    "vector": vector.tobytes(),
                }
            )
        store.bulk_upsert(db, tenant_id, "candidate", items)
        if (start // WRITE_BATCH) % 20 == 0:
            print(f"  rows: {start + len(items)}/{candidates} in {time.time() - started:.0f}s", file=sys.stderr)
    write_s = time.time() - started

    # needs and programmes through the API, understood for real
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    extra = documents(ref, seed=candidates)
    for kind in ("need", "program"):
        body = "\n".join(json.dumps(d) for d in extra[kind])
        client.post(f"/v1/{kind}s:bulk", data=body, content_type="application/x-ndjson", headers=headers)

    started = time.time()
    ti = rt.records().indexes.rebuild(tenant_id, "candidate")
    build_s = time.time() - started
    # held-out probes: pool profiles moved as the written ones were, never written themselves
    probes = _noisy(vectors[rng.integers(0, pool, size=200)], rng)
    np.save(data_dir / "probes.npy", probes)
    return {
        "tenant_id": tenant_id,
        "key": key,
        "pool_understood_s": round(pool_s, 1),
        "rows_per_s": round(candidates / write_s, 1),
        "index_build_s": round(build_s, 1),
        "index_kind": ti.index.kind,
        "index_params": ti.index.params,
    }


def serve(database_url: str, data_dir: Path, tenant_id: int, key: str) -> dict:
    """Measured in a fresh process: a worker's start-up, memory, latencies, then recall."""
    import gc

    from service import create_app
    from training.bench import QUERIES, bench_recommendations, percentile, rss_mb

    started = time.time()
    config = {"data_dir": str(data_dir), "database_url": database_url, "rate_limit": "off"}
    app = create_app(config, reference=ReferenceData.load(load_settings(config).pack_path))
    rt = app.extensions["talent"]
    space = rt.matcher().space
    reference_s = time.time() - started
    gc.collect()
    baseline = rss_mb()
    started = time.time()
    indexes = rt.records().indexes
    ti = indexes.get(tenant_id, "candidate")
    ti.features.arrays(space.index)
    tenant_s = time.time() - started
    loaded = rss_mb()

    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    routes = bench_recommendations(client, headers)
    search_ms = []
    for _ in range(4):
        for q in QUERIES:
            t0 = time.perf_counter()
            response = client.post("/v1/candidates:search", json={"text": q, "limit": 10}, headers=headers)
            search_ms.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"search: {response.status_code} {response.get_data(as_text=True)[:300]}")
    routes["candidates_search"] = {
        "p50_ms": round(percentile(search_ms, 50), 1),
        "p99_ms": round(percentile(search_ms, 99), 1),
    }
    gc.collect()
    after = rss_mb()
    memory = _memory(data_dir / "indices")

    encoded = rt.reference.encoder.encode(list(QUERIES))
    probes = np.vstack([np.load(data_dir / "probes.npy"), encoded])
    _, got = indexes.search(tenant_id, "candidate", probes, 10)
    truth = _exact_top10(indexes.view(tenant_id, "candidate").arrays(space.index), probes)
    recall = float(np.mean([len(set(t) & set(g)) / 10 for t, g in zip(truth, got)]))
    return {
        "candidates": len(ti),
        "index": ti.index.params,
        "worker_reference_load_s": round(reference_s, 1),
        "worker_tenant_load_s": round(tenant_s, 2),
        "worker_baseline_rss_mb": round(baseline),
        "worker_rss_after_tenant_load_mb": round(loaded),
        "worker_rss_after_routes_mb": round(after),
        "tenant_snapshot_files_mb": memory["files_mb"],
        "tenant_snapshot_resident_mb": memory["resident_mb"],
        "tenant_private_growth_mb": round(after - baseline - memory["resident_mb"]),
        "recall_at_10_vs_exact": round(recall, 4),
        "routes": routes,
    }


def _memory(directory: Path) -> dict:
    """Size of the tenant's snapshot files, and how much of them is resident in this process
    (mapped pages: shared with every other worker mapping them, through the page cache)."""
    files = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    resident_kb, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if len(head) >= 6 and "-" in head[0] and ":" not in head[0]:  # a mapping's first line
            inside = head[-1].startswith(str(directory))
        elif inside and line.startswith("Rss:"):
            resident_kb += int(head[1])
    return {"files_mb": round(files / 2**20), "resident_mb": round(resident_kb / 1024)}


def _exact_top10(arrays: dict, probes: np.ndarray) -> np.ndarray:
    """Ids of the 10 stored vectors nearest each probe, by exact search in blocks."""
    vectors, ids = arrays["vectors"], arrays["ids"]
    best_scores = np.full((len(probes), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(probes), 0), dtype=np.int64)
    for lo in range(0, len(ids), 100_000):
        rows = np.arange(lo, min(lo + 100_000, len(ids)))
        scores = probes @ vectors[rows].T
        best_scores = np.hstack([best_scores, scores])
        best_ids = np.hstack([best_ids, np.broadcast_to(ids[rows], scores.shape)])
        top = np.argsort(-best_scores, axis=1, kind="stable")[:, :10]
        best_scores, best_ids = np.take_along_axis(best_scores, top, 1), np.take_along_axis(best_ids, top, 1)
    return best_ids


def run(candidates: int, pool: int, database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        data_dir = Path(tmp)
        (data_dir / "pack").symlink_to(load_settings().pack_path)
        url = database_url or f"sqlite:///{data_dir / 'scale.db'}"
        common = ["--data-dir", str(data_dir), "--database-url", url]
        built = _child(["scale-build", *common, "--candidates", str(candidates), "--pool", str(pool)])
        served = _child(["scale-serve", *common, "--tenant-id", str(built["tenant_id"]), "--key", built.pop("key")])
        return {"candidates": candidates, "database": url.split(":")[0], **built, **served}


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "training.bench", *args], check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
