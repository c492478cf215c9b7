"""Language services: skills from text, skill search, title normalisation, title skills."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from models.core.errors import NotFound, TooLarge
from service.api.spec import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    array,
    described,
    integer,
    nullable,
    obj,
    operation,
    param,
    text,
)
from service.runtime import reference
from service.schemas import NOT_BLANK

bp = Blueprint("language", __name__, url_prefix="/v1")


def _settings():
    return current_app.config["SETTINGS"]


def _text_schema(field: str, max_length: int | None, description: str, default_limit: int, example: str) -> dict:
    """None for `max_length` when a setting bounds the text (checked by the view, 413)."""
    value = {"type": "string", "minLength": 1, "pattern": NOT_BLANK, "description": description}
    if max_length is not None:
        value["maxLength"] = max_length
    return {
        "type": "object",
        "required": [field],
        "additionalProperties": False,
        "examples": [{field: example, "limit": 5}],
        "properties": {
            field: value,
            "limit": {**integer(1, 200, default_limit), "description": "most results returned"},
        },
    }


SKILL_HIT = obj(
    {
        "id": described(STRING, "ESCO skill URI"),
        "label": STRING,
        "score": NUMBER,
        "evidence": described(STRING, "the sentence or span the skill was found in"),
        "offset": described(INTEGER, "character offset of the evidence in the text (-1 if not located)"),
        "exact": described(BOOLEAN, "a label of the skill occurs verbatim"),
    }
)
SKILL_SEARCH = obj({"query": STRING, "skills": array(SKILL_HIT)})
EXTRACTED = obj({"language": described(STRING, "ISO 639-1 code of the text's language"), "skills": array(SKILL_HIT)})
_ESCO_OCCUPATION = obj(
    {"id": described(STRING, "ESCO occupation URI"), "label": STRING, "score": NUMBER}, optional=("score",)
)
OCCUPATION_HIT = obj({"soc": STRING, "title": STRING, "score": NUMBER})
TITLE_SKILLS = obj(
    {
        "title": STRING,
        "occupations": array(OCCUPATION_HIT),
        "esco_occupation": nullable(_ESCO_OCCUPATION),
        "skills": array(obj({"id": STRING, "label": STRING, "score": NUMBER})),
    }
)
_ROLE_SKILL = obj(
    {"id": STRING, "label": STRING, "weight": NUMBER, "sources": array(STRING)}, optional=("weight", "sources")
)
OCCUPATION = obj(
    {
        "soc": STRING,
        "title": STRING,
        "onet_titles": array(STRING),
        "job_zone": nullable(NUMBER, "O*NET preparation level, 1-5"),
        "related": array(obj({"soc": STRING, "title": nullable(STRING), "tier": INTEGER})),
        "tasks": array(STRING),
        "activities": array(STRING),
        "esco_occupations": array(_ESCO_OCCUPATION),
        "skills": obj({"required": array(_ROLE_SKILL), "nice_to_have": array(_ROLE_SKILL)}),
    }
)
TEXT_LIMIT_DOC = "at most TALENT_MAX_TEXT_CHARS characters (default 50,000); longer gives 413"
TITLE = _text_schema("title", 300, "job title as typed by a person", 5, "wind tech")


@bp.post("/skills/extract")
@operation(
    "ESCO skills a CV or job ad mentions or implies, ranked, with the sentence or span each came from, "
    "and the language of the text (ISO 639-1; English labels whatever the language)",
    tag="language",
    body=_text_schema(
        "text",
        None,
        f"CV or job ad text; {TEXT_LIMIT_DOC}",
        30,
        "Maintained wind turbines and wrote Python scripts to analyse SCADA data.",
    ),
    response=EXTRACTED,
    errors=(503,),
    explain={413: f"the body, or the text ({TEXT_LIMIT_DOC})"},
)
def extract_skills(body: dict):
    limit = _settings().max_text_chars
    if len(body["text"]) > limit:
        raise TooLarge(
            f"text is {len(body['text'])} characters; the limit is {limit}", {"field": "text", "limit": limit}
        )
    ref = reference()
    hits = ref.skills.extract(body["text"], k=body.get("limit", 30))
    return jsonify({"language": ref.language_of(body["text"]), "skills": [h.to_dict() for h in hits]})


@bp.get("/skills/search")
@operation(
    "Ranked ESCO skills for a short query",
    tag="language",
    params=[
        param("q", required=True, schema=text(500), description="the query", example="wind turbine maintenance"),
        param("limit", schema=integer(1, 100, 10)),
    ],
    response=SKILL_SEARCH,
    errors=(503,),
)
def search_skills(query: dict):
    hits = reference().skills.search(query["q"], k=query["limit"])
    return jsonify({"query": query["q"], "skills": [h.to_dict() for h in hits]})


@bp.post("/titles/normalize")
@operation(
    "Ranked SOC 2018 occupations (and the nearest ESCO occupations) for a job title. Each occupation's "
    'score is the title classifier\'s probability; `status` is "confident" when the first reaches 0.5, '
    'else "uncertain": the title does not decide between the occupations listed',
    tag="language",
    body=TITLE,
    response=obj(
        {
            "title": STRING,
            "cleaned": described(
                STRING,
                "the title as matched: abbreviations spelled out, seniority and grades dropped, misspellings "
                "corrected; a title in another language is read as the nearest known English title, shown here",
            ),
            "status": {"type": "string", "enum": ["confident", "uncertain"]},
            "confidence": NUMBER,
            "occupations": array(OCCUPATION_HIT),
            "esco_occupations": array(_ESCO_OCCUPATION),
        }
    ),
    errors=(503,),
)
def normalize_title(body: dict):
    limit = body.get("limit", 5)
    titles = reference().titles
    answer = titles.decide(body["title"], k=limit)
    return jsonify({**answer, "esco_occupations": titles.nearest_esco(body["title"], k=limit)})


@bp.post("/titles/skills")
@operation(
    "The skills a job with this title needs, ranked",
    tag="language",
    body=_text_schema("title", 300, "job title as typed by a person", 20, "data engineer"),
    response=TITLE_SKILLS,
    errors=(503,),
)
def title_skills(body: dict):
    ref = reference()
    result = ref.title_skills(body["title"], k=body.get("limit", 20))
    return jsonify(result)


@bp.get("/occupations/<soc>")
@operation(
    "One SOC 2018 occupation: titles, O*NET task statements and detailed work activities, bridged "
    "ESCO occupations, and the skills its market role requires and welcomes",
    tag="language",
    params=[param("soc", "path", schema=text(20), description="SOC 2018 detailed code", example="49-9081")],
    response=OCCUPATION,
    errors=(404, 503),
)
def get_occupation(soc: str):
    occupation = reference().occupation(soc)
    if occupation is None:
        raise NotFound(f"no SOC 2018 detailed occupation {soc!r}", {"soc": soc})
    return jsonify(occupation)
