"""What batch jobs store (models/tenants/store/record_rows.write_derived, models/tenants/store/jobs.py), on SQLite
and PostgreSQL: derived fields written once however often a batch runs, written records in the
change log the indices replay, records changed or deleted meanwhile left alone; a job's plan and
finished batches kept so the same job resumes."""

from __future__ import annotations

import numpy as np
import pytest

from models.core.errors import InvalidInput
from models.tenants.reunderstand import plan
from models.tenants.store import audit
from models.tenants.store import jobs as J
from models.tenants.store import record_rows as R
from models.tenants.store import tenants as T

DIM = 8


def vec(seed: int) -> bytes:
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32).tobytes()


@pytest.fixture
def acme(db):
    tenant, _ = T.create_tenant(db, "acme")
    return tenant.id


def stored(db, acme, n: int) -> list[R.Record]:
    """n candidates as an older pack left them: nothing understood, no vector."""
    R.bulk_upsert(db, acme, "candidate", [{"external_id": f"c{i}", "data": {"headline": f"h{i}"}} for i in range(n)])
    return R.records_between(db, acme, "candidate", 0, 10**12)


def derived(record: R.Record, seed: int, **extra) -> dict:
    return {
        "id": record.id,
        "version": record.version,
        "understood": {"skills": [{"id": f"s{seed}", "score": 0.1234}], "pair": (1, 2)},
        "region_id": f"r{seed}",
        "soc": "15-1252",
        "status": None,
        "vector": vec(seed),
        **extra,
    }


def test_write_derived_writes_once_and_logs(db, acme):
    rows = stored(db, acme, 5)
    before = R.last_seq(db, acme, "candidate")
    items = [derived(r, i) for i, r in enumerate(rows)]
    first = R.write_derived(db, acme, "candidate", items)
    assert first.written == [r.id for r in rows] and first.unchanged == first.moved_on == first.missing == []
    after = {r.id: r for r in R.get_many(db, acme, "candidate", [r.id for r in rows], with_vectors=True)}
    for i, r in enumerate(rows):
        got = after[r.id]
        assert got.version == r.version + 1 and got.data == r.data  # the document untouched
        assert (got.region_id, got.soc, got.vector) == (f"r{i}", "15-1252", vec(i))
        assert got.understood == {"skills": [{"id": f"s{i}", "score": 0.1234}], "pair": [1, 2]}
    changes = R.changes_since(db, acme, "candidate", before)
    assert [(c.record_id, c.op) for c in changes] == [(r.id, "upsert") for r in rows]

    # the same items again (a retried batch), and with vectors a rounding apart: nothing written
    again = R.write_derived(db, acme, "candidate", items)
    nudged = [
        {**item, "vector": (np.frombuffer(item["vector"], dtype=np.float32) + np.float32(4e-7)).tobytes()}
        for item in items
    ]
    assert R.write_derived(db, acme, "candidate", nudged).unchanged == [r.id for r in rows]
    assert again.written == [] and again.unchanged == [r.id for r in rows]
    assert R.last_seq(db, acme, "candidate") == changes[-1].seq
    assert [r.version for r in R.get_many(db, acme, "candidate", [r.id for r in rows])] == [r.version + 1 for r in rows]


def test_write_derived_leaves_records_written_or_deleted_meanwhile(db, acme):
    a, b, c = stored(db, acme, 3)
    R.patch(db, acme, "candidate", b.id, {"data": {"headline": "changed by the API"}})
    R.delete(db, acme, "candidate", c.id)
    out = R.write_derived(db, acme, "candidate", [derived(a, 1), derived(b, 2), derived(c, 3)])
    assert (out.written, out.moved_on, out.missing) == ([a.id], [b.id], [c.id])
    assert R.get(db, acme, "candidate", b.id).understood == {} and R.get(db, acme, "candidate", b.id).version == 2
    # a changed vector alone is a change
    (now_a,) = R.get_many(db, acme, "candidate", [a.id])
    assert R.write_derived(db, acme, "candidate", [derived(now_a, 1, vector=vec(9))]).written == [a.id]


def test_write_derived_is_audited_with_the_action_and_checks_items(db, acme):
    (a,) = stored(db, acme, 1)
    token = audit.ACTOR.set(audit.Actor(None, action="reunderstand"))
    try:
        R.write_derived(db, acme, "candidate", [derived(a, 1)])
    finally:
        audit.ACTOR.reset(token)
    last = audit.events(db, acme)[-1]
    assert (last["action"], last["record_id"], last["count"], last["key_prefix"]) == ("reunderstand", a.id, 1, None)
    for bad in (
        {**derived(a, 1), "data": {}},  # a document is never written this way
        {k: v for k, v in derived(a, 1).items() if k != "vector"},
        {**derived(a, 1), "version": None},
        {**derived(a, 1), "vector": b"abc"},
    ):
        with pytest.raises(InvalidInput):
            R.write_derived(db, acme, "candidate", [bad])
    # another tenant's record id reads as missing, and is not touched
    other, _ = T.create_tenant(db, "globex")
    assert R.write_derived(db, other.id, "candidate", [derived(a, 2)]).missing == [a.id]


def test_external_id_lookup_and_id_listing(db, acme):
    rows = stored(db, acme, 3)
    assert R.record_ids(db, acme, "candidate") == [r.id for r in rows]
    found = R.get_many_by_external_id(db, acme, "candidate", ["c0", "c2", "nobody"])
    assert {k: v.id for k, v in found.items()} == {"c0": rows[0].id, "c2": rows[2].id}
    assert R.records_between(db, acme, "candidate", rows[1].id, rows[1].id) == [rows[1]]


def test_plan_batches():
    assert plan([3, 5, 8, 9, 20], 2) == [[3, 5, 2], [8, 9, 2], [20, 20, 1]]
    assert plan([], 10) == []
    with pytest.raises(ValueError):
        plan([1], 0)


def test_job_resumes_with_its_plan_until_finished(db, acme):
    job, resumed = J.start(db, acme, "candidate", "reunderstand", "records", [[1, 4, 4], [5, 9, 5]])
    assert not resumed and job.state == "running" and job.records == 9
    J.mark_done(db, job.id, 0, {"records": 4, "written": 4})
    J.mark_done(db, job.id, 0, {"records": 4, "written": 0})  # recorded again: the first record stays
    again, resumed = J.start(db, acme, "candidate", "reunderstand", "records", [[1, 100, 100]])
    assert resumed and again.id == job.id and again.plan == [[1, 4, 4], [5, 9, 5]]
    assert J.done_batches(db, job.id) == {0: {"records": 4, "written": 4}}
    # another source is another job
    other, resumed = J.start(db, acme, "candidate", "import", "sha256:ab", [[1, 1, 1]])
    assert not resumed and other.id != job.id
    J.finish(db, job.id)
    assert J.get(db, job.id).state == "done" and J.get(db, job.id).finished_at is not None
    new, resumed = J.start(db, acme, "candidate", "reunderstand", "records", [[1, 2, 2]])
    assert not resumed and new.plan == [[1, 2, 2]]
    fresh, resumed = J.start(db, acme, "candidate", "reunderstand", "records", [[3, 3, 1]], fresh=True)
    assert not resumed and fresh.id != new.id and J.get(db, new.id).state == "abandoned"
    with pytest.raises(InvalidInput):
        J.start(db, acme, "candidate", "reindex", "records", [])
