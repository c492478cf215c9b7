"""The audit log: every write, bulk import, export and erasure of a tenant, with the acting
key's prefix, readable by that tenant alone, never holding record contents."""

from __future__ import annotations

import json

from models.tenants.store import tenants

CANDIDATE = {
    "external_id": "c-audit-1",
    "headline": "Wind turbine technician",
    "skills": ["wind turbine maintenance"],
    "summary": "Secret summary text that must never reach the audit log.",
    "location": "Fort Wayne, IN",
}


def test_every_write_import_export_and_erasure_is_logged_without_contents(tenant_api):
    app, a, b = tenant_api
    client = app.test_client()
    db = app.extensions["talent"].database
    prefix = a["Authorization"].split()[1][:12]
    created = client.post("/v1/candidates", json=CANDIDATE, headers={**a, "X-Request-Id": "req-create-1"}).get_json()
    client.patch(f"/v1/candidates/{created['id']}", json={"headline": "Lead wind technician"}, headers=a)
    lines = "".join(json.dumps({**CANDIDATE, "external_id": f"bulk-{i}"}) + "\n" for i in range(3))
    client.post("/v1/candidates:bulk", data=lines, headers={**a, "Content-Type": "application/x-ndjson"}).get_data()
    client.get("/v1/candidates:export", headers=a).get_data()
    client.delete(f"/v1/candidates/{created['id']}", headers=a)
    client.get("/v1/candidates", headers=a)  # reads are not audited
    tenants.add_key(db, "alpha")  # an operator's command writes no record: nothing to log

    response = client.get("/v1/audit", headers=a)
    assert response.status_code == 200
    events = response.get_json()["events"]
    summary = [(e["action"], e["kind"], e["record_id"], e["count"]) for e in events]
    assert summary == [
        ("create", "candidate", created["id"], 1),
        ("patch", "candidate", created["id"], 1),
        ("bulk", "candidate", None, 3),
        ("export", "candidate", None, 4),
        ("delete", "candidate", created["id"], 1),
    ]
    assert {e["key_prefix"] for e in events} == {prefix}
    assert events[0]["request_id"] == "req-create-1"
    assert "Secret summary" not in response.get_data(as_text=True) and "Wind turbine" not in response.get_data(
        as_text=True
    )
    # another tenant sees only its own (empty) log; paging goes by id
    assert client.get("/v1/audit", headers=b).get_json() == {"events": [], "next_after": None}
    first = client.get("/v1/audit?limit=2", headers=a).get_json()
    assert [e["id"] for e in first["events"]] == [e["id"] for e in events[:2]] and first["next_after"] == events[1][
        "id"
    ]
    rest = client.get(f"/v1/audit?after={first['next_after']}", headers=a).get_json()
    assert [e["id"] for e in rest["events"]] == [e["id"] for e in events[2:]]


def test_a_failed_write_leaves_no_audit_event(tenant_api):
    app, a, _ = tenant_api
    client = app.test_client()
    client.post("/v1/candidates", json=CANDIDATE, headers=a)
    assert client.post("/v1/candidates", json=CANDIDATE, headers=a).status_code == 409
    assert client.put("/v1/candidates/999999", json=CANDIDATE, headers=a).status_code == 404
    assert [e["action"] for e in client.get("/v1/audit", headers=a).get_json()["events"]] == ["create"]
