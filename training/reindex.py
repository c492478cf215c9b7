"""Rebuild tenant indices from the database (the source of truth); understand a tenant's
records again, or import a file of them, in resumable batch jobs, in this process or on Ray.

    python -m training.reindex                    # every tenant, every kind: rebuild the indices
    python -m training.reindex --tenant acme      # one tenant
    python -m training.reindex --kind candidate
    python -m training.reindex --tenant acme --reunderstand              # new encoder or pack: understand again, then rebuild
    python -m training.reindex --tenant acme --kind candidate --import people.ndjson
    python -m training.reindex --tenant acme --reunderstand --ray auto   # the same on the Ray cluster of this machine
    python -m training.reindex --tenant acme --reunderstand --ray local --workers 2   # a Ray cluster of its own

Each index is written as a snapshot (index.faiss + manifest with the last change it holds)
under $TALENT_DATA_DIR/indices; running workers pick up changes from the log regardless.

--reunderstand and --import run as jobs (training/jobs.py): split into batches of
--batch-size records, each batch understood and written in one go, finished batches recorded
in the database, so running the same command again after an interruption runs only the rest
(--fresh starts over). Without --ray the batches run here, one after another; with --ray they
run on Ray workers (training/distributed.py, needs `pip install -r requirements-scale.txt`),
each holding the reference pack. The indices of the tenant and kind are rebuilt at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from models.core.encoder import Encoder
from models.core.settings import load_settings
from models.tenants.store import tenants
from models.tenants.store.db import Database, upgrade
from models.tenants.store.tables import RECORD_KINDS
from models.tenants.tenant_index import TenantIndexes
from training import jobs


def _executor(args, settings, db: Database):
    """The executor of the batches: Ray workers with --ray, else this process with the pack."""
    if args.ray:
        from training import distributed

        distributed.connect(args.ray, args.workers * args.cpus_per_worker if args.workers else os.cpu_count())
        import ray

        workers = args.workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // args.cpus_per_worker)
        executor = distributed.RayExecutor(workers, args.cpus_per_worker, args.pack_dir)
        logging.getLogger("jobs").info("Ray workers ready: %s", executor.ready())
        return executor
    from models.reference.data import ReferenceData

    ref = ReferenceData.load(Path(args.pack_dir) if args.pack_dir else settings.pack_path, settings=settings)
    return jobs.LocalExecutor(jobs.Worker(ref, {settings.sqlalchemy_url: db}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenant", help="tenant name (default: all)")
    parser.add_argument("--kind", choices=RECORD_KINDS, help="record kind (default: all)")
    work = parser.add_mutually_exclusive_group()
    work.add_argument("--reunderstand", action="store_true", help="understand every record again, then rebuild")
    work.add_argument("--import", dest="import_file", type=Path, metavar="FILE", help="NDJSON file of --kind records")
    parser.add_argument("--ray", metavar="ADDRESS", help="run the batches on Ray: auto, local, host:port, ray://...")
    parser.add_argument("--workers", type=int, help="Ray workers (default: the cluster's CPUs / --cpus-per-worker)")
    parser.add_argument("--cpus-per-worker", type=int, default=1, help="CPUs (torch threads) of each Ray worker")
    parser.add_argument("--batch-size", type=int, default=jobs.BATCH_SIZE, help="records per batch")
    parser.add_argument("--retries", type=int, default=jobs.RETRIES, help="times a failed batch is submitted again")
    parser.add_argument("--fresh", action="store_true", help="abandon an unfinished job of the same kind; start over")
    parser.add_argument("--pack-dir", help="reference pack directory (default: $TALENT_DATA_DIR/pack)")
    args = parser.parse_args(argv)
    if args.import_file and not (args.tenant and args.kind):
        parser.error("--import needs --tenant and --kind")
    if args.ray and not (args.reunderstand or args.import_file):
        parser.error("--ray runs --reunderstand or --import")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    settings = load_settings()
    db = Database(settings.sqlalchemy_url)
    upgrade(db)
    executor = None
    try:
        chosen = [tenants.get_tenant(db, args.tenant)] if args.tenant else tenants.list_tenants(db)
        kinds = [args.kind] if args.kind else list(RECORD_KINDS)
        encoder = None
        if args.reunderstand or args.import_file:
            executor = _executor(args, settings, db)
            for tenant in chosen:
                for kind in kinds:
                    common = {"batch_size": args.batch_size, "fresh": args.fresh, "retries": args.retries}
                    if args.import_file:
                        report = jobs.import_file(
                            db, settings.sqlalchemy_url, executor, tenant.id, kind, args.import_file, **common
                        )
                    else:
                        report = jobs.reunderstand(db, settings.sqlalchemy_url, executor, tenant.id, kind, **common)
                    for problem in report.problems:
                        print(json.dumps(problem), file=sys.stderr)
                    print(json.dumps({"tenant": tenant.name, "kind": kind, **report.summary()}), flush=True)
            if isinstance(executor, jobs.LocalExecutor):
                encoder = executor.worker.ref.encoder
        encoder = encoder or Encoder()
        indexes = TenantIndexes(db, encoder.dim, settings.data_path / "indices", encoder.fingerprint)
        for tenant in chosen:
            for kind in kinds:
                started = time.time()
                ti = indexes.rebuild(tenant.id, kind)
                print(
                    f"{tenant.name}/{kind}: {len(ti)} vectors, {ti.index.kind}, seq {ti.seq}, {time.time() - started:.1f}s"
                )
    except jobs.JobFailed as exc:
        raise SystemExit(str(exc)) from None
    finally:
        if executor is not None and hasattr(executor, "close"):
            executor.close()
        db.dispose()


if __name__ == "__main__":
    main()
