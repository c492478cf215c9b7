"""Tenant resources: candidates, needs (employer roles) and programs (training programmes).

The same routes for each kind: create, get, list, replace, patch, delete, NDJSON bulk upsert
and NDJSON export. Every route needs the tenant's API key; another tenant's id is a 404.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, jsonify, request

from models.errors import DatabaseUnavailable, DomainError, InvalidInput, TooLarge
from models.tenant_records import BulkLine
from service.api.spec import operation, param
from service.auth import current_tenant, streamed
from service.headers import request_id
from service.runtime import runtime
from service.schemas import RESOURCE_SCHEMAS, protected_fields
from service.validation import decode_body, integers, loads, parse_json, query_int, query_str, validate

PLURAL = {"candidate": "candidates", "need": "needs", "program": "programs"}
NDJSON = "application/x-ndjson"
AUTH_ERRORS = (400, 401, 404, 503)
WRITE_ERRORS = (*AUTH_ERRORS, 403)  # 403: a read-only key


def check_document(doc, schema: dict, path: str = "$") -> dict:
    """Reject protected attributes by name, then anything the schema does not allow."""
    if isinstance(doc, dict):
        protected = protected_fields(doc, path)
        if protected:
            raise InvalidInput(
                "protected attributes are never accepted: " + ", ".join(protected),
                {"fields": protected},
                code="protected_attribute",
            )
    problems = validate(doc, schema, path)
    if problems:
        raise InvalidInput("request body does not match the schema", {"errors": problems}, code="validation_failed")
    return integers(doc, schema)


def _json_document(schema: dict) -> dict:
    settings = current_app.config["SETTINGS"]
    return check_document(parse_json(decode_body(request, settings.max_body_bytes)), schema)


def _record_response(kind: str, record: dict, status: int = 200) -> Response:
    response = jsonify(record)
    response.status_code = status
    if status == 201:
        response.headers["Location"] = f"/v1/{PLURAL[kind]}/{record['id']}"
    return response


def _record_schema(kind: str) -> dict:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": [kind]},
            "external_id": {"type": "string"},
            "data": RESOURCE_SCHEMAS[kind],
            "understood": {
                "type": "object",
                "description": "what the service derived: linked skills with scores, skills found in the text, "
                "unlinked strings (kept, flagged), occupation (SOC) and region",
            },
            "region_id": {"type": ["string", "null"]},
            "soc": {"type": ["string", "null"]},
            "status": {"type": ["string", "null"]},
            "version": {"type": "integer"},
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
        },
    }


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


def _filters(args) -> dict:
    filters = {}
    for name in ("external_id", "region_id", "soc", "status", "updated_since"):
        value = query_str(args, name, max_length=100)
        if value is not None:
            filters[name] = value
    return filters


def make_blueprint(kind: str) -> Blueprint:
    plural = PLURAL[kind]
    schema = RESOURCE_SCHEMAS[kind]
    record_schema = _record_schema(kind)
    bp = Blueprint(plural, __name__)
    base = f"/v1/{plural}"
    id_param = param("record_id", "path", schema={"type": "integer"})

    @bp.post(base)
    @operation(
        f"Create a {kind} (409 if its external_id exists)",
        success=201,
        tag=plural,
        body=schema,
        response=record_schema,
        errors=(*WRITE_ERRORS, 409, 413),
    )
    def create():
        tenant = current_tenant(write=True)
        doc = _json_document(schema)
        return _record_response(kind, runtime().records().create(tenant, kind, doc), 201)

    @bp.get(base)
    @operation(
        f"List {plural}, filtered, with cursor pagination",
        tag=plural,
        params=[
            param("external_id"),
            param("region_id"),
            param("soc"),
            param("status"),
            param("updated_since", description="ISO 8601 timestamp, inclusive"),
            param("limit", schema={"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
            param("cursor", description="next_cursor of the previous page"),
        ],
        response={
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": record_schema},
                "next_cursor": {"type": ["string", "null"]},
            },
        },
        errors=AUTH_ERRORS,
    )
    def list_():
        tenant = current_tenant()
        limit = query_int(request.args, "limit", 100, 1, 1000)
        cursor = query_str(request.args, "cursor", max_length=200)
        items, next_cursor = runtime().records().list(tenant, kind, _filters(request.args), limit, cursor)
        return jsonify({"items": items, "next_cursor": next_cursor})

    @bp.get(base + "/<int:record_id>")
    @operation(f"Get a {kind}", tag=plural, params=[id_param], response=record_schema, errors=AUTH_ERRORS)
    def get(record_id: int):
        return jsonify(runtime().records().get(current_tenant(), kind, record_id))

    @bp.put(base + "/<int:record_id>")
    @operation(
        f"Replace a {kind}",
        tag=plural,
        params=[id_param],
        body=schema,
        response=record_schema,
        errors=(*WRITE_ERRORS, 409, 413),
    )
    def replace(record_id: int):
        tenant = current_tenant(write=True)
        doc = _json_document(schema)
        return jsonify(runtime().records().replace(tenant, kind, record_id, doc))

    @bp.patch(base + "/<int:record_id>")
    @operation(
        f"Change some fields of a {kind} (null removes a field); the merged document is validated whole",
        tag=plural,
        params=[id_param],
        body=_patch_schema(schema),
        response=record_schema,
        errors=(*WRITE_ERRORS, 409, 413),
    )
    def patch(record_id: int):
        tenant = current_tenant(write=True)
        settings = current_app.config["SETTINGS"]
        fields = parse_json(decode_body(request, settings.max_body_bytes))
        if not isinstance(fields, dict):
            raise InvalidInput("a PATCH body is a JSON object of fields", code="validation_failed")
        check_document({k: v for k, v in fields.items() if v is not None}, {**schema, "required": []})
        return jsonify(runtime().records().patch(tenant, kind, record_id, fields, lambda d: check_document(d, schema)))

    @bp.delete(base + "/<int:record_id>")
    @operation(
        f"Erase a {kind}: the row, its vector and its index entry, at once",
        tag=plural,
        params=[id_param],
        errors=WRITE_ERRORS,
        extra_responses={"204": {"description": "erased"}},
    )
    def delete(record_id: int):
        runtime().records().delete(current_tenant(write=True), kind, record_id)
        return Response(status=204)

    def bulk():
        tenant = current_tenant(write=True)
        settings = current_app.config["SETTINGS"]
        text = decode_body(request, settings.max_bulk_bytes)
        lines = parse_ndjson(text, schema, settings.max_bulk_lines)
        records = runtime().records()

        def generate():
            counts = {"created": 0, "updated": 0, "error": 0}
            try:
                for result in records.bulk_upsert(tenant, kind, lines):
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
                                "message": f"{exc.message}; the {len(lines) - reported} lines without a result line "
                                "were not written",
                                "details": {"retry_after": exc.retry_after, "lines_with_results": reported},
                                "request_id": request_id(),
                            }
                        }
                    )
                    + "\n"
                )
                return
            yield json.dumps({"summary": {**counts, "lines": len(lines)}}) + "\n"

        return Response(streamed(generate), mimetype=NDJSON)

    operation(
        f"Upsert {plural} from NDJSON, idempotent by external_id; one result line per input line, then a "
        "summary line; streamed as chunks commit. Duplicate external_ids in one request reject it whole. If "
        "the database stops answering mid-way, an error line (code database_unavailable) replaces the "
        "summary: lines without a result line were not written and can be sent again.",
        tag=plural,
        body=schema,
        body_content_type=NDJSON,
        content_type=NDJSON,
        response={
            "type": "string",
            "description": "NDJSON: {line, status created|updated|error, id, external_id, version | error}",
        },
        errors=(*WRITE_ERRORS, 413),
    )(bulk)
    bp.add_url_rule(base + ":bulk", "bulk", bulk, methods=["POST"])

    search_body = {
        "type": "object",
        "additionalProperties": False,
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 5000, "description": "what to look for, in words"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    }

    @bp.post(base + ":search")
    @operation(
        f"The tenant's {plural} nearest to a free-text query (semantic search over profile vectors)",
        tag=plural,
        body=search_body,
        response={"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object"}}}},
        errors=(*AUTH_ERRORS, 413),
    )
    def search():
        tenant = current_tenant()
        body = _json_document(search_body)
        return jsonify({"results": runtime().records().search(tenant, kind, body["text"], body.get("limit", 10))})

    def export():
        tenant = current_tenant()
        records = runtime().records()

        def generate():
            for record in records.export(tenant, kind):
                yield json.dumps(record) + "\n"

        return Response(streamed(generate), mimetype=NDJSON)

    operation(
        f"Export every {kind} of the tenant as NDJSON",
        tag=plural,
        content_type=NDJSON,
        response=record_schema,
        errors=AUTH_ERRORS,
    )(export)
    bp.add_url_rule(base + ":export", "export", export, methods=["GET"])
    return bp
