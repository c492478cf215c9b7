"""API keys: `Authorization: Bearer <key>` identifies the tenant of every tenant-data request."""
from __future__ import annotations

from flask import g, request

from models.errors import DomainError
from models.store import tenants
from service.runtime import runtime


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def current_tenant() -> int:
    """The tenant id of this request's key; 401 when the key is missing, unknown or revoked."""
    if "tenant_id" in g:
        return g.tenant_id
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("send the tenant's API key as 'Authorization: Bearer <key>'")
    tenant_id = tenants.authenticate(runtime().database, key.strip())
    if tenant_id is None:
        raise Unauthorized("the API key is unknown or revoked")
    g.tenant_id = tenant_id
    return tenant_id
