"""BLS OEWS (Occupational Employment and Wage Statistics): the packaged May 2025 release."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.sources.packaged import OEWS_SQLITE_GZ, data_file


def open_packaged_oews(workdir: Path) -> sqlite3.Connection:
    """Decompress the packaged OEWS SQLite database into `workdir` (the caller owns and removes
    it; 52 MB) and open it read-only."""
    src = data_file(*OEWS_SQLITE_GZ)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "oews.sqlite"
    if not target.exists():
        with gzip.open(src, "rb") as fin, open(target.with_suffix(".part"), "wb") as fout:
            shutil.copyfileobj(fin, fout)
        target.with_suffix(".part").rename(target)
    return sqlite3.connect(f"file:{target}?mode=ro", uri=True)


def soc_code(code6: str) -> str:
    """'151252' -> '15-1252'."""
    return f"{code6[:2]}-{code6[2:]}"


def detailed_occupations(conn: sqlite3.Connection) -> dict[str, str]:
    """The ~830 detailed SOC 2018 occupations OEWS publishes: code -> title."""
    rows = conn.execute("SELECT occupation_code, occupation_name FROM occupation WHERE display_level = 3 ORDER BY 1")
    return {soc_code(code): name for code, name in rows}


# --------------------------------------------------------------------------------------------
# The neutral structure both readers produce
# --------------------------------------------------------------------------------------------

CROSS_INDUSTRY = "000000"
ALL_OCCUPATIONS = "000000"
NATIONAL_AREA = "0000000"
# datatype code -> field of OewsData (see the `datatype` table / oe.datatype)
_DATATYPES = {"01": "employment", "13": "median_wage", "16": "per_1000", "17": "location_quotient"}
# footnote 5: "This wage is equal to or greater than $115.00 per hour or $239,200 per year."
_TOPCODED_FOOTNOTE = "5"


@dataclass(frozen=True)
class OewsArea:
    code: str  # 7 digits, "0023060"
    areatype: str  # N national, S state, M metropolitan or nonmetropolitan area
    state_fips: str  # "18"; "00" for the nation
    name: str  # "Fort Wayne, IN", "Northern Indiana nonmetropolitan area"
    total_employment: float | None  # SOC 000000, cross-industry

    @property
    def nonmetropolitan(self) -> bool:
        return self.areatype == "M" and "nonmetropolitan" in self.name.lower()


@dataclass
class OewsData:
    """Cross-industry OEWS estimates per area x detailed SOC occupation.

    Matrices are (len(areas), len(socs)) float64 with NaN where BLS publishes no number
    ('*', '**', '#', '-', empty). `wage_topcoded` marks medians BLS only bounds from below
    (>= $239,200 a year); their `median_wage` is NaN. The nation is one of the areas
    (areatype N); its location quotient is 1 by definition and its per-1,000 share is derived.
    """

    release: str
    areas: list[OewsArea]
    occupations: dict[str, str]  # detailed SOC "15-1252" -> title
    socs: list[str]  # column order, sorted
    employment: np.ndarray
    median_wage: np.ndarray
    wage_topcoded: np.ndarray
    per_1000: np.ndarray
    location_quotient: np.ndarray

    def area_index(self) -> dict[str, int]:
        return {a.code: i for i, a in enumerate(self.areas)}

    def national(self) -> dict[str, np.ndarray]:
        """National figures per SOC (column order of `socs`); NaN when the data has no national area."""
        i = self.area_index().get(NATIONAL_AREA)
        if i is None:
            nan, no = np.full(len(self.socs), np.nan), np.zeros(len(self.socs), dtype=bool)
            return {"employment": nan, "median_wage": nan, "wage_topcoded": no, "per_1000": nan}
        return {
            "employment": self.employment[i],
            "median_wage": self.median_wage[i],
            "wage_topcoded": self.wage_topcoded[i],
            "per_1000": self.per_1000[i],
        }

    def cell(self, area_code: str, soc: str) -> dict[str, float | bool | None]:
        """One area x SOC cell as plain numbers (None when not published)."""
        i, j = self.area_index()[area_code], self.socs.index(soc)

        def num(a: np.ndarray) -> float | None:
            v = float(a[i, j])
            return None if np.isnan(v) else v

        return {
            "employment": num(self.employment),
            "median_wage": num(self.median_wage),
            "wage_topcoded": bool(self.wage_topcoded[i, j]),
            "per_1000": num(self.per_1000),
            "location_quotient": num(self.location_quotient),
        }


def parse_value(raw: str | None) -> float | None:
    """A published OEWS number, or None for the markers BLS uses instead ('*', '#', '-', ...)."""
    if raw is None:
        return None
    try:
        value = float(raw)
        return value if np.isfinite(value) else None
    except ValueError:
        pass
    text = raw.strip().replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


class _Collector:
    """Accumulates (area, soc, datatype) values and assembles OewsData."""

    def __init__(self, release: str, areas: list[tuple[str, str, str, str]], occupations: dict[str, str]):
        self.release = release
        self.raw_areas = [a for a in areas if a[1] in ("N", "S", "M")]
        self.occupations = dict(sorted(occupations.items()))
        self.socs = list(self.occupations)
        self.area_pos = {a[0]: i for i, a in enumerate(self.raw_areas)}
        self.soc_pos = {s.replace("-", ""): j for j, s in enumerate(self.socs)}
        shape = (len(self.raw_areas), len(self.socs))
        self.values = {f: np.full(shape, np.nan) for f in _DATATYPES.values()}
        self.topcoded = np.zeros(shape, dtype=bool)
        self.totals: dict[str, float | None] = {}

    def add(self, area: str, soc6: str, datatype: str, raw: str | None, footnotes: str = "") -> None:
        field_name = _DATATYPES.get(datatype)
        if field_name is None or area not in self.area_pos:
            return
        value = parse_value(raw)
        if soc6 == ALL_OCCUPATIONS:
            if field_name == "employment":
                self.totals[area] = value
            return
        j = self.soc_pos.get(soc6)
        if j is None:
            return
        i = self.area_pos[area]
        if value is not None:
            self.values[field_name][i, j] = value
        elif field_name == "median_wage" and (
            (raw or "").strip() == "#" or _TOPCODED_FOOTNOTE in (footnotes or "").replace(",", " ").split()
        ):
            self.topcoded[i, j] = True

    def finish(self) -> OewsData:
        areas = [OewsArea(code, kind, state, name, self.totals.get(code)) for code, kind, state, name in self.raw_areas]
        data = OewsData(
            release=self.release,
            areas=areas,
            occupations=self.occupations,
            socs=self.socs,
            employment=self.values["employment"],
            median_wage=self.values["median_wage"],
            wage_topcoded=self.topcoded,
            per_1000=self.values["per_1000"],
            location_quotient=self.values["location_quotient"],
        )
        nat = data.area_index().get(NATIONAL_AREA)
        if nat is not None:
            data.location_quotient[nat] = np.where(np.isnan(data.employment[nat]), np.nan, 1.0)
            total = areas[nat].total_employment
            if total:
                missing = np.isnan(data.per_1000[nat])
                data.per_1000[nat][missing] = data.employment[nat][missing] / total * 1000.0
        return data


def read_packaged_oews(conn: sqlite3.Connection | None = None) -> OewsData:
    """The packaged May 2025 database as OewsData (cross-industry, detailed SOCs)."""
    if conn is None:
        with tempfile.TemporaryDirectory(prefix="oews-") as tmp:
            conn = open_packaged_oews(Path(tmp))
            try:
                return read_packaged_oews(conn)
            finally:
                conn.close()
    meta = dict(conn.execute("SELECT name, value FROM meta"))
    areas = conn.execute(
        "SELECT area_code, areatype_code, state_code, area_name FROM area ORDER BY areatype_code DESC, area_code"
    ).fetchall()
    collector = _Collector(meta.get("release", ""), areas, detailed_occupations(conn))
    rows = conn.execute("SELECT key, v01, v13, v16, v17, f13 FROM cell WHERE substr(key, 12, 6) = ?", (CROSS_INDUSTRY,))
    for key, v01, v13, v16, v17, f13 in rows:
        area, soc6 = key[4:11], key[17:23]
        collector.add(area, soc6, "01", v01)
        collector.add(area, soc6, "13", v13, f13 or "")
        collector.add(area, soc6, "16", v16)
        collector.add(area, soc6, "17", v17)
    return collector.finish()


# --------------------------------------------------------------------------------------------
# The official BLS flat files (download.bls.gov/pub/time.series/oe/)
# --------------------------------------------------------------------------------------------

OEWS_FLAT_FILES = ("oe.area", "oe.occupation", "oe.datatype", "oe.data.0.Current")


def _read_tsv(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a BLS time.series file: tab-separated, header row, fields padded with spaces."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        header = [h.strip() for h in fh.readline().rstrip("\r\n").split("\t")]
        for line in fh:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = [f.strip() for f in line.split("\t")]
            fields += [""] * (len(header) - len(fields))
            yield dict(zip(header, fields))


def parse_series_id(series_id: str) -> tuple[str, str, str, str, str]:
    """'OEUM001018000000000000001' -> (areatype, area, industry, occupation, datatype)."""
    s = series_id.strip()
    if len(s) != 25 or not s.startswith("OE"):
        raise ValueError(f"not an OEWS series id: {series_id!r}")
    return s[3], s[4:11], s[11:17], s[17:23], s[23:25]


def read_oews_dir(path: Path) -> OewsData:
    """Import the official OEWS flat files (oe.area, oe.occupation, oe.datatype, oe.data.0.Current).

    Only cross-industry series of detailed occupations (display_level 3) and the all-occupation
    totals are kept; when the data file holds several years, the latest annual value wins.
    """
    path = Path(path)
    missing = [name for name in OEWS_FLAT_FILES if not (path / name).exists()]
    if missing:
        raise FileNotFoundError(f"{path} lacks OEWS flat file(s): {', '.join(missing)}")
    areas = [
        (r["area_code"].zfill(7), r["areatype_code"], r["state_code"].zfill(2), r["area_name"])
        for r in _read_tsv(path / "oe.area")
    ]
    areas.sort(key=lambda a: ({"N": 0, "S": 1, "M": 2}.get(a[1], 3), a[0]))
    occupations = {
        soc_code(r["occupation_code"]): r["occupation_name"]
        for r in _read_tsv(path / "oe.occupation")
        if r.get("display_level", "").strip() == "3"
    }
    datatypes = {r["datatype_code"].zfill(2) for r in _read_tsv(path / "oe.datatype")}
    absent = sorted(set(_DATATYPES) - datatypes)
    if absent:
        raise ValueError(f"{path / 'oe.datatype'} lacks datatype(s) {absent}")

    latest: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    years: set[str] = set()
    for row in _read_tsv(path / "oe.data.0.Current"):
        try:
            _, area, industry, occupation, datatype = parse_series_id(row["series_id"])
        except ValueError:
            continue
        if industry != CROSS_INDUSTRY or datatype not in _DATATYPES:
            continue
        year = row.get("year", "")
        key = (area, occupation, datatype)
        if key not in latest or year >= latest[key][0]:
            latest[key] = (year, row.get("value", ""), row.get("footnote_codes", ""))
            years.add(year)
    release = f"May {max(years)}" if years else ""
    collector = _Collector(release, areas, occupations)
    for (area, occupation, datatype), (_, value, footnotes) in latest.items():
        collector.add(area, occupation, datatype, value, footnotes)
    return collector.finish()


def national_employment(conn: sqlite3.Connection) -> dict[str, float]:
    """Cross-industry national employment of each detailed SOC occupation (where published)."""
    out = {}
    prefix = f"OEUN{NATIONAL_AREA}{CROSS_INDUSTRY}"
    for key, v01 in conn.execute("SELECT key, v01 FROM cell WHERE substr(key, 1, 17) = ?", (prefix,)):
        value = parse_value(v01)
        if value is not None:
            out[soc_code(key[17:23])] = value
    return out
