"""Rebuild tenant indices from the database (the source of truth).

    python -m training.reindex                    # every tenant, every kind
    python -m training.reindex --tenant acme      # one tenant
    python -m training.reindex --kind candidate

Each index is written as a snapshot (index.faiss + manifest with the last change it holds)
under $TALENT_DATA_DIR/indices; running workers pick up changes from the log regardless.
"""

from __future__ import annotations

import argparse
import time

from models.encoder import Encoder
from models.settings import load_settings
from models.store import tenants
from models.store.db import Database, upgrade
from models.tenant_index import TenantIndexes
from models.tenant_records import KINDS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenant", help="tenant name (default: all)")
    parser.add_argument("--kind", choices=KINDS, help="record kind (default: all)")
    args = parser.parse_args(argv)
    settings = load_settings()
    db = Database(settings.sqlalchemy_url)
    upgrade(db)
    encoder = Encoder()
    indexes = TenantIndexes(db, encoder.dim, settings.data_path / "indices", encoder.fingerprint)
    try:
        chosen = [tenants.get_tenant(db, args.tenant)] if args.tenant else tenants.list_tenants(db)
        for tenant in chosen:
            for kind in [args.kind] if args.kind else KINDS:
                started = time.time()
                ti = indexes.rebuild(tenant.id, kind)
                print(
                    f"{tenant.name}/{kind}: {len(ti)} vectors, {ti.index.kind}, seq {ti.seq}, {time.time() - started:.1f}s"
                )
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
