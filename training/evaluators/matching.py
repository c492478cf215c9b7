"""Candidate profile -> the occupations to recommend (benchmarks/matching format).

Each row is a candidate record as an HR platform sends it, plus the answer:
{"external_id", "headline", "summary", "skills", "location", ..., "gold_soc": "29-1141",
 "accept_soc": [...], "note": "..."}. A title-soc row ({"title", "soc"}) is read as a
headline-only candidate in Kansas City, MO, willing to relocate.

The ranking is the service's own: the profiles are bulk-loaded into a fresh tenant with no
needs and `GET /v1/candidates/{id}/matches` is asked for each; the distinct SOC codes of its
items, in order, are the prediction. hit@1: the first is gold_soc or in accept_soc; hit@3:
one of the first three is.
"""

from __future__ import annotations

from collections.abc import Callable

PRIMARY = "hit@1"
ANSWER_FIELDS = ("gold_soc", "accept_soc", "note", "soc", "title", "id")
HEADLINE_ONLY_PLACE = {"location": "Kansas City, MO", "willing_to_relocate": True}


def as_profiles(rows: list[dict]) -> list[dict]:
    """Rows of either benchmark format as (candidate document, accepted SOC codes)."""
    out = []
    for n, row in enumerate(rows, start=1):
        if "gold_soc" in row:
            doc = {k: v for k, v in row.items() if k not in ANSWER_FIELDS}
            doc.setdefault("external_id", row.get("id") or f"profile-{n}")
            accepted = [row["gold_soc"], *row.get("accept_soc", [])]
        elif "title" in row and "soc" in row:
            doc = {"external_id": f"title-{n}", "headline": row["title"][:300], **HEADLINE_ONLY_PLACE}
            accepted = [row["soc"]]
        else:
            raise ValueError(f"row {n}: neither a profile (gold_soc) nor a title-soc row (title, soc)")
        out.append({"document": doc, "accepted": accepted})
    return out


def distinct_socs(items: list[dict]) -> list[str]:
    """SOC codes of matches items in order of first appearance."""
    seen: list[str] = []
    for item in items:
        soc = (item.get("role") or {}).get("soc")
        if soc and soc not in seen:
            seen.append(soc)
    return seen


def evaluate(rows: list[dict], recommend: Callable[[list[dict]], list[list[str]]]) -> dict[str, float]:
    """`recommend` maps candidate documents to their recommended SOC codes, best first."""
    if not rows:
        raise ValueError("no rows to evaluate")
    profiles = as_profiles(rows)
    ranked = recommend([p["document"] for p in profiles])
    if len(ranked) != len(profiles):
        raise ValueError(f"recommend returned {len(ranked)} rankings for {len(profiles)} profiles")
    hit1 = hit3 = 0
    for socs, profile in zip(ranked, profiles):
        accepted = set(profile["accepted"])
        hit1 += bool(socs) and socs[0] in accepted
        hit3 += bool(accepted.intersection(socs[:3]))
    n = len(profiles)
    return {"hit@3": hit3 / n, "hit@1": hit1 / n}
