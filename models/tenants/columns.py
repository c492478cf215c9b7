"""A tenant's features of one kind column by column: in memory, or in files every worker maps.

A tenant of a million candidates cannot be parsed row by row when a worker starts (minutes)
nor held as Python objects by each worker (gigabytes apiece). So its features are written
beside the FAISS snapshot as arrays (`models/tenants/tenant_index.py`) and memory-mapped:
opening them takes milliseconds, the kernel loads only the pages a request touches, and
those pages are shared by every worker through the page cache.

A `ColumnBatch` holds rows in that form: ids in ascending order, vectors as float16 (half
the memory; scores move by ~1e-3, and every path reads the same rounded values), strings
(region, occupation, goal, languages, skills) as codes into vocabularies, each row's skills
as (row, column, weight) triplets, and what is shown of a row but never scanned (external
id, headline, occupation candidates...) as one small JSON document per row. `Columns` is a
batch opened from disk; `features(row)` turns one row back into `Features`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from models.reference.skill_space import WEIGHT_DECIMALS
from models.tenants.features import Features

# shown, never scanned: kept per row as JSON (all fields of Features but these)
_COLUMNAR = ("id", "skills", "region_id", "soc", "target_soc", "remote_ok", "relocate", "languages")
_DETAILS = tuple(f for f in Features.__slots__ if f not in _COLUMNAR)  # type: ignore[attr-defined]
_TUPLES = {"required", "nice"}
_VOCABS = ("region", "soc", "target", "language", "skill")
ARRAYS = (
    "ids",
    "vectors",
    "has_vector",
    "region",
    "soc",
    "target",
    "remote_ok",
    "relocate",
    "language_at",
    "language",
    "skill_row",
    "skill_col",
    "skill_weight",
    "details_at",
    "details",
)


def _codes(values: Sequence[str], vocab: dict[str, int]) -> np.ndarray:
    return np.fromiter((vocab.setdefault(v, len(vocab)) for v in values), dtype=np.int32, count=len(values))


@dataclass
class ColumnBatch:
    """Rows of one kind in columns; `vocab[name]` lists the strings the codes of `name` point at
    ("" is always code 0 of region, soc and target: unknown)."""

    dim: int
    ids: np.ndarray  # int64, ascending
    vectors: np.ndarray  # float16 (n x dim); zeros where has_vector is False
    has_vector: np.ndarray  # bool
    region: np.ndarray  # int32 codes
    soc: np.ndarray
    target: np.ndarray
    remote_ok: np.ndarray  # bool
    relocate: np.ndarray
    language_at: np.ndarray  # int64 (n + 1): row r speaks language[language_at[r]:language_at[r + 1]]
    language: np.ndarray  # int32 codes
    skill_row: np.ndarray  # int32, ascending: (row, column, weight) per skill a row holds
    skill_col: np.ndarray  # int32 codes into vocab["skill"]
    skill_weight: np.ndarray  # float32
    details_at: np.ndarray  # int64 (n + 1): byte range of row r's JSON in `details`
    details: np.ndarray  # uint8
    vocab: dict[str, list[str]]

    def __len__(self) -> int:
        return len(self.ids)

    # ---- made from Features --------------------------------------------------------------
    @classmethod
    def empty(cls, dim: int) -> ColumnBatch:
        return cls.of([], dim)

    @classmethod
    def of(cls, rows: Iterable[tuple[Features, np.ndarray | None]], dim: int) -> ColumnBatch:
        """Columns of (features, vector) pairs, sorted by id."""
        pairs = sorted(rows, key=lambda p: p[0].id)
        n = len(pairs)
        vocab: dict[str, dict[str, int]] = {
            name: ({"": 0} if name in ("region", "soc", "target") else {}) for name in _VOCABS
        }
        vectors = np.zeros((n, dim), dtype=np.float16)
        has_vector = np.zeros(n, dtype=bool)
        for r, (_, v) in enumerate(pairs):
            if v is not None:
                vectors[r] = v
                has_vector[r] = True
        feats = [f for f, _ in pairs]
        lang_counts = np.fromiter((len(f.languages) for f in feats), dtype=np.int64, count=n)
        skill_counts = np.fromiter((len(f.skills) for f in feats), dtype=np.int64, count=n)
        blobs = [
            json.dumps([_plain(getattr(f, name)) for name in _DETAILS], separators=(",", ":")).encode() for f in feats
        ]
        details_at = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(b) for b in blobs], out=details_at[1:])
        return cls(
            dim=dim,
            ids=np.fromiter((f.id for f in feats), dtype=np.int64, count=n),
            vectors=vectors,
            has_vector=has_vector,
            region=_codes([f.region_id or "" for f in feats], vocab["region"]),
            soc=_codes([f.soc or "" for f in feats], vocab["soc"]),
            target=_codes([f.target_soc or "" for f in feats], vocab["target"]),
            remote_ok=np.fromiter((f.remote_ok for f in feats), dtype=bool, count=n),
            relocate=np.fromiter((f.relocate for f in feats), dtype=bool, count=n),
            language_at=np.concatenate([[0], np.cumsum(lang_counts)]).astype(np.int64),
            language=_codes([x for f in feats for x in f.languages], vocab["language"]),
            skill_row=np.repeat(np.arange(n, dtype=np.int32), skill_counts),
            skill_col=_codes([s for f in feats for s in f.skills], vocab["skill"]),
            skill_weight=np.fromiter((w for f in feats for w in f.skills.values()), dtype=np.float32),
            details_at=details_at,
            details=np.frombuffer(b"".join(blobs), dtype=np.uint8).copy(),
            vocab={name: list(v) for name, v in vocab.items()},
        )

    # ---- rows back -----------------------------------------------------------------------
    def row_of(self, record_id: int) -> int:
        """The row holding `record_id`, or -1."""
        if not -(2**63) <= record_id < 2**63:  # no stored id is that large (a client can ask for one)
            return -1
        r = int(np.searchsorted(self.ids, np.int64(record_id)))
        return r if r < len(self.ids) and self.ids[r] == record_id else -1

    @cached_property
    def csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(column starts, rows, weights) of the skills, column by column: made once, since a
        batch never changes (opened columns read them from disk)."""
        order = np.argsort(self.skill_col, kind="stable")
        counts = np.bincount(self.skill_col, minlength=len(self.vocab["skill"]))
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return starts, self.skill_row[order], self.skill_weight[order]

    def vector(self, row: int) -> np.ndarray | None:
        return self.vectors[row].astype(np.float32) if self.has_vector[row] else None

    def features(self, row: int) -> Features:
        details = json.loads(self.details[self.details_at[row] : self.details_at[row + 1]].tobytes())
        values = dict(zip(_DETAILS, details))
        for name in _TUPLES:
            values[name] = tuple(values[name])
        values["occupations"] = tuple((soc, score) for soc, score in values["occupations"])
        # keys of the column's own dtype: other keys make NumPy cast (copy) the whole column
        lo, hi = np.searchsorted(self.skill_row, np.asarray([row, row + 1], dtype=self.skill_row.dtype))
        skills = self.vocab["skill"]
        lang = self.vocab["language"]
        return Features(
            id=int(self.ids[row]),
            # float32 on disk; evidence weights are short decimals (1.0, 0.7, 0.5), so rounding
            # gives back the float the record was scored with (as SkillSpace rounds them)
            skills=dict(
                zip(
                    [skills[c] for c in self.skill_col[lo:hi].tolist()],
                    np.round(self.skill_weight[lo:hi].astype(np.float64), WEIGHT_DECIMALS).tolist(),
                )
            ),
            region_id=self.vocab["region"][self.region[row]] or None,
            soc=self.vocab["soc"][self.soc[row]] or None,
            target_soc=self.vocab["target"][self.target[row]] or None,
            remote_ok=bool(self.remote_ok[row]),
            relocate=bool(self.relocate[row]),
            languages=tuple(lang[c] for c in self.language[self.language_at[row] : self.language_at[row + 1]].tolist()),
            **values,
        )

    # ---- combined ------------------------------------------------------------------------
    def take(self, rows: np.ndarray) -> ColumnBatch:
        """A batch of these rows, in this order, in memory."""
        rows = np.asarray(rows, dtype=np.int64)
        position = np.full(len(self.ids), -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        owner = position[np.asarray(self.skill_row)]
        entries = np.flatnonzero(owner >= 0)
        entries = entries[np.argsort(owner[entries], kind="stable")]  # by new row, columns kept in order
        lang_lo, lang_hi = self.language_at[rows], self.language_at[rows + 1]
        det_lo, det_hi = self.details_at[rows], self.details_at[rows + 1]
        return ColumnBatch(
            dim=self.dim,
            ids=np.asarray(self.ids[rows]),
            vectors=np.asarray(self.vectors[rows]),
            has_vector=np.asarray(self.has_vector[rows]),
            region=np.asarray(self.region[rows]),
            soc=np.asarray(self.soc[rows]),
            target=np.asarray(self.target[rows]),
            remote_ok=np.asarray(self.remote_ok[rows]),
            relocate=np.asarray(self.relocate[rows]),
            language_at=np.concatenate([[0], np.cumsum(lang_hi - lang_lo)]).astype(np.int64),
            language=np.asarray(self.language[_ranges(lang_lo, lang_hi)]),
            skill_row=owner[entries].astype(np.int32),
            skill_col=np.asarray(self.skill_col[entries]),
            skill_weight=np.asarray(self.skill_weight[entries]),
            details_at=np.concatenate([[0], np.cumsum(det_hi - det_lo)]).astype(np.int64),
            details=np.asarray(self.details[_ranges(det_lo, det_hi)]),
            vocab={k: list(v) for k, v in self.vocab.items()},
        )

    @staticmethod
    def concat(parts: list[ColumnBatch], dim: int) -> ColumnBatch:
        """Batches of distinct ids as one batch, in id order."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return ColumnBatch.empty(dim)
        if len(parts) == 1:
            return parts[0]
        vocab: dict[str, dict[str, int]] = {name: {} for name in _VOCABS}
        for name in ("region", "soc", "target"):
            vocab[name][""] = 0
        recode = [
            {
                name: np.asarray([vocab[name].setdefault(s, len(vocab[name])) for s in p.vocab[name]], dtype=np.int32)
                for name in _VOCABS
            }
            for p in parts
        ]
        offsets = np.cumsum([0] + [len(p) for p in parts])

        def cat(name: str) -> np.ndarray:
            return np.concatenate([np.asarray(getattr(p, name)) for p in parts])

        def codes(name: str, attr: str) -> np.ndarray:
            return np.concatenate(
                [m[name][np.asarray(getattr(p, attr))] for p, m in zip(parts, recode) if len(getattr(p, attr))]
                or [np.zeros(0, dtype=np.int32)]
            ).astype(np.int32)

        def at(name: str) -> np.ndarray:
            ends = np.cumsum([int(getattr(p, name)[-1]) for p in parts])
            starts = np.concatenate([[0], ends[:-1]])
            return np.concatenate([[0]] + [np.asarray(getattr(p, name))[1:] + s for p, s in zip(parts, starts)]).astype(
                np.int64
            )

        joined = ColumnBatch(
            dim=dim,
            ids=cat("ids"),
            vectors=cat("vectors"),
            has_vector=cat("has_vector"),
            region=codes("region", "region"),
            soc=codes("soc", "soc"),
            target=codes("target", "target"),
            remote_ok=cat("remote_ok"),
            relocate=cat("relocate"),
            language_at=at("language_at"),
            language=codes("language", "language"),
            skill_row=np.concatenate(
                [np.asarray(p.skill_row, dtype=np.int64) + o for p, o in zip(parts, offsets)]
            ).astype(np.int32),
            skill_col=codes("skill", "skill_col"),
            skill_weight=cat("skill_weight"),
            details_at=at("details_at"),
            details=cat("details"),
            vocab={name: list(v) for name, v in vocab.items()},
        )
        steps = np.diff(joined.ids)
        if np.all(steps > 0):
            return joined
        order = np.argsort(joined.ids, kind="stable")
        if np.any(np.diff(joined.ids[order]) == 0):
            raise ValueError("batches share a record id")
        return joined.take(order)

    # ---- on disk -------------------------------------------------------------------------
    def write(self, directory: Path) -> dict[str, int]:
        """Write into `directory` (which exists); returns each file's size, for the manifest.
        The skills are also written by column (CSC), which is how coverage reads them."""
        directory = Path(directory)
        sizes: dict[str, int] = {}
        csc = dict(zip(("skill_csc_at", "skill_csc_row", "skill_csc_weight"), self.csc))
        for name, array in [*((a, getattr(self, a)) for a in ARRAYS), *csc.items()]:
            path = directory / f"{name}.npy"
            np.save(path, np.ascontiguousarray(array))
            sizes[path.name] = path.stat().st_size
        (directory / "vocab.json").write_text(json.dumps({"dim": self.dim, **self.vocab}))
        sizes["vocab.json"] = (directory / "vocab.json").stat().st_size
        return sizes


class Columns(ColumnBatch):
    """A batch opened from disk, every array memory-mapped read-only."""

    @classmethod
    def open(cls, directory: Path) -> Columns:
        directory = Path(directory)
        vocab = json.loads((directory / "vocab.json").read_text())
        dim = vocab.pop("dim")

        def load(name: str) -> np.ndarray:
            # a plain array over the mapping: np.memmap's own indexing costs ~2 us a call
            return np.load(directory / f"{name}.npy", mmap_mode="r").view(np.ndarray)

        obj = cls(dim=dim, vocab=vocab, **{name: load(name) for name in ARRAYS})
        obj.csc = (load("skill_csc_at"), load("skill_csc_row"), load("skill_csc_weight"))
        return obj


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenated aranges lo[i]..hi[i] (vectorised)."""
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return starts + np.arange(total, dtype=np.int64)


def _plain(value):
    """JSON-able: tuples (of tuples) as lists."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
