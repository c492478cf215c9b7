"""Tables computed at build or load time so that requests never pay for them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.core.encoder import Encoder, bf16_native, default_model_path, resolve_model_path
from models.core.settings import load_settings
from models.reference.skill_space import SAME_SKILL_MIN, SkillSpace


def test_role_skills_of_every_soc_come_from_the_pack_and_equal_a_fresh_pooling(reference, settings):
    from training.build_role_skills import compute_role_skills

    assert reference.role_skills is not None and len(reference.role_skills) == len(reference.titles.socs)
    fresh = compute_role_skills(settings.pack_path, reference.titles)
    for code in ("49-9081", "15-1252", "29-1141"):
        assert reference.role_skills[code] == (tuple(fresh[code]["required"]), tuple(fresh[code]["nice"]))


def test_near_synonyms_are_symmetric_and_above_the_threshold(reference):
    space = SkillSpace(reference.skills, reference.title_skill_ranker, reference.role_skills)
    uri = reference.skills.skills[reference.skills.exact_names["maintain wind turbines"][0]]["id"]
    eq = space.equivalents(uri)
    assert eq[0] == (space.index[uri], 1.0)
    for j, sim in eq[1:]:
        assert sim >= SAME_SKILL_MIN
        back = dict(space.equivalents(reference.skills.skills[j]["id"]))
        assert back[space.index[uri]] == pytest.approx(sim, abs=1e-5)
    assert space.equivalents("http://example.org/not-a-skill") == ()


def test_encoder_precision_setting_is_validated():
    assert load_settings(environ={"TALENT_ENCODER_PRECISION": "bf16"}).encoder_precision == "bf16"
    with pytest.raises(ValueError, match="TALENT_ENCODER_PRECISION"):
        load_settings(environ={"TALENT_ENCODER_PRECISION": "fp8"})


def test_auto_precision_takes_bf16_only_where_the_cpu_has_it_in_hardware(monkeypatch):
    # an AVX-512 CPU without BF16 or AMX: oneDNN would emulate bfloat16, slower than float32
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert bf16_native() is False
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert bf16_native() is True


def test_bf16_and_fp32_vectors_are_interchangeable(encoder, monkeypatch):
    texts = ["Maintained wind turbine gearboxes.", "Customer success manager for a SaaS product.", "CNC machinist"]
    monkeypatch.setattr(encoder, "bf16", False)  # the session's encoder, switched (loaded once)
    fp32 = encoder.encode(texts)
    monkeypatch.setattr(encoder, "bf16", True)
    bf16 = encoder.encode(texts)
    assert np.min(np.sum(fp32 * bf16, axis=1)) > 0.999


def test_the_encoder_setting_names_the_model_every_process_loads(tmp_path, monkeypatch):
    monkeypatch.delenv("TALENT_ENCODER", raising=False)
    assert resolve_model_path() == default_model_path()
    monkeypatch.setenv("TALENT_ENCODER", str(tmp_path))
    assert resolve_model_path() == tmp_path
    assert resolve_model_path(default_model_path()) == default_model_path()  # an explicit path wins
    with pytest.raises(RuntimeError, match="no sentence-transformers model"):
        Encoder()  # an empty directory is refused before anything loads
