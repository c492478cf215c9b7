"""Vectors encoded ahead of their use (models/core/encoder.py): bulk import encodes the next
chunk in another thread; encode() then takes them instead of encoding again."""

from __future__ import annotations

import numpy as np

from models.core import encoder as encoder_module


def test_texts_encoded_ahead_are_taken_not_encoded_again_and_the_oldest_go_first(encoder, monkeypatch):
    monkeypatch.setattr(encoder_module, "AHEAD_MAX", 3)
    monkeypatch.setattr(encoder, "streams", 1)
    encoded: list[str] = []
    real = encoder._encode
    monkeypatch.setattr(encoder, "_encode", lambda texts, batch_size=None: (encoded.extend(texts), real(texts))[1])
    monkeypatch.setattr(encoder, "_ahead", type(encoder._ahead)())
    encoder.encode_ahead(["welding", "forklift operation", "welding"])
    assert sorted(encoded) == ["forklift operation", "welding"]  # each distinct text once
    encoded.clear()
    first = encoder.encode(["welding", "forklift operation"])
    again = encoder.encode(["welding"])  # kept after use: a later chunk may share a sentence
    assert encoded == [] and np.array_equal(first[0], again[0])
    encoder.encode_ahead(["payroll", "customer service"])  # four kept at most three: the oldest goes
    assert list(encoder._ahead) == ["welding", "payroll", "customer service"]
    encoder.encode(["forklift operation"])
    assert encoded[-1:] == ["forklift operation"]  # dropped, so encoded now


def test_streams_encode_each_text_once_over_the_same_weights(encoder, monkeypatch):
    """Two streams of one thread each share the batches: each distinct text is encoded by one
    of them, over the very weight tensors of the encoder, in the precision the encoder is set
    to when they run (not the one they were made in), to the vectors one stream gives."""
    texts = [f"operated {n} wind turbines and kept their maintenance logs" for n in range(9)] + ["welding"]
    monkeypatch.setattr(encoder, "streams", 2)
    monkeypatch.setattr(encoder, "batch_size", 3)  # four batches for two streams
    monkeypatch.setattr(encoder, "_ahead", type(encoder._ahead)())
    twins = encoder._stream_twins(2)
    monkeypatch.setattr(encoder, "bf16", not encoder.bf16)
    encoded: list[str] = []
    for twin in twins:
        real = twin._encode
        monkeypatch.setattr(twin, "_encode", lambda t, batch_size=None, real=real: (encoded.extend(t), real(t))[1])
    encoder.encode_ahead(texts + texts[:2])
    assert sorted(encoded) == sorted(texts)
    own = {p.data_ptr() for p in encoder._model.parameters()}
    assert all({p.data_ptr() for p in twin._model.parameters()} == own for twin in twins)
    ahead = np.stack([encoder._ahead[t] for t in texts])
    alone = encoder._encode(texts, batch_size=3)
    # in float32 another batch split moves a vector by ~1e-7; in bfloat16 by ~1e-3
    np.testing.assert_allclose(ahead, alone, atol=1e-5 if not encoder.bf16 else 2e-2)
