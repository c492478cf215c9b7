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


def test_recommendation_results_publish_their_schemas(client):
    """Not just {"type": "object"}: what the routes really return (the fuzz test checks every
    answer against these)."""
    doc = client.get("/v1/openapi.json").get_json()
    for path in (
        "/v1/candidates/{candidate_id}/matches",
        "/v1/needs/{need_id}/candidates",
        "/v1/talent-map",
        "/v1/candidates/{candidate_id}/gap",
        "/v1/regions/{region_id}/skill-gaps",
    ):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        for media in content.values():
            schema = media["schema"]
            assert schema["type"] == "object" and schema["required"] and schema["properties"], path
        assert {"400", "401", "404", "429", "503"} <= set(doc["paths"][path]["get"]["responses"]), path
    talent_map = doc["paths"]["/v1/talent-map"]["get"]["responses"]
    assert set(talent_map["200"]["content"]) == {"application/json", "application/geo+json"}
    assert "422" in talent_map and "need=" in talent_map["422"]["description"]


def test_schema_valid_requests_that_name_unknown_things_are_422(tenant_api):
    """400 means the request does not match its schema; these do, and are refused: 422."""
    app, a, _ = tenant_api
    client = app.test_client()
    candidate = client.post("/v1/candidates", json={"external_id": "c-1", "headline": "Welder"}, headers=a).get_json()
    for path, code in (
        ("/v1/talent-map", "missing_parameter"),
        ("/v1/talent-map?soc=99-9999", "invalid_input"),
        ("/v1/talent-map?skills=x", "invalid_input"),  # links to no ESCO skill
        (f"/v1/candidates/{candidate['id']}/gap", "missing_parameter"),
        (f"/v1/candidates/{candidate['id']}/gap?soc=99-9999", "invalid_input"),
        ("/v1/candidates?cursor=bm90LWEtY3Vyc29y", "invalid_input"),
    ):
        response = client.get(path, headers=a)
        assert response.status_code == 422, (path, response.get_json())
        assert response.get_json()["error"]["code"] == code
    assert client.get("/v1/talent-map?soc=99-99", headers=a).status_code == 400  # not a SOC code: the schema says
    patched = client.patch(f"/v1/candidates/{candidate['id']}", json={"external_id": None}, headers=a)
    assert patched.status_code == 422  # the PATCH body is valid; the merged document lacks its external_id
    assert patched.get_json()["error"]["details"]["errors"] == [{"path": "$.external_id", "message": "is required"}]


def test_every_example_matches_its_schema(client):
    """The examples Schemathesis starts from, and readers copy, are valid requests."""
    from service.validation import validate

    doc = client.get("/v1/openapi.json").get_json()
    found = []

    def walk(node):
        if isinstance(node, dict):
            for example in node.get("examples", []) if "type" in node else []:
                found.append(example)
                assert validate(example, node) == [], example
            if "example" in node and "schema" in node:  # a parameter
                found.append(node["example"])
                assert validate(node["example"], node["schema"]) == [], node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert len(found) >= 10


def test_links_name_operations_that_exist(client):
    """The stateful phase follows these: a record just created, then read, changed, erased and
    used for recommendations."""
    doc = client.get("/v1/openapi.json").get_json()
    operations = {op["operationId"]: op for ops in doc["paths"].values() for op in ops.values()}
    links = doc["paths"]["/v1/candidates"]["post"]["responses"]["201"]["links"]
    assert {"GetCandidate", "DeleteCandidate", "CandidateMatches", "CandidateGap"} <= set(links)
    for ops in doc["paths"].values():
        for op in ops.values():
            for link in op["responses"].get("201", {}).get("links", {}).values():
                target = operations[link["operationId"]]
                assert set(link["parameters"]) <= {p["name"] for p in target["parameters"]}
