"""Evaluate the language services on benchmark files (JSON Lines, formats in the README).

    python -m training.evaluate skill-linking --data tech-validation.jsonl
    python -m training.evaluate title-skills  --data esco-validation.jsonl
    python -m training.evaluate title-soc     --data onet-reported-validation.jsonl
    python -m training.evaluate all           # every validation file under --benchmarks

Prints every metric as name=value (fractions in [0, 1]), the primary metric last.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from models.reference import ReferenceData
from models.settings import load_settings
from training.evaluators import skill_linking, title_skills, title_soc

TASKS = {
    "skill-linking": skill_linking,
    "title-skills": title_skills,
    "title-soc": title_soc,
}
VALIDATION_FILES = {
    "skill-linking": ["skill-linking/tech-validation.jsonl", "skill-linking/house-validation.jsonl"],
    "title-skills": ["title-skills/esco-validation.jsonl"],
    "title-soc": ["title-soc/onet-reported-validation.jsonl"],
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
        return lambda titles: [ref.title_skill_ids(t, k=1000) for t in titles]
    if task == "title-soc":
        return lambda titles: [[o["soc"] for o in ranked] for ranked in ref.titles.normalize_batch(titles, k=5)]
    raise ValueError(task)


def evaluate_file(task: str, path: Path, ref: ReferenceData) -> dict[str, float]:
    module = TASKS[task]
    rows = read_jsonl(path)
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
        metrics = evaluate_file(task, path, ref)
        print_metrics(task, path, metrics, time.time() - started)


if __name__ == "__main__":
    main()
