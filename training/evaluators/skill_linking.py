"""Skill linking: free-text sentence -> ESCO skills (benchmarks/skill-linking format).

Each row: {"text": ..., "relevant": [[uri, ...], ...]}; a gold concept is a list of
acceptable URIs, any one of which counts.
"""

from __future__ import annotations

from collections.abc import Callable

PRIMARY = "rp@5"


def rp_at_k(ranked: list[str], gold: list[list[str]], k: int = 5) -> float:
    if not gold:
        return 0.0
    top = set(ranked[:k])
    found = sum(1 for concept in gold if top.intersection(concept))
    return found / min(k, len(gold))


def reciprocal_rank(ranked: list[str], gold: list[list[str]], depth: int = 100) -> float:
    accepted = {uri for concept in gold for uri in concept}
    for rank, uri in enumerate(ranked[:depth], start=1):
        if uri in accepted:
            return 1.0 / rank
    return 0.0


def evaluate(rows: list[dict], rank: Callable[[list[str]], list[list[str]]]) -> dict[str, float]:
    """`rank` maps sentences to ranked skill URIs (at least 100 each)."""
    ranked = rank([r["text"] for r in rows])
    n = len(rows)
    return {
        "mrr": sum(reciprocal_rank(rk, r["relevant"]) for rk, r in zip(ranked, rows)) / n,
        "rp@5": sum(rp_at_k(rk, r["relevant"]) for rk, r in zip(ranked, rows)) / n,
    }
