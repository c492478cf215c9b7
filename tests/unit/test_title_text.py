"""Cleaning employers' job titles: qualifiers, inversions, plurals and misspellings."""

from __future__ import annotations

import pytest

from models.core.title_text import TitleCleaner, drop_qualifiers

KNOWN = [
    "Baker",
    "Head Baker",
    "Pizza Baker",
    "Laborer",
    "Construction Laborer",
    "Tree Tapping Laborer",
    "Farmworker",
    "Landscaping Worker",
    "Groundskeeping Worker",
    "Recreation Attendant",
    "Amusement Attendant",
    "Attendant",
    "Cook",
    "Line Cook",
    "Deckhand",
    "Welder",
    "Arc Welder",
    "Maintenance Technician",
    "Waiter",
    "Waitress",
    "Cement Mason",
    "Machinist",
    "Driver",
    "Technician",
    "Worker",
    "Mechanic",
    "Busser",
    "Buyer",
    "Media Buyer",
    "Produce Buyer",
    "Helper",
    "Highway Maintenance Worker",
]
# "users" is the likelier word of the two one edit from "busers"
TEXTS = [
    "Landscaping, lawn care and groundskeeping.",
    "Maintenance of grounds.",
    "Thatch roofing with straw.",
    "Help users; train users; support users.",
]


@pytest.fixture(scope="module")
def cleaner():
    return TitleCleaner.learn(KNOWN, TEXTS, min_head_count=1)


@pytest.mark.parametrize(
    "title, cleaned",
    [
        ("BAKER, HEAD", "HEAD BAKER"),  # inverted title put in order
        ("LABORER, TREE TAPPING", "TREE TAPPING LABORER"),
        ("FARMWORKER, GENERAL II", "GENERAL FARMWORKER"),  # the grade goes before inverting
        ("Kennel, Nonfarm Animal Caretaker", "Kennel, Nonfarm Animal Caretaker"),  # "Kennel" heads no title
        ("COOK APPRENTICE", "COOK"),  # a training stage is not the occupation
        ("Seasonal Line Cook", "Line Cook"),
        ("WAITERS AND WAITRESSES", "WAITER AND WAITRESS"),  # plural heads made singular
        ("Lanscaping & Grounds Keeping Workers", "Landscaping and Grounds Keeping Worker"),  # misspelling fixed
        ("Amusements and Recreation Attendent", "Amusements and Recreation Attendant"),
        ("SHRIMP BOAT DEKHAND", "SHRIMP BOAT DECKHAND"),
        ("Thatch Roof Builder", "Thatch Roof Builder"),  # a real word of the field is left alone
        ("Sr. Maint. Tech", "Maintenance Technician"),  # the rules of clean_title still apply
        ("Welder (CDL-A)", "Welder"),
        # one edit from "users" and from the commoner "buyers" too: a misspelling seldom changes
        # the first letter, and a doubled letter written once is half an edit
        ("BUSERS", "BUSSER"),
        ("Hwy Maintenance Wkr", "Highway Maintenance Worker"),
        ("Special Event Labor", "Special Event Laborer"),  # the work written for the worker
        ("Kitchen Help", "Kitchen Helper"),
        ("Labor Relations Specialist", "Labor Relations Specialist"),  # only as the last word
    ],
)
def test_employer_titles_are_cleaned(cleaner, title, cleaned):
    assert cleaner.clean(title) == cleaned


def test_without_learnt_vocabulary_only_the_rules_apply():
    plain = TitleCleaner()
    assert plain.clean("BAKER, HEAD") == "BAKER, HEAD"  # no heads known: no inversion
    assert plain.clean("Lanscaper") == "Lanscaper"
    assert plain.clean("Cook Apprentice") == "Cook"


def test_qualifiers_alone_are_kept():
    assert drop_qualifiers("Apprentice") == "Apprentice"


def test_the_cleaner_round_trips_through_its_dict(cleaner):
    again = TitleCleaner(**cleaner.to_dict())
    assert again.clean("LABORER, TREE TAPPING") == cleaner.clean("LABORER, TREE TAPPING")
