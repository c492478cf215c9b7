"""Language services through the HTTP API, on the real pack and encoder, with known answers."""

from __future__ import annotations

import pytest

PYTHON_SKILL = "Python (computer programming)"


def labels(items):
    return [s["label"] for s in items]


def test_extract_finds_python_with_its_evidence(client):
    text = (
        "Acme Widgets is a leading global provider of widgets, founded in 1921.\n"
        "You will write Python services and REST APIs for our data platform.\n"
        "Salary: $90,000 - $110,000 per year plus benefits."
    )
    response = client.post("/v1/skills/extract", json={"text": text})
    assert response.status_code == 200
    skills = response.get_json()["skills"]
    assert PYTHON_SKILL in labels(skills[:10])
    python = next(s for s in skills if s["label"] == PYTHON_SKILL)
    assert "Python" in python["evidence"]
    assert text[python["offset"] :].startswith(python["evidence"][:6]) or python["evidence"] in text
    # boilerplate lines (company blurb, pay) give no evidence
    assert all("Salary" not in s["evidence"] and "founded" not in s["evidence"] for s in skills)
    scores = [s["score"] for s in skills]
    assert scores == sorted(scores, reverse=True)


def test_search_ranks_the_named_skill_first(client):
    body = client.get("/v1/skills/search?q=python programming&limit=5").get_json()
    assert body["skills"][0]["label"] == PYTHON_SKILL
    assert len(body["skills"]) == 5


def test_normalize_title(client):
    body = client.post("/v1/titles/normalize", json={"title": "Wind Turbine Technician"}).get_json()
    assert body["occupations"][0]["soc"] == "49-9081"
    assert body["status"] == "confident" and body["confidence"] == body["occupations"][0]["score"] >= 0.5
    assert body["esco_occupations"], "nearest ESCO occupations are listed too"
    probabilities = [o["score"] for o in body["occupations"]]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0 + 1e-6


@pytest.mark.parametrize(
    "title, soc, cleaned",
    [
        ("Sr. Maint. Tech II", "49-9071", "Maintenance Technician"),  # seniority and grade are not the job
        ("COOK APPRENTICE", "35-2014", "COOK"),  # a training stage is not either
        ("Class A CDL Driver (Seasonal)", "53-3032", None),
        ("Lanscaping & Grounds Keeping Workers", "37-3011", None),  # misspelt, plural, ampersand
        ("LABORER, CONCRETE", "47-2061", "CONCRETE LABORER"),  # inverted
    ],
)
def test_employer_titles_are_understood(client, title, soc, cleaned):
    body = client.post("/v1/titles/normalize", json={"title": title}).get_json()
    assert soc in [o["soc"] for o in body["occupations"][:2]], body["occupations"]
    if cleaned:
        assert body["cleaned"] == cleaned


def test_a_title_that_does_not_decide_is_uncertain(client):
    body = client.post("/v1/titles/normalize", json={"title": "Associate"}).get_json()
    assert body["status"] == "uncertain" and body["confidence"] < 0.5 and len(body["occupations"]) == 5


def test_title_skills(client):
    body = client.post("/v1/titles/skills", json={"title": "software developer", "limit": 20}).get_json()
    assert len(body["skills"]) == 20
    text = " ".join(labels(body["skills"])).lower()
    assert any(word in text for word in ("software", "programming", "ict")), text


def test_resolve_fort_wayne(client):
    body = client.get("/v1/regions/resolve?q=Fort Wayne, IN").get_json()
    first = body["matches"][0]["region"]
    assert first["id"] == "oews-0023060"
    assert first["name"] == "Fort Wayne, IN"


def test_region_detail_has_statistics(client):
    body = client.get("/v1/regions/oews-0023060").get_json()
    assert body["region"]["kind"] in ("metro", "micro_hub", "large_metro")
    assert body["statistics"]


def test_nonmetropolitan_area_is_a_micro_hub(client):
    body = client.get("/v1/regions?q=nonmetropolitan&limit=1000").get_json()
    assert body["total"] > 100
    assert {r["kind"] for r in body["regions"]} == {"micro_hub"}


def test_an_occupation_with_what_it_does_and_needs(client):
    body = client.get("/v1/occupations/49-9081").get_json()
    assert body["title"] == "Wind Turbine Service Technicians"
    assert any("turbine" in t.lower() for t in body["tasks"]) and body["activities"]
    labels = [s["label"] for s in body["skills"]["required"]]
    assert labels and all(s["id"].startswith("http://data.europa.eu/esco/skill/") for s in body["skills"]["required"])
    missing = client.get("/v1/occupations/99-9999")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_health_and_ready(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["skills"] > 13000


def test_not_ready_while_a_failed_load_says_why(tmp_path):
    """A worker whose pack cannot load stays up, answers liveness, and is never ready."""
    from service import create_app

    app = create_app({"data_dir": str(tmp_path)})  # no pack there: the background load fails
    runtime = app.extensions["talent"]
    assert runtime.wait(timeout=60) is False
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    error = ready.get_json()["error"]
    assert error["code"] == "not_ready" and "no reference pack" in error["details"]["reason"]
    response = client.post("/v1/skills/extract", json={"text": "I write Python services."})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "not_ready"
