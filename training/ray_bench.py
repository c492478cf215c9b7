"""Records per second of re-understanding a tenant: one process against Ray workers.

    python -m training.ray_bench --records 2000 [--workers 1 2] [--batch-size 64]

Generates realistic synthetic candidates (training/synthetic.py), stores them in PostgreSQL
without understanding (as an older pack would leave them) in one tenant per configuration,
then understands each tenant's records again with `python -m training.reindex --reunderstand`'s
code: in this process (torch on every core), and on a local Ray cluster with each number of
workers of --workers (one CPU, so one torch thread, each). Rates count the job only: the Ray
workers have loaded the pack before the clock starts (their start-up is reported apart).
Checks that every configuration stored the same understanding, and prints one JSON line.

Needs Ray (`pip install -r requirements-scale.txt`) and PostgreSQL (`--postgres`, default the
test database; a schema of its own, dropped at the end).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import time

import numpy as np
import torch

from models.core.settings import load_settings
from models.reference.data import ReferenceData
from models.tenants.store import record_rows as store
from models.tenants.store import tenants
from models.tenants.store.db import Database, make_engine, upgrade
from training import jobs
from training.synthetic import SyntheticTenant

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _seed(db: Database, name: str, docs: list[dict]) -> int:
    tenant, _ = tenants.create_tenant(db, name)
    for start in range(0, len(docs), 500):
        chunk = docs[start : start + 500]
        store.bulk_upsert(db, tenant.id, "candidate", [{"external_id": d["external_id"], "data": d} for d in chunk])
    return tenant.id


def _stored(db: Database, tenant_id: int) -> dict[str, tuple]:
    return {
        r.external_id: (r.understood, r.region_id, r.soc, r.status, np.frombuffer(r.vector or b"", dtype=np.float32))
        for r in store.export(db, tenant_id, "candidate", with_vectors=True)
    }


def _same(a: dict[str, tuple], b: dict[str, tuple]) -> bool:
    return a.keys() == b.keys() and all(
        a[k][:4] == b[k][:4] and a[k][4].shape == b[k][4].shape and float(np.abs(a[k][4] - b[k][4]).max()) <= 1e-6
        for k in a
    )


def measure(ref: ReferenceData, url: str, records: int, workers: list[int], batch_size: int, pack_dir: str) -> dict:
    import ray

    from training.distributed import RayExecutor

    db = Database(url)
    upgrade(db)
    gen = SyntheticTenant(ref, seed=records)
    docs = [gen.candidate(n)[0] for n in range(records)]
    result: dict = {"records": records, "batch_size": batch_size, "cores": os.cpu_count(), "database": "postgresql"}
    try:
        single = _seed(db, "single", docs)
        executor = jobs.LocalExecutor(jobs.Worker(ref, {url: db}))
        report = jobs.reunderstand(db, url, executor, single, "candidate", batch_size=batch_size)
        result["single_process_torch_threads"] = torch.get_num_threads()
        result["single_process_records_per_s"] = round(report.records_per_s, 2)
        expected = _stored(db, single)
        identical = True
        ray.init(num_cpus=max(workers), include_dashboard=False)
        for n in workers:
            tenant = _seed(db, f"ray-{n}", docs)
            started = time.monotonic()
            with RayExecutor(n, 1, pack_dir) as ray_executor:
                ray_executor.ready()
                result[f"ray_{n}_workers_startup_s"] = round(time.monotonic() - started, 1)
                report = jobs.reunderstand(db, url, ray_executor, tenant, "candidate", batch_size=batch_size)
            result[f"ray_{n}_workers_records_per_s"] = round(report.records_per_s, 2)
            result[f"ray_{n}_workers_vs_single"] = round(
                report.records_per_s / result["single_process_records_per_s"], 2
            )
            identical = identical and _same(expected, _stored(db, tenant))
        result["identical"] = identical
    finally:
        if ray.is_initialized():
            ray.shutdown()
        db.dispose()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=jobs.BATCH_SIZE)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL (a schema of its own is made)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings()
    ref = ReferenceData.load(settings.pack_path, settings=settings)
    schema = "bench_" + secrets.token_hex(5)
    admin = make_engine(args.postgres)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = f"{args.postgres}?options=-csearch_path%3D{schema}"
        result = measure(ref, url, args.records, args.workers, args.batch_size, str(settings.pack_path))
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
