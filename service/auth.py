"""API keys: `Authorization: Bearer <key>` identifies the tenant of every tenant-data request.

A key may be read-only (writes get 403) and may expire (401 once it has); see
models/tenants/store/tenants.py for how keys are issued, rotated and stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import g, request, stream_with_context

from models.core.errors import DomainError
from models.tenants.store import audit, tenants
from service import limits
from service.headers import request_id
from service.runtime import runtime


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "read_only_key"


def current_grant() -> tenants.Grant:
    """This request's key (the Authorization header, or the console's before_request); 401
    when it is missing, unknown, revoked or expired."""
    if "grant" in g:
        return g.grant
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("send the tenant's API key as 'Authorization: Bearer <key>'")
    return authenticate(key.strip())


def authenticate(key: str | None = None, digest: tuple[str, str] | None = None) -> tenants.Grant:
    """Check a key for this request (the API's bearer key, a key typed into the console's
    sign-in, or the digest its session keeps): 401 when unknown, revoked or expired, 429 after
    too many failures from this address."""
    limits.check_auth_allowed()
    db = runtime().database
    grant = tenants.check_key(db, key) if digest is None else tenants.check_digest(db, *digest)
    if grant is None or grant.expired:
        limits.auth_failed()
    if grant is None:
        raise Unauthorized("the API key is unknown or revoked")
    if grant.expired:
        raise Unauthorized(
            f"the API key expired at {grant.expires_at.isoformat(timespec='seconds')}; use its successor",
            code="key_expired",
        )
    g.grant = grant
    # who is acting, for the audit log of whatever this request writes (reset at teardown)
    g.audit_token = audit.ACTOR.set(
        audit.Actor(grant.key_prefix, (request.endpoint or "").rpartition(".")[2], request_id())
    )
    return grant


def streamed(generate: Callable[[], Iterator[str]]) -> Iterator[str]:
    """A streamed response body that writes under this request's actor: a stream is read
    after the view has returned, outside the context where the key was checked."""
    actor = audit.ACTOR.get()

    def run() -> Iterator[str]:
        token = audit.ACTOR.set(actor)
        try:
            yield from generate()
        finally:
            audit.ACTOR.reset(token)

    return stream_with_context(run())


def forget_actor(_exc: BaseException | None = None) -> None:
    token = g.pop("audit_token", None)
    if token is not None:
        audit.ACTOR.reset(token)


def current_tenant(write: bool = False) -> int:
    """The tenant id of this request's key; with `write`, 403 for a read-only key."""
    grant = current_grant()
    if write and grant.scope != "read_write":
        raise Forbidden("this API key is read-only; writing needs a read_write key")
    return grant.tenant_id
