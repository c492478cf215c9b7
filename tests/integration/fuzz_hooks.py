"""Schemathesis hooks for the fuzz test (tests/integration/test_fuzz.py): NDJSON bodies.

The OpenAPI document describes an NDJSON body (bulk import, its results, export) as the array
of its lines, so a generated array is sent one JSON document a line, and an NDJSON answer is
read back as the array of its lines for the response-schema check.
"""

from __future__ import annotations

import json

import schemathesis

NDJSON = "application/x-ndjson"


@schemathesis.serializer(NDJSON)
def to_ndjson(ctx, value) -> bytes:
    lines = value if isinstance(value, list) else [value]  # a value that is no array: one line
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@schemathesis.deserializer(NDJSON)
def from_ndjson(ctx, response) -> list:
    return [json.loads(line) for line in response.content.decode("utf-8").splitlines() if line.strip()]
