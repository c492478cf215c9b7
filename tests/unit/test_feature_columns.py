"""A tenant's features in columns: what a snapshot maps gives back the features written, and a
view over a mapped base plus changes reads exactly as the same records held in memory."""

from __future__ import annotations

import numpy as np

from models.core.index import FaissIndex, LayeredIndex
from models.tenants.columns import ColumnBatch, Columns
from models.tenants.feature_views import FeatureTable
from models.tenants.features import Features

DIM = 8
SKILLS = [f"esco:s{j}" for j in range(12)]
SKILL_INDEX = {uri: j for j, uri in enumerate(SKILLS)}


def person(i: int, rng: np.random.Generator) -> tuple[Features, np.ndarray | None]:
    held = rng.choice(len(SKILLS) + 1, size=rng.integers(0, 5), replace=False)  # 12: not in the pack
    skills = {(SKILLS[j] if j < len(SKILLS) else "esco:retired"): float(rng.choice([1.0, 0.7])) for j in held}
    f = Features(
        i,
        f"ext-{i}",
        skills,
        region_id=["", "r-1", "r-2", "r-3"][i % 4] or None,
        soc=["", "51-4041", "29-1141"][i % 3] or None,
        title=f"Person {i} — ünïcode",
        remote_ok=i % 2 == 0,
        relocate=i % 5 == 0,
        languages=tuple(["en", "es", "fr"][: i % 3]),
        occupations=(("51-4041", 0.5), ("51-4121", 0.25)) if i % 3 == 1 else (),
        uncertain=i % 7 == 0,
        target_soc="51-4012" if i % 6 == 0 else None,
    )
    v = rng.standard_normal(DIM).astype(np.float32)
    return f, (v / np.linalg.norm(v) if i % 9 else None)


def records(ids, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [person(i, rng) for i in ids]


def test_features_come_back_from_mapped_columns_as_written(tmp_path):
    rows = records(range(1, 40))
    ColumnBatch.of(reversed(rows), DIM).write(tmp_path)  # any order in, id order out
    cols = Columns.open(tmp_path)
    assert cols.ids.tolist() == list(range(1, 40)) and not cols.ids.flags.owndata and not cols.ids.flags.writeable
    for f, v in rows:
        row = cols.row_of(f.id)
        assert cols.features(row) == f
        if v is None:
            assert cols.vector(row) is None
        else:
            np.testing.assert_array_equal(cols.vector(row), v.astype(np.float16).astype(np.float32))
    assert cols.row_of(0) == -1 and cols.row_of(999) == -1 and cols.row_of(2**63) == -1


def arrays_by_id(arrays: dict, n_skills: int) -> dict[int, tuple]:
    """Everything a view's arrays say about each record, keyed by id (positions may differ)."""
    skills = np.zeros((len(arrays["ids"]), n_skills), dtype=np.float32)
    for j in range(n_skills):
        held, weight = arrays["skills"].column(j)
        skills[held, j] = weight
    vectors = arrays["vectors"][np.arange(len(arrays["ids"]))]
    speaks_es = arrays["languages"].speak_all({"es"})
    out = {}
    for p, i in enumerate(arrays["ids"].tolist()):
        out[i] = (
            arrays["region"][p],
            arrays["region_vocab"][arrays["region_code"][p]],
            arrays["soc_vocab"][arrays["soc_code"][p]],
            arrays["target_vocab"][arrays["target_code"][p]],
            bool(arrays["remote_ok"][p]),
            bool(arrays["relocate"][p]),
            bool(speaks_es[p]),
            tuple(skills[p]),
            tuple(vectors[p]),
        )
    return out


def test_a_mapped_base_with_changes_reads_as_the_same_records_in_memory(tmp_path):
    ColumnBatch.of(records(range(1, 60)), DIM).write(tmp_path)
    mapped = FeatureTable(DIM, Columns.open(tmp_path))
    memory = FeatureTable(DIM)
    for f, v in records(range(1, 60)):
        memory.put(f, v)
    before = mapped.view()
    # changes: replaced records, deleted ones (base and new), new ones
    changed = records([3, 10, 11, 70, 71, 72], seed=1)
    for table in (mapped, memory):
        for f, v in changed:
            table.put(f, v)
        for gone in (4, 5, 59, 71):
            table.remove(gone)
    assert len(mapped) == len(memory) == 59 - 3 + 2
    assert arrays_by_id(mapped.arrays(SKILL_INDEX), len(SKILLS)) == arrays_by_id(
        memory.arrays(SKILL_INDEX), len(SKILLS)
    )
    view = mapped.view()
    assert dict(view.rows) == dict(memory.view().rows)
    for i in (3, 10, 1, 70):
        np.testing.assert_array_equal(view.vectors.get(i), memory.view().vectors.get(i))
    assert view.rows.get(4) is None and view.vectors.get(59) is None
    # the view taken before the changes still reads the old version
    assert before.rows[4].id == 4 and 70 not in before.rows and len(before) == 59
    # folding the changes into one batch gives the same records again
    folded = FeatureTable(DIM, mapped.batch())
    assert arrays_by_id(folded.arrays(SKILL_INDEX), len(SKILLS)) == arrays_by_id(
        mapped.arrays(SKILL_INDEX), len(SKILLS)
    )


def test_a_layered_index_answers_as_one_index_of_the_same_vectors():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = np.arange(1, 301)
    base = FaissIndex(DIM, "flat")
    base.add(ids[:200], x[:200])
    layered = LayeredIndex(base, ids[:200])
    layered.add(ids[150:300], x[150:300][::-1])  # 150..199 replaced by other vectors, 200.. new
    layered.remove(np.asarray([5, 250, 999]))
    truth = FaissIndex(DIM, "flat")
    truth.add(ids[:150], x[:150])
    truth.add(ids[150:300], x[150:300][::-1])
    truth.remove(np.asarray([5, 250]))
    assert len(layered) == len(truth) == 298
    assert sorted(layered.ids().tolist()) == sorted(truth.ids().tolist())
    q = rng.standard_normal((20, DIM)).astype(np.float32)
    got_scores, got = layered.search(q, 10)
    want_scores, want = truth.search(q, 10)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_scores, want_scores, rtol=1e-6)


def test_a_few_rows_covered_in_float64_get_each_profiles_own_coverage_to_the_bit(reference, tmp_path):
    """What need_candidates ranks its shown candidates by (RowSubset, exact) equals what it
    then shows for each (SkillSpace.coverage of the profile), near-synonyms included."""
    from models.reference.skill_space import RowSubset

    space = reference.skill_space
    wanted = [s["id"] for s in space.catalog.skills if len(space.equivalents(s["id"])) > 2][:8]
    pool = sorted({space.catalog.skills[j]["id"] for u in wanted for j, _ in space.equivalents(u)})
    rng = np.random.default_rng(3)
    people = []
    for i in range(200):
        held = rng.choice(pool, size=rng.integers(0, 10), replace=False).tolist()
        people.append((Features(i + 1, f"e{i}", {u: float(rng.choice([1.0, 0.7, 0.5])) for u in held}), None))
    ColumnBatch.of(people, DIM).write(tmp_path)
    table = FeatureTable(DIM, Columns.open(tmp_path))
    arrays = table.arrays(space.index)
    rows = np.sort(rng.choice(200, 60, replace=False))
    got = space.coverage_matrix(wanted, RowSubset(arrays["skills"], rows), exact=True)
    own = [space.coverage(wanted, table.view().rows[int(i)].skills)[0] for i in arrays["ids"][rows]]
    assert got.tolist() == own and len(set(own)) > 5


def test_views_taken_after_every_write_read_as_the_records_written_and_build_only_what_changed(tmp_path, monkeypatch):
    """A busy tenant takes a view after each write: every view reads as the same records held
    in memory, and a view turns only the row written since the last one into columns (not
    the whole overlay again)."""
    ColumnBatch.of(records(range(1, 80)), DIM).write(tmp_path)
    table = FeatureTable(DIM, Columns.open(tmp_path))
    held = {f.id: (f, v) for f, v in records(range(1, 80))}
    made: list[int] = []
    original = ColumnBatch.of.__func__  # type: ignore[attr-defined]

    def counting(cls, rows, dim):
        rows = list(rows)
        made.append(len(rows))
        return original(cls, rows, dim)

    monkeypatch.setattr(ColumnBatch, "of", classmethod(counting))
    rng = np.random.default_rng(7)
    for step in range(240):
        record_id = int(rng.integers(1, 160))  # base rows, overlay rows and new ones alike
        put = rng.random() >= 0.2
        if put:
            ((f, v),) = records([record_id], seed=step + 100)
            table.put(f, v)
            held[record_id] = (f, v)
        else:
            table.remove(record_id)
            held.pop(record_id, None)
        made.clear()
        view = table.view()
        assert made == ([1] if put else [])
        if step % 40 == 39:
            memory = FeatureTable(DIM)
            for f, v in held.values():
                memory.put(f, v)
            assert arrays_by_id(view.arrays(SKILL_INDEX), len(SKILLS)) == arrays_by_id(
                memory.arrays(SKILL_INDEX), len(SKILLS)
            )
            assert dict(view.rows) == {i: f for i, (f, _) in held.items()}
            folded = FeatureTable(DIM, view.batch())
            assert arrays_by_id(folded.arrays(SKILL_INDEX), len(SKILLS)) == arrays_by_id(
                memory.arrays(SKILL_INDEX), len(SKILLS)
            )
