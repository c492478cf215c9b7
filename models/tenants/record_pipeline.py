"""Tenant records (candidates, needs, programmes): understand, store, index — in that order.

Writes go to the database in one transaction (models/tenants/store/record_rows.py); the tenant's index is
derived from the database's change log, so it is brought up to date right after the write and
can always be rebuilt. Documents arrive here already validated against their schema.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from models.core.errors import Conflict, DatabaseUnavailable, DomainError, InvalidInput, NotFound, StorageError
from models.core.math_threads import one_math_thread
from models.reference.data import ReferenceData
from models.tenants.store import audit
from models.tenants.store import record_rows as store
from models.tenants.store.db import Database
from models.tenants.tenant_index import TenantIndexes
from models.tenants.understanding import RecordUnderstander, Understanding, raise_on_errors

# lines understood and written together; small enough that the pipeline (the next chunk
# encoded while this one is scored and written) starts early in a request
BULK_CHUNK = 128
PATCH_ATTEMPTS = 3  # merges of a PATCH into a record others keep changing
log = logging.getLogger(__name__)


def _item(doc: dict, u: Understanding) -> dict:
    return {
        "external_id": doc["external_id"],
        "data": doc,
        "understood": u.understood,
        "region_id": u.region_id,
        "soc": u.soc,
        "status": u.status,
        "vector": u.vector.astype(np.float32).tobytes(),
    }


def public(record: store.Record) -> dict:
    """A record as the API shows it (never its raw vector)."""
    return record.to_dict(with_vector=False)


@dataclass
class BulkLine:
    """One parsed NDJSON line: a valid document, or the error that rejected it."""

    line: int
    doc: dict = field(default_factory=dict)  # empty when the line was rejected
    error: DomainError | None = None


class TenantRecords:
    def __init__(self, db: Database, ref: ReferenceData, indexes: TenantIndexes):
        self.db = db
        self.ref = ref
        self.indexes = indexes
        self.understander = RecordUnderstander(ref)

    def _understand_one(self, kind: str, doc: dict) -> Understanding:
        (u,) = self.understander.understand(kind, [doc], remember=True)
        raise_on_errors(u)
        return u

    def _refresh_index(self, tenant_id: int, kind: str) -> None:
        self.indexes.get(tenant_id, kind)  # replays the change just written

    # ---- single records ----------------------------------------------------------------------
    def create(self, tenant_id: int, kind: str, doc: dict) -> dict:
        try:
            existing = store.get_by_external_id(self.db, tenant_id, kind, doc["external_id"])
        except NotFound:
            existing = None
        if existing is not None:
            raise Conflict(
                f"a {kind} with external_id {doc['external_id']!r} exists; PUT /{kind}s/{existing.id} replaces it",
                {"id": existing.id, "external_id": doc["external_id"]},
            )
        u = self._understand_one(kind, doc)
        record, _ = store.upsert(self.db, tenant_id, kind, _item(doc, u))
        self._refresh_index(tenant_id, kind)
        return public(record)

    def get(self, tenant_id: int, kind: str, record_id: int) -> dict:
        return public(store.get(self.db, tenant_id, kind, record_id))

    def list(
        self, tenant_id: int, kind: str, filters: dict, limit: int, cursor: str | None
    ) -> tuple[builtins.list[dict], str | None]:
        items, next_cursor = store.list_records(self.db, tenant_id, kind, filters, limit, cursor)
        return [public(r) for r in items], next_cursor

    def replace(
        self, tenant_id: int, kind: str, record_id: int, doc: dict, expected_version: int | None = None
    ) -> dict:
        store.get(self.db, tenant_id, kind, record_id)  # 404 before any encoding work
        u = self._understand_one(kind, doc)
        record = store.replace(self.db, tenant_id, kind, record_id, _item(doc, u), expected_version=expected_version)
        self._refresh_index(tenant_id, kind)
        return public(record)

    def patch(
        self, tenant_id: int, kind: str, record_id: int, fields: dict, validate: Callable[[dict], dict | None]
    ) -> dict:
        """Merge top-level fields into the stored document (null removes a field), validate
        the result as a whole (`validate` raises, or returns the document as it is to be
        stored), and write it only if nobody changed the record meanwhile. When somebody did,
        the fields are merged again into their version (as the client would on a 409): two
        changes of different fields both stay, the later change of a field wins."""
        for attempt in range(PATCH_ATTEMPTS):
            current = store.get(self.db, tenant_id, kind, record_id)
            merged = {k: v for k, v in {**current.data, **fields}.items() if v is not None}
            merged = validate(merged) or merged
            try:
                return self.replace(tenant_id, kind, record_id, merged, expected_version=current.version)
            except Conflict as exc:
                moved = isinstance(exc.details, dict) and "version" in exc.details  # not a duplicate external_id
                if not moved or attempt == PATCH_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def delete(self, tenant_id: int, kind: str, record_id: int) -> None:
        store.delete(self.db, tenant_id, kind, record_id)
        self._refresh_index(tenant_id, kind)

    def search(self, tenant_id: int, kind: str, text: str, k: int = 10) -> builtins.list[dict]:
        """The tenant's records nearest to a free-text query, by profile vector."""
        query = self.ref.encoder.encode_one(text)
        scores, ids = self.indexes.search(tenant_id, kind, query, k)
        hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        found = {r.id: r for r in store.get_many(self.db, tenant_id, kind, [i for i, _ in hits])}
        return [{"score": round(s, 4), "record": public(found[i])} for i, s in hits if i in found]

    def find_external_id(self, tenant_id: int, kind: str, external_id: str) -> int | None:
        """The id of the record with this external id, if there is one."""
        try:
            return store.get_by_external_id(self.db, tenant_id, kind, external_id).id
        except NotFound:
            return None

    def export(self, tenant_id: int, kind: str) -> Iterator[dict]:
        """Every record, streamed; the audit log gets how many left, also when the client
        stops reading early."""
        sent = 0
        try:
            for record in store.export(self.db, tenant_id, kind):
                yield public(record)
                sent += 1
        finally:
            audit.record(self.db, tenant_id, "export", kind, sent)

    # ---- bulk --------------------------------------------------------------------------------
    def bulk_upsert(
        self, tenant_id: int, kind: str, lines: Iterable[BulkLine], chunk: int = BULK_CHUNK
    ) -> Iterator[dict]:
        """Upsert parsed NDJSON lines chunk by chunk; yield one result per line, in order.

        A chunk is understood in one batch and written in one transaction; its results are
        yielded only after the commit, so every line reported as written is in the database
        (and, right after, in the index). Lines that failed validation are reported as errors
        and the rest of their chunk is still written.
        """
        chunks = _chunked(lines, chunk, first=_first_chunk(chunk))
        current = next(chunks, None)
        # one chunk ahead: its text is encoded in a thread while this one links skills, reads
        # occupations and writes. The encoder keeps every core busy with a stream per math
        # thread; this thread's own math (titles, the skill graph) then runs on one thread, as
        # more OpenMP threads than cores spin against each other (+10% records/s on 2 cores)
        streams = self.understander.ref.encoder.stream_count()
        alone = one_math_thread() if streams > 1 else nullcontext()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode-ahead") as ahead, alone:
            # the first chunk too: its encoding overlaps nothing, but runs in the streams
            encoding: Future | None = ahead.submit(self._encode_ahead, kind, current, streams) if current else None
            while current is not None:
                if encoding is not None:
                    encoding.result()  # this chunk's text is encoded: understanding it finds the vectors
                following = next(chunks, None)
                encoding = ahead.submit(self._encode_ahead, kind, following, streams) if following else None
                yield from self._write_chunk(tenant_id, kind, current)
                current = following

    def _encode_ahead(self, kind: str, lines: builtins.list[BulkLine], streams: int) -> None:
        try:
            self.understander.encode_ahead(kind, [ln.doc for ln in lines if ln.error is None], streams)
        except Exception:  # only a head start: the chunk is encoded when it is understood anyway
            log.exception("encoding ahead failed")

    def _write_chunk(self, tenant_id: int, kind: str, lines: builtins.list[BulkLine]) -> builtins.list[dict]:
        valid = [ln for ln in lines if ln.error is None]
        understood = self.understander.understand(kind, [ln.doc for ln in valid]) if valid else []
        results: dict[int, dict] = {}
        writable: builtins.list[tuple[BulkLine, Understanding]] = []
        for ln, u in zip(valid, understood):
            if u.errors:
                results[ln.line] = _error_result(
                    ln.line, InvalidInput("invalid reference", {"errors": u.errors}, code="validation_failed")
                )
            else:
                writable.append((ln, u))
        if writable:
            items = [_item(ln.doc, u) for ln, u in writable]
            try:
                outcomes: Sequence[store.UpsertResult | DomainError] = store.bulk_upsert(
                    self.db, tenant_id, kind, items
                )
            except DatabaseUnavailable:
                raise  # no line of this chunk is written; the caller ends the stream saying so
            except (DomainError, SQLAlchemyError):
                # the chunk's transaction rolled back: write its lines one by one, so the line
                # the store refused is reported and the others are still written
                outcomes = [self._write_one(tenant_id, kind, item) for item in items]
            for (ln, _), res in zip(writable, outcomes):
                if isinstance(res, DomainError):
                    results[ln.line] = _error_result(ln.line, res)
                else:
                    results[ln.line] = {
                        "line": ln.line,
                        "status": "created" if res.created else "updated",
                        "id": res.id,
                        "external_id": res.external_id,
                        "version": res.version,
                    }
            try:
                self._refresh_index(tenant_id, kind)
            except DatabaseUnavailable:
                pass  # the chunk is committed: report it; the index replays it on the next request
        for ln in lines:
            if ln.error is not None:
                results[ln.line] = _error_result(ln.line, ln.error)
        return [results[ln.line] for ln in lines]

    def _write_one(self, tenant_id: int, kind: str, item: dict) -> store.UpsertResult | DomainError:
        try:
            (result,) = store.bulk_upsert(self.db, tenant_id, kind, [item])
            return result
        except DatabaseUnavailable:
            raise
        except DomainError as exc:
            return exc
        except SQLAlchemyError:
            log.exception("storing %s %r failed", kind, item.get("external_id"))
            return StorageError("the database refused this record; nothing of it was written")


def chunk_ends(total: int, size: int = BULK_CHUNK) -> builtins.list[int]:
    """How many lines are written once each chunk of a bulk request of `total` lines commits."""
    first = _first_chunk(size)
    return [n for n in [first, *range(first + size, total, size)] if n < total] + [total] if total else []


def _first_chunk(size: int) -> int:
    """Nothing overlaps the first chunk's encoding, so it is a quarter of the others."""
    return max(1, size // 4)


def _chunked(lines: Iterable[BulkLine], size: int, first: int) -> Iterator[builtins.list[BulkLine]]:
    """Lists of `size` lines, the first of `first` only."""
    batch: builtins.list[BulkLine] = []
    limit = first
    for line in lines:
        batch.append(line)
        if len(batch) >= limit:
            yield batch
            batch, limit = [], size
    if batch:
        yield batch


def _error_result(line: int, error: DomainError) -> dict:
    return {
        "line": line,
        "status": "error",
        "error": {"code": error.code, "message": error.message, "details": error.details},
    }
