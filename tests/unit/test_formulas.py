"""The pure parts, with no reference pack: the score blends, reach, distance, cursors and the
FAISS index against exact search. Hypothesis draws the open-ended inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.core.errors import InvalidInput
from models.core.geo import haversine_km
from models.core.index import BruteForceIndex, FaissIndex
from models.recommend import matching as M
from models.tenants.store.record_rows import decode_cursor, encode_cursor

unit = st.floats(min_value=0.0, max_value=1.0)
km = st.floats(min_value=0.0, max_value=20_000.0)
lat = st.floats(min_value=-89.9, max_value=89.9)
lon = st.floats(min_value=-180.0, max_value=180.0)


def test_the_documented_blends_weigh_to_one():
    assert math.isclose(M.W_OCCUPATION + M.W_SKILL + M.W_REGION + M.W_REMOTE, 1.0)
    assert math.isclose(M.W_REQUIRED + M.W_NICE + M.W_SEMANTIC, 1.0)
    assert math.isclose(M.W_SPECIALISATION + M.W_DEMAND + M.W_WAGE + M.W_REACH, 1.0)


@given(unit, unit, unit)
def test_skill_fit_is_its_documented_blend_and_stays_in_range(required, nice, sem):
    fit = M.skill_fit(required, nice, sem)
    assert math.isclose(fit, 0.55 * required + 0.15 * nice + 0.30 * sem)
    assert 0.0 <= fit <= 1.0 + 1e-12


@given(st.floats(min_value=-1.0, max_value=1.0))
def test_semantic_maps_cosine_from_02_08_onto_01(cosine):
    value = M.semantic(cosine)
    assert 0.0 <= value <= 1.0
    assert M.semantic(0.2) == 0.0 and M.semantic(0.8) == pytest.approx(1.0) and M.semantic(0.5) == pytest.approx(0.5)
    assert np.allclose(M.semantic(np.asarray([cosine])), [value])


@given(km, km, st.booleans(), st.booleans(), st.booleans())
def test_reach_is_a_share_that_never_grows_with_distance(d1, d2, remote_role, remote_ok, relocate):
    near, far = sorted((d1, d2))
    r_near, r_far = (M.reach(d, remote_role, remote_ok, relocate) for d in (near, far))
    assert 0.0 <= r_far <= r_near <= 1.0
    assert M.reach(0.0, remote_role, remote_ok, relocate) == 1.0
    assert M.reach(None, remote_role, remote_ok, relocate) == 0.5


def test_reach_by_preference_beyond_commuting_distance():
    assert M.reach(M.COMMUTE_KM, False, False, False) == pytest.approx(0.6)  # the commute's far edge
    assert M.reach(500, True, True, False) == 0.9  # remote role, remote-ready
    assert M.reach(3000, False, False, True) == pytest.approx(0.5)  # willing to move
    assert M.reach(500, True, False, False) == 0.1  # neither


@given(st.sampled_from(["remote", "hybrid", "onsite"]), st.booleans())
def test_remote_fit_prefers_what_the_candidate_accepts(policy, remote_ok):
    value = M.remote_fit(policy, remote_ok)
    assert 0.0 <= value <= 1.0
    assert M.remote_fit("remote", True) > M.remote_fit("hybrid", remote_ok) > M.remote_fit("onsite", remote_ok)


def test_distance_between_known_places():
    assert haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=1.0)  # London - Paris
    assert haversine_km(41.0793, -85.1394, 41.8781, -87.6298) == pytest.approx(226.0, abs=2.0)  # Fort Wayne - Chicago


@given(lat, lon, lat, lon, lat, lon)
def test_distance_is_a_metric(a1, o1, a2, o2, a3, o3):
    ab, ba = haversine_km(a1, o1, a2, o2), haversine_km(a2, o2, a1, o1)
    assert ab == pytest.approx(ba, abs=1e-6) and 0.0 <= ab <= math.pi * 6371.0089
    assert haversine_km(a1, o1, a1, o1) == pytest.approx(0.0, abs=1e-6)
    assert ab <= haversine_km(a1, o1, a3, o3) + haversine_km(a3, o3, a2, o2) + 1e-6


@given(st.integers(min_value=0, max_value=2**53))
def test_a_cursor_comes_back_as_it_went(after):
    assert decode_cursor(encode_cursor(after)) == after


@given(st.text(max_size=40))
def test_a_made_up_cursor_is_refused_or_reads_as_a_valid_position(text):
    try:
        after = decode_cursor(text)
    except InvalidInput:
        return
    assert isinstance(after, int) and after >= 0


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=20), st.integers(0, 2**32 - 1))
def test_the_exact_faiss_index_agrees_with_brute_force(n, k, seed):
    rng = np.random.default_rng(seed)
    dim = 16
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = rng.choice(10 * n + 10, size=n, replace=False).astype(np.int64)
    faiss_index, exact = FaissIndex(dim), BruteForceIndex(dim)
    for index in (faiss_index, exact):
        index.add(ids, vectors)
    gone = ids[: n // 3]
    for index in (faiss_index, exact):
        assert index.remove(gone) == len(gone)
    queries = rng.standard_normal((5, dim)).astype(np.float32)
    got_scores, got_ids = faiss_index.search(queries, k)
    want_scores, want_ids = exact.search(queries, k)
    assert len(faiss_index) == len(exact) == n - len(gone)
    assert not set(got_ids.ravel().tolist()) & set(gone.tolist())
    found = got_ids >= 0
    assert (found == (want_ids >= 0)).all()
    # the same scores in the same order (ids may differ only between exactly tied vectors)
    assert np.allclose(got_scores[found], want_scores[found], atol=1e-5)


def _brute_force_ranking(keep, base, close, sem, m):
    rows = np.flatnonzero(keep)
    key = M.fit_key(base[rows], sem[rows], close[rows])
    return rows[np.argsort(-key, kind="stable")][:m]


def _stepped_coverage(rng, n: int) -> np.ndarray:
    """Coverage in steps as real records have it (required in quarters, nice in halves)."""
    return (M.W_REQUIRED * rng.integers(0, 5, n) / 4 + M.W_NICE * rng.integers(0, 3, n) / 2).astype(np.float32)


def _reading(sem: np.ndarray):
    """(the rows read, in order; a sem_at that reads `sem` and records them)."""
    read: list[int] = []

    def sem_at(rows):
        read.extend(rows.tolist())
        return sem[rows]

    return read, sem_at


def _closeness(per_code, code, lifted=()) -> M.RowCloseness:
    per_code = np.asarray(per_code, dtype=np.float32)
    lifted = np.asarray(sorted(lifted), dtype=np.int64)
    return M.RowCloseness(per_code, code, *M.by_code(code, len(per_code)), lifted)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=3_000),
    st.integers(min_value=1, max_value=400),
    st.integers(min_value=1, max_value=5_000),
    st.integers(0, 2**32 - 1),
)
def test_ranking_for_a_need_computes_the_semantic_term_only_where_it_can_matter(n, m, block, seed):
    """best_rows and _fitting give what scoring every candidate gives (the order of
    need_candidates, its count of fitting candidates), whatever the block size."""
    rng = np.random.default_rng(seed)
    # coverage in steps as real records have it, half with none; occupations by code, one
    # unknown, and a few rows lifted by a stated goal
    base = _stepped_coverage(rng, n)
    base[rng.random(n) < 0.5] = 0.0
    per_code = np.concatenate([[np.nan], rng.choice([0.3, 0.6, 0.9, 1.0], 6)])
    code = rng.integers(0, len(per_code), n).astype(np.int32)
    close = _closeness(per_code, code, set(rng.integers(0, max(n, 1), 5).tolist()) if n else ())
    sem = np.asarray(M.semantic(rng.uniform(-0.2, 1.0, n).astype(np.float32)))
    keep = rng.random(n) < 0.8
    computed, sem_at = _reading(sem)
    old_block, M.SEMANTIC_BLOCK = M.SEMANTIC_BLOCK, block
    try:
        got, known = M.best_rows(keep, base, close, sem_at, m)
    finally:
        M.SEMANTIC_BLOCK = old_block
    every = close.at(np.arange(n))
    assert got.tolist() == _brute_force_ranking(keep, base, every, sem, m).tolist()
    assert len(computed) == len(set(computed)) and set(known) == set(computed)
    fitting = int((keep & (base + M.W_SEMANTIC * sem >= M.FIT_MIN)).sum())
    assert M._fitting(np.flatnonzero(keep & (base > 0)), base, known, sem_at) == (fitting, False)


def test_a_stated_goal_lifts_a_candidate_to_the_target_closeness():
    close = _closeness([np.nan, 0.3, 1.0], np.asarray([0, 1, 1, 2], dtype=np.int32), lifted=[0, 2, 3])
    got = close.at(np.arange(4))
    assert np.isnan(got[0]) and got[1] == np.float32(0.3) and got[2] == np.float32(M.CLOSE_TARGET)
    assert got[3] == 1.0  # a goal never lowers


def test_a_count_past_the_sample_size_is_an_estimate_and_says_so():
    """A million-candidate tenant: the count of fitting candidates reads SEMANTIC_SAMPLE
    profile vectors, not every open one, lands within 2% of the exact count, and is flagged."""
    n = 300_000
    rng = np.random.default_rng(7)
    base = _stepped_coverage(rng, n)
    sem = np.asarray(M.semantic(rng.uniform(-0.2, 1.0, n).astype(np.float32)))
    keep = rng.random(n) < 0.9
    read, sem_at = _reading(sem)
    exact = int((keep & (base + M.W_SEMANTIC * sem >= M.FIT_MIN)).sum())
    estimate, approximate = M._fitting(np.flatnonzero(keep & (base > 0)), base, {}, sem_at)
    assert approximate and len(read) == M.SEMANTIC_SAMPLE
    assert abs(estimate - exact) <= 0.02 * exact, (estimate, exact)


def test_ranking_for_a_need_skips_candidates_that_cannot_reach_the_top():
    """Ten candidates of the need's own occupation, a hundred thousand others with nothing
    of it: the others' semantic terms are never computed, nor are they listed one by one."""
    n = 100_010
    base = np.zeros(n, dtype=np.float32)
    base[:10] = M.W_REQUIRED
    code = np.ones(n, dtype=np.int32)
    code[:10] = 0
    close = _closeness([1.0, np.nan], code)
    computed: list[int] = []

    def sem_at(rows):
        computed.extend(rows.tolist())
        return np.full(len(rows), 0.5, dtype=np.float32)

    got, _ = M.best_rows(np.ones(n, dtype=bool), base, close, sem_at, 10)
    assert got.tolist() == list(range(10))
    assert computed == list(range(10))


def test_serving_workers_share_the_cores_between_their_encoders():
    from models.core.settings import threads_per_worker

    assert threads_per_worker(2, cores=2) == 1
    assert threads_per_worker(1, cores=2) == 2
    assert threads_per_worker(4, cores=2) == 1
    assert threads_per_worker(2, cores=8) == 4
