"""Spanish -> English through Apertium (Debian's apertium-eng-spa, installed by `make install`)."""

from __future__ import annotations

import pytest

from models.core.translation import Glossary, TranslationError, Translator, _protect, _unprotect, load_terms
from training.build_multilingual import TERMS_SOURCE


@pytest.fixture(scope="module")
def translator():
    found = Translator.find()
    assert found is not None, "Apertium's Spanish-English pair is missing: apt-get install apertium-eng-spa"
    return found


def test_reserved_characters_and_codes_round_trip():
    line = r"a/b [x] ^y$ @z {w} <ORG> back\slash TI MIL-STD-40051 D1.1"
    protected = _protect(line)
    assert "[TI]" in protected and "[MIL-STD-40051]" in protected and "[D1.1]" in protected
    assert r"a\/b" in protected and r"\<ORG\>" in protected
    assert _unprotect(protected) == line


def test_a_spanish_cv_sentence_comes_back_in_english(translator):
    (english,) = translator.translate(["Soldadura TIG de tubería de acero inoxidable; lectura de planos isométricos."])
    low = english.lower()
    assert "welding" in low and "stainless steel" in low and "isometric" in low


def test_codes_and_acronyms_are_not_translated(translator):
    # "TI" (tecnologías de la información) would come back as "you", "MIL" as "one thousand"
    (english,) = translator.translate(["Especialista de soporte de TI, norma MIL-STD-40051"])
    assert "TI" in english.split(",")[0].split() and "MIL-STD-40051" in english
    assert "you" not in english.lower() and "thousand" not in english.lower()


def test_one_line_per_text_in_order_with_reserved_characters_and_blanks(translator):
    texts = ["Enfermera registrada", "", "a/b <x> [y] \\ ^$ @ {z}", "Cocinero\ncon experiencia", "Electricista"]
    out = translator.translate(texts)
    assert len(out) == len(texts)
    assert out[0].lower() == "nurse registered" and out[1] == "" and out[4] == "Electrician"
    assert "<x>" in out[2] and "{z}" in out[2] and "\\" in out[2]
    assert out[3].lower().startswith("cook")
    assert translator.translate(["Electricista"]) == ["Electrician"]  # remembered


def test_each_text_of_a_batch_is_translated_as_it_would_be_alone():
    # Apertium reorders words across a bare line break: "dólar" + "Técnico de turbinas" came
    # back as "dollar of aeolian turbines" before each line ended a sentence of its own
    texts = ["Subgerente de tienda - Tienda de dólar", "Técnico de turbinas eólicas II", "Redactor técnico", "Fin."]
    batch = Translator.find().translate(texts)
    alone = [Translator.find().translate([t])[0] for t in texts]
    assert batch == alone
    assert batch[1].startswith("Technician of aeolian turbines") and batch[1].endswith("II")
    assert batch[3].endswith(".") and not batch[3].endswith("..") and not batch[0].endswith(".")


def test_a_failing_translator_is_an_error_the_reader_survives(tmp_path):
    broken = tmp_path / "apertium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(TranslationError):
        Translator(str(broken)).translate(["Enfermera registrada"])

    from models.core.language import LanguageDetector
    from models.reference.multilingual import Multilingual

    reader = Multilingual.__new__(Multilingual)  # only what in_english uses
    reader.detector = LanguageDetector(["nurse", "registered"])
    reader.translator = Translator(str(broken))
    assert reader.in_english(["Enfermera registrada"]) == [None]


def test_the_glossary_gives_the_sense_work_means_and_the_trade_words_apertium_lacks():
    translator = Translator.find(terms=load_terms(TERMS_SOURCE))
    plain = Translator.find()
    texts = [
        "Subgerente de tienda - Tienda de dólar",
        "Chofer",
        "Representante de servicio al cliente",
        "Turno de noche",
    ]
    assert plain.translate(texts)[:2] == ["Subgerente Of tent - Tent of dollar", "Chofer"]
    assert translator.translate(texts) == [
        "Assistant manager Of store - Store of dollar",
        "Driver",
        "Representative of customer service",
        "Shift Of night",  # Apertium capitalises after a word it did not translate
    ]


def test_glossary_terms_are_whole_words_longest_first_outside_punctuation():
    glossary = Glossary({"servicio al cliente": "customer service", "servicio": "service", "turno": "shift"})
    assert _protect("(Servicio al cliente), turnos; turno.", glossary) == "([Customer service]), turnos; [shift]."
    # punctuation inside a term ends it: each word is then read on its own
    assert _protect("servicio, al cliente", glossary) == "[service], al cliente"


def test_the_glossary_file_is_read_whole_and_malformed_lines_are_refused(tmp_path):
    terms = load_terms(TERMS_SOURCE)
    assert terms["tienda"] == "store" and terms["servicio al cliente"] == "customer service" and len(terms) > 100
    bad = tmp_path / "terms.tsv"
    bad.write_text("# comment\n\ntienda\tstore\nchofer driver\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":4:"):
        load_terms(bad)


def test_unknown_agent_nouns_and_deputies_are_derived_from_words_apertium_knows():
    english = {"welder", "solderer", "milker", "harvester", "assistant", "manager", "subcontractor", "of", "steel"}
    translator = Translator.find(lambda w: w.lower() in english)
    assert translator.translate(["Soldador", "Ordeñadora", "Subgerente", "Subcontratista", "Chofer"]) == [
        "Solderer",  # soldar -> solder -> solderer
        "Milker",
        "Assistant manager",  # gerente -> manager, a person: sub- makes a deputy
        "Subcontractor",
        "Chofer",  # no verb to derive from: left as written
    ]
    # a derived word must be an English word: "fabricar" -> "manufacture", "manufacturer" unknown here
    assert translator.translate(["Fabricador de acero"]) == ["Fabricador Of steel"]
