"""The language detector: English words decide short texts, the identifier longer ones."""

from __future__ import annotations

import pytest

from models.core.language import LanguageDetector, language_key

ENGLISH_WORDS = LanguageDetector.from_texts(
    [
        "registered nurse welder wind turbine technician java developer maintenance mechanic",
        "operate welding equipment, read engineering drawings, stainless steel, licensed practical nurse",
        "greenskeeper laborer grounds",
    ]
)


@pytest.mark.parametrize(
    "text",
    [
        "Welder",
        "Registered Nurses",  # plural of known words
        "Greenskeepers",
        "LPN",  # an abbreviation the title cleaner spells out
        "java developer",
        "Operate welding equipment and read engineering drawings on stainless steel.",
        "",
    ],
)
def test_english_stays_english(text):
    assert ENGLISH_WORDS.detect(text).english


@pytest.mark.parametrize(
    "text, language",
    [
        ("Soldador con 8 años de experiencia en soldadura TIG y MIG de tubería de acero inoxidable.", "es"),
        ("Enfermera registrada en cuidados intensivos durante seis años.", "es"),
        ("Técnico de mantenimiento de aerogeneradores, trabajo en altura y sistemas hidráulicos.", "es"),
        ("Infirmière diplômée en soins intensifs depuis six ans, bilingue.", "fr"),
    ],
)
def test_foreign_sentences_are_named(text, language):
    detected = ENGLISH_WORDS.detect(text)
    assert not detected.english
    assert detected.language == language


@pytest.mark.parametrize("title", ["Chofer", "Enfermera registrada", "Mecánico diésel"])
def test_short_foreign_titles_are_foreign_whatever_the_identifier_guesses(title):
    assert not ENGLISH_WORDS.detect(title).english


@pytest.mark.parametrize(
    "value, key", [("es", "es"), ("Spanish", "es"), (" spanish ", "es"), ("ES", "es"), ("Quechua", "quechua")]
)
def test_language_key(value, key):
    assert language_key(value) == key
