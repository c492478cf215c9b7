"""Region catalogue: OEWS readers, kind rules, resolution, statistics (known answers)."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from models.core.artifacts import ArtifactError
from models.core.settings import load_settings
from models.reference.regions import REGION_KINDS, KindRule, RegionCatalog, compass_target, fold
from training.build_regions import build_regions
from training.sources.oews import open_packaged_oews, parse_series_id, read_oews_dir, read_packaged_oews

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oews"
ROOT = Path(__file__).resolve().parents[2]
FORT_WAYNE, CHICAGO, NORTHERN_INDIANA = "oews-0023060", "oews-0016980", "oews-1800001"


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("pack")
    manifest, built = build_regions(directory, load_settings({}, environ={}))
    assert built and manifest["kind"] == "regions"
    return directory


@pytest.fixture(scope="module")
def catalog(pack) -> RegionCatalog:
    return RegionCatalog.load(pack / "regions")


@pytest.fixture(scope="module")
def packaged():
    return read_packaged_oews()


# -- OEWS readers --------------------------------------------------------------------------


def test_packaged_reader_has_every_area_and_detailed_soc(packaged):
    kinds = {}
    for area in packaged.areas:
        kinds[(area.areatype, area.nonmetropolitan)] = kinds.get((area.areatype, area.nonmetropolitan), 0) + 1
    local = kinds[("M", False)] + kinds[("M", True)]
    assert 520 <= local <= 540
    assert kinds[("M", True)] == 135
    assert kinds[("N", False)] == 1
    assert len(packaged.socs) == len(packaged.occupations) == 830
    assert packaged.occupations["15-1252"] == "Software Developers"
    assert packaged.release == "May 2025"
    assert all(a.total_employment and a.total_employment > 0 for a in packaged.areas)
    assert packaged.employment.shape == (len(packaged.areas), 830)


def test_packaged_reader_matches_the_database(packaged, tmp_path):
    conn = open_packaged_oews(tmp_path)
    try:
        v01, v13, v16, v17 = conn.execute(
            "SELECT v01, v13, v16, v17 FROM cell WHERE key = 'OEUM0023060000000151252'"
        ).fetchone()
        (total,) = conn.execute("SELECT v01 FROM cell WHERE key = 'OEUM0023060000000000000'").fetchone()
        (topcoded,) = conn.execute("SELECT count(*) FROM cell WHERE f13 = '5' AND substr(key, 12, 6) = '000000' "
                                   "AND substr(key, 18, 6) IN (SELECT occupation_code FROM occupation "
                                   "WHERE display_level = 3)").fetchone()  # fmt: skip
    finally:
        conn.close()
    cell = packaged.cell("0023060", "15-1252")
    assert cell["employment"] == float(v01)
    assert cell["median_wage"] == float(v13)
    assert cell["per_1000"] == float(v16)
    assert cell["location_quotient"] == float(v17)
    fort_wayne = next(a for a in packaged.areas if a.code == "0023060")
    assert fort_wayne.total_employment == float(total)
    assert int(packaged.wage_topcoded.sum()) == topcoded > 0
    assert np.isnan(packaged.median_wage[packaged.wage_topcoded]).all()


def test_flat_file_importer_reads_the_fixtures():
    data = read_oews_dir(FIXTURES)
    assert data.release == "May 2024"
    assert [a.code for a in data.areas] == ["0000000", "1800000", "0021140", "0023060", "1800001"]
    assert data.socs == ["11-1021", "15-1252", "15-1253", "29-1141"]  # display_level 3 only
    by_code = {a.code: a for a in data.areas}
    assert by_code["0023060"].total_employment == 200_000
    assert by_code["1800001"].nonmetropolitan and not by_code["0023060"].nonmetropolitan
    assert by_code["1800000"].areatype == "S" and by_code["1800000"].state_fips == "18"

    assert data.cell("0023060", "15-1252") == {
        "employment": 1200.0, "median_wage": 98760.0, "wage_topcoded": False, "per_1000": 6.0, "location_quotient": 0.6,
    }  # fmt: skip
    topcoded = data.cell("0023060", "11-1021")  # '#'
    assert topcoded["median_wage"] is None and topcoded["wage_topcoded"] and topcoded["employment"] == 4000
    assert data.cell("0021140", "15-1252")["wage_topcoded"]  # '-' with footnote 5
    suppressed = data.cell("0023060", "15-1253")  # '**'
    assert suppressed["employment"] is None and suppressed["location_quotient"] is None
    assert suppressed["median_wage"] == 81230
    assert data.cell("1800001", "29-1141")["median_wage"] is None  # '*'
    assert not data.cell("1800001", "29-1141")["wage_topcoded"]

    national = data.national()
    j = data.socs.index("15-1252")
    assert national["employment"][j] == 1_500_000  # the industry-specific series is ignored
    assert national["per_1000"][j] == pytest.approx(10.0)  # derived: 1.5M of 150M jobs
    assert data.cell("0000000", "15-1252")["location_quotient"] == 1.0


def test_series_id_layout():
    assert parse_series_id("OEUM001018000000000000001") == ("M", "0010180", "000000", "000000", "01")
    with pytest.raises(ValueError):
        parse_series_id("OEUM0010180")


# -- kinds ---------------------------------------------------------------------------------


def test_kind_rule():
    rule = KindRule(large_metro_min_jobs=1_000_000, micro_hub_max_jobs=150_000)
    assert rule.oews_kind(5_000_000, nonmetropolitan=True) == "micro_hub"
    assert rule.oews_kind(149_999, False) == "micro_hub"
    assert rule.oews_kind(150_000, False) == "metro"
    assert rule.oews_kind(1_000_000, False) == "large_metro"
    assert rule.city_kind(542_366) == "metro" and rule.city_kind(2_136_916) == "large_metro"
    assert rule.city_kind(40_000) == "micro_hub"
    assert KindRule.from_settings(load_settings({"micro_hub_max_jobs": 10}, environ={})).micro_hub_max_jobs == 10


def test_kinds_in_the_catalogue(catalog):
    chicago = catalog.get(CHICAGO)
    assert chicago.kind == "large_metro" and chicago.total_employment >= 1_000_000
    assert catalog.get(NORTHERN_INDIANA).kind == "micro_hub"
    nonmetro = [r for r in catalog.list(country="US", limit=10_000)[1] if "nonmetropolitan" in r.name]
    assert len(nonmetro) == 135 and {r.kind for r in nonmetro} == {"micro_hub"}
    fort_wayne = catalog.get(FORT_WAYNE)
    assert fort_wayne.kind == "metro" and 150_000 <= fort_wayne.total_employment < 1_000_000
    assert catalog.get("gn-593116").kind == "metro"  # Vilnius, 542k people
    counts = catalog.counts_by_kind("oews")
    assert sum(counts.values()) == catalog.n_stat == 528
    assert counts["large_metro"] == catalog.list(kind="large_metro", country="US", limit=1)[0]


def test_thresholds_from_settings_change_kinds(tmp_path):
    base = {"world_city_min_population": 1_000_000}
    default, _ = build_regions(tmp_path / "a", load_settings(base, environ={}), oews_dir=FIXTURES)
    changed, built = build_regions(
        tmp_path / "b",
        load_settings({**base, "large_metro_min_jobs": 180_000, "micro_hub_max_jobs": 120_000}, environ={}),
        oews_dir=FIXTURES,
    )
    assert built and default["inputs"] != changed["inputs"]
    a, b = RegionCatalog.load(tmp_path / "a" / "regions"), RegionCatalog.load(tmp_path / "b" / "regions")
    assert a.get(FORT_WAYNE).kind == "metro" and b.get(FORT_WAYNE).kind == "large_metro"  # 200k jobs
    assert a.get("oews-0021140").kind == "micro_hub" and b.get("oews-0021140").kind == "metro"  # 130k jobs
    assert b.get(NORTHERN_INDIANA).kind == "micro_hub"  # nonmetropolitan whatever its size
    assert a.get("gn-593116") is None  # Vilnius is under the 1M floor
    assert a.stats(FORT_WAYNE, "15-1252")["15-1252"]["employment"] == 1200
    _, rebuilt = build_regions(tmp_path / "a", load_settings(base, environ={}), oews_dir=FIXTURES)
    assert not rebuilt  # same inputs: the artifact is current


# -- resolution ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Fort Wayne, IN", "Fort Wayne, Indiana", "fort wayne", "FORT WAYNE IN", "Ft. Wayne"])
def test_fort_wayne_resolves_to_its_metro(catalog, query):
    region, score, reason = catalog.resolve(query)[0]
    assert region.id == FORT_WAYNE
    assert 0 < score <= 1 and reason


@pytest.mark.parametrize(
    "query, country, name",
    [("Vilnius, Lithuania", "LT", "Vilnius"), ("Vilnius", "LT", "Vilnius"), ("Coimbatore", "IN", "Coimbatore"),
     ("Da Nang, Vietnam", "VN", "Da Nang"), ("Đà Nẵng", "VN", "Da Nang"), ("Bangalore", "IN", "Bengaluru")],
)  # fmt: skip
def test_world_cities_resolve_to_geonames_regions(catalog, query, country, name):
    region = catalog.resolve(query)[0][0]
    assert region.id.startswith("gn-") and region.country == country and region.name == name
    assert region.population > 15_000 and region.total_employment is None
    assert catalog.stats(region.id) == {}


def test_small_us_town_resolves_to_the_area_it_lies_in(catalog):
    region, score, reason = catalog.resolve("Warsaw, IN")[0]
    assert region.id == NORTHERN_INDIANA
    assert "Warsaw" in reason and "Northern Indiana" in reason
    assert score < catalog.resolve("Fort Wayne, IN")[0][1]
    # without the qualifier the Polish capital comes first, the Indiana town still appears
    ranked = catalog.resolve("Warsaw", limit=10)
    assert ranked[0][0].country == "PL"
    assert NORTHERN_INDIANA in [r.id for r, _, _ in ranked]


def test_qualifiers_states_and_secondary_principal_cities(catalog):
    assert catalog.resolve("Vancouver, WA")[0][0].id == "oews-0038900"  # Portland-Vancouver-Hillsboro, OR-WA
    assert catalog.resolve("Vancouver")[0][0].country == "CA"
    assert catalog.resolve("Portland, ME")[0][0].id == "oews-0038860"
    assert catalog.resolve("Fort Worth")[0][0].id == "oews-0019100"
    for query in ("Indiana", "IN", "indiana"):
        region, _, reason = catalog.resolve(query)[0]
        assert region.state == "IN" and "Indiana" in reason
    assert catalog.resolve("Lithuania")[0][0].id == "gn-593116"  # its largest city
    assert catalog.resolve("Arizona")[0][0].id == "oews-0038060"  # Phoenix, not the Honduran town
    assert catalog.resolve("Silicon Valley")[0][0].id == "oews-0041940"  # a nickname
    assert catalog.resolve("Northern Indiana nonmetropolitan area")[0][0].id == NORTHERN_INDIANA
    assert catalog.resolve("Vilnus")[0][0].id == "gn-593116"  # a typo
    assert catalog.resolve("Fort Way")[0][0].id == FORT_WAYNE  # a prefix
    assert catalog.resolve("") == [] and catalog.resolve("qqqxxzz") == []
    scores = [s for _, s, _ in catalog.resolve("Springfield", limit=5)]
    assert scores == sorted(scores, reverse=True) and len(scores) == 5


# -- points, geometry ----------------------------------------------------------------------


def test_points(catalog):
    total, oews = catalog.list(country="US", limit=10_000)
    assert total == len(oews) == 528
    assert all(math.isfinite(r.lat) and math.isfinite(r.lon) for r in oews)
    fort_wayne = catalog.get(FORT_WAYNE)
    assert catalog.distance_km(fort_wayne, (41.1306, -85.12886)) < 5  # GeoNames Fort Wayne
    chicago = catalog.get(CHICAGO)
    assert catalog.distance_km(chicago, (41.85, -87.65)) < 10
    assert 200 < catalog.distance_km(FORT_WAYNE, CHICAGO) < 260
    # a nonmetro area's point is a place that the locator puts back into that area
    for region in oews:
        if "nonmetropolitan" in region.name:
            located, _ = catalog.locate(region.lat, region.lon, region.state)
            assert located.id == region.id, region.name
    region, reason = catalog.locate(41.2381, -85.85305)  # Warsaw, IN, no state given
    assert region.id == NORTHERN_INDIANA and "beyond" in reason


def test_nearest(catalog):
    (first, km), *_ = catalog.nearest(41.08, -85.14, k=3)
    assert first.id == FORT_WAYNE and km < 10
    cities = catalog.nearest(54.689, 25.280, k=2, source="geonames")
    assert cities[0][0].name == "Vilnius" and cities[0][1] <= cities[1][1]
    assert all(r.kind == "large_metro" for r, _ in catalog.nearest(41.08, -85.14, k=4, kind="large_metro"))


def test_list_filters_and_paging(catalog):
    _, indiana = catalog.list(country="US", state="IN", limit=1000)
    assert FORT_WAYNE in [r.id for r in indiana] and CHICAGO in [r.id for r in indiana]  # IL-IN
    assert catalog.states_of(CHICAGO) == ["IL", "IN"]
    assert catalog.list(q="fort wayne") == (1, [catalog.get(FORT_WAYNE)])
    total, page1 = catalog.list(kind="micro_hub", limit=5)
    _, page2 = catalog.list(kind="micro_hub", limit=5, offset=5)
    assert total > 10_000 and len(page1) == len(page2) == 5 and not {r.id for r in page1} & {r.id for r in page2}
    total, lt = catalog.list(country="LT")
    assert lt and {r.source for r in lt} == {"geonames"} and lt[0].name == "Vilnius"
    assert catalog.count(country="LT") == total == len(lt)
    assert catalog.get("oews-9999999") is None
    with pytest.raises(ValueError):
        catalog.list(kind="village")
    assert sum(catalog.counts_by_kind().values()) == len(catalog)
    assert set(catalog.counts_by_kind()) == set(REGION_KINDS)


# -- statistics ----------------------------------------------------------------------------


def test_stats_for_a_known_cell_match_the_database(catalog, tmp_path):
    conn = open_packaged_oews(tmp_path)
    try:
        row = conn.execute("SELECT v01, v13, v16, v17 FROM cell WHERE key = 'OEUM0023060000000151252'").fetchone()
        nat = conn.execute("SELECT v01, v13 FROM cell WHERE key = 'OEUN0000000000000151252'").fetchone()
    finally:
        conn.close()
    stats = catalog.stats(FORT_WAYNE)
    rec = stats["15-1252"]
    assert rec["title"] == "Software Developers"
    assert rec["employment"] == float(row[0])
    assert rec["median_wage"] == float(row[1])
    assert rec["per_1000"] == pytest.approx(float(row[2]))
    assert rec["location_quotient"] == pytest.approx(float(row[3]))
    assert rec["national_employment"] == float(nat[0]) and rec["national_median_wage"] == float(nat[1])
    assert rec["wage_vs_national"] == pytest.approx(float(row[1]) / float(nat[1]), abs=1e-3)
    employment = [r["employment"] for r in stats.values() if r["employment"] is not None]
    assert employment == sorted(employment, reverse=True)
    assert catalog.stats(FORT_WAYNE, "151252") == {"15-1252": rec}
    top = catalog.stats(FORT_WAYNE, limit=3)
    assert list(top) == list(stats)[:3]
    with pytest.raises(KeyError):
        catalog.stats("oews-9999999")
    with pytest.raises(KeyError):
        catalog.stats(FORT_WAYNE, "99-9999")


def test_occupation_regions(catalog):
    by_jobs = catalog.occupation_regions("15-1252", limit=10)
    assert by_jobs[0]["region"].id == "oews-0035620"  # New York has the most software developers
    jobs = [r["employment"] for r in by_jobs]
    assert jobs == sorted(jobs, reverse=True) and [r["rank"] for r in by_jobs] == list(range(1, 11))
    by_lq = catalog.occupation_regions("15-1252", by="location_quotient", min_employment=1000, limit=5)
    lqs = [r["location_quotient"] for r in by_lq]
    assert lqs == sorted(lqs, reverse=True) and all(r["employment"] >= 1000 for r in by_lq)
    assert by_lq[0]["region"].id == "oews-0041940"  # San Jose
    hubs = catalog.occupation_regions("15-1252", kind="micro_hub", state="IN", limit=None)
    assert hubs and all(r["region"].kind == "micro_hub" and "IN" in catalog.states_of(r["region"].id) for r in hubs)
    with pytest.raises(ValueError):
        catalog.occupation_regions("15-1252", by="wage")


# -- artifact ------------------------------------------------------------------------------


def test_artifact_files_and_integrity(pack, tmp_path):
    directory = pack / "regions"
    names = {p.name for p in directory.iterdir()}
    assert names and all(n.endswith((".json", ".npz")) for n in names)
    copy = tmp_path / "regions"
    shutil.copytree(directory, copy)
    started = time.perf_counter()
    RegionCatalog.load(copy)
    assert time.perf_counter() - started < 5  # about 0.5 s on an idle machine
    (copy / "regions.json").write_text((copy / "regions.json").read_text().replace("Fort Wayne", "Fort Payne"))
    with pytest.raises(ArtifactError):
        RegionCatalog.load(copy)


def test_models_import_without_training_or_flask():
    code = (
        "import sys, models.reference.regions; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('training', 'flask')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_helpers():
    assert fold("St. Cloud, MN") == "saint cloud mn"
    assert fold("Mayagüez") == "mayaguez"
    assert compass_target("Northwest Alabama nonmetropolitan area") == (0.2, 0.8)
    assert compass_target("West Central Illinois nonmetropolitan area") == (0.2, 0.5)
    assert compass_target("Balance of Nevada nonmetropolitan area") == (0.5, 0.5)
