"""Batch jobs on a Ray cluster: the heavy part of re-understanding or importing a tenant's
records (understanding and encoding) spread over Ray workers, PostgreSQL the one source of truth.

`RayExecutor` starts `workers` actors (`BatchWorker`), each loading the reference pack once
and holding it for every batch it runs, and hands them the batches of a job
(training/jobs.py) as they come free. Each batch runs `training.jobs.Worker.run`, the same
code as the single-process path, and its writes go to the database from the worker.

Failures: an actor whose process dies (killed, out of memory, its machine gone) is restarted
by Ray (`MAX_RESTARTS`; the pack is loaded again) and the batch it was running is retried on
it (`MAX_TASK_RETRIES`); a batch that raises is handed back to the driver, which submits it
again (`--retries`). A batch that ran but whose result was lost, and so runs again, writes
nothing new (models/tenants/reunderstand.py). The driver records finished batches in the job table,
so a driver that stops is resumed by running the same command again.

Needs the `ray` package: `pip install -r requirements-scale.txt` (`make test-ray` does it).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Self

import ray

from training.jobs import Call, Hook, Worker

log = logging.getLogger("jobs")
MAX_RESTARTS = 4  # an actor's process dying is survived this many times
MAX_TASK_RETRIES = 4  # a batch whose actor died runs again on the restarted actor this many times


def connect(address: str, cpus: int | None = None) -> None:
    """Join a Ray cluster: "local" starts one in this process with `cpus` CPUs (tests, one
    machine), "auto" joins the cluster this machine is a node of (`ray start` ran here), any
    other address is passed to ray.init (host:6379, or ray://host:10001 for Ray Client)."""
    if ray.is_initialized():
        return
    if address == "local":
        ray.init(num_cpus=cpus, include_dashboard=False)
    else:
        ray.init(address=address)


@ray.remote(max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES)
class BatchWorker:
    """A Ray actor holding the reference pack; runs batches of jobs."""

    def __init__(self, pack_dir: str | None, threads: int):
        # before anything imports torch's thread pool: one worker per CPU Ray gave it
        import torch

        from models.core.settings import load_settings
        from models.reference.data import ReferenceData

        torch.set_num_threads(max(1, threads))
        started = time.monotonic()
        settings = load_settings()
        self.worker = Worker(ReferenceData.load(pack_dir or settings.pack_path, settings=settings))
        self.load_seconds = time.monotonic() - started

    def ready(self) -> dict:
        return {"pid": os.getpid(), "load_seconds": round(self.load_seconds, 1)}

    def run(self, call: Call, hook: Hook | None = None) -> dict:
        return self.worker.run(call, hook)


class RayExecutor:
    """Hands batches to a fixed set of BatchWorker actors, one batch per actor at a time."""

    def __init__(self, workers: int, cpus_per_worker: int = 1, pack_dir: str | None = None, hook: Hook | None = None):
        if workers < 1:
            raise ValueError("at least one worker")
        self.hook = hook
        options = BatchWorker.options(num_cpus=cpus_per_worker)
        self.actors = [options.remote(pack_dir, cpus_per_worker) for _ in range(workers)]
        self._idle = list(self.actors)
        self._running: dict = {}  # ObjectRef -> (actor, call)

    def ready(self) -> list[dict]:
        """Wait until every actor has loaded the pack: pid and load time of each."""
        return ray.get([actor.ready.remote() for actor in self.actors])

    def free(self) -> int:
        return len(self._idle)

    def running(self) -> int:
        return len(self._running)

    def submit(self, call: Call) -> None:
        actor = self._idle.pop()
        self._running[actor.run.remote(call, self.hook)] = (actor, call)

    def wait(self, timeout: float) -> list[tuple[Call, dict | BaseException]]:
        if not self._running:
            return []
        ready, _ = ray.wait(list(self._running), num_returns=1, timeout=timeout)
        out: list[tuple[Call, dict | BaseException]] = []
        for ref in ready:
            actor, call = self._running.pop(ref)
            try:
                out.append((call, ray.get(ref)))
                self._idle.append(actor)
            except ray.exceptions.RayTaskError as exc:  # the batch raised: the actor is fine
                out.append((call, exc))
                self._idle.append(actor)
            except ray.exceptions.RayActorError as exc:  # out of restarts: not used again
                log.error("a Ray worker is gone for good: %s", exc)
                out.append((call, exc))
        if not self._idle and not self._running:
            raise RuntimeError("every Ray worker is gone")
        return out

    def close(self) -> None:
        for actor in self.actors:
            ray.kill(actor)
        self.actors, self._idle, self._running = [], [], {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
