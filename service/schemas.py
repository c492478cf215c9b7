"""JSON Schemas of the tenant resources: the request contract, published in OpenAPI and
enforced by service/validation.py. Protected attributes are refused before schema checks."""

from __future__ import annotations

# A text that is not only white space and holds no NUL character (no database text column can
# hold one); written so that matching it never backtracks more than linearly. White space is
# spelled out: `\s` means other characters in other regular-expression dialects.
WHITESPACE = " \t\n\r\f\v"
NOT_BLANK = r"^[ \t\n\r\f\v]*[^ \t\n\r\f\v\x00][^\x00]*$"
NO_NUL = r"^[^\x00]*$"
# an item of a comma-separated query parameter: the same, without commas
LIST_ITEM = r"^[ \t\n\r\f\v]*[^ \t\n\r\f\v\x00,][^\x00,]*$"

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

_TEXT = {"type": "string", "maxLength": 50_000, "pattern": NO_NUL}
_SHORT = {"type": "string", "minLength": 1, "maxLength": 300, "pattern": NOT_BLANK}
_EXTERNAL_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "pattern": NOT_BLANK,
    "description": "the platform's own id; unique per tenant and kind",
}
_REGION_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": 40,
    "pattern": NOT_BLANK,
    "description": "a region id from /v1/regions; one the reference data does not hold is refused with 422",
}
_LOCATION = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "pattern": NOT_BLANK,
    "description": "free text, e.g. 'Fort Wayne, IN'",
}

SKILL_ITEM = {
    "anyOf": [
        {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["skill"],
            "properties": {
                "skill": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "pattern": NOT_BLANK,
                    "description": "free text or ESCO skill URI",
                },
                "years": {"type": "number", "minimum": 0, "maximum": 60},
                "level": {"type": "string", "enum": ["beginner", "intermediate", "advanced", "expert"]},
            },
        },
    ],
    "description": "a skill: free text or an ESCO URI, or {skill, years, level}; a skill that links to no ESCO "
    "skill is kept and flagged (understood.unlinked_skills), never refused",
}
_SKILLS = {"type": "array", "maxItems": 200, "items": SKILL_ITEM}
_CURRENCY = {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217 code, e.g. USD"}
_MONEY_RANGE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "min": {"type": "number", "minimum": 0},
        "max": {"type": "number", "minimum": 0},
        "currency": _CURRENCY,
        "period": {"type": "string", "enum": ["year", "month", "hour"]},
    },
}

CANDIDATE = {
    "type": "object",
    "examples": [
        {
            "external_id": "c-42",
            "headline": "Wind turbine technician",
            "summary": "Six years maintaining wind turbines; hydraulics and electrical troubleshooting.",
            "skills": ["wind turbine maintenance", {"skill": "hydraulics", "years": 4}],
            "location": "Fort Wayne, IN",
            "willing_to_relocate": True,
            "remote_ok": False,
        }
    ],
    "additionalProperties": False,
    "required": ["external_id"],
    "properties": {
        "external_id": _EXTERNAL_ID,
        "headline": _SHORT,
        "summary": {**_TEXT, "description": "free-text summary or the CV itself"},
        "skills": _SKILLS,
        "location": _LOCATION,
        "region_id": _REGION_ID,
        "languages": {
            "type": "array",
            "maxItems": 20,
            "items": {"type": "string", "minLength": 2, "maxLength": 40, "pattern": NOT_BLANK},
            "description": "ISO 639-1 codes or English names (es, Spanish)",
        },
        "willing_to_relocate": {"type": "boolean"},
        "remote_ok": {"type": "boolean"},
        "desired_roles": {"type": "array", "maxItems": 20, "items": _SHORT},
        "salary_expectation": _MONEY_RANGE,
    },
}

NEED = {
    "type": "object",
    "examples": [
        {
            "external_id": "n-7",
            "employer": "Allen County Wind",
            "title": "Wind technician",
            "description": "Maintain and repair turbines; climb towers; read hydraulic schematics.",
            "required_skills": ["wind turbine maintenance"],
            "nice_to_have_skills": ["hydraulics"],
            "location": "Fort Wayne, IN",
            "remote_policy": "onsite",
            "openings": 3,
            "status": "open",
        }
    ],
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
    "examples": [
        {
            "external_id": "p-3",
            "provider": "Northeast Indiana Technical College",
            "title": "Wind energy technology",
            "skills_taught": ["wind turbine maintenance", "hydraulics"],
            "location": "Fort Wayne, IN",
            "delivery": "hybrid",
            "hours": 120,
            "cost": 2400,
            "currency": "USD",
            "certification": "GWO Basic Safety",
            "next_start_date": "2027-01-11",
        }
    ],
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
        "cost": {"type": "number", "minimum": 0, "maximum": 1_000_000_000},
        "currency": _CURRENCY,
        "certification": _SHORT,
        "next_start_date": {"type": "string", "format": "date", "description": "YYYY-MM-DD"},
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
