"""Tenant resources through the HTTP API, on SQLite and PostgreSQL, with the real pack."""

from __future__ import annotations

import json

import numpy as np

from models.tenants.store import tenants

CANDIDATE = {
    "external_id": "c-1",
    "headline": "Wind turbine technician",
    "summary": "Eight years maintaining wind turbines. I write Python scripts to analyse SCADA data.",
    "skills": ["Python", {"skill": "wind turbine maintenance", "years": 5, "level": "expert"}, "qqzx blorf"],
    "location": "Fort Wayne, IN",
    "languages": ["en", "es"],
    "willing_to_relocate": True,
    "remote_ok": False,
}
NEED = {
    "external_id": "n-1",
    "employer": "Prairie Wind Services",
    "title": "Wind Turbine Technician",
    "description": "Inspect, repair and maintain wind turbines. Climb towers safely.",
    "required_skills": ["wind turbine maintenance"],
    "region_id": "oews-0023060",
    "remote_policy": "onsite",
    "openings": 3,
}
PROGRAM = {
    "external_id": "p-1",
    "provider": "Northeast Indiana Tech",
    "title": "Wind Turbine Service Certificate",
    "skills_taught": ["wind turbine maintenance", "work at heights"],
    "location": "Fort Wayne, IN",
    "delivery": "in_person",
    "hours": 120,
    "cost": 2400,
    "certification": "GWO Basic Safety",
    "next_start_date": "2027-01-11",
}


def error_code(response) -> str:
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    return body["error"]["code"]


def nearest_ids(app, tenant_id: int, kind: str, vector: list[float] | np.ndarray, k: int = 5) -> list[int]:
    indexes = app.extensions["talent"].records().indexes
    _, ids = indexes.search(tenant_id, kind, np.asarray(vector, dtype=np.float32), k)
    return [int(i) for i in ids[0] if i >= 0]


def test_create_shows_what_was_understood(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    response = client.post("/v1/candidates", json=CANDIDATE, headers=a)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/v1/candidates/{body['id']}"
    understood = body["understood"]
    linked = {s["given"]: s for s in understood["skills"]}
    assert linked["Python"]["label"] == "Python (computer programming)"
    assert linked["wind turbine maintenance"]["years"] == 5
    # a string that links to nothing is kept and flagged, never dropped
    assert [u["given"] for u in understood["unlinked_skills"]] == ["qqzx blorf"]
    assert body["region_id"] == "oews-0023060"
    assert body["soc"] == "49-9081"
    assert body["data"] == CANDIDATE


def test_crud_and_erasure(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    created = client.post("/v1/needs", json=NEED, headers=a).get_json()
    rid = created["id"]
    assert client.get(f"/v1/needs/{rid}", headers=a).get_json()["external_id"] == "n-1"
    assert client.post("/v1/needs", json=NEED, headers=a).status_code == 409

    patched = client.patch(f"/v1/needs/{rid}", json={"openings": 5, "status": "closed"}, headers=a)
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["data"]["openings"] == 5 and patched.get_json()["status"] == "closed"
    assert patched.get_json()["version"] == 2

    replaced = client.put(f"/v1/needs/{rid}", json={**NEED, "title": "Wind Technician"}, headers=a).get_json()
    assert replaced["data"] == {**NEED, "title": "Wind Technician"} and replaced["version"] == 3

    tenant_id = tenants.authenticate(app.extensions["talent"].database, a["Authorization"].split()[1])
    vector = app.extensions["talent"].reference.encoder.encode_one("wind turbine technician")
    assert rid in nearest_ids(app, tenant_id, "need", vector)

    assert client.delete(f"/v1/needs/{rid}", headers=a).status_code == 204
    assert client.get(f"/v1/needs/{rid}", headers=a).status_code == 404
    assert rid not in nearest_ids(app, tenant_id, "need", vector)
    assert client.get("/v1/needs", headers=a).get_json()["items"] == []


def test_tenants_never_see_each_other(tenant_api):
    app, a, b = tenant_api
    client = app.test_client()
    rid = client.post("/v1/programs", json=PROGRAM, headers=a).get_json()["id"]
    for method, kwargs in (
        ("get", {}),
        ("delete", {}),
        ("put", {"json": PROGRAM}),
        ("patch", {"json": {"hours": 1}}),
    ):
        response = getattr(client, method)(f"/v1/programs/{rid}", headers=b, **kwargs)
        assert response.status_code == 404, method
        assert error_code(response) == "not_found"
    assert client.get("/v1/programs", headers=b).get_json()["items"] == []
    assert client.get("/v1/programs:export", headers=b).get_data(as_text=True) == ""
    still = client.get(f"/v1/programs/{rid}", headers=a).get_json()
    assert still["data"] == PROGRAM and still["version"] == 1


def test_keys_are_required(tenant_api):
    app, _, _ = tenant_api
    client = app.test_client()
    assert error_code(client.get("/v1/candidates")) == "unauthorized"
    response = client.get("/v1/candidates", headers={"Authorization": "Bearer tk_not-a-real-key-at-all-xxxxxxxx"})
    assert response.status_code == 401


def test_a_read_only_key_reads_but_never_writes(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    db = app.extensions["talent"].database
    created = client.post("/v1/candidates", json=CANDIDATE, headers=a).get_json()
    reader = {"Authorization": f"Bearer {tenants.add_key(db, 'alpha', scope='read_only')}"}
    assert client.get(f"/v1/candidates/{created['id']}", headers=reader).status_code == 200
    assert client.post("/v1/candidates:search", json={"text": "wind"}, headers=reader).status_code == 200
    refused = [
        client.post("/v1/candidates", json={**CANDIDATE, "external_id": "other"}, headers=reader),
        client.put(f"/v1/candidates/{created['id']}", json=CANDIDATE, headers=reader),
        client.patch(f"/v1/candidates/{created['id']}", json={"headline": "x"}, headers=reader),
        client.delete(f"/v1/candidates/{created['id']}", headers=reader),
        client.post(
            "/v1/candidates:bulk",
            data=json.dumps(CANDIDATE) + "\n",
            headers={**reader, "Content-Type": "application/x-ndjson"},
        ),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert {error_code(r) for r in refused} == {"read_only_key"}
    # nothing changed
    assert client.get(f"/v1/candidates/{created['id']}", headers=a).get_json()["version"] == created["version"]
    assert [c["external_id"] for c in client.get("/v1/candidates", headers=a).get_json()["items"]] == [
        CANDIDATE["external_id"]
    ]


def test_keys_expire_and_rotate_without_downtime(tenant_api):
    from datetime import timedelta

    from models.tenants.store.tables import utcnow

    app, a, _ = tenant_api
    client = app.test_client()
    db = app.extensions["talent"].database
    short = {"Authorization": f"Bearer {tenants.add_key(db, 'alpha', expires_at=utcnow() - timedelta(seconds=1))}"}
    response = client.get("/v1/candidates", headers=short)
    assert response.status_code == 401 and error_code(response) == "key_expired"
    # rotation with an overlap: old and new keys both work until the old one expires
    new = {"Authorization": f"Bearer {tenants.rotate_key(db, 'alpha', overlap=timedelta(hours=1))}"}
    assert client.get("/v1/candidates", headers=a).status_code == 200
    assert client.get("/v1/candidates", headers=new).status_code == 200
    # once the overlap is over (the old key's expiry moved to now), only the new key works
    tenants.rotate_key(db, "alpha", overlap=timedelta(microseconds=1))
    assert client.get("/v1/candidates", headers=a).status_code == 401
    assert (
        client.get("/v1/candidates", headers=new).status_code == 401
    )  # rotated too: a rotation retires every older key


def test_protected_attributes_are_refused_by_name(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    response = client.post(
        "/v1/candidates", json={**CANDIDATE, "date_of_birth": "1990-01-01", "gender": "f"}, headers=a
    )
    assert response.status_code == 400
    err = response.get_json()["error"]
    assert err["code"] == "protected_attribute"
    assert err["details"]["fields"] == ["$.date_of_birth", "$.gender"]
    assert client.get("/v1/candidates", headers=a).get_json()["items"] == []


def test_bad_input_changes_nothing(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    cases = [  # 400: the document does not match the schema; 422: it does, and names an unknown region
        ({**CANDIDATE, "favourite_colour": "blue"}, 400, "$.favourite_colour"),
        ({**CANDIDATE, "remote_ok": "yes"}, 400, "$.remote_ok"),
        ({**CANDIDATE, "skills": [{"skill": "python", "years": -1}]}, 400, "$.skills[0].years"),
        ({**CANDIDATE, "skills": ["   "]}, 400, "$.skills[0]"),
        ({**CANDIDATE, "region_id": "oews-9999999", "location": None}, 422, "$.region_id"),
    ]
    for doc, status, path in cases:
        doc = {k: v for k, v in doc.items() if v is not None}
        response = client.post("/v1/candidates", json=doc, headers=a)
        assert response.status_code == status, doc
        assert error_code(response) == "validation_failed"
        assert path in [e["path"] for e in response.get_json()["error"]["details"]["errors"]]
    raw = client.post("/v1/candidates", data=b'{"external_id": ', content_type="application/json", headers=a)
    assert error_code(raw) == "invalid_json"
    assert client.get("/v1/candidates", headers=a).get_json()["items"] == []


def ndjson(docs) -> bytes:
    return ("\n".join(json.dumps(d) for d in docs) + "\n").encode()


def results(response) -> list[dict]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_bulk_upsert_reports_each_line_and_is_idempotent(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    docs = [
        {"external_id": f"c-{i}", "headline": "Machinist", "skills": ["CNC machining"], "location": "Elkhart, IN"}
        for i in range(10)
    ]
    body = ndjson(docs[:5]) + b"{not json}\n" + ndjson([{"external_id": "c-x", "age": 40}]) + ndjson(docs[5:])
    out = results(client.post("/v1/candidates:bulk", data=body, content_type="application/x-ndjson", headers=a))
    summary = out.pop()["summary"]
    assert summary == {"created": 10, "updated": 0, "error": 2, "lines": 12}
    assert [r["line"] for r in out] == list(range(1, 13))
    assert out[5]["error"]["code"] == "invalid_json"
    assert out[6]["error"]["code"] == "protected_attribute"

    again = results(
        client.post("/v1/candidates:bulk", data=ndjson(docs), content_type="application/x-ndjson", headers=a)
    )
    assert again.pop()["summary"] == {"created": 0, "updated": 10, "error": 0, "lines": 10}
    exported = [
        json.loads(line) for line in client.get("/v1/candidates:export", headers=a).get_data(as_text=True).splitlines()
    ]
    assert sorted(r["external_id"] for r in exported) == sorted(d["external_id"] for d in docs)
    assert all(r["version"] == 2 for r in exported)


def test_bulk_refuses_duplicates_and_too_many_lines_whole(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    dup = ndjson([{"external_id": "d-1"}, {"external_id": "d-2"}, {"external_id": "d-1"}])
    response = client.post("/v1/candidates:bulk", data=dup, content_type="application/x-ndjson", headers=a)
    assert response.status_code == 422 and error_code(response) == "duplicate_external_id"
    assert response.get_json()["error"]["details"]["duplicates"] == [{"line": 3, "external_id": "d-1", "first_line": 1}]
    many = ndjson([{"external_id": f"m-{i}"} for i in range(41)])
    response = client.post("/v1/candidates:bulk", data=many, content_type="application/x-ndjson", headers=a)
    assert response.status_code == 413 and error_code(response) == "too_many_lines"
    assert client.get("/v1/candidates", headers=a).get_json()["items"] == []


def test_non_finite_numbers_nul_characters_bad_encoding_and_big_bodies_are_refused(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    nan = json.dumps(PROGRAM).replace('"hours": 120', '"hours": NaN').encode()
    response = client.post("/v1/programs", data=nan, content_type="application/json", headers=a)
    assert response.status_code == 400 and error_code(response) == "invalid_json"
    assert "NaN" in response.get_json()["error"]["message"]
    huge = json.dumps(PROGRAM).replace('"cost": 2400', '"cost": 1e400').encode()
    assert (
        error_code(client.post("/v1/programs", data=huge, content_type="application/json", headers=a)) == "invalid_json"
    )
    response = client.post("/v1/candidates", json={**CANDIDATE, "headline": "Wind\u0000 technician"}, headers=a)
    assert response.status_code == 400 and error_code(response) == "validation_failed"
    assert [e["path"] for e in response.get_json()["error"]["details"]["errors"]] == ["$.headline"]
    latin1 = (
        json.dumps(CANDIDATE).replace("Fort Wayne", "Fort Wayne \u00e9").encode("utf-8").replace(b"\xc3\xa9", b"\xe9")
    )
    for path, kind in (("/v1/candidates", "application/json"), ("/v1/candidates:bulk", "application/x-ndjson")):
        response = client.post(path, data=latin1, content_type=kind, headers=a)
        assert response.status_code == 400 and error_code(response) == "invalid_utf8"
    big = {**CANDIDATE, "summary": "x" * (app.config["SETTINGS"].max_body_bytes + 1)}
    response = client.post("/v1/candidates", json=big, headers=a)
    assert response.status_code == 413 and error_code(response) == "too_large"
    assert (
        error_code(client.post("/v1/candidates:bulk", data=b"\n \n", content_type="application/x-ndjson", headers=a))
        == "invalid_ndjson"
    )

    lines = [
        json.dumps({"external_id": "ok-1", "headline": "Machinist"}),
        '{"external_id": "nan-1", "salary_expectation": {"min": NaN}}',
        json.dumps({"external_id": "nul-1", "headline": "Machinist\u0000"}),
        json.dumps({"external_id": "ok-2", "headline": "Welder"}),
    ]
    out = results(
        client.post("/v1/candidates:bulk", data="\n".join(lines), content_type="application/x-ndjson", headers=a)
    )
    assert out.pop()["summary"] == {"created": 2, "updated": 0, "error": 2, "lines": 4}
    assert [r["status"] for r in out] == ["created", "error", "error", "created"]
    assert out[1]["error"]["code"] == "invalid_json" and out[2]["error"]["code"] == "validation_failed"
    stored = client.get("/v1/candidates", headers=a).get_json()["items"]
    assert sorted(r["external_id"] for r in stored) == ["ok-1", "ok-2"]


def test_bulk_reports_a_line_the_store_refuses_and_writes_the_others(tenant_api, monkeypatch):
    """A chunk's transaction is all or nothing; when the store refuses one record of it, the
    chunk is written line by line so only that line fails and the stream stays whole."""
    from models.core.errors import InvalidInput
    from models.tenants.store import record_rows as store

    real = store.bulk_upsert

    def refusing(db, tenant_id, kind, items):
        items = list(items)
        if any(item["external_id"] == "refused" for item in items):
            raise InvalidInput("the store refuses this record")
        return real(db, tenant_id, kind, items)

    monkeypatch.setattr(store, "bulk_upsert", refusing)
    app, a, _ = tenant_api
    client = app.test_client()
    docs = [
        {"external_id": ext, "headline": "Machinist", "skills": ["CNC machining"]} for ext in ("w-1", "refused", "w-2")
    ]
    out = results(client.post("/v1/candidates:bulk", data=ndjson(docs), content_type="application/x-ndjson", headers=a))
    assert out.pop()["summary"] == {"created": 2, "updated": 0, "error": 1, "lines": 3}
    assert out[1] == {
        "line": 2,
        "status": "error",
        "error": {"code": "invalid_input", "message": "the store refuses this record", "details": None},
    }
    written = {r["external_id"]: r["id"] for r in out if r["status"] == "created"}
    assert set(written) == {"w-1", "w-2"}
    stored = client.get("/v1/candidates", headers=a).get_json()["items"]
    assert {r["external_id"]: r["id"] for r in stored} == written
    tenant = tenants.authenticate(app.extensions["talent"].database, a["Authorization"].split()[1])
    index = app.extensions["talent"].records().indexes.get(tenant, "candidate")
    assert sorted(index.index.ids().tolist()) == sorted(written.values())


def test_a_bulk_request_of_10000_lines_is_streamed_through_http(backend, reference, tmp_path):
    """The issue asks for at least 10,000 lines a request. Records with nothing to encode keep
    this fast; the path (parse, validate, chunked writes, streamed results) is the real one."""
    from service import create_app

    app = create_app({"data_dir": str(tmp_path), "database_url": backend.standalone_url}, reference=reference)
    db = app.extensions["talent"].database
    _, key = tenants.create_tenant(db, "bulk")
    headers = {"Authorization": f"Bearer {key}"}
    body = ndjson([{"external_id": f"b-{i}", "languages": ["en"]} for i in range(10_000)])
    response = app.test_client().post(
        "/v1/candidates:bulk", data=body, content_type="application/x-ndjson", headers=headers
    )
    assert response.status_code == 200 and response.is_streamed
    out = results(response)
    assert out.pop()["summary"] == {"created": 10_000, "updated": 0, "error": 0, "lines": 10_000}
    assert [r["line"] for r in out] == list(range(1, 10_001))
    tenant = tenants.authenticate(db, key)
    assert len(app.extensions["talent"].records().indexes.get(tenant, "candidate").features) == 10_000
    db.dispose()


def test_list_filters_and_cursor_pagination(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    docs = [
        {"external_id": f"n-{i}", "title": "CNC Machinist", "region_id": "oews-0021140" if i % 2 else "oews-0023060"}
        for i in range(7)
    ]
    client.post("/v1/needs:bulk", data=ndjson(docs), content_type="application/x-ndjson", headers=a)
    seen, cursor = [], None
    while True:
        page = client.get("/v1/needs?limit=3" + (f"&cursor={cursor}" if cursor else ""), headers=a).get_json()
        seen += [r["external_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(d["external_id"] for d in docs) and len(seen) == len(set(seen))
    elkhart = client.get("/v1/needs?region_id=oews-0021140", headers=a).get_json()["items"]
    assert {r["external_id"] for r in elkhart} == {"n-1", "n-3", "n-5"}


def test_a_patch_that_races_another_write_keeps_both_changes(tenant_api, monkeypatch):
    """Another writer changes the record between the PATCH's read and its write: the fields are
    merged again into the new version (no 409 for a client that sent no version), and the other
    writer's change stays."""
    from models.tenants.store import record_rows as store

    app, a, _ = tenant_api
    client = app.test_client()
    created = client.post("/v1/candidates", json={"external_id": "race", "headline": "Welder"}, headers=a).get_json()
    real, raced = store.replace, []

    def racing(db, tenant_id, kind, record_id, item, expected_version=None):
        if not raced:  # once, as if another request wrote first
            raced.append(1)
            current = store.get(db, tenant_id, kind, record_id)
            other = {**item, "data": {**current.data, "summary": "MIG and TIG on stainless pipe."}}
            real(db, tenant_id, kind, record_id, other, expected_version=current.version)
        return real(db, tenant_id, kind, record_id, item, expected_version=expected_version)

    monkeypatch.setattr(store, "replace", racing)
    response = client.patch(f"/v1/candidates/{created['id']}", json={"headline": "Lead welder"}, headers=a)
    assert response.status_code == 200, response.get_json()
    stored = client.get(f"/v1/candidates/{created['id']}", headers=a).get_json()
    assert stored["data"]["headline"] == "Lead welder"
    assert stored["data"]["summary"] == "MIG and TIG on stainless pipe."
    assert stored["version"] == created["version"] + 2
