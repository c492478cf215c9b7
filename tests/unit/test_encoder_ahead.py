"""Vectors encoded ahead of their use (models/core/encoder.py): bulk import encodes the next
chunk in another thread; encode() then takes them instead of encoding again."""

from __future__ import annotations

import numpy as np

from models.core import encoder as encoder_module


def test_texts_encoded_ahead_are_taken_not_encoded_again_and_the_oldest_go_first(encoder, monkeypatch):
    monkeypatch.setattr(encoder_module, "AHEAD_MAX", 3)
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
