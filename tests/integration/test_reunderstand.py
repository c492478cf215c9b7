"""Batch jobs in one process (training/jobs.py with LocalExecutor), on PostgreSQL: the
reference path the Ray jobs (tests/scale/) are compared with.

- records stored without understanding get what the API's ingest decides for them (language,
  skills, region, occupation; vectors within VECTOR_TOLERANCE), each written once; the same job again
  writes nothing; on records the API wrote, a job rewrites only those its vectors' last bits
  changed (a rounded score, the order of tied skills), once;
- a job whose batch fails every attempt stops unfinished; the same job run again runs only the
  batches not done;
- importing a file: bad lines reported, the rest written as the API's bulk import writes them;
  the same file again writes nothing (no version bumped);
- a running API worker's index sees what a job wrote (the change log), and the job's rebuild
  leaves a snapshot.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.tenants.record_pipeline import BulkLine, TenantRecords
from models.tenants.store import jobs as job_store
from models.tenants.store import record_rows as store
from models.tenants.store import tenants
from models.tenants.tenant_index import TenantIndexes
from tests.integration.jobs_data import (
    assert_same_understanding,
    documents,
    postgres_database,
    seed_unread,
    understood_by_external_id,
)
from training import jobs

# a wrong vector is 1e-1 away; the same text encoded in another batch, in float32, 1e-9 to 1e-7
VECTOR_TOLERANCE = 1e-5

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module", autouse=True)
def float32(reference):
    """The API's chunks are not a job's batches. In float32 another batch shape moves a vector
    by ~1e-7; bf16 (TALENT_ENCODER_PRECISION=auto on a CPU with AVX-512 BF16 or AMX) rounds
    every product to 8 bits, so there it moves scores by ~1e-3 and says nothing about the jobs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reference.encoder, "bf16", False)
        yield


@pytest.fixture(scope="module")
def docs(reference):
    return documents(reference)


@pytest.fixture
def pg(pg_admin):
    with postgres_database(pg_admin) as (db, url):
        yield db, url


def local(reference, db, url, hook=None) -> jobs.LocalExecutor:
    return jobs.LocalExecutor(jobs.Worker(reference, {url: db}), hook)


def api_tenant(db, reference, tmp_path, name: str, docs: dict) -> tuple[int, TenantIndexes]:
    """The records written through the API's code (TenantRecords.bulk_upsert: its own chunks,
    its memo, the next chunk encoded in a thread, NumPy's BLAS on both cores)."""
    tenant, _ = tenants.create_tenant(db, name)
    indexes = TenantIndexes(db, reference.encoder.dim, tmp_path / "indices", reference.encoder.fingerprint)
    service = TenantRecords(db, reference, indexes)
    for kind, items in docs.items():
        results = list(service.bulk_upsert(tenant.id, kind, [BulkLine(i + 1, doc=d) for i, d in enumerate(items)]))
        assert all(r["status"] == "created" for r in results), results
    return tenant.id, indexes


def essence(rows: dict[str, tuple]) -> dict[str, tuple]:
    """What understanding decided for each record: language, linked skills, region, occupation,
    status (the scores and the order of text skills that tie can move with the last bits of a
    vector)."""
    return {
        ext: (u["language"], [s["id"] for s in u["skills"]], u["region"], (u["occupation"] or {}).get("soc"), *v[:3])
        for ext, (u, *v) in rows.items()
    }


def test_reunderstanding_gives_what_understanding_on_write_gives(pg, reference, docs, tmp_path):
    db, url = pg
    written_by_api, indexes = api_tenant(db, reference, tmp_path, "api", docs)
    unread = seed_unread(db, "unread", docs)
    executor = local(reference, db, url)
    for kind in docs:
        api_before = understood_by_external_id(db, written_by_api, kind)
        assert len(indexes.get(unread, kind)) == 0  # an API worker's index, loaded before the job: no vectors yet
        report = jobs.reunderstand(db, url, executor, unread, kind, batch_size=7)
        assert report.counts["records"] == report.counts["written"] == len(docs[kind])
        assert report.batches == len(report.ran) == -(-len(docs[kind]) // 7) and report.problems == []
        mine = understood_by_external_id(db, unread, kind)
        assert {v[5] for v in mine.values()} == {2}  # written once each
        assert len(indexes.get(unread, kind)) == len(docs[kind])  # replayed from the change log
        # what the API's ingest decided: its chunks are not the job's batches, so a vector's last
        # bits may differ (a score rounds or two tied skills order otherwise), nothing more
        assert essence(mine) == essence(api_before)
        assert all(float(np.abs(mine[k][4] - api_before[k][4]).max()) <= VECTOR_TOLERANCE for k in mine)
        # the same job again writes nothing: no version bumped, no change logged
        seq = store.last_seq(db, unread, kind)
        again = jobs.reunderstand(db, url, executor, unread, kind, batch_size=7)
        assert not again.resumed and again.counts["written"] == 0 and again.counts["unchanged"] == len(docs[kind])
        assert store.last_seq(db, unread, kind) == seq
        assert_same_understanding(understood_by_external_id(db, unread, kind), mine)
        # on the API's records, only what differs in those last bits is written, once
        api_seq = store.last_seq(db, written_by_api, kind)
        on_api = jobs.reunderstand(db, url, executor, written_by_api, kind, batch_size=7)
        api_after = understood_by_external_id(db, written_by_api, kind)
        rewritten = {k for k in api_after if api_after[k][5] != api_before[k][5]}
        assert {api_after[k][5] for k in rewritten} <= {2} and essence(api_after) == essence(api_before)
        assert on_api.counts["written"] == len(rewritten) == len(store.changes_since(db, written_by_api, kind, api_seq))
        assert_same_understanding(
            {k: v for k, v in api_after.items() if k in rewritten}, {k: v for k, v in mine.items() if k in rewritten}
        )

    people = understood_by_external_id(db, unread, "candidate")
    assert people["cand-000002"][0]["region"] == {"id": None, "unresolved": "Zqxvy Plorth"}
    assert people["cand-000003"][0]["language"] == "es" and people["cand-000001"][1] is not None
    # an API worker that never saw the tenant: its index replays the job's writes from the log
    fresh = TenantIndexes(db, reference.encoder.dim, tmp_path / "other", reference.encoder.fingerprint)
    assert len(fresh.get(unread, "candidate")) == len(docs["candidate"])


def test_a_failed_job_resumes_with_the_batches_not_done(pg, reference, docs):
    db, url = pg
    tenant = seed_unread(db, "acme", {"candidate": docs["candidate"]})
    seen: list[tuple[int, str]] = []

    def broken_batch_2(batch: int, stage: str) -> None:
        seen.append((batch, stage))
        if batch == 2 and stage == "start":
            raise RuntimeError("batch 2 cannot run")

    with pytest.raises(jobs.JobFailed, match="batch"):
        jobs.reunderstand(db, url, local(reference, db, url, broken_batch_2), tenant, "candidate", batch_size=8)
    assert seen.count((2, "start")) == 1 + jobs.RETRIES  # tried, then submitted again twice
    job = job_store.get(db, 1)  # the first job of this schema
    assert job.state == "running" and sorted(job_store.done_batches(db, job.id)) == [0, 1, 3]
    # a record added meanwhile is not part of the job: it was understood when it was written
    store.upsert(db, tenant, "candidate", {"external_id": "late", "data": {"headline": "late"}})

    report = jobs.reunderstand(db, url, local(reference, db, url), tenant, "candidate", batch_size=8)
    assert report.resumed and report.job_id == job.id and report.skipped == 3 and report.ran == [2]
    assert report.counts["written"] == report.counts["records"] == 8
    assert job_store.get(db, job.id).state == "done"
    stored = understood_by_external_id(db, tenant, "candidate")
    assert all(v[5] == 2 and v[4] is not None for k, v in stored.items() if k != "late")


def test_import_writes_like_the_api_and_again_writes_nothing(pg, reference, docs, tmp_path):
    db, url = pg
    people = docs["candidate"][:12]
    api, _ = api_tenant(db, reference, tmp_path, "api", {"candidate": people})
    tenant, _ = tenants.create_tenant(db, "acme")
    path = tmp_path / "people.ndjson"
    lines = [json.dumps(d) for d in people]
    lines.insert(3, "{not json")
    lines.insert(7, json.dumps({"external_id": "bad-region", "headline": "Welder", "region_id": "no-such-region"}))
    lines.insert(9, "")
    path.write_text("\n".join(lines) + "\n")
    executor = local(reference, db, url)

    report = jobs.import_file(db, url, executor, tenant.id, "candidate", path, batch_size=5)
    assert report.counts["created"] == 12 and report.counts["error"] == 2
    assert [(p["line"], p["error"]["code"]) for p in report.problems] == [(4, "invalid_json"), (8, "validation_failed")]
    assert essence(understood_by_external_id(db, tenant.id, "candidate")) == essence(
        understood_by_external_id(db, api, "candidate")
    )
    seq = store.last_seq(db, tenant.id, "candidate")
    again = jobs.import_file(db, url, executor, tenant.id, "candidate", path, batch_size=5)
    assert not again.resumed and again.counts["unchanged"] == 12 and again.counts["written"] == 0
    assert store.last_seq(db, tenant.id, "candidate") == seq
    assert {v[5] for v in understood_by_external_id(db, tenant.id, "candidate").values()} == {1}
    # a changed line is updated, the others stay as they are
    changed = [json.dumps({**people[0], "headline": "Wind turbine technician"})] + [json.dumps(d) for d in people[1:]]
    path.write_text("\n".join(changed))
    third = jobs.import_file(db, url, executor, tenant.id, "candidate", path, batch_size=5)
    assert (third.counts["updated"], third.counts["unchanged"]) == (1, 11)


def test_reindex_command_reunderstands_and_rebuilds(pg, reference, docs, tmp_path, monkeypatch, capsys, settings):
    from training import reindex

    db, url = pg
    tenant = seed_unread(db, "acme", {"need": docs["need"]})
    (tmp_path / "pack").symlink_to(settings.pack_path)
    monkeypatch.setenv("TALENT_DATABASE_URL", url)
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(
        "models.reference.data.ReferenceData.load", lambda *a, **k: reference
    )  # loaded once per session
    reindex.main(["--tenant", "acme", "--kind", "need", "--reunderstand", "--batch-size", "4"])
    out = capsys.readouterr().out.splitlines()
    summary = json.loads(out[0])
    assert (summary["tenant"], summary["kind"], summary["records"], summary["written"]) == ("acme", "need", 10, 10)
    assert out[1].startswith(f"acme/need: {len(docs['need'])} vectors, flat")
    assert (tmp_path / "indices" / f"tenant-{tenant}" / "need" / "manifest.json").exists()
