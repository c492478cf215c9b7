"""Importer for the O*NET database in its official "text" distribution (tab-separated files
with one header row: `Alternate Titles.txt`, `Job Zones.txt`, ...).

The repository vendors the files it uses from O*NET 29.2 under data/onet-29.2/, each
gzip-compressed (`Alternate Titles.txt.gz`); a newer official download (`--onet-dir`) is read
the same way, compressed or not. O*NET-SOC codes ("29-1141.01") roll up to SOC 2018 detailed
codes by their first seven characters.

O*NET 29.2 Database by the U.S. Department of Labor, Employment and Training Administration
(USDOL/ETA). Used under the CC BY 4.0 license. O*NET is a trademark of USDOL/ETA.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from models.core.artifacts import sha256_file
from training.sources.files import find, open_text

VENDORED_DIR = Path(__file__).resolve().parents[2] / "data" / "onet-29.2"
VERSION = "29.2"

OCCUPATION_DATA = "Occupation Data"
ALTERNATE_TITLES = "Alternate Titles"
JOB_ZONES = "Job Zones"
RELATED_OCCUPATIONS = "Related Occupations"
TECHNOLOGY_SKILLS = "Technology Skills"
TOOLS_USED = "Tools Used"
FILES = (OCCUPATION_DATA, ALTERNATE_TITLES, JOB_ZONES, RELATED_OCCUPATIONS, TECHNOLOGY_SKILLS, TOOLS_USED)
CODE = "O*NET-SOC Code"
# columns each file must have (a newer release may add others)
COLUMNS = {
    OCCUPATION_DATA: (CODE, "Title", "Description"),
    ALTERNATE_TITLES: (CODE, "Alternate Title", "Short Title"),
    JOB_ZONES: (CODE, "Job Zone"),
    RELATED_OCCUPATIONS: (CODE, "Related O*NET-SOC Code", "Relatedness Tier", "Index"),
    TECHNOLOGY_SKILLS: (CODE, "Example", "Commodity Title", "Hot Technology", "In Demand"),
    TOOLS_USED: (CODE, "Example", "Commodity Title"),
}
# O*NET's relatedness tiers, closest first
RELATED_TIERS = ("Primary-Short", "Primary-Long", "Supplemental")


def soc_of(onet_code: str) -> str:
    """'29-1141.01' -> '29-1141'."""
    return onet_code.strip()[:7]


def file_path(directory: Path, name: str) -> Path:
    """`<name>.txt` or `<name>.txt.gz` in an O*NET directory."""
    return find(directory, f"{name}.txt")


def rows(directory: Path, name: str) -> Iterator[dict[str, str]]:
    """Rows of one O*NET text file as dicts of stripped strings, after checking its header."""
    path = file_path(directory, name)
    with open_text(path) as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in COLUMNS.get(name, (CODE,)) if c not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(map(repr, missing))}")
        for cells in reader:
            if any(c.strip() for c in cells):
                yield {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}


def fingerprint(directory: Path) -> str:
    """sha256 over the names and contents of the files read, for artifact manifests."""
    digest = hashlib.sha256()
    for name in FILES:
        path = file_path(directory, name)
        digest.update(f"{path.name}\0{sha256_file(path)}\n".encode())
    return f"onet sha256:{digest.hexdigest()[:16]}"


@dataclass
class OnetDatabase:
    """What the pack uses from O*NET, keyed by SOC 2018 detailed code."""

    titles: dict[str, str] = field(default_factory=dict)  # O*NET-SOC code -> title
    descriptions: dict[str, str] = field(default_factory=dict)  # O*NET-SOC code -> description
    alternate_titles: list[tuple[str, str]] = field(default_factory=list)  # (title, SOC), file order
    job_zones: dict[str, dict[str, int]] = field(default_factory=dict)  # SOC -> {O*NET code: job zone}
    related: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)  # SOC -> (SOC, tier, index)
    # SOC -> (example, commodity, in demand): "In Demand" is O*NET's flag for what employers'
    # postings for that occupation ask for ("Hot Technology" is one flag across all occupations)
    technologies: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    tools: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # SOC -> (example, commodity)


def folded(db: OnetDatabase, folding: dict[str, str]) -> OnetDatabase:
    """The same database with SOC codes filed as `folding` says (onet.fold_codes)."""
    code = lambda c: folding.get(c, c)
    out = OnetDatabase(db.titles, db.descriptions, [(t, code(c)) for t, c in db.alternate_titles])
    for soc, zones in db.job_zones.items():
        out.job_zones.setdefault(code(soc), {}).update(zones)
    for soc, related in db.related.items():
        out.related.setdefault(code(soc), []).extend((code(o), t, i) for o, t, i in related if code(o) != code(soc))
    for soc, items in db.technologies.items():
        out.technologies.setdefault(code(soc), []).extend(items)
    for soc, items in db.tools.items():
        out.tools.setdefault(code(soc), []).extend(items)
    return out


def read_onet(directory: Path | None = None) -> OnetDatabase:
    """The vendored O*NET 29.2 files, or an official download directory."""
    directory = Path(directory) if directory else VENDORED_DIR
    db = OnetDatabase()
    for row in rows(directory, OCCUPATION_DATA):
        db.titles[row[CODE]] = row["Title"]
        db.descriptions[row[CODE]] = row["Description"]
    for row in rows(directory, ALTERNATE_TITLES):
        soc = soc_of(row[CODE])
        for title in (row["Alternate Title"], row["Short Title"]):
            if title:
                db.alternate_titles.append((" ".join(title.split()), soc))
    for row in rows(directory, JOB_ZONES):
        if row["Job Zone"].isdigit():
            db.job_zones.setdefault(soc_of(row[CODE]), {})[row[CODE]] = int(row["Job Zone"])
    for row in rows(directory, RELATED_OCCUPATIONS):
        soc, other = soc_of(row[CODE]), soc_of(row["Related O*NET-SOC Code"])
        tier = (
            RELATED_TIERS.index(row["Relatedness Tier"])
            if row["Relatedness Tier"] in RELATED_TIERS
            else len(RELATED_TIERS)
        )
        if soc != other:
            db.related.setdefault(soc, []).append((other, tier, int(row["Index"] or 0)))
    for row in rows(directory, TECHNOLOGY_SKILLS):
        db.technologies.setdefault(soc_of(row[CODE]), []).append(
            (row["Example"], row["Commodity Title"], row["In Demand"] == "Y")
        )
    for row in rows(directory, TOOLS_USED):
        db.tools.setdefault(soc_of(row[CODE]), []).append((row["Example"], row["Commodity Title"]))
    return db
