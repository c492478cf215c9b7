"""Job title -> SOC 2018 detailed occupation (benchmarks/title-soc format).

Each row: {"title": "Wind Turbine Technician", "soc": "49-9081"}. Metrics are fractions of
rows: the first prediction is the gold code ("top1", primary), its first two digits are the
gold major group ("accuracy_major"), the gold code is among the first five ("recall@5").
"""
from __future__ import annotations

from typing import Callable

PRIMARY = "top1"


def evaluate(rows: list[dict], predict: Callable[[list[str]], list[list[str]]]) -> dict[str, float]:
    """`predict` maps titles to ranked SOC codes ("15-1252"); at least five are useful."""
    if not rows:
        raise ValueError("no rows to evaluate")
    ranked = predict([r["title"] for r in rows])
    if len(ranked) != len(rows):
        raise ValueError(f"predict returned {len(ranked)} rankings for {len(rows)} titles")
    top1 = major = recall5 = 0
    for codes, row in zip(ranked, rows):
        gold = row["soc"]
        if codes:
            top1 += codes[0] == gold
            major += codes[0][:2] == gold[:2]
        recall5 += gold in codes[:5]
    n = len(rows)
    return {"accuracy_major": major / n, "recall@5": recall5 / n, "top1": top1 / n}
