"""Per-tenant indices against the database (SQLite and PostgreSQL): erasure reaches the
snapshot on disk, workers sharing the snapshot directory never trip over each other, the
switch from exact to IVF search keeps recall@10 >= 0.97, and a full disk costs no request."""

from __future__ import annotations

import errno
import json
import logging
import subprocess
import threading

import numpy as np
import pytest

from models.core.index import FaissIndex
from models.tenants.store import record_rows as R
from models.tenants.store import tenants as T
from models.tenants.tenant_index import TenantIndexes

DIM = 32
FINGERPRINT = "test-encoder:32"


def clustered(n: int, seed: int = 1, clusters: int = 40) -> np.ndarray:
    """Unit vectors around a few dozen directions, as profile vectors of a tenant's
    occupations are (uniform random vectors have no neighbours worth finding)."""
    centres = np.random.default_rng(0).standard_normal((clusters, DIM))
    rng = np.random.default_rng(seed)
    x = centres[rng.integers(0, clusters, n)] + 0.45 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def put(db, tenant_id: int, vectors: np.ndarray, start: int = 0) -> list[int]:
    items = [
        {
            "external_id": f"c-{start + i}",
            "data": {"headline": f"person {start + i}"},
            "understood": {"skills": [], "text_skills": []},
            "vector": v.tobytes(),
        }
        for i, v in enumerate(vectors)
    ]
    return [r.id for r in R.bulk_upsert(db, tenant_id, "candidate", items)]


@pytest.fixture
def acme(db):
    tenant, _ = T.create_tenant(db, "acme")
    return tenant.id


def workers(db, tmp_path, n: int = 2, **kwargs) -> list[TenantIndexes]:
    """Index sets of n workers sharing one snapshot directory, as gunicorn workers do."""
    return [TenantIndexes(db, DIM, tmp_path / "indices", FINGERPRINT, **kwargs) for _ in range(n)]


def on_disk(tmp_path, tenant_id: int) -> tuple[dict, set[int]]:
    directory = tmp_path / "indices" / f"tenant-{tenant_id}" / "candidate"
    manifest = json.loads((directory / "manifest.json").read_text())
    params = manifest["index"]
    index = FaissIndex.load(directory / "index.faiss", params["kind"], params["nlist"], params["nprobe"])
    return manifest, set(index.ids().tolist())


def test_an_erasure_leaves_no_vector_in_the_snapshot_on_disk(db, acme, tmp_path):
    (indexes,) = workers(db, tmp_path, 1)
    ids = put(db, acme, clustered(30))
    indexes.get(acme, "candidate")  # built and snapshotted
    manifest, stored = on_disk(tmp_path, acme)
    assert stored == set(ids)
    R.delete(db, acme, "candidate", ids[7])
    indexes.get(acme, "candidate")  # what a request does after its write
    manifest, stored = on_disk(tmp_path, acme)
    assert ids[7] not in stored and stored == set(ids) - {ids[7]}
    assert manifest["seq"] == R.last_seq(db, acme, "candidate")


def test_workers_snapshotting_at_once_never_fail_and_never_go_back(db, acme, tmp_path):
    a, b = workers(db, tmp_path)
    put(db, acme, clustered(50))
    ta, tb = a.get(acme, "candidate"), b.get(acme, "candidate")
    leftover = tmp_path / "indices" / f"tenant-{acme}" / "candidate.tmp99999"
    leftover.mkdir()  # what a worker killed while writing leaves behind
    outcomes: list = []

    def hammer(indexes, ti):
        for _ in range(10):
            try:
                indexes.snapshot(ti, force=True)
                outcomes.append("ok")
            except Exception as exc:  # the assertion below names it
                outcomes.append(exc)

    threads = [threading.Thread(target=hammer, args=pair) for pair in [(a, ta), (b, tb), (a, ta), (b, tb)]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["ok"] * 40
    assert not leftover.exists()
    assert sorted(p.name for p in leftover.parent.iterdir()) == ["candidate", "candidate.lock"]

    ids = put(db, acme, clustered(5, seed=2), start=50)
    b.get(acme, "candidate")
    assert b.snapshot(tb) is True  # newer than the snapshot on disk
    assert a.snapshot(ta) is False  # a's index is behind the one on disk: it stays
    manifest, stored = on_disk(tmp_path, acme)
    assert manifest["seq"] == R.last_seq(db, acme, "candidate") and set(ids) <= stored

    (fresh,) = workers(db, tmp_path, 1)  # a restarted worker loads the snapshot
    assert set(fresh.get(acme, "candidate").index.ids().tolist()) == stored


def test_past_the_exact_size_the_index_turns_ivf_and_keeps_recall(db, acme, tmp_path):
    (indexes,) = workers(db, tmp_path, 1, exact_max=300)
    vectors = clustered(2400)
    ids = np.asarray(put(db, acme, vectors[:200]) + put(db, acme, vectors[200:], start=200))
    ti = indexes.get(acme, "candidate")
    assert ti.index.kind == "ivf" and len(ti) == len(ids)
    assert on_disk(tmp_path, acme)[0]["index"]["kind"] == "ivf"

    queries = clustered(200, seed=5)  # new vectors, not stored ones
    truth = ids[np.argsort(-(queries @ vectors.T), axis=1)[:, :10]]
    _, got = indexes.search(acme, "candidate", queries, 10)
    recall = np.mean([len(set(t) & set(g)) / 10 for t, g in zip(truth, got)])
    assert recall >= 0.97, recall


def test_reindex_rebuilds_a_tenants_indices_from_the_database(backend, db, acme, tmp_path, monkeypatch, capsys):
    from training import reindex

    class Encoder:  # reindex needs only the dimension and identity of the encoder
        dim, fingerprint = DIM, FINGERPRINT

    monkeypatch.setattr(reindex, "Encoder", Encoder)
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TALENT_DATABASE_URL", backend.standalone_url)
    ids = put(db, acme, clustered(40))
    R.delete(db, acme, "candidate", ids[0])
    reindex.main(["--tenant", "acme", "--kind", "candidate"])
    seq = R.last_seq(db, acme, "candidate")
    assert capsys.readouterr().out.startswith(f"acme/candidate: 39 vectors, flat, seq {seq}")
    manifest, stored = on_disk(tmp_path, acme)
    assert stored == set(ids[1:]) and manifest["seq"] == seq


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KB tmpfs for the snapshots, unmounted afterwards (the tests run as root here)."""
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    yield mount
    # lazily: the test's indices still map snapshot files there (until collected)
    subprocess.run(["umount", "--lazy", str(mount)], check=True)


def fill(directory) -> None:
    """Write zeros until the file system refuses."""
    with open(directory / "filler", "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_a_full_disk_keeps_the_last_snapshot_and_serving_goes_on(db, acme, small_disk, caplog):
    indexes = TenantIndexes(db, DIM, small_disk / "indices", FINGERPRINT)
    ids = put(db, acme, clustered(30))
    indexes.get(acme, "candidate")  # built and snapshotted while there is room
    manifest, stored = on_disk(small_disk, acme)
    assert stored == set(ids)
    fill(small_disk)

    caplog.set_level(logging.WARNING, logger="models.tenants.tenant_index")
    more = put(db, acme, clustered(20, seed=2), start=30)
    ti = indexes.get(acme, "candidate")
    for _ in range(3):  # a full disk stays full: each attempt fails, the error is logged once
        assert indexes.snapshot(ti) is False
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and "not written" in failures[0].getMessage()
    # the previous snapshot is still whole, and no half-written one is left behind
    assert on_disk(small_disk, acme) == (manifest, set(ids))
    assert not list((small_disk / "indices" / f"tenant-{acme}").glob("candidate.tmp*"))
    # serving goes on from memory: the new records are found
    _, found = indexes.search(acme, "candidate", clustered(20, seed=2)[:1], 5)
    assert more[0] in found[0].tolist()

    # an erasure that cannot reach a new snapshot deletes the old one, which holds the vector
    R.delete(db, acme, "candidate", ids[0])
    indexes.get(acme, "candidate")
    assert not (small_disk / "indices" / f"tenant-{acme}" / "candidate").exists()
    (small_disk / "filler").unlink()
    R.delete(db, acme, "candidate", ids[1])
    indexes.get(acme, "candidate")  # room again: the next erasure writes a snapshot
    manifest, stored = on_disk(small_disk, acme)
    assert stored == (set(ids) | set(more)) - {ids[0], ids[1]}
    assert any("written again" in r.getMessage() for r in caplog.records)
