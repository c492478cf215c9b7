"""Job title -> the skills the job needs (benchmarks/title-skills format, TalentCLEF 2025 B).

Each row: {"title": ..., "occupation": ESCO URI, "relevant": {uri: grade}} with grade 2
essential, 1 optional. The relevant skills are the occupation's ESCO relations, which the
pack holds: ranking with them is lookup (`lookup_map`, `lookup_ndcg@20`). The primary figures
hide the row's own occupation's relations (leave-one-occupation-out): how the ranking
generalises to an occupation the relations do not know.
"""

from __future__ import annotations

import math
from collections.abc import Callable

PRIMARY = "map"
DEPTH = 1000


def average_precision(ranked: list[str], relevant: dict[str, int], depth: int = DEPTH) -> float:
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for rank, uri in enumerate(ranked[:depth], start=1):
        if uri in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = 20) -> float:
    dcg = sum((2 ** relevant.get(uri, 0) - 1) / math.log2(i + 2) for i, uri in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def _metrics(ranked: list[list[str]], rows: list[dict], prefix: str = "") -> dict[str, float]:
    n = len(rows)
    return {
        f"{prefix}ndcg@20": sum(ndcg(rk, r["relevant"]) for rk, r in zip(ranked, rows)) / n,
        f"{prefix}map": sum(average_precision(rk, r["relevant"]) for rk, r in zip(ranked, rows)) / n,
    }


def evaluate(rows: list[dict], rank: Callable[[list[str], list[str | None]], list[list[str]]]) -> dict[str, float]:
    """`rank(titles, hidden)` maps titles to ranked skill URIs (up to 1000 each), hiding the
    relations of the ESCO occupation given for each title (None: hide nothing)."""
    titles = [r["title"] for r in rows]
    lookup = _metrics(rank(titles, [None] * len(rows)), rows, "lookup_")
    return {**lookup, **_metrics(rank(titles, [r.get("occupation") for r in rows]), rows)}
