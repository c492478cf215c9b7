"""The batch work of long jobs over a tenant's records, the same in one process and on Ray workers.

- `reunderstand_batch`: records of a tenant and kind whose ids lie in a range are understood
  again (a new encoder or reference pack) and what that derives (understood, region_id, soc,
  status, vector) is written back by record id (`records.write_derived`);
- `import_batch`: validated NDJSON documents are understood and upserted by external_id with
  the API's bulk upsert (`TenantRecords.bulk_upsert`).

training/reindex.py runs these batches one after another in its own process (the reference
path); training/distributed.py runs the same functions as Ray tasks. Nothing here needs Flask.

What a batch writes depends on its records and the reference pack only: each batch is
understood by a fresh `RecordUnderstander` (the memo of titles and skill strings one keeps is
per batch, so what a worker ran before cannot change a result), and writes are idempotent:

- re-understanding writes a record only when a derived field differs from what is stored
  (vectors within `records.VECTOR_TOLERANCE`); running a batch again writes nothing, bumps no
  version and logs no change. A record written meanwhile by someone else (the API) is
  understood again from its new document, up to `MAX_ROUNDS` times; a record deleted meanwhile
  is skipped. A record whose document no longer understands (a region id the new pack lacks)
  keeps what is stored and is reported.
- importing skips a line whose document is already stored as it is (same external_id, same
  document: `unchanged`, nothing written, version kept); other lines are upserted as the API
  upserts them (`created` or `updated`, version + 1). A batch that ran twice at the same time
  (a retried task whose first attempt was still alive) may update a line twice: same row, its
  version one higher.

Every write goes through the store's change log, so the indices of running API replicas
replay it on their next request; the audit log names the action (`reunderstand`, `import`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.reference.data import ReferenceData
from models.tenants.record_pipeline import BulkLine, TenantRecords
from models.tenants.store import audit
from models.tenants.store import record_rows as store
from models.tenants.store.db import Database, json_dumps
from models.tenants.tenant_index import TenantIndexes
from models.tenants.understanding import RecordUnderstander

MAX_ROUNDS = 3  # understanding again the records written meanwhile by someone else, at most


def plan(keys: Sequence[int], size: int) -> list[list[int]]:
    """Consecutive batches of at most `size` ascending keys (record ids, line numbers):
    [first, last, count] each."""
    if size < 1:
        raise ValueError("a batch holds at least one record")
    return [[keys[i], keys[min(i + size, len(keys)) - 1], min(size, len(keys) - i)] for i in range(0, len(keys), size)]


def _derived(record: store.Record, u) -> dict:
    return {
        "id": record.id,
        "version": record.version,
        "understood": u.understood,
        "region_id": u.region_id,
        "soc": u.soc,
        "status": u.status,
        "vector": u.vector.astype(np.float32).tobytes(),
    }


def reunderstand_batch(db: Database, ref: ReferenceData, tenant_id: int, kind: str, first: int, last: int) -> dict:
    """Understand again the records with first <= id <= last and store what changed.

    Returns counts (records, written, unchanged, missing, moved_on: still being written by
    someone else after MAX_ROUNDS, failed) and `failures`: the records left as they were
    because their documents no longer understand, with why."""
    rows = store.records_between(db, tenant_id, kind, first, last)
    counts = {"records": len(rows), "written": 0, "unchanged": 0, "missing": 0, "moved_on": 0, "failed": 0}
    failures: list[dict] = []
    token = audit.ACTOR.set(audit.Actor(None, action="reunderstand"))
    try:
        for _ in range(MAX_ROUNDS):
            if not rows:
                break
            items = []
            for record, u in zip(rows, RecordUnderstander(ref).understand(kind, [r.data for r in rows])):
                if u.errors:
                    failures.append({"id": record.id, "external_id": record.external_id, "errors": u.errors})
                else:
                    items.append(_derived(record, u))
            result = store.write_derived(db, tenant_id, kind, items)
            counts["written"] += len(result.written)
            counts["unchanged"] += len(result.unchanged)
            counts["missing"] += len(result.missing)
            rows = store.get_many(db, tenant_id, kind, result.moved_on) if result.moved_on else []
    finally:
        audit.ACTOR.reset(token)
    counts["moved_on"] = len(rows)
    counts["failed"] = len(failures)
    return {**counts, "failures": failures}


class _Importer(TenantRecords):
    """The API's bulk upsert without an index in this process: a batch worker only writes.
    Every API replica's index replays the change log, and the job rebuilds the index
    snapshots when it ends."""

    def __init__(self, db: Database, ref: ReferenceData):
        # the indices are never touched (_refresh_index below): no directory is read or written
        super().__init__(db, ref, TenantIndexes(db, ref.encoder.dim, Path(os.devnull), ref.encoder.fingerprint))

    def _refresh_index(self, tenant_id: int, kind: str) -> None:
        return None


def import_batch(
    db: Database, ref: ReferenceData, tenant_id: int, kind: str, lines: Sequence[tuple[int, dict]]
) -> dict:
    """Upsert validated documents by external_id, with their line numbers.

    Returns counts (records, created, updated, unchanged, error) and `errors`: the result
    line of each refused line, as the API's bulk import reports it."""
    existing = store.get_many_by_external_id(db, tenant_id, kind, [doc["external_id"] for _, doc in lines])
    results: list[dict] = []
    todo: list[BulkLine] = []
    for number, doc in lines:
        stored = existing.get(doc["external_id"])
        if stored is not None and stored.data == json.loads(json_dumps(doc)):
            results.append(
                {
                    "line": number,
                    "status": "unchanged",
                    "id": stored.id,
                    "external_id": stored.external_id,
                    "version": stored.version,
                }
            )
        else:
            todo.append(BulkLine(number, doc=doc))
    if todo:
        token = audit.ACTOR.set(audit.Actor(None, action="import"))
        try:
            results += _Importer(db, ref).bulk_upsert(tenant_id, kind, todo, chunk=len(todo))
        finally:
            audit.ACTOR.reset(token)
    counts = {"records": len(lines), "created": 0, "updated": 0, "unchanged": 0, "error": 0}
    for result in results:
        counts[result["status"]] += 1
    counts["written"] = counts["created"] + counts["updated"]
    return {**counts, "errors": sorted((r for r in results if r["status"] == "error"), key=lambda r: r["line"])}
