"""Per-tenant FAISS indices (one per kind) that never disagree with the database.

The database is the source of truth: every write appends to the `changes` log in the same
transaction. An index knows the last change it contains (`seq`); before every query it
replays newer changes (one indexed SELECT when there are none), so a write through any
gunicorn worker is visible to queries through every other at once.

Snapshots (index.faiss + manifest.json with `seq`) let a restarted worker skip the full
rebuild: it loads the snapshot and replays only what came after. A snapshot is written to a
temporary directory and renamed into place, so it is always whole; its manifest is checked on
load and a bad snapshot is rebuilt from the database instead. Workers share the snapshot
directory: writing one holds an exclusive file lock per tenant and kind, reading one a shared
lock, so two workers never swap directories at once. A snapshot never goes back to an older
`seq` unless a rebuild asks for it.

Erasure reaches the disk too: when replaying a change removes records, the worker writes a new
snapshot right away (unless one at least as new is there), so no snapshot file keeps an erased
vector. Snapshot I/O never fails a request: the database stays the truth, and a worker that
finds no usable snapshot rebuilds from it. A snapshot that cannot be written (a full disk)
leaves the previous one in place, or deletes it when it holds erased records, and is logged
once until writing works again.
"""

from __future__ import annotations

import fcntl
import gc
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core import artifacts
from models.core.index import EXACT_MAX, FaissIndex
from models.tenants.features import FeatureTable, FeatureView, features_of
from models.tenants.store import record_rows as store
from models.tenants.store.db import Database

log = logging.getLogger(__name__)
SNAPSHOT_EVERY = 2_000  # changes replayed since the last snapshot before writing a new one


@dataclass
class TenantIndex:
    """A tenant's records of one kind as served: FAISS index plus in-memory features."""

    tenant_id: int
    kind: str
    index: FaissIndex
    features: FeatureTable
    seq: int = 0
    snapshot_seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        return len(self.index)


def _vectors(blobs: list[bytes], dim: int) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(-1, dim)


class TenantIndexes:
    """The indices of every tenant this worker has touched."""

    def __init__(self, db: Database, dim: int, directory: Path, encoder_fingerprint: str, exact_max: int = EXACT_MAX):
        self.db = db
        self.dim = dim
        self.directory = Path(directory)
        self.encoder_fingerprint = encoder_fingerprint
        self.exact_max = exact_max
        self._indexes: dict[tuple[int, str], TenantIndex] = {}
        self._lock = threading.Lock()
        self._snapshots_failing = False

    # ---- access ----------------------------------------------------------------------------
    def get(self, tenant_id: int, kind: str) -> TenantIndex:
        """The tenant's index of `kind`, up to date with the database."""
        key = (tenant_id, kind)
        with self._lock:
            ti = self._indexes.get(key)
            loaded = ti is None
            if ti is None:
                ti = self._load_or_build(tenant_id, kind)
                self._indexes[key] = ti
        if loaded:
            _out_of_gc_sight()  # outside the lock: a full collection takes a while
        self.sync(ti)
        return ti

    def sizes(self) -> dict[str, int]:
        """Records per kind over the tenant indices this process holds."""
        with self._lock:
            held = list(self._indexes.values())
        out: dict[str, int] = {}
        for ti in held:
            out[ti.kind] = out.get(ti.kind, 0) + len(ti)
        return out

    def view(self, tenant_id: int, kind: str) -> FeatureView:
        """The tenant's features of `kind` as of now, for one request to read: a version no
        later write changes (the replay never edits what a view holds)."""
        ti = self.get(tenant_id, kind)
        with ti.lock:
            return ti.features.view()

    def search(self, tenant_id: int, kind: str, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        ti = self.get(tenant_id, kind)
        with ti.lock:
            scores, ids = ti.index.search(query, k)
        return scores, ids

    def sync(self, ti: TenantIndex) -> int:
        """Replay changes newer than the index; returns how many were applied."""
        if store.last_seq(self.db, ti.tenant_id, ti.kind) <= ti.seq:
            return 0
        with ti.lock:
            changes = store.changes_since(self.db, ti.tenant_id, ti.kind, ti.seq)
            if not changes:
                return 0
            final: dict[int, str] = {}
            for change in changes:  # only the last operation on a record matters
                final[change.record_id] = change.op
            deleted = [rid for rid, op in final.items() if op == "delete"]
            upserted = [rid for rid, op in final.items() if op == "upsert"]
            rows = store.get_many(self.db, ti.tenant_id, ti.kind, upserted, with_vectors=True) if upserted else []
            found = {r.id for r in rows}
            # upserted then deleted after we read the log: make sure it is gone too
            gone = deleted + [rid for rid in upserted if rid not in found]
            if gone:
                ti.index.remove(np.asarray(gone, dtype=np.int64))
                for rid in gone:
                    ti.features.remove(rid)
            self._put(ti, rows)
            ti.seq = changes[-1].seq
            grown_past_exact = ti.index.kind == "flat" and len(ti.index) > self.exact_max
        if grown_past_exact:
            self.rebuild(ti.tenant_id, ti.kind)
        elif gone or ti.seq - ti.snapshot_seq >= SNAPSHOT_EVERY:
            self.snapshot(ti, erased=bool(gone))  # after an erasure at once: no file keeps the vector
        return len(changes)

    def _put(self, ti: TenantIndex, rows: list[store.Record]) -> None:
        with_vectors = [(r.id, r.vector) for r in rows if r.vector]
        if with_vectors:
            ti.index.add(
                np.asarray([rid for rid, _ in with_vectors], dtype=np.int64),
                _vectors([vector for _, vector in with_vectors], self.dim),
            )
        self._put_features(ti, rows)

    @staticmethod
    def _put_features(ti: TenantIndex, rows: Iterable[store.Record]) -> None:
        for r in rows:
            vector = np.frombuffer(r.vector, dtype=np.float32) if r.vector else None
            ti.features.put(features_of(ti.kind, r.id, r.external_id, r.data, r.understood), vector)

    # ---- build, snapshot, load ----------------------------------------------------------------
    def rebuild(self, tenant_id: int, kind: str) -> TenantIndex:
        """Build from the database (index kind chosen from the size), snapshot, register."""
        ti = self._build(tenant_id, kind)
        with self._lock:
            self._indexes[(tenant_id, kind)] = ti
        _out_of_gc_sight()
        self.sync(ti)
        return ti

    def _build(self, tenant_id: int, kind: str) -> TenantIndex:
        started = time.time()
        seq = store.last_seq(self.db, tenant_id, kind)  # read first: later changes are replayed
        # two streamed passes, never every row at once: a row's document and understanding
        # parse to ~30 KB of Python objects, and a freed heap that size stays resident
        pairs = list(store.iter_vectors(self.db, tenant_id, kind))
        ids = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        matrix = _vectors([v for _, v in pairs], self.dim)
        del pairs
        index = FaissIndex.for_size(self.dim, len(ids), self.exact_max)
        if len(ids):
            index.train(matrix)
            index.add(ids, matrix)
        del matrix
        ti = TenantIndex(tenant_id, kind, index, FeatureTable(self.dim), seq=seq)
        self._put_features(ti, store.export(self.db, tenant_id, kind, with_vectors=True))
        self.snapshot(ti, force=True)
        log.info(
            "index %s/%s built: %d vectors (%s) in %.1fs",
            tenant_id,
            kind,
            len(index),
            index.kind,
            time.time() - started,
        )
        return ti

    def _dir(self, tenant_id: int, kind: str) -> Path:
        return self.directory / f"tenant-{tenant_id}" / kind

    @contextmanager
    def _file_lock(self, tenant_id: int, kind: str, exclusive: bool) -> Iterator[None]:
        """Between processes (gunicorn workers) and threads alike: flock belongs to the open
        file, and each call opens its own."""
        path = self._dir(tenant_id, kind).with_name(f"{kind}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def snapshot(self, ti: TenantIndex, force: bool = False, erased: bool = False) -> bool:
        """Write `ti` to disk, replacing the tenant's snapshot of its kind, unless the one there
        holds at least as many changes (`force` replaces it anyway). False when nothing was
        written; an I/O error (a full disk) is logged, never raised, and leaves the previous
        snapshot in place, unless records were `erased` since: then it is deleted, since it
        holds their vectors (a worker without a snapshot rebuilds from the database)."""
        target = self._dir(ti.tenant_id, ti.kind)
        try:
            with self._file_lock(ti.tenant_id, ti.kind, exclusive=True):
                # under the lock no other snapshot of this kind is being written: leftovers of
                # a crashed writer (which may hold erased vectors) go
                for stale in [*target.parent.glob(f"{target.name}.tmp*"), *target.parent.glob(f"{target.name}.old*")]:
                    shutil.rmtree(stale, ignore_errors=True)
                if not force and _snapshot_seq(target) >= ti.seq:
                    ti.snapshot_seq = ti.seq
                    return False
                try:
                    seq = self._write_snapshot(ti, target)
                except (OSError, RuntimeError):
                    if erased:
                        shutil.rmtree(target, ignore_errors=True)
                    raise
        except (OSError, RuntimeError) as exc:  # FAISS reports a failed write as RuntimeError
            if not self._snapshots_failing:  # once per spell of failures (a full disk stays full)
                log.error(
                    "snapshot of %s/%s not written (%s); serving goes on from memory and the database, "
                    "the previous snapshot stays in place",
                    ti.tenant_id,
                    ti.kind,
                    exc,
                )
            self._snapshots_failing = True
            return False
        if self._snapshots_failing:
            log.warning("snapshots written again (%s/%s)", ti.tenant_id, ti.kind)
            self._snapshots_failing = False
        ti.snapshot_seq = seq
        return True

    def _write_snapshot(self, ti: TenantIndex, target: Path) -> int:
        """Write into a temporary directory and swap it in (the caller holds the file lock);
        returns the change number written."""
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        tmp.mkdir()
        try:
            with ti.lock:
                ti.index.save(tmp / "index.faiss")
                seq, count, params = ti.seq, len(ti.index), ti.index.params
            self._write_manifest(ti, tmp, seq, count, params)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # a half-written snapshot frees its space
            raise
        old = target.with_name(f"{target.name}.old{os.getpid()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return seq

    def _write_manifest(self, ti: TenantIndex, tmp: Path, seq: int, count: int, params: dict) -> None:
        manifest = {
            "kind": "tenant-index",
            "format_version": artifacts.FORMAT_VERSION,
            "record_kind": ti.kind,
            "tenant_id": ti.tenant_id,
            "seq": seq,
            "count": count,
            "index": params,
            "encoder": self.encoder_fingerprint,
            "files": {"index.faiss": artifacts.sha256_file(tmp / "index.faiss")},
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / artifacts.MANIFEST).write_text(json.dumps(manifest, indent=2))

    def _load_or_build(self, tenant_id: int, kind: str) -> TenantIndex:
        directory = self._dir(tenant_id, kind)
        try:
            with self._file_lock(tenant_id, kind, exclusive=False):
                manifest = artifacts.verify(directory, "tenant-index")
                if manifest["encoder"] != self.encoder_fingerprint or manifest["tenant_id"] != tenant_id:
                    raise artifacts.ArtifactError("snapshot of another encoder or tenant")
                params = manifest["index"]
                index = FaissIndex.load(directory / "index.faiss", params["kind"], params["nlist"], params["nprobe"])
            ti = TenantIndex(
                tenant_id, kind, index, FeatureTable(self.dim), seq=manifest["seq"], snapshot_seq=manifest["seq"]
            )
            # features are not snapshotted: read the rows as of the snapshot's seq; the changes
            # after it are replayed by sync() like the index's
            self._put_features(ti, store.export(self.db, tenant_id, kind, with_vectors=True))
            return ti
        except (artifacts.ArtifactError, FileNotFoundError, KeyError, json.JSONDecodeError, RuntimeError) as exc:
            if directory.exists():
                log.warning("snapshot %s unusable (%s); rebuilding from the database", directory, exc)
            return self._build(tenant_id, kind)


def _out_of_gc_sight() -> None:
    """Move what is alive now out of the cyclic garbage collector's generations. A loaded
    tenant is millions of long-lived objects (features, their skill dicts) that every full
    collection would walk again, a pause that grows with the tenant; they hold no reference
    cycles, so reference counting still frees them when they are replaced."""
    gc.collect()
    gc.freeze()


def _snapshot_seq(directory: Path) -> int:
    """The change number a snapshot on disk holds; -1 when there is none (or it is unreadable)."""
    try:
        return int(artifacts.read_json(directory / artifacts.MANIFEST)["seq"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1
