"""Taxonomy artifact: ESCO skills (one vector per name and per definition, in FAISS) and
ESCO occupations with their skill relations where the source has them."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from models import artifacts
from models.encoder import Encoder
from models.index import FaissIndex
from models.records import EscoOccupation, Skill
from models.skills import VIEW_ALT, VIEW_DEFINITION, VIEW_LABEL
from models.text import fold

METHOD = "skills-v1"
# Alternative labels past this many add build time but rarely a new way of saying the skill.
MAX_ALT_LABELS = 12


def skill_texts(skills: list[Skill]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The texts to embed, the skill each belongs to and which view it is."""
    texts: list[str] = []
    owners: list[int] = []
    views: list[int] = []
    for i, skill in enumerate(skills):
        seen = {fold(skill.label)}
        texts.append(skill.label)
        owners.append(i)
        views.append(VIEW_LABEL)
        kept = 0
        for alt in skill.alt_labels:
            key = fold(alt)
            if not key or key in seen or kept >= MAX_ALT_LABELS:
                continue
            seen.add(key)
            kept += 1
            texts.append(alt)
            owners.append(i)
            views.append(VIEW_ALT)
        if skill.definition:
            texts.append(f"{skill.label}: {skill.definition}")
            owners.append(i)
            views.append(VIEW_DEFINITION)
    return texts, np.asarray(owners, dtype=np.int32), np.asarray(views, dtype=np.int8)


def build_taxonomy(
    pack_dir: Path,
    encoder: Encoder,
    skills: Callable[[], list[Skill]],
    occupations: Callable[[], list[EscoOccupation]],
    source_inputs: dict[str, str],
    force: bool = False,
) -> tuple[dict, bool]:
    """Build pack_dir/taxonomy unless current. The sources are read only when a build is needed."""
    inputs = {**source_inputs, "encoder": encoder.fingerprint, "method": METHOD, "max_alt_labels": str(MAX_ALT_LABELS)}

    def write(tmp: Path) -> dict:
        records = skills()
        texts, owners, views = skill_texts(records)
        vectors = encoder.encode(texts)
        index = FaissIndex(encoder.dim, "flat")
        index.add(np.arange(len(texts)), vectors)
        index.save(tmp / "index.faiss")
        np.save(tmp / "owners.npy", owners, allow_pickle=False)
        np.save(tmp / "views.npy", views, allow_pickle=False)
        artifacts.write_json(tmp / "skills.json", [s.to_dict() for s in records])
        occs = occupations()
        artifacts.write_json(tmp / "occupations.json", [o.to_dict() for o in occs])
        return {
            "encoder": encoder.fingerprint,
            "dimension": encoder.dim,
            "counts": {
                "skills": len(records),
                "vectors": len(texts),
                "esco_occupations": len(occs),
                "occupations_with_relations": sum(1 for o in occs if o.skills),
            },
            "index": index.params,
        }

    return artifacts.build(Path(pack_dir) / "taxonomy", "taxonomy", inputs, write, force)
