"""Approximate neighbours over the skill vectors: which skills a text could be about.

Scoring a sentence exactly against all ~110,000 skill vectors costs about 2 ms on this
machine, more than encoding the sentence; a CV has a handful of sentences, so exact scoring
alone would cap bulk ingest far below the encoder's rate. An HNSW graph over the same vectors
finds the few hundred rows nearest a query in a fraction of that; the skills owning those
rows are then scored exactly (models/reference/skills.py), so only the candidate set is approximate.

The graph is its own artifact (`skill_ann/` in the pack), built from the taxonomy's vectors
without the encoder, and it carries a copy of those vectors that the catalogue reuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from models.core import artifacts

KIND = "skill_ann"
INDEX_FILE = "hnsw.faiss"
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class AnnConfig:
    """HNSW parameters. M=16 with efConstruction=80. 256 rows at efSearch=384 give the
    skill-linking validation figures of exact scoring; at efSearch=256 that held for one graph
    and not for another (house RP@5 0.6301 vs 0.6137), and 128 rows lost 1.6 points (README
    "Skill linking at ingest speed")."""

    m: int = 16
    ef_construction: int = 80
    ef_search: int = 384
    rows: int = 256  # nearest rows per query; their owners are the candidate skills

    def build_params(self) -> dict:
        """What shapes the graph (stored with it); the search parameters are read from code."""
        return {"m": self.m, "ef_construction": self.ef_construction}


class SkillNeighbours:
    def __init__(self, index: faiss.Index, config: AnnConfig):
        self.index = index
        self.config = config
        graph: Any = faiss.downcast_index(index)  # IndexHNSWFlat: attributes FAISS's types do not declare
        graph.hnsw.efSearch = max(config.ef_search, config.rows)

    @classmethod
    def build(cls, vectors: np.ndarray, config: AnnConfig | None = None) -> SkillNeighbours:
        config = config or AnnConfig()
        index = faiss.IndexHNSWFlat(vectors.shape[1], config.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = config.ef_construction
        # on one thread: parallel insertion makes the graph, and so the linking figures,
        # depend on thread timing (two cold builds differed by 1.6 points of house RP@5)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        finally:
            faiss.omp_set_num_threads(threads)
        return cls(index, config)

    def save(self, directory: Path) -> None:
        faiss.write_index(self.index, str(Path(directory) / INDEX_FILE))
        artifacts.write_json(Path(directory) / CONFIG_FILE, self.config.build_params())

    @classmethod
    def load(cls, directory: Path) -> SkillNeighbours:
        directory = Path(directory)
        artifacts.verify(directory, KIND)
        config = AnnConfig(**artifacts.read_json(directory / CONFIG_FILE))
        return cls(faiss.read_index(str(directory / INDEX_FILE)), config)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def vectors(self) -> np.ndarray:
        """The indexed vectors (row i = taxonomy row i), a zero-copy view of the graph's storage."""
        graph: Any = faiss.downcast_index(self.index)
        storage: Any = faiss.downcast_index(graph.storage)
        return faiss.rev_swig_ptr(storage.get_xb(), storage.ntotal * storage.d).reshape(storage.ntotal, storage.d)

    def nearest_rows(self, queries: np.ndarray, rows: int | None = None) -> np.ndarray:
        """(queries x rows) taxonomy row numbers nearest each query, -1 where fewer exist."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        _, ids = self.index.search(queries, rows or self.config.rows)
        return ids
