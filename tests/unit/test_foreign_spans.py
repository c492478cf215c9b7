"""Phrases of a non-English sentence scored on their own (models/reference/multilingual.py)."""

from __future__ import annotations

from models.reference.multilingual import foreign_spans


def test_list_items_coordinated_terms_and_complements_are_spans():
    spans = foreign_spans("Soldadura TIG y MIG de tubería de acero inoxidable; lectura de planos isométricos.")
    assert spans == [
        "Soldadura TIG",
        "MIG de tubería de acero inoxidable",
        "tubería de acero inoxidable",
        "acero inoxidable",
        "lectura de planos isométricos",
        "planos isométricos",
    ]


def test_words_around_the_skills_are_no_span():
    # "8 años de experiencia" and its complement "experiencia" name no skill: the encoder
    # linked "experiencia" to "think creatively"
    assert foreign_spans("Soldador con 8 años de experiencia en soldadura TIG") == ["Soldador", "soldadura TIG"]
    assert foreign_spans("Conocimientos de Excel, cinco años de experiencia") == ["Conocimientos de Excel", "Excel"]
    assert foreign_spans("Erfahrung: 5 Jahre; Schweißen") == ["Schweißen"]


def test_the_whole_sentence_is_no_span_of_itself():
    assert foreign_spans("Carpintería") == []
