"""Job titles -> SOC 2018 detailed occupations and ESCO occupations.

The titles artifact (training/build_titles.py) holds, for every SOC occupation, vectors in
three channels: names (SOC, O*NET and bridged ESCO titles), context (an O*NET title followed
by its first tasks) and activities (an O*NET title followed by its work activities). A title
is scored against an occupation by its best match in each channel; the channel scores are
blended with fixed weights, plus lexical coverage: the IDF-weighted share of the title's
(stemmed) words that occur in an occupation's names and in its O*NET tasks and activities (the
encoder blurs rare, specific words such as "kiln" or "dredge"). ESCO occupations are ranked by
their best-matching name.

A title is cleaned before anything is encoded (models/core/title_text.py: abbreviations, seniority,
qualifiers, inversions, plurals, misspellings). The title classifier
(models/reference/title_classifier.py) turns the channels, the blend and its own matches against the
known titles into probabilities: with it, `normalize` scores are probabilities and `decide`
says whether the first one is a confident answer. A vector without its text (a whole CV) is
ranked by the blend alone.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from models.core import artifacts
from models.core.encoder import Encoder
from models.core.index import FaissIndex
from models.core.lexicon import Lexicon
from models.core.title_text import clean_title
from models.reference.multilingual import Multilingual
from models.reference.title_classifier import WEIGHTS_FILE as CLASSIFIER_WEIGHTS
from models.reference.title_classifier import TitleClassifier

KIND = "titles"
SOCS_FILE = "socs.json"
ESCO_FILE = "esco.json"
CONFIG_FILE = "config.json"
ESCO_INDEX_FILE = "esco_names.faiss"  # FAISS flat index of ESCO preferred and alternative labels
WORK_FILE = "work.json"  # per SOC row: {"code", "tasks", "activities"} (O*NET task statements, DWAs)
FACTS_FILE = "facts.json"  # SOC code -> {"job_zone", "related": [[code, tier], ...]} (O*NET)
FOLDING_FILE = "folding.json"  # O*NET code -> the SOC code the pack files it under, where they differ
LEXICON_FILE = "lexicon.json"  # {"names": [[word, ...] per SOC row], "tasks": [...]} (title_words)
# array name -> dtype; each is saved as <name>.npy
ARRAYS = {
    "name_vectors": np.float32,  # SOC, O*NET and variant titles
    "name_owner": np.int32,  # SOC row of each name vector
    "name_kind": np.int8,  # VIEW_* of each name vector
    "context_vectors": np.float32,
    "context_owner": np.int32,
    "activity_vectors": np.float32,
    "activity_owner": np.int32,
    "esco_owner": np.int32,  # ESCO row of each ESCO name vector (the vectors: ESCO_INDEX_FILE)
    "esco_link": np.int32,  # ESCO row -> bridged SOC row, -1 when not linked
    "soc_described": np.int8,  # 1 when O*NET describes the SOC occupation (tasks, activities)
}
VIEW_SOC_TITLE, VIEW_ONET_TITLE, VIEW_VARIANT, VIEW_ESCO = 0, 1, 2, 3
BATCH = 256  # queries scored at once: bounds the (queries x vectors) similarity matrix
CONFIDENT = 0.5  # a title's first occupation at this probability is a confident answer


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
    # added times the IDF-weighted share of the title's words found in the occupation's names
    # (SOC, O*NET, variant and bridged ESCO titles) and in its O*NET tasks and activities;
    # chosen on the even rows of the O*NET reported titles, confirmed on the odd rows
    lexical_names: float = 0.04
    lexical_tasks: float = 0.06

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


# a title in another language is read as this many known English titles (models/reference/multilingual.py)
TRANSLATIONS = 3
# occupations of each reading kept for the mean over readings
MIX_DEPTH = 20


_QUALIFIER = re.compile(r"\s+[-–—|]\s+|\s*[(,]")


def _weights(options: list[str], last_is_translation: bool) -> list[float]:
    """Equal weights, or half for the translation (the last option) and half shared by the
    nearest titles."""
    if not last_is_translation or len(options) == 1:
        return [1.0 / len(options)] * len(options)
    return [0.5 / (len(options) - 1)] * (len(options) - 1) + [0.5]


def _head(title: str) -> str:
    """A title before its qualifiers ("Soldador/Fabricador - Certificado AWS" -> "Soldador/Fabricador"):
    the English cleaner knows English qualifiers; a foreign title is translated without them."""
    return _QUALIFIER.split(title, maxsplit=1)[0].strip() or title


class TitleNormalizer:
    """Ranks SOC 2018 detailed occupations (and ESCO occupations) for free-text job titles."""

    def __init__(
        self,
        socs: list[dict],
        esco: list[dict],
        arrays: dict[str, np.ndarray],
        encoder: Encoder,
        config: ScoringConfig | None = None,
        lexicon: dict[str, list[list[str]]] | None = None,
        esco_index: FaissIndex | None = None,
        work: list[dict] | None = None,
        classifier: TitleClassifier | None = None,
        facts: dict[str, dict] | None = None,
    ):
        """`arrays` holds ARRAYS plus "esco_vectors" (row i: ESCO name i). `lexicon` ({"names",
        "tasks"}: words per SOC row) enables lexical coverage; without it (the bridge at build
        time) titles are scored by their vectors alone. `esco_index` is the FAISS index over the
        same ESCO name vectors (built here when not given); `work` the O*NET tasks and detailed
        work activities of each SOC row; `classifier` turns the channels into probabilities
        (models/reference/title_classifier.py); `facts` holds each SOC's job zone and related occupations."""
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
                [
                    np.zeros(len(arrays["name_owner"]), np.float32),
                    np.full(int(linked.sum()), -self.config.esco_discount, np.float32),
                ]
            ),
        )
        self._context = _Channel(arrays["context_vectors"], arrays["context_owner"], n)
        self._activity = _Channel(arrays["activity_vectors"], arrays["activity_owner"], n)
        self._esco_owner = esco_owner.astype(np.int64)
        if esco_index is None:
            esco_index = FaissIndex(arrays["esco_vectors"].shape[1], "flat")
            esco_index.add(np.arange(len(esco_owner)), arrays["esco_vectors"])
        self._esco_index = esco_index
        # the best name of each of the k best ESCO occupations is among the k * (most names
        # one occupation has) best names, so a search that deep ranks occupations exactly
        self._esco_names_max = int(np.bincount(esco_owner).max()) if len(esco_owner) else 0
        self.work = work or []
        self.classifier = classifier
        self.facts = facts or {}
        # set by ReferenceData when the pack has the multilingual artifact
        self.multilingual: Multilingual | None = None
        self._offset = np.where(arrays["soc_described"] > 0, 0.0, -self.config.title_only_discount).astype(np.float32)
        self._lexicons: list[tuple[float, Lexicon]] = []
        if lexicon:
            self._lexicons = [
                (self.config.lexical_names, Lexicon(lexicon["names"])),
                (self.config.lexical_tasks, Lexicon(lexicon["tasks"])),
            ]

    @classmethod
    def load(cls, directory: Path, encoder: Encoder) -> TitleNormalizer:
        """Load a verified titles artifact; refuse one built with a different encoder."""
        directory = Path(directory)
        manifest = artifacts.verify(directory, KIND)
        if manifest.get("encoder") != encoder.fingerprint:
            raise artifacts.ArtifactError(
                f"{directory} was built with encoder {manifest.get('encoder')}, not {encoder.fingerprint}: rebuild the pack"
            )
        arrays = {
            name: np.load(directory / f"{name}.npy", allow_pickle=False).astype(dtype, copy=False)
            for name, dtype in ARRAYS.items()
        }
        esco_index = FaissIndex.load(directory / ESCO_INDEX_FILE, "flat")
        arrays["esco_vectors"] = esco_index.row_vectors()  # a view of the index's storage, not a copy
        config = ScoringConfig(**artifacts.read_json(directory / CONFIG_FILE))
        socs = artifacts.read_json(directory / SOCS_FILE)
        classifier = TitleClassifier.load(directory, len(socs)) if (directory / CLASSIFIER_WEIGHTS).exists() else None
        facts = artifacts.read_json(directory / FACTS_FILE) if (directory / FACTS_FILE).exists() else None
        return cls(
            socs,
            artifacts.read_json(directory / ESCO_FILE),
            arrays,
            encoder,
            config,
            artifacts.read_json(directory / LEXICON_FILE),
            esco_index,
            artifacts.read_json(directory / WORK_FILE),
            classifier,
            facts,
        )

    # ---- scoring -------------------------------------------------------------------------------

    def channel_scores(self, channel: str, queries: np.ndarray) -> np.ndarray:
        """(queries x SOC occupations) best cosine in one channel: names, context or activity."""
        return {"names": self._names, "context": self._context, "activity": self._activity}[channel].scores(queries)

    def score_vectors(
        self, queries: np.ndarray, titles: list[str] | None = None, channels: dict | None = None
    ) -> np.ndarray:
        """(queries x SOC occupations) blended scores: a weighted mean of cosines, plus lexical
        coverage when the (cleaned) `titles` of the query vectors are given; `channels` are the
        names/context/activity scores of the queries when already computed."""
        c = self.config
        total = c.name + c.context + c.activity
        if channels is None:
            channels = {name: self.channel_scores(name, queries) for name in ("names", "context", "activity")}
        blended = c.name * channels["names"] + c.context * channels["context"] + c.activity * channels["activity"]
        blended = blended / total + self._offset
        if titles is not None:
            if len(titles) != len(queries):
                raise ValueError("one title per query vector")
            for weight, lexicon in self._lexicons:
                blended += weight * lexicon.coverage(titles)
        return blended

    def clean(self, titles: list[str]) -> list[str]:
        """Each title cleaned (models/core/title_text.py); rejects empty ones. A title in another
        language becomes its English reading (models/reference/multilingual.py)."""
        return [options[0][0] for options in self._readings(titles)]

    def _readings(self, titles: list[str]) -> list[list[tuple[str, float]]]:
        """The cleaned English title(s) each title is read as, with their weights: itself, or
        for a title in another language the TRANSLATIONS known English titles nearest it and its
        translation when that reads as English. The nearest titles are one reading (by the
        multilingual encoder) and the translation another, so each kind weighs half."""
        spaced = []
        for title in titles:
            if not isinstance(title, str) or not title.strip():
                raise ValueError("a job title must be a non-empty string")
            spaced.append(" ".join(title.split()))
        options = [[t] for t in spaced]
        translated: set[int] = set()
        ml = self.multilingual
        foreign = [] if ml is None else [i for i, t in enumerate(spaced) if not ml.detector.is_english(t)]
        if foreign:
            assert ml is not None
            heads = [_head(spaced[i]) for i in foreign]
            readable = [ml.detector.is_english(h) for h in heads]  # "LPN - Cuidado a largo plazo"
            foreign_heads = [h for h, r in zip(heads, readable) if not r]
            # the whole title is translated, qualifiers too, as an English title is read whole
            # ("Trabajador social - Servicios de Protección Infantil" -> "Social worker - Services
            # of Childish Protection"); its head alone where the whole does not read as English
            wholes = [spaced[i] for i, r in zip(foreign, readable) if not r]
            to_translate = list(dict.fromkeys([*wholes, *foreign_heads]))
            english = {t: e for t, e in zip(to_translate, ml.in_english(to_translate)) if e is not None}
            to_read = list(dict.fromkeys(foreign_heads))
            nearest = dict(zip(to_read, ml.translate_titles(to_read, TRANSLATIONS) if to_read else []))
            for i, head, readable_head in zip(foreign, heads, readable):
                if readable_head:
                    options[i] = [head]
                    continue
                # a translation is one more reading, averaged with the nearest known titles (the
                # first of which is the `cleaned` title shown)
                translation = english.get(spaced[i]) or english.get(head)
                options[i] = [*nearest[head], *([translation] if translation else [])]
                if translation:
                    translated.add(i)
        clean = self.classifier.cleaner.clean if self.classifier else clean_title
        return [
            [(clean(t), w) for t, w in zip(opts, _weights(opts, i in translated))] for i, opts in enumerate(options)
        ]

    def encode_titles(self, titles: list[str]) -> tuple[list[str], np.ndarray]:
        """(cleaned titles, their vectors): what `normalize_vectors` wants from callers that
        keep the vectors for other uses. A title read as several English titles has the mean
        of their vectors."""
        cleaned, vectors, _ = self.read_titles(titles, k=None)
        return cleaned, vectors

    def read_titles(self, titles: list[str], k: int | None = 5) -> tuple[list[str], np.ndarray, list[list[dict]]]:
        """(cleaned English title, vector, k likeliest occupations) of each title. A title in
        another language is read as each of its nearest English titles and its occupations'
        probabilities are the mean over those readings: readings that disagree make an
        uncertain answer, as they should. Without k, no occupations are ranked."""
        if k is not None and k < 1:
            raise ValueError("k must be at least 1")
        readings = self._readings(titles)
        flat = [t for opts in readings for t, _ in opts]
        vectors = self.encoder.encode(flat)
        ranked = self.normalize_vectors(vectors, k=max(k, MIX_DEPTH), titles=flat) if k is not None else []
        cleaned, out_vectors, out_ranked = [], np.zeros((len(titles), vectors.shape[1]), np.float32), []
        cursor = 0
        for i, opts in enumerate(readings):
            rows = range(cursor, cursor + len(opts))
            cursor += len(opts)
            cleaned.append(opts[0][0])
            weights = np.array([w for _, w in opts], dtype=np.float32)
            mean = weights @ vectors[list(rows)]
            out_vectors[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
            if k is None:
                continue
            if len(opts) == 1:
                out_ranked.append(ranked[rows[0]][:k])
                continue
            mixed: dict[str, dict] = {}
            for r, weight in zip(rows, weights):
                for occ in ranked[r]:
                    entry = mixed.setdefault(occ["soc"], {**occ, "score": 0.0})
                    entry["score"] += occ["score"] * float(weight)
            best = sorted(mixed.values(), key=lambda o: -o["score"])[:k]
            out_ranked.append([{**o, "score": _unit(o["score"])} for o in best])
        return cleaned, out_vectors, out_ranked

    @staticmethod
    def _top(scores: np.ndarray, k: int) -> np.ndarray:
        k = min(k, scores.shape[1])
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1)

    def channels(self, queries: np.ndarray, titles: list[str]) -> dict[str, np.ndarray]:
        """The title vectors and every channel's (queries x SOC) scores, for the classifier."""
        out = {name: self.channel_scores(name, queries) for name in ("names", "context", "activity")}
        return {**out, "vectors": queries, "blend": self.score_vectors(queries, titles, out)}

    def classify(self, queries: np.ndarray, titles: list[str], k: int = 5) -> list[list[dict]]:
        """The k likeliest SOC occupations of cleaned titles (and their vectors), each with the
        classifier's probability as its score."""
        out: list[list[dict]] = []
        if self.classifier is None:
            raise RuntimeError("the titles artifact has no classifier: rebuild the pack")
        for start in range(0, len(queries), BATCH):
            block = titles[start : start + BATCH]
            for rows, probs in self.classifier.rank(self.channels(queries[start : start + BATCH], block), block):
                out.append(
                    [
                        {"soc": self.socs[j]["code"], "title": self.socs[j]["title"], "score": _unit(p)}
                        for j, p in zip(rows[:k], probs[:k])
                    ]
                )
        return out

    def normalize_vectors(self, queries: np.ndarray, k: int = 5, titles: list[str] | None = None) -> list[list[dict]]:
        """`normalize` for title vectors already encoded (rows of `queries`). With the cleaned
        `titles` they encode (`encode_titles`), the classifier ranks them (scores are
        probabilities); a vector without its text (a whole CV) is ranked by the dense channels
        alone (scores are blended similarities)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        if titles is not None and self.classifier is not None and self.classifier.weights is not None:
            return self.classify(queries, titles, k)
        out: list[list[dict]] = []
        for start in range(0, len(queries), BATCH):
            block_titles = None if titles is None else titles[start : start + BATCH]
            scores = self.score_vectors(queries[start : start + BATCH], block_titles)
            for row, top in zip(scores, self._top(scores, k)):
                out.append(
                    [{"soc": self.socs[j]["code"], "title": self.socs[j]["title"], "score": _unit(row[j])} for j in top]
                )
        return out

    def decide(self, title: str, k: int = 5) -> dict:
        """The title's occupations with a verdict: "confident" when the first one's probability
        reaches CONFIDENT, else "uncertain" (the title does not decide between them)."""
        (cleaned,), _, (ranked,) = self.read_titles([title], k)  # one reading: a translation is not redone
        top = ranked[0]["score"] if ranked else 0.0
        return {
            "title": title,
            "cleaned": cleaned,
            "status": "confident" if top >= CONFIDENT else "uncertain",
            "confidence": top,
            "occupations": ranked,
        }

    def normalize(self, title: str, k: int = 5) -> list[dict]:
        """The k most likely SOC occupations: [{"soc", "title", "score" in [0, 1]}, ...]."""
        return self.normalize_batch([title], k)[0]

    def normalize_batch(self, titles: list[str], k: int = 5) -> list[list[dict]]:
        if not titles:
            return []
        return self.read_titles(titles, k)[2]

    def nearest_esco(self, title: str, k: int = 5) -> list[dict]:
        """The k ESCO occupations with the best-matching label: [{"id", "label", "score"}, ...]."""
        return self.nearest_esco_batch([title], k)[0]

    def nearest_esco_batch(self, titles: list[str], k: int = 5) -> list[list[dict]]:
        return self.nearest_esco_vectors(self.encode_titles(titles)[1], k) if titles else []

    def nearest_esco_vectors(self, queries: np.ndarray, k: int = 5) -> list[list[dict]]:
        """`nearest_esco` for title vectors already encoded."""
        if k < 1:
            raise ValueError("k must be at least 1")
        if not self.esco:
            return [[] for _ in range(len(queries))]
        k = min(k, len(self.esco))
        scores, names = self._esco_index.search(queries, k * self._esco_names_max)
        out: list[list[dict]] = []
        for row_scores, row_names in zip(scores, names):
            best: dict[int, float] = {}  # ESCO row -> its best name's score
            for score, name in zip(row_scores, row_names):
                if name >= 0:
                    best.setdefault(int(self._esco_owner[name]), float(score))
            # ties (ESCO occupations sharing a name) go to the lower row, so answers are stable
            top = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]
            out.append([{"id": self.esco[j]["id"], "label": self.esco[j]["label"], "score": _unit(v)} for j, v in top])
        return out

    def soc(self, code: str) -> dict | None:
        """The SOC occupation record (code, title, O*NET titles) or None."""
        i = self.by_code.get(code)
        return None if i is None else self.socs[i]

    def work_of(self, code: str) -> dict | None:
        """What an occupation does: {"tasks": [...], "activities": [...]} (O*NET), or None."""
        i = self.by_code.get(code)
        if i is None or i >= len(self.work):
            return None
        return {"tasks": self.work[i]["tasks"], "activities": self.work[i]["activities"]}

    def esco_for_soc(self, code: str) -> list[dict]:
        """ESCO occupations bridged to this SOC occupation: [{"id", "label"}]."""
        return [{"id": e["id"], "label": e["label"]} for e in self.esco if e.get("soc") == code]

    def esco_to_soc(self, esco_id: str) -> str | None:
        """The SOC code an ESCO occupation is bridged to, when the bridge was confident."""
        i = self._esco_by_id.get(esco_id)
        return None if i is None else self.esco[i].get("soc")


def _unit(value: float) -> float:
    return round(float(min(1.0, max(0.0, value))), 4)
