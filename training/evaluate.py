"""Evaluate the language services on benchmark files (JSON Lines, formats in the README).

    python -m training.evaluate skill-linking --data tech-validation.jsonl
    python -m training.evaluate title-skills  --data esco-validation.jsonl
    python -m training.evaluate title-soc     --data h2b-employer-validation.jsonl
    python -m training.evaluate matching      --data profiles-validation.jsonl   # through the API
    python -m training.evaluate all           # every validation file under --benchmarks
    python -m training.evaluate all --half odd  # their odd rows (counting from 0)

Prints every metric as name=value (fractions in [0, 1]), the primary metric last.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from models.core.settings import load_settings
from models.reference.data import ReferenceData
from training.evaluators import matching, skill_linking, title_skills, title_soc

TASKS = {
    "skill-linking": skill_linking,
    "title-skills": title_skills,
    "title-soc": title_soc,
    "matching": matching,
}
VALIDATION_FILES = {
    "skill-linking": [
        "skill-linking/tech-validation.jsonl",
        "skill-linking/house-validation.jsonl",
        "skill-linking/tech-validation-es.jsonl",
        "skill-linking/house-validation-es.jsonl",
    ],
    "title-skills": ["title-skills/esco-validation.jsonl"],
    "title-soc": ["title-soc/h2b-employer-validation.jsonl"],
    "matching": [
        "matching/profiles-validation.jsonl",
        "matching/profiles-validation-es.jsonl",
        "title-soc/h2b-employer-validation.jsonl",
    ],
}


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path}:{number}: not JSON ({exc.msg})") from None
    if not rows:
        raise SystemExit(f"{path}: no rows")
    return rows


def predictor(task: str, ref: ReferenceData):
    """The function each evaluator calls: inputs -> ranked ids."""
    if task == "skill-linking":
        return lambda texts: [[h.id for h in ref.skills.rank_sentence(t, k=100)] for t in texts]
    if task == "title-skills":
        return lambda titles, hidden: [ref.title_skill_ids(t, k=1000, exclude=h) for t, h in zip(titles, hidden)]
    if task == "title-soc":
        return lambda titles: ref.titles.normalize_batch(titles, k=5)
    if task == "matching":
        return lambda documents: recommend_through_api(ref, documents)
    raise ValueError(task)


def recommend_through_api(ref: ReferenceData, documents: list[dict]) -> list[list[str]]:
    """Bulk-load candidate documents into a fresh tenant of an in-process service (SQLite in a
    temporary directory, no needs) and read each one's matches: distinct SOC codes in order."""
    from models.tenants.store import tenants
    from service import create_app

    with tempfile.TemporaryDirectory(prefix="evaluate-matching-") as tmp:
        app = create_app({"data_dir": tmp, "database_url": "", "rate_limit": "off"}, reference=ref)
        db = app.extensions["talent"].database
        try:
            _, key = tenants.create_tenant(db, "evaluation")
            client = app.test_client()
            headers = {"Authorization": f"Bearer {key}"}
            body = "\n".join(json.dumps(doc) for doc in documents)
            response = client.post(
                "/v1/candidates:bulk", data=body, headers={**headers, "Content-Type": "application/x-ndjson"}
            )
            results = [json.loads(line) for line in response.get_data(as_text=True).splitlines() if line.strip()]
            ids = {r["external_id"]: r["id"] for r in results if r.get("status") in ("created", "updated")}
            failed = [r for r in results if r.get("status") == "error"]
            if response.status_code != 200 or failed:
                raise SystemExit(f"bulk load refused: {response.status_code} {(failed or results)[:3]}")
            ranked = []
            for doc in documents:
                matches = client.get(f"/v1/candidates/{ids[doc['external_id']]}/matches", headers=headers)
                if matches.status_code != 200:
                    raise SystemExit(
                        f"matches of {doc['external_id']}: {matches.status_code} {matches.get_data(as_text=True)[:300]}"
                    )
                ranked.append(matching.distinct_socs(matches.get_json()["items"]))
            return ranked
        finally:
            db.dispose()


def evaluate_file(task: str, path: Path, ref: ReferenceData, half: str | None = None) -> dict[str, float]:
    """Every row of the file, or its even or odd rows (counting from 0): tune on one, report the other."""
    module = TASKS[task]
    rows = read_jsonl(path)
    if half:
        rows = rows[{"even": 0, "odd": 1}[half] :: 2]
    return module.evaluate(rows, predictor(task, ref))


def print_metrics(task: str, path: Path, metrics: dict[str, float], seconds: float) -> None:
    primary = TASKS[task].PRIMARY
    print(f"# {task} on {path} ({seconds:.1f}s)")
    for name, value in metrics.items():
        if name != primary:
            print(f"{name}={value:.4f}")
    print(f"{primary}={metrics[primary]:.4f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=[*TASKS, "all"])
    parser.add_argument("--data", type=Path, help="a JSON Lines file in the task's format")
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"), help="for `all`")
    parser.add_argument("--data-dir", help="overrides TALENT_DATA_DIR (where the pack is)")
    parser.add_argument("--half", choices=["even", "odd"], help="only the even or odd rows (from 0)")
    args = parser.parse_args(argv)
    if args.task != "all" and args.data is None:
        parser.error("--data is required for a single task")
    settings = load_settings({"data_dir": args.data_dir} if args.data_dir else None)
    ref = ReferenceData.load(settings.pack_path)
    jobs = (
        [(args.task, args.data)]
        if args.task != "all"
        else [(task, args.benchmarks / rel) for task, files in VALIDATION_FILES.items() for rel in files]
    )
    for task, path in jobs:
        if not path.exists():
            print(f"# {task}: {path} not found", file=sys.stderr)
            continue
        started = time.time()
        metrics = evaluate_file(task, path, ref, args.half)
        print_metrics(task, path, metrics, time.time() - started)


if __name__ == "__main__":
    main()
