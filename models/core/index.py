"""Vector indices behind one small contract: FAISS for serving, brute-force NumPy to check it.

Vectors are L2-normalised, so inner product is cosine similarity. Ids are int64 chosen by
the caller (row numbers for reference data, database ids for tenant data).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np

from models.core.sorted_arrays import find_sorted

# Below this many vectors exact search is both fast enough and simplest.
EXACT_MAX = 50_000
TRAIN_PER_LIST = 64  # IVF k-means sample: vectors per list (FAISS asks for at least 39)


class VectorIndex(Protocol):
    dim: int

    def __len__(self) -> int: ...
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...
    def remove(self, ids: np.ndarray) -> int: ...
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    if vectors.shape[1] != dim:
        raise ValueError(f"expected vectors of dimension {dim}, got {vectors.shape[1]}")
    return vectors


def _as_ids(ids: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)


class BruteForceIndex:
    """Exact search in NumPy: the reference the FAISS index is tested against."""

    def __init__(self, dim: int):
        self.dim = dim
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, dim), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = _as_ids(ids), _as_matrix(vectors, self.dim)
        self.remove(ids)
        self._ids = np.concatenate([self._ids, ids])
        self._vectors = np.concatenate([self._vectors, vectors])

    def remove(self, ids: np.ndarray) -> int:
        keep = ~np.isin(self._ids, _as_ids(ids))
        removed = int((~keep).sum())
        self._ids, self._vectors = self._ids[keep], self._vectors[keep]
        return removed

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_matrix(queries, self.dim)
        n = len(self._ids)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        if n == 0 or k <= 0:
            return scores, ids
        sims = queries @ self._vectors.T
        top = min(k, n)
        part = np.argpartition(-sims, top - 1, axis=1)[:, :top]
        order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
        cols = np.take_along_axis(part, order, axis=1)
        scores[:, :top] = np.take_along_axis(sims, cols, axis=1)
        ids[:, :top] = self._ids[cols]
        return scores, ids


class FaissIndex:
    """FAISS inner-product index with caller ids: flat (exact) or IVF (approximate).

    The IVF kind keeps 8-bit scalar-quantised codes (a quarter of the float32 size) and the
    ids in its inverted lists, so a snapshot of it can be memory-mapped whole (`load(...,
    mmap=True)`, read-only) and shared by every worker; its scores are approximate, which is
    why the tenant index re-scores its hits with the stored vectors. IVF rather than HNSW
    because FAISS can delete from IVF lists.
    """

    def __init__(self, dim: int, kind: str = "flat", nlist: int = 0, nprobe: int = 16):
        self.dim = dim
        self.kind = kind
        self.nlist = nlist
        self.nprobe = nprobe
        self._index: Any = self._empty()  # IndexIDMap2 over flat, or IVF: attributes FAISS types do not declare

    def _empty(self) -> faiss.Index:
        if self.kind == "flat":
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        if self.kind == "ivf":
            quantizer = faiss.IndexFlatIP(self.dim)
            ivf = faiss.IndexIVFScalarQuantizer(
                quantizer, self.dim, self.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
            ivf.nprobe = self.nprobe
            return ivf
        raise ValueError(f"unknown index kind {self.kind!r}")

    @property
    def approximate(self) -> bool:
        return self.kind != "flat"

    def emptied(self) -> FaissIndex:
        """An empty index of the same kind, trained as this one is (IVF: same lists and
        quantiser, so adding vectors needs no training)."""
        out = FaissIndex(self.dim, self.kind, self.nlist, self.nprobe)
        if self.kind == "ivf" and self._index.is_trained:
            ivf: Any = faiss.downcast_index(self._index)
            out._index.quantizer.add(ivf.quantizer.reconstruct_n(0, ivf.nlist))
            out._index.sq.trained = ivf.sq.trained
            out._index.is_trained = True
        return out

    @classmethod
    def for_size(cls, dim: int, n: int, exact_max: int = EXACT_MAX) -> FaissIndex:
        """Exact below `exact_max` vectors, IVF above (about 4·sqrt(n) lists)."""
        if n <= exact_max:
            return cls(dim, "flat")
        nlist = int(4 * np.sqrt(n))
        return cls(dim, "ivf", nlist=nlist, nprobe=max(8, nlist // 32))

    @property
    def params(self) -> dict:
        return {"kind": self.kind, "nlist": self.nlist, "nprobe": self.nprobe, "dim": self.dim}

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def train(self, sample: np.ndarray) -> None:
        if self.kind == "ivf" and not self._index.is_trained:
            sample = _as_matrix(sample, self.dim)
            if len(sample) > TRAIN_PER_LIST * self.nlist:  # k-means on all of a million takes minutes
                picks = np.random.default_rng(0).choice(len(sample), TRAIN_PER_LIST * self.nlist, replace=False)
                sample = sample[np.sort(picks)]
            self._index.train(sample)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = _as_ids(ids), _as_matrix(vectors, self.dim)
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        if len(ids) == 0:
            return
        if not self._index.is_trained:
            self.train(vectors)
        self.remove(ids)  # add is an upsert
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        ids = _as_ids(ids)
        if len(ids) == 0 or len(self) == 0:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_matrix(queries, self.dim)
        if len(self) == 0 or k <= 0:
            return (
                np.full((len(queries), max(k, 0)), -np.inf, dtype=np.float32),
                np.full((len(queries), max(k, 0)), -1, dtype=np.int64),
            )
        scores, ids = self._index.search(queries, k)
        scores[ids < 0] = -np.inf
        return scores, ids

    def ids(self) -> np.ndarray:
        """Every id in the index."""
        if self.kind == "ivf":
            ivf: Any = faiss.downcast_index(self._index)
            lists = ivf.invlists
            found = [
                faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                for i in range(lists.nlist)
                if lists.list_size(i)
            ]
            return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these ids (IDMap2 keeps the id -> vector mapping)."""
        ids = _as_ids(ids)
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._index.reconstruct(int(i)) for i in ids]).astype(np.float32)

    def row_vectors(self) -> np.ndarray:
        """Every vector as a (rows x dim) array, row i holding id i (ids must be 0..n-1).

        For a flat index this is a zero-copy view of FAISS's own storage, so a caller that
        scores against all vectors (the pack's skills and occupation names) keeps one copy in
        memory; otherwise the vectors are reconstructed."""
        if self.kind == "flat":
            outer: Any = faiss.downcast_index(self._index)
            base: Any = faiss.downcast_index(outer.index)
            ids = faiss.vector_to_array(outer.id_map)
            if isinstance(base, faiss.IndexFlat) and np.array_equal(ids, np.arange(len(ids))):
                return faiss.rev_swig_ptr(base.get_xb(), base.ntotal * base.d).reshape(base.ntotal, base.d)
        return self.vectors(np.arange(len(self)))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str, nlist: int = 0, nprobe: int = 16, mmap: bool = False) -> FaissIndex:
        """`mmap`: an IVF index's lists stay in the file, paged in as searches touch them and
        shared by every process that maps it; such an index is read-only."""
        obj = cls.__new__(cls)
        obj.kind, obj.nlist, obj.nprobe = kind, nlist, nprobe
        mapped = mmap and kind == "ivf"  # FAISS refuses changes to a mapped index itself
        obj._index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP if mapped else 0)
        obj.dim = obj._index.d
        if kind == "ivf":
            faiss.extract_index_ivf(obj._index).nprobe = nprobe
        return obj


class LayeredIndex:
    """A read-only base index (a memory-mapped snapshot) and the changes since: records added
    or replaced sit in a small exact index beside it, base records replaced or removed are
    hidden from its results. Writing a new snapshot folds the changes into a new base."""

    def __init__(self, base: FaissIndex, base_ids: np.ndarray):
        self.base = base
        self.dim = base.dim
        self.base_ids = np.sort(_as_ids(base_ids))  # the ids the base holds
        self.hidden: set[int] = set()  # of base_ids
        self.overlay = FaissIndex(base.dim, "flat")

    @property
    def kind(self) -> str:
        return self.base.kind

    @property
    def params(self) -> dict:
        return self.base.params

    @property
    def approximate(self) -> bool:
        return self.base.approximate

    @property
    def changed(self) -> bool:
        return bool(self.hidden) or len(self.overlay) > 0

    def __len__(self) -> int:
        return len(self.base_ids) - len(self.hidden) + len(self.overlay)

    def _in_base(self, ids: np.ndarray) -> np.ndarray:
        return ids[find_sorted(self.base_ids, ids)[1]]

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = _as_ids(ids)
        self.hidden.update(self._in_base(ids).tolist())
        self.overlay.add(ids, vectors)

    def remove(self, ids: np.ndarray) -> int:
        ids = _as_ids(ids)
        in_base = {i for i in self._in_base(ids).tolist() if i not in self.hidden}
        self.hidden.update(in_base)
        return len(in_base) + self.overlay.remove(ids)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_matrix(queries, self.dim)
        fetch = min(k + len(self.hidden), len(self.base_ids))
        scores, ids = self.base.search(queries, fetch) if fetch > 0 else self.overlay.search(queries, 0)
        if self.hidden and ids.size:
            gone = np.isin(ids, np.fromiter(self.hidden, dtype=np.int64, count=len(self.hidden)))
            scores[gone], ids[gone] = -np.inf, -1
        if len(self.overlay):
            more_scores, more_ids = self.overlay.search(queries, k)
            scores, ids = np.hstack([scores, more_scores]), np.hstack([ids, more_ids])
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        scores, ids = np.take_along_axis(scores, order, axis=1), np.take_along_axis(ids, order, axis=1)
        if scores.shape[1] < k:  # fewer records than asked for
            pad = k - scores.shape[1]
            scores = np.hstack([scores, np.full((len(queries), pad), -np.inf, dtype=np.float32)])
            ids = np.hstack([ids, np.full((len(queries), pad), -1, dtype=np.int64)])
        return scores, ids

    def ids(self) -> np.ndarray:
        hidden = np.fromiter(self.hidden, dtype=np.int64, count=len(self.hidden))
        return np.concatenate([self.base_ids[~np.isin(self.base_ids, hidden)], self.overlay.ids()])
