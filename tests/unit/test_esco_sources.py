"""ESCO readers: the packaged run-together strings and the official CSV download (known answers)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from training.sources import esco_official, esco_packaged
from training.sources.esco_official import esco_dir_fingerprint, read_esco_dir, split_alt_labels
from training.sources.esco_packaged import plural_label_anchor, split_concept_string

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "esco"
SKILL = "http://data.europa.eu/esco/skill/"
OCCUPATION = "http://data.europa.eu/esco/occupation/"
IRRIGATION_TECHNICIAN = OCCUPATION + "8d1e4b7a-2c95-4f03-b6e8-9a1d7c3f5e24"
DATA_ANALYST = OCCUPATION + "f3a6c8d1-7e20-4b94-a5c7-2d8e0f1b6c39"
CALIBRATE = SKILL + "3f2a9c1e-7b44-4d0a-9e8d-1c5b2a7f6e01"
CLIMATE = SKILL + "a07c5d92-14e3-4b8f-b0a6-5f9e2d3c8b17"
SCHEDULES = SKILL + "c4e81b3f-62d9-4a57-8e1c-0b7f9a2d4e68"
FORMATS = SKILL + "5b9d2e70-8f1a-4c36-a2d4-7e6c1f0b9a53"


# --- splitting the packaged strings -------------------------------------------------------------


def test_split_skill_with_alternatives():
    text = (
        "manage musical staff manage staff of music coordinate duties of musical staff manage music staff "
        "direct musical staff Assign and manage staff tasks in areas such as scoring, arranging, copying "
        "music and vocal coaching."
    )
    assert split_concept_string(text) == (
        "manage musical staff",
        ["manage staff of music", "coordinate duties of musical staff", "manage music staff", "direct musical staff"],
        "Assign and manage staff tasks in areas such as scoring, arranging, copying music and vocal coaching.",
    )


def test_split_knowledge_named_after_a_proper_noun():
    text = (
        "Haskell Haskell techniques The techniques and principles of software development, such as analysis, "
        "algorithms, coding, testing and compiling of programming paradigms in Haskell."
    )
    label, alternatives, definition = split_concept_string(text)
    assert (label, alternatives) == ("Haskell", ["Haskell techniques"])
    assert definition.startswith("The techniques and principles") and definition.endswith("in Haskell.")


@pytest.mark.parametrize(
    ("text", "label", "alternatives"),
    [
        # the same content word twice cannot be one label
        (
            "incremental development gradual development The incremental development model is a methodology.",
            "incremental development",
            ["gradual development"],
        ),
        # an acronym next to its spelled-out form is a label of its own
        (
            "human-computer interaction HCI The study of the interaction between digital devices and humans.",
            "human-computer interaction",
            ["HCI"],
        ),
        # parentheses stay inside a label; "The" opens the definition, not the repeated name
        (
            "Absorb (learning management systems) Absorb The learning system Absorb is an e-learning platform.",
            "Absorb (learning management systems)",
            ["Absorb"],
        ),
    ],
)
def test_split_structural_rules(text, label, alternatives):
    assert split_concept_string(text)[:2] == (label, alternatives)


def test_split_occupation_uses_the_plural_label():
    text = (
        "ICT security administrator system security administrator information security administrator "
        "network security administrator ICT security administrators IT security administrator CISO "
        "ICT security administrators plan and carry out security measures to protect information and data "
        "from unauthorised access, deliberate attack, theft and corruption."
    )
    label, alternatives, definition = split_concept_string(text)
    assert label == "ICT security administrator"
    assert definition.startswith("ICT security administrators plan and carry out")
    assert {"system security administrator", "information security administrator"} <= set(alternatives)


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        ("technical director technical manager Technical directors realise artistic visions.", (2, 4)),
        ("host/hostess airport host Hosts/hostesses welcome visitors.", (1, 3)),
        ("director of photography cinematographer Directors of photography light films.", (3, 4)),
        # an alternative in the plural comes before the definition: the last match wins
        ("ICT auditor ICT auditors IT auditor ICT auditors perform audits.", (2, 6)),
        ("manage musical staff direct musical staff Assign and manage staff tasks.", None),
    ],
)
def test_plural_label_anchor(text, anchor):
    assert plural_label_anchor(text.split()) == anchor


def test_split_degenerate_strings():
    assert split_concept_string("") == ("", [], "")
    assert split_concept_string("Maltego") == ("Maltego", [], "")


# --- the packaged files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packaged_skills():
    return esco_packaged.read_packaged_skills()


def test_read_packaged_skills(packaged_skills):
    assert len(packaged_skills) == 13939
    assert all(s.label and s.label == s.label.strip() for s in packaged_skills)
    assert len({s.id for s in packaged_skills}) == len(packaged_skills)
    assert all(s.id.startswith(SKILL) for s in packaged_skills)
    assert sum(bool(s.definition) for s in packaged_skills) > 13900
    assert all(s.label not in s.alt_labels for s in packaged_skills)
    by_id = {s.id: s for s in packaged_skills}
    musical = by_id[SKILL + "0005c151-5b5a-4a66-8aac-60e734beb1ab"]
    assert musical.label == "manage musical staff" and musical.definition.startswith("Assign and manage staff")


def test_read_packaged_occupations():
    occupations = esco_packaged.read_packaged_occupations()
    assert len(occupations) == 3039  # the file's 619 ISCO group rows are not occupations
    assert all(o.id.startswith(OCCUPATION) and o.label for o in occupations)
    assert len({o.id for o in occupations}) == len(occupations)
    related = [o for o in occupations if o.skills]
    assert len(related) == 91  # only the ICT sample carries relations, without grades
    assert {grade for o in related for grade in o.skills.values()} == {1}
    security = next(o for o in occupations if o.id == OCCUPATION + "0464b062-cea6-4164-b10d-956c61956ae7")
    assert security.label == "ICT security administrator"
    assert security.definition.startswith("ICT security administrators plan")


def test_measured_split_quality():
    """Regression guard on the figures `--measure` prints (see the module docstring)."""
    result = esco_packaged.measure_split()
    skills, occupations = result["skills"]["same_version"], result["occupations"]["same_version"]
    assert skills["n"] > 800 and occupations["n"] > 80
    assert skills["label_exact"] >= 0.88 and skills["definition_exact"] >= 0.97
    assert occupations["label_exact"] >= 0.95 and occupations["definition_exact"] >= 0.95
    assert skills["alt_recall"] >= 0.75 and occupations["alt_recall"] >= 0.8


# --- the official CSV download ------------------------------------------------------------------


def test_read_esco_dir_fixtures():
    skills, occupations = read_esco_dir(FIXTURES)
    assert [s.id for s in skills] == [CALIBRATE, CLIMATE, SCHEDULES, FORMATS]
    calibrate, climate, schedules, formats = skills
    assert calibrate.label == "calibrate soil moisture sensors"
    assert calibrate.alt_labels == [
        "tune soil moisture probes",
        "adjust soil moisture sensors",
        "calibrating soil moisture sensors",
    ]
    assert calibrate.skill_type == "skill/competence" and climate.skill_type == "knowledge"
    assert climate.alt_labels == ["glasshouse climate management", "greenhouse environment control"]
    assert climate.definition.startswith("The methods and equipment")  # empty definition: description
    assert schedules.alt_labels == ["plan watering timetables"]  # hidden labels are not alternatives
    assert formats.alt_labels == [] and '"readings"' in formats.definition

    technician, analyst = occupations
    assert technician.label == "greenhouse irrigation technician" and technician.isco_group == "6113"
    assert technician.alt_labels == [
        "irrigation technician (greenhouse)",
        "glasshouse irrigation operative",
        "greenhouse watering technician",
    ]
    assert technician.skills == {CALIBRATE: 2, CLIMATE: 1, SCHEDULES: 2}
    # a skill listed both optional and essential is essential
    assert analyst.skills == {FORMATS: 1, CALIBRATE: 2}
    assert analyst.definition.startswith("Agricultural data analysts")


def test_read_esco_dir_without_relations(tmp_path):
    for name in ("skills_en.csv", "occupations_en.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    skills, occupations = read_esco_dir(tmp_path)
    assert len(skills) == 4 and all(o.skills == {} for o in occupations)


def test_fixture_files_have_the_official_layout():
    raw = (FIXTURES / "skills_en.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark, as Excel-friendly exports carry
    assert b'"tune soil moisture probes\nadjust' in raw  # one quoted cell, one label per line


def _rewrite(src: Path, dst: Path, edit) -> None:
    lines = src.read_text(encoding="utf-8-sig").split("\n")
    dst.write_text("\n".join([edit(lines[0])] + lines[1:]), encoding="utf-8")


def test_missing_required_column(tmp_path):
    for name in ("occupations_en.csv", "occupationSkillRelations_en.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    _rewrite(FIXTURES / "skills_en.csv", tmp_path / "skills_en.csv", lambda h: h.replace("preferredLabel", "prefLabel"))
    with pytest.raises(ValueError, match=r"skills_en\.csv.*'preferredLabel'"):
        read_esco_dir(tmp_path)


def test_missing_definition_and_description(tmp_path):
    _rewrite(
        FIXTURES / "occupations_en.csv",
        tmp_path / "occupations_en.csv",
        lambda h: h.replace("definition", "def").replace("description", "desc"),
    )
    with pytest.raises(ValueError, match=r"occupations_en\.csv.*'definition' or 'description'"):
        esco_official.read_esco_occupations(tmp_path / "occupations_en.csv")


def test_missing_relation_column(tmp_path):
    _rewrite(
        FIXTURES / "occupationSkillRelations_en.csv",
        tmp_path / "occupationSkillRelations_en.csv",
        lambda h: h.replace("skillUri", "skill"),
    )
    with pytest.raises(ValueError, match=r"occupationSkillRelations_en\.csv.*'skillUri'"):
        esco_official.read_relations(tmp_path / "occupationSkillRelations_en.csv")


def test_unknown_relation_type(tmp_path):
    path = tmp_path / "occupationSkillRelations_en.csv"
    path.write_text(f"occupationUri,relationType,skillType,skillUri\n{DATA_ANALYST},preferred,knowledge,{FORMATS}\n")
    with pytest.raises(ValueError, match="unknown relationType 'preferred'"):
        esco_official.read_relations(path)


def test_extra_columns_are_ignored(tmp_path):
    src = (FIXTURES / "occupations_en.csv").read_text(encoding="utf-8-sig")
    header, rest = src.split("\n", 1)
    # a new first column shifts every other one: reading goes by name, not position
    body = [f"import,{line}" if line.startswith("Occupation,") else line for line in rest.split("\n")]
    lines = [f"origin,{header}", *body]
    (tmp_path / "occupations_en.csv").write_text("\n".join(lines), encoding="utf-8")
    occupations = esco_official.read_esco_occupations(tmp_path / "occupations_en.csv")
    assert [o.label for o in occupations] == ["greenhouse irrigation technician", "agricultural data analyst"]
    assert occupations[0].isco_group == "6113"


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="skills_en.csv"):
        read_esco_dir(tmp_path)


def test_split_alt_labels():
    assert split_alt_labels("a b\r\n\n  c  d \nlabel\na b", preferred="label") == ["a b", "c d"]
    assert split_alt_labels("") == []


def test_esco_dir_fingerprint(tmp_path):
    for name in ("skills_en.csv", "occupations_en.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    first = esco_dir_fingerprint(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{64}", first) and esco_dir_fingerprint(tmp_path) == first
    shutil.copy(FIXTURES / "occupationSkillRelations_en.csv", tmp_path)
    with_relations = esco_dir_fingerprint(tmp_path)
    assert with_relations != first
    (tmp_path / "skills_en.csv").write_bytes((tmp_path / "skills_en.csv").read_bytes() + b"\n")
    assert esco_dir_fingerprint(tmp_path) not in (first, with_relations)
