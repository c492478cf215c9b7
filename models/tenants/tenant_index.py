"""Per-tenant FAISS indices (one per kind) that never disagree with the database.

The database is the source of truth: every write appends to the `changes` log in the same
transaction. An index knows the last change it contains (`seq`); before every query it
replays newer changes (one indexed SELECT when there are none), so a write through any
gunicorn worker is visible to queries through every other at once.

Snapshots (index.faiss, the features column by column in columns/, manifest.json with `seq`)
let a restarted worker skip the full rebuild: it maps the snapshot (memory-mapped, read-only:
a tenant of a million candidates opens in well under a second and its pages are shared by
every worker) and replays only what came after, as a small overlay in memory
(models/core/index.py: LayeredIndex, models/tenants/feature_views.py). Writing a snapshot
folds the overlay into a new base, which the writer maps in turn; another worker finding a
snapshot on disk newer than its own state maps that one instead of writing its own. A snapshot is written to a
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core import artifacts
from models.core.index import EXACT_MAX, TRAIN_PER_LIST, FaissIndex, LayeredIndex
from models.tenants.columns import ColumnBatch, Columns
from models.tenants.feature_views import FeatureTable, FeatureView
from models.tenants.features import features_of
from models.tenants.store import record_rows as store
from models.tenants.store.db import Database

log = logging.getLogger(__name__)
SNAPSHOT_EVERY = 2_000  # changes replayed since the last snapshot before writing a new one
RERANK = 4  # an approximate index returns this many times the hits asked for, re-scored exactly
BUILD_BATCH = 5_000  # rows turned into columns at a time when building from the database


@dataclass
class TenantIndex:
    """A tenant's records of one kind as served: FAISS index plus features, each a snapshot's
    base and the changes since."""

    tenant_id: int
    kind: str
    index: LayeredIndex
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
        """The k records nearest to each query, by cosine to their stored vectors. An IVF index
        (quantised codes, some lists probed) proposes RERANK x k, re-scored exactly."""
        ti = self.get(tenant_id, kind)
        with ti.lock:
            approximate = ti.index.approximate
            scores, ids = ti.index.search(query, k * RERANK if approximate else k)
            view = ti.features.view()
        if not approximate:
            return scores, ids
        queries = np.atleast_2d(np.asarray(query, dtype=np.float32))
        out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        out_ids = np.full((len(queries), k), -1, dtype=np.int64)
        for q, (row, found) in enumerate(zip(queries, ids)):
            hits = [(int(i), v) for i in found[found >= 0] if (v := view.vectors.get(int(i))) is not None]
            if not hits:
                continue
            exact = np.stack([v for _, v in hits]) @ row
            order = np.lexsort((np.asarray([i for i, _ in hits]), -exact))[:k]
            out_scores[q, : len(order)] = exact[order]
            out_ids[q, : len(order)] = np.asarray([hits[o][0] for o in order])
        return out_scores, out_ids

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
        # streamed: a row's document and understanding parse to ~30 KB of Python objects, so
        # only a batch of them is alive at a time; what is kept is columns
        batches, pending = [], []
        for r in store.export(self.db, tenant_id, kind, with_vectors=True):
            vector = np.frombuffer(r.vector, dtype=np.float32) if r.vector else None
            pending.append((features_of(kind, r.id, r.external_id, r.data, r.understood), vector))
            if len(pending) >= BUILD_BATCH:
                batches.append(ColumnBatch.of(pending, self.dim))
                pending = []
        batches.append(ColumnBatch.of(pending, self.dim))
        del pending
        columns = ColumnBatch.concat(batches, self.dim)
        del batches
        index = FaissIndex.for_size(self.dim, int(columns.has_vector.sum()), self.exact_max)
        self._fill(index, columns, train=True)
        ti = self._served(tenant_id, kind, index, columns, seq)
        self.snapshot(ti, force=True)
        log.info(
            "index %s/%s built: %d vectors (%s) in %.1fs",
            tenant_id,
            kind,
            len(ti.index),
            index.kind,
            time.time() - started,
        )
        return ti

    def _fill(self, index: FaissIndex, columns: ColumnBatch, train: bool = False) -> None:
        """Add the columns' vectors (as float32, from the float16 every path scores with)."""
        rows = np.flatnonzero(np.asarray(columns.has_vector))
        for lo in range(0, len(rows), 100_000):  # a float32 copy of a million vectors is 1.5 GB
            block = rows[lo : lo + 100_000]
            vectors = np.asarray(columns.vectors[block], dtype=np.float32)
            if train and lo == 0:
                index.train(_training_sample(columns, rows, index.nlist) if len(rows) > len(block) else vectors)
            index.add(np.asarray(columns.ids[block]), vectors)

    def _served(self, tenant_id: int, kind: str, index: FaissIndex, columns: ColumnBatch, seq: int) -> TenantIndex:
        base_ids = np.asarray(columns.ids)[np.asarray(columns.has_vector)]
        return TenantIndex(tenant_id, kind, LayeredIndex(index, base_ids), FeatureTable(self.dim, columns), seq=seq)

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
        holds at least as many changes (`force` replaces it anyway); then serve from the
        snapshot, mapped. When the one on disk is newer, it is mapped instead and the changes
        after it replayed. False when nothing was written; an I/O error (a full disk) is
        logged, never raised, and leaves the previous snapshot in place, unless records were
        `erased` since: then it is deleted, since it holds their vectors (a worker without a
        snapshot rebuilds from the database)."""
        target = self._dir(ti.tenant_id, ti.kind)
        adopt = False
        try:
            with self._file_lock(ti.tenant_id, ti.kind, exclusive=True):
                # under the lock no other snapshot of this kind is being written: leftovers of
                # a crashed writer (which may hold erased vectors) go
                for stale in [*target.parent.glob(f"{target.name}.tmp*"), *target.parent.glob(f"{target.name}.old*")]:
                    shutil.rmtree(stale, ignore_errors=True)
                on_disk = _snapshot_seq(target)
                written: int | None = None
                if not force and on_disk >= ti.seq:
                    # mapping it and replaying after it gives this state with a smaller overlay
                    adopt = on_disk > ti.seq or ti.index.changed or ti.features.changed > 0
                    ti.snapshot_seq = ti.seq
                else:
                    try:
                        written = self._write_snapshot(ti, target)
                    except (OSError, RuntimeError):
                        if erased:
                            shutil.rmtree(target, ignore_errors=True)
                        raise
                if written is not None or adopt:
                    self._map(ti, target, written)
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
        if written is None:
            if adopt:
                self.sync(ti)
            return False
        if self._snapshots_failing:
            log.warning("snapshots written again (%s/%s)", ti.tenant_id, ti.kind)
            self._snapshots_failing = False
        return True

    def _write_snapshot(self, ti: TenantIndex, target: Path) -> int:
        """Write into a temporary directory and swap it in (the caller holds the file lock);
        returns the change number written. The features are one version (a view), and the
        index is made from that version's vectors, so the two always agree."""
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        tmp.mkdir()
        try:
            with ti.lock:
                view, seq = ti.features.view(), ti.seq
                unchanged = not ti.index.changed and ti.features.changed == 0
                base = ti.index.base
            columns = view.batch()
            if unchanged:
                index = base
            else:
                index = base.emptied() if base.kind != "flat" else FaissIndex(self.dim, "flat")
                self._fill(index, columns)
            index.save(tmp / "index.faiss")
            (tmp / "columns").mkdir()
            sizes = columns.write(tmp / "columns")
            self._write_manifest(ti, tmp, seq, len(index), index.params, sizes)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # a half-written snapshot frees its space
            raise
        old = target.with_name(f"{target.name}.old{os.getpid()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return seq

    def _map(self, ti: TenantIndex, target: Path, written: int | None) -> None:
        """Serve `ti` from the snapshot in `target` (mapped): after writing it, when no change
        landed meanwhile; or one another worker wrote, with the changes after it replayed
        next. Files of a replaced snapshot stay readable while a request still holds them."""
        index, columns, seq = self._open(ti.tenant_id, target)
        with ti.lock:
            if written is not None and ti.seq != written:
                ti.snapshot_seq = written
                return  # changes landed while writing: keep the overlay; the next snapshot folds them
            fresh = self._served(ti.tenant_id, ti.kind, index, columns, seq)
            ti.index, ti.features, ti.seq, ti.snapshot_seq = fresh.index, fresh.features, seq, seq

    def _write_manifest(self, ti: TenantIndex, tmp: Path, seq: int, count: int, params: dict, sizes: dict) -> None:
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
            # the columns are checked by size, not checksum: hashing a million rows' columns
            # would read them all at every worker start (the snapshot is swapped in whole)
            "columns": sizes,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / artifacts.MANIFEST).write_text(json.dumps(manifest, indent=2))

    def _open(self, tenant_id: int, directory: Path) -> tuple[FaissIndex, Columns, int]:
        """The snapshot in `directory`, checked and mapped: (index, columns, seq)."""
        manifest = artifacts.verify(directory, "tenant-index")
        if manifest["encoder"] != self.encoder_fingerprint or manifest["tenant_id"] != tenant_id:
            raise artifacts.ArtifactError("snapshot of another encoder or tenant")
        for name, size in manifest["columns"].items():
            if (directory / "columns" / name).stat().st_size != size:
                raise artifacts.ArtifactError(f"columns/{name} is not the size its manifest says")
        params = manifest["index"]
        index = FaissIndex.load(directory / "index.faiss", params["kind"], params["nlist"], params["nprobe"], mmap=True)
        return index, Columns.open(directory / "columns"), int(manifest["seq"])

    def _load_or_build(self, tenant_id: int, kind: str) -> TenantIndex:
        directory = self._dir(tenant_id, kind)
        try:
            with self._file_lock(tenant_id, kind, exclusive=False):
                index, columns, seq = self._open(tenant_id, directory)
            ti = self._served(tenant_id, kind, index, columns, seq)
            ti.snapshot_seq = seq
            return ti  # the changes after the snapshot are replayed by sync()
        except (
            artifacts.ArtifactError,
            FileNotFoundError,
            KeyError,
            ValueError,
            json.JSONDecodeError,
            RuntimeError,
        ) as exc:
            if directory.exists():
                log.warning("snapshot %s unusable (%s); rebuilding from the database", directory, exc)
            return self._build(tenant_id, kind)


def _training_sample(columns: ColumnBatch, rows: np.ndarray, nlist: int) -> np.ndarray:
    """Vectors to train an IVF index on (as many as FaissIndex.train uses), spread over the
    whole tenant, not its oldest rows."""
    picks = np.sort(np.random.default_rng(0).choice(rows, min(len(rows), TRAIN_PER_LIST * nlist), replace=False))
    return np.asarray(columns.vectors[picks], dtype=np.float32)


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
