"""Skill neighbours artifact: an HNSW graph over the taxonomy's skill vectors (models/reference/skill_ann.py).

Built from taxonomy/index.faiss alone (no encoder, ~40 s on one thread), so it is rebuilt exactly when the
taxonomy's vectors change: its input is their checksum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.core import artifacts
from models.core.index import FaissIndex
from models.reference.skill_ann import KIND, AnnConfig, SkillNeighbours

METHOD = "hnsw-v2"  # v2: built on one thread, so every build gives the same graph


def build_skill_ann(pack_dir: Path, force: bool = False, config: AnnConfig | None = None) -> tuple[dict, bool]:
    pack_dir = Path(pack_dir)
    config = config or AnnConfig()
    taxonomy = artifacts.read_manifest(pack_dir / "taxonomy")
    inputs = {
        "taxonomy_vectors": taxonomy["files"]["index.faiss"],
        "method": METHOD,
        **{k: str(v) for k, v in config.build_params().items()},
    }

    def write(tmp: Path) -> dict:
        flat = FaissIndex.load(pack_dir / "taxonomy" / "index.faiss", "flat")
        rows = np.arange(len(flat))
        if not np.array_equal(np.sort(flat.ids()), rows):
            raise artifacts.ArtifactError("taxonomy index ids are not its row numbers")
        ann = SkillNeighbours.build(flat.vectors(rows), config)
        ann.save(tmp)
        return {"counts": {"vectors": len(ann)}, "config": config.build_params()}

    return artifacts.build(pack_dir / KIND, KIND, inputs, write, force)
