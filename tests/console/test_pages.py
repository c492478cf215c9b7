"""The console through Flask's test client: every page renders from the same models/ code as
the API; sign-in, cookies, CSRF, tenant isolation and escaping."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from models.tenants.store import tenants
from tests.console.conftest import csrf_of, sign_in
from tests.console.seed import OHIO_HUB, XSS


def _id(client, key: str, kind: str, external_id: str) -> int:
    response = client.get(f"/v1/{kind}s?external_id={external_id}", headers={"Authorization": f"Bearer {key}"})
    return response.get_json()["items"][0]["id"]


def test_pages_need_signing_in(console):
    client = console["app"].test_client()
    response = client.get("/console/candidates?q=cnc")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/sign-in?next=")


def test_a_wrong_key_gets_a_clear_message(console):
    client = console["app"].test_client()
    response = sign_in(client, "tk_not-a-key-of-anyone-at-all")
    assert response.status_code == 401
    assert "unknown or has been revoked" in response.get_data(as_text=True)


def test_session_cookie_flags(console):
    client = console["app"].test_client()
    response = sign_in(client, console["alpha"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    app = console["app"]
    value = cookie.split(";")[0].split("=", 1)[1]
    held = app.session_interface.get_signing_serializer(app).loads(value)
    assert console["alpha"] not in str(held)  # the key's digest, never the key: a copied cookie is no API key
    secure = console["app"].test_client()
    page = secure.get("/console/sign-in", base_url="https://localhost")
    response = secure.post(
        "/console/sign-in",
        data={"key": console["alpha"], "csrf_token": csrf_of(page.get_data(as_text=True))},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_post_without_the_csrf_token_is_refused(alpha):
    response = alpha.post("/console/needs/new", data={"title": "Welder", "region_id": OHIO_HUB})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)
    response = alpha.post("/console/needs/new", data={"title": "Welder", "csrf_token": "forged"})
    assert response.status_code == 400


def test_console_pages_have_a_policy_without_inline_scripts(alpha):
    response = alpha.get("/console/candidates")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in response.get_data(as_text=True)  # only <script src=…>


def test_another_tenants_candidate_is_a_404_page(console, alpha):
    response = alpha.get(f"/console/candidates/{console['beta_candidate']}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Beta" not in response.get_data(as_text=True)


def test_a_script_headline_is_shown_as_text(console, alpha):
    cid = _id(alpha, console["alpha"], "candidate", "xss-1")
    html = alpha.get(f"/console/candidates/{cid}").get_data(as_text=True)
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    listing = alpha.get("/console/candidates").get_data(as_text=True)
    assert XSS not in listing and "&lt;script&gt;" in listing


def test_candidates_filters_and_candidate_page(console, alpha):
    html = alpha.get("/console/candidates?kind=micro_hub&kind=metro&state=OH").get_data(as_text=True)
    assert "CNC machinist" in html and "Chicago" not in html
    html = alpha.get("/console/candidates?remote=true").get_data(as_text=True)
    assert "Quality inspector" in html and "Welder" not in html
    cid = _id(alpha, console["alpha"], "candidate", "oh-1")
    need = _id(alpha, console["alpha"], "need", "need-cnc")
    html = alpha.get(f"/console/candidates/{cid}?role=need:{need}").get_data(as_text=True)
    assert "What was understood" in html and "Recommended roles" in html
    assert "Training plan" in html


def test_need_created_in_a_form_is_understood(alpha):
    page = alpha.get("/console/needs/new").get_data(as_text=True)
    response = alpha.post(
        "/console/needs/new",
        data={
            "csrf_token": csrf_of(page),
            "title": "CNC machinist",
            "required_skills": "CNC machining\nread engineering drawings",
            "location": "Lima, OH",
            "remote_policy": "onsite",
            "openings": "2",
            "status": "open",
        },
    )
    assert response.status_code == 303
    html = alpha.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lima" in html and "Saved." in html
    edit = re.search(r'href="(/console/needs/\d+/edit)"', html).group(1)
    form = alpha.get(edit).get_data(as_text=True)
    response = alpha.post(
        edit,
        data={
            "csrf_token": csrf_of(form),
            "external_id": re.search(r'name="external_id" value="([^"]+)"', form).group(1),
            "title": "CNC machinist (nights)",
            "openings": "x",
        },
    )
    assert response.status_code == 400 and "whole number" in response.get_data(as_text=True)


def test_region_report_and_downloads(alpha):
    html = alpha.get(f"/console/report?region={OHIO_HUB}").get_data(as_text=True)
    assert 'id="gap-chart"' in html and "Certification suggestions" in html
    rows = list(csv.reader(io.StringIO(alpha.get(f"/console/report.csv?region={OHIO_HUB}").get_data(as_text=True))))
    assert rows[0] == ["skill", "esco_id", "demand", "supply", "supply_share", "gap"] and len(rows) > 1
    book = load_workbook(io.BytesIO(alpha.get(f"/console/report.xlsx?region={OHIO_HUB}").data))
    assert book.sheetnames == ["Summary", "Skill gaps", "Certifications"]


def test_talent_map_page(console, alpha):
    need = _id(alpha, console["alpha"], "need", "need-cnc")
    html = alpha.get(f"/console/talent-map?need={need}").get_data(as_text=True)
    assert 'id="talent-map"' in html and "data-points='[" in html
    assert alpha.get("/console/talent-map?soc=51-4041&kind=micro_hub").status_code == 200


def test_a_revoked_key_ends_the_session(console):
    key = tenants.add_key(console["db"], "alpha")
    client = console["app"].test_client()
    assert sign_in(client, key).status_code == 302
    assert client.get("/console/needs").status_code == 200
    tenants.revoke_key(console["db"], key)
    response = client.get("/console/needs")
    assert response.status_code == 302 and "ended=revoked" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the API key was revoked" in page
    assert sign_in(client, key).status_code == 401


def test_csv_import_reports_a_bad_row_and_writes_the_others(console, alpha):
    page = alpha.get("/console/import").get_data(as_text=True)
    body = (
        "external_id,title,provider,hours,skills_taught\n"
        "csv-1,Forklift safety,County JVS,8,forklift operation\n"
        "csv-2,Blueprint reading,County JVS,many,read engineering drawings\n"
        "csv-3,=HYPERLINK(1),County JVS,12,welding;read engineering drawings\n"
    )
    response = alpha.post(
        "/console/import",
        data={"csrf_token": csrf_of(page), "kind": "program", "file": (io.BytesIO(body.encode()), "programs.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 lines: 2 created, 0 updated, 1 with errors." in html
    assert "column hours: &#39;many&#39; is not a number" in html
    report = re.search(r'href="(/console/import/[^"]+\.csv)"', html).group(1)
    rows = list(csv.DictReader(io.StringIO(alpha.get(report).get_data(as_text=True))))
    assert [(r["line"], r["code"]) for r in rows] == [("3", "validation_failed")]
    headers = {"Authorization": f"Bearer {console['alpha']}"}
    stored = alpha.get("/v1/programs?external_id=csv-3", headers=headers).get_json()["items"]
    assert stored[0]["data"]["skills_taught"] == ["welding", "read engineering drawings"]
    beta = console["app"].test_client()
    sign_in(beta, console["beta"])
    assert beta.get(report).status_code == 404  # the error report is the importing tenant's own


def test_an_unknown_csv_column_writes_nothing(console, alpha):
    page = alpha.get("/console/import").get_data(as_text=True)
    body = "external_id,headline,age\ncsv-c1,Welder,41\n"
    response = alpha.post(
        "/console/import",
        data={"csrf_token": csrf_of(page), "kind": "candidate", "file": (io.BytesIO(body.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "unknown columns: age" in response.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {console['alpha']}"}
    assert alpha.get("/v1/candidates?external_id=csv-c1", headers=headers).get_json()["items"] == []


def test_spreadsheet_cells_never_start_a_formula():
    from service.console.tables import import_errors_csv

    text = import_errors_csv(
        [{"line": 1, "status": "error", "error": {"code": "x", "message": "=cmd()", "details": None}}]
    )
    assert "'=cmd()" in text


def test_a_read_only_key_reads_but_cannot_write(console):
    key = tenants.add_key(console["db"], "alpha", scope="read_only")
    client = console["app"].test_client()
    assert sign_in(client, key).status_code == 302
    assert client.get("/console/needs").status_code == 200
    page = client.get("/console/needs/new").get_data(as_text=True)
    response = client.post("/console/needs/new", data={"csrf_token": csrf_of(page), "title": "Welder"})
    assert response.status_code == 403
    assert "read-only" in response.get_data(as_text=True)
