"""Sentences are ranked once per process when asked to remember (single-record writes,
models/reference/skills.py: SkillCatalog._rank_sentences): a record written again with the same
text, or sentences records share, are not ranked again, and what comes back is what ranking
them afresh gives."""

from __future__ import annotations

import numpy as np

TEXT = "Rebuilt hydraulic pitch cylinders on 2.3 MW turbines at Roscoe. Trained apprentices in lockout procedures."


def test_a_sentence_is_ranked_once_and_every_caller_gets_the_fresh_answer_on_its_own_copy(reference, monkeypatch):
    skills = reference.skills
    monkeypatch.setattr(reference.encoder, "bf16", False)  # float32: batch shapes move a vector by ~1e-7 only
    ranked: list[str] = []
    fresh = skills._rank_fresh

    def counting(batch, k, with_spans=True):
        ranked.extend(batch)
        return fresh(batch, k, with_spans)

    monkeypatch.setattr(skills, "_rank_fresh", counting)
    (first, first_vectors), (_, other_vectors) = skills.extract_many(
        [TEXT, TEXT + " Drove a forklift every day."], remember=True
    )
    assert sorted(ranked) == sorted(
        [
            "Rebuilt hydraulic pitch cylinders on 2.3 MW turbines at Roscoe.",
            "Trained apprentices in lockout procedures.",
            "Drove a forklift every day.",
        ]
    )  # each distinct sentence once, the one both texts share too
    ranked.clear()
    ((again, again_vectors),) = skills.extract_many([TEXT], remember=True)
    assert ranked == []
    # extract_many sets offsets and support boosts on the hits it gets: on its own copies
    assert [(h.id, h.score, h.offset, h.evidence) for h in again] == [
        (h.id, h.score, h.offset, h.evidence) for h in first
    ]
    np.testing.assert_array_equal(again_vectors, first_vectors)
    np.testing.assert_array_equal(other_vectors[:2], first_vectors)

    sentences = list(dict.fromkeys(ranked + ["Trained apprentices in lockout procedures."]))
    hits, vectors = fresh(sentences, 30)
    remembered, remembered_vectors = skills._rank_sentences(sentences, 30, remember=True)
    assert [[(h.id, h.evidence) for h in s] for s in remembered] == [[(h.id, h.evidence) for h in s] for s in hits]
    np.testing.assert_allclose(
        [[h.score for h in s] for s in remembered], [[h.score for h in s] for s in hits], atol=1e-5
    )
    np.testing.assert_allclose(remembered_vectors, vectors, atol=1e-5)


def test_without_remembering_every_sentence_is_ranked_afresh(reference, monkeypatch):
    """Bulk imports and re-reading jobs do not remember: their answer depends on their batches only."""
    skills = reference.skills
    ranked: list[str] = []
    fresh = skills._rank_fresh
    monkeypatch.setattr(
        skills, "_rank_fresh", lambda batch, k, with_spans=True: (ranked.extend(batch), fresh(batch, k, with_spans))[1]
    )
    skills.extract_many([TEXT], remember=True)
    ranked.clear()
    skills.extract_many([TEXT])
    assert len(ranked) == 2
