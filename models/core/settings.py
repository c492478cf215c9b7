"""Every setting of the service, declared once: name, environment variable, default, help.

The README's settings table is checked against this list by a test, so a setting that is
added here and not documented fails the build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        return "TALENT_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "var", "Directory holding the reference pack, indices and the SQLite database."),
    Setting(
        "database_url",
        "",
        "SQLAlchemy URL of the tenant database; empty means SQLite in the data directory. Also read from DATABASE_URL.",
    ),
    Setting("bind", "127.0.0.1:8000", "Address gunicorn listens on."),
    Setting(
        "workers",
        2,
        "Number of gunicorn worker processes; each gets cores ÷ workers math threads (torch, OpenBLAS, FAISS).",
        int,
    ),
    Setting(
        "threads",
        2,
        "Request threads per gunicorn worker: one long request (a bulk import) leaves the other free; "
        "more only share the same core.",
        int,
    ),
    Setting("max_body_bytes", 2 * 1024 * 1024, "Largest accepted JSON request body in bytes (larger gets 413).", int),
    Setting("max_bulk_bytes", 256 * 1024 * 1024, "Largest accepted NDJSON bulk body in bytes (larger gets 413).", int),
    Setting("max_bulk_lines", 50_000, "Most lines accepted in one NDJSON bulk request.", int),
    Setting("max_text_chars", 50_000, "Longest free text accepted by the language services, in characters.", int),
    Setting(
        "large_metro_min_jobs", 1_000_000, "A metropolitan area with at least this many jobs is a large_metro.", int
    ),
    Setting(
        "micro_hub_max_jobs",
        150_000,
        "A metropolitan area with fewer jobs than this is a micro_hub (nonmetropolitan areas always are).",
        int,
    ),
    Setting(
        "world_city_min_population",
        15_000,
        "World cities (GeoNames) at least this large are regions without labour statistics.",
        int,
    ),
    Setting(
        "micro_hub_weight", 0.10, "Bonus added to the region fit of a micro-hub in candidate matches (0 = none).", float
    ),
    Setting(
        "encoder", "", "Path of a sentence-transformers model directory; empty means the packaged all-MiniLM-L6-v2."
    ),
    Setting(
        "encoder_precision",
        "auto",
        "Encoder arithmetic: fp32, bf16, or auto (bf16 where the CPU multiplies bfloat16 in hardware, AVX-512 BF16 or AMX; else fp32).",
        lambda v: _choice(v, ("auto", "fp32", "bf16")),
    ),
    Setting(
        "translator",
        "apertium",
        "Spanish text translated to English before it is read (apertium, when Debian's apertium-eng-spa is installed) or off (the multilingual encoder alone).",
        lambda v: _choice(v, ("apertium", "off")),
    ),
    Setting(
        "rate_limit",
        "1200 per minute",
        "Requests allowed per API key (flask-limiter notation, or off; 429 with Retry-After beyond).",
    ),
    Setting(
        "auth_failure_limit",
        "20 per minute",
        "Failed authentications allowed per client address (or off); beyond, every authentication from it gets 429.",
    ),
    Setting(
        "rate_limit_storage",
        "memory://",
        "Where rate-limit counters live: memory:// counts per worker process, redis://host:port shares them.",
    ),
    Setting(
        "secret_key",
        "",
        "Key signing the console's session cookies; empty means one generated once and kept in the data directory (secret_key).",
    ),
    Setting("log_level", "INFO", "Python logging level."),
    Setting(
        "log_format",
        "json",
        "Service log lines: json (one object a line, with the request id) or text.",
        lambda v: _choice(v, ("json", "text")),
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"expected one of {', '.join(allowed)}, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def data_path(self) -> Path:
        return Path(self.values["data_dir"]).resolve()

    @property
    def pack_path(self) -> Path:
        return self.data_path / "pack"

    @property
    def sqlalchemy_url(self) -> str:
        url = self.values["database_url"]
        return url or f"sqlite:///{self.data_path / 'service.db'}"


def load_settings(overrides: dict[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then environment variables, then explicit overrides (tests, app factory)."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = env.get(s.env)
        if raw is None and s.name == "database_url":
            raw = env.get("DATABASE_URL")
        if raw is None:
            values[s.name] = s.default
            continue
        try:
            values[s.name] = s.parse(raw)
        except ValueError as exc:
            raise ValueError(f"setting {s.env}: {exc}") from None
    for key, value in (overrides or {}).items():
        if key not in _BY_NAME:
            raise KeyError(f"unknown setting {key!r}")
        values[key] = value
    return Settings(values)


MATH_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Math threads (torch, OpenBLAS, FAISS's OpenMP) for each of `workers` serving processes,
    so that together they use each core once. With the libraries' default of one thread per
    core in each of two workers on 2 cores, every step waited at a barrier for a descheduled
    thread: reads-only traffic 96 requests/s, 143 with one thread a worker (README, Speed)."""
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))
