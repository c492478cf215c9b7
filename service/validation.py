"""Request parsing and validation at the edge.

Bodies and query parameters are checked with jsonschema (Draft 2020-12, formats such as
`date` and `date-time` checked) against the very JSON Schema documents the OpenAPI
description publishes, so the documentation and the behaviour cannot drift apart. Every
problem is reported with its JSON path, in the one error shape (service/errors.py).
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

from flask import Request
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from werkzeug.datastructures import MultiDict

from models.core.errors import InvalidInput, TooLarge
from service.schemas import LIST_ITEM, WHITESPACE, protected_fields

_FORMATS = FormatChecker()
_FORMAT_NAMES = {"date": "date (YYYY-MM-DD)", "date-time": "date-time (RFC 3339, e.g. 2026-01-31T09:00:00Z)"}
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def decode_body(request: Request, limit: int) -> str:
    """The raw body as text: 413 over the limit, 400 for invalid UTF-8."""
    length = request.content_length
    if length is not None and length > limit:
        raise TooLarge(f"request body is {length} bytes; the limit is {limit}", {"limit": limit})
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise TooLarge(f"request body is larger than the limit of {limit} bytes", {"limit": limit})
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("request body is not valid UTF-8", {"byte_offset": exc.start}, code="invalid_utf8") from None


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str) -> Any:
    """Strict JSON: NaN, Infinity and numbers out of float range are invalid, as RFC 8259
    says (Python accepts them; PostgreSQL's json type and every other client would not)."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # from the two hooks above: reported as any other invalid JSON
        raise json.JSONDecodeError(str(exc), text, 0) from None
    if "\\u" in text:  # an escaped lone surrogate (\ud800) is no character: no database can store it
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise json.JSONDecodeError("a string holds a lone surrogate (\\ud800-\\udfff)", text, 0) from None
    return value


def parse_json(text: str) -> Any:
    if not text.strip():
        raise InvalidInput("request body is empty; a JSON document is required", code="invalid_json")
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"request body is not valid JSON: {exc.msg}", {"line": exc.lineno, "column": exc.colno}, code="invalid_json"
        ) from None


def check_document(doc: Any, schema: dict, path: str = "$", *, protect: bool = True) -> Any:
    """A JSON document checked against its schema, with its integers made ints; with `protect`
    (the tenant resources), protected attributes anywhere in it are refused first, by name."""
    if protect and isinstance(doc, dict):
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


# ---- JSON Schema ---------------------------------------------------------------------------


_MADE: dict[int, tuple[dict, Draft202012Validator]] = {}  # id -> (the schema itself, its validator)


@lru_cache(maxsize=256)
def _compiled(key: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(key), format_checker=_FORMATS)


def validator(schema: dict) -> Draft202012Validator:
    """A Draft 2020-12 validator with format checks, made once per distinct schema. The
    schemas are module constants, so one is found by identity (the entry keeps it alive, so
    its id is never reused), else by content."""
    entry = _MADE.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    made = _compiled(json.dumps(schema, sort_keys=True))
    if len(_MADE) < 4096:
        _MADE[id(schema)] = (schema, made)
    return made


def validate(value: Any, schema: dict, path: str = "$") -> list[dict]:
    """All violations of `schema` in `value`, each {"path", "message"}; empty when valid."""
    errors = sorted(validator(schema).iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    problems = [problem for error in errors for problem in _problems(error, path)]
    empty = {p["path"] for p in problems if p["message"] == "must not be empty"}
    return [p for p in problems if not (p["message"] == "must not be blank" and p["path"] in empty)]


def is_valid(value: Any, schema: dict) -> bool:
    return validator(schema).is_valid(value)


def _path(base: str, parts) -> str:
    out = base
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _problems(error: ValidationError, base: str) -> list[dict]:
    """One jsonschema error as problems people can act on, each at the JSON path it concerns."""
    here = _path(base, error.absolute_path)
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        return [{"path": f"{here}.{name}", "message": "is required"} for name in expected if name not in value]
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [{"path": f"{here}.{name}", "message": "unknown field"} for name in value if name not in known]
    if kind in ("anyOf", "oneOf"):
        return _alternatives(error, base, here)
    return [{"path": here, "message": _message(kind, expected, value, error)}]


def _alternatives(error: ValidationError, base: str, here: str) -> list[dict]:
    """The problems of the one alternative whose type fits the value (a skill object with a bad
    field: that field), else the schema's own description of what is allowed."""
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        by_branch.setdefault(sub.schema_path[0], []).append(sub)
    fitting = [
        subs for subs in by_branch.values() if not any(s.validator == "type" and not s.relative_path for s in subs)
    ]
    if len(fitting) == 1:
        return [problem for sub in fitting[0] for problem in _problems(sub, base)]
    types = [s.validator_value for subs in by_branch.values() for s in subs if s.validator == "type"]
    if error.schema.get("description"):
        message = error.schema["description"]
    elif types and len(types) == len(by_branch):
        message = f"expected {' or '.join(str(t) for t in types)}, got {_json_type(error.instance)}"
    else:
        message = "does not match any allowed form"
    return [{"path": here, "message": message}]


def _message(kind: str, expected: Any, value: Any, error: ValidationError) -> str:
    if kind == "type":
        return f"expected {' or '.join(expected) if isinstance(expected, list) else expected}, got {_json_type(value)}"
    if kind == "enum":
        return f"must be one of {expected}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"shorter than {expected} characters"
    if kind == "maxLength":
        return f"longer than {expected} characters"
    if kind == "pattern":
        if isinstance(value, str) and "\x00" in value:
            return "must not contain NUL characters"
        if isinstance(value, str) and not value.strip(WHITESPACE):
            return "must not be blank"
        if expected == LIST_ITEM and "," in value:
            return "must not contain a comma (commas separate the values)"
        return f"does not match the pattern {expected}"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"must be {'≥' if kind == 'minimum' else '>'} {expected}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"must be {'≤' if kind == 'maximum' else '<'} {expected}"
    if kind == "minItems":
        return f"fewer than {expected} items"
    if kind == "maxItems":
        return f"more than {expected} items"
    if kind == "format":
        return f"is not a valid {_FORMAT_NAMES.get(expected, expected)}"
    return error.message


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def integers(value: Any, schema: dict) -> Any:
    """`value` (valid for `schema`) with integral numbers written with a fraction (93.0), which
    JSON Schema counts as integers, made ints where the schema asks for an integer: the code
    behind the edge slices and counts with them."""
    if "anyOf" in schema:
        option = next((o for o in schema["anyOf"] if is_valid(value, o)), None)
        return value if option is None else integers(value, option)
    expected = schema.get("type")
    wants_int = expected == "integer" or (isinstance(expected, list) and "integer" in expected)
    if wants_int and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list) and "items" in schema:
        return [integers(item, schema["items"]) for item in value]
    if isinstance(value, dict):
        props, extra = schema.get("properties", {}), schema.get("additionalProperties")
        return {k: integers(v, props.get(k) or (extra if isinstance(extra, dict) else {})) for k, v in value.items()}
    return value


# ---- query parameters, read with the schemas the OpenAPI document publishes ------------------


def _scalar(raw: str, schema: dict) -> Any:
    """A query string value as the JSON value its schema's type reads it as; left a string
    when it is not one (the schema check then says what was expected)."""
    expected = schema.get("type")
    types = expected if isinstance(expected, list) else [expected]
    number = _JSON_NUMBER.fullmatch(raw) if "integer" in types or "number" in types else None
    if number is not None:
        try:
            value = float(raw) if any(number.groups()) else int(raw)
        except ValueError:  # more digits than Python reads as an int
            return raw
        return value if not isinstance(value, float) or math.isfinite(value) else raw
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    return raw


def _query_value(raws: list[str], schema: dict) -> Any:
    if schema.get("type") == "array":
        # comma-separated (explode: false), and the parameter may also be repeated
        return [_scalar(item, schema.get("items", {})) for raw in raws for item in raw.split(",")]
    if len(raws) > 1:
        return raws  # an array where one value is expected: the schema check refuses it
    return _scalar(raws[0], schema)


def _stripped(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip(WHITESPACE)
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value


def refuse_unknown(args: MultiDict, params: list[dict]) -> None:
    """400 (unknown_parameter) for a query parameter the operation does not take: a misspelt
    filter (exclude_large_metros) would otherwise be dropped and the answer look filtered."""
    taken = [p["name"] for p in params if p["in"] == "query"]
    unknown = sorted(set(args) - set(taken))
    if unknown:
        raise InvalidInput(
            f"unknown query parameter {unknown[0]}" + (f"; this operation takes {', '.join(taken)}" if taken else ""),
            {"parameter": unknown[0], "unknown": unknown, "accepted": taken},
            code="unknown_parameter",
        )


def parse_query(args: MultiDict, params: list[dict]) -> dict[str, Any]:
    """The query parameters `params` (OpenAPI parameter objects) declare, read from `args` and
    checked against their schemas: typed values (ints, floats, booleans, lists of strings
    trimmed of white space), the schema's default for one not given. 400 for a required one
    missing (missing_parameter) or any invalid one, every problem with its path ($.<name>);
    `refuse_unknown` has refused those not declared."""
    values: dict[str, Any] = {}
    problems: list[dict] = []
    bad: list[tuple[str, str]] = []
    for param in params:
        if param["in"] != "query":
            continue
        name, schema = param["name"], param["schema"]
        raws = args.getlist(name)
        if not raws or (param.get("required") and not "".join(raws).strip(WHITESPACE)):
            if param.get("required"):
                raise InvalidInput(f"query parameter {name} is required", {"parameter": name}, code="missing_parameter")
            values[name] = schema.get("default")
            continue
        value = _query_value(raws, schema)
        found = validate(value, schema, f"$.{name}")
        if found:
            problems += found
            bad.append((name, raws[0]))
        else:
            values[name] = _stripped(integers(value, schema))
    if problems:
        name, raw = bad[0]
        message = f"query parameter {name}: {problems[0]['message']}" if len(bad) == 1 else "invalid query parameters"
        raise InvalidInput(message, {"parameter": name, "value": raw, "errors": problems})
    return values


# ---- the console's own query parameters (its pages are not part of the API) -----------------


def query_int(args, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"query parameter {name} must be an integer", {"parameter": name, "value": raw}) from None
    if not minimum <= value <= maximum:
        raise InvalidInput(
            f"query parameter {name} must be between {minimum} and {maximum}", {"parameter": name, "value": value}
        )
    return value


def query_str(args, name: str, *, required: bool = False, max_length: int = 500) -> str | None:
    raw = args.get(name)
    if raw is None or not raw.strip():
        if required:
            raise InvalidInput(f"query parameter {name} is required", {"parameter": name}, code="missing_parameter")
        return None
    if len(raw) > max_length:
        raise InvalidInput(f"query parameter {name} is longer than {max_length} characters", {"parameter": name})
    return raw.strip()


def query_bool(args, name: str, default: bool = False) -> bool:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise InvalidInput(f"query parameter {name} must be true or false", {"parameter": name, "value": raw})


def query_list(args, name: str, allowed: tuple[str, ...] | None = None, max_items: int = 50) -> tuple[str, ...]:
    """Comma-separated values, repeated parameters allowed: ?kind=a,b&kind=c."""
    values = [v.strip() for raw in args.getlist(name) for v in raw.split(",") if v.strip()]
    if len(values) > max_items:
        raise InvalidInput(f"query parameter {name} has more than {max_items} values", {"parameter": name})
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise InvalidInput(f"query parameter {name} accepts {list(allowed)}", {"parameter": name, "invalid": bad})
    return tuple(dict.fromkeys(values))


def given(args: MultiDict) -> MultiDict:
    """A form's query without its empty fields (a form sends every field, filled or not)."""
    return MultiDict([(k, v) for k, v in args.items(multi=True) if v.strip()])
