"""In-memory features of a tenant's records, for scoring without a database round trip.

Matching ranks hundreds of records per request and the talent map scores every candidate of
a tenant, so what scoring needs (skill ids, region, preferences, vector) is kept in memory,
kept in step with the database by the same change-log replay as the FAISS index
(models/tenants/tenant_index.py), and turned into NumPy arrays lazily after changes.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from models.core.language import language_key

TEXT_SKILL_WEIGHT = 0.7  # a skill found in free text is weaker evidence than a listed one


@dataclass(slots=True)
class Features:
    id: int
    external_id: str
    skills: dict[str, float]  # ESCO URI -> weight (1.0 listed / required, lower for text or nice-to-have)
    required: tuple[str, ...] = ()  # needs: required skills; others: empty
    nice: tuple[str, ...] = ()  # needs: nice-to-have skills
    region_id: str | None = None
    soc: str | None = None  # a candidate's own occupation (the anchor of matches), a need's occupation
    title: str = ""
    remote_ok: bool = False
    relocate: bool = False
    languages: tuple[str, ...] = ()
    remote_policy: str = "onsite"
    status: str | None = None
    openings: int = 1
    delivery: str = "in_person"
    hours: float = 0.0
    cost: float = 0.0
    extra: dict = field(default_factory=dict)
    # candidates: the occupation's rivals [(SOC, score)], its certainty and a career target
    occupations: tuple[tuple[str, float], ...] = ()
    uncertain: bool = False
    target_soc: str | None = None


def _listed(understood: dict, role: str | None = None) -> list[str]:
    return [sys.intern(s["id"]) for s in understood.get("skills", []) if role is None or s.get("role") == role]


def features_of(kind: str, record_id: int, external_id: str, data: dict, understood: dict) -> Features:
    """What scoring needs from one stored record."""
    region = (understood.get("region") or {}).get("id")
    occupation = understood.get("occupation") or {}
    soc = occupation.get("soc")
    # interned: a tenant's records share a few thousand skill URIs, and a JSON parse makes a
    # fresh string per occurrence (~30 per record, ~130 bytes each) that a large tenant keeps
    text = [sys.intern(s["id"]) for s in understood.get("text_skills", [])]
    if kind == "need":
        required = tuple(dict.fromkeys(_listed(understood, "required")))
        nice = tuple(s for s in dict.fromkeys(_listed(understood, "nice_to_have")) if s not in required)
        if not required:  # a need that lists nothing required: what its description asks for
            required = tuple(s for s in text[:8] if s not in nice)
        skills = {s: TEXT_SKILL_WEIGHT for s in text}
        skills.update({s: 0.5 for s in nice})
        skills.update({s: 1.0 for s in required})
        return Features(
            record_id,
            external_id,
            skills,
            required,
            nice,
            region,
            soc,
            data.get("title", ""),
            remote_policy=data.get("remote_policy", "onsite"),
            status=data.get("status", "open"),
            openings=int(data.get("openings", 1)),
            extra={"employer": data.get("employer"), "salary_range": data.get("salary_range")},
        )
    skills = {s: TEXT_SKILL_WEIGHT for s in text}
    skills.update({s: 1.0 for s in _listed(understood)})
    if kind == "candidate":
        return Features(
            record_id,
            external_id,
            skills,
            region_id=region,
            soc=soc,
            title=data.get("headline", ""),
            remote_ok=bool(data.get("remote_ok")),
            relocate=bool(data.get("willing_to_relocate")),
            # the language a CV is written in is one its author reads and writes
            languages=tuple(
                dict.fromkeys(
                    language_key(x) for x in [*data.get("languages", []), understood.get("language") or ""] if x.strip()
                )
            ),
            occupations=tuple((sys.intern(c["soc"]), float(c["score"])) for c in occupation.get("candidates", [])),
            uncertain=occupation.get("status") == "uncertain",
            target_soc=(occupation.get("career_target") or {}).get("soc"),
        )
    return Features(  # program
        record_id,
        external_id,
        skills,
        region_id=region,
        title=data.get("title", ""),
        delivery=data.get("delivery", "in_person"),
        hours=float(data.get("hours") or 0),
        cost=float(data.get("cost") or 0),
        extra={
            "provider": data.get("provider"),
            "certification": data.get("certification"),
            "next_start_date": data.get("next_start_date"),
        },
    )


class FeatureView:
    """One version of a tenant's features as a request reads it: never changed after it is
    made, so a request sees one consistent state however many writes land meanwhile."""

    def __init__(self, dim: int, rows: dict[int, Features], vectors: dict[int, np.ndarray]):
        self.dim = dim
        self.rows = rows
        self.vectors = vectors
        self._arrays: dict | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.rows)

    def arrays(self, skill_index: dict[str, int]) -> dict:
        """ids, vector matrix, a records x skills weight matrix (CSC) and per-record columns;
        built once per version, even when requests ask for it at the same moment."""
        with self._lock:
            if self._arrays is None:
                self._arrays = _arrays(self.rows, self.vectors, self.dim, skill_index)
            return self._arrays


class FeatureTable:
    """Features by record id as the change-log replay keeps them; changed only under the
    tenant index's lock. Readers take a `view()`: copy-on-write, so the dicts a view holds are
    copied once at the first change after it was taken, and never while nothing changes."""

    def __init__(self, dim: int):
        self.dim = dim
        self.rows: dict[int, Features] = {}
        self.vectors: dict[int, np.ndarray] = {}
        self._view: FeatureView | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def _own(self) -> None:
        if self._view is not None:  # the dicts belong to a view now: change copies
            self.rows, self.vectors = dict(self.rows), dict(self.vectors)
            self._view = None

    def put(self, f: Features, vector: np.ndarray | None) -> None:
        self._own()
        self.rows[f.id] = f
        if vector is not None:
            self.vectors[f.id] = vector
        else:
            self.vectors.pop(f.id, None)

    def remove(self, record_id: int) -> None:
        self._own()
        self.rows.pop(record_id, None)
        self.vectors.pop(record_id, None)

    def view(self) -> FeatureView:
        if self._view is None:
            self._view = FeatureView(self.dim, self.rows, self.vectors)
        return self._view

    def arrays(self, skill_index: dict[str, int]) -> dict:
        return self.view().arrays(skill_index)


def _arrays(
    rows: dict[int, Features], vectors_by_id: dict[int, np.ndarray], dim: int, skill_index: dict[str, int]
) -> dict:
    ids = np.fromiter(rows, dtype=np.int64, count=len(rows))
    rows_, cols, vals = [], [], []
    for r, rid in enumerate(ids):
        for uri, w in rows[rid].skills.items():
            j = skill_index.get(uri)
            if j is not None:
                rows_.append(r)
                cols.append(j)
                vals.append(w)
    skills = sparse.csc_matrix(
        (np.asarray(vals, dtype=np.float32), (np.asarray(rows_, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
        shape=(len(ids), len(skill_index)),
    )
    vectors = np.zeros((len(ids), dim), dtype=np.float32)
    for r, rid in enumerate(ids):
        v = vectors_by_id.get(rid)
        if v is not None:
            vectors[r] = v
    return {
        "ids": ids,
        "vectors": vectors,
        "skills": skills,
        "region": np.asarray([rows[r].region_id or "" for r in ids], dtype=object),
        "remote_ok": np.asarray([rows[r].remote_ok for r in ids], dtype=bool),
        "soc": np.asarray([rows[r].soc or "" for r in ids], dtype=object),
        "target": np.asarray([rows[r].target_soc or "" for r in ids], dtype=object),
        "relocate": np.asarray([rows[r].relocate for r in ids], dtype=bool),
    }
