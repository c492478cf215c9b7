"""Records and databases for the batch-job tests (tests/integration/test_reunderstand.py,
tests/scale/): realistic documents, a PostgreSQL schema of the test's own, helpers to seed a
tenant as an older pack left it and to read back what understanding stored."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from models.tenants.store import record_rows as store
from models.tenants.store import tenants
from models.tenants.store.db import Database, upgrade
from tests.conftest import PG_URL
from training.synthetic import SyntheticTenant


def documents(ref, candidates: int = 30, needs: int = 10, seed: int = 11) -> dict[str, list[dict]]:
    """Synthetic candidates and needs; some candidates give a free-text place instead of a
    region id (one that resolves nowhere), one writes in Spanish."""
    gen = SyntheticTenant(ref, seed=seed)
    people = []
    for n in range(candidates):
        doc, _ = gen.candidate(n)
        if n % 4 == 1:
            doc["location"] = ref.regions.get(doc.pop("region_id")).name
        people.append(doc)
    people[2] = {**{k: v for k, v in people[2].items() if k != "region_id"}, "location": "Zqxvy Plorth"}
    people[3] = {
        "external_id": people[3]["external_id"],
        "headline": "Soldador con experiencia",
        "summary": "Seis años de soldadura de tuberías de acero inoxidable. Lectura de planos y control de calidad.",
        "skills": ["soldadura TIG", "lectura de planos"],
        "location": "El Paso, TX",
    }
    return {"candidate": people, "need": [gen.need(n)[0] for n in range(needs)]}


@contextmanager
def postgres_database(admin) -> Iterator[tuple[Database, str]]:
    """A migrated database in a schema of its own on the test PostgreSQL, and a URL that
    reaches it from any process (the search_path in the URL); dropped afterwards."""
    schema = "t_" + secrets.token_hex(6)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    db = Database(url)
    try:
        upgrade(db)
        yield db, url
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def seed_unread(db: Database, name: str, docs: dict[str, list[dict]]) -> int:
    """A tenant whose records were stored but not understood (as an older pack would leave
    them for a new one to read again): documents only, no understanding, no vector."""
    tenant, _ = tenants.create_tenant(db, name)
    for kind, items in docs.items():
        store.bulk_upsert(db, tenant.id, kind, [{"external_id": d["external_id"], "data": d} for d in items])
    return tenant.id


def understood_by_external_id(db: Database, tenant_id: int, kind: str) -> dict[str, tuple]:
    """external_id -> (understood, region_id, soc, status, vector as float32, version)."""
    return {
        r.external_id: (
            r.understood,
            r.region_id,
            r.soc,
            r.status,
            np.frombuffer(r.vector, dtype=np.float32) if r.vector else None,
            r.version,
        )
        for r in store.export(db, tenant_id, kind, with_vectors=True)
    }


def assert_same_understanding(a: dict[str, tuple], b: dict[str, tuple]) -> None:
    """Same records, same understood/region/soc/status, vectors within 1e-6."""
    assert a.keys() == b.keys()
    for ext in a:
        assert a[ext][:4] == b[ext][:4], ext
        assert a[ext][4] is not None and b[ext][4] is not None, ext
        assert float(np.abs(a[ext][4] - b[ext][4]).max()) <= 1e-6, ext
