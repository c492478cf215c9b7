"""A candidate's own occupation from headline, summary titles and skills (models/reference/profile_occupation.py)."""

from __future__ import annotations

import pytest

from models.reference.profile_occupation import OTHERS, headline_parts, in_own_field, is_target


@pytest.mark.parametrize(
    "headline, target",
    [
        ("Aspiring Software Developer | JavaScript, React, Node", True),
        ("Future RN | BSN Student graduating May", True),
        ("Transitioning to data analytics", True),
        ("In search of my next opportunity", True),
        ("Registered Nurse", False),
        ("Welder/Fabricator - AWS D1.1 Certified", False),
    ],
)
def test_a_headline_that_names_a_goal_is_a_target(headline, target):
    assert is_target(headline) is target


def test_a_long_headline_is_read_whole_and_by_its_parts():
    assert headline_parts("Welder/Fabricator - AWS D1.1 Certified") == [
        "Welder/Fabricator - AWS D1.1 Certified",
        "Welder/Fabricator",
        "AWS D1.1 Certified",
    ]
    assert headline_parts("CNC Machinist") == ["CNC Machinist"]
    assert headline_parts("BAKER, HEAD") == ["BAKER, HEAD"]  # a comma is part of a title


def test_only_parts_that_end_like_a_job_title_count(reference):
    assert reference.profiles.names_a_job("Welder/Fabricator") and reference.profiles.names_a_job("Future RN")
    assert not reference.profiles.names_a_job("AWS D1.1 Certified")
    assert not reference.profiles.names_a_job("Looking for my next opportunity")
    assert reference.profiles.names_a_job("EMT-Basic")  # an abbreviation of a job


def test_titles_named_in_a_summary(reference):
    mentions = reference.profiles.mentions(
        "Correctional officer at a state prison, 9 years. I work closely with the case manager. "
        "Looking for a probation officer role. Volunteer firefighter on weekends."
    )
    by_text = {text: (weight, target) for text, weight, target in mentions}
    assert "correctional officer" in by_text and by_text["correctional officer"][1] is False
    assert by_text["case manager"][0] == OTHERS == 0  # someone else's job
    assert by_text["probation officer"][1] is True  # a goal
    assert [w for text, (w, _) in by_text.items() if "firefighter" in text] == [0]  # unpaid


def _infer(reference, headline=None, summary="", desired=()):
    evidence = reference.profiles.evidence([headline], [summary], [list(desired)])[0]
    return reference.profiles.infer(evidence, {})


def test_the_headline_names_the_occupation(reference):
    answer = _infer(reference, "Welder")
    assert answer["soc"] == "51-4121" and answer["source"] == "headline" and answer["status"] == "confident"


def test_a_vague_headline_leaves_it_to_the_summary(reference):
    answer = _infer(
        reference,
        "Looking for my next opportunity",
        "Dental assistant for five years: chairside assisting the dentist, x-rays, sterilization.",
    )
    assert answer["soc"] == "31-9091" and answer["source"] == "summary"


def test_a_goal_is_kept_apart_from_the_current_job(reference):
    answer = _infer(
        reference, "Future RN | BSN Student", "Certified nursing assistant on a med-surg floor for three years."
    )
    assert answer["soc"] == "31-1131"
    assert answer["career_target"]["soc"] == "29-1141" and answer["career_target"]["from"] == "headline"
    desired = _infer(reference, "Cashier", desired=["Pharmacy Technician"])["career_target"]
    assert desired["soc"] == "29-2052" and desired["from"] == "desired_roles"


def test_an_earlier_job_is_not_the_current_one(reference):
    mentions = reference.profiles.mentions(
        "Assistant manager of a dollar store in a small town. 3 years; I started as a cashier. Formerly a bank teller."
    )
    by_text = {text: weight for text, weight, _ in mentions}
    assert by_text["cashier"] == OTHERS == 0 and by_text["bank teller"] == 0
    # the same words read by a translation of "empecé como cajero"
    assert [w for t, w, _ in reference.profiles.mentions("I began like cashier.") if t == "cashier"] == [0]


def test_a_foreign_headline_that_names_a_goal_is_read_in_its_translation(reference):
    summary = "Dental assistant for five years: chairside assisting the dentist, x-rays, sterilization."
    evidence = reference.profiles.evidence(
        ["En busca de mi próxima oportunidad"], [summary], [[]], english_headlines=["In search of my next opportunity"]
    )[0]
    assert evidence.headline == {}  # without the translation the Spanish words were classified as a title
    assert reference.profiles.infer(evidence, {})["soc"] == "31-9091"


def test_ones_own_title_is_not_mistaken_for_someone_elses(reference):
    mentions = reference.profiles.mentions(
        "Dedicated and compassionate registered nurse. Promoted to charge nurse in 2021."
    )
    assert [w > 0 for _, w, _ in mentions] == [True] * len(mentions) and mentions


def test_nothing_to_go_on_is_no_answer(reference):
    assert _infer(reference) is None


@pytest.mark.parametrize(
    "goal, headline, reads",
    [
        ("lead technician", "Pharmacy technician, bilingual (English/Spanish)", "lead pharmacy technician"),
        ("charge nurse", "Registered Nurse", "charge registered nurse"),
        ("nurse practitioner", "Registered Nurse", "nurse practitioner"),  # another occupation's head
        ("supervisor", "Warehouse associate", "supervisor"),
        ("lead technician", "Wind Turbine Technician | GWO", "lead wind turbine technician"),
    ],
)
def test_a_goal_that_shares_the_headlines_head_reads_in_its_field(goal, headline, reads):
    assert in_own_field(goal, headline) == reads


def test_a_step_up_in_ones_own_field_is_no_career_change(reference):
    """A pharmacy technician "looking for a lead technician role" wants to lead pharmacy
    technicians, not to become an electronics technician."""
    answer = _infer(
        reference,
        "Pharmacy technician, bilingual (English/Spanish)",
        "Certified pharmacy technician with four years in a hospital inpatient pharmacy: sterile compounding, "
        "unit-dose packaging, medication reconciliation. Looking for a lead technician role.",
    )
    assert answer["soc"] == "29-2052" and "career_target" not in answer
    changer = _infer(
        reference, "Pharmacy technician", "Pharmacy technician for three years. Looking for a registered nurse role."
    )
    assert changer["soc"] == "29-2052" and changer["career_target"]["soc"] == "29-1141"
