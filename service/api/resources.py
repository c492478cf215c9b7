"""Tenant resources: candidates, needs (employer roles) and programs (training programmes).

The same routes for each kind: create, get, list, replace, patch, delete, NDJSON bulk upsert
and NDJSON export. Every route needs the tenant's API key; another tenant's id is a 404.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from flask import Blueprint, Response, jsonify

from models.core.errors import DatabaseUnavailable, DomainError, InvalidInput, TooLarge
from models.tenants.record_pipeline import BulkLine
from service.api.spec import (
    COUNT,
    ID,
    INTEGER,
    NDJSON,
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
from service.auth import current_tenant, streamed
from service.headers import request_id
from service.runtime import runtime
from service.schemas import RESOURCE_SCHEMAS
from service.validation import check_document, loads

PLURAL = {"candidate": "candidates", "need": "needs", "program": "programs"}
UNKNOWN_REFERENCE = "a region_id the reference data does not hold"
CURSOR = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,200}$", "description": "next_cursor of the previous page"}
TIME = {"type": "string", "format": "date-time"}
VERSION = {"type": "integer", "minimum": 1}
_STRING_OR_NULL = nullable(STRING)
_LINKED_SKILL = obj(
    {
        "id": described(STRING, "ESCO skill URI"),
        "label": STRING,
        "score": NUMBER,
        "role": nullable(STRING, "needs: required or nice_to_have"),
        "given": described(STRING, "the skill as the record lists it"),
        "linked_by": described(STRING, "how it was linked (URI, label, meaning)"),
        "years": NUMBER,
        "level": STRING,
    },
    optional=("role", "years", "level"),
)
_REGION_UNDERSTOOD = {
    "description": "the region, from region_id or resolved from the location; a location that resolves to no "
    "region is kept (unresolved); null without either",
    "anyOf": [
        obj(
            {
                "id": STRING,
                "name": STRING,
                "kind": STRING,
                "resolved_from": {"enum": ["region_id", "location"]},
                "score": NUMBER,
                "reason": STRING,
            },
            optional=("score", "reason"),
        ),
        obj({"id": {"type": "null"}, "unresolved": STRING}),
        {"type": "null"},
    ],
}
UNDERSTOOD = obj(
    {
        "language": nullable(STRING, "ISO 639-1 code of the record's language"),
        "skills": array(_LINKED_SKILL, "listed skills linked to ESCO"),
        "text_skills": array(
            obj({"id": STRING, "label": STRING, "score": NUMBER, "evidence": STRING}),
            "skills found in the free text, with the sentence each came from",
        ),
        "unlinked_skills": array(obj({"given": STRING}), "listed strings that link to no ESCO skill: kept, flagged"),
        "occupation": nullable(obj({"soc": STRING, "title": STRING}), "the SOC 2018 occupation the record was read as"),
        "region": _REGION_UNDERSTOOD,
    },
    optional=("language",),
    description="what the service derived from the record",
)


def _link(operation_id: str, parameter: str, description: str) -> dict:
    return {"operationId": operation_id, "parameters": {parameter: "$response.body#/id"}, "description": description}


RECOMMENDATION_LINKS = {
    "candidate": {
        "CandidateMatches": _link("recommendations_candidate_matches_get", "candidate_id", "the candidate's matches"),
        "CandidateGap": _link("recommendations_candidate_gap_get", "candidate_id", "the candidate's gap to a role"),
    },
    "need": {
        "NeedCandidates": _link("recommendations_need_candidates_get", "need_id", "candidates for the need"),
        "NeedTalentMap": _link("recommendations_talent_map_get", "need", "the talent map of the need"),
    },
    "program": {},
}
_ERROR_BODY = obj({"code": STRING, "message": STRING, "details": {}})
_LINE = {"type": "integer", "minimum": 1}
BULK_RESULT = array(
    {
        "anyOf": [
            obj(
                {
                    "line": _LINE,
                    "status": {"enum": ["created", "updated"]},
                    "id": INTEGER,
                    "external_id": STRING,
                    "version": VERSION,
                }
            ),
            obj({"line": _LINE, "status": {"const": "error"}, "error": _ERROR_BODY}),
            obj({"summary": obj(dict.fromkeys(("created", "updated", "error", "lines"), COUNT))}),
            obj({"error": _ERROR_BODY}),
        ]
    },
    "NDJSON (described as the array of its lines): a result line per input line, in order, then a summary line, "
    "or an error line where the database stopped answering",
)


def _record_response(kind: str, record: dict, status: int = 200) -> Response:
    response = jsonify(record)
    response.status_code = status
    if status == 201:
        response.headers["Location"] = f"/v1/{PLURAL[kind]}/{record['id']}"
    return response


def _record_schema(kind: str) -> dict:
    return obj(
        {
            "id": ID,
            "kind": {"const": kind},
            "external_id": STRING,
            "data": RESOURCE_SCHEMAS[kind],
            "understood": UNDERSTOOD,
            "region_id": _STRING_OR_NULL,
            "soc": _STRING_OR_NULL,
            "status": nullable(STRING, "needs: open or closed; null for the others"),
            "created_at": TIME,
            "updated_at": TIME,
            "version": VERSION,
        }
    )


def parse_ndjson(text: str, schema: dict, max_lines: int) -> list[BulkLine]:
    """NDJSON lines as documents checked against the schema (check_lines); blank lines skipped."""
    raw_lines = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if not raw_lines:
        raise InvalidInput("the body has no NDJSON lines", code="invalid_ndjson")
    decoded: list[tuple[int, object]] = []
    for number, line in raw_lines:
        try:
            decoded.append((number, loads(line)))
        except json.JSONDecodeError as exc:
            error = InvalidInput(f"not valid JSON: {exc.msg}", {"column": exc.colno}, code="invalid_json")
            decoded.append((number, error))
    return check_lines(decoded, schema, max_lines)


def check_lines(decoded: list[tuple[int, object]], schema: dict, max_lines: int) -> list[BulkLine]:
    """Numbered documents (or the error that already rejected a line) as bulk lines: each
    checked against the schema; too many lines, or two with one external_id, reject them all."""
    if len(decoded) > max_lines:
        raise TooLarge(
            f"{len(decoded)} lines; at most {max_lines} are accepted in one request",
            {"lines": len(decoded), "limit": max_lines},
            code="too_many_lines",
        )
    parsed: list[BulkLine] = []
    first_seen: dict[str, int] = {}
    duplicates: list[dict] = []
    for number, doc in decoded:
        if isinstance(doc, DomainError):
            parsed.append(BulkLine(number, error=doc))
            continue
        try:
            doc = check_document(doc, schema)
        except InvalidInput as exc:
            parsed.append(BulkLine(number, error=exc))
            continue
        ext = doc["external_id"]
        if ext in first_seen:
            duplicates.append({"line": number, "external_id": ext, "first_line": first_seen[ext]})
        first_seen.setdefault(ext, number)
        parsed.append(BulkLine(number, doc=doc))
    if duplicates:
        # which of two lines is meant is ambiguous: refuse the whole request, write nothing
        raise InvalidInput(
            f"{len(duplicates)} line(s) repeat an external_id of an earlier line; nothing was written",
            {"duplicates": duplicates[:100]},
            code="duplicate_external_id",
            status=422,  # every line may match the schema: refused, not malformed
        )
    return parsed


def _patch_schema(schema: dict) -> dict:
    """The published PATCH body: any fields of the resource, each also null (which removes it).
    Validation strips the nulls and checks the rest against the resource schema without
    `required`; the merged document is then checked whole."""
    return {
        **schema,
        "required": [],
        "properties": {name: {"anyOf": [prop, {"type": "null"}]} for name, prop in schema["properties"].items()},
    }


LIST_PARAMS = [
    param("external_id", schema=text(200)),
    param("region_id", schema=text(100)),
    param("soc", schema=text(16)),
    param("status", schema=text(32), description="needs: open or closed"),
    param(
        "updated_since",
        schema={"type": "string", "format": "date-time"},
        description="RFC 3339 time (e.g. 2026-01-31T09:00:00Z), inclusive",
    ),
    param("limit", schema=integer(1, 1000, 100)),
    param("cursor", schema=CURSOR),
]


def _since(value: str) -> datetime:
    """An RFC 3339 time (checked by the schema) as Python reads it: T and Z in either case,
    a leap second as the second before it."""
    value = value.upper().replace("Z", "+00:00")
    value = re.sub(r"^(.{17}):60", r"\1:59", value)
    return datetime.fromisoformat(value)


def _filters(query: dict) -> dict:
    filters = {name: query[name] for name in ("external_id", "region_id", "soc", "status") if query[name] is not None}
    if query["updated_since"] is not None:
        filters["updated_since"] = _since(query["updated_since"])
    return filters


def make_blueprint(kind: str) -> Blueprint:
    plural = PLURAL[kind]
    schema = RESOURCE_SCHEMAS[kind]
    record_schema = _record_schema(kind)
    bp = Blueprint(plural, __name__)
    base = f"/v1/{plural}"
    id_param = param("record_id", "path", schema=ID)
    item = f"{base}/{{record_id}}"
    links = {
        f"{endpoint.capitalize()}{kind.capitalize()}": _link(
            f"{plural}_{endpoint}_{method}", "record_id", f"the {kind} just written"
        )
        for endpoint, method in (("get", "get"), ("replace", "put"), ("patch", "patch"), ("delete", "delete"))
    }
    links.update(RECOMMENDATION_LINKS[kind])

    @bp.post(base)
    @operation(
        f"Create a {kind} (409 if its external_id exists)",
        success=201,
        tag=plural,
        auth="write",
        body=schema,
        protect=True,
        response=record_schema,
        headers={"Location": {"description": f"{item} of the new {kind}", "required": True, "schema": text(100)}},
        links=links,
        errors=(409, 422, 503),
        explain={409: "a record of this kind has this external_id", 422: UNKNOWN_REFERENCE},
    )
    def create(body: dict):
        return _record_response(kind, runtime().records().create(current_tenant(), kind, body), 201)

    @bp.get(base)
    @operation(
        f"List {plural}, filtered, with cursor pagination",
        tag=plural,
        auth="read",
        params=LIST_PARAMS,
        response=obj({"items": array(record_schema), "next_cursor": nullable(CURSOR, "null after the last page")}),
        errors=(422, 503),
        explain={422: "a cursor this service did not issue"},
    )
    def list_(query: dict):
        items, next_cursor = (
            runtime().records().list(current_tenant(), kind, _filters(query), query["limit"], query["cursor"])
        )
        return jsonify({"items": items, "next_cursor": next_cursor})

    @bp.get(base + "/<int:record_id>")
    @operation(
        f"Get a {kind}",
        tag=plural,
        auth="read",
        params=[id_param],
        response=record_schema,
        errors=(404, 503),
    )
    def get(record_id: int):
        return jsonify(runtime().records().get(current_tenant(), kind, record_id))

    @bp.put(base + "/<int:record_id>")
    @operation(
        f"Replace a {kind}",
        tag=plural,
        auth="write",
        params=[id_param],
        body=schema,
        protect=True,
        response=record_schema,
        errors=(404, 409, 422, 503),
        explain={409: "another record of this kind has this external_id", 422: UNKNOWN_REFERENCE},
    )
    def replace(record_id: int, body: dict):
        return jsonify(runtime().records().replace(current_tenant(), kind, record_id, body))

    @bp.patch(base + "/<int:record_id>")
    @operation(
        f"Change some fields of a {kind} (null removes a field); the merged document is validated whole",
        tag=plural,
        auth="write",
        params=[id_param],
        body=_patch_schema(schema),
        protect=True,
        response=record_schema,
        errors=(404, 409, 422, 503),
        explain={
            409: "another record of this kind has this external_id, or the record changed meanwhile",
            422: f"the merged document does not match the {kind} schema (details.errors), or {UNKNOWN_REFERENCE}",
        },
    )
    def patch(record_id: int, body: dict):
        return jsonify(
            runtime().records().patch(current_tenant(), kind, record_id, body, lambda d: check_document(d, schema))
        )

    @bp.delete(base + "/<int:record_id>")
    @operation(
        f"Erase a {kind}: the row, its vector and its index entry, at once",
        tag=plural,
        auth="write",
        params=[id_param],
        content_type=None,
        success=204,
        errors=(404, 503),
    )
    def delete(record_id: int):
        runtime().records().delete(current_tenant(), kind, record_id)
        return Response(status=204)

    def bulk(body: list[BulkLine]):
        tenant = current_tenant()
        records = runtime().records()

        def generate():
            counts = {"created": 0, "updated": 0, "error": 0}
            try:
                for result in records.bulk_upsert(tenant, kind, body):
                    counts[result["status"]] += 1
                    yield json.dumps(result) + "\n"
            except DatabaseUnavailable as exc:
                # the 200 is sent: the last line says where writing stopped instead of a summary
                reported = sum(counts.values())
                yield (
                    json.dumps(
                        {
                            "error": {
                                "code": exc.code,
                                "message": f"{exc.message}; the {len(body) - reported} lines without a result line "
                                "were not written",
                                "details": {"retry_after": exc.retry_after, "lines_with_results": reported},
                                "request_id": request_id(),
                            }
                        }
                    )
                    + "\n"
                )
                return
            yield json.dumps({"summary": {**counts, "lines": len(body)}}) + "\n"

        return Response(streamed(generate), mimetype=NDJSON)

    bulk = operation(
        f"Upsert {plural} from NDJSON, idempotent by external_id; one result line per input line, then a "
        "summary line; streamed as chunks commit. A line that is not valid JSON or does not match the schema "
        "is answered with an error line and the other lines are still written. Duplicate external_ids in one "
        "request reject it whole (422). If the database stops answering mid-way, an error line (code "
        "database_unavailable) replaces the summary: lines without a result line were not written and can be "
        "sent again.",
        tag=plural,
        auth="write",
        body={
            "type": "array",
            "minItems": 1,
            "items": schema,
            "description": f"NDJSON: one {kind} document a line (described as the array of the lines); at most "
            "TALENT_MAX_BULK_LINES lines (default 50,000) and TALENT_MAX_BULK_BYTES bytes, else 413",
        },
        body_content_type=NDJSON,
        body_limit="max_bulk_bytes",
        read_body=lambda raw, settings: parse_ndjson(raw, schema, settings.max_bulk_lines),
        content_type=NDJSON,
        response=BULK_RESULT,
        errors=(422, 503),
        explain={422: "two lines have the same external_id; nothing was written"},
    )(bulk)
    bp.add_url_rule(base + ":bulk", "bulk", bulk, methods=["POST"])

    search_body = {
        "type": "object",
        "additionalProperties": False,
        "required": ["text"],
        "examples": [{"text": "wind turbine technician near Fort Wayne", "limit": 5}],
        "properties": {
            "text": text(5000, "what to look for, in words"),
            "limit": integer(1, 100, 10),
        },
    }

    @bp.post(base + ":search")
    @operation(
        f"The tenant's {plural} nearest to a free-text query (semantic search over profile vectors)",
        tag=plural,
        auth="read",
        body=search_body,
        response=obj({"results": array(obj({"score": NUMBER, "record": record_schema}))}),
        errors=(503,),
    )
    def search(body: dict):
        hits = runtime().records().search(current_tenant(), kind, body["text"], body.get("limit", 10))
        return jsonify({"results": hits})

    def export():
        tenant = current_tenant()
        records = runtime().records()

        def generate():
            for record in records.export(tenant, kind):
                yield json.dumps(record) + "\n"

        return Response(streamed(generate), mimetype=NDJSON)

    export = operation(
        f"Export every {kind} of the tenant as NDJSON",
        tag=plural,
        auth="read",
        content_type=NDJSON,
        response=array(record_schema, f"NDJSON: one {kind} a line"),
        errors=(503,),
    )(export)
    bp.add_url_rule(base + ":export", "export", export, methods=["GET"])
    return bp
