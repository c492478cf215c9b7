"""Per-tenant FAISS indices (one per kind) that never disagree with the database.

The database is the source of truth: every write appends to the `changes` log in the same
transaction. An index knows the last change it contains (`seq`); before every query it
replays newer changes (one indexed SELECT when there are none), so a write through any
gunicorn worker is visible to queries through every other at once.

Snapshots (index.faiss + manifest.json with `seq`) let a restarted worker skip the full
rebuild: it loads the snapshot and replays only what came after. A snapshot is written to a
temporary directory and renamed into place, so it is always whole; its manifest is checked on
load and a bad snapshot is rebuilt from the database instead.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from models import artifacts
from models.features import FeatureTable, features_of
from models.index import EXACT_MAX, FaissIndex
from models.store import records as store
from models.store.db import Database

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

    # ---- access ----------------------------------------------------------------------------
    def get(self, tenant_id: int, kind: str) -> TenantIndex:
        """The tenant's index of `kind`, up to date with the database."""
        key = (tenant_id, kind)
        with self._lock:
            ti = self._indexes.get(key)
            if ti is None:
                ti = self._load_or_build(tenant_id, kind)
                self._indexes[key] = ti
        self.sync(ti)
        return ti

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
        elif ti.seq - ti.snapshot_seq >= SNAPSHOT_EVERY:
            self.snapshot(ti)
        return len(changes)

    def _put(self, ti: TenantIndex, rows: list[store.Record]) -> None:
        with_vectors = [r for r in rows if r.vector]
        if with_vectors:
            ti.index.add(
                np.asarray([r.id for r in with_vectors], dtype=np.int64), _vectors([r.vector for r in with_vectors], self.dim)
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
        self.snapshot(ti)
        log.info("index %s/%s built: %d vectors (%s) in %.1fs", tenant_id, kind, len(index), index.kind, time.time() - started)
        return ti

    def _dir(self, tenant_id: int, kind: str) -> Path:
        return self.directory / f"tenant-{tenant_id}" / kind

    def snapshot(self, ti: TenantIndex) -> None:
        target = self._dir(ti.tenant_id, ti.kind)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}.{threading.get_ident()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        with ti.lock:
            ti.index.save(tmp / "index.faiss")
            seq, count, params = ti.seq, len(ti.index), ti.index.params
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
        old = target.with_name(f"{target.name}.old{os.getpid()}.{threading.get_ident()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        ti.snapshot_seq = seq

    def _load_or_build(self, tenant_id: int, kind: str) -> TenantIndex:
        directory = self._dir(tenant_id, kind)
        try:
            manifest = artifacts.verify(directory, "tenant-index")
            if manifest["encoder"] != self.encoder_fingerprint or manifest["tenant_id"] != tenant_id:
                raise artifacts.ArtifactError("snapshot of another encoder or tenant")
            params = manifest["index"]
            index = FaissIndex.load(directory / "index.faiss", params["kind"], params["nlist"], params["nprobe"])
            ti = TenantIndex(tenant_id, kind, index, FeatureTable(self.dim), seq=manifest["seq"], snapshot_seq=manifest["seq"])
            # features are not snapshotted: read the rows as of the snapshot's seq; the changes
            # after it are replayed by sync() like the index's
            self._put_features(ti, store.export(self.db, tenant_id, kind, with_vectors=True))
            return ti
        except (artifacts.ArtifactError, FileNotFoundError, KeyError, json.JSONDecodeError, RuntimeError) as exc:
            if directory.exists():
                log.warning("snapshot %s unusable (%s); rebuilding from the database", directory, exc)
            return self._build(tenant_id, kind)
