"""Benchmarks on this machine; figures go into the issue notes, not into timed tests.

    python -m training.bench ingest --sizes 10000 100000     # bulk ingest, memory, index, query latency
    python -m training.bench recommend --sizes 100000        # + latency of matches, candidates, talent map, gap
    python -m training.bench recommend --demo                # the same on the demo tenant (make serve's data)
    python -m training.bench ivf-recall --size 6000          # recall@10 of the approximate index, without the database
    python -m training.bench traffic --clients 10 --seconds 120 [--reads-only]   # a real gunicorn under load
    python -m training.bench console                         # server time of each console page, demo tenant
    python -m training.bench scale --candidates 1000000      # one tenant of a million (training/tenant_scale_bench.py)

`ingest` generates realistic synthetic candidates (training/synthetic.py), posts them through
the HTTP layer (Flask's in-process client: validation, understanding, encoding, database,
index) in NDJSON requests of --batch lines, then reports records/s, resident memory, the
time to rebuild the tenant's index from the database, the recall@10 of that index against
exact search, and p50/p99 latency of a nearest-candidates query (encode + search + fetch).

Memory is reported twice: `rss_mb`, the ingesting process right after ingest and rebuild
(before this script's own exact-search copies), and `worker_rss_mb`, a fresh process that
loads the reference data and then this tenant's candidates as a gunicorn worker does
(`worker_kb_per_candidate` is what the tenant adds to it).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from models.core.index import BruteForceIndex
from models.core.settings import load_settings
from models.reference.data import ReferenceData
from models.tenants.store import record_rows as store
from models.tenants.store import tenants

RECALL_PROBES = 200  # held-out candidate profiles recall@10 is measured on, with QUERIES
QUERIES = (
    "wind turbine technician with hydraulics experience",
    "CNC machinist, precision manufacturing",
    "customer success manager for a software company",
    "information security analyst, incident response",
    "registered nurse, rural hospital",
    "python developer, data pipelines",
    "electrician, solar installation",
    "medical equipment repairer",
    "truck driver with CDL",
    "quality control inspector, medical devices",
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


CEILING_SAMPLE = 2_000  # ingested CVs the encoder-alone rates are measured on


def bench_ingest(
    ref: ReferenceData,
    size: int,
    batch: int,
    database_url: str | None,
    workdir: Path,
    with_recommendations: bool = False,
    own_words: bool = False,
) -> dict:
    from service import create_app
    from training.synthetic import SyntheticTenant

    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "pack").symlink_to(load_settings().pack_path)
    # a measuring harness: its clients send far more than one key's rate limit on purpose
    app = create_app({"data_dir": str(workdir), "database_url": database_url or "", "rate_limit": "off"}, reference=ref)
    rt = app.extensions["talent"]
    db = rt.database
    _, key = tenants.create_tenant(db, f"bench-{size}")
    tenant = tenants.authenticate(db, key)
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()
    gen = SyntheticTenant(ref, seed=size)

    sample = SyntheticTenant(ref, seed=size + 1)
    held_out = [sample.candidate(n)[0] for n in range(512)]  # never ingested
    docs = [gen.candidate(n)[0] for n in range(size)]
    if own_words:
        docs = [in_own_words(doc, random.Random(n)) for n, doc in enumerate(docs)]
    ceiling = encoder_ceiling(ref, docs[:CEILING_SAMPLE])
    started = time.time()
    written = 0
    for start in range(0, size, batch):
        lines = [json.dumps(doc) for doc in docs[start : start + batch]]
        response = client.post(
            "/v1/candidates:bulk", data="\n".join(lines), content_type="application/x-ndjson", headers=headers
        )
        summary = json.loads(response.get_data(as_text=True).splitlines()[-1])["summary"]
        written += summary["created"] + summary["updated"]
        if summary["error"]:
            raise SystemExit(f"{summary['error']} lines failed: {response.get_data(as_text=True)[:500]}")
        print(f"  {written}/{size} in {time.time() - started:.0f}s", flush=True)
    ingest_s = time.time() - started

    indexes = rt.records().indexes
    t0 = time.time()
    ti = indexes.rebuild(tenant, "candidate")
    build_s = time.time() - t0
    ingest_rss = rss_mb()
    worker = worker_memory(workdir, database_url, tenant)

    vectors = dict(store.iter_vectors(db, tenant, "candidate"))
    ids = np.fromiter(vectors, dtype=np.int64)
    matrix = np.frombuffer(b"".join(vectors[i] for i in ids), dtype=np.float32).reshape(len(ids), -1)
    exact = BruteForceIndex(matrix.shape[1])
    exact.add(ids, matrix)
    # probes as queries arrive: profiles of candidates not in the index, and recruiters' text
    # (stored vectors plus noise would sit next to their own list centroid and flatter IVF)
    records = rt.records()
    encoded = ref.encoder.encode(list(QUERIES))
    profiles = profile_vectors(records.understander, held_out[:RECALL_PROBES])
    recall = recall_at_10(ti.index, exact, np.vstack([profiles, encoded]))

    search_ms, query_ms = [], []
    for round_ in range(20):
        for i, q in enumerate(QUERIES):
            t0 = time.perf_counter()
            indexes.search(tenant, "candidate", encoded[i], 10)
            search_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            records.search(tenant, "candidate", q, 10)
            query_ms.append((time.perf_counter() - t0) * 1000)
    result = {
        "candidates": size,
        "database": db.dialect,
        **ceiling,
        "ingest_records_per_s": round(written / ingest_s, 1),
        "ingest_vs_encoder": round(written / ingest_s / ceiling["encoder_only_records_per_s"], 3),
        "ingest_vs_encoder_distinct": round(written / ingest_s / ceiling["encoder_only_distinct_records_per_s"], 3),
        "ingest_seconds": round(ingest_s, 1),
        "rss_mb": round(ingest_rss, 0),
        "worker_rss_mb": worker["loaded_rss_mb"],
        "worker_baseline_rss_mb": worker["baseline_rss_mb"],
        "worker_kb_per_candidate": round(
            (worker["loaded_rss_mb"] - worker["baseline_rss_mb"]) * 1024 / max(1, size), 1
        ),
        "index_kind": ti.index.kind,
        "index_params": ti.index.params,
        "index_build_s": round(build_s, 2),
        "recall_at_10_vs_exact": round(recall, 4),
        "index_search_ms_p50": round(percentile(search_ms, 50), 2),
        "index_search_ms_p99": round(percentile(search_ms, 99), 2),
        "query_ms_p50": round(percentile(query_ms, 50), 2),
        "query_ms_p99": round(percentile(query_ms, 99), 2),
    }
    if with_recommendations:
        from training.demo import documents

        docs = documents(ref, seed=size)
        for kind in ("need", "program"):
            body = "\n".join(json.dumps(d) for d in docs[kind])
            client.post(f"/v1/{kind}s:bulk", data=body, content_type="application/x-ndjson", headers=headers)
        result["recommendations"] = bench_recommendations(client, headers)
    return result


def worker_memory(workdir: Path, database_url: str | None, tenant_id: int) -> dict:
    """Resident memory of a fresh process before and after loading the tenant's candidates
    (index snapshot + change replay + the arrays scoring uses), as a worker would."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "training.bench",
            "worker-memory",
            "--data-dir",
            str(workdir),
            "--database-url",
            database_url or "",
            "--tenant-id",
            str(tenant_id),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_worker(data_dir: str, database_url: str, tenant_id: int) -> dict:
    import gc

    from service import create_app

    config = {"data_dir": data_dir, "database_url": database_url}
    app = create_app(config, reference=ReferenceData.load(load_settings(config).pack_path))
    rt = app.extensions["talent"]
    space = rt.matcher().space  # the matcher's fixed tables belong to the baseline
    gc.collect()
    baseline = rss_mb()
    ti = rt.records().indexes.get(tenant_id, "candidate")
    ti.features.arrays(space.index)
    gc.collect()
    return {"candidates": len(ti), "baseline_rss_mb": round(baseline, 0), "loaded_rss_mb": round(rss_mb(), 0)}


EMPLOYERS = ("Northfield", "Harbor Point", "Ridgeway", "Cobalt Valley", "Summit", "Blue Mesa", "Pine Hollow", "Granite")
KINDS = ("Works", "Services", "Energy", "Health", "Manufacturing", "Logistics", "Systems", "Co-op")


def in_own_words(doc: dict, rng: random.Random) -> dict:
    """The CV with each task sentence tied to where and when it was done ("..., at Ridgeway
    Energy, 2014-2019."): synthetic CVs draw their sentences from their occupation's O*NET task
    statements, so across a few thousand CVs each sentence recurs about five times, which real
    CVs, written by their authors, rarely do."""
    from models.reference.skills import content_sentences

    parts = [s for s, _ in content_sentences(doc.get("summary"))]
    out = []
    for sentence in parts[1:]:
        start = rng.randint(1995, 2022)
        where = f"{rng.choice(EMPLOYERS)} {rng.choice(KINDS)}, {start}-{start + rng.randint(1, 6)}"
        out.append(f"{sentence.rstrip('.')}, at {where}.")
    return {**doc, "summary": " ".join(parts[:1] + out)}


def encoder_ceiling(ref: ReferenceData, docs: list[dict]) -> dict:
    """What the encoder alone manages on these candidates' CV sentences, in records/s: the rate
    ingest would reach if everything but encoding were free. Twice: every sentence encoded
    (`encoder_only_records_per_s`), and each distinct sentence once
    (`encoder_only_distinct_records_per_s`), since ingest never encodes a sentence twice and
    synthetic CVs repeat their occupation's task statements (real ones much less).

    The encoder has two arrangements: one stream on all the math threads (`encode`) and a stream
    per math thread (`encode_streams`, which ingest uses). Each is measured after a pass of its
    own over the same sentences, since the math library prepares its kernels for each input
    shape at first use (a cold pass ran ~25% slower here), and the faster one is the ceiling."""
    from models.reference.skills import content_sentences

    texts = [s for d in docs for s, _ in content_sentences(d.get("summary"))]
    distinct = list(dict.fromkeys(texts))
    encoder = ref.encoder

    def one_stream(batch: list[str]) -> None:
        encoder._encode(batch)  # _encode: nothing taken from vectors encoded ahead

    def streams(batch: list[str]) -> None:
        encoder.encode_streams(sorted(batch, key=len), lambda texts, vectors: None)

    def rate(encode, batch: list[str]) -> float:
        t0 = time.perf_counter()
        encode(batch)
        return round(len(docs) / (time.perf_counter() - t0), 1)

    arrangements = {"one_stream": one_stream, "streams": streams}
    by_arrangement = {}
    for name, encode in arrangements.items():
        encode(distinct)  # warm
        by_arrangement[name] = rate(encode, distinct)
    best = max(by_arrangement, key=lambda name: by_arrangement[name])
    return {
        "summary_words_mean": round(float(np.mean([len((d.get("summary") or "").split()) for d in docs])), 1),
        "ceiling_records": len(docs),
        "sentences": len(texts),
        "distinct_sentences": len(distinct),
        "encoder_streams": encoder.stream_count(),
        "encoder_only_distinct_by_arrangement": by_arrangement,
        "encoder_only_records_per_s": rate(arrangements[best], texts),
        "encoder_only_distinct_records_per_s": by_arrangement[best],
    }


def profile_vectors(understander, docs: list[dict]) -> np.ndarray:
    """The profile vectors ingest would store for these candidates, 500 at a time."""
    vectors = []
    for start in range(0, len(docs), 500):
        vectors += [u.vector for u in understander.understand("candidate", docs[start : start + 500])]
    return np.stack(vectors)


def recall_at_10(index, exact: BruteForceIndex, probe: np.ndarray) -> float:
    _, truth = exact.search(probe, 10)
    _, got = index.search(probe, 10)
    return float(np.mean([len(set(t) & set(g)) / 10 for t, g in zip(truth, got)]))


def bench_ivf_recall(ref: ReferenceData, size: int) -> dict:
    """recall@10 of the approximate (IVF) index the service would build for `size` profile
    vectors, forced even below the exact-search threshold: profiles understood as ingest does
    (no database), probed with held-out candidates and the text queries."""
    from models.core.index import FaissIndex
    from models.tenants.understanding import RecordUnderstander
    from training.synthetic import SyntheticTenant

    understander = RecordUnderstander(ref)
    gen, held = SyntheticTenant(ref, seed=size), SyntheticTenant(ref, seed=size + 1)
    matrix, ids = profile_vectors(understander, [gen.candidate(n)[0] for n in range(size)]), np.arange(size)
    profiles = profile_vectors(understander, [held.candidate(n)[0] for n in range(RECALL_PROBES)])
    queries = ref.encoder.encode(list(QUERIES))
    exact = BruteForceIndex(matrix.shape[1])
    exact.add(ids, matrix)
    index = FaissIndex.for_size(matrix.shape[1], size, exact_max=0)
    index.train(matrix)
    index.add(ids, matrix)
    return {
        "candidates": size,
        "index_params": index.params,
        "recall_at_10_held_out_profiles": round(recall_at_10(index, exact, profiles), 4),
        "recall_at_10_text_queries": round(recall_at_10(index, exact, queries), 4),
    }


def bench_recommendations(client, headers: dict, rounds: int = 40) -> dict:
    """p50/p99 latency (ms) of each recommendation endpoint, over sampled candidates and needs."""

    def ids(kind: str, n: int) -> list[int]:
        page = client.get(f"/v1/{kind}s?limit={n}", headers=headers).get_json()["items"]
        return [r["id"] for r in page]

    rng = np.random.default_rng(0)
    cands, needs = ids("candidate", 1000), ids("need", 1000)
    socs = ["49-9081", "51-4041", "15-1212", "43-4051", "29-1141"]
    calls = {
        "matches": lambda i: f"/v1/candidates/{cands[i % len(cands)]}/matches",
        "candidates": lambda i: f"/v1/needs/{needs[i % len(needs)]}/candidates",
        "talent_map": lambda i: (
            f"/v1/talent-map?need={needs[i % len(needs)]}" if i % 2 else f"/v1/talent-map?soc={socs[i % len(socs)]}"
        ),
        "gap": lambda i: f"/v1/candidates/{cands[i % len(cands)]}/gap?need={needs[i % len(needs)]}",
    }
    out = {}
    for name, path in calls.items():
        client.get(path(0), headers=headers)  # warm: first use builds the in-memory arrays
        times = []
        for i in rng.integers(0, 10**6, size=rounds):
            t0 = time.perf_counter()
            response = client.get(path(int(i)), headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path(int(i))}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        out[name] = {"p50_ms": round(percentile(times, 50), 1), "p99_ms": round(percentile(times, 99), 1)}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    ingest = sub.add_parser("ingest", help="bulk ingest, memory, index build, query latency")
    ingest.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ingest.add_argument("--batch", type=int, default=5_000, help="NDJSON lines per request")
    ingest.add_argument("--database-url", help="default: SQLite in a temporary directory")
    ingest.add_argument(
        "--own-words",
        action="store_true",
        help="each CV's sentences its own (an employer and years added): no sentence repeats across CVs",
    )
    recommend = sub.add_parser("recommend", help="ingest, then latency of the recommendation endpoints")
    recommend.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    recommend.add_argument("--batch", type=int, default=5_000)
    recommend.add_argument("--database-url")
    recommend.add_argument("--demo", action="store_true", help="measure on the demo tenant of the configured database")
    ivf = sub.add_parser("ivf-recall", help="recall@10 of the IVF index on held-out profiles and text queries")
    ivf.add_argument("--size", type=int, default=6_000)
    traffic = sub.add_parser("traffic", help="concurrent clients, mixed reads and writes, against a real gunicorn")
    traffic.add_argument("--clients", type=int, default=10)
    traffic.add_argument("--seconds", type=float, default=120)
    traffic.add_argument("--workers", type=int, default=2)
    traffic.add_argument("--reads-only", action="store_true")
    console = sub.add_parser("console", help="server time of each console page on the demo tenant")
    console.add_argument("--rounds", type=int, default=20)
    scale = sub.add_parser("scale", help="a tenant of a million candidates: build, memory, recall, latency")
    scale.add_argument("--candidates", type=int, default=1_000_000)
    scale.add_argument("--pool", type=int, default=3_000, help="candidates understood for real, then copied")
    scale.add_argument("--database-url", help="default: SQLite in a temporary directory")
    for name in ("scale-build", "scale-serve"):  # (used by scale) one process per measure
        step = sub.add_parser(name)
        step.add_argument("--data-dir", required=True)
        step.add_argument("--database-url", required=True)
        step.add_argument("--candidates", type=int, default=0)
        step.add_argument("--pool", type=int, default=0)
        step.add_argument("--tenant-id", type=int, default=0)
        step.add_argument("--key", default="")
    worker = sub.add_parser("worker-memory", help="(used by ingest) memory of a fresh worker loading one tenant")
    worker.add_argument("--data-dir", required=True)
    worker.add_argument("--database-url", default="")
    worker.add_argument("--tenant-id", type=int, required=True)
    args = parser.parse_args(argv)
    if args.what == "worker-memory":
        print(json.dumps(measure_worker(args.data_dir, args.database_url, args.tenant_id)))
        return
    if args.what in ("scale", "scale-build", "scale-serve"):
        from training import tenant_scale_bench as scaled

        if args.what == "scale":
            result = scaled.run(args.candidates, args.pool, args.database_url)
        elif args.what == "scale-build":
            result = scaled.build(args.database_url, Path(args.data_dir), args.candidates, args.pool)
        else:
            result = scaled.serve(args.database_url, Path(args.data_dir), args.tenant_id, args.key)
        print(json.dumps(result), flush=True)
        return
    if args.what == "traffic":
        from training.traffic import run

        print(json.dumps(run(args.clients, args.seconds, args.reads_only, args.workers)))
        return
    settings = load_settings()
    ref = ReferenceData.load(settings.pack_path)
    if args.what == "ivf-recall":
        print(json.dumps(bench_ivf_recall(ref, args.size)))
        return
    if args.what == "console" or (args.what == "recommend" and args.demo):
        from service import create_app
        from training.console_bench import bench_console
        from training.demo import load_demo

        load_demo(settings, ref)
        app = create_app({"rate_limit": "off"}, reference=ref)
        db = app.extensions["talent"].database
        key = tenants.add_key(db, tenants.DEMO_TENANT)  # its own key: the demo key printed by make serve stays valid
        try:
            if args.what == "console":
                print(json.dumps({"tenant": "demo", "console": bench_console(app.test_client(), key, args.rounds)}))
            else:
                figures = bench_recommendations(app.test_client(), {"Authorization": f"Bearer {key}"})
                print(json.dumps({"tenant": "demo", "recommendations": figures}))
        finally:
            tenants.revoke_key(db, key)
        return
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for size in args.sizes:
            result = bench_ingest(
                ref,
                size,
                args.batch,
                args.database_url,
                Path(tmp) / f"n{size}",
                args.what == "recommend",
                own_words=getattr(args, "own_words", False),
            )
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
