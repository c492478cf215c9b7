"""Geometry, in one place: great-circle distances, commuting distance and reach, and the
coordinates of regions as matching uses them.

    distance   haversine on a sphere of EARTH_RADIUS_KM (the IUGG mean radius)
    reach      = 1 in the same region (d <= 1 km); else the best option the candidate has:
                 commuting, 1 - 0.4 * d/80 within COMMUTE_KM; remote work, 0.9 for a remote
                 role and a candidate open to it; moving, 0.7 - 0.2 * min(d, 3000)/3000 for a
                 candidate willing to relocate; none of them, 0.1 (unknown distance: 0.5)

`haversine_km` is the formula (degrees, NumPy arrays broadcast); `central_km` is its last step,
shared with the region catalogue's nearest-region search, which keeps its coordinates in
radians. `pair_km` is the same formula on two plain (lat, lon) pairs with the math module:
matching asks for thousands of single distances, where NumPy's per-call cost dominates.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

EARTH_RADIUS_KM = 6371.0088
COMMUTE_KM = 80.0


def central_km(sin_half_dlat: Any, sin_half_dlon: Any, cos_product: Any) -> Any:
    """The haversine's distance from sin(dlat/2), sin(dlon/2) and cos(lat1) * cos(lat2)."""
    a = sin_half_dlat**2 + cos_product * sin_half_dlon**2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km; scalars or NumPy arrays (broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    return central_km(np.sin(dp / 2), np.sin(dl / 2), np.cos(p1) * np.cos(p2))


def pair_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """`haversine_km` of one pair of (lat, lon) points, in plain floats: matching measures pairs
    one at a time, and there NumPy's per-call overhead is 16x the arithmetic (0.56 vs 9.0 µs)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return EARTH_RADIUS_KM * 2 * math.asin(math.sqrt(min(1.0, h)))


def reach(distance: float | None, remote_role: bool, remote_ok: bool, relocate: bool) -> float:
    """The best way the candidate has of doing the job from where they are: each option
    falls with distance, so reach never grows with it."""
    if distance is None:
        return 0.5
    if distance <= 1.0:
        return 1.0
    best = 0.1
    if distance <= COMMUTE_KM:
        best = max(best, 1.0 - 0.4 * distance / COMMUTE_KM)
    if remote_role and remote_ok:
        best = max(best, 0.9)
    if relocate:
        best = max(best, 0.7 - 0.2 * min(distance, 3000.0) / 3000.0)
    return best


class _Catalog(Protocol):
    """What Geography needs of a region catalogue (models/reference/regions.py)."""

    def get(self, region_id: str) -> Any: ...

    def nearest(
        self, lat: float, lon: float, k: int = 5, kind: str | None = None, source: str | None = None
    ) -> Any: ...


class Geography:
    """Coordinates, distances and neighbourhoods of a catalogue's regions, memoised per
    process (read-only once filled, so requests running alongside share them)."""

    def __init__(self, regions: _Catalog, nearby_regions: int = 12):
        self.regions = regions
        self.nearby_regions = nearby_regions  # OEWS areas looked at around a home region
        self._coords: dict[str, tuple[float, float]] = {}
        self._nearby: dict[str, list] = {}

    def coords(self, region_id: str | None) -> tuple[float, float] | None:
        if not region_id:
            return None
        if region_id not in self._coords:
            r = self.regions.get(region_id)
            self._coords[region_id] = (r.lat, r.lon) if r and r.lat is not None else (math.nan, math.nan)
        c = self._coords[region_id]
        return None if math.isnan(c[0]) else c

    def distance(self, a: str | None, b: str | None) -> float | None:
        """Kilometres between two regions; None when either has no coordinates."""
        ca, cb = self.coords(a), self.coords(b)
        if ca is None or cb is None:
            return None
        return pair_km(ca, cb)

    def nearby(self, region_id: str | None) -> list:
        """A region (when it is one) and the OEWS areas within commuting distance of it."""
        if not region_id:
            return []
        if region_id not in self._nearby:
            home, places = self.coords(region_id), []
            if home is not None:
                places = [
                    r
                    for r, km in self.regions.nearest(home[0], home[1], k=self.nearby_regions, source="oews")
                    if km <= COMMUTE_KM
                ]
            own = self.regions.get(region_id)
            if own is not None:
                places.append(own)
            self._nearby[region_id] = places
        return self._nearby[region_id]

    def places(self, arrays: dict) -> dict:
        """Coordinates and region kind per distinct region of a view's records, with each
        record's position among them (`code`); added to the view's arrays once (one
        assignment, so a request running alongside sees all of it or none)."""
        places = arrays.get("places")
        if places is None:
            names = arrays["region_vocab"].tolist()
            coords = [self.coords(r) or (math.nan, math.nan) for r in names]
            kinds = [(found.kind if r and (found := self.regions.get(r)) else "") for r in names]
            code = arrays["region_code"]
            places = {
                "code": code,
                "lat": np.asarray([c[0] for c in coords], dtype=np.float64),
                "lon": np.asarray([c[1] for c in coords], dtype=np.float64),
                "kind": np.asarray(kinds, dtype=object),
            }
            arrays["places"] = places
        return places

    def distances(self, places: dict, region_id: str | None) -> np.ndarray:
        """Kilometres from every record of `places` to a region (NaN where unknown)."""
        return self.place_distances(places, region_id)[places["code"]]

    def place_distances(self, places: dict, region_id: str | None) -> np.ndarray:
        """Kilometres from each distinct region of `places` to a region (NaN where unknown); a
        record's is at its `code`."""
        target = self.coords(region_id)
        if target is None:
            return np.full(len(places["lat"]), np.nan)
        return haversine_km(places["lat"], places["lon"], target[0], target[1])
