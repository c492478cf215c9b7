"""Readers of matches, candidates for a need, talent maps and region reports while writers
erase and re-create records, on both databases: every read completes and sees one state.

Threads switch every few microseconds here, so a reader that walked a tenant's features while
the change-log replay edited them (a dict changing size during iteration, an array built from
half an update) fails within the first few hundred writes."""

from __future__ import annotations

import sys
import threading

import pytest

from models.recommend.matching import CandidateFilters, MatchFilters
from models.tenants.store import record_rows as R
from models.tenants.store import tenants

FORT_WAYNE = "oews-0023060"
WELDER = ["welding", "read engineering drawings", "operate welding equipment", "metal fabrication"]
WRITES = 300


@pytest.fixture
def runtime(backend, reference, tmp_path):
    from service import create_app

    app = create_app({"data_dir": str(tmp_path), "database_url": backend.standalone_url}, reference=reference)
    rt = app.extensions["talent"]
    yield rt
    rt.database.dispose()


def test_reads_while_records_are_erased_and_written_back(runtime):
    db = runtime.database
    tenant, _ = tenants.create_tenant(db, "acme")
    records, matcher, gaps = runtime.records(), runtime.matcher(), runtime.gaps()
    need = records.create(
        tenant.id, "need", {"external_id": "n1", "title": "Welder", "required_skills": WELDER, "region_id": FORT_WAYNE}
    )
    for i in range(40):
        records.create(
            tenant.id,
            "candidate",
            {
                "external_id": f"c{i}",
                "headline": "Welder",
                "skills": WELDER,
                "region_id": FORT_WAYNE,
                "willing_to_relocate": i % 2 == 0,
            },
        )
    # written back as stored: the writer needs no encoder, so writes come fast enough to race
    stored = list(R.export(db, tenant.id, "candidate", with_vectors=True))
    items = {
        r.external_id: {"external_id": r.external_id, "data": r.data, "understood": r.understood, "vector": r.vector}
        for r in stored
    }
    everyone = {r.id for r in stored}
    required, nice, vec, soc, title = matcher.role_from_query(WELDER, None)
    done = threading.Event()
    failures: list[BaseException] = []
    seen: list[int] = []
    ids_seen: set[int] = set()  # checked after the run: a reader may see a write before the writer notes its id

    def writer() -> None:
        try:
            for n in range(WRITES):
                external_id = f"c{n % 40}"
                current = R.get_by_external_id(db, tenant.id, "candidate", external_id)
                R.delete(db, tenant.id, "candidate", current.id)
                runtime.records().indexes.get(tenant.id, "candidate")
                (result,) = R.bulk_upsert(db, tenant.id, "candidate", [items[external_id]])
                everyone.add(result.id)
                runtime.records().indexes.get(tenant.id, "candidate")
        except BaseException as exc:
            failures.append(exc)
        finally:
            done.set()

    def reader() -> None:
        try:
            while not done.is_set():
                fits = matcher.need_candidates(tenant.id, need["id"], CandidateFilters(limit=50))
                assert fits.items
                ids_seen.update(i.candidate.id for i in fits.items)
                talent = matcher.talent_map(tenant.id, required, nice, vec, soc, title, MatchFilters(limit=5))
                here = [r for r in talent.regions if r.region.id == FORT_WAYNE]
                assert here and 39 <= here[0].candidates.fitting <= 40, here
                report = gaps.region_report(tenant.id, FORT_WAYNE)
                assert report
                seen.append(1)
        except BaseException as exc:
            failures.append(exc)
            done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, repr(failures[0])
    assert len(seen) >= 2, "the readers ran alongside the writer"
    assert ids_seen <= everyone, "only records that were written were read"
    assert sum(1 for _ in R.export(db, tenant.id, "candidate")) == 40
