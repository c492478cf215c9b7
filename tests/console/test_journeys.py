"""Journeys through the console in a real browser against a real gunicorn, each asserting what
a person sees; every one also checks that no console error happened and no request left
this machine (tests/console/browser.py)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models.tenants.store import tenants
from tests.console.browser import api, shot, sign_in
from tests.console.seed import OHIO_HUB, XSS
from tests.integration.serving import exchange

pytestmark = pytest.mark.pack


def test_recruiter_sources_a_micro_hub_need_outside_large_metros(page, server, tmp_path):
    page.goto("/console/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    shot(page, tmp_path, "sign-in")
    sign_in(page, server["alpha"])
    expect(page.get_by_role("heading", name="Candidates")).to_be_visible()
    shot(page, tmp_path, "candidates")

    page.get_by_role("link", name="Needs", exact=True).click()
    expect(page.locator("#needs")).to_contain_text("Industrial maintenance technician")
    shot(page, tmp_path, "needs")
    page.get_by_role("link", name="New need").click()
    page.get_by_label("Job title").fill("CNC machinist")
    page.get_by_label("Employer").fill("Van Wert Precision")
    page.get_by_label("Required skills").fill("CNC machining\nread engineering drawings\nuse measurement instruments")
    page.get_by_label("Place").fill("Van Wert, OH")
    page.get_by_label("Openings").fill("3")
    shot(page, tmp_path, "need-form")
    page.get_by_role("button", name="Create need").click()

    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.locator("#need-region")).to_contain_text("micro-hub")
    need_id = int(re.search(r"/console/needs/(\d+)", page.url).group(1))

    page.get_by_label("outside large metros").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_label("outside large metros")).to_be_checked()

    shown = page.locator("#need-candidates tbody tr").evaluate_all("rows => rows.map(r => Number(r.dataset.candidate))")
    expected = api(server, f"/v1/needs/{need_id}/candidates?exclude_large_metro=true")["items"]
    assert shown == [item["candidate"]["id"] for item in expected]
    assert shown, "some candidate outside the large metros fits"
    scores = page.locator("#need-candidates tbody td.score").all_inner_texts()
    assert scores == [f"{item['score']:.3f}" for item in expected]
    expect(page.locator("#need-candidates")).not_to_contain_text("Chicago")

    bubbles = page.locator("path.bubble")
    expect(bubbles.first).to_be_visible()
    expect(page.locator(".leaflet-overlay-pane path").nth(40)).to_be_attached()  # the states are drawn
    page.locator("#regions-table button.region-button").first.click()
    expect(page.locator("#region-facts")).to_contain_text("Fitting candidates")
    shot(page, tmp_path, "need")

    page.get_by_role("link", name="Talent map").click()
    page.get_by_label("or an occupation (SOC)").fill("51-4041")
    page.get_by_label("micro-hub").check()
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=re.compile("Machinists"))).to_be_visible()
    expect(page.locator("path.bubble").first).to_be_visible()
    expect(page.locator("#regions-table tbody tr").first).to_contain_text("micro-hub")
    shot(page, tmp_path, "talent-map")
    with page.expect_response(re.compile(r"/vendor/us-atlas/counties-10m\.json$")) as counties:
        for _ in range(3):  # zoomed in, the county borders are drawn too
            page.get_by_role("button", name="Zoom in").click()
    assert counties.value.status in (200, 304)  # 304: the need's map, zoomed in, fetched them already

    page.goto(f"/console/needs/{need_id}?exclude_large_metro=true")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, nothing wider than the screen
    expect(page.locator("#talent-map")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, tmp_path, "need-phone")


def test_training_centre_reads_and_downloads_the_ohio_micro_hub_report(page, server, tmp_path):
    sign_in(page, server["alpha"])
    page.get_by_role("link", name="Region report").click()
    page.get_by_label("Region with open needs").select_option(OHIO_HUB)
    page.get_by_role("button", name="Show report").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("West Northwestern Ohio")
    expect(page.locator("#open-needs")).to_contain_text("openings")
    expect(page.get_by_role("img", name=re.compile("largest skill gaps"))).to_be_visible()
    expect(page.locator("#gap-chart rect.bar").first).to_be_visible()
    expect(page.locator("#certifications > li").first).to_be_visible()
    local = page.locator("#certifications li li").filter(has_text="Precision manufacturing technician")
    expect(local.first).to_contain_text("local")
    shot(page, tmp_path, "report")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows[0] == ["skill", "esco_id", "demand", "supply", "supply_share", "gap"]
    table = page.locator("#gap-table tbody tr td:first-child").all_inner_texts()
    assert [r[0] for r in rows[1:]] == table
    assert all(0 <= float(r[5]) <= 1 for r in rows[1:])

    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Show report")).to_be_hidden()
    pdf = page.pdf(format="A4")
    (tmp_path / "console-report.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, f"the printed report has {pages} pages"


def test_hr_admin_imports_a_file_with_one_bad_line(page, server, tmp_path):
    lines = [
        {"external_id": "imp-1", "headline": "Tool and die maker", "location": "Lima, OH"},
        {"external_id": "imp-2", "headline": "Welder", "location": "Findlay, OH", "age": 41},
        {"external_id": "imp-3", "headline": "CNC machinist", "location": "Van Wert, OH", "remote_ok": True},
    ]
    sign_in(page, server["alpha"])
    page.get_by_role("link", name="Import").click()
    page.get_by_label("candidates").check()
    page.get_by_label("File (.ndjson, .jsonl or .csv)").set_input_files(
        {
            "name": "candidates.ndjson",
            "mimeType": "application/x-ndjson",
            "buffer": "\n".join(json.dumps(d) for d in lines).encode(),
        }
    )
    page.get_by_role("button", name="Import").click()

    expect(page.locator(".progress-log li").last).to_have_text("3 of 3 lines read, understood and stored")
    expect(page.locator("#import-summary")).to_have_text("3 lines: 2 created, 0 updated, 1 with errors.")
    error_row = page.locator("#import-errors tbody tr")
    expect(error_row).to_have_count(1)
    expect(error_row).to_contain_text("2")
    expect(error_row).to_contain_text("protected attributes are never accepted")
    shot(page, tmp_path, "import")

    for ext, stored in (("imp-1", True), ("imp-2", False), ("imp-3", True)):
        assert bool(api(server, f"/v1/candidates?external_id={ext}")["items"]) is stored, ext
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error lines (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [(r["line"], r["code"]) for r in rows] == [("2", "protected_attribute")]


def test_sign_out_revoked_key_another_tenants_id_and_a_script_headline(page, server, tmp_path):
    sign_in(page, server["alpha"])
    page.get_by_label("Search").fill("xss-1")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=XSS).click()
    expect(page.locator("#headline")).to_have_text(XSS)  # shown as text, and no dialog opened (Guard)
    shot(page, tmp_path, "candidate")

    page.guard.expected_statuses.update({"401", "404"})
    page.goto(f"/console/candidates/{server['beta_candidate']}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Beta")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto("/console/candidates")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    key = tenants.add_key(server["db"], "alpha")
    sign_in(page, key)
    expect(page.get_by_role("heading", name="Candidates")).to_be_visible()
    tenants.revoke_key(server["db"], key)
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("the API key was revoked")
    sign_in(page, key)
    expect(page.get_by_role("alert")).to_have_text(
        "This API key is unknown or has been revoked. Check it, or ask for a new one."
    )
    status, _, _ = exchange(server["port"], "GET", "/v1/candidates", headers={"Authorization": f"Bearer {key}"})
    assert status == 401  # the API agrees


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"  # axe-core 4.14.1 from npm, MPL-2.0


def test_every_page_passes_an_accessibility_scan(browser, server):
    """axe-core's WCAG 2 A/AA rules on each page; serious and critical findings fail. Its
    script is injected, so this context alone lets the page run a script it did not ship."""
    context = browser.new_context(base_url=server["base"], bypass_csp=True)
    page = context.new_page()
    candidate = api(server, "/v1/candidates?external_id=oh-1")["items"][0]["id"]
    need = api(server, "/v1/needs?external_id=need-cnc")["items"][0]["id"]
    paths = [
        "/console/candidates?q=machinist&kind=micro_hub",
        f"/console/candidates/{candidate}?role=need:{need}",
        "/console/needs",
        "/console/needs/new",
        f"/console/needs/{need}?exclude_large_metro=true",
        "/console/talent-map?soc=51-4041",
        f"/console/report?region={OHIO_HUB}",
        "/console/import",
    ]
    found = {}
    try:
        for path in ["/console/sign-in", *paths]:
            if path == paths[0]:
                sign_in(page, server["alpha"])
            page.goto(path)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice'], resultTypes: ['violations']})"
            )
            serious = [
                f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if serious:
                found[path] = serious
    finally:
        context.close()
    assert found == {}
