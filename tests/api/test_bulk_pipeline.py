"""Bulk import's pipeline: the next chunk's text is encoded while the current one is scored
and written; what is stored is what understanding each record on its own gives."""

from __future__ import annotations

import json
import threading

import numpy as np

from models.tenants.store import tenants


def test_bulk_import_encoding_ahead_understands_as_one_by_one(backend, reference, tmp_path, monkeypatch):
    """Bulk import encodes the next chunk's text while it scores and writes the current one;
    what it stores is what understanding each record on its own gives."""
    from models.reference.skills import content_sentences
    from models.tenants.record_pipeline import BulkLine
    from models.tenants.understanding import RecordUnderstander
    from service import create_app
    from training.synthetic import SyntheticTenant

    # in float32 another batch shape moves a vector by ~1e-7; bf16 rounds every product to 8
    # bits, so there it moves scores by ~1e-3 and says nothing about the pipeline
    monkeypatch.setattr(reference.encoder, "bf16", False)
    app = create_app({"data_dir": str(tmp_path), "database_url": backend.standalone_url}, reference=reference)
    records = app.extensions["talent"].records()
    tenant, _ = tenants.create_tenant(records.db, "ahead")
    gen = SyntheticTenant(reference, seed=11)
    docs = [gen.candidate(n)[0] for n in range(24)]
    docs[5] = {**docs[5], "summary": "Soldador con ocho años de experiencia en soldadura TIG de tubería de acero."}
    ahead, by_caller = [], []
    real, real_encode = reference.encoder.encode_ahead, reference.encoder._encode
    monkeypatch.setattr(
        reference.encoder, "encode_ahead", lambda texts, streams=None: (ahead.append(len(texts)), real(texts, streams))
    )

    def encode(texts, batch_size=None):
        if threading.current_thread() is threading.main_thread():
            by_caller.extend(texts)
        return real_encode(texts, batch_size)

    monkeypatch.setattr(reference.encoder, "_encode", encode)
    out = list(records.bulk_upsert(tenant.id, "candidate", [BulkLine(i + 1, d) for i, d in enumerate(docs)], chunk=8))
    assert [r["status"] for r in out] == ["created"] * 24
    assert len(ahead) == 4 and all(ahead)  # chunks of 2, 8, 8 and 6 lines, each encoded ahead
    # the importing thread encoded none of the chunks' sentences: each was ready when scored
    english = {s for d in docs for s, _ in content_sentences(d["summary"]) if d is not docs[5]}
    assert english and not english & set(by_caller)

    alone = RecordUnderstander(reference)  # a fresh memo: nothing shared with the import
    stored = {r.external_id: r for r in store_rows(records.db, tenant.id)}
    for doc in docs:
        (u,) = alone.understand("candidate", [doc])
        row = stored[doc["external_id"]]
        assert_same_understanding(row.understood, json.loads(json.dumps(u.understood)))
        assert np.allclose(np.frombuffer(row.vector, dtype=np.float32), u.vector, atol=1e-5)
    records.db.dispose()


def store_rows(db, tenant_id):
    from models.tenants.store import record_rows as store

    return list(store.export(db, tenant_id, "candidate", with_vectors=True))


def assert_same_understanding(got, want, path="$"):
    """Equal, scores allowed to differ in their last rounded digit (a batch of other
    sentences pads differently, which moves a vector by ~1e-7)."""
    if isinstance(want, dict):
        assert set(got) == set(want), path
        for key in want:
            assert_same_understanding(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_understanding(g, w, f"{path}[{i}]")
    elif isinstance(want, float):
        assert abs(got - want) <= 2e-4, path
    else:
        assert got == want, path
