"""Request parsing and validation at the edge.

Bodies are checked against the same JSON Schema documents the OpenAPI description
publishes (a small, strict subset of JSON Schema), so the documentation and the behaviour
cannot drift apart. Every problem is reported with its JSON path.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Request

from models.errors import InvalidInput, TooLarge

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
    "null": type(None),
}


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
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # from the two hooks above: reported as any other invalid JSON
        raise json.JSONDecodeError(str(exc), text, 0) from None


def parse_json(text: str) -> Any:
    if not text.strip():
        raise InvalidInput("request body is empty; a JSON document is required", code="invalid_json")
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"request body is not valid JSON: {exc.msg}", {"line": exc.lineno, "column": exc.colno}, code="invalid_json"
        ) from None


def json_body(request: Request, schema: dict, limit: int) -> Any:
    body = parse_json(decode_body(request, limit))
    problems = validate(body, schema)
    if problems:
        raise InvalidInput("request body does not match the schema", {"errors": problems}, code="validation_failed")
    return integers(body, schema)


def integers(value: Any, schema: dict) -> Any:
    """`value` (valid for `schema`) with integral numbers written with a fraction (93.0), which
    JSON Schema counts as integers, made ints where the schema asks for an integer: the code
    behind the edge slices and counts with them."""
    if "anyOf" in schema:
        option = next((o for o in schema["anyOf"] if not validate(value, o)), None)
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


def _type_ok(value: Any, expected: str | list[str]) -> bool:
    names = expected if isinstance(expected, list) else [expected]
    for name in names:
        if name in ("integer", "number") and isinstance(value, bool):
            continue
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True
        if isinstance(value, _TYPES[name]):
            return True
    return False


def validate(value: Any, schema: dict, path: str = "$") -> list[dict]:
    """All violations of `schema` in `value`, each {"path", "message"}; empty when valid."""
    if "anyOf" in schema:
        if any(not validate(value, option, path) for option in schema["anyOf"]):
            return []
        return [{"path": path, "message": schema.get("description") or "does not match any allowed form"}]
    expected = schema.get("type")
    if expected and not _type_ok(value, expected):
        return [{"path": path, "message": f"expected {expected}, got {_json_type(value)}"}]
    problems: list[dict] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append({"path": path, "message": f"must be one of {schema['enum']}"})
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            problems.append(
                {
                    "path": path,
                    "message": "must not be empty"
                    if schema["minLength"] == 1
                    else f"shorter than {schema['minLength']} characters",
                }
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append({"path": path, "message": f"longer than {schema['maxLength']} characters"})
        if schema.get("minLength", 0) >= 1 and not value.strip():
            problems.append({"path": path, "message": "must not be blank"})
        if "\x00" in value:  # no database text column can hold it
            problems.append({"path": path, "message": "must not contain NUL characters"})
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append({"path": path, "message": f"must be ≥ {schema['minimum']}"})
        if "maximum" in schema and value > schema["maximum"]:
            problems.append({"path": path, "message": f"must be ≤ {schema['maximum']}"})
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append({"path": path, "message": f"more than {schema['maxItems']} items"})
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append({"path": path, "message": f"fewer than {schema['minItems']} items"})
        if "items" in schema:
            for i, item in enumerate(value):
                problems += validate(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append({"path": f"{path}.{name}", "message": "is required"})
        for name, item in value.items():
            if name in props:
                problems += validate(item, props[name], f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                problems.append({"path": f"{path}.{name}", "message": "unknown field"})
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += validate(item, schema["additionalProperties"], f"{path}.{name}")
    return problems


def _json_type(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _type_ok(value, name):
            return name
    return type(value).__name__


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


def query_float(args, name: str, minimum: float, maximum: float) -> float | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"query parameter {name} must be a number", {"parameter": name, "value": raw}) from None
    if not minimum <= value <= maximum:
        raise InvalidInput(
            f"query parameter {name} must be between {minimum} and {maximum}", {"parameter": name, "value": value}
        )
    return value


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
