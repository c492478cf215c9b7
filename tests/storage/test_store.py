"""The storage layer on SQLite and PostgreSQL (every test runs on both; see conftest.py)."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import func, insert, inspect, select, text

from models.core.errors import Conflict, InvalidInput, NotFound
from models.tenants.store import record_rows as R
from models.tenants.store import tenants as T
from models.tenants.store.db import current_revision, downgrade, upgrade
from models.tenants.store.tables import api_keys, changes, metadata, records, tenants, utcnow

DIM = 8


def vec(seed: int, dim: int = DIM) -> bytes:
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32).tobytes()


def item(ext: str, n: int = 0, **extra) -> dict:
    return {
        "external_id": ext,
        "data": {"name": f"person {ext}", "n": n},
        "understood": {"skills": [n]},
        "vector": vec(n),
        **extra,
    }


@pytest.fixture
def acme(db):
    tenant, _ = T.create_tenant(db, "acme")
    return tenant.id


@pytest.fixture
def globex(db):
    tenant, _ = T.create_tenant(db, "globex")
    return tenant.id


def table_count(db, table, *where) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


# --- tenants and keys ------------------------------------------------------------------------


def test_create_tenant_and_authenticate(db):
    tenant, key = T.create_tenant(db, "acme")
    assert key.startswith("tk_") and len(key) == 3 + 43  # token_urlsafe(32): 43 characters
    assert T.authenticate(db, key) == tenant.id
    # only the hash is stored
    with db.connect() as conn:
        ((stored_prefix, stored_hash),) = conn.execute(select(api_keys.c.key_prefix, api_keys.c.key_hash)).all()
    assert stored_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(stored_prefix) and len(stored_prefix) < len(key) // 3


def test_wrong_keys_authenticate_nobody(db):
    _, key = T.create_tenant(db, "acme")
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")  # same prefix, wrong secret
    for wrong in (tampered, key + "x", key[:-1], "", None, "tk_", "Bearer " + key, key.upper(), 42):
        assert T.authenticate(db, wrong) is None


def test_rotate_key_invalidates_old_key(db):
    tenant, old = T.create_tenant(db, "acme")
    new = T.rotate_key(db, "acme")
    assert new != old
    assert T.authenticate(db, old) is None
    assert T.authenticate(db, new) == tenant.id
    newer = T.rotate_key(db, "acme")
    assert T.authenticate(db, new) is None and T.authenticate(db, newer) == tenant.id


def test_an_added_key_works_beside_the_others_and_is_revoked_alone(db):
    tenant, first = T.create_tenant(db, "acme")
    extra = T.add_key(db, "acme")
    assert T.authenticate(db, first) == tenant.id and T.authenticate(db, extra) == tenant.id
    assert T.revoke_key(db, extra) is True
    assert T.authenticate(db, extra) is None and T.authenticate(db, first) == tenant.id
    assert T.revoke_key(db, extra) is False  # already revoked
    assert T.revoke_key(db, "tk_never-issued") is False


def test_revoke_keys(db):
    _, key = T.create_tenant(db, "acme")
    other, other_key = T.create_tenant(db, "globex")
    assert T.revoke_keys(db, "acme") == 1
    assert T.authenticate(db, key) is None
    assert T.authenticate(db, other_key) == other.id  # other tenants untouched
    assert T.revoke_keys(db, "acme") == 0
    # a tenant without keys gets one back by rotation
    assert T.authenticate(db, T.rotate_key(db, "acme")) is not None


def test_duplicate_tenant_name_is_conflict(db):
    T.create_tenant(db, "acme")
    with pytest.raises(Conflict):
        T.create_tenant(db, "acme")
    assert [t.name for t in T.list_tenants(db)] == ["acme"]
    assert table_count(db, api_keys) == 1  # the failed create left no key behind


def test_tenant_names_and_unknown_tenants(db):
    for bad in ("", "  ", " acme", "x" * 101, None):
        with pytest.raises(InvalidInput):
            T.create_tenant(db, bad)
    for call in (T.rotate_key, T.revoke_keys, T.get_tenant):
        with pytest.raises(NotFound):
            call(db, "nobody")


def test_list_tenants(db):
    a, key_a = T.create_tenant(db, "acme")
    b, _ = T.create_tenant(db, "globex")
    T.revoke_keys(db, "globex")
    listed = T.list_tenants(db)
    assert [(t.id, t.name) for t in listed] == [(a.id, "acme"), (b.id, "globex")]
    assert listed[0].key_prefixes == (key_a[:12],) and listed[1].key_prefixes == ()
    assert all(t.created_at.tzinfo is not None for t in listed)


# --- tenant isolation ------------------------------------------------------------------------


def test_tenant_isolation(db, acme, globex):
    rec, _ = R.upsert(db, acme, "candidate", item("c1", 1, region_id="r1"))
    before = R.get(db, acme, "candidate", rec.id)

    with pytest.raises(NotFound) as missing:
        R.get(db, globex, "candidate", 10**9)
    with pytest.raises(NotFound) as foreign:
        R.get(db, globex, "candidate", rec.id)
    assert str(foreign.value).replace(str(rec.id), "") == str(missing.value).replace(str(10**9), "")
    with pytest.raises(NotFound):
        R.get_by_external_id(db, globex, "candidate", "c1")
    with pytest.raises(NotFound):
        R.delete(db, globex, "candidate", rec.id)
    with pytest.raises(NotFound):
        R.replace(db, globex, "candidate", rec.id, item("c1", 2))
    with pytest.raises(NotFound):
        R.patch(db, globex, "candidate", rec.id, {"status": "hired"})
    assert R.list_records(db, globex, "candidate") == ([], None)
    assert R.list_records(db, globex, "candidate", {"region_id": "r1"}) == ([], None)
    assert R.count(db, globex, "candidate") == 0
    assert list(R.export(db, globex, "candidate")) == []
    assert list(R.iter_vectors(db, globex, "candidate")) == []
    assert R.vectors_for(db, globex, "candidate", [rec.id]) == {}
    assert R.changes_since(db, globex, "candidate", 0) == [] and R.last_seq(db, globex, "candidate") == 0

    # the same external id under another tenant is another record
    theirs, created = R.upsert(db, globex, "candidate", item("c1", 3))
    assert created and theirs.id != rec.id

    # another kind of the same tenant is also out of reach
    with pytest.raises(NotFound):
        R.get(db, acme, "need", rec.id)

    assert R.get(db, acme, "candidate", rec.id) == before
    assert R.changes_since(db, acme, "candidate", 0) == [(R.last_seq(db, acme, "candidate"), rec.id, "upsert")]


def test_write_for_unknown_tenant_is_not_found(db):
    with pytest.raises(NotFound):
        R.upsert(db, 999, "candidate", item("c1"))
    assert table_count(db, records) == 0


# --- upsert, replace, patch, delete ----------------------------------------------------------


def test_upsert_is_idempotent_by_external_id(db, acme):
    first, created = R.upsert(db, acme, "candidate", item("c1", 1, region_id="r1", soc="15-1252"))
    assert created and first.version == 1 and first.created_at == first.updated_at
    assert first.data == {"name": "person c1", "n": 1} and first.vector == vec(1)
    assert first.created_at.tzinfo is not None

    second, created = R.upsert(db, acme, "candidate", item("c1", 2, status="open"))
    assert not created
    assert second.id == first.id and second.version == 2
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at
    assert second.data == {"name": "person c1", "n": 2} and second.vector == vec(2)
    # an upsert replaces the whole content: what the item leaves out is emptied
    assert (second.region_id, second.soc, second.status) == (None, None, "open")

    third, _ = R.upsert(db, acme, "candidate", item("c1", 2, status="open"))
    assert third.version == 3  # every write counts, even one that changes nothing
    assert R.count(db, acme, "candidate") == 1
    assert [c.op for c in R.changes_since(db, acme, "candidate", 0)] == ["upsert"] * 3


def test_data_is_kept_as_given(db, acme):
    data = {"zeta": 1, "alpha": {"b": [1, 2.5, None, True], "a": "ünïcödé ✓"}, "empty": {}}
    rec, _ = R.upsert(db, acme, "need", {"external_id": "n1", "data": data})
    got = R.get(db, acme, "need", rec.id)
    assert got.data == data and list(got.data) == ["zeta", "alpha", "empty"]
    assert list(got.data["alpha"]) == ["b", "a"]
    assert got.understood == {} and got.vector is None


def test_invalid_items(db, acme):
    for bad in (
        {"data": {}},  # no external_id
        {"external_id": "x"},  # no data
        {"external_id": "", "data": {}},
        {"external_id": "x" * 201, "data": {}},
        {"external_id": "x", "data": []},
        {"external_id": "x", "data": {"v": float("nan")}},
        {"external_id": "x", "data": {"s": {1, 2}}},
        {"external_id": "x", "data": {}, "vector": b"abc"},
        {"external_id": "x", "data": {}, "vector": [1.0, 2.0]},
        {"external_id": "x", "data": {}, "region_id": 7},
        {"external_id": "x", "data": {}, "colour": "red"},
        "not a dict",
    ):
        with pytest.raises(InvalidInput):
            R.upsert(db, acme, "candidate", bad)
    with pytest.raises(InvalidInput):
        R.upsert(db, acme, "employer", item("x"))
    assert table_count(db, records) == 0 and table_count(db, changes) == 0


def test_numpy_vectors_are_stored_as_float32(db, acme):
    array = np.arange(DIM, dtype=np.float64)
    rec, _ = R.upsert(db, acme, "candidate", {"external_id": "c1", "data": {}, "vector": array})
    assert np.array_equal(np.frombuffer(rec.vector, dtype=np.float32), array.astype(np.float32))


def test_replace_and_patch_by_id(db, acme):
    rec, _ = R.upsert(db, acme, "program", item("p1", 1, region_id="r1", soc="15-1252", status="open"))

    patched = R.patch(db, acme, "program", rec.id, {"status": "closed", "vector": None})
    assert (patched.version, patched.status, patched.vector) == (2, "closed", None)
    assert (patched.region_id, patched.soc, patched.data) == ("r1", "15-1252", rec.data)

    unchanged = R.patch(db, acme, "program", rec.id, {})
    assert unchanged == patched  # nothing to set: nothing written

    replaced = R.replace(db, acme, "program", rec.id, {"data": {"title": "new"}})
    assert replaced.version == 3 and replaced.external_id == "p1"
    assert (replaced.data, replaced.understood, replaced.region_id, replaced.status) == (
        {"title": "new"},
        {},
        None,
        None,
    )

    renamed = R.replace(db, acme, "program", rec.id, {"external_id": "p1-renamed", "data": {}})
    assert renamed.external_id == "p1-renamed"
    assert R.get_by_external_id(db, acme, "program", "p1-renamed").id == rec.id

    other, _ = R.upsert(db, acme, "program", item("p2"))
    with pytest.raises(Conflict):
        R.replace(db, acme, "program", other.id, {"external_id": "p1-renamed", "data": {}})
    with pytest.raises(Conflict):
        R.patch(db, acme, "program", other.id, {"external_id": "p1-renamed"})
    assert R.get(db, acme, "program", other.id).external_id == "p2"

    with pytest.raises(InvalidInput):
        R.replace(db, acme, "program", rec.id, {"understood": {}})  # data is required
    with pytest.raises(InvalidInput):
        R.patch(db, acme, "program", rec.id, {"colour": "red"})
    for missing in (10**9, -1, 0, "1", None, 2**70):
        with pytest.raises(NotFound):
            R.patch(db, acme, "program", missing, {"status": "x"})
    assert [c.op for c in R.changes_since(db, acme, "program", 0)] == ["upsert"] * 5


def test_expected_version(db, acme):
    rec, _ = R.upsert(db, acme, "candidate", item("c1"))
    with pytest.raises(Conflict) as stale:
        R.patch(db, acme, "candidate", rec.id, {"status": "x"}, expected_version=2)
    assert stale.value.details == {"version": 1}
    assert R.patch(db, acme, "candidate", rec.id, {"status": "x"}, expected_version=1).version == 2
    with pytest.raises(Conflict):
        R.delete(db, acme, "candidate", rec.id, expected_version=1)
    R.delete(db, acme, "candidate", rec.id, expected_version=2)


def test_delete_erases_row_and_logs(db, acme):
    keep, _ = R.upsert(db, acme, "candidate", item("keep", 1))
    gone, _ = R.upsert(db, acme, "candidate", item("gone", 2))
    seq = R.last_seq(db, acme, "candidate")

    R.delete(db, acme, "candidate", gone.id)

    with pytest.raises(NotFound):
        R.get(db, acme, "candidate", gone.id)
    with pytest.raises(NotFound):
        R.get_by_external_id(db, acme, "candidate", "gone")
    with pytest.raises(NotFound):
        R.delete(db, acme, "candidate", gone.id)
    # the row, and its vector with it, is gone from the table itself
    assert table_count(db, records, records.c.id == gone.id) == 0
    assert R.vectors_for(db, acme, "candidate", [keep.id, gone.id]) == {keep.id: vec(1)}
    assert R.changes_since(db, acme, "candidate", seq) == [(seq + 1, gone.id, "delete")]
    # the log holds no content of the erased record
    assert set(changes.c.keys()) == {"seq", "tenant_id", "kind", "record_id", "op", "at"}

    # ids are never reused, even the highest one just deleted (SQLite AUTOINCREMENT)
    again, created = R.upsert(db, acme, "candidate", item("gone", 2))
    assert created and again.id > gone.id and again.version == 1


# --- the change log --------------------------------------------------------------------------


def test_change_log_order_and_changes_since(db, acme):
    a, _ = R.upsert(db, acme, "candidate", item("a"))
    n, _ = R.upsert(db, acme, "need", item("n"))
    b, _ = R.upsert(db, acme, "candidate", item("b"))
    R.patch(db, acme, "candidate", a.id, {"status": "x"})
    R.delete(db, acme, "candidate", b.id)
    R.bulk_upsert(db, acme, "candidate", [item("c"), item("a", 5)])
    c = R.get_by_external_id(db, acme, "candidate", "c")

    log = R.changes_since(db, acme, "candidate", 0)
    assert [(rid, op) for _, rid, op in log] == [
        (a.id, "upsert"),
        (b.id, "upsert"),
        (a.id, "upsert"),
        (b.id, "delete"),
        (c.id, "upsert"),
        (a.id, "upsert"),
    ]
    seqs = [s for s, _, _ in log]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert R.last_seq(db, acme, "candidate") == seqs[-1]
    assert R.changes_since(db, acme, "candidate", seqs[2]) == log[3:]
    assert R.changes_since(db, acme, "candidate", seqs[-1]) == []
    assert R.changes_since(db, acme, "candidate", 0, limit=2) == log[:2]
    need_log = R.changes_since(db, acme, "need", 0)
    assert [(rid, op) for _, rid, op in need_log] == [(n.id, "upsert")]
    assert seqs[0] < need_log[0].seq < seqs[1]  # one sequence across kinds, filtered per kind

    # replaying the log gives the current state
    state: dict[int, bool] = {}
    for _, rid, op in log:
        state[rid] = op == "upsert"
    assert {rid for rid, alive in state.items() if alive} == {r.id for r in R.export(db, acme, "candidate")}


def test_concurrent_writers_keep_log_consistent(backend, acme):
    # several connections write the same tenant at once: no lock errors, no lost updates,
    # and the log has one entry per write, in commit order
    db = backend.database(migrate=False)
    threads, per_thread = 4, 25
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                R.upsert(db, acme, "candidate", item(f"shared-{i % 5}", t))
                R.upsert(db, acme, "candidate", item(f"own-{t}-{i}", t))
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert R.count(db, acme, "candidate") == 5 + threads * per_thread
    log = R.changes_since(db, acme, "candidate", 0)
    assert len(log) == 2 * threads * per_thread
    versions = sum(r.version for r in R.export(db, acme, "candidate"))
    assert versions == len(log)  # each write bumped exactly one version and logged once
    shared = [R.get_by_external_id(db, acme, "candidate", f"shared-{i}") for i in range(5)]
    assert sum(r.version for r in shared) == threads * per_thread


# --- listing and pagination ------------------------------------------------------------------


def _page_through(db, tenant, kind, sizes, filters=None, between_pages=None):
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = R.list_records(db, tenant, kind, filters, sizes[pages % len(sizes)], cursor)
        seen.extend(r.id for r in page)
        pages += 1
        if between_pages:
            between_pages(pages, seen)
        if cursor is None:
            return seen, pages


def test_cursor_pagination_covers_every_row_once(db, acme):
    results = R.bulk_upsert(db, acme, "candidate", [item(f"c{i}", i, region_id=f"r{i % 3}") for i in range(237)])
    ids = [r.id for r in results]
    for sizes in ([1], [7], [100], [1000], [3, 50, 1, 17, 1000]):
        seen, _ = _page_through(db, acme, "candidate", sizes)
        assert seen == ids  # every row, once, in id order
    seen, _ = _page_through(db, acme, "candidate", [10], {"region_id": "r1"})
    assert seen == [r.id for i, r in enumerate(results) if i % 3 == 1]
    page, cursor = R.list_records(db, acme, "candidate", limit=237)
    assert len(page) == 237 and cursor is None and page[0].vector is None
    page, _ = R.list_records(db, acme, "candidate", limit=1, with_vectors=True)
    assert page[0].vector == vec(0)


def test_pagination_while_writes_happen(db, acme):
    ids = [r.id for r in R.bulk_upsert(db, acme, "candidate", [item(f"c{i}", i) for i in range(100)])]
    added: list[int] = []
    deleted_unseen: list[int] = []

    def write(page_number: int, seen: list[int]) -> None:
        gone = ids[-page_number]  # from the end: mostly rows on pages not read yet
        if gone not in seen:
            deleted_unseen.append(gone)
        R.delete(db, acme, "candidate", gone)
        added.append(R.upsert(db, acme, "candidate", item(f"new{page_number}"))[0].id)
        R.patch(db, acme, "candidate", ids[page_number], {"status": "seen"})  # a row already read

    seen, pages = _page_through(db, acme, "candidate", [9, 4, 13], between_pages=write)
    deleted = {ids[-p] for p in range(1, pages + 1)}
    assert len(seen) == len(set(seen))  # no duplicates
    assert set(ids) - deleted <= set(seen)  # every row that existed throughout, seen once
    assert deleted_unseen and not set(deleted_unseen) & set(seen)  # rows erased before their page: never
    assert set(added[:-1]) <= set(seen)  # rows added while paging (the last after the last page)
    assert set(seen) <= set(ids) | set(added)


def test_filters(db, acme):
    R.upsert(db, acme, "need", item("a", region_id="r1", soc="15-1252", status="open"))
    R.upsert(db, acme, "need", item("b", region_id="r1", soc="15-1253", status="closed"))
    R.upsert(db, acme, "need", item("c", region_id="r2", soc="15-1252", status="open"))

    def ext(filters):
        return [r.external_id for r in R.list_records(db, acme, "need", filters)[0]]

    assert ext({"region_id": "r1"}) == ["a", "b"]
    assert ext({"soc": "15-1252", "status": "open"}) == ["a", "c"]
    assert ext({"region_id": "r1", "status": "open", "soc": None}) == ["a"]
    assert ext({"region_id": "nowhere"}) == []
    assert R.count(db, acme, "need", {"soc": "15-1252"}) == 2

    cut = R.get_by_external_id(db, acme, "need", "b").updated_at
    assert ext({"updated_since": cut}) == ["b", "c"]
    assert ext({"updated_since": cut.isoformat()}) == ["b", "c"]
    assert ext({"updated_since": cut.astimezone(timezone(timedelta(hours=-5)))}) == ["b", "c"]
    assert ext({"updated_since": cut.replace(tzinfo=None)}) == ["b", "c"]  # naive means UTC
    assert ext({"updated_since": cut + timedelta(microseconds=1)}) == ["c"]
    assert ext({"updated_since": datetime(2000, 1, 1, tzinfo=UTC)}) == ["a", "b", "c"]
    R.patch(db, acme, "need", R.get_by_external_id(db, acme, "need", "a").id, {"status": "closed"})
    assert ext({"updated_since": cut + timedelta(microseconds=1)}) == ["a", "c"]


def test_listing_rejects_bad_arguments(db, acme):
    R.upsert(db, acme, "candidate", item("c1"))
    for kwargs in (
        {"limit": 0},
        {"limit": 1001},
        {"limit": "5"},
        {"cursor": "not-a-cursor"},
        {"cursor": R.encode_cursor(1)[:-2] + "!!"},
        {"filters": {"colour": "red"}},
        {"filters": {"region_id": 5}},
        {"filters": {"updated_since": "yesterday"}},
    ):
        with pytest.raises(InvalidInput):
            R.list_records(db, acme, "candidate", **kwargs)
    with pytest.raises(InvalidInput):
        R.list_records(db, acme, "candidates")
    assert R.decode_cursor(R.encode_cursor(12345)) == 12345


# --- bulk ------------------------------------------------------------------------------------


def test_bulk_upsert_10000(db, acme, capsys, backend):
    n, dim = 10_000, 384
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    items = [
        {
            "external_id": f"c{i}",
            "data": {"name": f"person {i}", "skills": ["python", "sql"], "years": i % 40},
            "understood": {"skills": ["esco:1", "esco:2"], "soc": "15-1252"},
            "region_id": f"r{i % 50}",
            "soc": "15-1252",
            "status": "open",
            "vector": vectors[i].tobytes(),
        }
        for i in range(n)
    ]

    started = time.perf_counter()
    results = R.bulk_upsert(db, acme, "candidate", items)
    first = time.perf_counter() - started

    assert len(results) == n and all(r.created and r.version == 1 for r in results)
    assert [r.external_id for r in results] == [f"c{i}" for i in range(n)]
    assert len({r.id for r in results}) == n
    assert R.count(db, acme, "candidate") == n and len(R.changes_since(db, acme, "candidate", 0)) == n

    # half updates, half new
    again = items[n // 2 :] + [{**it, "external_id": "d" + it["external_id"][1:]} for it in items[: n // 2]]
    started = time.perf_counter()
    results2 = R.bulk_upsert(db, acme, "candidate", again)
    second = time.perf_counter() - started
    assert [r.created for r in results2] == [False] * (n // 2) + [True] * (n // 2)
    assert [r.id for r in results2[: n // 2]] == [r.id for r in results[n // 2 :]]
    assert all(r.version == 2 for r in results2[: n // 2])
    assert R.count(db, acme, "candidate") == n + n // 2

    started = time.perf_counter()
    streamed = {rid: v for rid, v in R.iter_vectors(db, acme, "candidate")}
    stream_time = time.perf_counter() - started
    assert len(streamed) == n + n // 2
    assert streamed[results[7].id] == vectors[7].tobytes()
    with capsys.disabled():
        print(
            f"\n[{backend.name}] bulk_upsert {n} new: {first:.2f}s; {n // 2} updates + {n // 2} new: "
            f"{second:.2f}s; iter_vectors {len(streamed)}: {stream_time:.2f}s"
        )


def test_bulk_duplicates_last_wins(db, acme):
    existing, _ = R.upsert(db, acme, "candidate", item("old"))
    results = R.bulk_upsert(
        db,
        acme,
        "candidate",
        [
            item("x", 1),
            item("old", 2),
            item("x", 3),
            item("y", 4),
            item("old", 5),
        ],
    )
    x, y = R.get_by_external_id(db, acme, "candidate", "x"), R.get_by_external_id(db, acme, "candidate", "y")
    assert [(r.id, r.created) for r in results] == [
        (x.id, True),
        (existing.id, False),
        (x.id, False),
        (y.id, True),
        (existing.id, False),
    ]
    assert x.data["n"] == 3 and x.version == 1
    old = R.get(db, acme, "candidate", existing.id)
    assert old.data["n"] == 5 and old.version == 2
    assert R.count(db, acme, "candidate") == 3
    assert len(R.changes_since(db, acme, "candidate", 0)) == 1 + 3  # written once each


def test_bulk_invalid_item_rejects_the_chunk(db, acme):
    R.upsert(db, acme, "candidate", item("c0"))
    items = [item(f"c{i}", i) for i in range(10)]
    items[6] = {"external_id": "c6"}  # no data
    with pytest.raises(InvalidInput) as error:
        R.bulk_upsert(db, acme, "candidate", items)
    assert error.value.details == {"index": 6}
    assert R.count(db, acme, "candidate") == 1 and R.get_by_external_id(db, acme, "candidate", "c0").version == 1
    assert R.bulk_upsert(db, acme, "candidate", []) == []


# --- all or nothing --------------------------------------------------------------------------


def test_failing_write_mid_transaction_leaves_nothing(db, acme, monkeypatch):
    kept, _ = R.upsert(db, acme, "candidate", item("kept", 1))
    seq = R.last_seq(db, acme, "candidate")
    real_log = R._log

    def log_then_fail(conn, *args):
        real_log(conn, *args)  # records and the log are written ...
        assert conn.execute(select(func.count()).select_from(changes)).scalar_one() > 1
        raise RuntimeError("disk full")  # ... and then the transaction fails

    monkeypatch.setattr(R, "_log", log_then_fail)
    for write in (
        lambda: R.bulk_upsert(db, acme, "candidate", [item(f"c{i}", i) for i in range(50)] + [item("kept", 9)]),
        lambda: R.upsert(db, acme, "candidate", item("new")),
        lambda: R.replace(db, acme, "candidate", kept.id, item("kept", 9)),
        lambda: R.delete(db, acme, "candidate", kept.id),
    ):
        with pytest.raises(RuntimeError, match="disk full"):
            write()
    monkeypatch.undo()

    assert R.count(db, acme, "candidate") == 1
    assert R.get(db, acme, "candidate", kept.id) == kept
    assert R.last_seq(db, acme, "candidate") == seq and table_count(db, changes) == 1


def test_database_error_rolls_back_the_transaction(db):
    T.create_tenant(db, "acme")
    with pytest.raises(Exception) as error, db.transaction() as conn:
        conn.execute(insert(tenants).values(name="globex", created_at=datetime.now(UTC)))
        conn.execute(insert(tenants).values(name="acme", created_at=datetime.now(UTC)))
    assert "unique" in str(error.value).lower()
    assert [t.name for t in T.list_tenants(db)] == ["acme"]


def test_foreign_keys_are_enforced(db):
    with pytest.raises(Exception) as error, db.transaction() as conn:
        conn.execute(
            insert(changes).values(tenant_id=12345, kind="need", record_id=1, op="upsert", at=datetime.now(UTC))
        )
    assert "foreign key" in str(error.value).lower()


# --- streaming reads -------------------------------------------------------------------------


def test_export_streams_a_consistent_snapshot(db, acme):
    ids = [r.id for r in R.bulk_upsert(db, acme, "program", [item(f"p{i}", i) for i in range(2500)])]
    stream = R.export(db, acme, "program", batch=100)
    head = [next(stream) for _ in range(10)]
    # writes while the export is open: neither blocks the other
    R.upsert(db, acme, "program", item("late"))
    R.delete(db, acme, "program", ids[-1])
    rest = list(stream)
    exported = [r.id for r in head + rest]
    assert exported == ids  # the snapshot taken when the export started
    assert head[0].data == {"name": "person p0", "n": 0} and head[0].vector is None
    with_vectors = R.export(db, acme, "program", with_vectors=True)
    assert next(with_vectors).vector == vec(0)
    with_vectors.close()  # stopping early gives the connection back
    assert R.count(db, acme, "program") == 2500


def test_vectors(db, acme, globex):
    a, _ = R.upsert(db, acme, "candidate", item("a", 1))
    b, _ = R.upsert(db, acme, "candidate", item("b", 2))
    novec, _ = R.upsert(db, acme, "candidate", {"external_id": "n", "data": {}})
    theirs, _ = R.upsert(db, globex, "candidate", item("a", 3))
    assert R.vectors_for(db, acme, "candidate", [a.id, b.id, novec.id, theirs.id, 10**9, -3]) == {
        a.id: vec(1),
        b.id: vec(2),
    }
    assert R.vectors_for(db, acme, "candidate", []) == {}
    assert list(R.iter_vectors(db, acme, "candidate")) == [(a.id, vec(1)), (b.id, vec(2))]
    many = R.bulk_upsert(db, acme, "need", [item(f"n{i}", i) for i in range(1200)])
    got = R.vectors_for(db, acme, "need", [r.id for r in many])
    assert len(got) == 1200 and got[many[1100].id] == vec(1100)


# --- migrations ------------------------------------------------------------------------------

HEAD = "0003"


def test_upgrade_is_idempotent(backend):
    db = backend.database()
    upgrade(db)
    upgrade(db)
    assert current_revision(db) == HEAD
    assert set(inspect(db.engine).get_table_names()) >= {"tenants", "api_keys", "records", "changes"}


def test_migrations_match_tables(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_sqlite_ids_use_autoincrement(sqlite_db):
    db = sqlite_db
    with db.connect() as conn:
        sql = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
        pragmas = [conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("journal_mode", "foreign_keys")]
    for table in ("tenants", "api_keys", "records", "changes", "audit_events", "jobs"):
        assert "AUTOINCREMENT" in sql[table]
    assert pragmas == ["wal", 1]


def test_downgrade_to_base_and_back(backend):
    db = backend.database()
    T.create_tenant(db, "acme")
    downgrade(db, "base")
    assert current_revision(db) is None
    assert not set(inspect(db.engine).get_table_names()) & {"tenants", "records", "changes", "api_keys"}
    upgrade(db)
    assert current_revision(db) == HEAD and T.list_tenants(db) == []


# A later migration, written into a temporary versions directory. In batch mode SQLite
# rebuilds a table (copy, drop, rename): for the parent table `tenants`, dropping the old
# table with foreign keys on would cascade-delete every key, record and change; for `records`,
# the AUTOINCREMENT counter would restart from the highest id left. Batch mode also drops
# AUTOINCREMENT unless told (table_kwargs). PostgreSQL alters in place.
LATER_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "t0003"
down_revision = "0003"
branch_labels = None
depends_on = None


def batch(table):
    sqlite = op.get_context().dialect.name == "sqlite"
    return op.batch_alter_table(table, recreate="always" if sqlite else "auto",
                                table_kwargs={"sqlite_autoincrement": True})


def upgrade():
    with batch("tenants") as b:
        b.add_column(sa.Column("plan", sa.String(20), nullable=True))
    with batch("records") as b:
        b.add_column(sa.Column("note", sa.String(20), nullable=True))


def downgrade():
    with batch("records") as b:
        b.drop_column("note")
    with batch("tenants") as b:
        b.drop_column("plan")
"""


def test_downgrade_upgrade_cycle_keeps_data(backend, tmp_path):
    versions = tmp_path / "later_versions"
    versions.mkdir()
    (versions / "t0003_plan.py").write_text(LATER_MIGRATION)
    db = backend.database()
    tenant, key = T.create_tenant(db, "acme")
    results = R.bulk_upsert(db, tenant.id, "candidate", [item(f"c{i}", i) for i in range(20)])
    R.delete(db, tenant.id, "candidate", results[-1].id)  # the highest id: must never come back

    def snapshot():
        return (
            T.list_tenants(db),
            T.authenticate(db, key),
            list(R.export(db, tenant.id, "candidate", with_vectors=True)),
            R.changes_since(db, tenant.id, "candidate", 0),
        )

    before = snapshot()
    upgrade(db, version_locations=[str(versions)])
    assert current_revision(db) == "t0003"
    with db.connect() as conn:
        assert conn.execute(text("SELECT plan FROM tenants")).all() == [(None,)]
    assert snapshot() == before
    downgrade(db, HEAD, version_locations=[str(versions)])
    assert current_revision(db) == HEAD
    assert snapshot() == before
    upgrade(db, version_locations=[str(versions)])
    assert snapshot() == before
    # the rebuilt tables still never reuse ids, and still enforce foreign keys
    again, _ = R.upsert(db, tenant.id, "candidate", item("new"))
    assert again.id > results[-1].id
    test_foreign_keys_are_enforced(db)
    if backend.name == "sqlite":
        test_sqlite_ids_use_autoincrement(db)


def test_sqlite_migration_losing_autoincrement_is_refused(sqlite_backend, tmp_path):
    backend = sqlite_backend
    versions = tmp_path / "later_versions"
    versions.mkdir()
    (versions / "t0003_plan.py").write_text(
        LATER_MIGRATION.replace('table_kwargs={"sqlite_autoincrement": True}', "table_kwargs={}")
    )
    db = backend.database()
    T.create_tenant(db, "acme")
    with pytest.raises(RuntimeError, match="AUTOINCREMENT"):
        upgrade(db, version_locations=[str(versions)])
    assert current_revision(db) == HEAD and [t.name for t in T.list_tenants(db)] == ["acme"]
    test_sqlite_ids_use_autoincrement(db)


def test_normalize_url():
    from models.tenants.store.db import normalize_url

    assert normalize_url("postgresql://u@h/d").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


# --- admin command ---------------------------------------------------------------------------


def test_admin_commands(backend, monkeypatch, capsys, tmp_path):
    from service import admin

    monkeypatch.setenv("TALENT_DATABASE_URL", backend.standalone_url)
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path))

    def run(*argv):
        code = admin.main(list(argv))
        out, err = capsys.readouterr()
        return code, out.strip(), err

    assert run("migrate")[0] == 0
    code, key, _ = run("create-tenant", "acme")
    assert code == 0 and key.startswith("tk_")
    db = backend.database(migrate=False)
    acme_id = T.authenticate(db, key)
    assert acme_id is not None

    code, _, err = run("create-tenant", "acme")
    assert code == 1 and "exists" in err
    code, new_key, _ = run("rotate-key", "acme")
    assert code == 0 and T.authenticate(db, key) is None and T.authenticate(db, new_key) == acme_id
    code, out, _ = run("list-tenants")
    assert code == 0 and out.splitlines()[1].split("\t")[1] == "acme" and new_key[:12] in out
    # rotation with an overlap: both keys work until the old one's expiry
    code, newer, err = run("rotate-key", "acme", "--overlap-hours", "2")
    assert code == 0 and "expire in 2 hours" in err
    assert T.authenticate(db, new_key) == acme_id and T.authenticate(db, newer) == acme_id
    old_grant = T.check_key(db, new_key)
    assert (
        7190 < (old_grant.expires_at - utcnow()).total_seconds() <= 7200 and T.check_key(db, newer).expires_at is None
    )
    code, reader, err = run("add-key", "acme", "--read-only", "--expires-in-days", "30")
    grant = T.check_key(db, reader)
    assert code == 0 and grant.scope == "read_only" and grant.tenant_id == acme_id and "valid until" in err
    assert T.check_key(db, newer).scope == "read_write"
    assert run("revoke-key", "acme")[0] == 0 and T.authenticate(db, new_key) is None
    assert T.authenticate(db, newer) is None and T.authenticate(db, reader) is None
    assert run("rotate-key", "nobody")[0] == 1
    # demo-key: creates the demo tenant the first time, then a fresh key that replaces the last
    code, demo_key, _ = run("demo-key")
    demo_id = T.authenticate(db, demo_key)
    assert code == 0 and demo_id is not None and T.get_tenant(db, T.DEMO_TENANT).id == demo_id
    code, again, _ = run("demo-key")
    assert code == 0 and T.authenticate(db, again) == demo_id and T.authenticate(db, demo_key) is None
    assert current_revision(db) == HEAD


def test_keys_and_records_of_the_first_schema_survive_the_second(backend):
    """0001 -> 0002 rebuilds api_keys on SQLite: keys issued before keep working, read-write
    and without expiry, and nothing else is touched."""
    db = backend.database(migrate=False)
    upgrade(db, "0001")
    key = T._new_key()
    now = utcnow()
    with db.transaction() as conn:  # written as the first schema's code wrote them
        conn.execute(text("INSERT INTO tenants (name, created_at) VALUES ('acme', :now)"), {"now": now})
        conn.execute(
            text("INSERT INTO api_keys (tenant_id, key_prefix, key_hash, created_at) VALUES (1, :p, :h, :now)"),
            {"p": key[:12], "h": T._hash(key), "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO records (tenant_id, kind, external_id, data, understood, created_at, updated_at, version) "
                "VALUES (1, 'candidate', 'c1', '{}', '{}', :now, :now, 1)"
            ),
            {"now": now},
        )
    upgrade(db)
    assert current_revision(db) == HEAD
    grant = T.check_key(db, key)
    assert grant.tenant_id == 1 and grant.scope == "read_write" and grant.expires_at is None
    assert [r.external_id for r in R.export(db, 1, "candidate")] == ["c1"]
    assert T.add_key(db, "acme", scope="read_only").startswith("tk_")
    test_foreign_keys_are_enforced(db)
    if backend.name == "sqlite":
        test_sqlite_ids_use_autoincrement(db)
