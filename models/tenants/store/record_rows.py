"""Tenant records (candidates, needs, programmes) and their change log.

Every function takes the tenant id: a record of another tenant, or of another kind, is
indistinguishable from a missing one (NotFound, same message).

Writes: each public write function is one transaction (`Database.transaction()`, entered
through `_writing`), which first locks the tenant's row (PostgreSQL: SELECT ... FOR NO KEY
UPDATE; SQLite: the write transaction holds the database's write lock anyway). Writes of one
tenant therefore happen one after another, which keeps the change log gap-free for readers:
within a tenant, changes commit in `seq` order, so a reader that has seen seq N never later
finds a committed change below N. Without the lock, PostgreSQL can commit sequence values
out of order and an index that replays the log from its last seq would miss a change for
good. Upserts are INSERT ... ON CONFLICT DO UPDATE on the (tenant, kind, external_id)
unique index (same statement on both backends).
Every write appends one row per touched record to `changes` in the same transaction: a
failed write changes nothing, neither records nor log.

Erasure: `delete` removes the row, vector included; the log keeps only (seq, record id,
"delete", time), no content.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError

from models.core.errors import Conflict, InvalidInput, NotFound
from models.tenants.store import audit
from models.tenants.store.db import Database, json_dumps
from models.tenants.store.tables import (
    MAX_EXTERNAL_ID,
    MAX_REGION_ID,
    MAX_SOC,
    MAX_STATUS,
    RECORD_KINDS,
    changes,
    records,
    tenants,
    utcnow,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FILTERS = ("external_id", "region_id", "soc", "status", "updated_since")
CONTENT = ("data", "understood", "region_id", "soc", "status", "vector")  # what a write sets
_IN_CHUNK = 500  # ids per IN (...) list
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Record:
    id: int
    tenant_id: int
    kind: str
    external_id: str
    data: dict
    understood: dict
    region_id: str | None
    soc: str | None
    status: str | None
    vector: bytes | None  # float32 bytes; None also when the read did not ask for vectors
    created_at: datetime
    updated_at: datetime
    version: int

    def to_dict(self, with_vector: bool = False) -> dict[str, Any]:
        out = {
            "id": self.id,
            "kind": self.kind,
            "external_id": self.external_id,
            "data": self.data,
            "understood": self.understood,
            "region_id": self.region_id,
            "soc": self.soc,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "version": self.version,
        }
        if with_vector:
            out["vector"] = self.vector
        return out


class UpsertResult(NamedTuple):
    id: int
    external_id: str
    created: bool
    version: int


class Change(NamedTuple):
    seq: int
    record_id: int
    op: str  # "upsert" | "delete"


# --- validation ------------------------------------------------------------------------------


def _check_kind(kind: str) -> str:
    if kind not in RECORD_KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(RECORD_KINDS)}")
    return kind


def _record_id(record_id: Any) -> int | None:
    """An id that could exist, or None (which then reads as NotFound, like any missing id)."""
    if isinstance(record_id, bool) or not isinstance(record_id, int) or not 0 < record_id <= _MAX_ID:
        return None
    return record_id


def _text(item: dict, name: str, limit: int, required: bool = False) -> str | None:
    value = item.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"{name} is required")
        return None
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise InvalidInput(f"{name} must be a non-empty string of at most {limit} characters")
    return value


def _json_object(item: dict, name: str) -> dict:
    value = item[name]
    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must be a JSON object")
    try:
        json_dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} is not storable as JSON: {exc}") from None
    return value


def _vector(value: Any) -> bytes | None:
    if value is None:
        return None
    if hasattr(value, "dtype") and hasattr(value, "astype"):  # a NumPy array
        value = value.astype("<f4", copy=False).tobytes()
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    if not isinstance(value, bytes) or len(value) % 4:
        raise InvalidInput("vector must be float32 bytes")
    return value


def _content(item: Any, *, partial: bool) -> dict[str, Any]:
    """Column values from an item. Whole (upsert, replace): data is required, the rest default
    to empty. Partial (patch): only what the item names."""
    if not isinstance(item, dict):
        raise InvalidInput("an item is a JSON object")
    unknown = set(item) - set(CONTENT) - {"external_id"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    if "external_id" in item:
        out["external_id"] = _text(item, "external_id", MAX_EXTERNAL_ID, required=True)
    if not partial and "data" not in item:
        raise InvalidInput("data is required")
    for name in ("data", "understood"):
        if name in item:
            out[name] = _json_object(item, name)
        elif not partial:
            out[name] = {}
    for name, limit in (("region_id", MAX_REGION_ID), ("soc", MAX_SOC), ("status", MAX_STATUS)):
        if name in item or not partial:
            out[name] = _text(item, name, limit)
    if "vector" in item or not partial:
        out["vector"] = _vector(item.get("vector"))
    return out


def _since(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"updated_since is not an ISO 8601 time: {value!r}") from None
    if not isinstance(value, datetime):
        raise InvalidInput("updated_since must be a time")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- cursors ---------------------------------------------------------------------------------


def encode_cursor(after_id: int) -> str:
    raw = json.dumps({"after": after_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        raise InvalidInput("invalid cursor") from None
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= _MAX_ID:
        raise InvalidInput("invalid cursor")
    return after


# --- rows ------------------------------------------------------------------------------------

_NO_VECTOR = [c for c in records.c if c.name != "vector"]


def _columns(with_vectors: bool):
    return list(records.c) if with_vectors else _NO_VECTOR


def _record(row) -> Record:
    m = row._mapping
    return Record(
        id=m["id"],
        tenant_id=m["tenant_id"],
        kind=m["kind"],
        external_id=m["external_id"],
        data=m["data"],
        understood=m["understood"],
        region_id=m["region_id"],
        soc=m["soc"],
        status=m["status"],
        vector=bytes(m["vector"]) if m.get("vector") is not None else None,
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        version=m["version"],
    )


def _scope(tenant_id: int, kind: str):
    return (records.c.tenant_id == tenant_id, records.c.kind == kind)


def _not_found(kind: str, record_id: Any) -> NotFound:
    return NotFound(f"{kind} {record_id} not found")


def _chunks(values: list, size: int = _IN_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _fetch(conn: Connection, tenant_id: int, kind: str, record_id: int) -> Record:
    row = conn.execute(select(records).where(records.c.id == record_id, *_scope(tenant_id, kind))).first()
    if row is None:
        raise _not_found(kind, record_id)
    return _record(row)


# --- writes ----------------------------------------------------------------------------------


@contextmanager
def _writing(db: Database, tenant_id: int) -> Iterator[Connection]:
    """The one way records are written: a transaction holding the tenant's write lock."""
    try:
        with db.transaction() as conn:
            locked = conn.execute(
                select(tenants.c.id).where(tenants.c.id == tenant_id).with_for_update(key_share=True)
            ).scalar()
            if locked is None:
                raise NotFound(f"tenant {tenant_id} not found")
            yield conn
    except IntegrityError as exc:  # a backstop: the checks before each write should prevent it
        raise Conflict("the write conflicts with stored data", {"reason": str(exc.orig)}) from None


def _log(conn: Connection, tenant_id: int, kind: str, entries: list[tuple[int, str]], at: datetime) -> None:
    """Append to the change log, (record id, op) in the order given, and to the audit log."""
    if entries:
        conn.execute(
            insert(changes),
            [{"tenant_id": tenant_id, "kind": kind, "record_id": rid, "op": op, "at": at} for rid, op in entries],
        )
        audit.note(conn, tenant_id, kind, entries, at)


def _locked_version(
    conn: Connection, tenant_id: int, kind: str, record_id: Any, expected_version: int | None
) -> tuple[int, int, str]:
    rid = _record_id(record_id)
    row = (
        None
        if rid is None
        else conn.execute(
            select(records.c.id, records.c.version, records.c.external_id).where(
                records.c.id == rid, *_scope(tenant_id, kind)
            )
        ).first()
    )
    if row is None:
        raise _not_found(kind, record_id)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(f"{kind} {rid} is at version {row.version}, not {expected_version}", {"version": row.version})
    return row.id, row.version, row.external_id


def _insert(conn: Connection):
    """The dialect's INSERT, the one with ON CONFLICT (both backends have it, same API)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(records)
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(records)
    raise NotImplementedError(conn.dialect.name)  # only the two backends are supported


def _upsert_rows(conn: Connection, tenant_id: int, kind: str, items: list[dict], now: datetime) -> list[UpsertResult]:
    """INSERT ... ON CONFLICT (tenant_id, kind, external_id) DO UPDATE ... RETURNING, in
    batches (SQLAlchemy's insertmanyvalues). The conflict target is the unique index, so each
    row costs one index probe whatever the planner knows about the table, and a record was
    created exactly when it comes back at version 1 (an update always makes it 2 or more)."""
    # Duplicate external ids within one call: the last occurrence is written (once); one
    # statement must not touch a row twice (PostgreSQL refuses).
    last: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        last[item["external_id"]] = i
        first.setdefault(item["external_id"], i)
    order = sorted(last.values())
    stmt = _insert(conn)
    stmt = stmt.on_conflict_do_update(
        index_elements=[records.c.tenant_id, records.c.kind, records.c.external_id],
        set_={name: stmt.excluded[name] for name in CONTENT}
        | {"updated_at": stmt.excluded.updated_at, "version": records.c.version + 1},
    ).returning(records.c.external_id, records.c.id, records.c.version)
    rows = conn.execute(
        stmt,
        [
            {**items[i], "tenant_id": tenant_id, "kind": kind, "created_at": now, "updated_at": now, "version": 1}
            for i in order
        ],
    ).all()
    written = {ext: (rid, version) for ext, rid, version in rows}
    _log(conn, tenant_id, kind, [(written[items[i]["external_id"]][0], "upsert") for i in order], now)
    results = []
    for i, item in enumerate(items):
        ext = item["external_id"]
        rid, version = written[ext]
        results.append(UpsertResult(rid, ext, version == 1 and first[ext] == i, version))
    return results


def _whole_item(item: Any) -> dict[str, Any]:
    content = _content(item, partial=False)
    if "external_id" not in content:
        raise InvalidInput("external_id is required")
    return content


def upsert(db: Database, tenant_id: int, kind: str, item: dict) -> tuple[Record, bool]:
    """Insert or update the record with this external_id: (record, created). An update keeps
    the id and created_at, replaces the content and increments the version.
    `item`: external_id, data (required), understood, region_id, soc, status, vector."""
    _check_kind(kind)
    content = _whole_item(item)
    with _writing(db, tenant_id) as conn:
        (result,) = _upsert_rows(conn, tenant_id, kind, [content], utcnow())
        return _fetch(conn, tenant_id, kind, result.id), result.created


def bulk_upsert(db: Database, tenant_id: int, kind: str, items: Iterable[dict]) -> list[UpsertResult]:
    """Upsert a chunk of items in one transaction (all or nothing); the caller streams chunks.
    One result per item, in order. An invalid item rejects the whole chunk (InvalidInput,
    details.index says which).

    Duplicate external_ids within the chunk (the caller should have rejected them): the last
    occurrence wins and is written once; every occurrence's result has the record's id, and
    only the first occurrence of a new external_id says created."""
    _check_kind(kind)
    contents = []
    for index, item in enumerate(items):
        try:
            contents.append(_whole_item(item))
        except InvalidInput as exc:
            raise InvalidInput(f"item {index}: {exc.message}", {"index": index}) from None
    if not contents:
        return []
    with _writing(db, tenant_id) as conn:
        return _upsert_rows(conn, tenant_id, kind, contents, utcnow())


def replace(
    db: Database, tenant_id: int, kind: str, record_id: int, item: dict, *, expected_version: int | None = None
) -> Record:
    """Replace the whole content of a record (fields left out become empty). The external_id
    may change if no other record of the tenant and kind has it (else Conflict)."""
    _check_kind(kind)
    return _update(db, tenant_id, kind, record_id, _content(item, partial=False), expected_version)


def patch(
    db: Database, tenant_id: int, kind: str, record_id: int, fields: dict, *, expected_version: int | None = None
) -> Record:
    """Set only the fields given (each replaced whole: `data` is not merged; the caller merges,
    validates and re-derives `understood` and `vector`). Nothing given: nothing written."""
    _check_kind(kind)
    return _update(db, tenant_id, kind, record_id, _content(fields, partial=True), expected_version)


def _update(
    db: Database, tenant_id: int, kind: str, record_id: Any, content: dict, expected_version: int | None
) -> Record:
    with _writing(db, tenant_id) as conn:
        rid, _, external_id = _locked_version(conn, tenant_id, kind, record_id, expected_version)
        if not content:
            return _fetch(conn, tenant_id, kind, rid)
        new_ext = content.get("external_id", external_id)
        if (
            new_ext != external_id
            and conn.execute(
                select(records.c.id).where(*_scope(tenant_id, kind), records.c.external_id == new_ext)
            ).first()
        ):
            raise Conflict(f"another {kind} has external_id {new_ext!r}")
        now = utcnow()
        conn.execute(
            update(records).where(records.c.id == rid).values(**content, updated_at=now, version=records.c.version + 1)
        )
        _log(conn, tenant_id, kind, [(rid, "upsert")], now)
        return _fetch(conn, tenant_id, kind, rid)


def delete(db: Database, tenant_id: int, kind: str, record_id: int, *, expected_version: int | None = None) -> None:
    """Erase the record (its vector is in the row and goes with it) and log the deletion."""
    _check_kind(kind)
    with _writing(db, tenant_id) as conn:
        rid, _, _ = _locked_version(conn, tenant_id, kind, record_id, expected_version)
        conn.execute(sql_delete(records).where(records.c.id == rid))
        _log(conn, tenant_id, kind, [(rid, "delete")], utcnow())


# --- reads -----------------------------------------------------------------------------------


def get(db: Database, tenant_id: int, kind: str, record_id: int) -> Record:
    _check_kind(kind)
    rid = _record_id(record_id)
    if rid is None:
        raise _not_found(kind, record_id)
    with db.connect() as conn:
        return _fetch(conn, tenant_id, kind, rid)


def get_by_external_id(db: Database, tenant_id: int, kind: str, external_id: str) -> Record:
    _check_kind(kind)
    with db.connect() as conn:
        row = conn.execute(
            select(records).where(*_scope(tenant_id, kind), records.c.external_id == external_id)
        ).first()
    if row is None:
        raise NotFound(f"{kind} with external_id {external_id!r} not found")
    return _record(row)


def _filtered(tenant_id: int, kind: str, filters: dict | None) -> list:
    conditions = list(_scope(tenant_id, kind))
    unknown = set(filters or {}) - set(FILTERS)
    if unknown:
        raise InvalidInput(f"unknown filters: {', '.join(sorted(unknown))}; known: {', '.join(FILTERS)}")
    for name, value in (filters or {}).items():
        if value is None:  # not filtering on it
            continue
        if name == "updated_since":
            conditions.append(records.c.updated_at >= _since(value))
        elif not isinstance(value, str):
            raise InvalidInput(f"filter {name} must be a string")
        else:
            conditions.append(records.c[name] == value)
    return conditions


def list_records(
    db: Database,
    tenant_id: int,
    kind: str,
    filters: dict | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    *,
    with_vectors: bool = False,
) -> tuple[list[Record], str | None]:
    """A page of records in id order, and the cursor of the next page (None after the last).

    filters: region_id, soc, status (equality), updated_since (updated_at >= it; datetime or
    ISO 8601; naive means UTC); a None value means no filter. Paging by id visits every
    record that exists throughout the paging exactly once, whatever the page sizes (ids only
    grow and are never reused). Vectors are left out (None) unless asked for."""
    _check_kind(kind)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    conditions = _filtered(tenant_id, kind, filters)
    if cursor:
        conditions.append(records.c.id > decode_cursor(cursor))
    with db.connect() as conn:
        rows = conn.execute(
            select(*_columns(with_vectors)).where(*conditions).order_by(records.c.id).limit(limit + 1)
        ).all()
    items = [_record(row) for row in rows[:limit]]
    return items, encode_cursor(items[-1].id) if len(rows) > limit else None


def count(db: Database, tenant_id: int, kind: str, filters: dict | None = None) -> int:
    _check_kind(kind)
    conditions = _filtered(tenant_id, kind, filters)
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(records).where(*conditions)).scalar_one()


def _stream(db: Database, statement, batch: int, convert) -> Iterator:
    # yield_per: a server-side cursor on PostgreSQL, batches of `batch` rows from SQLite; the
    # connection stays checked out until the iterator is exhausted or closed.
    with db.connect() as conn:
        result = conn.execution_options(yield_per=batch).execute(statement)
        try:
            for row in result:
                yield convert(row)
        finally:
            result.close()


def export(
    db: Database, tenant_id: int, kind: str, *, with_vectors: bool = False, batch: int = 1000
) -> Iterator[Record]:
    """Every record of the tenant and kind in id order, streamed (a few batches in memory at
    a time), from one consistent snapshot. Close the iterator if you stop early."""
    _check_kind(kind)
    statement = select(*_columns(with_vectors)).where(*_scope(tenant_id, kind)).order_by(records.c.id)
    return _stream(db, statement, batch, _record)


def iter_vectors(db: Database, tenant_id: int, kind: str, *, batch: int = 2000) -> Iterator[tuple[int, bytes]]:
    """(id, float32 bytes) of every record with a vector, in id order, streamed.

    To rebuild an index: seq = last_seq(...) first, then load iter_vectors(...), then replay
    changes_since(seq). Changes that land while loading are then applied twice, which is
    harmless: replaying an upsert re-reads the current vector, replaying a delete removes."""
    _check_kind(kind)
    statement = (
        select(records.c.id, records.c.vector)
        .where(*_scope(tenant_id, kind), records.c.vector.is_not(None))
        .order_by(records.c.id)
    )
    return _stream(db, statement, batch, lambda row: (row.id, bytes(row.vector)))


def get_many(
    db: Database, tenant_id: int, kind: str, ids: Iterable[int], *, with_vectors: bool = False
) -> list[Record]:
    """Records of the tenant and kind with these ids (missing ones are absent), in id order."""
    _check_kind(kind)
    wanted = sorted({rid for rid in map(_record_id, ids) if rid is not None})
    out: list[Record] = []
    with db.connect() as conn:
        for chunk in _chunks(wanted):
            rows = conn.execute(
                select(*_columns(with_vectors)).where(*_scope(tenant_id, kind), records.c.id.in_(chunk))
            )
            out += [_record(row) for row in rows]
    return out


def vectors_for(db: Database, tenant_id: int, kind: str, ids: Iterable[int]) -> dict[int, bytes]:
    """Vectors of these records of the tenant and kind; ids missing (deleted, another tenant's,
    without a vector) are absent from the answer."""
    _check_kind(kind)
    wanted = sorted({rid for rid in map(_record_id, ids) if rid is not None})
    out: dict[int, bytes] = {}
    with db.connect() as conn:
        for chunk in _chunks(wanted):
            for rid, vector in conn.execute(
                select(records.c.id, records.c.vector).where(
                    *_scope(tenant_id, kind), records.c.id.in_(chunk), records.c.vector.is_not(None)
                )
            ):
                out[rid] = bytes(vector)
    return out


def changes_since(db: Database, tenant_id: int, kind: str, seq: int, limit: int | None = None) -> list[Change]:
    """Changes after `seq` (0: from the start), oldest first: (seq, record_id, op)."""
    _check_kind(kind)
    statement = (
        select(changes.c.seq, changes.c.record_id, changes.c.op)
        .where(changes.c.tenant_id == tenant_id, changes.c.kind == kind, changes.c.seq > seq)
        .order_by(changes.c.seq)
    )
    if limit is not None:
        statement = statement.limit(limit)
    with db.connect() as conn:
        return [Change(*row) for row in conn.execute(statement)]


def last_seq(db: Database, tenant_id: int, kind: str) -> int:
    """The seq of the latest change of the tenant and kind; 0 when there is none."""
    _check_kind(kind)
    with db.connect() as conn:
        return conn.execute(
            select(func.coalesce(func.max(changes.c.seq), 0)).where(
                changes.c.tenant_id == tenant_id, changes.c.kind == kind
            )
        ).scalar_one()


# --- understanding again (models/tenants/reunderstand.py) ---------------------------------------------

DERIVED = ("understood", "region_id", "soc", "status", "vector")  # what understanding a record sets
# Stored and recomputed vectors this close are the same vector: nothing is written (a vector
# computed on another CPU, or with other threads, may differ in its last bits).
VECTOR_TOLERANCE = 1e-6


class DerivedWrite(NamedTuple):
    """What `write_derived` did with each record id."""

    written: list[int]  # derived fields changed: updated, version + 1, logged for the indices
    unchanged: list[int]  # already so (vectors within VECTOR_TOLERANCE), at any version: nothing written
    moved_on: list[int]  # different, and at another version than the one understood: left as they are
    missing: list[int]  # deleted meanwhile


def record_ids(db: Database, tenant_id: int, kind: str) -> list[int]:
    """Every record id of the tenant and kind, ascending."""
    _check_kind(kind)
    with db.connect() as conn:
        return list(conn.execute(select(records.c.id).where(*_scope(tenant_id, kind)).order_by(records.c.id)).scalars())


def records_between(db: Database, tenant_id: int, kind: str, first: int, last: int) -> list[Record]:
    """Records with first <= id <= last, in id order, without vectors."""
    _check_kind(kind)
    with db.connect() as conn:
        rows = conn.execute(
            select(*_NO_VECTOR)
            .where(*_scope(tenant_id, kind), records.c.id >= first, records.c.id <= last)
            .order_by(records.c.id)
        ).all()
    return [_record(row) for row in rows]


def get_many_by_external_id(db: Database, tenant_id: int, kind: str, external_ids: Iterable[str]) -> dict[str, Record]:
    """Records of the tenant and kind with these external ids (missing ones are absent), without vectors."""
    _check_kind(kind)
    wanted = sorted({e for e in external_ids if isinstance(e, str)})
    out: dict[str, Record] = {}
    with db.connect() as conn:
        for chunk in _chunks(wanted):
            for row in conn.execute(
                select(*_NO_VECTOR).where(*_scope(tenant_id, kind), records.c.external_id.in_(chunk))
            ):
                out[row.external_id] = _record(row)
    return out


def _same_derived(row: Any, content: dict) -> bool:
    import numpy as np

    if any(row._mapping[name] != content[name] for name in ("understood", "region_id", "soc", "status")):
        return False
    old, new = row.vector, content["vector"]
    if old is None or new is None:
        return old is None and new is None
    if len(old) != len(new):
        return False
    a, b = np.frombuffer(bytes(old), dtype="<f4"), np.frombuffer(new, dtype="<f4")
    return bool(np.all(np.abs(a - b) <= VECTOR_TOLERANCE))


def write_derived(db: Database, tenant_id: int, kind: str, items: Iterable[dict]) -> DerivedWrite:
    """Store what understanding derived for records (their documents untouched), in one transaction.

    `items`: id, the version the understanding read, and every DERIVED field. A record still
    at that version whose derived fields differ is updated (version + 1, updated_at) and its
    change logged, as any write, so every index replays it; one whose fields are already so is
    not written at all, so writing the same items again, however often, changes nothing.
    Records that differ and are at another version (written since they were read) and deleted
    ones are left alone and reported."""
    from sqlalchemy import bindparam

    _check_kind(kind)
    wanted: dict[int, tuple[int, dict]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput(f"item {index}: an item is a JSON object", {"index": index})
        rid, version = _record_id(item.get("id")), item.get("version")
        if rid is None or isinstance(version, bool) or not isinstance(version, int):
            raise InvalidInput(f"item {index}: id and version are required", {"index": index})
        if set(item) != {"id", "version", *DERIVED}:
            raise InvalidInput(f"item {index}: id, version and exactly {', '.join(DERIVED)}", {"index": index})
        try:
            content = _content({name: item[name] for name in DERIVED}, partial=True)
        except InvalidInput as exc:
            raise InvalidInput(f"item {index}: {exc.message}", {"index": index}) from None
        # as the database hands it back (tuples become lists), so that equal compares equal
        content["understood"] = json.loads(json_dumps(content["understood"]))
        wanted[rid] = (version, content)
    out = DerivedWrite([], [], [], [])
    if not wanted:
        return out
    with _writing(db, tenant_id) as conn:
        current = {}
        for chunk in _chunks(sorted(wanted)):
            for row in conn.execute(
                select(records.c.id, records.c.version, *(records.c[name] for name in DERIVED)).where(
                    *_scope(tenant_id, kind), records.c.id.in_(chunk)
                )
            ):
                current[row.id] = row
        for rid in sorted(wanted):
            version, content = wanted[rid]
            if rid not in current:
                out.missing.append(rid)
                continue
            row = current[rid]
            if _same_derived(row, content):
                out.unchanged.append(rid)
            elif row.version != version:
                out.moved_on.append(rid)
            else:
                out.written.append(rid)
        if out.written:
            now = utcnow()
            conn.execute(
                update(records)
                .where(records.c.id == bindparam("b_id"))
                .values(
                    {name: bindparam(f"b_{name}", type_=records.c[name].type) for name in DERIVED}
                    | {"updated_at": now, "version": records.c.version + 1}
                ),
                [{"b_id": rid} | {f"b_{name}": wanted[rid][1][name] for name in DERIVED} for rid in out.written],
            )
            _log(conn, tenant_id, kind, [(rid, "upsert") for rid in out.written], now)
    return out
