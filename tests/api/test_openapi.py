"""The OpenAPI document describes every route, its request and its errors."""

from __future__ import annotations


def test_openapi_lists_every_route(client, app):
    doc = client.get("/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith(("/__", "/console/")):
            continue  # the console's pages are HTML for people, not the API
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (_plain(path), method.lower()) in documented, f"{method} {rule.rule} is not documented"


def _plain(path: str) -> str:
    import re

    return re.sub(r"\{(?:[a-z_]+:)?([a-z_]+)\}", r"{\1}", path)


def test_every_operation_documents_the_error_shape(client):
    doc = client.get("/v1/openapi.json").get_json()
    assert "Error" in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "500" in op["responses"], (method, path)
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            if method == "post":
                assert "requestBody" in op, path


def test_a_limit_set_by_a_setting_is_not_documented_as_a_constant(client):
    """The extract text limit is TALENT_MAX_TEXT_CHARS (413 beyond it), whatever its value."""
    doc = client.get("/v1/openapi.json").get_json()
    op = doc["paths"]["/v1/skills/extract"]["post"]
    text = op["requestBody"]["content"]["application/json"]["schema"]["properties"]["text"]
    assert "maxLength" not in text and "TALENT_MAX_TEXT_CHARS" in text["description"]
    assert "413" in op["responses"]


def test_patch_bodies_publish_every_field_as_optional_and_nullable(client):
    doc = client.get("/v1/openapi.json").get_json()
    put = doc["paths"]["/v1/needs/{record_id}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    patch = doc["paths"]["/v1/needs/{record_id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert put["required"] and patch["required"] == [] and patch["additionalProperties"] is False
    assert set(patch["properties"]) == set(put["properties"])
    assert patch["properties"]["title"] == {"anyOf": [put["properties"]["title"], {"type": "null"}]}
