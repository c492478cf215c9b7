"""Region catalogue: US labour-market areas (BLS OEWS) and world cities (GeoNames).

Regions
-------
* ``oews-<7-digit area code>``: the ~390 OEWS metropolitan areas and 135 nonmetropolitan
  areas, with cross-industry statistics per detailed SOC occupation. Country "US" (Puerto
  Rico's areas too: they are US statistical areas), state = USPS code of the first state in
  the area's name.
* ``gn-<geonameid>``: GeoNames cities of at least ``world_city_min_population`` people
  outside the US and Puerto Rico (whose places resolve to OEWS areas instead). State =
  GeoNames admin1 code. They carry no labour statistics.

Catalogue order (``list``): OEWS areas by total employment, then world cities by population.

Kinds (thresholds are the settings ``large_metro_min_jobs`` and ``micro_hub_max_jobs``)
---------------------------------------------------------------------------------------
* OEWS nonmetropolitan area -> ``micro_hub``, whatever its size.
* OEWS metropolitan area: total employment >= large_metro_min_jobs -> ``large_metro``;
  < micro_hub_max_jobs -> ``micro_hub``; otherwise ``metro``.
* World city: the same two numbers applied to the city's population -> same three kinds.
  GeoNames counts people in the city proper; a US metro's jobs are roughly 45% of its
  metropolitan population, and a city proper is typically 40-50% of its metropolitan
  population, so city population and metro jobs are about the same scale. A city of 1M
  people is a large metro, one under 150k a micro hub (with the defaults).

Points
------
* Metro: the GeoNames coordinates of its principal city, the first city named in the area
  name, looked up among the US places (GeoNames, 1,000+ people) of the states named: the
  most populous place of that name, primary names before alternate names, with "Town",
  "County", "City" and "Urban" dropped when nothing else matches ("Dallas-Fort
  Worth-Arlington, TX" -> Dallas, TX; "Urban Honolulu" -> Honolulu; "Boise City" -> Boise).
* Nonmetropolitan area: the most populous GeoNames place (1,000+ people) that the locator
  below puts in that area and that lies at least 1.5 reaches from every anchor (clear of
  metro fringes, which a distance rule cannot tell from nonmetro towns); failing that, the
  most populous place put in the area; failing that, the area's compass target (below).

Locating a US place (``UsLocator``)
----------------------------------
BLS defines areas by counties, which GeoNames does not give; the locator approximates:
1. Metro reach: each principal city named in a metro's name reaches
   ``20 + 8 * sqrt(jobs / 100,000)`` km (29 km for 130k jobs, 74 km for 4.5M); every place of
   50,000+ people also reaches 15 km and belongs to the metro it is located in. A place
   within reach of an anchor (smallest distance/reach ratio) lies in that anchor's metro.
2. A place of 50,000+ people beyond every reach still lies in the metro with the smallest
   distance/reach ratio: OMB makes every urban area of 50,000+ the core of a metro.
3. Otherwise the place lies in a nonmetropolitan area of its state: the one whose compass
   target is nearest in the state's extent normalised to a unit square (bounding box of the
   state's GeoNames places). Targets come from the area name: north/northern/upper -> 0.8 of
   the way north, south/southern/lower/southside -> 0.2, east/eastern -> 0.8 of the way east,
   west/western -> 0.2, northeast etc. both, central/middle/mid and unnamed axes -> 0.5.
   Names without compass words (North Coast of California, Upper Peninsula of Michigan,
   Hill Country of Texas, ...) get hand-placed coordinates (``NONMETRO_ANCHORS``).
4. A state without nonmetropolitan areas (NJ, RI, DC): the metro with the smallest ratio.

Resolution (``RegionCatalog.resolve``)
-------------------------------------
The folded text (accents, case, punctuation and St/Ft/Mt abbreviations normalised) is
matched against area names, principal cities, a few metro nicknames (``METRO_NICKNAMES``),
world-city names and their Latin-script GeoNames alternate names, then US places, which
resolve through the locator (with the reason). ", <state or country>" qualifiers (name, USPS
code, ISO2/ISO3) filter; a bare state or country name lists its largest regions; with no
exact match, name prefixes, then close spellings (difflib, ratio >= 0.8) are tried.
Scores are in (0, 1]: the match kind's base score (area name 1.0, principal city 0.98, world
city 0.97, state listing 0.97 - 0.01 x rank, nickname 0.96, other principal city 0.95,
country listing 0.95 - 0.01 x rank, alternate name 0.9, US place 0.75-0.85 by locator rule,
prefix <= 0.7, close spelling <= 0.6) times 0.9 + 0.1 x a size factor (log10 of population,
or of twice the jobs, over 7.5), so the larger of two equal matches ranks first.

Data notes: GeoNames "cities" include city districts (Antakalnis in Vilnius) and the
alternate names hold oddities ("Indiana" for a Brazilian town), so a state or country name
never matches through an alternate name.
"""

from __future__ import annotations

import bisect
import builtins
import difflib
import math
import re
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.core.artifacts import read_json, verify
from models.core.geo import central_km, haversine_km

ARTIFACT_KIND = "regions"
REGION_KINDS = ("large_metro", "metro", "micro_hub")
OEWS_PREFIX = "oews-"
GEONAMES_PREFIX = "gn-"

METRO_CORE_MIN_POPULATION = 50_000  # OMB: an urban area of 50,000+ anchors a metropolitan area
CORE_REACH_KM = 15.0
REACH_BASE_KM = 20.0
REACH_PER_SQRT_100K_JOBS_KM = 8.0

# Hand-placed (lat, lon) targets for nonmetropolitan areas whose names carry no usable compass word.
NONMETRO_ANCHORS: dict[str, tuple[float, float]] = {
    "0600003": (40.6, -123.8),  # North Coast Region of California: Humboldt, Mendocino, Del Norte, Lake
    "0600006": (37.9, -119.6),  # Eastern Sierra-Mother Lode Region of California: Tuolumne, Mono, Inyo
    "0600007": (41.0, -121.6),  # North Valley-Northern Mountains Region of California: Siskiyou, Lassen
    "0800001": (38.6, -103.8),  # Eastern and Southern Colorado: plains and San Luis Valley
    "2600001": (46.4, -87.5),  # Upper Peninsula of Michigan
    "2600002": (44.9, -84.6),  # Northern Michigan: north of the lower peninsula
    "2600003": (43.6, -84.8),  # Mid Michigan
    "2600004": (42.0, -85.0),  # Southern Michigan
    "2800005": (33.6, -90.6),  # West Delta Mississippi
    "3600006": (42.4, -74.9),  # Central East New York
    "4100006": (44.5, -123.9),  # Coast Oregon
    "4800001": (34.5, -101.5),  # Northwestern Region of Texas: Panhandle, South Plains
    "4800002": (33.6, -97.5),  # North Region of Texas
    "4800003": (31.8, -94.6),  # Eastern Region of Texas
    "4800004": (30.3, -99.3),  # Hill Country Region of Texas
    "4800005": (29.3, -101.0),  # Border Region of Texas
    "4800006": (28.9, -96.8),  # Coastal Plains Region of Texas
    "4900010": (40.0, -111.6),  # Wasatch Front Fringe Utah
    "4900011": (38.8, -111.0),  # High Desert Utah
    "5100002": (36.8, -78.4),  # Southside Virginia
    "5100004": (38.7, -78.6),  # Northwest Virginia: Shenandoah Valley (the bounding box's corner is West Virginia)
}

_COMPASS: dict[str, tuple[float | None, float | None]] = {  # word -> (u east share, v north share)
    "north": (None, 0.8), "northern": (None, 0.8), "upper": (None, 0.8),
    "south": (None, 0.2), "southern": (None, 0.2), "lower": (None, 0.2), "southside": (None, 0.2),
    "east": (0.8, None), "eastern": (0.8, None),
    "west": (0.2, None), "western": (0.2, None),
    "northeast": (0.8, 0.8), "northeastern": (0.8, 0.8), "northwest": (0.2, 0.8), "northwestern": (0.2, 0.8),
    "southeast": (0.8, 0.2), "southeastern": (0.8, 0.2), "southwest": (0.2, 0.2), "southwestern": (0.2, 0.2),
}  # fmt: skip

# Common names of metros that none of their cities carries (OEWS area code -> names).
METRO_NICKNAMES: dict[str, tuple[str, ...]] = {
    "0041860": ("San Francisco Bay Area", "Bay Area", "SF"),
    "0041940": ("Silicon Valley",),
    "0035620": ("NYC", "New York City"),
    "0033460": ("Twin Cities",),
    "0019100": ("DFW", "Dallas-Fort Worth"),
    "0039580": ("Research Triangle", "Triangle"),
    "0040140": ("Inland Empire",),
    "0047260": ("Hampton Roads",),
    "0037980": ("Philly",),
    "0035380": ("NOLA",),
    "0019340": ("Quad Cities",),
}

# match kinds of the name index, with their base scores
MATCH_AREA, MATCH_PRINCIPAL, MATCH_OTHER_PRINCIPAL, MATCH_CITY, MATCH_ALTERNATE, MATCH_NICKNAME = range(6)
_MATCH_BASE = {
    MATCH_AREA: 1.0, MATCH_PRINCIPAL: 0.98, MATCH_OTHER_PRINCIPAL: 0.95, MATCH_CITY: 0.97, MATCH_ALTERNATE: 0.9,
    MATCH_NICKNAME: 0.96,
}  # fmt: skip
_PLACE_BASE = {"metro": 0.85, "nonmetro": 0.82, "nearest_metro": 0.75}
_STATE_LIST_BASE, _COUNTRY_LIST_BASE, _PREFIX_BASE, _FUZZY_BASE = 0.97, 0.95, 0.7, 0.6

COUNTRY_ALIASES = {
    "usa": "US", "united states of america": "US", "america": "US", "uk": "GB", "great britain": "GB",
    "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "viet nam": "VN", "korea": "KR", "republic of korea": "KR", "czech republic": "CZ", "holland": "NL",
    "the netherlands": "NL", "russian federation": "RU", "uae": "AE", "ivory coast": "CI", "burma": "MM",
    "turkiye": "TR", "macedonia": "MK", "swaziland": "SZ", "cape verde": "CV", "east timor": "TL",
}  # fmt: skip

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_NON_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = re.compile("['\u2019\u02bc`]")


# ----------------------------------------------------------------------------------------------
# Plain helpers
# ----------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Comparable form of a place name: 'St. Cloud, MN' -> 'saint cloud mn', 'Đà Nẵng' -> 'da nang'."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    tokens = _NON_WORD.sub(" ", _APOSTROPHES.sub("", text.lower())).split()
    return " ".join([_ABBREVIATIONS.get(t, t) for t in tokens])


def metro_reach_km(total_jobs: float | None) -> float:
    return REACH_BASE_KM + REACH_PER_SQRT_100K_JOBS_KM * math.sqrt(max(total_jobs or 0.0, 0.0) / 100_000)


def compass_target(area_name: str) -> tuple[float, float]:
    """(u, v) in the state's unit square (u east, v north) named by a nonmetropolitan area."""
    us: list[float] = []
    vs: list[float] = []
    for word in re.split(r"[^a-z]+", area_name.lower()):
        u, v = _COMPASS.get(word, (None, None))
        if u is not None:
            us.append(u)
        if v is not None:
            vs.append(v)
    return (sum(us) / len(us) if us else 0.5, sum(vs) / len(vs) if vs else 0.5)


@dataclass(frozen=True)
class KindRule:
    large_metro_min_jobs: int = 1_000_000
    micro_hub_max_jobs: int = 150_000

    @classmethod
    def from_settings(cls, settings: Any) -> KindRule:
        return cls(int(settings.large_metro_min_jobs), int(settings.micro_hub_max_jobs))

    def oews_kind(self, total_employment: float | None, nonmetropolitan: bool) -> str:
        if nonmetropolitan:
            return "micro_hub"
        return self._by_size(total_employment)

    def city_kind(self, population: float | None) -> str:
        return self._by_size(population)

    def _by_size(self, size: float | None) -> str:
        if size is None or size < self.micro_hub_max_jobs:
            return "micro_hub"
        return "large_metro" if size >= self.large_metro_min_jobs else "metro"


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    kind: str
    country: str  # ISO2
    state: str  # USPS code (US) or GeoNames admin1 code
    lat: float
    lon: float
    population: int | None
    total_employment: int | None
    source: str  # "oews" or "geonames"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Placement:
    """Where the locator puts a US point: region index, rule used, nearest anchor."""

    region: int
    mode: str  # "metro", "nonmetro" or "nearest_metro"
    anchor: str
    distance_km: float
    reach_km: float
    ratio: float = 0.0  # smallest distance/reach over all anchors (<= 1: within a metro's reach)


class UsLocator:
    """Puts a US point into an OEWS area (rules in the module docstring)."""

    def __init__(
        self,
        anchors: dict[str, list],
        extents: dict[str, list[float]],
        targets: dict[str, list[list[float]]],
    ):
        self.lat = np.asarray(anchors["lat"], dtype=float)
        self.lon = np.asarray(anchors["lon"], dtype=float)
        self.region = np.asarray(anchors["region"], dtype=np.int64)
        self.reach = np.asarray(anchors["reach_km"], dtype=float)
        self.label = list(anchors["label"])
        self.extents = extents  # state -> [south, north, west, east]
        self.targets = targets  # state -> [[region, u, v], ...]

    def locate(self, lat: float, lon: float, state: str | None, population: int = 0) -> Placement:
        return self.locate_many([lat], [lon], [state], [population])[0]

    def locate_many(
        self, lats: Any, lons: Any, states: list[str | None], populations: Any, chunk: int = 512
    ) -> list[Placement]:
        """`locate` for many points at once (distance matrices in chunks)."""
        lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
        populations = np.asarray(populations, dtype=float)
        out: list[Placement] = []
        for start in range(0, len(lats), chunk):
            stop = start + chunk
            d = haversine_km(lats[start:stop, None], lons[start:stop, None], self.lat[None, :], self.lon[None, :])
            ratio = d / self.reach[None, :]
            best = np.argmin(ratio, axis=1)
            closest = np.argmin(d, axis=1)
            for row, (j, k) in enumerate(zip(best.tolist(), closest.tolist())):
                n = start + row
                r = float(ratio[row, j])
                mode = "metro" if r <= 1.0 else "nearest_metro"
                state = states[n]
                if (
                    mode == "metro"
                    or populations[n] >= METRO_CORE_MIN_POPULATION
                    or state is None
                    or state not in self.targets
                ):
                    out.append(
                        Placement(int(self.region[j]), mode, self.label[j], float(d[row, j]), float(self.reach[j]), r)
                    )
                    continue
                south, north, west, east = self.extents[state]
                u = (lons[n] - west) / max(east - west, 1e-9)
                v = (lats[n] - south) / max(north - south, 1e-9)
                nearest, _, _ = min(self.targets[state], key=lambda t: (t[1] - u) ** 2 + (t[2] - v) ** 2)
                out.append(
                    Placement(int(nearest), "nonmetro", self.label[k], float(d[row, k]), float(self.reach[k]), r)
                )
        return out


# ----------------------------------------------------------------------------------------------
# The catalogue
# ----------------------------------------------------------------------------------------------


def _num(value: Any, digits: int | None = None) -> float | None:
    v = float(value)
    if math.isnan(v):
        return None
    return round(v, digits) if digits is not None else v


class RegionCatalog:
    """Regions, their OEWS statistics and location resolution, loaded from a built artifact.

    Regions 0..n_stat-1 are the OEWS areas (rows of the statistics matrices), largest
    employment first; world cities follow, most populous first. Lookups go through dicts and
    NumPy arrays built once at load time.
    """

    def __init__(self, directory: Path, manifest: dict[str, Any]):
        directory = Path(directory)
        self.manifest = manifest
        meta = read_json(directory / "regions.json")
        cols = meta["columns"]
        self.release: str = meta.get("release", "")
        self.rule = KindRule(**meta["kind_rule"])
        self._ids: builtins.list[str] = cols["id"]
        self._names: builtins.list[str] = cols["name"]
        self._folded_names: builtins.list[str] = cols["folded"]
        self._kinds: builtins.list[str] = cols["kind"]
        self._countries: builtins.list[str] = cols["country"]
        self._states: builtins.list[str] = cols["state"]
        self._sources: builtins.list[str] = cols["source"]
        self._multi_states = {int(i): st for i, st in meta.get("states", {}).items()}
        self._kind_arr = np.array(self._kinds)
        self._country_arr = np.array(self._countries)
        self._state_arr = np.array(self._states)
        self._source_arr = np.array(self._sources)
        self._index = dict(zip(self._ids, range(len(self._ids))))
        self._cache: builtins.list[Region | None] = [None] * len(self._ids)

        with np.load(directory / "regions.npz", allow_pickle=False) as npz:
            self._lat = npz["lat"]
            self._lon = npz["lon"]
            self._population = npz["population"]
            self._jobs = npz["total_employment"]
        size = np.where(np.isnan(self._population), 2 * np.nan_to_num(self._jobs), np.nan_to_num(self._population))
        self._size_factor = np.clip(np.log10(np.maximum(size, 1.0)) / 7.5, 0.0, 1.0)
        self._lat_rad, self._lon_rad = np.radians(self._lat), np.radians(self._lon)

        with np.load(directory / "stats.npz", allow_pickle=False) as npz:
            self._stats = {name: npz[name] for name in npz.files}
        self.socs: builtins.list[str] = [str(s) for s in self._stats.pop("socs")]
        self._soc_index = {s: j for j, s in enumerate(self.socs)}
        self.n_stat = int(self._stats["employment"].shape[0])

        self._keys: builtins.list[str] = read_json(directory / "names.json")  # sorted
        self._key_pos = dict(zip(self._keys, range(len(self._keys))))
        with np.load(directory / "names.npz", allow_pickle=False) as npz:
            self._name_arrays = {name: npz[name] for name in npz.files}
        self._fuzzy_buckets: dict[str, builtins.list[str]] | None = None

        self._places: dict[str, list] = read_json(directory / "places.json")  # name, state, mode, anchor
        with np.load(directory / "places.npz", allow_pickle=False) as npz:
            self._place_arrays = {name: npz[name] for name in npz.files}

        geo = read_json(directory / "geo.json")
        self.occupations: dict[str, str] = geo["occupations"]
        self.us_states: dict[str, dict[str, Any]] = geo["states"]
        self.countries: dict[str, dict[str, str]] = geo["countries"]
        self.locator = UsLocator(geo["anchors"], geo["extents"], geo["targets"])
        self._state_keys: dict[str, str] = {}
        for code, info in self.us_states.items():
            self._state_keys[fold(code)] = code
            self._state_keys[fold(info["name"])] = code
        self._country_keys: dict[str, str] = {fold(k): v for k, v in COUNTRY_ALIASES.items()}
        for iso, info in self.countries.items():
            self._country_keys.setdefault(fold(info["name"]), iso)
            self._country_keys.setdefault(fold(iso), iso)
            if info.get("iso3"):
                self._country_keys.setdefault(fold(info["iso3"]), iso)

    @classmethod
    def load(cls, directory: Path) -> RegionCatalog:
        """Load a regions artifact after checking its manifest and checksums."""
        manifest = verify(Path(directory), ARTIFACT_KIND)
        return cls(Path(directory), manifest)

    # -- regions -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, region_id: object) -> bool:
        return region_id in self._index

    def _region(self, i: int) -> Region:
        region = self._cache[i]
        if region is None:
            pop, jobs = self._population[i], self._jobs[i]
            region = Region(
                id=self._ids[i],
                name=self._names[i],
                kind=self._kinds[i],
                country=self._countries[i],
                state=self._states[i],
                lat=float(self._lat[i]),
                lon=float(self._lon[i]),
                population=None if np.isnan(pop) else int(pop),
                total_employment=None if np.isnan(jobs) else int(jobs),
                source=self._sources[i],
            )
            self._cache[i] = region
        return region

    def _position(self, region_id: str) -> int:
        try:
            return self._index[region_id]
        except KeyError:
            raise KeyError(f"unknown region {region_id!r}") from None

    def get(self, region_id: str) -> Region | None:
        i = self._index.get(region_id)
        return None if i is None else self._region(i)

    def states_of(self, region_id: str) -> builtins.list[str]:
        """Every state an OEWS area spans ("Chicago-Naperville-Elgin, IL-IN" -> IL, IN)."""
        i = self._position(region_id)
        return list(self._multi_states.get(i, [self._states[i]]))

    def _mask(self, kind: str | None, country: str | None, state: str | None, source: str | None = None) -> np.ndarray:
        if kind is not None and kind not in REGION_KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(REGION_KINDS)}")
        mask = np.ones(len(self._ids), dtype=bool)
        if kind is not None:
            mask &= self._kind_arr == kind
        if country is not None:
            mask &= self._country_arr == country.upper()
        if source is not None:
            mask &= self._source_arr == source
        if state is not None:
            code = state.upper()
            in_state = self._state_arr == code
            for i, states in self._multi_states.items():
                if code in states:
                    in_state[i] = True
            mask &= in_state
        return mask

    def _filtered(self, kind: str | None, country: str | None, state: str | None, q: str | None) -> builtins.list[int]:
        positions = np.flatnonzero(self._mask(kind, country, state)).tolist()
        if q:
            needle = fold(q)
            positions = [i for i in positions if needle in self._folded_names[i]]
        return positions

    def list(
        self,
        kind: str | None = None,
        country: str | None = None,
        state: str | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, builtins.list[Region]]:
        """(how many regions match every filter, one page of them) in catalogue order.
        q: substring of the folded name; state: USPS code or admin1 code (areas spanning
        several states are listed under each)."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        positions = self._filtered(kind, country, state, q)
        return len(positions), [self._region(i) for i in positions[offset : offset + limit]]

    def count(
        self, kind: str | None = None, country: str | None = None, state: str | None = None, q: str | None = None
    ) -> int:
        return len(self._filtered(kind, country, state, q))

    def counts_by_kind(self, source: str | None = None) -> dict[str, int]:
        kinds = self._kind_arr if source is None else self._kind_arr[self._source_arr == source]
        return {k: int((kinds == k).sum()) for k in REGION_KINDS}

    # -- geometry ----------------------------------------------------------------------------

    def _point(self, x: Region | str | tuple[float, float]) -> tuple[float, float]:
        if isinstance(x, Region):
            return x.lat, x.lon
        if isinstance(x, str):
            i = self._position(x)
            return float(self._lat[i]), float(self._lon[i])
        lat, lon = x
        return float(lat), float(lon)

    def distance_km(self, a: Region | str | tuple[float, float], b: Region | str | tuple[float, float]) -> float:
        """Great-circle distance between regions (objects or ids) or (lat, lon) points."""
        (la, oa), (lb, ob) = self._point(a), self._point(b)
        return float(haversine_km(la, oa, lb, ob))

    def nearest(
        self, lat: float, lon: float, k: int = 5, kind: str | None = None, source: str | None = None
    ) -> builtins.list[tuple[Region, float]]:
        """The k regions nearest to a point (optionally of one kind or source), with distances in km."""
        p, l0 = math.radians(lat), math.radians(lon)
        dlat, dlon = np.sin((self._lat_rad - p) / 2), np.sin((self._lon_rad - l0) / 2)
        d = central_km(dlat, dlon, math.cos(p) * np.cos(self._lat_rad))
        if kind is not None or source is not None:
            d = np.where(self._mask(kind, None, None, source), d, np.inf)
        k = max(0, min(k, int(np.isfinite(d).sum())))
        if k == 0:
            return []
        top = np.argpartition(d, k - 1)[:k]
        top = top[np.argsort(d[top], kind="stable")]
        return [(self._region(int(i)), float(d[i])) for i in top]

    def locate(self, lat: float, lon: float, state: str | None = None) -> tuple[Region, str]:
        """The OEWS area holding a US point, with the reason (state: USPS code; when missing, the
        state of the nearest US place). Points over 100 km from any US place get the nearest region."""
        if state is None:
            pa = self._place_arrays
            d = haversine_km(lat, lon, pa["lat"], pa["lon"])
            j = int(np.argmin(d))
            if d[j] > 100:
                region, km = self.nearest(lat, lon, 1)[0]
                return region, f"nearest region, {km:.0f} km away"
            state = self._places["state"][j]
        placement = self.locator.locate(lat, lon, state)
        region = self._region(placement.region)
        return region, self._placement_reason(f"({lat:.4f}, {lon:.4f})", state, placement, region)

    # -- statistics --------------------------------------------------------------------------

    def has_soc(self, soc: str) -> bool:
        """True when OEWS publishes statistics for this SOC code."""
        return soc in self._soc_index

    def _soc(self, soc: str) -> int:
        code = soc.strip()
        if re.fullmatch(r"\d{6}", code):
            code = f"{code[:2]}-{code[2:]}"
        try:
            return self._soc_index[code]
        except KeyError:
            raise KeyError(f"unknown SOC occupation {soc!r}") from None

    def _record(self, i: int, j: int) -> dict[str, Any]:
        s = self._stats
        wage, nat_wage = _num(s["median_wage"][i, j]), _num(s["national_median_wage"][j])
        return {
            "soc": self.socs[j],
            "title": self.occupations.get(self.socs[j], ""),
            "employment": _num(s["employment"][i, j]),
            "median_wage": wage,
            "median_wage_topcoded": bool(s["wage_topcoded"][i, j]),
            "per_1000": _num(s["per_1000"][i, j], 3),
            "location_quotient": _num(s["location_quotient"][i, j], 2),
            "national_employment": _num(s["national_employment"][j]),
            "national_median_wage": nat_wage,
            "national_median_wage_topcoded": bool(s["national_wage_topcoded"][j]),
            "national_per_1000": _num(s["national_per_1000"][j], 3),
            "wage_vs_national": round(wage / nat_wage, 3) if wage and nat_wage else None,
        }

    def stats(self, region_id: str, soc: str | None = None, limit: int | None = None) -> dict[str, dict[str, Any]]:
        """SOC code -> employment, median annual wage, per-1,000 share, location quotient and the
        national figures, for the occupations OEWS publishes in the region, largest employment
        first (at most `limit`). Empty for regions without OEWS statistics (world cities)."""
        i = self._position(region_id)
        if i >= self.n_stat:
            return {}
        if soc is not None:
            j = self._soc(soc)
            return {self.socs[j]: self._record(i, j)}
        row = self._stats["employment"][i]
        present = np.flatnonzero(~np.isnan(row) | ~np.isnan(self._stats["median_wage"][i]))
        order = present[np.argsort(-np.nan_to_num(row[present], nan=-1.0), kind="stable")]
        if limit is not None:
            order = order[: max(limit, 0)]
        return {self.socs[j]: self._record(i, int(j)) for j in order}

    def occupation_regions(
        self,
        soc: str,
        by: str = "employment",
        kind: str | None = None,
        state: str | None = None,
        min_employment: float = 0.0,
        limit: int | None = 50,
    ) -> builtins.list[dict[str, Any]]:
        """OEWS areas ranked by employment or location quotient in one SOC occupation.

        Areas without a published value for the ranking measure, or with less employment than
        `min_employment` (a quotient over a handful of jobs is noise), are left out.
        """
        measures = {"employment": "employment", "location_quotient": "location_quotient", "lq": "location_quotient"}
        if by not in measures:
            raise ValueError(f"by must be one of {sorted(measures)}")
        j = self._soc(soc)
        values = self._stats[measures[by]][:, j].astype(float)
        emp = self._stats["employment"][:, j]
        keep = ~np.isnan(values)
        if min_employment > 0:
            keep &= np.nan_to_num(emp, nan=-1.0) >= min_employment
        if kind is not None or state is not None:
            keep &= self._mask(kind, None, state)[: self.n_stat]
        rows = np.flatnonzero(keep)
        rows = rows[np.argsort(-values[rows], kind="stable")]
        if limit is not None:
            rows = rows[:limit]
        out = []
        for rank, i in enumerate(rows, 1):
            rec = self._record(int(i), j)
            del rec["soc"], rec["title"]
            out.append({"rank": rank, "region": self._region(int(i)), **rec})
        return out

    # -- resolution --------------------------------------------------------------------------

    def _qualifier(self, key: str) -> tuple[set[str], set[str]]:
        states, countries = set(), set()
        if key in self._state_keys:
            states.add(self._state_keys[key])
        if key in self._country_keys:
            countries.add(self._country_keys[key])
        return states, countries

    def _region_ok(self, i: int, states: set[str], countries: set[str]) -> bool:
        if not states and not countries:
            return True
        if self._countries[i] in countries:
            return True
        return self._countries[i] == "US" and bool(states & set(self._multi_states.get(i, [self._states[i]])))

    def _scored(self, i: int, base: float) -> float:
        return round(base * (0.9 + 0.1 * float(self._size_factor[i])), 4)

    def _country_name(self, iso: str) -> str:
        return self.countries.get(iso, {}).get("name", iso)

    def _placement_reason(self, place: str, state: str, p: Placement, region: Region) -> str:
        if p.mode == "metro":
            return (
                f"{place}, {state} lies {p.distance_km:.0f} km from {p.anchor}, within the "
                f"{p.reach_km:.0f} km reach of the {region.name} metropolitan area"
            )
        if p.mode == "nonmetro":
            return (
                f"{place}, {state} lies beyond every metro's reach (nearest anchor {p.anchor}, "
                f"{p.distance_km:.0f} km) and falls in the {region.name}"
            )
        why = (
            f"{self.us_states.get(state, {}).get('name', state)} has no nonmetropolitan area"
            if state not in self.locator.targets
            else "a place of 50,000+ people is always metropolitan"
        )
        return (
            f"{place}, {state} is beyond every metro's reach and {why}; "
            f"nearest metro via {p.anchor} ({p.distance_km:.0f} km)"
        )

    def _name_candidates(
        self, key: str, states: set[str], countries: set[str], out: dict[int, tuple[float, str]], note: str
    ) -> None:
        k = self._key_pos.get(key)
        if k is None:
            return
        na = self._name_arrays
        # GeoNames alternate names include odd ones ("Indiana" for a Brazilian town): a state or
        # country name never matches through them
        skip_alternates = key in self._state_keys or key in self._country_keys
        for e in range(int(na["region_start"][k]), int(na["region_start"][k + 1])):
            i, code = int(na["region_index"][e]), int(na["region_match"][e])
            if not self._region_ok(i, states, countries) or (skip_alternates and code == MATCH_ALTERNATE):
                continue
            if code == MATCH_AREA:
                reason = "area name"
            elif code == MATCH_NICKNAME:
                reason = f"common name of the {self._names[i]} metropolitan area"
            elif code in (MATCH_PRINCIPAL, MATCH_OTHER_PRINCIPAL):
                reason = f"principal city of the {self._names[i]} metropolitan area"
            elif code == MATCH_CITY:
                reason = f"city in {self._country_name(self._countries[i])}"
            else:
                reason = f"alternate name of {self._names[i]}, {self._country_name(self._countries[i])}"
            self._offer(out, i, self._scored(i, _MATCH_BASE[code]), reason + note)
        pa, ps = self._place_arrays, self._places
        for e in range(int(na["place_start"][k]), int(na["place_start"][k + 1])):
            j = int(na["place_index"][e])
            st = ps["state"][j]
            if (states or countries) and st not in states and not countries & {"US", st}:
                continue
            i = int(pa["region"][j])
            placement = Placement(
                i, ps["mode"][j], ps["anchor"][j], float(pa["distance_km"][j]), float(pa["reach_km"][j])
            )
            reason = self._placement_reason(ps["name"][j], st, placement, self._region(i))
            self._offer(out, i, self._scored(i, _PLACE_BASE[placement.mode]), reason + note)

    @staticmethod
    def _offer(out: dict[int, tuple[float, str]], i: int, score: float, reason: str) -> None:
        if i not in out or score > out[i][0]:
            out[i] = (score, reason)

    def _listing(self, key: str, out: dict[int, tuple[float, str]], limit: int) -> None:
        if key in self._state_keys:
            code = self._state_keys[key]
            name = self.us_states[code]["name"]
            base = _STATE_LIST_BASE if len(key) > 2 else _STATE_LIST_BASE - 0.05
            positions = self._filtered(None, "US", code, None)
            positions.sort(key=lambda i: self._states[i] != code)  # areas based in the state first
            for rank, i in enumerate(positions[:limit]):
                self._offer(out, i, self._scored(i, base - 0.01 * rank), f"one of the largest areas in {name}")
        if key in self._country_keys:
            iso = self._country_keys[key]
            base = _COUNTRY_LIST_BASE if len(key) > 3 else _COUNTRY_LIST_BASE - 0.05
            for rank, i in enumerate(self._filtered(None, iso, None, None)[:limit]):
                reason = f"one of the largest regions in {self._country_name(iso)}"
                self._offer(out, i, self._scored(i, base - 0.01 * rank), reason)

    def _fuzzy(self, key: str, states: set[str], countries: set[str], out: dict[int, tuple[float, str]]) -> None:
        start = bisect.bisect_left(self._keys, key)
        for other in self._keys[start : start + 200]:
            if not other.startswith(key):
                break
            scratch: dict[int, tuple[float, str]] = {}
            self._name_candidates(other, states, countries, scratch, "")
            factor = _PREFIX_BASE * (0.7 + 0.3 * len(key) / len(other))
            for i, (score, reason) in scratch.items():
                self._offer(out, i, round(score * factor, 4), f"name starts with {key!r}: {reason}")
        if out or len(key) < 4:
            return
        if self._fuzzy_buckets is None:
            self._fuzzy_buckets = {}
            for other in self._keys:
                self._fuzzy_buckets.setdefault(other[:2], []).append(other)
        for other in difflib.get_close_matches(key, self._fuzzy_buckets.get(key[:2], []), n=5, cutoff=0.8):
            ratio = difflib.SequenceMatcher(None, key, other).ratio()
            scratch = {}
            self._name_candidates(other, states, countries, scratch, "")
            for i, (score, reason) in scratch.items():
                self._offer(out, i, round(score * _FUZZY_BASE * ratio, 4), f"close to {other!r}: {reason}")

    def resolve(self, q: str, limit: int = 5) -> builtins.list[tuple[Region, float, str]]:
        """Best regions for free-text location `q`: (region, score in (0, 1], reason), best first."""
        text = (q or "").strip()
        if not text or limit <= 0:
            return []
        whole = fold(text)
        if not whole:
            return []
        out: dict[int, tuple[float, str]] = {}
        self._name_candidates(whole, set(), set(), out, "")

        place, qualifiers = whole, []
        parts = [p for p in (fold(x) for x in text.split(",")) if p]
        if len(parts) > 1:
            place, qualifiers = parts[0], parts[1:]
        else:
            tokens = whole.split()
            for n in (3, 2, 1):
                tail = " ".join(tokens[-n:])
                if len(tokens) > n and any(self._qualifier(tail)):
                    place, qualifiers = " ".join(tokens[:-n]), [tail]
                    break
        states: set[str] = set()
        countries: set[str] = set()
        ignored = []
        for qualifier in qualifiers:
            s, c = self._qualifier(qualifier)
            if not s and not c:
                ignored.append(qualifier)
            states |= s
            countries |= c
        note = f" (qualifier {', '.join(repr(x) for x in ignored)} not recognised)" if ignored else ""
        if place != whole:
            self._name_candidates(place, states, countries, out, note)
        if not qualifiers:
            self._listing(whole, out, limit)
        if not out:
            self._fuzzy(place, states, countries, out)
        ranked = sorted(out.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        return [(self._region(i), score, reason) for i, (score, reason) in ranked]
