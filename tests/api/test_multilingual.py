"""Text in Spanish through the API, on the real pack and both encoders: understood into the
same English concepts as English text, and matched across languages."""

from __future__ import annotations

import pytest

WELDER_ES = (
    "Soldador con 8 años de experiencia en soldadura TIG y MIG de tubería de acero inoxidable; "
    "lectura de planos isométricos."
)


def labels(items):
    return [s["label"] for s in items]


def test_spanish_job_ad_gives_english_skills(client):
    body = client.post("/v1/skills/extract", json={"text": WELDER_ES}).get_json()
    assert body["language"] == "es"
    found = " ".join(labels(body["skills"][:10])).lower()
    assert "weld" in found and "stainless steel" in found


def test_english_text_is_read_as_before(client):
    body = client.post(
        "/v1/skills/extract", json={"text": "Experienced TIG welder for stainless steel pipe."}
    ).get_json()
    assert body["language"] == "en"
    assert any("weld" in label.lower() for label in labels(body["skills"][:5]))


@pytest.mark.parametrize("title, soc", [("Enfermera registrada", "29-1141"), ("Maestra de primaria", "25-2021")])
def test_spanish_title_is_read_as_its_english_title(client, title, soc):
    body = client.post("/v1/titles/normalize", json={"title": title}).get_json()
    assert body["occupations"][0]["soc"] == soc
    assert body["cleaned"].isascii()  # the English known title it was read as


def test_spanish_is_translated_before_it_is_read(client):
    # the multilingual encoder alone read this title as "Interpreters and Translators"
    body = client.post("/v1/titles/normalize", json={"title": "Especialista de soporte de TI"}).get_json()
    assert body["occupations"][0]["soc"] == "15-1232"
    text = "Experiencia en atención al cliente, manejo de caja registradora y control de inventario."
    body = client.post("/v1/skills/extract", json={"text": text}).get_json()
    assert body["language"] == "es"
    found = labels(body["skills"][:8])
    assert "operate cash register" in found and "manage inventory" in found


def test_spanish_cv_matches_an_english_need_and_speaks_spanish(api):
    post, get = api
    need = post(
        "/v1/needs",
        {
            "external_id": "n1",
            "title": "Registered Nurse, ICU",
            "description": "Provide critical care nursing to ICU patients: assess patients, administer medication, "
            "monitor vital signs, document care.",
            "location": "Lexington, KY",
        },
    )
    nurse = post(
        "/v1/candidates",
        {
            "external_id": "es-nurse",
            "headline": "Enfermera registrada",
            "summary": "Enfermera registrada con seis años en cuidados intensivos: valoración de pacientes, "
            "administración de medicamentos, monitoreo de signos vitales y registros clínicos.",
            "skills": ["Administración de medicamentos", "Cuidado de heridas", "Signos vitales"],
            "location": "Hazard, KY",
        },
    )
    post(
        "/v1/candidates",
        {
            "external_id": "en-welder",
            "headline": "Welder",
            "summary": "TIG and MIG welder, stainless steel pipe, reads isometric drawings.",
            "location": "Hazard, KY",
        },
    )
    assert nurse["understood"]["language"] == "es"
    assert nurse["understood"]["occupation"]["soc"] == "29-1141"
    linked = labels(nurse["understood"]["skills"])
    assert "administer prescribed medication" in linked or any("medication" in s for s in linked)
    ranked = [i["candidate"]["external_id"] for i in get(f"/v1/needs/{need['id']}/candidates")["items"]]
    assert ranked.index("es-nurse") < ranked.index("en-welder")
    # the language a CV is written in counts for the language filter, by code or by name
    for value in ("es", "Spanish"):
        spanish = get(f"/v1/needs/{need['id']}/candidates?languages={value}")["items"]
        assert {i["candidate"]["external_id"] for i in spanish} == {"es-nurse"}
    matches = get(f"/v1/candidates/{nurse['id']}/matches?limit=5")["items"]
    assert matches[0]["role"]["soc"] == "29-1141"


def test_a_spanish_summary_names_the_job_in_its_translation(api):
    # the headline names no job; the job titles a summary names are looked up in English
    post, _ = api
    cv = post(
        "/v1/candidates",
        {
            "external_id": "es-electrician",
            "headline": "En busca de mi próxima oportunidad",
            "summary": "Trabajo como electricista en una planta de alimentos desde hace seis años.",
            "location": "Hazard, KY",
        },
    )
    occupation = cv["understood"]["occupation"]
    assert cv["understood"]["language"] == "es"
    assert occupation["soc"] == "47-2111" and occupation["source"] == "summary"


def test_a_spanish_title_leans_on_its_translation_as_much_as_on_its_nearest_titles(client):
    # the three known titles nearest "Asistente médico" in the multilingual space include
    # "Physician Assistant"; its translation, "Medical assistant", weighs half
    body = client.post("/v1/titles/normalize", json={"title": "Asistente médico certificado"}).get_json()
    assert body["occupations"][0]["soc"] == "31-9092"
