"""What scoring needs from one stored record (skill ids, region, preferences, occupation).

Matching ranks hundreds of records per request and the talent map scores a tenant's
candidates, so these are kept beside the FAISS index, in step with the database through the
change-log replay (models/tenants/tenant_index.py, models/tenants/feature_views.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from models.core.language import language_key

TEXT_SKILL_WEIGHT = 0.7  # a skill found in free text is weaker evidence than a listed one


@dataclass(slots=True)
class Features:
    id: int
    external_id: str
    skills: dict[str, float]  # ESCO URI -> weight (1.0 listed / required, lower for text or nice-to-have)
    required: tuple[str, ...] = ()  # needs: required skills; others: empty
    nice: tuple[str, ...] = ()  # needs: nice-to-have skills
    region_id: str | None = None
    soc: str | None = None  # a candidate's own occupation (the anchor of matches), a need's occupation
    title: str = ""
    remote_ok: bool = False
    relocate: bool = False
    languages: tuple[str, ...] = ()
    remote_policy: str = "onsite"
    status: str | None = None
    openings: int = 1
    delivery: str = "in_person"
    hours: float = 0.0
    cost: float = 0.0
    extra: dict = field(default_factory=dict)
    # candidates: the occupation's rivals [(SOC, score)], its certainty and a career target
    occupations: tuple[tuple[str, float], ...] = ()
    uncertain: bool = False
    target_soc: str | None = None


def _listed(understood: dict, role: str | None = None) -> list[str]:
    return [sys.intern(s["id"]) for s in understood.get("skills", []) if role is None or s.get("role") == role]


def features_of(kind: str, record_id: int, external_id: str, data: dict, understood: dict) -> Features:
    """What scoring needs from one stored record."""
    region = (understood.get("region") or {}).get("id")
    occupation = understood.get("occupation") or {}
    soc = occupation.get("soc")
    # interned: a tenant's records share a few thousand skill URIs, and a JSON parse makes a
    # fresh string per occurrence (~30 per record, ~130 bytes each) that a large tenant keeps
    text = [sys.intern(s["id"]) for s in understood.get("text_skills", [])]
    if kind == "need":
        required = tuple(dict.fromkeys(_listed(understood, "required")))
        nice = tuple(s for s in dict.fromkeys(_listed(understood, "nice_to_have")) if s not in required)
        if not required:  # a need that lists nothing required: what its description asks for
            required = tuple(s for s in text[:8] if s not in nice)
        skills = {s: TEXT_SKILL_WEIGHT for s in text}
        skills.update({s: 0.5 for s in nice})
        skills.update({s: 1.0 for s in required})
        return Features(
            record_id,
            external_id,
            skills,
            required,
            nice,
            region,
            soc,
            data.get("title", ""),
            remote_policy=data.get("remote_policy", "onsite"),
            status=data.get("status", "open"),
            openings=int(data.get("openings", 1)),
            extra={"employer": data.get("employer"), "salary_range": data.get("salary_range")},
        )
    skills = {s: TEXT_SKILL_WEIGHT for s in text}
    skills.update({s: 1.0 for s in _listed(understood)})
    if kind == "candidate":
        return Features(
            record_id,
            external_id,
            skills,
            region_id=region,
            soc=soc,
            title=data.get("headline", ""),
            remote_ok=bool(data.get("remote_ok")),
            relocate=bool(data.get("willing_to_relocate")),
            # the language a CV is written in is one its author reads and writes
            languages=tuple(
                dict.fromkeys(
                    language_key(x) for x in [*data.get("languages", []), understood.get("language") or ""] if x.strip()
                )
            ),
            occupations=tuple((sys.intern(c["soc"]), float(c["score"])) for c in occupation.get("candidates", [])),
            uncertain=occupation.get("status") == "uncertain",
            target_soc=(occupation.get("career_target") or {}).get("soc"),
        )
    return Features(  # program
        record_id,
        external_id,
        skills,
        region_id=region,
        title=data.get("title", ""),
        delivery=data.get("delivery", "in_person"),
        hours=float(data.get("hours") or 0),
        cost=float(data.get("cost") or 0),
        extra={
            "provider": data.get("provider"),
            "certification": data.get("certification"),
            "next_start_date": data.get("next_start_date"),
        },
    )
