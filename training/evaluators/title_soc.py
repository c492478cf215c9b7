"""Job title -> SOC 2018 detailed occupation (benchmarks/title-soc format).

Each row: {"title": "Wind Turbine Technician", "soc": "49-9081"}. Metrics are fractions of
rows: the first prediction is the gold code ("top1", primary), its first two digits are the
gold major group ("accuracy_major"), the gold code is among the first five ("recall@5").
When predictions carry a confidence, calibration is reported too: the share of rows answered
with confidence at least 0.8 ("confident@0.8") and how many of those are right
("precision@0.8"; the service promises at least 0.8).
"""

from __future__ import annotations

from collections.abc import Callable

PRIMARY = "top1"
CONFIDENT = 0.8


def evaluate(rows: list[dict], predict: Callable[[list[str]], list[list]]) -> dict[str, float]:
    """`predict` maps titles to ranked SOC codes ("15-1252"), or to ranked {"soc", "score"}
    answers whose first score is a confidence; at least five are useful."""
    if not rows:
        raise ValueError("no rows to evaluate")
    ranked = predict([r["title"] for r in rows])
    if len(ranked) != len(rows):
        raise ValueError(f"predict returned {len(ranked)} rankings for {len(rows)} titles")
    top1 = major = recall5 = confident = confident_right = 0
    scored = False
    for answers, row in zip(ranked, rows):
        gold = row["soc"]
        codes = [a["soc"] if isinstance(a, dict) else a for a in answers]
        if codes:
            top1 += codes[0] == gold
            major += codes[0][:2] == gold[:2]
            if isinstance(answers[0], dict) and "score" in answers[0]:
                scored = True
                if answers[0]["score"] >= CONFIDENT:
                    confident += 1
                    confident_right += codes[0] == gold
        recall5 += gold in codes[:5]
    n = len(rows)
    out = {"accuracy_major": major / n, "recall@5": recall5 / n}
    if scored:
        out["confident@0.8"] = confident / n
        out["precision@0.8"] = confident_right / confident if confident else 0.0
    out["top1"] = top1 / n
    return out
