"""Every failure answers in the one error shape, with the right status, and no traceback."""

from __future__ import annotations

import pytest


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["request_id"] == response.headers["X-Request-Id"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_empty_text_is_rejected(client):
    err = assert_error(client.post("/v1/skills/extract", json={"text": ""}), 400, "validation_failed")
    assert err["details"]["errors"][0]["path"] == "$.text"


def test_blank_text_is_rejected(client):
    assert_error(client.post("/v1/skills/extract", json={"text": "   \n "}), 400, "validation_failed")


def test_missing_field_and_unknown_field_are_reported_with_paths(client):
    err = assert_error(client.post("/v1/skills/extract", json={"txt": "python"}), 400, "validation_failed")
    paths = {e["path"]: e["message"] for e in err["details"]["errors"]}
    assert paths == {"$.text": "is required", "$.txt": "unknown field"}


def test_wrong_type(client):
    err = assert_error(client.post("/v1/titles/normalize", json={"title": 42}), 400, "validation_failed")
    assert err["details"]["errors"] == [{"path": "$.title", "message": "expected string, got integer"}]


def test_invalid_json(client):
    assert_error(
        client.post("/v1/skills/extract", data=b'{"text": "python', content_type="application/json"),
        400,
        "invalid_json",
    )


def test_empty_body(client):
    assert_error(client.post("/v1/skills/extract", data=b"", content_type="application/json"), 400, "invalid_json")


def test_invalid_utf8(client):
    assert_error(
        client.post("/v1/skills/extract", data=b'{"text": "caf\xe9"}', content_type="application/json"),
        400,
        "invalid_utf8",
    )


def test_text_over_the_limit_is_413(client, app):
    limit = app.config["SETTINGS"].max_text_chars
    err = assert_error(client.post("/v1/skills/extract", json={"text": "a" * (limit + 1)}), 413, "too_large")
    assert err["details"]["limit"] == limit


def test_body_over_the_limit_is_413(client, app):
    limit = app.config["SETTINGS"].max_body_bytes
    assert_error(client.post("/v1/titles/normalize", data=b"x" * (limit + 1), content_type="application/json"), 413)


def test_missing_query_parameter(client):
    err = assert_error(client.get("/v1/skills/search"), 400, "missing_parameter")
    assert err["details"] == {"parameter": "q"}
    assert_error(client.get("/v1/regions/resolve?q="), 400, "missing_parameter")


def test_a_query_parameter_the_operation_does_not_take_is_refused_not_ignored(client):
    """A misspelt filter would otherwise be dropped and the answer look filtered."""
    err = assert_error(client.get("/v1/skills/search?q=welding&lmit=5"), 400, "unknown_parameter")
    assert err["details"]["parameter"] == "lmit" and "limit" in err["details"]["accepted"]
    assert "limit" in err["message"]
    err = assert_error(client.get("/v1/occupations/51-4121?lang=es&verbose=1"), 400, "unknown_parameter")
    assert err["details"] == {"parameter": "lang", "unknown": ["lang", "verbose"], "accepted": []}
    assert client.get("/v1/skills/search?q=welding&limit=5").status_code == 200


def test_bad_integer_parameter(client):
    assert_error(client.get("/v1/skills/search?q=python&limit=many"), 400, "invalid_input")
    assert_error(client.get("/v1/skills/search?q=python&limit=0"), 400, "invalid_input")


def test_unknown_region_is_404(client):
    err = assert_error(client.get("/v1/regions/oews-9999999"), 404, "not_found")
    assert err["details"] == {"id": "oews-9999999"}


@pytest.mark.parametrize("path", ["/v1/nothing-here", "/nope"])
def test_unknown_route_is_404_in_shape(client, path):
    assert_error(client.get(path), 404, "not_found")


def test_wrong_method_is_405_in_shape(client):
    assert_error(client.get("/v1/skills/extract"), 405, "method_not_allowed")


def test_unexpected_exception_is_a_bare_500(data_dir, reference):
    from service import create_app

    app = create_app({"data_dir": str(data_dir)}, reference=reference)

    @app.get("/__boom_for_test")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/__boom_for_test")
    err = assert_error(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert err["details"] is None


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/skills/extract", {"text": "I weld stainless steel pipe.", "limit": 3.0}),
        ("/v1/titles/normalize", {"title": "welder", "limit": 3.0}),
        ("/v1/titles/skills", {"title": "welder", "limit": 3.0}),
    ],
)
def test_an_integer_written_with_a_fraction_is_an_integer(client, path, body):
    """JSON Schema counts 3.0 as an integer (a fuzzer found it gave 500s): answered as 3."""
    response = client.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    listed = response.get_json().get("skills") or response.get_json().get("occupations")
    assert len(listed) == 3


def test_a_fractional_limit_is_refused(client):
    response = client.post("/v1/titles/normalize", json={"title": "welder", "limit": 2.5})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "validation_failed"


def test_an_integer_query_parameter_written_with_a_fraction_is_an_integer(client):
    """As in a JSON body, and as the schema says (a fuzzer once got 500s from limit=93.0)."""
    response = client.get("/v1/skills/search?q=welding&limit=3.0")
    assert response.status_code == 200 and len(response.get_json()["skills"]) == 3
    err = assert_error(client.get("/v1/skills/search?q=welding&limit=2.5"), 400, "invalid_input")
    assert err["details"]["errors"] == [{"path": "$.limit", "message": "expected integer, got number"}]


def test_a_body_of_another_media_type_is_415(client):
    response = client.post("/v1/titles/normalize", data='{"title": "welder"}', content_type="text/plain")
    assert assert_error(response, 415, "unsupported_media_type")["details"]["expected"] == "application/json"
    assert client.post("/v1/titles/normalize", data='{"title": "welder"}').status_code == 200  # none sent: JSON


def test_a_lone_surrogate_is_invalid_json(client):
    response = client.post("/v1/titles/normalize", data='{"title": "weld\\udc00er"}', content_type="application/json")
    assert_error(response, 400, "invalid_json")


def test_every_documented_status_has_the_error_schema_and_the_request_id_header(client):
    doc = client.get("/v1/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                assert "X-Request-Id" in response["headers"], (method, path, status)
                if 400 <= int(status) and method != "get" and op.get("requestBody"):
                    assert {"400", "413", "415"} <= set(op["responses"]), (method, path)
