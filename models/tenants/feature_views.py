"""A tenant's features of one kind as the replay keeps them and as a request reads them.

A `FeatureTable` is a base (`ColumnBatch`: the snapshot's memory-mapped columns, or none)
plus what changed since, in memory: the features of records written after the base (the
overlay) and the base rows they replace or that were deleted (dead). Writing a snapshot folds
the overlay into a new base, so it stays small.

The overlay is also kept in columns, as a few batches that are never rebuilt: the rows put
since the last view become a new batch when the next view is taken, and the newest batches
are merged whenever one is no larger than the one after it (sizes fall geometrically: about
log2(overlay) batches, each row copied about as often). So taking a view after a write costs
what the write added, not the whole overlay again, however many writes came before it.

A request takes a `FeatureView`: one version, never changed after it is made, so it sees one
consistent state however many writes land meanwhile. Its `arrays()` put the live rows of the
base (in place, not copied) and the overlay's rows side by side for vectorised scoring:
row positions 0..k-1 are the base's live rows, k.. the overlay's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

import numpy as np

from models.tenants.columns import ColumnBatch
from models.tenants.features import Features


def _half(vector: np.ndarray | None) -> np.ndarray | None:
    """Vectors are kept as float16 everywhere, so a record scores the same from either side."""
    return None if vector is None else np.asarray(vector, dtype=np.float16)


class _Chunk:
    """Overlay rows in columns; the rows of records put again or removed since are dead."""

    __slots__ = ("batch", "dead")

    def __init__(self, batch: ColumnBatch):
        self.batch = batch
        self.dead: set[int] = set()

    def live(self) -> int:
        return len(self.batch) - len(self.dead)

    def live_rows(self) -> np.ndarray | None:
        """The live rows, ascending; None when all are."""
        return _without(len(self.batch), self.dead)

    def live_batch(self) -> ColumnBatch:
        rows = self.live_rows()
        return self.batch if rows is None else self.batch.take(rows)


def _without(n: int, dead: set[int]) -> np.ndarray | None:
    if not dead:
        return None
    keep = np.ones(n, dtype=bool)
    keep[np.fromiter(dead, dtype=np.int64, count=len(dead))] = False
    return np.flatnonzero(keep)


class FeatureTable:
    """Changed only under the tenant index's lock. Readers take a `view()`: copy-on-write, so
    the overlay a view holds is copied once at the first change after it was taken."""

    def __init__(self, dim: int, base: ColumnBatch | None = None):
        self.dim = dim
        self.base = base
        self.rows: dict[int, Features] = {}
        self.vectors: dict[int, np.ndarray] = {}
        self.dead: set[int] = set()  # base rows replaced by the overlay or deleted
        self._chunks: list[_Chunk] = []  # the overlay in columns, oldest first
        self._chunk_of: dict[int, _Chunk] = {}  # record id -> the chunk holding its live row
        self._pending: set[int] = set()  # ids put since the last view (their rows are in `rows`)
        self._view: FeatureView | None = None

    def __len__(self) -> int:
        return (len(self.base) if self.base is not None else 0) - len(self.dead) + len(self.rows)

    @property
    def changed(self) -> int:
        """Records held outside the base (new or replaced) plus base rows dropped."""
        return len(self.rows) + len(self.dead)

    def _own(self) -> None:
        if self._view is not None:
            self.rows, self.vectors, self.dead = dict(self.rows), dict(self.vectors), set(self.dead)
            self._view = None

    def _base_row(self, record_id: int) -> int:
        return self.base.row_of(record_id) if self.base is not None else -1

    def put(self, f: Features, vector: np.ndarray | None) -> None:
        self._own()
        self.rows[f.id] = f
        half = _half(vector)
        if half is not None:
            self.vectors[f.id] = half
        else:
            self.vectors.pop(f.id, None)
        self._retire(f.id)
        self._pending.add(f.id)

    def remove(self, record_id: int) -> None:
        self._own()
        self.rows.pop(record_id, None)
        self.vectors.pop(record_id, None)
        self._retire(record_id)

    def _retire(self, record_id: int) -> None:
        """The record's current row, wherever it is, no longer counts."""
        row = self._base_row(record_id)
        if row >= 0:
            self.dead.add(row)
        chunk = self._chunk_of.pop(record_id, None)
        if chunk is not None:
            chunk.dead.add(chunk.batch.row_of(record_id))
        self._pending.discard(record_id)

    def view(self) -> FeatureView:
        if self._view is None:
            self._seal()
            parts = [(c.batch, c.live_rows()) for c in self._chunks]
            self._view = FeatureView(self.dim, self.base, self.rows, self.vectors, self.dead, parts)
        return self._view

    def _seal(self) -> None:
        """The rows put since the last view become a chunk; the newest chunks merge while one
        is no larger than the next (and chunks left without a live row go)."""
        chunks = [c for c in self._chunks if c.live()]
        if self._pending:
            rows = ((self.rows[i], self.vectors.get(i)) for i in self._pending)
            chunks.append(self._adopt(ColumnBatch.of(rows, self.dim)))
            self._pending = set()
        while len(chunks) > 1 and chunks[-2].live() <= chunks[-1].live():
            newer, older = chunks.pop(), chunks.pop()
            chunks.append(self._adopt(ColumnBatch.concat([older.live_batch(), newer.live_batch()], self.dim)))
        self._chunks = chunks

    def _adopt(self, batch: ColumnBatch) -> _Chunk:
        """A chunk of `batch`, which now holds the live row of each of its records."""
        chunk = _Chunk(batch)
        for record_id in batch.ids.tolist():
            self._chunk_of[record_id] = chunk
        return chunk

    def arrays(self, skill_index: dict[str, int]) -> dict:
        return self.view().arrays(skill_index)

    def batch(self) -> ColumnBatch:
        """Everything as one batch in memory: the base's live rows and the overlay (what a
        snapshot writes)."""
        return self.view().batch()


class _Rows(Mapping):
    """Features by record id: the overlay's, else the base's live row turned back into one."""

    def __init__(self, base: ColumnBatch | None, overlay: dict[int, Features], dead: set[int]):
        self.base, self.overlay, self.dead = base, overlay, dead

    def __getitem__(self, record_id: int) -> Features:
        f = self.overlay.get(record_id)
        if f is not None:
            return f
        if self.base is not None:
            row = self.base.row_of(int(record_id))
            if row >= 0 and row not in self.dead:
                return self.base.features(row)
        raise KeyError(record_id)

    def __iter__(self) -> Iterator[int]:
        if self.base is not None:
            for row, record_id in enumerate(self.base.ids.tolist()):
                if row not in self.dead:
                    yield record_id
        yield from self.overlay

    def __len__(self) -> int:
        return (len(self.base) if self.base is not None else 0) - len(self.dead) + len(self.overlay)


class _Vectors:
    """Float32 vectors by record id (None where a record has none)."""

    def __init__(self, base: ColumnBatch | None, overlay: dict[int, np.ndarray], rows: _Rows):
        self.base, self.overlay, self.rows = base, overlay, rows

    def get(self, record_id: int) -> np.ndarray | None:
        if record_id in self.rows.overlay:
            v = self.overlay.get(record_id)
            return None if v is None else v.astype(np.float32)
        if self.base is not None:
            row = self.base.row_of(int(record_id))
            if row >= 0 and row not in self.rows.dead:
                return self.base.vector(row)
        return None


class FeatureView:
    def __init__(
        self,
        dim: int,
        base: ColumnBatch | None,
        rows: dict[int, Features],
        vectors: dict[int, np.ndarray],
        dead: set[int],
        overlay: list[tuple[ColumnBatch, np.ndarray | None]],
    ):
        """`overlay`: the overlay's rows in columns, as (batch, its live rows or None for all)."""
        self.dim = dim
        self.base = base
        self.rows = _Rows(base, rows, dead)
        self.vectors = _Vectors(base, vectors, self.rows)
        self._overlay = overlay
        self._arrays: dict | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.rows)

    def _parts(self) -> list[tuple[ColumnBatch, np.ndarray | None]]:
        """(batch, live rows or None for all) of the base then the overlay, empty ones left out."""
        base = [] if self.base is None else [(self.base, _without(len(self.base), self.rows.dead))]
        return [(p, rows) for p, rows in base + self._overlay if (len(p) if rows is None else len(rows))]

    def batch(self) -> ColumnBatch:
        taken = [p if rows is None else p.take(rows) for p, rows in self._parts()]
        return ColumnBatch.concat(taken, self.dim)

    def arrays(self, skill_index: dict[str, int]) -> dict:
        """ids, vectors, skills (read a column at a time) and per-record columns, over the base's
        live rows then the overlay's; built once per version."""
        with self._lock:
            if self._arrays is None:
                self._arrays = self._build(skill_index)
            return self._arrays

    def _build(self, skill_index: dict[str, int]) -> dict:
        parts = self._parts()
        out: dict = {}
        sizes = [len(p) if rows is None else len(rows) for p, rows in parts]

        def column(name: str) -> np.ndarray:
            if not parts:
                return np.zeros(0, dtype=np.int32)
            return np.concatenate(
                [np.asarray(getattr(p, name)) if rows is None else getattr(p, name)[rows] for p, rows in parts]
            )

        out["ids"] = column("ids").astype(np.int64)
        out["remote_ok"] = column("remote_ok").astype(bool)
        out["relocate"] = column("relocate").astype(bool)
        for name in ("region", "soc", "target"):
            vocab: dict[str, int] = {"": 0}
            codes = []
            for p, rows in parts:
                recode = np.asarray([vocab.setdefault(s, len(vocab)) for s in p.vocab[name]], dtype=np.int32)
                own = np.asarray(getattr(p, name)) if rows is None else getattr(p, name)[rows]
                codes.append(recode[own] if len(recode) else own.astype(np.int32))
            out[f"{name}_vocab"] = np.asarray(list(vocab), dtype=object)
            out[f"{name}_code"] = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32)
        out["region"] = out["region_vocab"][out["region_code"]]
        out["vectors"] = RowVectors(self.dim, parts, sizes)
        out["skills"] = SkillColumns(parts, sizes, skill_index)
        out["languages"] = Languages(parts, sizes)
        return out


def _positions(part_len: int, rows: np.ndarray | None) -> np.ndarray | None:
    """Base row -> position among the live rows (-1 when dead); None when all rows are live."""
    if rows is None:
        return None
    position = np.full(part_len, -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    return position


class RowVectors:
    """Float32 vectors by row position, gathered from the parts without copying them whole."""

    def __init__(self, dim: int, parts: list[tuple[ColumnBatch, np.ndarray | None]], sizes: list[int]):
        self.dim = dim
        self.parts = parts
        self.starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.shape = (int(self.starts[-1]), dim)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, int | np.integer):
            return self[np.asarray([index])][0]
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        if len(self.parts) == 1 and self.parts[0][1] is None:  # a snapshot and no changes: one gather
            return self.parts[0][0].vectors[index].astype(np.float32)
        out = np.empty((len(index), self.dim), dtype=np.float32)
        for (part, rows), lo, hi in zip(self.parts, self.starts[:-1], self.starts[1:]):
            mine = (index >= lo) & (index < hi)
            if not mine.any():
                continue
            at = index[mine] - lo
            out[mine] = part.vectors[at if rows is None else rows[at]]
        return out


class SkillColumns:
    """Records x skills weights, read a skill (column of the pack's skill index) at a time:
    `column(j)` gives the row positions holding skill j and their weights."""

    def __init__(
        self, parts: list[tuple[ColumnBatch, np.ndarray | None]], sizes: list[int], skill_index: dict[str, int]
    ):
        self.shape = (int(sum(sizes)), len(skill_index))
        self._parts = []
        offset = 0
        for (part, rows), size in zip(parts, sizes):
            local = {skill_index[u]: c for c, u in enumerate(part.vocab["skill"]) if u in skill_index}
            self._parts.append((part.csc, local, _positions(len(part), rows), offset))
            offset += size

    def column(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        rows_out, weights_out = [], []
        for (starts, rows, weights), local, position, offset in self._parts:
            c = local.get(j)
            if c is None:
                continue
            lo, hi = starts[c], starts[c + 1]
            if hi <= lo:
                continue
            r = np.asarray(rows[lo:hi], dtype=np.int64)
            w = np.asarray(weights[lo:hi], dtype=np.float32)
            if position is not None:
                r = position[r]
                w = w[r >= 0]
                r = r[r >= 0]
            rows_out.append(r + offset)
            weights_out.append(w)
        if not rows_out:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(rows_out), np.concatenate(weights_out)


class Languages:
    """Which rows speak every one of some languages (language keys)."""

    def __init__(self, parts: list[tuple[ColumnBatch, np.ndarray | None]], sizes: list[int]):
        self.parts, self.sizes = parts, sizes

    def speak_all(self, wanted: set[str]) -> np.ndarray:
        out = []
        for (part, rows), size in zip(self.parts, self.sizes):
            vocab = {s: c for c, s in enumerate(part.vocab["language"])}
            codes = [vocab.get(w, -1) for w in wanted]
            if -1 in codes:
                out.append(np.zeros(size, dtype=bool))
                continue
            at = np.asarray(part.language_at)
            owner = np.repeat(np.arange(len(part), dtype=np.int64), np.diff(at))
            hits = np.bincount(owner[np.isin(np.asarray(part.language), codes)], minlength=len(part))
            every = hits >= len(codes)
            out.append(every if rows is None else every[rows])
        return np.concatenate(out) if out else np.zeros(0, dtype=bool)
