"""JSON Schemas of the tenant resources: the request contract, published in OpenAPI and
enforced by service/validation.py. Protected attributes are refused before schema checks."""

from __future__ import annotations

PROTECTED_ATTRIBUTES = {
    "sex",
    "gender",
    "age",
    "date_of_birth",
    "dob",
    "birth_date",
    "birthdate",
    "birthday",
    "year_of_birth",
    "ethnicity",
    "race",
    "nationality_origin",
    "ethnic_origin",
    "religion",
    "religious_belief",
    "faith",
    "disability",
    "disabilities",
    "health_condition",
    "marital_status",
    "married",
    "family_status",
    "photo",
    "photo_url",
    "picture",
    "headshot",
    "avatar",
}

_TEXT = {"type": "string", "maxLength": 50_000}
_SHORT = {"type": "string", "minLength": 1, "maxLength": 300}
_EXTERNAL_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "description": "the platform's own id; unique per tenant and kind",
}
_REGION_ID = {"type": "string", "minLength": 1, "maxLength": 40, "description": "a region id from /v1/regions"}
_LOCATION = {"type": "string", "minLength": 1, "maxLength": 200, "description": "free text, e.g. 'Fort Wayne, IN'"}

SKILL_ITEM = {
    "anyOf": [
        {"type": "string", "minLength": 1, "maxLength": 200},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["skill"],
            "properties": {
                "skill": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "description": "free text or ESCO skill URI",
                },
                "years": {"type": "number", "minimum": 0, "maximum": 60},
                "level": {"type": "string", "enum": ["beginner", "intermediate", "advanced", "expert"]},
            },
        },
    ],
    "description": "a skill: free text or an ESCO URI, or {skill, years, level}",
}
_SKILLS = {"type": "array", "maxItems": 200, "items": SKILL_ITEM}
_MONEY_RANGE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "min": {"type": "number", "minimum": 0},
        "max": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "minLength": 3, "maxLength": 3},
        "period": {"type": "string", "enum": ["year", "month", "hour"]},
    },
}

CANDIDATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["external_id"],
    "properties": {
        "external_id": _EXTERNAL_ID,
        "headline": _SHORT,
        "summary": {**_TEXT, "description": "free-text summary or the CV itself"},
        "skills": _SKILLS,
        "location": _LOCATION,
        "region_id": _REGION_ID,
        "languages": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 2, "maxLength": 40}},
        "willing_to_relocate": {"type": "boolean"},
        "remote_ok": {"type": "boolean"},
        "desired_roles": {"type": "array", "maxItems": 20, "items": _SHORT},
        "salary_expectation": _MONEY_RANGE,
    },
}

NEED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["external_id", "title"],
    "properties": {
        "external_id": _EXTERNAL_ID,
        "employer": _SHORT,
        "title": _SHORT,
        "description": _TEXT,
        "required_skills": _SKILLS,
        "nice_to_have_skills": _SKILLS,
        "location": _LOCATION,
        "region_id": _REGION_ID,
        "remote_policy": {"type": "string", "enum": ["onsite", "hybrid", "remote"]},
        "salary_range": _MONEY_RANGE,
        "openings": {"type": "integer", "minimum": 1, "maximum": 100_000},
        "status": {"type": "string", "enum": ["open", "closed"]},
    },
}

PROGRAM = {
    "type": "object",
    "additionalProperties": False,
    "required": ["external_id", "provider", "title"],
    "properties": {
        "external_id": _EXTERNAL_ID,
        "provider": _SHORT,
        "title": _SHORT,
        "description": _TEXT,
        "location": _LOCATION,
        "region_id": _REGION_ID,
        "delivery": {"type": "string", "enum": ["in_person", "online", "hybrid"]},
        "skills_taught": _SKILLS,
        "hours": {"type": "number", "minimum": 0, "maximum": 10_000},
        "cost": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "minLength": 3, "maxLength": 3},
        "certification": _SHORT,
        "next_start_date": {"type": "string", "minLength": 10, "maxLength": 10, "description": "YYYY-MM-DD"},
    },
}

RESOURCE_SCHEMAS = {"candidate": CANDIDATE, "need": NEED, "program": PROGRAM}


def protected_fields(value, path: str = "$") -> list[str]:
    """JSON paths of protected attributes anywhere in a document."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if key.strip().lower().replace("-", "_").replace(" ", "_") in PROTECTED_ATTRIBUTES:
                found.append(here)
            found += protected_fields(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += protected_fields(item, f"{path}[{i}]")
    return found
