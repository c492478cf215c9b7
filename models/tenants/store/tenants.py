"""Tenants and their API keys.

A key is "tk_" + secrets.token_urlsafe(32) (256 random bits). Only its SHA-256 is stored,
with its first KEY_PREFIX_LEN characters in clear to find the row (and to let an operator
tell keys apart). A fast unsalted hash is right here: the key is a high-entropy random
secret, not a password, so there is no dictionary to guess from, and a slow hash (bcrypt,
scrypt) would only add latency to every request. The hash comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from models.core.errors import Conflict, InvalidInput, NotFound
from models.tenants.store.db import Database
from models.tenants.store.tables import KEY_PREFIX_LEN, MAX_NAME, SCOPES, api_keys, tenants, utcnow

KEY_SCHEME = "tk_"


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str
    created_at: datetime
    key_prefixes: tuple[str, ...] = field(default=())  # active keys; filled by list_tenants


@dataclass(frozen=True)
class Grant:
    """What a presented key may do."""

    tenant_id: int
    key_prefix: str
    scope: str  # read_write | read_only
    expires_at: datetime | None

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


DEMO_TENANT = "demo"  # the tenant `make serve` fills with demo data (training/demo.py)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _new_key() -> str:
    return KEY_SCHEME + secrets.token_urlsafe(32)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise InvalidInput("a tenant name is a non-empty string without surrounding spaces")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a tenant name has at most {MAX_NAME} characters")
    return name


def _issue_key(conn, tenant_id: int, scope: str = "read_write", expires_at: datetime | None = None) -> str:
    if scope not in SCOPES:
        raise InvalidInput(f"a key's scope is one of {', '.join(SCOPES)}")
    key = _new_key()
    conn.execute(
        insert(api_keys).values(
            tenant_id=tenant_id,
            key_prefix=key[:KEY_PREFIX_LEN],
            key_hash=_hash(key),
            created_at=utcnow(),
            scope=scope,
            expires_at=expires_at,
        )
    )
    return key


def _tenant_id(conn, name: str) -> int:
    tenant_id = conn.execute(select(tenants.c.id).where(tenants.c.name == name)).scalar()
    if tenant_id is None:
        raise NotFound(f"no tenant named {name!r}")
    return tenant_id


def _revoke_all(conn, tenant_id: int) -> int:
    return conn.execute(
        update(api_keys)
        .where(api_keys.c.tenant_id == tenant_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount


def create_tenant(db: Database, name: str) -> tuple[Tenant, str]:
    """A new tenant and its first API key (shown once: only its hash is kept)."""
    name = _check_name(name)
    now = utcnow()
    try:
        with db.transaction() as conn:
            if conn.execute(select(tenants.c.id).where(tenants.c.name == name)).first():
                raise Conflict(f"a tenant named {name!r} exists")
            tenant_id = conn.execute(
                insert(tenants).values(name=name, created_at=now).returning(tenants.c.id)
            ).scalar_one()
            key = _issue_key(conn, tenant_id)
    except IntegrityError:  # created concurrently by another process
        raise Conflict(f"a tenant named {name!r} exists") from None
    return Tenant(tenant_id, name, now, (key[:KEY_PREFIX_LEN],)), key


def rotate_key(db: Database, name: str, overlap: timedelta = timedelta(0)) -> str:
    """Issue a new key for the tenant and retire the others: at once, or after `overlap`, so
    that clients can switch to the new key while the old one still works (no downtime)."""
    with db.transaction() as conn:
        tenant_id = _tenant_id(conn, name)
        if overlap <= timedelta(0):
            _revoke_all(conn, tenant_id)
        else:
            until = utcnow() + overlap
            active = (api_keys.c.tenant_id == tenant_id) & api_keys.c.revoked_at.is_(None)
            conn.execute(
                update(api_keys)
                .where(active, api_keys.c.expires_at.is_(None) | (api_keys.c.expires_at > until))
                .values(expires_at=until)
            )
        return _issue_key(conn, tenant_id)


def add_key(db: Database, name: str, scope: str = "read_write", expires_at: datetime | None = None) -> str:
    """Issue one more key for the tenant, leaving its other keys valid (a tool's own key,
    perhaps read-only or short-lived)."""
    with db.transaction() as conn:
        return _issue_key(conn, _tenant_id(conn, name), scope, expires_at)


def revoke_key(db: Database, key: str) -> bool:
    """Revoke this one key; True when it was active."""
    with db.transaction() as conn:
        return bool(
            conn.execute(
                update(api_keys)
                .where(api_keys.c.key_hash == _hash(key), api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
        )


def revoke_keys(db: Database, name: str) -> int:
    """Revoke every key of the tenant (it can no longer authenticate); returns how many."""
    with db.transaction() as conn:
        return _revoke_all(conn, _tenant_id(conn, name))


def get_tenant(db: Database, name: str) -> Tenant:
    with db.connect() as conn:
        row = conn.execute(select(tenants).where(tenants.c.name == name)).first()
    if row is None:
        raise NotFound(f"no tenant named {name!r}")
    return Tenant(row.id, row.name, row.created_at)


def list_tenants(db: Database) -> list[Tenant]:
    """Every tenant by id, with the prefixes of its active keys."""
    with db.connect() as conn:
        rows = conn.execute(select(tenants).order_by(tenants.c.id)).all()
        keys = conn.execute(
            select(api_keys.c.tenant_id, api_keys.c.key_prefix)
            .where(
                api_keys.c.revoked_at.is_(None), api_keys.c.expires_at.is_(None) | (api_keys.c.expires_at > utcnow())
            )
            .order_by(api_keys.c.tenant_id, api_keys.c.id)
        ).all()
    prefixes: dict[int, list[str]] = {}
    for tenant_id, prefix in keys:
        prefixes.setdefault(tenant_id, []).append(prefix)
    return [Tenant(r.id, r.name, r.created_at, tuple(prefixes.get(r.id, ()))) for r in rows]


def authenticate(db: Database, key: str | None) -> int | None:
    """The id of the tenant owning this active, unexpired key, or None."""
    grant = check_key(db, key)
    return None if grant is None or grant.expired else grant.tenant_id


def check_key(db: Database, key: str | None) -> Grant | None:
    """What this key may do, expired or not; None when it is unknown or revoked."""
    if not isinstance(key, str) or not key.startswith(KEY_SCHEME) or not 20 <= len(key) <= 200:
        return None
    return check_digest(db, key[:KEY_PREFIX_LEN], _hash(key))


def key_digest(key: str) -> tuple[str, str]:
    """A key as the store knows it (its prefix and SHA-256): what a session may keep instead of
    the key itself, which check_digest accepts and the API's bearer check does not."""
    return key[:KEY_PREFIX_LEN], _hash(key)


def check_digest(db: Database, prefix: str, digest: str) -> Grant | None:
    """check_key for a key_digest."""
    if not (isinstance(prefix, str) and isinstance(digest, str) and len(digest) == 64):
        return None
    with db.connect() as conn:
        rows = conn.execute(
            select(api_keys.c.tenant_id, api_keys.c.key_hash, api_keys.c.scope, api_keys.c.expires_at).where(
                api_keys.c.key_prefix == prefix, api_keys.c.revoked_at.is_(None)
            )
        ).all()
    found = None
    for row in rows:  # no early exit: the time taken does not depend on which row matched
        if hmac.compare_digest(row.key_hash.encode("ascii"), digest.encode("ascii", "replace")):
            found = Grant(row.tenant_id, prefix, row.scope, row.expires_at)
    return found
