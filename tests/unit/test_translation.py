"""Spanish -> English through Apertium (Debian's apertium-eng-spa, installed by `make install`)."""

from __future__ import annotations

import pytest

from models.core.translation import TranslationError, Translator, _protect, _unprotect


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
