"""Build the regions artifact: OEWS areas with statistics, world cities, the location index.

    python -m training.build_regions [--pack-dir DIR] [--oews-dir DIR] [--force]

The rules (kinds, points, locating US places) are documented in models/reference/regions.py.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.core.artifacts import build, sha256_file, write_json
from models.core.settings import load_settings
from models.reference.regions import (
    ARTIFACT_KIND,
    CORE_REACH_KM,
    GEONAMES_PREFIX,
    MATCH_ALTERNATE,
    MATCH_AREA,
    MATCH_CITY,
    MATCH_NICKNAME,
    MATCH_OTHER_PRINCIPAL,
    MATCH_PRINCIPAL,
    METRO_CORE_MIN_POPULATION,
    METRO_NICKNAMES,
    NONMETRO_ANCHORS,
    OEWS_PREFIX,
    KindRule,
    Placement,
    UsLocator,
    compass_target,
    fold,
    metro_reach_km,
)
from training.sources import geonames
from training.sources.geonames import City
from training.sources.oews import OEWS_FLAT_FILES, OewsData, read_oews_dir, read_packaged_oews
from training.sources.packaged import OEWS_SQLITE_GZ, input_fingerprint

FORMAT = 1  # bump when the build logic changes what the files hold
REPRESENTATIVE_MIN_RATIO = 1.5  # a nonmetro area's point lies at least this many reaches from every anchor
ALTERNATE_NAMES_MIN_POPULATION = 5_000  # US alternate names only help to match principal cities
_NAME_SUFFIXES = (" town", " county", " city")  # "Amherst Town", "Macon-Bibb County", "Boise City"
_LATIN = re.compile(r"^[\u0000-\u024f\u1e00-\u1eff\u2019]+$")  # other scripts are skipped before folding
_ALT_KEY = re.compile(r"^[a-z0-9 ]+$")

PlaceTable = dict[tuple[str, str], list[int]]  # (state, folded name) -> positions in the place list


@dataclass
class _Regions:
    """Columns of the region table, in catalogue order."""

    id: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    states: list[list[str]] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    population: list[float] = field(default_factory=list)
    jobs: list[float] = field(default_factory=list)

    def add(self, **values: Any) -> int:
        for key, value in values.items():
            getattr(self, key).append(value)
        return len(self.id) - 1


@dataclass
class _Metro:
    index: int  # region position
    principals: list[tuple[str, City]]  # (name as written in the area name, GeoNames place)


# -- GeoNames lookups ----------------------------------------------------------------------------


def _place_tables(places: list[City]) -> tuple[PlaceTable, PlaceTable]:
    """By primary name, and by alternate name (places of 5,000+ people only)."""
    primary: PlaceTable = {}
    alternate: PlaceTable = {}
    for i, p in enumerate(places):
        primary.setdefault((p.admin1, fold(p.name)), []).append(i)
        if p.population >= ALTERNATE_NAMES_MIN_POPULATION:
            for alt in p.alternate_names:
                if _LATIN.match(alt):
                    alternate.setdefault((p.admin1, fold(alt)), []).append(i)
    return primary, alternate


def _find_place(name: str, states: list[str], places: list[City], tables: tuple[PlaceTable, PlaceTable]) -> City | None:
    """The most populous place of that name in the listed states (primary names before alternates)."""
    variants = [name, name.split("/")[0]]
    variants += [name[: -len(s)] for s in _NAME_SUFFIXES if name.lower().endswith(s)]
    if name.lower().startswith("urban "):
        variants.append(name[6:])
    for table in tables:
        for variant in variants:
            hits = [i for state in states for i in table.get((state, fold(variant)), [])]
            if hits:
                return places[min(hits)]  # places are sorted by population, largest first
    return None


def _principal_cities(
    area_name: str, states: list[str], places: list[City], tables: tuple[PlaceTable, PlaceTable]
) -> list[tuple[str, City]]:
    """Cities named in a metro's name, matched greedily (longest hyphenated run first):
    'Winston-Salem, NC' is one city, 'Dallas-Fort Worth-Arlington, TX' three; '--' separates
    names that contain hyphens ('Scranton--Wilkes-Barre, PA')."""
    city_part = area_name.rsplit(", ", 1)[0]
    found = []
    for piece in city_part.split("--") if "--" in city_part else [city_part]:
        parts = piece.split("-")
        i = 0
        while i < len(parts):
            for j in range(len(parts), i, -1):
                name = "-".join(parts[i:j]).strip()
                place = _find_place(name, states, places, tables)
                if place is not None:
                    found.append((name, place))
                    i = j
                    break
            else:
                i += 1  # not a city GeoNames knows ("Bibb County"): skip the word
    return found


def _extents(places: list[City]) -> dict[str, list[float]]:
    """State -> [south, north, west, east] of its GeoNames places (longitudes east of 180 wrapped)."""
    out: dict[str, list[float]] = {}
    for p in places:
        lon = p.longitude - 360 if p.longitude > 0 else p.longitude
        box = out.setdefault(p.admin1, [p.latitude, p.latitude, lon, lon])
        box[0], box[1] = min(box[0], p.latitude), max(box[1], p.latitude)
        box[2], box[3] = min(box[2], lon), max(box[3], lon)
    return out


def _locate_all(locator: UsLocator, places: list[City]) -> list[Placement]:
    return locator.locate_many(
        [p.latitude for p in places],
        [p.longitude for p in places],
        [p.admin1 for p in places],
        [p.population for p in places],
    )


# -- the steps -----------------------------------------------------------------------------------


def _oews_regions(
    data: OewsData, rule: KindRule, states: dict[str, dict[str, str]], places: list[City], warnings: list[str]
) -> tuple[_Regions, list[int], list[_Metro], list[int]]:
    """OEWS metropolitan and nonmetropolitan areas, largest employment first, metro points set."""
    fips_to_usps = {s["fips"]: code for code, s in states.items()}
    rows = [i for i, a in enumerate(data.areas) if a.areatype == "M"]
    rows.sort(key=lambda i: (-(data.areas[i].total_employment or 0), data.areas[i].code))
    tables = _place_tables(places)
    extents = _extents(places)
    regions, metros, nonmetros = _Regions(), [], []
    for row in rows:
        area = data.areas[row]
        state = fips_to_usps.get(area.state_fips, area.state_fips)
        named = [s for s in area.name.rsplit(", ", 1)[-1].split("-") if s in states]
        pos = regions.add(
            id=OEWS_PREFIX + area.code,
            name=area.name,
            kind=rule.oews_kind(area.total_employment, area.nonmetropolitan),
            country="US",
            state=state,
            states=named if named and not area.nonmetropolitan else [state],
            source="oews",
            lat=np.nan,
            lon=np.nan,
            population=np.nan,
            jobs=np.nan if area.total_employment is None else area.total_employment,
        )
        if area.nonmetropolitan:
            nonmetros.append(pos)
            continue
        metro = _Metro(pos, _principal_cities(area.name, named or [state], places, tables))
        metros.append(metro)
        if metro.principals:
            regions.lat[pos], regions.lon[pos] = metro.principals[0][1].latitude, metro.principals[0][1].longitude
        else:
            south, north, west, east = extents[state]
            regions.lat[pos], regions.lon[pos] = (south + north) / 2, (west + east) / 2
            warnings.append(f"no GeoNames place for the principal city of {area.name}; using its state's centre")
    return regions, rows, metros, nonmetros


def _anchors(regions: _Regions, metros: list[_Metro], places: list[City], extents: dict) -> dict[str, list]:
    """Principal cities with their metro's reach, then every other 50,000+ place (15 km reach),
    given to the metro the principal cities alone put it in."""
    anchors: dict[str, list] = {"lat": [], "lon": [], "region": [], "reach_km": [], "label": []}

    def add(place: City, region: int, reach: float) -> None:
        label = f"{place.name}, {place.admin1}"
        for key, value in zip(anchors, (place.latitude, place.longitude, region, round(reach, 1), label)):
            anchors[key].append(value)

    for metro in metros:
        for _, place in metro.principals:
            add(place, metro.index, metro_reach_km(regions.jobs[metro.index]))
    principal_ids = {p.geonameid for m in metros for _, p in m.principals}
    cores = [p for p in places if p.population >= METRO_CORE_MIN_POPULATION and p.geonameid not in principal_ids]
    for place, placement in zip(cores, _locate_all(UsLocator(anchors, extents, {}), cores)):
        add(place, placement.region, CORE_REACH_KM)
    return anchors


def _targets(regions: _Regions, nonmetros: list[int], extents: dict) -> dict[str, list[list[float]]]:
    """Compass targets of the nonmetropolitan areas, per state, in the state's unit square."""
    targets: dict[str, list[list[float]]] = {}
    for pos in nonmetros:
        state = regions.state[pos]
        south, north, west, east = extents[state]
        anchor = NONMETRO_ANCHORS.get(regions.id[pos][len(OEWS_PREFIX) :])
        if anchor is not None:
            u, v = (anchor[1] - west) / (east - west), (anchor[0] - south) / (north - south)
        else:
            u, v = compass_target(regions.name[pos])
        targets.setdefault(state, []).append([pos, round(u, 4), round(v, 4)])
    return targets


def _place_nonmetros(
    regions: _Regions, nonmetros: list[int], places: list[City], placements: list[Placement],
    targets: dict, extents: dict, warnings: list[str],
) -> dict[str, str]:  # fmt: skip
    """Set each nonmetro area's point (rule in models/reference/regions.py); returns id -> description."""
    clear: dict[int, int] = {}
    largest: dict[int, int] = {}
    for k, p in enumerate(placements):  # places come most populous first
        if p.mode == "nonmetro":
            largest.setdefault(p.region, k)
            if p.ratio >= REPRESENTATIVE_MIN_RATIO:
                clear.setdefault(p.region, k)
    described = {}
    for pos in nonmetros:
        k = clear.get(pos, largest.get(pos))
        if k is None:
            state = regions.state[pos]
            south, north, west, east = extents[state]
            _, u, v = next(t for t in targets[state] if t[0] == pos)
            regions.lat[pos], regions.lon[pos] = south + v * (north - south), west + u * (east - west)
            warnings.append(f"no GeoNames place in {regions.name[pos]}; using its compass target")
            described[regions.id[pos]] = "compass target"
            continue
        if pos not in clear:
            warnings.append(f"no place in {regions.name[pos]} is {REPRESENTATIVE_MIN_RATIO} reaches clear of metros")
        place = places[k]
        regions.lat[pos], regions.lon[pos] = place.latitude, place.longitude
        described[regions.id[pos]] = f"{place.name}, {place.admin1} ({place.population:,} people)"
    return described


def _world_regions(regions: _Regions, world: list[City], rule: KindRule) -> None:
    for city in world:
        regions.add(
            id=f"{GEONAMES_PREFIX}{city.geonameid}",
            name=city.name,
            kind=rule.city_kind(city.population),
            country=city.country,
            state=city.admin1,
            states=[],
            source="geonames",
            lat=city.latitude,
            lon=city.longitude,
            population=float(city.population),
            jobs=np.nan,
        )


def _name_index(
    regions: _Regions, n_stat: int, metros: list[_Metro], world: list[City], places: list[City], reserved: set[str]
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Sorted folded keys, and per key the (region, match kind) entries and US place entries.
    Short forms of area names that are `reserved` (state names: "Arizona nonmetropolitan area")
    are not keys, so that a state name lists the state's largest areas."""
    names: dict[str, dict[int, int]] = {}

    def index(key: str, region: int, match: int) -> None:
        if key:
            entries = names.setdefault(key, {})
            entries[region] = min(entries.get(region, match), match)

    for pos in range(n_stat):
        name = regions.name[pos]
        index(fold(name), pos, MATCH_AREA)
        without_kind = name.replace(" nonmetropolitan area", "").replace("(noncontiguous)", "")
        for short in (without_kind, name.rsplit(", ", 1)[0]):
            if fold(short) not in reserved:
                index(fold(short), pos, MATCH_AREA)
        for nickname in METRO_NICKNAMES.get(regions.id[pos][len(OEWS_PREFIX) :], ()):
            index(fold(nickname), pos, MATCH_NICKNAME)
    for metro in metros:
        for rank, (named, place) in enumerate(metro.principals):
            match = MATCH_PRINCIPAL if rank == 0 else MATCH_OTHER_PRINCIPAL
            index(fold(named), metro.index, match)
            index(fold(place.name), metro.index, match)
    for pos, city in enumerate(world, start=n_stat):
        index(fold(city.name), pos, MATCH_CITY)
        for alt in city.alternate_names:
            if _LATIN.match(alt):
                key = fold(alt)
                if len(key) >= 2 and _ALT_KEY.match(key):
                    index(key, pos, MATCH_ALTERNATE)
    place_names: dict[str, list[int]] = {}
    for k, place in enumerate(places):
        place_names.setdefault(fold(place.name), []).append(k)

    keys = sorted(set(names) | set(place_names))
    region_entries = [sorted(names.get(key, {}).items()) for key in keys]
    place_entries = [place_names.get(key, []) for key in keys]
    return keys, {
        "region_start": np.cumsum([0] + [len(e) for e in region_entries]).astype(np.int32),
        "region_index": np.array([r for e in region_entries for r, _ in e], dtype=np.int32),
        "region_match": np.array([m for e in region_entries for _, m in e], dtype=np.int8),
        "place_start": np.cumsum([0] + [len(e) for e in place_entries]).astype(np.int32),
        "place_index": np.array([k for e in place_entries for k in e], dtype=np.int32),
    }


def _stats(data: OewsData, rows: list[int]) -> dict[str, np.ndarray]:
    national = data.national()
    return {
        "socs": np.array(data.socs),
        "employment": data.employment[rows],
        "median_wage": data.median_wage[rows].astype(np.float32),
        "wage_topcoded": data.wage_topcoded[rows],
        "per_1000": data.per_1000[rows].astype(np.float32),
        "location_quotient": data.location_quotient[rows].astype(np.float32),
        "national_employment": national["employment"],
        "national_median_wage": national["median_wage"],
        "national_wage_topcoded": national["wage_topcoded"],
        "national_per_1000": national["per_1000"],
    }


def write_regions(
    directory: Path, data: OewsData, world: list[City], places: list[City],
    states: dict[str, dict[str, str]], countries: dict[str, dict[str, str]], rule: KindRule,
) -> dict[str, Any]:  # fmt: skip
    """Write the artifact files into `directory`; returns the manifest's extra fields."""
    warnings: list[str] = []
    regions, rows, metros, nonmetros = _oews_regions(data, rule, states, places, warnings)
    n_stat = len(rows)
    extents = _extents(places)
    anchors = _anchors(regions, metros, places, extents)
    targets = _targets(regions, nonmetros, extents)
    placements = _locate_all(UsLocator(anchors, extents, targets), places)
    nonmetro_points = _place_nonmetros(regions, nonmetros, places, placements, targets, extents, warnings)
    _world_regions(regions, world, rule)
    reserved = {fold(s["name"]) for s in states.values()} | {fold(code) for code in states}
    keys, name_arrays = _name_index(regions, n_stat, metros, world, places, reserved)

    write_json(directory / "regions.json", {
        "release": data.release,
        "kind_rule": {"large_metro_min_jobs": rule.large_metro_min_jobs, "micro_hub_max_jobs": rule.micro_hub_max_jobs},
        "columns": {
            "id": regions.id, "name": regions.name, "folded": [fold(n) for n in regions.name], "kind": regions.kind,
            "country": regions.country, "state": regions.state, "source": regions.source,
        },
        "states": {str(i): st for i, st in enumerate(regions.states) if len(st) > 1},
    })  # fmt: skip
    np.savez(
        directory / "regions.npz",
        lat=np.array(regions.lat, dtype=float),
        lon=np.array(regions.lon, dtype=float),
        population=np.array(regions.population, dtype=float),
        total_employment=np.array(regions.jobs, dtype=float),
    )
    np.savez(directory / "stats.npz", **_stats(data, rows))
    write_json(directory / "names.json", keys)
    np.savez(directory / "names.npz", **name_arrays)
    write_json(directory / "places.json", {
        "name": [p.name for p in places], "state": [p.admin1 for p in places],
        "mode": [pl.mode for pl in placements], "anchor": [pl.anchor for pl in placements],
    })  # fmt: skip
    np.savez(
        directory / "places.npz",
        region=np.array([pl.region for pl in placements], dtype=np.int32),
        distance_km=np.array([round(pl.distance_km, 1) for pl in placements], dtype=np.float32),
        reach_km=np.array([round(pl.reach_km, 1) for pl in placements], dtype=np.float32),
        population=np.array([p.population for p in places], dtype=np.int64),
        lat=np.array([p.latitude for p in places], dtype=float),
        lon=np.array([p.longitude for p in places], dtype=float),
    )
    write_json(directory / "geo.json", {
        "occupations": data.occupations,
        "states": {code: {"name": s["name"], "fips": s["fips"]} for code, s in sorted(states.items())},
        "countries": {iso: {"name": c["name"], "iso3": c["iso3"]} for iso, c in sorted(countries.items())},
        "anchors": anchors,
        "extents": extents,
        "targets": targets,
    })  # fmt: skip
    counts = Counter(zip(regions.source, regions.kind))
    return {
        "release": data.release,
        "counts": {f"{source}/{kind}": n for (source, kind), n in sorted(counts.items())},
        "regions": len(regions.id),
        "socs": len(data.socs),
        "us_places": len(places),
        "nonmetro_points": nonmetro_points,
        "warnings": warnings,
    }


def oews_inputs(oews_dir: Path | None) -> dict[str, str]:
    if oews_dir is None:
        return {"oews": input_fingerprint(*OEWS_SQLITE_GZ)}
    return {f"oews/{name}": "sha256:" + sha256_file(Path(oews_dir) / name)[:16] for name in OEWS_FLAT_FILES}


def build_regions(
    pack_dir: Path, settings: Any = None, oews_dir: Path | None = None, force: bool = False
) -> tuple[dict[str, Any], bool]:
    """Build `pack_dir/regions` (packaged OEWS, or the flat files in `oews_dir`) unless it is
    current. Returns (manifest, built_now)."""
    settings = settings or load_settings()
    rule = KindRule.from_settings(settings)
    min_population = int(settings.world_city_min_population)
    inputs = {
        "format": str(FORMAT),
        **oews_inputs(oews_dir),
        **geonames.fingerprints(min_population),
        "large_metro_min_jobs": str(rule.large_metro_min_jobs),
        "micro_hub_max_jobs": str(rule.micro_hub_max_jobs),
        "world_city_min_population": str(min_population),
    }

    def write(tmp: Path) -> dict[str, Any]:
        data = read_oews_dir(Path(oews_dir)) if oews_dir is not None else read_packaged_oews()
        return write_regions(
            tmp,
            data,
            geonames.world_cities(min_population),
            geonames.us_places(),
            geonames.us_states(),
            geonames.countries(),
            rule,
        )

    return build(Path(pack_dir) / "regions", ARTIFACT_KIND, inputs, write, force=force)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack-dir", type=Path, default=None, help="default: <data_dir>/pack")
    parser.add_argument("--oews-dir", type=Path, default=None, help="official OEWS flat files (oe.*) to use")
    parser.add_argument("--force", action="store_true", help="rebuild even when the artifact is current")
    args = parser.parse_args(argv)
    settings = load_settings()
    started = time.time()
    manifest, built = build_regions(args.pack_dir or settings.pack_path, settings, args.oews_dir, args.force)
    state = f"built in {time.time() - started:.1f}s" if built else "up to date"
    print(f"regions {state}: {manifest['regions']} regions, {manifest['counts']}")
    for warning in manifest.get("warnings", []):
        print("warning:", warning)


if __name__ == "__main__":
    main()
