"""What several console pages share: the signed-in tenant, paging, the occupation of a SOC."""

from __future__ import annotations

from flask import g

from service.runtime import runtime

PAGE_SIZE = 25


def tenant() -> int:
    return g.console_tenant  # set by session.before_request after the key checked out


def occupation_title(soc: str | None) -> str | None:
    if not soc:
        return None
    occ = runtime().require_reference().titles.soc(soc)
    return occ["title"] if occ else None


def region_of(region_id: str | None):
    return runtime().require_reference().regions.get(region_id) if region_id else None


def record_context(record: dict) -> dict:
    """What a record's page shows of it: the document as given and what was understood."""
    understood = record["understood"]
    occupation = understood.get("occupation") or {}
    return {
        "record": record,
        "data": record["data"],
        "understood": understood,
        "occupation": occupation,
        "occupation_title": occupation.get("title") or occupation_title(occupation.get("soc")),
    }
