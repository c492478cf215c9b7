"""The audit log of a tenant: every write, bulk import, export and erasure, with who did it
(the prefix of the API key, which names the key without being usable), what (action, kind,
the record id when one, how many records) and when; never a record's contents.

A write's event is inserted in the write's own transaction (records._log calls `note`), so
the log holds exactly what was committed. Who is acting comes from `ACTOR`, a context
variable the HTTP layer sets per request; a write without one (an operator's script, the demo
loader) is logged with no key and the store's own verb.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from models.tenants.store.db import Database
from models.tenants.store.tables import audit_events, utcnow

MAX_PAGE = 500


@dataclass(frozen=True)
class Actor:
    key_prefix: str | None
    action: str | None = None  # what the client asked for: create, replace, patch, delete, bulk, export
    request_id: str | None = None


ACTOR: ContextVar[Actor | None] = ContextVar("talent_audit_actor", default=None)


def note(conn: Connection, tenant_id: int, kind: str, entries: list[tuple[int, str]], at: datetime) -> None:
    """One event for the change-log entries a transaction appends."""
    if not entries:
        return
    actor = ACTOR.get() or Actor(None)
    ops = {op for _, op in entries}
    action = actor.action or ("delete" if ops == {"delete"} else "upsert")
    conn.execute(
        insert(audit_events).values(
            tenant_id=tenant_id,
            at=at,
            key_prefix=actor.key_prefix,
            action=action,
            kind=kind,
            record_id=entries[0][0] if len(entries) == 1 else None,
            count=len(entries),
            request_id=actor.request_id,
        )
    )


def record(db: Database, tenant_id: int, action: str, kind: str | None, count: int) -> None:
    """An event that writes nothing else (an export), in a transaction of its own."""
    actor = ACTOR.get() or Actor(None)
    with db.transaction() as conn:
        conn.execute(
            insert(audit_events).values(
                tenant_id=tenant_id,
                at=utcnow(),
                key_prefix=actor.key_prefix,
                action=action,
                kind=kind,
                record_id=None,
                count=count,
                request_id=actor.request_id,
            )
        )


def events(db: Database, tenant_id: int, after: int = 0, limit: int = 100) -> list[dict]:
    """The tenant's events after event id `after`, oldest first."""
    with db.connect() as conn:
        rows = conn.execute(
            select(audit_events)
            .where(audit_events.c.tenant_id == tenant_id, audit_events.c.id > after)
            .order_by(audit_events.c.id)
            .limit(min(limit, MAX_PAGE))
        ).all()
    return [
        {
            "id": r.id,
            "at": r.at.isoformat(timespec="milliseconds"),
            "key_prefix": r.key_prefix,
            "action": r.action,
            "kind": r.kind,
            "record_id": r.record_id,
            "count": r.count,
            "request_id": r.request_id,
        }
        for r in rows
    ]
