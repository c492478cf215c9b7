"""Long jobs over a tenant's records, batch by batch, resumable.

    reunderstand(...)   understand every record of a tenant and kind again (new encoder or pack)
    import_file(...)    an NDJSON file of records, upserted by external_id

A job is planned when it begins (models/tenants/store/jobs.py: its batches are stored with it), then
its batches not yet done are handed to an executor: `LocalExecutor` runs them one after
another in this process (the reference path); `training.distributed.RayExecutor` runs the
same `Worker.run` in Ray actors, each holding the reference pack. The driver records each
batch as it finishes, so the same command run again after an interruption runs only the rest;
a batch that fails is submitted again up to `retries` times, after which the job stops
unfinished (and resumes the next time). What a batch writes is idempotent
(models/tenants/reunderstand.py), so a batch that ran but was not recorded costs only its time.
Progress: a log line per finished batch, and one every PROGRESS_EVERY seconds while none
finishes.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from threadpoolctl import threadpool_limits

from models.reference.data import ReferenceData
from models.tenants.reunderstand import import_batch, plan, reunderstand_batch
from models.tenants.store import jobs
from models.tenants.store import record_rows as store
from models.tenants.store.db import Database

log = logging.getLogger("jobs")
PROGRESS_EVERY = 10.0
BATCH_SIZE = 64
RETRIES = 2

# Called in the worker before a batch runs ("start") and after its writes committed
# ("written"), with the batch's position in the plan: tests use it to kill a worker.
Hook = Callable[[int, str], None]


@dataclass(frozen=True)
class Call:
    """One batch of a job: everything a worker needs to run it."""

    database_url: str
    job_id: int
    tenant_id: int
    kind: str
    action: str  # "reunderstand" | "import"
    batch: int  # position in the job's plan
    first: int
    last: int
    count: int
    lines: tuple[tuple[int, dict], ...] = ()  # import: (line number, validated document)


class Worker:
    """Runs calls: the reference pack, loaded once, and one database engine per URL."""

    def __init__(self, ref: ReferenceData, databases: dict[str, Database] | None = None):
        self.ref = ref
        self._databases: dict[str, Database] = dict(databases or {})

    def database(self, url: str) -> Database:
        if url not in self._databases:
            self._databases[url] = Database(url)
        return self._databases[url]

    def run(self, call: Call, hook: Hook | None = None) -> dict:
        """Run one batch. NumPy's BLAS runs on one thread meanwhile, in every executor: with
        another number of threads it sums in another order, which moves the last bits of the
        multilingual path's scores and can swap skills whose scores tie to the 4 decimals
        stored, so one process and any number of Ray workers would not store the same rows.
        (torch's encodings here are the same whatever its number of threads.)"""
        if hook is not None:
            hook(call.batch, "start")
        db = self.database(call.database_url)
        with threadpool_limits(limits=1, user_api="blas"):
            if call.action == "reunderstand":
                result = reunderstand_batch(db, self.ref, call.tenant_id, call.kind, call.first, call.last)
            elif call.action == "import":
                result = import_batch(db, self.ref, call.tenant_id, call.kind, call.lines)
            else:
                raise ValueError(f"unknown action {call.action!r}")
        if hook is not None:
            hook(call.batch, "written")
        return result


class LocalExecutor:
    """Runs each batch in this process when waited for, one at a time."""

    def __init__(self, worker: Worker, hook: Hook | None = None):
        self.worker = worker
        self.hook = hook
        self._queued: deque[Call] = deque()

    def free(self) -> int:
        return 0 if self._queued else 1

    def running(self) -> int:
        return len(self._queued)

    def submit(self, call: Call) -> None:
        self._queued.append(call)

    def wait(self, timeout: float) -> list[tuple[Call, dict | BaseException]]:
        call = self._queued.popleft()
        try:
            return [(call, self.worker.run(call, self.hook))]
        except Exception as exc:  # handed to the runner, which submits the batch again
            log.exception("batch %d of job %d raised", call.batch, call.job_id)
            return [(call, exc)]

    def close(self) -> None:
        return None


class JobFailed(RuntimeError):
    """Some batches failed every attempt; the job stays unfinished and resumes next time."""


@dataclass
class JobReport:
    job_id: int
    resumed: bool
    batches: int  # in the plan
    skipped: int  # done before this run
    ran: list[int] = field(default_factory=list)  # batches run (and recorded) by this run
    counts: dict[str, int] = field(default_factory=dict)  # added up over the batches this run ran
    problems: list[dict] = field(default_factory=list)  # records or lines refused, with why
    seconds: float = 0.0

    @property
    def records_per_s(self) -> float:
        return self.counts.get("records", 0) / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict:
        return {
            "job": self.job_id,
            "resumed": self.resumed,
            "batches": self.batches,
            "skipped": self.skipped,
            "ran": len(self.ran),
            **self.counts,
            "problems": len(self.problems),
            "seconds": round(self.seconds, 1),
            "records_per_s": round(self.records_per_s, 1),
        }


def run_job(
    db: Database, executor, job: jobs.Job, resumed: bool, calls: list[Call], retries: int = RETRIES
) -> JobReport:
    """Run the calls of batches not done yet, recording each as it finishes; the job is done
    when every batch of its plan is. Raises JobFailed when a batch failed every attempt."""
    done = jobs.done_batches(db, job.id)
    todo = deque(call for call in calls if call.batch not in done)
    report = JobReport(job.id, resumed, len(job.plan), len(done))
    total = sum(call.count for call in todo)
    label = f"{job.action} tenant {job.tenant_id} {job.kind}s (job {job.id})"
    log.info(
        "%s: %d batches, %d done before, %d records to go%s",
        label,
        len(job.plan),
        len(done),
        total,
        " (resumed)" if resumed else "",
    )
    attempts: dict[int, int] = {}
    failed: dict[int, str] = {}
    started = time.monotonic()
    processed = 0
    while todo or executor.running():
        while todo and executor.free():
            executor.submit(todo.popleft())
        finished = executor.wait(PROGRESS_EVERY)
        for call, outcome in finished:
            if isinstance(outcome, BaseException):
                attempts[call.batch] = attempts.get(call.batch, 0) + 1
                reason = f"{type(outcome).__name__}: {outcome}"
                if attempts[call.batch] <= retries:
                    log.warning("%s: batch %d failed (%s); submitted again", label, call.batch, reason[:500])
                    todo.append(call)
                else:
                    log.error(
                        "%s: batch %d failed %d times (%s)", label, call.batch, attempts[call.batch], reason[:500]
                    )
                    failed[call.batch] = reason
                continue
            problems = outcome.pop("failures", None) or outcome.pop("errors", None) or []
            jobs.mark_done(db, job.id, call.batch, {**outcome, "problems": len(problems)})
            report.ran.append(call.batch)
            report.problems += problems
            for name, value in outcome.items():
                if isinstance(value, int):
                    report.counts[name] = report.counts.get(name, 0) + value
            processed += call.count
            elapsed = time.monotonic() - started
            rate = processed / elapsed if elapsed > 0 else 0.0
            log.info(
                "%s: batch %d done (%s); %d/%d records, %.1f records/s, ~%.0fs left",
                label,
                call.batch,
                ", ".join(f"{k} {v}" for k, v in outcome.items() if isinstance(v, int)),
                processed,
                total,
                rate,
                (total - processed) / rate if rate > 0 else float("nan"),
            )
        if not finished:
            log.info("%s: %d batches running, %d/%d records done", label, executor.running(), processed, total)
    report.seconds = time.monotonic() - started
    if failed:
        raise JobFailed(
            f"{label}: {len(failed)} batches failed every attempt ({', '.join(map(str, sorted(failed)))}); "
            f"run the same command again to retry them. First: {failed[min(failed)]}"
        )
    jobs.finish(db, job.id)
    return report


def reunderstand(
    db: Database,
    database_url: str,
    executor,
    tenant_id: int,
    kind: str,
    batch_size: int = BATCH_SIZE,
    fresh: bool = False,
    retries: int = RETRIES,
) -> JobReport:
    """Understand every record of the tenant and kind again, in batches of record ids."""
    batches = plan(store.record_ids(db, tenant_id, kind), batch_size)
    job, resumed = jobs.start(db, tenant_id, kind, "reunderstand", "records", batches, fresh=fresh)
    calls = [
        Call(database_url, job.id, tenant_id, kind, "reunderstand", n, first, last, count)
        for n, (first, last, count) in enumerate(job.plan)
    ]
    return run_job(db, executor, job, resumed, calls, retries)


def read_ndjson(path: Path, kind: str) -> tuple[str, list[tuple[int, dict]], list[dict]]:
    """An NDJSON file checked as the API checks a bulk body (service/api/resources.py):
    (sha256 of the file, valid (line, document) pairs, result lines of the refused lines).
    Two lines with one external_id refuse the whole file (InvalidInput), as in the API."""
    from models.tenants.store.tables import RECORD_KINDS
    from service.api.resources import parse_ndjson
    from service.schemas import RESOURCE_SCHEMAS

    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    raw = Path(path).read_bytes()
    lines = parse_ndjson(raw.decode("utf-8"), RESOURCE_SCHEMAS[kind], max_lines=10**9)
    valid = [(ln.line, ln.doc) for ln in lines if ln.error is None]
    refused = [
        {
            "line": ln.line,
            "status": "error",
            "error": {"code": ln.error.code, "message": ln.error.message, "details": ln.error.details},
        }
        for ln in lines
        if ln.error is not None
    ]
    return "sha256:" + hashlib.sha256(raw).hexdigest(), valid, refused


def import_file(
    db: Database,
    database_url: str,
    executor,
    tenant_id: int,
    kind: str,
    path: Path,
    batch_size: int = BATCH_SIZE,
    fresh: bool = False,
    retries: int = RETRIES,
) -> JobReport:
    """Upsert the records of an NDJSON file by external_id, in batches of lines. Lines that do
    not validate are reported (`problems`) and never sent to a worker."""
    digest, valid, refused = read_ndjson(path, kind)
    job, resumed = jobs.start(
        db, tenant_id, kind, "import", digest, plan([n for n, _ in valid], batch_size), fresh=fresh
    )
    by_line = dict(valid)
    calls = [
        Call(
            database_url,
            job.id,
            tenant_id,
            kind,
            "import",
            n,
            first,
            last,
            count,
            tuple((line, by_line[line]) for line in range(first, last + 1) if line in by_line),
        )
        for n, (first, last, count) in enumerate(job.plan)
    ]
    report = run_job(db, executor, job, resumed, calls, retries)
    report.problems = sorted(refused + report.problems, key=lambda r: r["line"])
    report.counts["error"] = report.counts.get("error", 0) + len(refused)
    return report
