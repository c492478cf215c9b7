"""ESCO skills: the catalogue, short-query search and skill extraction from free text.

Each skill has several vectors in one FAISS index: its preferred label, its alternative
labels ("names") and its definition. A text is scored against a skill by its best name match
blended with its definition match, computed exactly for every skill (one matrix product).

A sentence is scored as a whole and through its short spans (list items, coordinated terms,
verbatim mentions of skill names); a span counts in proportion to how specific it is, because
a generic word ("development", "team") matches dozens of skill names perfectly and means
little. On top of the dense score comes lexical evidence: how much of a skill name's
informative (high-IDF) words the sentence contains, and a small bonus for a verbatim mention.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import faiss
import numpy as np
import torch

from models.core import artifacts
from models.core.encoder import Encoder
from models.core.index import FaissIndex
from models.core.lexicon import Lexicon
from models.core.memo import Memo
from models.core.text import content_words, fold, is_boilerplate, sentences, spans, tokens
from models.reference.multilingual import Multilingual, foreign_spans
from models.reference.skill_ann import SkillNeighbours

log = logging.getLogger(__name__)

VIEW_LABEL, VIEW_ALT, VIEW_DEFINITION = 0, 1, 2
SENTENCE_MEMO = 4_096  # sentences whose ranking a process remembers (~4 KB each at k=30)
NAME_NEIGHBOURS_MEMO = 8_192  # skill names mentioned in text whose graph neighbours are kept (2 KB each)
MAX_NGRAM = 6
# Alternative labels past this many add build time but rarely a new way of saying the skill.
MAX_ALT_LABELS = 12
# a foreign sentence's vector is the mean label vector of this many of its best skills
FOREIGN_VECTOR_SKILLS = 3
# The multilingual path scores the same sentence about 0.14-0.16 lower than the English path
# (top-1 0.161, mean of top-5 0.136 lower, over 300 English ESCO occupation definitions read by
# both): foreign scores are raised by this much, so every threshold means the same in both.
FOREIGN_OFFSET = 0.15
# a translated sentence's two readings are each ranked this deep before they are averaged
FUSION_DEPTH = 100
# phrases whose IDF mass is remembered (skill names mentioned in text, spans)
PHRASE_MEMO = 1 << 16
# queries scored per call of exact scoring (bounds its padded id and score blocks)
EXACT_BLOCK = 256
# occupation description vectors (training/build_taxonomy.py); packs before skills-v2 lack them
OCCUPATION_FILES = ("occupation_vectors.npy",)


def skill_views(label: str, alt_labels: list[str], definition: str) -> list[tuple[str, int]]:
    """The texts embedded for one skill, in index order, with their view: the label, distinct
    alternative labels (at most MAX_ALT_LABELS) and "label: definition"."""
    out = [(label, VIEW_LABEL)]
    seen = {fold(label)}
    for alt in alt_labels:
        key = fold(alt)
        if not key or key in seen or len(out) > MAX_ALT_LABELS:
            continue
        seen.add(key)
        out.append((alt, VIEW_ALT))
    if definition:
        out.append((f"{label}: {definition}", VIEW_DEFINITION))
    return out


def content_sentences(text: str | None) -> list[tuple[str, int]]:
    """(sentence, offset) of a CV or job ad, boilerplate (pay, benefits, company blurb, how to
    apply) left out: the sentences skills are extracted from and encoded."""
    return [(s, off) for s, off in sentences(text or "") if not is_boilerplate(s)]


def gather_segments(starts: np.ndarray, counts: np.ndarray, picks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For items stored in contiguous segments (item i at [starts[i], starts[i] + counts[i])):
    the positions of the picked items' entries, concatenated, and where each picked item's
    part begins in that concatenation (for np.maximum.reduceat)."""
    lens = counts[picks]
    seg = np.r_[0, np.cumsum(lens)[:-1]]
    return np.repeat(starts[picks] - seg, lens) + np.arange(int(lens.sum())), seg


def occupation_description(label: str, definition: str) -> str:
    """The text an ESCO occupation is described by (embedded at build time)."""
    return f"{label}: {definition}".strip(": ")


@dataclass(frozen=True)
class LinkWeights:
    """How the views and the evidence combine.

    Chosen on the skill-linking validation sets (tech and house job-ad sentences); each value
    was kept only where both sets agreed, and the neighbourhood of each value scores within a
    point or two, so none of them is a knife-edge.
    """

    # dense score = name * best label/alt-label cosine + (1 - name) * definition cosine
    name: float = 0.75
    # a span replaces this share of the sentence score when it is fully specific (less when
    # generic): spans find the one skill among several that a sentence lists
    span: float = 0.5
    # weight of the lexical overlap (0..1): IDF-weighted share of a skill name's words that
    # occur in the text. Dense vectors blur rare technical words; this keeps them.
    lexical: float = 0.15
    # IDF mass of matched words needed for full lexical credit: one rare word (idf ~8, "python")
    # gets it, one generic word (idf ~3, "design") about a third
    lexical_information: float = 8.0
    # a skill name found verbatim in the text, times the specificity of the mention
    exact_bonus: float = 0.05
    # specificity of a phrase: the sum of its words' IDF mapped linearly from `generic_idf`
    # (0: "development", "team work") to `specific_idf` (1: "python", "wind turbines")
    generic_idf: float = 4.5
    specific_idf: float = 8.0
    # texts scored per matrix product; bounds the (vectors x texts) similarity block
    batch: int = 32


@dataclass
class SkillHit:
    id: str
    label: str
    score: float
    evidence: str = ""
    offset: int = -1
    exact: bool = False
    components: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "score": round(float(self.score), 4),
            "evidence": self.evidence,
            "offset": self.offset,
            "exact": self.exact,
        }


def _mean_of_readings(first: list[SkillHit], second: list[SkillHit]) -> list[SkillHit]:
    """Two rankings of one text (its translation on the English path, the original on the
    multilingual one) as one: each skill's mean score, a skill missing from a ranking counting
    that ranking's lowest score; the hit keeps the evidence of the reading that scored it higher."""
    floors = [min((h.score for h in hits), default=0.0) for hits in (first, second)]
    a, b = {h.id: h for h in first}, {h.id: h for h in second}
    out = []
    for skill in dict.fromkeys([*a, *b]):
        x, y = a.get(skill), b.get(skill)
        sx, sy = x.score if x else floors[0], y.score if y else floors[1]
        best = x if x is not None and (y is None or sx >= sy) else y
        assert best is not None
        out.append(replace(best, score=(sx + sy) / 2))
    return sorted(out, key=lambda h: -h.score)


class SkillCatalog:
    def __init__(
        self,
        skills: list[dict],
        index: FaissIndex | None,
        owners: np.ndarray,
        views: np.ndarray,
        encoder: Encoder,
        occupations: list[dict] | None = None,
        weights: LinkWeights | None = None,
        occupation_vectors: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        neighbours: SkillNeighbours | None = None,
    ):
        self.skills = skills
        # ESCO occupations (label, definition, skill relations where known), by URI
        self.occupations = {o["id"]: o for o in occupations or []}
        self._occupation_row = {o["id"]: i for i, o in enumerate(occupations or [])}
        # (description vectors,)
        self._occupation_vectors = occupation_vectors
        self._generic: np.ndarray | None = None
        self.by_id = {s["id"]: i for i, s in enumerate(skills)}
        self.index = index
        # with the neighbour graph, texts are scored exactly only against the skills it proposes
        self.neighbours = neighbours
        self.owners = np.asarray(owners, dtype=np.int64)
        self.views = np.asarray(views)
        self.encoder = encoder
        self.weights = weights or LinkWeights()
        self._ranked = Memo(SENTENCE_MEMO)  # (sentence, k, with_spans) -> (hits as tuples, vector)
        self._name_neighbours = Memo(NAME_NEIGHBOURS_MEMO)  # stored name row -> its nearest rows
        # set by ReferenceData when the pack has the multilingual artifact
        self.multilingual: Multilingual | None = None
        self.exact_names = self._name_table()
        # the leading runs of words of a name, short of the whole name (that is in exact_names):
        # a mention scan stops where no name goes on
        self._name_prefixes = {
            " ".join(words[:n]) for words in map(str.split, self.exact_names) for n in range(1, len(words))
        }
        # IDF mass of a phrase: the same skill names are mentioned in sentence after sentence
        self._phrase_mass = lru_cache(maxsize=PHRASE_MEMO)(self._content_mass)
        self._prepare_views()
        self._prepare_lexicon()

    # ---- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path, encoder: Encoder, neighbours_dir: Path | None = None) -> SkillCatalog:
        manifest = artifacts.verify(directory, "taxonomy")
        if manifest.get("encoder") != encoder.fingerprint:
            raise artifacts.ArtifactError(
                f"{directory} was embedded with {manifest.get('encoder')}, the service runs {encoder.fingerprint}"
            )
        skills = artifacts.read_json(directory / "skills.json")
        occupations = artifacts.read_json(directory / "occupations.json")
        owners = np.load(directory / "owners.npy", allow_pickle=False)
        views = np.load(directory / "views.npy", allow_pickle=False)
        described = None
        if all((directory / name).exists() for name in OCCUPATION_FILES):
            described = tuple(np.load(directory / name, allow_pickle=False) for name in OCCUPATION_FILES)
        else:
            log.warning("%s has no occupation description vectors: title skills will encode them per query", directory)
        neighbours = None
        if neighbours_dir is not None and (Path(neighbours_dir) / artifacts.MANIFEST).exists():
            # the graph carries its own copy of the vectors, which scoring then uses: it must
            # have been built from exactly these (a stale one could even share the dimension)
            built_from = artifacts.read_manifest(neighbours_dir).get("inputs", {}).get("taxonomy_vectors")
            if built_from != manifest["files"]["index.faiss"]:
                log.warning("%s was built from other taxonomy vectors: scoring every skill exactly", neighbours_dir)
            else:
                neighbours = SkillNeighbours.load(neighbours_dir)
        # the graph holds the same vectors: the flat index is read only without it (one copy in memory)
        index = None if neighbours is not None else FaissIndex.load(directory / "index.faiss", "flat")
        return cls(
            skills, index, owners, views, encoder, occupations, occupation_vectors=described, neighbours=neighbours
        )

    def _name_table(self) -> dict[str, list[int]]:
        """Folded label/alt label -> skills, for exact mentions in text."""
        table: dict[str, list[int]] = {}
        for i, s in enumerate(self.skills):
            for name in [s["label"], *s.get("alt_labels", [])]:
                key = fold(name)
                if key and len(key) >= 2 and len(key.split()) <= MAX_NGRAM:
                    table.setdefault(key, [])
                    if i not in table[key]:
                        table[key].append(i)
        return table

    def _prepare_views(self) -> None:
        """Row layout for exact per-skill aggregation: rows grouped by skill, the definition
        row of each skill, the preferred-label row of each skill."""
        n = len(self.skills)
        if self.neighbours is not None:
            self._vectors = self.neighbours.vectors()
        elif self.index is not None:
            self._vectors = self.index.row_vectors()
        else:
            raise artifacts.ArtifactError("taxonomy: neither the neighbour graph nor the vector index is loaded")
        self._vectors = np.ascontiguousarray(self._vectors, dtype=np.float32)  # read in place by FAISS
        # the builder writes each skill's rows together; keep a permutation in case a pack does not
        contiguous = bool(np.all(np.diff(self.owners) >= 0))
        self._order = None if contiguous else np.argsort(self.owners, kind="stable")
        owners = self.owners if contiguous else self.owners[self._order]
        views = self.views if contiguous else self.views[self._order]
        self._starts = np.r_[0, np.flatnonzero(np.diff(owners)) + 1]
        if len(self._starts) != n or owners[0] != 0 or owners[-1] != n - 1:
            raise artifacts.ArtifactError("taxonomy: every skill needs at least one vector")
        self._grouped_rows: np.ndarray = np.arange(len(owners)) if self._order is None else self._order
        self._counts = np.diff(np.r_[self._starts, len(owners)])
        self._def_rows = np.flatnonzero(views == VIEW_DEFINITION)
        self._def_owner = owners[self._def_rows]
        self._label_rows = np.full(n, -1, dtype=np.int64)
        label = np.flatnonzero(self.views == VIEW_LABEL)
        self._label_rows[self.owners[label]] = label
        self._name_rows = self._stored_names()

    def _stored_names(self) -> dict[str, int]:
        """Folded name -> a row holding its vector, by replaying the builder's layout
        (skill_views). The encoder is uncased, so a verbatim mention of a name has exactly the
        stored vector and need not be encoded again. Empty when the pack's layout differs."""
        table: dict[str, int] = {}
        row = 0
        for i, s in enumerate(self.skills):
            for text, view in skill_views(s["label"], s.get("alt_labels", []), s.get("definition", "")):
                if row >= len(self.owners) or self.owners[row] != i or self.views[row] != view:
                    log.warning("taxonomy layout differs from skill_views: verbatim mentions will be encoded")
                    return {}
                if view != VIEW_DEFINITION:
                    table.setdefault(fold(text), row)
                row += 1
        return table if row == len(self.owners) else {}

    def _prepare_lexicon(self) -> None:
        """Word IDF over the skills (label, alternative labels and definition of each skill is
        one document) and, for every name, its distinct content words: the lexical side."""
        n = len(self.skills)
        documents: list[set[str]] = []
        name_words: list[list[str]] = []
        name_owner: list[int] = []
        for i, s in enumerate(self.skills):
            names = list(dict.fromkeys([s["label"], *s.get("alt_labels", [])]))
            words_by_name = [list(dict.fromkeys(content_words(name))) for name in names]
            documents.append(set(content_words(s.get("definition", ""))).union(*words_by_name))
            for words in words_by_name:
                if words:
                    name_words.append(words)
                    name_owner.append(i)
        lexicon = Lexicon(documents, smoothed=False)  # log(n / df); a word no skill uses: log(n)
        self._idf = lexicon.idf_by_word
        self._unknown_idf = lexicon.unknown_idf
        postings: dict[str, list[int]] = {}
        for k, words in enumerate(name_words):
            for w in words:
                postings.setdefault(w, []).append(k)
        self._postings = {w: np.asarray(p, dtype=np.int64) for w, p in postings.items()}
        self._name_owner = np.asarray(name_owner, dtype=np.int64)
        # names are numbered skill by skill: skill i owns names [start, start + count)
        self._name_counts = np.bincount(self._name_owner, minlength=n)
        self._name_starts = np.r_[0, np.cumsum(self._name_counts)[:-1]]
        self._name_mass = np.maximum([sum(self._idf[w] for w in words) for words in name_words], 1e-6)

    def __len__(self) -> int:
        return len(self.skills)

    def occupation_vectors(self, occupation_id: str) -> np.ndarray:
        """The description vector (1 x dim) of an ESCO occupation: stored in the pack, or
        encoded now for a pack without them."""
        occupation = self.occupations[occupation_id]
        if self._occupation_vectors is not None:
            row = self._occupation_row[occupation_id]
            return self._occupation_vectors[0][row : row + 1]
        return self.encoder.encode([occupation_description(occupation["label"], occupation.get("definition", ""))])

    def generic_scores(self) -> np.ndarray:
        """Dense score of every skill against the centroid of all occupation descriptions: its
        mean similarity to "any job" (cosine is linear, so the centroid gives the mean of the
        cosines per vector). Computed once."""
        if self._generic is None:
            self._generic = self.score_vectors(self.occupation_centroid()[None, :])[0]
        return self._generic

    def occupation_centroid(self) -> np.ndarray:
        """Mean of the occupation description vectors (of the skills' definition vectors for a
        pack without them): the direction of "any job"."""
        if self._occupation_vectors is not None and len(self._occupation_vectors[0]):
            return self._occupation_vectors[0].mean(axis=0)
        return self._vectors[self.views == VIEW_DEFINITION].mean(axis=0)

    def get(self, skill_id: str) -> dict | None:
        i = self.by_id.get(skill_id)
        return None if i is None else self.skills[i]

    # ---- scoring -------------------------------------------------------------------------
    def view_scores(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(best name cosine, definition cosine) of each query for each skill, both
        (n_queries x n_skills), exact. A skill without a definition gets its name cosine."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self._vectors.shape[1])
        n = len(self.skills)
        names = np.empty((len(queries), n), dtype=np.float32)
        definition = np.empty((len(queries), n), dtype=np.float32)
        matrix = torch.from_numpy(self._vectors)
        for start in range(0, len(queries), self.weights.batch):
            q = torch.from_numpy(queries[start : start + self.weights.batch])
            with torch.inference_mode():
                sims = (matrix @ q.T).numpy()  # (rows x queries)
            if self._order is not None:
                sims = sims[self._order]
            defs = sims[self._def_rows]
            sims[self._def_rows] = -np.inf
            best = np.maximum.reduceat(sims, self._starts, axis=0)  # (skills x queries)
            names[start : start + len(q)] = best.T
            best[self._def_owner] = defs
            definition[start : start + len(q)] = best.T
        return names, definition

    def score_vectors(self, queries: np.ndarray, candidates: int | None = None) -> np.ndarray:
        """Dense similarity of each query to each skill (n_queries x n_skills): the best name
        cosine blended with the definition cosine.

        Exact for every skill by default. With `candidates` (rows per query) and the neighbour
        graph, only the skills owning a query's nearest rows are scored, exactly; every other
        skill gets -1 (below any cosine a link needs)."""
        if candidates is None or self.neighbours is None:
            names, definition = self.view_scores(queries)
            w = self.weights.name
            return w * names + (1 - w) * definition
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self._vectors.shape[1])
        out = np.full((len(queries), len(self.skills)), -1.0, dtype=np.float32)
        nearest = self.neighbours.nearest_rows(queries, candidates)
        for q in range(len(queries)):
            skills = self.candidate_skills(nearest[q])
            out[q, skills] = self.exact_scores(queries[q : q + 1], skills)[0]
        return out

    def candidate_skills(self, rows: np.ndarray) -> np.ndarray:
        """The distinct skills (sorted) owning these taxonomy rows; -1 rows are ignored."""
        rows = np.asarray(rows).reshape(-1)
        return np.unique(self.owners[rows[rows >= 0]])

    def exact_scores(self, queries: np.ndarray, skills: np.ndarray) -> np.ndarray:
        """(queries x len(skills)) dense scores for the given skills only, exact: their rows
        are scored, names by their best row, blended with the definition."""
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self._vectors.shape[1])
        return self.exact_scores_grouped(queries, [(np.arange(len(queries)), skills)])[0]

    def exact_scores_grouped(
        self, queries: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray]]
    ) -> list[np.ndarray]:
        """`exact_scores` for many groups at once: group g is (positions of its queries in
        `queries`, its sorted candidate skills). The rows of every query are scored in one call
        that reads each row where it lies (FAISS's inner products by index), rather than
        gathering a copy of the rows for a matrix product per sentence: at ingest this scoring
        is memory-bound, and the copy tripled what it read and wrote."""
        layouts = [self._row_layout(np.asarray(skills, dtype=np.int64)) for _, skills in groups]
        owner = np.concatenate(
            [np.full(len(q), g, dtype=np.int64) for g, (q, _) in enumerate(groups)] or [np.zeros(0, np.int64)]
        )
        order = np.concatenate([np.asarray(q, dtype=np.int64) for q, _ in groups] or [np.zeros(0, np.int64)])
        sims: list[np.ndarray] = [
            np.empty((len(q), len(layout[0])), dtype=np.float32) for (q, _), layout in zip(groups, layouts)
        ]
        filled = [0] * len(groups)
        x = np.ascontiguousarray(queries, dtype=np.float32)
        for start in range(0, len(order), EXACT_BLOCK):
            block = order[start : start + EXACT_BLOCK]
            groups_of = owner[start : start + EXACT_BLOCK]
            width = max((len(layouts[g][0]) for g in groups_of), default=0)
            if not width:
                continue
            ids = np.full((len(block), width), -1, dtype=np.int64)
            for i, g in enumerate(groups_of):
                ids[i, : len(layouts[g][0])] = layouts[g][0]
            ip = np.empty((len(block), width), dtype=np.float32)
            xb = np.ascontiguousarray(x[block])
            faiss.fvec_inner_products_by_idx(  # type: ignore[attr-defined]  # not in FAISS's stubs
                faiss.swig_ptr(ip),
                faiss.swig_ptr(xb),
                faiss.swig_ptr(self._vectors),
                faiss.swig_ptr(ids),
                x.shape[1],
                len(block),
                width,
            )
            for i, g in enumerate(groups_of):
                sims[g][filled[g]] = ip[i, : len(layouts[g][0])]
                filled[g] += 1
        return [self._blend_views(sim, layout) for sim, layout in zip(sims, layouts)]

    def _row_layout(self, skills: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The taxonomy rows of these skills, skill by skill; where each skill's rows begin;
        the column of each skill's definition row (-1: none)."""
        if not len(skills):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        positions, seg = gather_segments(self._starts, self._counts, skills)
        rows = self._grouped_rows[positions]
        is_def = np.flatnonzero(self.views[rows] == VIEW_DEFINITION)
        definition_cols = np.full(len(skills), -1, dtype=np.int64)
        definition_cols[np.searchsorted(seg, is_def, side="right") - 1] = is_def
        return rows, seg, definition_cols

    def _blend_views(self, sims: np.ndarray, layout: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        """Per skill: weight `name` times its best label/alt-label row, the rest its definition row."""
        _, seg, definition_cols = layout
        if not len(seg):
            return np.zeros((len(sims), 0), dtype=np.float32)
        has_def = definition_cols >= 0
        names_only = sims.copy()
        names_only[:, definition_cols[has_def]] = -np.inf
        names = np.maximum.reduceat(names_only, seg, axis=1)  # every skill has a label row
        definition = names.copy()
        definition[:, has_def] = sims[:, definition_cols[has_def]]
        w = self.weights.name
        return w * names + (1 - w) * definition

    def idf(self, word: str) -> float:
        """IDF of a stemmed content word over the skills."""
        return self._idf.get(word, self._unknown_idf)

    def specificity(self, phrase: str) -> float:
        """0 for a generic phrase, 1 for a specific one, from the summed IDF of its distinct
        content words (the usual independence estimate of a phrase's IDF)."""
        w = self.weights
        mass = self._phrase_mass(phrase)
        return min(1.0, max(0.0, (mass - w.generic_idf) / (w.specific_idf - w.generic_idf)))

    def _content_mass(self, phrase: str) -> float:
        return sum(self.idf(word) for word in dict.fromkeys(content_words(phrase)))

    def _lexical_value(self, matched: np.ndarray, names: np.ndarray) -> np.ndarray:
        """A name's lexical score from the IDF mass of its words found in the text."""
        return matched / self._name_mass[names] * np.minimum(1.0, matched / self.weights.lexical_information)

    def _matched_mass(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(name hit by each content word of the text, the word's IDF), over the postings."""
        words = [w for w in dict.fromkeys(content_words(text)) if w in self._postings]
        if not words:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        hits = np.concatenate([self._postings[w] for w in words])
        weights = np.concatenate([np.full(len(self._postings[w]), self._idf[w]) for w in words])
        return hits, weights

    def lexical_scores(self, text: str, skills: np.ndarray | None = None) -> np.ndarray:
        """Per skill, the best over its names of: IDF-weighted share of the name's content words
        found in the text, times min(1, matched IDF mass / lexical_information). Only names
        sharing a word with the text are touched (postings), so it costs what the text matches.

        With `skills` (sorted catalogue positions) only those are scored, in that order: the
        ingest path scores ~100 candidate skills a sentence, and sorting every posting hit of a
        common word ("customer", "management") cost more than the rest of the scoring."""
        hits, weights = self._matched_mass(text)
        if skills is not None:
            skills = np.asarray(skills, dtype=np.int64)
            out = np.zeros(len(skills), dtype=np.float32)
            if not len(hits) or not len(skills):
                return out
            matched_all = np.bincount(hits, weights=weights, minlength=len(self._name_owner))
            names, seg = gather_segments(self._name_starts, self._name_counts, skills)
            value = self._lexical_value(matched_all[names], names).astype(np.float32)
            has_names = self._name_counts[skills] > 0
            if len(value):
                out[has_names] = np.maximum.reduceat(value, seg[has_names])
            return out
        out = np.zeros(len(self.skills), dtype=np.float32)
        if not len(hits):
            return out
        names, inverse = np.unique(hits, return_inverse=True)
        matched = np.bincount(inverse, weights=weights)
        np.maximum.at(out, self._name_owner[names], self._lexical_value(matched, names).astype(np.float32))
        return out

    def exact_mentions(self, text: str) -> dict[int, str]:
        """Skills whose label or alternative label occurs verbatim (word-bounded, any case) in
        text, each with the longest such mention as written in the text."""
        toks = tokens(text)
        found: dict[int, str] = {}
        for i in range(len(toks)):
            key = ""
            for n in range(1, min(MAX_NGRAM, len(toks) - i) + 1):
                key = f"{key} {toks[i + n - 1][0]}" if key else toks[i][0]
                if key not in self._name_prefixes and key not in self.exact_names:
                    break
                for skill in self.exact_names.get(key, ()):
                    mention = text[toks[i][1] : toks[i + n - 1][2]]
                    if skill not in found or len(mention) > len(found[skill]):
                        found[skill] = mention
        return found

    def rank_sentence(self, sentence: str, k: int = 100) -> list[SkillHit]:
        """All skills a single sentence mentions or implies, best first."""
        return self._rank_sentences([sentence], k)[0][0]

    def label_vectors(self, skill_rows: list[int]) -> np.ndarray:
        """Preferred-label vectors of the given skills (by catalogue position)."""
        return np.array(self._vectors[self._label_rows[np.asarray(skill_rows, dtype=np.int64)]], dtype=np.float32)

    def _spans_of(self, sentence: str, mentions: dict[int, str], phrases: bool = True) -> list[tuple[str, float]]:
        """Spans worth scoring, with their specificity: phrases of the sentence (unless
        `phrases` is false) and verbatim mentions of skill names. A span with no specificity
        could not change a score."""
        whole = fold(sentence).strip(" .")
        out = []
        for span in dict.fromkeys([*(spans(sentence) if phrases else []), *mentions.values()]):
            if fold(span).strip(" .") == whole:
                continue
            spec = self.specificity(span)
            if spec > 0:
                out.append((span, spec))
        return out

    def _rank_sentences(
        self, batch: list[str], k: int, with_spans: bool = True, remember: bool = False
    ) -> tuple[list[list[SkillHit]], np.ndarray]:
        """`_rank_fresh`; with `remember`, each distinct sentence is ranked once and remembered:
        a record written again with its text unchanged (a PATCH of its headline), and the
        sentences records share, are not ranked again. Only single-record writes remember: a
        sentence's vector moves by ~1e-7 with the batch it was encoded in, so a remembered one
        can round a score's last digit apart from a fresh one, and bulk imports and re-reading
        jobs (one process or many) must give the same answer for the same batches."""
        if not remember:
            return self._rank_fresh(batch, k, with_spans)
        keys = [(sentence, k, with_spans) for sentence in batch]
        known = self._ranked.get_many(keys)
        todo = list(dict.fromkeys(key for key in keys if key not in known))
        if todo:
            hits, vectors = self._rank_fresh([sentence for sentence, _, _ in todo], k, with_spans)
            fresh = {
                key: (tuple((h.id, h.label, h.score, h.evidence, h.offset, h.exact) for h in ranked), vector)
                for key, ranked, vector in zip(todo, hits, vectors)
            }
            self._ranked.put_many(fresh)
            known.update(fresh)
        out_vectors = np.zeros((len(batch), self.encoder.dim), dtype=np.float32)
        out_hits = []
        for i, key in enumerate(keys):
            ranked, out_vectors[i] = known[key]
            out_hits.append([SkillHit(*h) for h in ranked])  # callers set offsets and boosts on their own copies
        return out_hits, out_vectors

    def _rank_fresh(self, batch: list[str], k: int, with_spans: bool = True) -> tuple[list[list[SkillHit]], np.ndarray]:
        """Rank skills for each sentence; also returns the sentence vectors. Sentences the
        language detector calls foreign go to the multilingual path (`_rank_foreign`); one whose
        translation reads as English (models/core/translation.py) goes down the English path
        too, and each skill's score is the mean of its two (`_mean_of_readings`)."""
        ml = self.multilingual
        foreign = [] if ml is None else [i for i, s in enumerate(batch) if not ml.detector.is_english(s)]
        if not foreign:
            return self._rank_english(batch, k, with_spans)
        assert ml is not None
        translations = {i: t for i, t in zip(foreign, ml.in_english([batch[i] for i in foreign])) if t is not None}
        translated = sorted(translations)
        english = sorted(set(range(len(batch))) - set(foreign))
        hits: list[list[SkillHit]] = [[] for _ in batch]
        vectors = np.zeros((len(batch), self.encoder.dim), dtype=np.float32)
        depth = max(k, FUSION_DEPTH)
        for rows, (ranked, vecs) in (
            (english, self._rank_english([batch[i] for i in english], k, with_spans)),
            (foreign, self._rank_foreign([batch[i] for i in foreign], depth)),
        ):
            for i, h, v in zip(rows, ranked, vecs):
                hits[i], vectors[i] = h, v
        if translated:
            # a sentence with an English translation is read both ways and the readings averaged
            ranked, vecs = self._rank_english([translations[i] for i in translated], depth, with_spans)
            for i, h, v in zip(translated, ranked, vecs):
                hits[i] = _mean_of_readings(h, hits[i])
                mean = vectors[i] + v
                vectors[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        for i in foreign:
            hits[i] = hits[i][:k]
        return hits, vectors

    def _rank_foreign(self, batch: list[str], k: int, block: int = 16) -> tuple[list[list[SkillHit]], np.ndarray]:
        """Rank skills for sentences in another language: the multilingual encoder's cosine of
        the sentence and of its spans to each skill's English names, plus the English lexical
        evidence and verbatim names the sentence carries (tools, technologies). A sentence's
        vector, in the English encoder's space, is the mean of its best skills' label vectors:
        what it was understood to say, which is what cross-lingual matching compares."""
        assert self.multilingual is not None
        w = self.weights
        out: list[list[SkillHit]] = []
        vectors = np.zeros((len(batch), self.encoder.dim), dtype=np.float32)
        for start in range(0, len(batch), block):
            part = batch[start : start + block]
            span_lists = [foreign_spans(s) for s in part]
            texts = part + [sp for spl in span_lists for sp in spl]
            scores = self.multilingual.skill_scores(self.multilingual.encoder.encode(texts))
            cursor = len(part)
            for b, sentence in enumerate(part):
                n_spans = len(span_lists[b])
                combined, which = self._with_spans(scores[b], scores[cursor : cursor + n_spans], [1.0] * n_spans)
                combined += FOREIGN_OFFSET + w.lexical * self.lexical_scores(sentence)
                exact = self.exact_mentions(sentence)
                for skill, mention in exact.items():
                    combined[skill] += w.exact_bonus * self.specificity(mention)
                hits = self._top_hits(combined, None, k, sentence, span_lists[b], which, exact)
                out.append(hits)
                understood = self.label_vectors([self.by_id[h.id] for h in hits[:FOREIGN_VECTOR_SKILLS]])
                mean = understood.mean(axis=0) if len(understood) else np.zeros(self.encoder.dim, np.float32)
                vectors[start + b] = mean / max(float(np.linalg.norm(mean)), 1e-12)
                cursor += len(span_lists[b])
        return out, vectors

    def _rank_english(
        self, batch: list[str], k: int, with_spans: bool = True
    ) -> tuple[list[list[SkillHit]], np.ndarray]:
        """Rank skills for each English sentence; also returns the sentence vectors.

        Without `with_spans` only the sentences and the verbatim mentions of skill names are
        scored: mentions reuse the stored name vectors, so the encoder sees each sentence once
        (bulk ingest is encoder-bound). With the neighbour graph a sentence is scored against
        the skills near it or any of its spans (plus those it names verbatim); without it,
        against every skill."""
        w = self.weights
        mentions = [self.exact_mentions(s) for s in batch]
        span_lists = [self._spans_of(s, m, phrases=with_spans) for s, m in zip(batch, mentions)]
        if not with_spans:  # a mention beyond the stored names would need the encoder
            span_lists = [[(sp, spec) for sp, spec in spl if fold(sp) in self._name_rows] for spl in span_lists]
        flat = [sp for spl in span_lists for sp, _ in spl]
        stored = [self._name_rows.get(fold(sp), -1) for sp in flat]
        to_encode = list(batch) + [sp for sp, row in zip(flat, stored) if row < 0]
        encoded = self.encoder.encode(to_encode)
        vectors = np.empty((len(batch) + len(flat), encoded.shape[1]), dtype=np.float32)
        vectors[: len(batch)] = encoded[: len(batch)]
        fresh = iter(encoded[len(batch) :])
        for j, row in enumerate(stored):
            vectors[len(batch) + j] = self._vectors[row] if row >= 0 else next(fresh)
        if self.neighbours is not None:
            nearest = self._nearest_rows(vectors, [-1] * len(batch) + stored)
        else:
            dense = self.score_vectors(vectors)
            every = np.arange(len(self.skills))
        queries_of, cursor = [], len(batch)
        for b in range(len(batch)):
            queries_of.append(np.array([b, *range(cursor, cursor + len(span_lists[b]))], dtype=np.int64))
            cursor += len(span_lists[b])
        if self.neighbours is not None:
            candidates = [
                np.union1d(self.candidate_skills(nearest[q]), np.fromiter(m, dtype=np.int64))
                for q, m in zip(queries_of, mentions)
            ]
            exact_scored = self.exact_scores_grouped(vectors, list(zip(queries_of, candidates)))
        out: list[list[SkillHit]] = []
        for b, sentence in enumerate(batch):
            exact = mentions[b]
            if self.neighbours is not None:
                skills, scores = candidates[b], exact_scored[b]
            else:
                skills, scores = every, dense[queries_of[b]]
            combined, which = self._with_spans(scores[0], scores[1:], [spec for _, spec in span_lists[b]])
            combined += w.lexical * self.lexical_scores(sentence, skills)
            for skill, mention in exact.items():
                combined[np.searchsorted(skills, skill)] += w.exact_bonus * self.specificity(mention)
            out.append(self._top_hits(combined, skills, k, sentence, [sp for sp, _ in span_lists[b]], which, exact))
        return out, vectors[: len(batch)]

    def _with_spans(
        self, sentence: np.ndarray, span_scores: np.ndarray, specificity: list[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """A sentence's scores, each raised by its best span: a span replaces `span` times its
        specificity of the sentence's score where it scores higher. Also which span did (-1: none)."""
        combined = sentence.copy()
        which = np.full(len(sentence), -1)
        for i, spec in enumerate(specificity):
            candidate = sentence + self.weights.span * spec * (span_scores[i] - sentence)
            better = candidate > combined
            which[better] = i
            combined = np.where(better, candidate, combined)
        return combined, which

    def _nearest_rows(self, vectors: np.ndarray, rows: list[int]) -> np.ndarray:
        """The graph's nearest rows of each query. A query that is a stored name row (`rows[i]`
        >= 0: a skill name mentioned verbatim, scored by its stored vector) is searched once per
        process: its vector never changes, so neither do its neighbours, and names recur from CV
        to CV (they were ~40% of ingest's graph searches, which are half its own work)."""
        graph = self.neighbours
        assert graph is not None
        known = self._name_neighbours.get_many(r for r in rows if r >= 0)
        todo = [i for i, r in enumerate(rows) if r not in known]
        nearest = np.empty((len(rows), graph.config.rows), dtype=np.int64)
        if todo:
            found = graph.nearest_rows(vectors[todo])
            nearest[todo] = found
            self._name_neighbours.put_many({rows[i]: found[j] for j, i in enumerate(todo) if rows[i] >= 0})
        for i, r in enumerate(rows):
            if r in known:
                nearest[i] = known[r]
        return nearest

    def _top_hits(
        self,
        combined: np.ndarray,
        skills: np.ndarray | None,
        k: int,
        sentence: str,
        span_texts: list[str],
        which: np.ndarray,
        exact: dict[int, str],
    ) -> list[SkillHit]:
        """The k best-scored skills of a sentence, best first, each with its evidence: the
        verbatim mention, else the span that scored it, else the sentence. Column j of
        `combined` is catalogue skill `skills[j]` (every skill in order when None)."""
        kk = min(k, len(combined))
        if kk == 0:
            return []
        top = np.argpartition(-combined, kk - 1)[:kk]
        top = top[np.argsort(-combined[top], kind="stable")]
        hits = []
        for j in top:
            i = int(j if skills is None else skills[j])
            if i in exact:
                evidence = exact[i]
            elif which[j] >= 0:
                evidence = span_texts[int(which[j])]
            else:
                evidence = sentence
            skill = self.skills[i]
            hits.append(SkillHit(skill["id"], skill["label"], float(combined[j]), evidence, exact=i in exact))
        return hits

    # ---- public services -------------------------------------------------------------------
    def search(self, query: str, k: int = 10) -> list[SkillHit]:
        return self.rank_sentence(query, k)

    def extract(self, text: str, k: int = 30, min_score: float = 0.55) -> list[SkillHit]:
        return self.extract_many([text], k, min_score)[0][0]

    def encode_ahead(self, texts: list[str], streams: int | None = None) -> None:
        """Encode now, for a later extract_many of the same texts (with_spans=False), the
        sentences its English path will encode (see Encoder.encode_ahead)."""
        ml = self.multilingual
        batch = [s for text in texts for s, _ in content_sentences(text)]
        self.encoder.encode_ahead([s for s in batch if ml is None or ml.detector.is_english(s)], streams)

    def extract_many(
        self,
        texts: list[str],
        k: int = 30,
        min_score: float = 0.55,
        chunk: int = 128,
        with_spans: bool = True,
        remember: bool = False,
    ) -> list[tuple[list[SkillHit], np.ndarray]]:
        """Skills each CV or job ad mentions or implies, merged over its sentences, and the
        vectors of its sentences.

        Boilerplate sentences (pay, benefits, company blurb, how to apply) are skipped. A skill
        keeps its best sentence as evidence; skills supported by several sentences get a
        small boost, because repetition is evidence too. Sentences of all texts are encoded
        together in chunks, which is what makes bulk ingest fast.
        """
        parts = [(t, s, off) for t, text in enumerate(texts) for s, off in content_sentences(text)]
        ranked: list[list[SkillHit]] = []
        vectors = np.zeros((len(parts), self.encoder.dim), dtype=np.float32)
        for start in range(0, len(parts), chunk):
            hits, vecs = self._rank_sentences([s for _, s, _ in parts[start : start + chunk]], k, with_spans, remember)
            ranked += hits
            vectors[start : start + len(hits)] = vecs
        results = []
        owners = np.asarray([t for t, _, _ in parts], dtype=np.int64)
        for t in range(len(texts)):
            best: dict[str, SkillHit] = {}
            support: dict[str, int] = {}
            for j in np.flatnonzero(owners == t):
                _, sentence, offset = parts[j]
                for hit in ranked[j]:
                    if hit.score < min_score:
                        continue
                    support[hit.id] = support.get(hit.id, 0) + 1
                    if hit.id not in best or hit.score > best[hit.id].score:
                        found = sentence.find(hit.evidence) if hit.evidence != sentence else 0
                        hit.offset = offset + max(found, 0)
                        best[hit.id] = hit
            for sid, hit in best.items():
                hit.score = min(1.0, hit.score + 0.02 * (support[sid] - 1))
            results.append((sorted(best.values(), key=lambda h: -h.score)[:k], vectors[owners == t]))
        return results
