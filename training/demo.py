"""The demo tenant: realistic synthetic data from a fixed seed, loaded once.

    python -m training.demo            # load into the configured database unless already there
    python -m training.demo --force    # load again (idempotent by external_id: updates)

Candidates spread over US micro-hubs and metros where their occupations employ people, and
some world cities; employer needs in a set of hub regions that follow each region's OEWS
occupation mix; training programmes in those regions and online.
"""

from __future__ import annotations

import argparse
import logging
import random
import time

from models.core.errors import NotFound
from models.core.settings import Settings, load_settings
from models.reference.data import ReferenceData
from models.tenants.record_pipeline import BulkLine, TenantRecords
from models.tenants.store import record_rows as store
from models.tenants.store import tenants
from models.tenants.store.db import Database, upgrade
from models.tenants.tenant_index import TenantIndexes
from training.progress import Progress
from training.synthetic import SyntheticTenant

SEED = 2026
CANDIDATES = 1500
HUB_REGIONS = 24  # regions that get posted needs and programmes
NEEDS_PER_REGION = 10
PROGRAMS_PER_REGION = 5
log = logging.getLogger("demo")


def hub_regions(gen: SyntheticTenant, rng: random.Random) -> list:
    """Micro-hubs and mid-size metros with the most employment in the hub occupations."""
    score: dict[str, float] = {}
    regions = {}
    for p in gen.profiles:
        for place in gen.ref.regions.occupation_regions(p.soc, by="location_quotient", min_employment=100, limit=60):
            region = place["region"]
            if region.kind == "large_metro":
                continue
            regions[region.id] = region
            score[region.id] = score.get(region.id, 0.0) + min(place["location_quotient"] or 0, 3.0)
    ranked = sorted(score, key=lambda r: -score[r])
    micro = [r for r in ranked if regions[r].kind == "micro_hub"][: HUB_REGIONS * 2 // 3]
    metro = [r for r in ranked if regions[r].kind == "metro"][: HUB_REGIONS - len(micro)]
    return [regions[r] for r in micro + metro]


def documents(ref: ReferenceData, seed: int = SEED) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    gen = SyntheticTenant(ref, seed=seed)
    hubs = hub_regions(gen, rng)
    by_soc = {p.soc: p for p in gen.profiles}
    needs, programs = [], []
    for region in hubs:
        stats = ref.regions.stats(region.id)
        mix = [(soc, st["employment"]) for soc, st in stats.items() if soc in by_soc and st.get("employment")]
        if not mix:
            continue
        for _ in range(NEEDS_PER_REGION):
            soc = rng.choices([m[0] for m in mix], weights=[m[1] for m in mix])[0]
            needs.append(gen.need(len(needs), region=region, profile=by_soc[soc])[0])
        for _ in range(PROGRAMS_PER_REGION):
            soc = rng.choices([m[0] for m in mix], weights=[m[1] for m in mix])[0]
            programs.append(gen.program(len(programs), region=region, profile=by_soc[soc]))
    # candidates: most placed where their occupation employs people; a share in the hubs
    candidates = []
    for n in range(CANDIDATES):
        doc, _ = gen.candidate(n)
        if rng.random() < 0.3:
            doc["region_id"] = rng.choice(hubs).id
        candidates.append(doc)
    return {"candidate": candidates, "need": needs, "program": programs}


def load_demo(settings: Settings, ref: ReferenceData | None = None, force: bool = False) -> dict:
    db = Database(settings.sqlalchemy_url)
    upgrade(db)
    try:
        tenant = tenants.get_tenant(db, tenants.DEMO_TENANT)
    except NotFound:
        tenant, _ = tenants.create_tenant(db, tenants.DEMO_TENANT)
    if not force and store.count(db, tenant.id, "candidate") > 0:
        return {"loaded": False}
    ref = ref or ReferenceData.load(settings.pack_path)
    indexes = TenantIndexes(db, ref.encoder.dim, settings.data_path / "indices", ref.encoder.fingerprint)
    service = TenantRecords(db, ref, indexes)
    counts = {}
    for kind, docs in documents(ref).items():
        started = time.time()
        shown = Progress(f"demo: {kind}s", len(docs), unit="records")
        results = []
        for result in service.bulk_upsert(tenant.id, kind, [BulkLine(i + 1, doc=d) for i, d in enumerate(docs)]):
            results.append(result)
            shown.update(1)
        shown.close()
        errors = [r for r in results if r["status"] == "error"]
        if errors:
            raise SystemExit(f"demo {kind}: {len(errors)} errors, first: {errors[0]}")
        counts[kind] = len(results)
        log.info("demo: %d %ss in %.0fs", len(results), kind, time.time() - started)
    db.dispose()
    return {"loaded": True, **counts}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    result = load_demo(load_settings(), force=args.force)
    print(
        "demo tenant: "
        + (", ".join(f"{v} {k}s" for k, v in result.items() if k != "loaded") if result["loaded"] else "already loaded")
    )


if __name__ == "__main__":
    main()
