"""Job titles -> SOC 2018 detailed occupations and ESCO occupations.

The titles artifact (training/build_titles.py) holds, for every SOC occupation, vectors in
three channels: names (SOC, O*NET and bridged ESCO titles), context (an O*NET title followed
by its first tasks) and activities (an O*NET title followed by its work activities). A title
is scored against an occupation by its best match in each channel; the channel scores are
blended with fixed weights. ESCO occupations are ranked by their best-matching name.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from models import artifacts
from models.encoder import Encoder

KIND = "titles"
SOCS_FILE = "socs.json"
ESCO_FILE = "esco.json"
CONFIG_FILE = "config.json"
# array name -> dtype; each is saved as <name>.npy
ARRAYS = {
    "name_vectors": np.float32,  # SOC, O*NET and variant titles
    "name_owner": np.int32,  # SOC row of each name vector
    "name_kind": np.int8,  # VIEW_* of each name vector
    "context_vectors": np.float32,
    "context_owner": np.int32,
    "activity_vectors": np.float32,
    "activity_owner": np.int32,
    "esco_vectors": np.float32,  # ESCO preferred and alternative labels
    "esco_owner": np.int32,  # ESCO row of each ESCO name vector
    "esco_link": np.int32,  # ESCO row -> bridged SOC row, -1 when not linked
    "soc_described": np.int8,  # 1 when O*NET describes the SOC occupation (tasks, activities)
}
VIEW_SOC_TITLE, VIEW_ONET_TITLE, VIEW_VARIANT, VIEW_ESCO = 0, 1, 2, 3
BATCH = 256  # queries scored at once: bounds the (queries x vectors) similarity matrix


@dataclass(frozen=True)
class ScoringConfig:
    """How the channels blend; chosen on O*NET reported titles (validation part only)."""

    name: float = 1.0
    context: float = 1.5
    activity: float = 0.5
    esco_discount: float = 0.05  # subtracted from a bridged ESCO name's similarity
    # subtracted from an occupation O*NET does not describe (an "all other" residual or a SOC
    # 2018 merge of O*NET occupations): known by its title alone, it needs a clearly better match
    title_only_discount: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


def sort_by_owner(owner: np.ndarray) -> np.ndarray:
    """A stable order that groups vectors of the same owner together."""
    return np.argsort(owner, kind="stable")


class _Channel:
    """Vectors grouped by owner; `scores(Q)` is each owner's best cosine (plus offset)."""

    def __init__(self, vectors: np.ndarray, owner: np.ndarray, n_owners: int, offset: np.ndarray | None = None):
        order = sort_by_owner(owner)
        self.vectors = np.ascontiguousarray(vectors[order], dtype=np.float32)
        self.owner = owner[order]
        self.offset = None if offset is None else offset[order].astype(np.float32)
        self.n_owners = n_owners
        self.starts = np.r_[0, np.flatnonzero(np.diff(self.owner)) + 1] if len(self.owner) else np.zeros(0, np.int64)
        self.present = self.owner[self.starts] if len(self.owner) else np.zeros(0, np.int32)

    def __len__(self) -> int:
        return len(self.owner)

    def scores(self, queries: np.ndarray, fill: float = -1.0) -> np.ndarray:
        out = np.full((len(queries), self.n_owners), fill, dtype=np.float32)
        if not len(self.owner):
            return out
        sims = queries @ self.vectors.T
        if self.offset is not None:
            sims += self.offset
        out[:, self.present] = np.maximum.reduceat(sims, self.starts, axis=1)
        return out


class TitleNormalizer:
    """Ranks SOC 2018 detailed occupations (and ESCO occupations) for free-text job titles."""

    def __init__(
        self,
        socs: list[dict],
        esco: list[dict],
        arrays: dict[str, np.ndarray],
        encoder: Encoder,
        config: ScoringConfig | None = None,
    ):
        self.socs = socs
        self.esco = esco
        self.encoder = encoder
        self.config = config or ScoringConfig()
        self.by_code = {s["code"]: i for i, s in enumerate(socs)}
        self._esco_by_id = {e["id"]: i for i, e in enumerate(esco)}
        n = len(socs)
        link = arrays["esco_link"]
        esco_owner = arrays["esco_owner"]
        linked = link[esco_owner] >= 0
        # bridged ESCO names join the name channel of their SOC occupation, discounted
        self._names = _Channel(
            np.concatenate([arrays["name_vectors"], arrays["esco_vectors"][linked]]),
            np.concatenate([arrays["name_owner"], link[esco_owner[linked]]]).astype(np.int32),
            n,
            np.concatenate(
                [np.zeros(len(arrays["name_owner"]), np.float32), np.full(int(linked.sum()), -self.config.esco_discount, np.float32)]
            ),
        )
        self._context = _Channel(arrays["context_vectors"], arrays["context_owner"], n)
        self._activity = _Channel(arrays["activity_vectors"], arrays["activity_owner"], n)
        self._esco = _Channel(arrays["esco_vectors"], esco_owner, len(esco))
        self._offset = np.where(arrays["soc_described"] > 0, 0.0, -self.config.title_only_discount).astype(np.float32)

    @classmethod
    def load(cls, directory: Path, encoder: Encoder) -> "TitleNormalizer":
        """Load a verified titles artifact; refuse one built with a different encoder."""
        directory = Path(directory)
        manifest = artifacts.verify(directory, KIND)
        if manifest.get("encoder") != encoder.fingerprint:
            raise artifacts.ArtifactError(
                f"{directory} was built with encoder {manifest.get('encoder')}, not {encoder.fingerprint}: rebuild the pack"
            )
        arrays = {name: np.load(directory / f"{name}.npy", allow_pickle=False).astype(dtype, copy=False) for name, dtype in ARRAYS.items()}
        config = ScoringConfig(**artifacts.read_json(directory / CONFIG_FILE))
        return cls(artifacts.read_json(directory / SOCS_FILE), artifacts.read_json(directory / ESCO_FILE), arrays, encoder, config)

    # ---- scoring -------------------------------------------------------------------------------

    def channel_scores(self, channel: str, queries: np.ndarray) -> np.ndarray:
        """(queries x SOC occupations) best cosine in one channel: names, context or activity."""
        return {"names": self._names, "context": self._context, "activity": self._activity}[channel].scores(queries)

    def score_vectors(self, queries: np.ndarray) -> np.ndarray:
        """(queries x SOC occupations) blended scores, each a weighted mean of cosines."""
        c = self.config
        total = c.name + c.context + c.activity
        blended = c.name * self._names.scores(queries)
        blended += c.context * self._context.scores(queries)
        blended += c.activity * self._activity.scores(queries)
        return blended / total + self._offset

    def _encode(self, titles: list[str]) -> np.ndarray:
        cleaned = []
        for title in titles:
            if not isinstance(title, str) or not title.strip():
                raise ValueError("a job title must be a non-empty string")
            cleaned.append(" ".join(title.split()))
        return self.encoder.encode(cleaned)

    @staticmethod
    def _top(scores: np.ndarray, k: int) -> np.ndarray:
        k = min(k, scores.shape[1])
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1)

    def normalize_vectors(self, queries: np.ndarray, k: int = 5) -> list[list[dict]]:
        """`normalize` for title vectors already encoded (rows of `queries`)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        out: list[list[dict]] = []
        for start in range(0, len(queries), BATCH):
            scores = self.score_vectors(queries[start : start + BATCH])
            for row, top in zip(scores, self._top(scores, k)):
                out.append(
                    [
                        {"soc": self.socs[j]["code"], "title": self.socs[j]["title"], "score": _unit(row[j])}
                        for j in top
                    ]
                )
        return out

    def normalize(self, title: str, k: int = 5) -> list[dict]:
        """The k most likely SOC occupations: [{"soc", "title", "score" in [0, 1]}, ...]."""
        return self.normalize_batch([title], k)[0]

    def normalize_batch(self, titles: list[str], k: int = 5) -> list[list[dict]]:
        return self.normalize_vectors(self._encode(titles), k) if titles else []

    def nearest_esco(self, title: str, k: int = 5) -> list[dict]:
        """The k ESCO occupations with the best-matching label: [{"id", "label", "score"}, ...]."""
        return self.nearest_esco_batch([title], k)[0]

    def nearest_esco_batch(self, titles: list[str], k: int = 5) -> list[list[dict]]:
        return self.nearest_esco_vectors(self._encode(titles), k) if titles else []

    def nearest_esco_vectors(self, queries: np.ndarray, k: int = 5) -> list[list[dict]]:
        """`nearest_esco` for title vectors already encoded."""
        if k < 1:
            raise ValueError("k must be at least 1")
        if not self.esco:
            return [[] for _ in range(len(queries))]
        out: list[list[dict]] = []
        for start in range(0, len(queries), BATCH):
            scores = self._esco.scores(queries[start : start + BATCH])
            for row, top in zip(scores, self._top(scores, k)):
                out.append([{"id": self.esco[j]["id"], "label": self.esco[j]["label"], "score": _unit(row[j])} for j in top])
        return out

    def soc(self, code: str) -> dict | None:
        """The SOC occupation record (code, title, O*NET titles) or None."""
        i = self.by_code.get(code)
        return None if i is None else self.socs[i]

    def esco_to_soc(self, esco_id: str) -> str | None:
        """The SOC code an ESCO occupation is bridged to, when the bridge was confident."""
        i = self._esco_by_id.get(esco_id)
        return None if i is None else self.esco[i].get("soc")


def _unit(value: float) -> float:
    return round(float(min(1.0, max(0.0, value))), 4)
