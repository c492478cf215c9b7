"""Language services: skills from text, skill search, title normalisation, title skills."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from models.errors import NotFound
from service.api.spec import operation, param
from service.runtime import reference
from service.validation import json_body, query_int, query_str

bp = Blueprint("language", __name__, url_prefix="/v1")


def _settings():
    return current_app.config["SETTINGS"]


def _text_schema(field: str, max_length: int | None, description: str) -> dict:
    """None for `max_length` when a setting bounds the text (checked by `_body`, 413)."""
    text = {"type": "string", "minLength": 1, "description": description}
    if max_length is not None:
        text["maxLength"] = max_length
    return {
        "type": "object",
        "required": [field],
        "additionalProperties": False,
        "properties": {
            field: text,
            "limit": {"type": "integer", "minimum": 1, "maximum": 200, "description": "most results returned"},
        },
    }


SKILL_HIT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "ESCO skill URI"},
        "label": {"type": "string"},
        "score": {"type": "number"},
        "evidence": {"type": "string", "description": "the sentence or span the skill was found in"},
        "offset": {
            "type": "integer",
            "description": "character offset of the evidence in the text (-1 if not located)",
        },
        "exact": {"type": "boolean", "description": "a label of the skill occurs verbatim"},
    },
}
SKILL_LIST = {"type": "object", "properties": {"skills": {"type": "array", "items": SKILL_HIT}}}
EXTRACTED = {
    "type": "object",
    "properties": {
        "language": {"type": "string", "description": "ISO 639-1 code of the text's language"},
        "skills": {"type": "array", "items": SKILL_HIT},
    },
}
TEXT_LIMIT_DOC = "at most TALENT_MAX_TEXT_CHARS characters (default 50,000); longer gives 413"


def _body(field: str, description: str) -> dict:
    settings = _settings()
    body = json_body(request, _text_schema(field, None, description), settings.max_body_bytes)
    if len(body[field]) > settings.max_text_chars:
        from models.errors import TooLarge

        raise TooLarge(
            f"{field} is {len(body[field])} characters; the limit is {settings.max_text_chars}",
            {"field": field, "limit": settings.max_text_chars},
        )
    return body


@bp.post("/skills/extract")
@operation(
    "ESCO skills a CV or job ad mentions or implies, ranked, with the sentence or span each came from, "
    "and the language of the text (ISO 639-1; English labels whatever the language)",
    tag="language",
    body=_text_schema("text", None, f"CV or job ad text; {TEXT_LIMIT_DOC}"),
    response=EXTRACTED,
    errors=(400, 413, 503),
)
def extract_skills():
    body = _body("text", "")
    ref = reference()
    hits = ref.skills.extract(body["text"], k=body.get("limit", 30))
    return jsonify({"language": ref.language_of(body["text"]), "skills": [h.to_dict() for h in hits]})


@bp.get("/skills/search")
@operation(
    "Ranked ESCO skills for a short query",
    tag="language",
    params=[
        param("q", required=True, description="the query, e.g. 'wind turbine maintenance'"),
        param("limit", schema={"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
    ],
    response=SKILL_LIST,
    errors=(400, 503),
)
def search_skills():
    q = query_str(request.args, "q", required=True, max_length=500)
    limit = query_int(request.args, "limit", 10, 1, 100)
    hits = reference().skills.search(q, k=limit)
    return jsonify({"query": q, "skills": [h.to_dict() for h in hits]})


OCCUPATION_HIT = {
    "type": "object",
    "properties": {"soc": {"type": "string"}, "title": {"type": "string"}, "score": {"type": "number"}},
}


@bp.post("/titles/normalize")
@operation(
    "Ranked SOC 2018 occupations (and the nearest ESCO occupations) for a job title. Each occupation's "
    'score is the title classifier\'s probability; `status` is "confident" when the first reaches 0.5, '
    'else "uncertain": the title does not decide between the occupations listed',
    tag="language",
    body=_text_schema("title", 300, "job title as typed by a person"),
    response={
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "cleaned": {
                "type": "string",
                "description": "the title as matched: abbreviations spelled out, "
                "seniority and grades dropped, misspellings corrected; a title in another language "
                "is read as the nearest known English title, shown here",
            },
            "status": {"type": "string", "enum": ["confident", "uncertain"]},
            "confidence": {"type": "number"},
            "occupations": {"type": "array", "items": OCCUPATION_HIT},
            "esco_occupations": {"type": "array", "items": {"type": "object"}},
        },
    },
    errors=(400, 413, 503),
)
def normalize_title():
    body = json_body(request, _text_schema("title", 300, ""), _settings().max_body_bytes)
    limit = body.get("limit", 5)
    titles = reference().titles
    answer = titles.decide(body["title"], k=limit)
    return jsonify({**answer, "esco_occupations": titles.nearest_esco(body["title"], k=limit)})


@bp.post("/titles/skills")
@operation(
    "The skills a job with this title needs, ranked",
    tag="language",
    body=_text_schema("title", 300, "job title as typed by a person"),
    response=SKILL_LIST,
    errors=(400, 413, 503),
)
def title_skills():
    body = json_body(request, _text_schema("title", 300, ""), _settings().max_body_bytes)
    ref = reference()
    result = ref.title_skills(body["title"], k=body.get("limit", 20))
    return jsonify(result)


@bp.get("/occupations/<soc>")
@operation(
    "One SOC 2018 occupation: titles, O*NET task statements and detailed work activities, bridged "
    "ESCO occupations, and the skills its market role requires and welcomes",
    tag="language",
    params=[param("soc", "path", description="SOC 2018 detailed code, e.g. 49-9081")],
    response={
        "type": "object",
        "properties": {
            "soc": {"type": "string"},
            "title": {"type": "string"},
            "onet_titles": {"type": "array", "items": {"type": "string"}},
            "tasks": {"type": "array", "items": {"type": "string"}},
            "activities": {"type": "array", "items": {"type": "string"}},
            "esco_occupations": {"type": "array", "items": {"type": "object"}},
            "skills": {
                "type": "object",
                "properties": {"required": {"type": "array"}, "nice_to_have": {"type": "array"}},
            },
        },
    },
    errors=(404, 503),
)
def get_occupation(soc: str):
    occupation = reference().occupation(soc)
    if occupation is None:
        raise NotFound(f"no SOC 2018 detailed occupation {soc!r}", {"soc": soc})
    return jsonify(occupation)
