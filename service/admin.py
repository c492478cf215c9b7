"""Operator commands: tenants, API keys, migrations.

    python -m service.admin create-tenant NAME   # prints the tenant's API key (shown once)
    python -m service.admin rotate-key NAME [--overlap-hours H]
                                                 # a new key; the old ones stop at once, or after H hours
    python -m service.admin add-key NAME [--read-only] [--expires-in-days D]
                                                 # one more key (a tool's own), perhaps read-only or short-lived
    python -m service.admin revoke-key NAME      # revokes every key of NAME
    python -m service.admin list-tenants
    python -m service.admin migrate
    python -m service.admin demo-key             # the demo tenant: created if missing, fresh key printed

The database comes from the settings (TALENT_DATABASE_URL or DATABASE_URL, else SQLite in
TALENT_DATA_DIR); every command migrates it to the latest schema first. Keys go to stdout
alone, so `KEY=$(python -m service.admin create-tenant acme)` works; messages go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

from models.core.errors import DomainError, NotFound
from models.core.settings import load_settings
from models.tenants.store import tenants
from models.tenants.store.db import Database, current_revision, upgrade
from models.tenants.store.tables import utcnow


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service.admin", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_ in (
        ("create-tenant", "create a tenant and print its API key"),
        ("rotate-key", "print a new key; the tenant's other keys stop at once or after --overlap-hours"),
        ("add-key", "print one more key for the tenant, leaving its other keys valid"),
        ("revoke-key", "revoke every key of the tenant"),
    ):
        sub = commands.add_parser(name, help=help_)
        sub.add_argument("name", help="tenant name")
        if name == "rotate-key":
            sub.add_argument(
                "--overlap-hours",
                type=float,
                default=0.0,
                help="keep the old keys working this long, so clients switch without downtime",
            )
        if name == "add-key":
            sub.add_argument("--read-only", action="store_true", help="the key can read but not write")
            sub.add_argument("--expires-in-days", type=float, help="the key stops working after this many days")
    commands.add_parser("list-tenants", help="list tenants with the prefixes of their active keys")
    commands.add_parser("migrate", help="migrate the database to the latest schema")
    commands.add_parser("demo-key", help="create the demo tenant if missing and print a fresh key for it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    db = Database(settings.sqlalchemy_url)
    try:
        upgrade(db)
        if args.command == "migrate":
            print(f"database at revision {current_revision(db)}", file=sys.stderr)
        elif args.command == "create-tenant":
            tenant, key = tenants.create_tenant(db, args.name)
            print(f"created tenant {tenant.name!r} (id {tenant.id}); the key is shown only now", file=sys.stderr)
            print(key)
        elif args.command == "rotate-key":
            key = tenants.rotate_key(db, args.name, timedelta(hours=args.overlap_hours))
            when = f"expire in {args.overlap_hours:g} hours" if args.overlap_hours > 0 else "revoked"
            print(f"previous keys of {args.name!r} {when}; new key:", file=sys.stderr)
            print(key)
        elif args.command == "add-key":
            expires = None if args.expires_in_days is None else utcnow() + timedelta(days=args.expires_in_days)
            key = tenants.add_key(db, args.name, "read_only" if args.read_only else "read_write", expires)
            print(
                f"new {'read-only' if args.read_only else 'read-write'} key of {args.name!r}"
                + (f", valid until {expires.isoformat(timespec='seconds')}" if expires else "")
                + ":",
                file=sys.stderr,
            )
            print(key)
        elif args.command == "revoke-key":
            count = tenants.revoke_keys(db, args.name)
            print(f"revoked {count} key(s) of {args.name!r}", file=sys.stderr)
        elif args.command == "demo-key":
            # keys are stored hashed, so the only way to show one again is to issue a new one
            try:
                key = tenants.rotate_key(db, tenants.DEMO_TENANT)
            except NotFound:
                _, key = tenants.create_tenant(db, tenants.DEMO_TENANT)
            print(key)
        elif args.command == "list-tenants":
            print("id\tname\tcreated_at\tactive_keys")
            for t in tenants.list_tenants(db):
                keys = ",".join(t.key_prefixes) or "-"
                print(f"{t.id}\t{t.name}\t{t.created_at.isoformat(timespec='seconds')}\t{keys}")
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
