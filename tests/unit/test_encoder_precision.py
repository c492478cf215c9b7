"""The encoder in bfloat16 holds its linear layers' weights cast once (models/core/encoder.py)
instead of letting autocast cast them at every call: the vectors must stay those autocast gives."""

from __future__ import annotations

import numpy as np
import torch

TEXTS = ["CNC machinist", "Maintained hydraulic presses and conveyors; read electrical schematics.", "Pflegefachkraft"]


def test_linear_weights_held_in_bfloat16_give_autocasts_vectors_to_the_bit(encoder, monkeypatch):
    monkeypatch.setattr(encoder, "bf16", True)
    held = encoder._encode(TEXTS)
    linear = [m for m in encoder._model.modules() if isinstance(m, torch.nn.Linear)]
    assert linear and all(m.weight.dtype == torch.bfloat16 for m in linear)

    monkeypatch.setattr(encoder, "bf16", False)
    fp32 = encoder._encode(TEXTS)  # switching back restores the float32 weights
    assert all(m.weight.dtype == torch.float32 for m in linear)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # autocast over float32 weights, as before
        cast_each_call = encoder._model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    assert np.array_equal(held, np.asarray(cast_each_call, dtype=np.float32))
    assert not np.array_equal(held, fp32)  # bfloat16 was really used
    np.testing.assert_allclose((held * fp32).sum(axis=1), 1.0, atol=1e-4)
