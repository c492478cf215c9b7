"""Taxonomy artifact: ESCO skills (one vector per name and per definition, in FAISS) and
ESCO occupations with their skill relations where the source has them.

Each occupation's description ("label: definition") is embedded here too: the title-skill
ranker scores skills against it, its centroid tells how generic a skill is
(models/reference/title_skills.py), and role skills weigh each ESCO occupation by how well it matches a
SOC occupation's tasks (training/build_role_skills.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.core import artifacts
from models.core.encoder import Encoder
from models.core.index import FaissIndex
from models.reference.skills import MAX_ALT_LABELS, occupation_description, skill_views
from models.reference.taxonomy import EscoOccupation, Skill
from training import progress

METHOD = "skills-v3"  # v2: occupation description vectors; v3: without their sentences


def skill_texts(skills: list[Skill]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The texts to embed, the skill each belongs to and which view it is (models.reference.skills.skill_views:
    the catalogue replays it to find the stored vector of a name)."""
    texts: list[str] = []
    owners: list[int] = []
    views: list[int] = []
    for i, skill in enumerate(skills):
        for text, view in skill_views(skill.label, skill.alt_labels, skill.definition):
            texts.append(text)
            owners.append(i)
            views.append(view)
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
        vectors = progress.encode(encoder, texts, "taxonomy: skill names and definitions")
        index = FaissIndex(encoder.dim, "flat")
        index.add(np.arange(len(texts)), vectors)
        index.save(tmp / "index.faiss")
        np.save(tmp / "owners.npy", owners, allow_pickle=False)
        np.save(tmp / "views.npy", views, allow_pickle=False)
        artifacts.write_json(tmp / "skills.json", [s.to_dict() for s in records])
        occs = occupations()
        artifacts.write_json(tmp / "occupations.json", [o.to_dict() for o in occs])
        descriptions = [occupation_description(o.label, o.definition) for o in occs]
        np.save(
            tmp / "occupation_vectors.npy",
            progress.encode(encoder, descriptions, "taxonomy: occupation descriptions"),
            allow_pickle=False,
        )
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
