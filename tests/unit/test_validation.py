"""Validation at the edge: jsonschema (Draft 2020-12, formats checked) with the schemas the
OpenAPI document publishes, problems reported with their JSON paths; query parameters read as
the types their schemas declare."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from models.core.errors import InvalidInput
from service.api.spec import boolean, integer, param, text
from service.schemas import CANDIDATE, NEED, PROGRAM
from service.validation import check_document, parse_query, validate


def paths(problems: list[dict]) -> dict[str, str]:
    return {p["path"]: p["message"] for p in problems}


def test_problems_have_paths_and_plain_messages():
    doc = {
        "external_id": "c-1",
        "headline": "   ",
        "summary": "nul\x00",
        "skills": ["welding", {"skill": "hydraulics", "years": 61}, {"skill": "x", "level": "guru"}, 7],
        "remote_ok": "yes",
        "age_group": 3,
    }
    assert paths(validate(doc, CANDIDATE)) == {
        "$.headline": "must not be blank",
        "$.summary": "must not contain NUL characters",
        "$.skills[1].years": "must be ≤ 60",
        "$.skills[2].level": "must be one of ['beginner', 'intermediate', 'advanced', 'expert']",
        "$.skills[3]": CANDIDATE["properties"]["skills"]["items"]["description"],
        "$.remote_ok": "expected boolean, got string",
        "$.age_group": "unknown field",
    }
    assert paths(validate({"headline": ""}, CANDIDATE)) == {
        "$.external_id": "is required",
        "$.headline": "must not be empty",
    }


@pytest.mark.parametrize(
    "date, valid", [("2027-01-11", True), ("2027-02-30", False), ("2027-1-11", False), ("11/01/2027", False)]
)
def test_formats_are_checked(date, valid):
    problems = validate({"external_id": "p", "provider": "x", "title": "y", "next_start_date": date}, PROGRAM)
    assert (problems == []) is valid
    if not valid:
        assert problems == [{"path": "$.next_start_date", "message": "is not a valid date (YYYY-MM-DD)"}]


def test_an_integer_written_with_a_fraction_is_read_as_an_int():
    doc = check_document({"external_id": "n", "title": "Welder", "openings": 3.0}, NEED)
    assert doc["openings"] == 3 and isinstance(doc["openings"], int)
    with pytest.raises(InvalidInput) as refused:
        check_document({"external_id": "n", "title": "Welder", "openings": 2.5}, NEED)
    assert refused.value.details["errors"] == [{"path": "$.openings", "message": "expected integer, got number"}]


def test_protected_attributes_are_refused_before_the_schema():
    with pytest.raises(InvalidInput) as refused:
        check_document({"external_id": "c", "Date of Birth": "1990-01-01"}, CANDIDATE)
    assert refused.value.code == "protected_attribute" and refused.value.details == {"fields": ["$.Date of Birth"]}


PARAMS = [
    param("q", required=True, schema=text(20)),
    param("limit", schema=integer(1, 100, 10)),
    param("within_km", schema={"type": "number", "minimum": 0, "maximum": 25_000}),
    param("remote", schema=boolean()),
    param("kinds", schema={"type": "array", "minItems": 1, "items": {"enum": ["a", "b", "c"]}}),
]


def test_query_parameters_are_read_as_their_schemas_types():
    query = parse_query(
        MultiDict([("q", " welder "), ("limit", "93.0"), ("within_km", "1e2"), ("remote", "true")]), PARAMS
    )
    assert query == {"q": "welder", "limit": 93, "within_km": 100.0, "remote": True, "kinds": None}
    assert isinstance(query["limit"], int)
    assert parse_query(MultiDict([("q", "x"), ("kinds", "a,b"), ("kinds", "c")]), PARAMS)["kinds"] == ["a", "b", "c"]
    assert parse_query(MultiDict([("q", "x")]), PARAMS)["limit"] == 10


@pytest.mark.parametrize(
    "args, path",
    [
        ([("limit", "93.5")], "$.limit"),
        ([("limit", "0")], "$.limit"),
        ([("limit", "")], "$.limit"),
        ([("limit", "1"), ("limit", "2")], "$.limit"),  # one value expected, two given
        ([("limit", "9" * 5000)], "$.limit"),
        ([("within_km", "1e999")], "$.within_km"),
        ([("within_km", "NaN")], "$.within_km"),
        ([("remote", "yes")], "$.remote"),
        ([("kinds", "a,")], "$.kinds[1]"),
        ([("kinds", "d")], "$.kinds[0]"),
        ([("q", "a\x00b")], "$.q"),
    ],
)
def test_invalid_query_parameters_are_400_with_their_paths(args, path):
    with pytest.raises(InvalidInput) as refused:
        parse_query(MultiDict([("q", "x"), *args]), PARAMS)
    assert refused.value.status == 400 and refused.value.code == "invalid_input"
    assert path in [e["path"] for e in refused.value.details["errors"]]


@pytest.mark.parametrize("args", [[], [("q", "  ")]])
def test_a_required_parameter_missing_or_blank(args):
    with pytest.raises(InvalidInput) as refused:
        parse_query(MultiDict(args), PARAMS)
    assert refused.value.code == "missing_parameter" and refused.value.details == {"parameter": "q"}


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_an_integer_parameter_agrees_with_its_schema(n):
    """Accepted exactly when the schema says so, written plain or with a fraction."""
    for raw in (str(n), f"{n}.0"):
        args = MultiDict([("q", "x"), ("limit", raw)])
        if 1 <= n <= 100:
            assert parse_query(args, PARAMS)["limit"] == n
        else:
            with pytest.raises(InvalidInput):
                parse_query(args, PARAMS)
