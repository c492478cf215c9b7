"""The neighbour graph narrows which skills are scored; the scores themselves stay exact."""

from __future__ import annotations

import copy

import numpy as np
import pytest

SENTENCES = [
    "Maintained wind turbine gearboxes and hydraulic pitch systems.",
    "I write Python services and SQL queries for data pipelines.",
    "Calibrated CNC machines and inspected parts with coordinate measuring machines.",
    "Handled customer escalations and onboarding for a SaaS product.",
]


@pytest.fixture(scope="module")
def exact_catalog(reference):
    """The same catalogue scoring every skill (no graph); arrays are shared, not copied."""
    from models.core.memo import Memo
    from models.reference.skills import SENTENCE_MEMO

    catalog = copy.copy(reference.skills)
    catalog.neighbours = None
    catalog._ranked = Memo(SENTENCE_MEMO)  # its own memory: the graph's rankings are not exact ones
    return catalog


def test_a_graph_built_from_other_vectors_is_not_used(settings, encoder, tmp_path, caplog):
    """Scoring would use the graph's copy of the vectors: a stale graph must not be loaded."""
    import json

    from models.reference.skills import SkillCatalog

    stale = tmp_path / "skill_ann"
    stale.mkdir()
    manifest = json.loads((settings.pack_path / "skill_ann" / "manifest.json").read_text())
    manifest["inputs"]["taxonomy_vectors"] = "0" * 64
    (stale / "manifest.json").write_text(json.dumps(manifest))
    catalog = SkillCatalog.load(settings.pack_path / "taxonomy", encoder, stale)
    assert catalog.neighbours is None and "built from other taxonomy vectors" in caplog.text
    hits = catalog.rank_sentence(SENTENCES[1], k=10)  # exact scoring over every skill instead
    assert "Python (computer programming)" in [h.label for h in hits]


def test_pack_loads_the_graph_over_the_taxonomy_vectors(reference):
    skills = reference.skills
    assert skills.neighbours is not None
    assert len(skills.neighbours) == len(skills.owners)
    # the catalogue scores against the graph's own copy of the vectors, not a second one
    assert np.shares_memory(skills._vectors, skills.neighbours.vectors())


def test_exact_scores_of_a_subset_equal_the_full_exact_scores(reference, exact_catalog):
    queries = reference.encoder.encode(SENTENCES)
    full = exact_catalog.score_vectors(queries)
    subset = np.random.default_rng(0).choice(len(reference.skills), size=500, replace=False)
    subset.sort()
    np.testing.assert_allclose(reference.skills.exact_scores(queries, subset), full[:, subset], atol=1e-5)


def test_grouped_exact_scores_equal_each_groups_own_scores(reference):
    """Ingest scores every sentence of a chunk in one call, each against its own candidates:
    grouping (and padding the shorter groups) must not change a single score."""
    skills = reference.skills
    queries = reference.encoder.encode(SENTENCES)
    rng = np.random.default_rng(1)
    groups = [
        (np.array([2, 0]), np.sort(rng.choice(len(skills), size=300, replace=False))),
        (np.array([1]), np.sort(rng.choice(len(skills), size=40, replace=False))),
        (np.array([3]), np.zeros(0, dtype=np.int64)),  # a sentence with no candidates
    ]
    grouped = skills.exact_scores_grouped(queries, groups)
    for (positions, candidates), scores in zip(groups, grouped):
        assert scores.shape == (len(positions), len(candidates))
        assert np.array_equal(scores, skills.exact_scores(queries[positions], candidates))


def test_candidate_scores_are_exact_and_usually_include_the_best_skill(reference, exact_catalog):
    queries = reference.encoder.encode(SENTENCES)
    full = exact_catalog.score_vectors(queries)
    narrowed = reference.skills.score_vectors(queries, candidates=256)
    proposed = narrowed > -1
    # the graph only narrows which skills are scored: those it proposes get their exact score
    np.testing.assert_allclose(narrowed[proposed], full[proposed], atol=1e-5)
    assert (proposed.sum(axis=1) < len(reference.skills) // 10).all()
    # the search is approximate: the exact best skill is among the proposed ones for most texts
    found = [proposed[q, int(np.argmax(full[q]))] for q in range(len(queries))]
    assert sum(found) >= len(found) - 1


def test_sentence_ranking_with_the_graph_matches_exact_ranking(reference, exact_catalog):
    for sentence in SENTENCES:
        with_graph = [h.id for h in reference.skills.rank_sentence(sentence, k=10)]
        exact = [h.id for h in exact_catalog.rank_sentence(sentence, k=10)]
        assert with_graph[:5] == exact[:5], sentence
        assert len(set(with_graph) & set(exact)) >= 9, sentence


def test_lexical_scores_of_candidate_skills_equal_the_full_lexical_scores(reference):
    """Ingest scores words only for a sentence's candidate skills; the values must not change."""
    skills = reference.skills
    queries = reference.encoder.encode(SENTENCES)
    nearest = skills.neighbours.nearest_rows(queries)
    for sentence, rows in zip(SENTENCES, nearest):
        candidates = skills.candidate_skills(rows)
        full = skills.lexical_scores(sentence)
        assert full[candidates].max() > 0  # the sentences share words with nearby skill names
        np.testing.assert_allclose(skills.lexical_scores(sentence, candidates), full[candidates], atol=1e-6)


def test_a_mentioned_skill_names_neighbours_are_searched_once(reference, monkeypatch):
    """A skill name mentioned verbatim is scored by its stored vector, so its neighbours in the
    graph never change: they are searched the first time only, and the answer is the same."""
    from models.core.memo import Memo
    from models.reference.skills import NAME_NEIGHBOURS_MEMO, SENTENCE_MEMO

    def fresh():
        catalog = copy.copy(reference.skills)
        catalog._ranked, catalog._name_neighbours = Memo(SENTENCE_MEMO), Memo(NAME_NEIGHBOURS_MEMO)
        return catalog

    first = "Set up machine tools and kept records for waste management."
    second = "Set up machine tools and kept records for waste management, daily."  # the same names
    catalog = fresh()
    searched: list[int] = []
    real = catalog.neighbours.nearest_rows
    monkeypatch.setattr(catalog.neighbours, "nearest_rows", lambda v, rows=None: (searched.append(len(v)), real(v))[1])
    catalog.extract_many([first], with_spans=False)
    assert searched[0] > 1  # the sentence and the skill names it mentions
    ((hits, _),) = catalog.extract_many([second], with_spans=False)
    assert searched[1:] == [1]  # only the new sentence: the names' neighbours were remembered
    monkeypatch.undo()
    ((again, _),) = fresh().extract_many([second], with_spans=False)
    assert "waste management" in {h.label for h in hits}
    assert [(h.id, h.score, h.evidence) for h in hits] == [(h.id, h.score, h.evidence) for h in again]
