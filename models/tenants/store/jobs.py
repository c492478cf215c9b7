"""Batch jobs over a tenant's records and the batches of each that are done.

A job (understanding a tenant's records again, importing an NDJSON file) is planned once, when
it begins: its batches (first and last record id, or line number, and how many records each
holds) are stored with it. Each finished batch is recorded; running the same job again (same
tenant, kind, action and source) finds the unfinished job and runs only the batches not
recorded. A batch that ran but was not recorded (the process stopped in between) runs again,
which is harmless because what a batch writes is idempotent (models/tenants/reunderstand.py).
One driver runs a job at a time: two drivers on the same job would both run its open batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from models.core.errors import InvalidInput
from models.tenants.store.db import Database
from models.tenants.store.tables import JOB_ACTIONS, RECORD_KINDS, job_batches, jobs, utcnow


@dataclass(frozen=True)
class Job:
    id: int
    tenant_id: int
    kind: str
    action: str
    source: str
    plan: list[list[int]]  # [first, last, count] per batch
    state: str
    created_at: datetime
    finished_at: datetime | None

    @property
    def records(self) -> int:
        return sum(count for _, _, count in self.plan)


def _job(row) -> Job:
    m = row._mapping
    return Job(
        id=m["id"],
        tenant_id=m["tenant_id"],
        kind=m["kind"],
        action=m["action"],
        source=m["source"],
        plan=[list(batch) for batch in m["plan"]],
        state=m["state"],
        created_at=m["created_at"],
        finished_at=m["finished_at"],
    )


def _open(conn: Connection, tenant_id: int, kind: str, action: str, source: str) -> Job | None:
    row = conn.execute(
        select(jobs)
        .where(
            jobs.c.tenant_id == tenant_id,
            jobs.c.kind == kind,
            jobs.c.action == action,
            jobs.c.source == source,
            jobs.c.state == "running",
        )
        .order_by(jobs.c.id.desc())
        .limit(1)
    ).first()
    return _job(row) if row is not None else None


def start(
    db: Database, tenant_id: int, kind: str, action: str, source: str, plan: list[list[int]], *, fresh: bool = False
) -> tuple[Job, bool]:
    """The unfinished job of this tenant, kind, action and source, resumed with its own plan
    (`plan` is then ignored), or a new job with `plan`: (job, resumed). `fresh` abandons an
    unfinished one and starts anew."""
    if kind not in RECORD_KINDS or action not in JOB_ACTIONS:
        raise InvalidInput(f"unknown kind or action: {kind!r}, {action!r}")
    with db.transaction() as conn:
        current = _open(conn, tenant_id, kind, action, source)
        if current is not None and not fresh:
            return current, True
        if current is not None:
            conn.execute(update(jobs).where(jobs.c.id == current.id).values(state="abandoned", finished_at=utcnow()))
        job_id = conn.execute(
            insert(jobs)
            .values(
                tenant_id=tenant_id,
                kind=kind,
                action=action,
                source=source,
                plan=[list(batch) for batch in plan],
                state="running",
                created_at=utcnow(),
            )
            .returning(jobs.c.id)
        ).scalar_one()
        return _job(conn.execute(select(jobs).where(jobs.c.id == job_id)).one()), False


def get(db: Database, job_id: int) -> Job:
    with db.connect() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise InvalidInput(f"no job {job_id}")
    return _job(row)


def done_batches(db: Database, job_id: int) -> dict[int, dict]:
    """Position in the plan -> what the batch did, for every finished batch of the job."""
    with db.connect() as conn:
        return {
            batch: counts
            for batch, counts in conn.execute(
                select(job_batches.c.batch, job_batches.c.counts).where(job_batches.c.job_id == job_id)
            )
        }


def mark_done(db: Database, job_id: int, batch: int, counts: dict) -> None:
    """Record a finished batch; recording it again keeps the first record."""
    with db.transaction() as conn:
        exists = conn.execute(
            select(job_batches.c.batch).where(job_batches.c.job_id == job_id, job_batches.c.batch == batch)
        ).first()
        if exists is None:
            conn.execute(insert(job_batches).values(job_id=job_id, batch=batch, counts=counts, done_at=utcnow()))


def finish(db: Database, job_id: int) -> None:
    with db.transaction() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(state="done", finished_at=utcnow()))
