"""Batch jobs on Ray (training/distributed.py): a local Ray cluster of 2 CPUs on this machine,
two workers each holding the reference pack, PostgreSQL the source of truth.

- the same records through the single-process path and through Ray: identical understood,
  soc, region, status, vectors within 1e-6; an import likewise;
- a Ray worker killed mid-job (SIGKILL from inside, once after a batch's writes committed and
  once before a batch began, decided by marker files): the job completes, every record is
  written exactly once, nothing is lost;
- a job stopped with a batch failing every attempt runs only that batch when run again.

`make test-ray` installs Ray (requirements-scale.txt) and runs these (marker `ray`).
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from models.tenants.store import jobs as job_store
from models.tenants.store import record_rows as store
from models.tenants.store import tenants
from tests.integration.jobs_data import (
    assert_same_understanding,
    documents,
    postgres_database,
    seed_unread,
    understood_by_external_id,
)
from training import jobs

pytestmark = [pytest.mark.ray, pytest.mark.postgres]
BATCH = 8


@pytest.fixture(scope="module")
def ray_executor(settings, reference):
    """Two Ray workers, each with its own pack, and the local reference, all encoding in
    float32 on one torch thread, as a Ray worker of one CPU does: another thread split moves a
    vector by ~1e-3 in bf16 (auto on a CPU with AVX-512 BF16 or AMX) and by ~1e-7 in float32,
    enough to round a stored score's last digit apart (0.2301 against 0.23 on an Intel Xeon)."""
    import ray
    import torch

    from training.distributed import RayExecutor

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TALENT_ENCODER_PRECISION", "fp32")  # Ray's workers inherit it
        patch.setattr(reference.encoder, "bf16", False)
        ray.init(num_cpus=2, include_dashboard=False)
        executor = RayExecutor(workers=2, cpus_per_worker=1, pack_dir=str(settings.pack_path))
        loaded = executor.ready()
        assert len({w["pid"] for w in loaded}) == 2
        yield executor
        executor.close()
        ray.shutdown()
    torch.set_num_threads(threads)


@pytest.fixture
def executor(ray_executor):
    ray_executor.hook = None
    yield ray_executor
    ray_executor.hook = None


@pytest.fixture(scope="module")
def docs(reference):
    return documents(reference, candidates=30, needs=10)


@pytest.fixture
def pg(pg_admin):
    with postgres_database(pg_admin) as (db, url):
        yield db, url


def local(reference, db, url) -> jobs.LocalExecutor:
    return jobs.LocalExecutor(jobs.Worker(reference, {url: db}))


def kill_once(marker_dir: Path, when: set[tuple[int, str]]):
    """A hook that SIGKILLs the worker process running it the first time a batch reaches a
    (batch, stage) of `when`; the marker file it leaves lets the restarted worker go on."""

    def hook(batch: int, stage: str) -> None:
        if (batch, stage) in when:
            marker = marker_dir / f"killed-{batch}-{stage}"
            if not marker.exists():
                marker.write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)

    return hook


def fail_while(marker: Path, batch_to_fail: int):
    """A hook under which one batch raises as long as a marker file exists."""

    def hook(batch: int, stage: str) -> None:
        if batch == batch_to_fail and stage == "start" and marker.exists():
            raise RuntimeError(f"batch {batch} cannot run now")

    return hook


def test_ray_gives_what_one_process_gives(pg, reference, docs, executor):
    db, url = pg
    alone = seed_unread(db, "alone", docs)
    spread = seed_unread(db, "spread", docs)
    for kind in docs:
        one = jobs.reunderstand(db, url, local(reference, db, url), alone, kind, batch_size=BATCH)
        many = jobs.reunderstand(db, url, executor, spread, kind, batch_size=BATCH)
        assert one.counts == many.counts and many.counts["written"] == len(docs[kind])
        assert sorted(many.ran) == list(range(-(-len(docs[kind]) // BATCH)))
        assert_same_understanding(
            understood_by_external_id(db, alone, kind), understood_by_external_id(db, spread, kind)
        )


def test_ray_import_gives_what_one_process_gives(pg, reference, docs, executor, tmp_path):
    db, url = pg
    path = tmp_path / "needs.ndjson"
    path.write_text("\n".join([json.dumps(d) for d in docs["need"]] + ['{"external_id": 3}']))
    a, _ = tenants.create_tenant(db, "alone")
    b, _ = tenants.create_tenant(db, "spread")
    one = jobs.import_file(db, url, local(reference, db, url), a.id, "need", path, batch_size=3)
    many = jobs.import_file(db, url, executor, b.id, "need", path, batch_size=3)
    assert one.counts == many.counts and many.counts["created"] == 10 and many.counts["error"] == 1
    assert_same_understanding(understood_by_external_id(db, a.id, "need"), understood_by_external_id(db, b.id, "need"))
    again = jobs.import_file(db, url, executor, b.id, "need", path, batch_size=3)
    assert again.counts["unchanged"] == 10 and again.counts["written"] == 0


def test_a_killed_worker_loses_nothing_and_writes_nothing_twice(pg, docs, executor, tmp_path):
    db, url = pg
    tenant = seed_unread(db, "acme", {"candidate": docs["candidate"]})
    before = store.last_seq(db, tenant, "candidate")
    executor.hook = kill_once(tmp_path, {(1, "written"), (2, "start")})
    report = jobs.reunderstand(db, url, executor, tenant, "candidate", batch_size=BATCH)
    # both kills happened, in two different worker processes or the same one restarted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed-1-written", "killed-2-start"]
    n = len(docs["candidate"])
    assert sorted(report.ran) == [0, 1, 2, 3] and report.counts["records"] == n
    # batch 1's writes committed before its worker died: its retry found them done
    assert report.counts["written"] == n - BATCH and report.counts["unchanged"] == BATCH
    stored = understood_by_external_id(db, tenant, "candidate")
    assert len(stored) == n and all(v[4] is not None and v[0] and v[5] == 2 for v in stored.values())
    logged = store.changes_since(db, tenant, "candidate", before)
    assert len(logged) == n and len({c.record_id for c in logged}) == n  # each record written once
    assert job_store.get(db, report.job_id).state == "done"


def test_an_interrupted_ray_job_resumes_with_the_rest(pg, docs, executor, tmp_path):
    db, url = pg
    tenant = seed_unread(db, "acme", {"candidate": docs["candidate"]})
    broken = tmp_path / "broken"
    broken.write_text("")
    executor.hook = fail_while(broken, 2)
    with pytest.raises(jobs.JobFailed, match=r"batches failed every attempt \(2\)"):
        jobs.reunderstand(db, url, executor, tenant, "candidate", batch_size=BATCH, retries=1)
    job = job_store.get(db, 1)  # the first job of this schema
    assert job.state == "running" and sorted(job_store.done_batches(db, job.id)) == [0, 1, 3]
    broken.unlink()
    report = jobs.reunderstand(db, url, executor, tenant, "candidate", batch_size=BATCH)
    assert report.resumed and report.job_id == job.id and report.ran == [2] and report.skipped == 3
    assert report.counts["written"] == BATCH
    stored = understood_by_external_id(db, tenant, "candidate")
    assert all(v[5] == 2 for v in stored.values())
