"""Job titles -> SOC occupations: O*NET reader, title variants, query cleaning, lexical
coverage, the artifact, known answers, and the title-soc metric on hand-made rows.

Known answers are checked on the artifact of the real pack (built by `make test` first).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.core.artifacts import ArtifactError
from models.core.lexicon import Lexicon
from models.core.title_text import clean_title, title_words
from models.reference.occupations import TitleNormalizer
from models.reference.taxonomy import SocOccupation
from training.build_titles import build_titles, lexicon, title_variants
from training.evaluators import title_soc
from training.sources.onet import is_broad_code, read_onet_occupations, read_onet_table


@pytest.fixture(scope="module")
def titles(reference) -> TitleNormalizer:
    """The normaliser of the real pack (known answers are checked on what is served)."""
    return reference.titles


# ---- O*NET reader ------------------------------------------------------------------------------


def test_onet_occupations_roll_up_to_soc_codes():
    occupations = read_onet_occupations({"15-1252": "Software Developers", "13-1020": "Buyers and Purchasing Agents"})
    by_code = {o.code: o for o in occupations}
    assert all(len(o.code) == 7 and o.code[2] == "-" for o in occupations)
    # the OEWS title wins; the O*NET titles that roll up are listed once each
    assert by_code["15-1252"].title == "Software Developers"
    assert by_code["15-1252"].tasks and by_code["15-1252"].activities
    # several O*NET-SOC occupations (15-1299.01 ... .09) roll up to one SOC code
    assert "Web Administrators" in by_code["15-1299"].onet_titles
    assert len(by_code["15-1299"].onet_titles) == len(set(by_code["15-1299"].onet_titles)) > 3
    # the OEWS aggregate is replaced by the detailed codes O*NET describes
    assert "13-1020" not in by_code and {"13-1021", "13-1022", "13-1023"} <= set(by_code)
    assert not any(is_broad_code(code) and code[:6] == "13-102" for code in by_code)
    for occ in occupations:
        assert len(occ.tasks) == len({t.lower() for t in occ.tasks})


def test_onet_table_keeps_task_order_and_titles():
    table = read_onet_table()
    assert len(table) == 923
    wind = next(o for o in table if o.code == "49-9081.00")
    assert wind.title == "Wind Turbine Service Technicians" and wind.soc == "49-9081"
    assert len(wind.tasks) >= 5


# ---- title variants ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Software Developers", ["Software Developer"]),
        (
            "Medical and Clinical Laboratory Technologists",
            ["Clinical Laboratory Technologist", "Medical Laboratory Technologist"],
        ),
        ("Computer Systems Engineers/Architects", ["Computer Systems Engineer", "Computer Systems Architect"]),
        ("Wholesale and Retail Buyers, Except Farm Products", ["Retail Buyer", "Wholesale Buyer"]),
        ("Waiters and Waitresses", ["Waiter", "Waitress"]),
        ("Physicians, Pathologists", ["Pathologist"]),
    ],
)
def test_title_variants(title, expected):
    assert title_variants(title) == expected


def test_title_variants_drop_bare_generic_heads():
    variants = title_variants("Nursing Instructors and Teachers, Postsecondary")
    assert "Teacher" not in variants and "Nursing Teacher" in variants
    assert title_variants("Teachers and Instructors, All Other") == []


# ---- query cleaning and lexical coverage -------------------------------------------------------


@pytest.mark.parametrize(
    "title, cleaned",
    [
        ("Sr. Maint. Tech", "Maintenance Technician"),
        ("Admin Asst", "Administrative Assistant"),
        ("System Admin", "System Administrator"),
        ("RN Case Mgr", "Registered Nurse Case Manager"),
        ("IT Support Spec", "Information Technology Support Specialist"),
        ("it support", "it support"),  # the pronoun-like lower-case form is left alone
        ("Accountant III", "Accountant"),
        ("Junior Data Engineer Level 2", "Data Engineer"),
        ("Senior", "Senior"),  # nothing would be left
        ("CFO (Chief Financial Officer)", "Chief Financial Officer"),  # the spelled-out form wins
        ("Quality Control Inspector (QCI)", "Quality Control Inspector"),  # its own acronym
        ("Welding Technician (Welding Tech)", "Welding Technician"),  # its own abbreviation
    ],
)
def test_clean_title(title, cleaned):
    assert clean_title(title) == cleaned


def test_title_words_are_stemmed_content_words():
    assert title_words("Technicians of the Kiln Yard") == ["techni", "kiln", "yard"]
    assert set(title_words("Technicians of the Kiln Yard")) == set(title_words("kiln yard technician"))
    assert "the" not in title_words("the barn") and title_words("") == []


def test_lexical_coverage_weights_rare_words():
    texts = ["kiln firing worker", "farm worker", "office worker", "office clerk"]
    lex = Lexicon([title_words(t) for t in texts])
    cover = lex.coverage(["Kiln Worker", "Office Worker", "Zymurgy"])
    assert cover.shape == (3, 4)
    # "worker" is everywhere but "kiln" only in the first: it decides
    assert int(np.argmax(cover[0])) == 0 and cover[0, 0] == pytest.approx(1.0)
    assert cover[0, 1] < 0.5
    assert int(np.argmax(cover[1])) == 2
    assert not cover[2].any()  # an unknown word covers nothing


def test_lexicon_keeps_words_of_names_bridged_esco_names_and_tasks():
    socs = [
        SocOccupation("49-9081", "Wind Turbine Service Technicians", tasks=["Climb turbine towers."]),
        SocOccupation("41-2011", "Cashiers", activities=["Process sales transactions."]),
    ]
    lex = lexicon(
        socs,
        ["Wind Turbine Technician", "Cashier"],
        [0, 1],
        ["windsmith", "till operator", "juggler"],
        np.array([0, 1, -1]),
    )
    assert set(title_words("windsmith wind technician")) <= set(lex["names"][0])
    assert set(title_words("till cashier")) <= set(lex["names"][1])
    assert not any(set(title_words("juggler")) & set(words) for words in lex["names"])  # not bridged
    assert set(title_words("climb tower")) <= set(lex["tasks"][0]) and set(title_words("sales")) <= set(lex["tasks"][1])


# ---- the artifact and known answers ------------------------------------------------------------


def test_artifact_is_current_and_verified(settings, encoder):
    from training.build_pack import EscoSource

    esco = EscoSource(None)
    manifest, built = build_titles(
        settings.pack_path, encoder, esco.occupations, esco.fingerprints, broader=esco.broader
    )
    assert not built, "an unchanged input does not rebuild"
    assert manifest["counts"]["soc_occupations"] > 800
    assert manifest["encoder"] == encoder.fingerprint


def test_tampered_artifact_is_refused(settings, encoder, tmp_path):
    import shutil

    copy = tmp_path / "titles"
    shutil.copytree(settings.pack_path / "titles", copy)
    np.save(copy / "esco_link.npy", np.zeros(3, np.int32), allow_pickle=False)
    with pytest.raises(ArtifactError):
        TitleNormalizer.load(copy, encoder)


@pytest.mark.parametrize(
    "title, soc, within",
    [
        ("Wind Turbine Technician", "49-9081", 1),
        ("Sr. Wind Turbine Tech", "49-9081", 1),
        ("LPN", "29-2061", 1),
        ("registered nurse", "29-1141", 1),
        ("software engineer", "15-1252", 3),
        ("Data Scientist", "15-2051", 1),
        ("cashier", "41-2011", 1),
        ("chief executive officer", "11-1011", 1),
    ],
)
def test_known_titles(titles, title, soc, within):
    ranked = titles.normalize(title, k=5)
    assert soc in [o["soc"] for o in ranked[:within]], ranked


@pytest.mark.parametrize(
    "title, major",
    [
        ("Concrete Helper", "47"),  # "Helper" ends more production titles than any other family's
        ("Restaurant Helper", "35"),
        ("Warehouse Helper", "53"),
        ("Landscape Helper", "37"),
    ],
)
def test_the_words_before_the_head_say_which_family(titles, title, major):
    assert titles.normalize(title, k=1)[0]["soc"][:2] == major


def test_normalize_shape_and_scores(titles):
    ranked = titles.normalize("Wind Turbine Technician", k=7)
    assert len(ranked) == 7
    assert set(ranked[0]) == {"soc", "title", "score"}
    assert ranked[0]["title"] == "Wind Turbine Service Technicians"
    scores = [o["score"] for o in ranked]
    assert all(0.0 <= s <= 1.0 for s in scores) and scores == sorted(scores, reverse=True)
    assert all(len(o["soc"]) == 7 and o["soc"][2] == "-" for o in ranked)


def test_batch_matches_single(titles):
    batch = titles.normalize_batch(["registered nurse", "truck driver"], k=3)
    assert batch[0] == titles.normalize("registered nurse", k=3)
    assert batch[1] == titles.normalize("truck driver", k=3)
    assert titles.normalize_batch([], k=3) == []


def test_nearest_esco_through_faiss_equals_every_name_scored(titles):
    """The FAISS search is deep enough that ranking ESCO occupations by their best name is exact."""
    queries = ["wind turbine technician", "registered nurse", "data engineer", "CNC machinist", "barista"]
    _, vectors = titles.encode_titles(queries)
    names = titles._esco_index.row_vectors()
    sims = vectors @ names.T
    for q, row in enumerate(sims):
        best = np.full(len(titles.esco), -np.inf)
        np.maximum.at(best, titles._esco_owner, row)
        # compared as (score, id) pairs: occupations sharing a name tie, in any order
        expected = sorted(
            (-round(float(best[j]), 4), titles.esco[j]["id"]) for j in np.argsort(-best, kind="stable")[:8]
        )
        got = sorted((-e["score"], e["id"]) for e in titles.nearest_esco_vectors(vectors[q : q + 1], k=8)[0])
        assert got == expected, queries[q]


def test_the_pack_keeps_what_each_occupation_does(titles):
    work = titles.work_of("49-9081")
    assert any("turbine" in t.lower() for t in work["tasks"]) and len(work["activities"]) > 3
    assert titles.work_of("99-9999") is None
    described = sum(1 for s in titles.socs if titles.work_of(s["code"])["tasks"])
    assert described == int((titles._offset == 0).sum())  # the occupations scored as described
    nurses = titles.esco_for_soc("29-1141")
    assert nurses and all(titles.esco_to_soc(e["id"]) == "29-1141" for e in nurses)


def test_vectors_and_lookups(titles, encoder):
    cleaned, vectors = titles.encode_titles(["RN", "software developer"])
    assert cleaned == ["Registered Nurse", "software developer"]
    assert titles.normalize_vectors(vectors, k=3, titles=cleaned) == titles.normalize_batch(
        ["RN", "software developer"], k=3
    )
    # a vector without its text is ranked by the dense channels alone
    dense = titles.normalize_vectors(encoder.encode(["registered nurse"]), k=3)[0]
    assert dense[0]["soc"] == "29-1141" and dense[0]["score"] <= titles.normalize("registered nurse", k=1)[0]["score"]
    assert titles.nearest_esco_vectors(vectors[:1], k=2) == [titles.nearest_esco("registered nurse", k=2)]
    assert titles.soc("29-1141")["title"] == "Registered Nurses"
    assert "Registered Nurses" in titles.soc("29-1141")["onet_titles"]
    assert titles.soc("99-9999") is None


def test_bad_input_is_rejected(titles):
    with pytest.raises(ValueError):
        titles.normalize("   ")
    with pytest.raises(ValueError):
        titles.normalize("nurse", k=0)


def test_nearest_esco(titles):
    hits = titles.nearest_esco("software developer", k=3)
    assert len(hits) == 3 and set(hits[0]) == {"id", "label", "score"}
    assert hits[0]["id"].startswith("http://data.europa.eu/esco/occupation/")
    assert "software developer" in [h["label"] for h in hits]
    assert 0.0 <= hits[-1]["score"] <= hits[0]["score"] <= 1.0


def test_esco_bridge_links_clear_cases(titles):
    software = next(e for e in titles.esco if e["label"] == "software developer")
    assert titles.esco_to_soc(software["id"]) in {"15-1252", "15-1251", "15-1254"}
    assert titles.esco_to_soc("http://data.europa.eu/esco/occupation/unknown") is None


# ---- the metric ----------------------------------------------------------------------------------


def test_title_soc_metric_on_hand_made_rows():
    rows = [
        {"title": "a", "soc": "15-1252"},  # first: top1, major, recall@5
        {"title": "b", "soc": "15-1251"},  # second, same major group as the first guess
        {"title": "c", "soc": "29-1141"},  # sixth: nothing counts
        {"title": "d", "soc": "49-9081"},  # not returned at all
    ]
    predictions = {
        "a": ["15-1252", "15-1251"],
        "b": ["15-1299", "15-1251"],
        "c": ["29-1171", "29-2061", "31-1131", "29-1229", "29-1122", "29-1141"],
        "d": [],
    }
    metrics = title_soc.evaluate(rows, lambda ts: [predictions[t] for t in ts])
    assert title_soc.PRIMARY == "top1"
    assert set(metrics) == {"top1", "accuracy_major", "recall@5"}
    assert metrics["top1"] == pytest.approx(1 / 4)
    assert metrics["accuracy_major"] == pytest.approx(3 / 4)
    assert metrics["recall@5"] == pytest.approx(2 / 4)
    assert all(isinstance(v, float) for v in metrics.values())


def test_title_soc_calibration_counts_confident_answers():
    rows = [{"title": t, "soc": "15-1252"} for t in "abcd"]
    answers = {
        "a": [{"soc": "15-1252", "score": 0.9}],  # confident and right
        "b": [{"soc": "15-1251", "score": 0.85}],  # confident and wrong
        "c": [{"soc": "15-1252", "score": 0.5}],  # right, not confident
        "d": [],
    }
    metrics = title_soc.evaluate(rows, lambda ts: [answers[t] for t in ts])
    assert metrics["confident@0.8"] == pytest.approx(2 / 4) and metrics["precision@0.8"] == pytest.approx(1 / 2)
    assert metrics["top1"] == pytest.approx(2 / 4) and list(metrics)[-1] == "top1"


def test_title_soc_metric_rejects_mismatched_predictions():
    with pytest.raises(ValueError):
        title_soc.evaluate([{"title": "a", "soc": "15-1252"}], lambda ts: [])
    with pytest.raises(ValueError):
        title_soc.evaluate([], lambda ts: [])


def test_evaluator_reads_benchmark_format(tmp_path, titles):
    # the benchmark format, written here by hand: the evaluator never needs ../shared
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [{"title": "Wind Turbine Technician", "soc": "49-9081"}]))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    metrics = title_soc.evaluate(rows, lambda ts: [[o["soc"] for o in r] for r in titles.normalize_batch(ts, k=5)])
    assert metrics["top1"] == 1.0
