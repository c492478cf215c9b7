"""Titles artifact: job title -> SOC 2018 detailed occupations, and -> ESCO occupations.

Every SOC occupation gets vectors in three channels (models/occupations.py scores them):

- names: the OEWS title, the O*NET-SOC titles that roll up to it and the short singular job
  titles they imply ("Buyers and Purchasing Agents, Farm Products" -> "Farm Products Buyer",
  "Purchasing Agent", ...), plus the names of the ESCO occupations bridged to it;
- context: per O*NET-SOC occupation its title followed by its first task statements;
- activities: per O*NET-SOC occupation its title followed by its detailed work activities.
SOC occupations O*NET does not describe use their title in every channel.

Beside the vectors, the artifact keeps each SOC occupation's words (lexicon.json): those of
its names (bridged ESCO names included) and those of all its O*NET tasks and work activities,
for the lexical coverage the normaliser adds to the dense score.

The ESCO bridge: the packaged data has no ESCO -> SOC crosswalk, so every ESCO occupation is
scored against every SOC occupation by (a) the average over its names of the O*NET-only title
score and (b) its definition against the context and activity channels. It is linked to its
best SOC occupation only when that leads the runner-up by a clear margin.
"""
from __future__ import annotations

import logging
import re
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from models import artifacts
from models.encoder import Encoder
from models.occupations import (
    ARRAYS,
    CONFIG_FILE,
    ESCO_FILE,
    ESCO_INDEX_FILE,
    KIND,
    LEXICON_FILE,
    SOCS_FILE,
    VIEW_ONET_TITLE,
    VIEW_SOC_TITLE,
    VIEW_VARIANT,
    WORK_FILE,
    ScoringConfig,
    TitleNormalizer,
    title_words,
)
from models.index import FaissIndex
from models.records import EscoOccupation, SocOccupation
from models.text import fold
from training.sources.oews import detailed_occupations, open_packaged_oews
from training.sources.onet import OnetOccupation, read_onet_occupations, read_onet_table
from training.sources.packaged import ESCO_OCCUPATIONS_CSV, OEWS_SQLITE_GZ, ONET_TASK_DWA, input_fingerprint

log = logging.getLogger(__name__)

# v2: lexicon.json (words per occupation) for lexical coverage; v3: ESCO names as a FAISS index
# (esco_names.faiss), O*NET tasks and work activities per SOC occupation (work.json)
METHOD = "titles-v3"
CONTEXT_TASKS = 6  # task statements after the title in a context view
CONTEXT_ACTIVITIES = 8  # work activities after the title in an activity view
MAX_ESCO_NAMES = 24  # preferred + alternative labels embedded per ESCO occupation
DEFINITION_WEIGHT = 0.5  # of the definition score against the names score in the bridge
BRIDGE_MIN_MARGIN = 0.05  # best minus second-best bridge score needed to link an ESCO occupation
BRIDGE_BATCH = 512


# ---- short job titles implied by an occupation title ---------------------------------------

# words ending in -s that are not plurals, or whose plural is themselves
_NOT_PLURAL = {
    "series", "species", "news", "glasses", "clothes", "sales", "mathematics", "physics", "economics",
    "statistics", "athletics", "logistics", "electronics", "avionics", "graphics", "aeronautics", "analytics",
    "politics", "ethics", "gas", "bus", "status", "campus", "chassis", "canvas", "lens", "arts", "works",
    "operations", "services", "systems", "relations", "resources", "products", "goods", "affairs",
    "communications", "means",
}  # fmt: skip
_ICS_PEOPLE = {"mechanics", "medics", "critics", "clerics", "paramedics"}
_IRREGULAR = {"men": "man", "women": "woman", "people": "person", "children": "child", "alumni": "alumnus"}
_EXCEPT = re.compile(r",?\s+(?:except|including|excluding)\b.*$", re.I)
_ALL_OTHER = re.compile(r",\s*all other.*$", re.I)
_LEADING_AND = re.compile(r"^(?:and|or)\s+", re.I)


def singular(word: str) -> str:
    """English singular of a plural occupation noun ("Technologists" -> "Technologist")."""
    low = word.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low].capitalize() if word[:1].isupper() else _IRREGULAR[low]
    if low.endswith("men") and len(low) > 4:
        return word[:-3] + "man"
    if low in _NOT_PLURAL or len(low) <= 3 or not low.isalpha():
        return word
    if low.endswith("ies") and len(low) > 4:
        return word[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if low.endswith("ics") and low not in _ICS_PEOPLE:
        return word
    if low.endswith(("ss", "us", "is")):
        return word
    if low.endswith("s"):
        return word[:-1]
    return word


def _is_plural(word: str) -> bool:
    return singular(word).lower() != word.lower()


def _singular_phrase(phrase: str) -> str:
    words = phrase.split()
    if words:
        words[-1] = singular(words[-1])
    return " ".join(words)


def _noun_phrases(head: str) -> list[str]:
    """'Medical and Clinical Laboratory Technologists' -> both laboratory technologists."""
    chunks = [c.strip() for c in re.split(r"\s+and\s+|\s+or\s+|\s*&\s*", head) if c.strip()]
    phrases: list[str] = []
    pending: list[str] = []  # modifiers waiting for the head noun they share
    for chunk in chunks:
        if _is_plural(chunk.split()[-1]):
            phrases.append(chunk)
            rest = chunk.split()[1:]
            phrases.extend(" ".join([p, *rest]) if rest else p for p in pending)
            pending = []
            # "Engineering Technologists and Technicians": the second head shares the modifiers
            if len(chunk.split()) == 1 and phrases and len(phrases[0].split()) > 1:
                phrases.append(" ".join(phrases[0].split()[:-1] + [chunk]))
        else:
            pending.append(chunk)
    if pending:
        phrases.append(head)
    out: list[str] = []
    for phrase in phrases:  # "Engineers/Architects": alternatives for the head word
        words = phrase.split()
        if "/" in words[-1]:
            out.extend(" ".join(words[:-1] + [alt]) for alt in words[-1].split("/") if alt)
        else:
            out.append(phrase)
    return out


def title_variants(title: str) -> list[str]:
    """Short singular job titles implied by an SOC or O*NET occupation title.

    "Heating, Air Conditioning, and Refrigeration Mechanics and Installers" ->
    ["Refrigeration Mechanic", "Heating Mechanic", "Air Conditioning Mechanic", ...]. A bare
    one-word head ("Teacher") is kept only when the title itself is that simple, and an
    "all other" residual gets none: either would pull every generic query towards it."""
    if _ALL_OTHER.search(title):  # a residual category is not "the" teacher, designer, ...
        return []
    text = _EXCEPT.sub("", title).strip()
    if not text:
        return []
    if " of " in text.lower():  # "First-Line Supervisors of Retail Sales Workers"
        i = text.lower().index(" of ")
        left = text[:i]
        return list(dict.fromkeys([_singular_phrase(left) + text[i:], _singular_phrase(left)])) if left.split() else []
    parts = [_LEADING_AND.sub("", p.strip()) for p in text.split(",") if p.strip()]
    if not parts:
        return []
    k = 0  # an Oxford-comma list before the head: "Heating, Air Conditioning, and Refrigeration Mechanics"
    while k < len(parts) - 1 and not _is_plural(parts[k].split()[-1]):
        k += 1
    head = " and ".join(parts[: k + 1])
    qualifiers = parts[k + 1 :]
    named = [q for q in qualifiers if _is_plural(q.split()[-1])]  # "Physicians, Pathologists"
    qualifiers = [q for q in qualifiers if q not in named]
    phrases = _noun_phrases(head)
    simple = not qualifiers and not named and all(len(p.split()) == 1 for p in phrases)
    out = [_singular_phrase(q) for q in named]
    for phrase in phrases:
        one = _singular_phrase(phrase)
        if len(one.split()) > 1 or simple:
            out.append(one)
        out.extend(f"{q} {one}" for q in qualifiers)
    return list(dict.fromkeys(out))


# ---- the views -------------------------------------------------------------------------------


def name_views(socs: list[SocOccupation]) -> tuple[list[str], list[int], list[int]]:
    """Title texts per SOC row (deduplicated within an occupation) and their kinds."""
    texts: list[str] = []
    owners: list[int] = []
    kinds: list[int] = []
    for row, occ in enumerate(socs):
        seen: set[str] = set()
        candidates = [(occ.title, VIEW_SOC_TITLE)] + [(t, VIEW_ONET_TITLE) for t in occ.onet_titles]
        candidates += [(v, VIEW_VARIANT) for t in [occ.title, *occ.onet_titles] for v in title_variants(t)]
        for text, kind in candidates:
            key = fold(text)
            if key and key not in seen:
                seen.add(key)
                texts.append(text)
                owners.append(row)
                kinds.append(kind)
    return texts, owners, kinds


def context_views(
    socs: list[SocOccupation], onet: list[OnetOccupation], field: str, count: int
) -> tuple[list[str], list[int]]:
    """'<O*NET title>: <first `count` tasks or activities>' per O*NET occupation; the bare
    title for SOC occupations O*NET does not describe."""
    rows = {occ.code: i for i, occ in enumerate(socs)}
    texts: list[str] = []
    owners: list[int] = []
    covered: set[int] = set()
    for occ in onet:
        row = rows.get(occ.soc)
        if row is None:
            continue
        items = getattr(occ, field)[:count]
        texts.append(f"{occ.title}: {' '.join(items)}" if items else occ.title)
        owners.append(row)
        covered.add(row)
    for row, occ in enumerate(socs):
        if row not in covered:
            texts.append(occ.title)
            owners.append(row)
    return texts, owners


def esco_names(occupations: list[EscoOccupation]) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    owners: list[int] = []
    for row, occ in enumerate(occupations):
        seen: set[str] = set()
        for name in [occ.label, *occ.alt_labels]:
            key = fold(name)
            if key and key not in seen and len(seen) < MAX_ESCO_NAMES:
                seen.add(key)
                texts.append(name)
                owners.append(row)
    return texts, owners


def lexicon(
    socs: list[SocOccupation],
    names: list[str],
    name_owner: list[int],
    esco_texts: list[str],
    esco_soc: np.ndarray,
) -> dict[str, list[list[str]]]:
    """Sorted distinct `title_words` per SOC row: of its names and bridged ESCO names
    (`esco_soc[i]` is the SOC row of esco_texts[i], -1 when not bridged), and of its tasks and
    work activities."""
    by_names: list[set[str]] = [set() for _ in socs]
    for text, row in zip(names, name_owner):
        by_names[row].update(title_words(text))
    for text, row in zip(esco_texts, esco_soc):
        if row >= 0:
            by_names[row].update(title_words(text))
    by_tasks = [set(title_words(" ".join(occ.tasks + occ.activities))) for occ in socs]
    return {"names": [sorted(w) for w in by_names], "tasks": [sorted(w) for w in by_tasks]}


def bridge(
    onet_only: TitleNormalizer,
    name_vectors: np.ndarray,
    name_owner: np.ndarray,
    definition_vectors: np.ndarray,
    has_definition: np.ndarray,
    n_esco: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ESCO row -> (best SOC row, its bridge score, margin over the runner-up).

    `onet_only` scores against the SOC occupations without any ESCO names, so an ESCO
    occupation is never bridged by its own names."""
    n_soc = len(onet_only.socs)
    by_names = np.zeros((n_esco, n_soc), np.float32)
    for start in range(0, len(name_vectors), BRIDGE_BATCH):
        block = onet_only.score_vectors(name_vectors[start : start + BRIDGE_BATCH])
        np.add.at(by_names, name_owner[start : start + BRIDGE_BATCH], block)
    counts = np.bincount(name_owner, minlength=n_esco).astype(np.float32)
    by_names /= np.maximum(counts, 1)[:, None]
    c = onet_only.config
    by_definition = np.zeros((n_esco, n_soc), np.float32)
    for start in range(0, n_esco, BRIDGE_BATCH):
        block = definition_vectors[start : start + BRIDGE_BATCH]
        scores = c.context * onet_only.channel_scores("context", block)
        scores += c.activity * onet_only.channel_scores("activity", block)
        by_definition[start : start + BRIDGE_BATCH] = scores / (c.context + c.activity)
    by_definition[~has_definition] = 0.0
    total = by_names + DEFINITION_WEIGHT * by_definition
    best = np.argmax(total, axis=1)
    top2 = -np.partition(-total, 1, axis=1)[:, :2]
    first, second = top2.max(axis=1), top2.min(axis=1)
    return best.astype(np.int32), first, first - second


# ---- the build ---------------------------------------------------------------------------------


def read_soc_titles() -> dict[str, str]:
    """The OEWS detailed occupations (code -> title) from the packaged OEWS database."""
    with tempfile.TemporaryDirectory(prefix="oews-titles-") as tmp:
        conn = open_packaged_oews(Path(tmp))
        try:
            return detailed_occupations(conn)
        finally:
            conn.close()


def _no_esco(dim: int) -> dict[str, np.ndarray]:
    return {
        "esco_vectors": np.zeros((0, dim), np.float32),
        "esco_owner": np.zeros(0, np.int32),
        "esco_link": np.zeros(0, np.int32),
    }


def _default_esco() -> list[EscoOccupation]:
    from training.sources.esco_packaged import read_packaged_occupations

    return read_packaged_occupations()


def build_titles(
    pack_dir: Path,
    encoder: Encoder,
    occupations: Callable[[], list[EscoOccupation]] | None = None,
    source_inputs: dict[str, str] | None = None,
    force: bool = False,
) -> tuple[dict, bool]:
    """Build pack_dir/titles unless current. `occupations` (ESCO, called only when a build is
    needed) defaults to the packaged ESCO occupations, `source_inputs` to their fingerprint."""
    if occupations is None:
        occupations = _default_esco
        source_inputs = source_inputs or {"esco_occupations": input_fingerprint(*ESCO_OCCUPATIONS_CSV)}
    config = ScoringConfig()
    inputs = {
        **(source_inputs or {}),
        "onet": input_fingerprint(*ONET_TASK_DWA),
        "oews": input_fingerprint(*OEWS_SQLITE_GZ),
        "encoder": encoder.fingerprint,
        "method": METHOD,
        "config": ",".join(f"{k}={v}" for k, v in sorted(config.to_dict().items())),
        "bridge": f"margin>={BRIDGE_MIN_MARGIN},definition={DEFINITION_WEIGHT},names<={MAX_ESCO_NAMES}",
        "views": f"tasks={CONTEXT_TASKS},activities={CONTEXT_ACTIVITIES}",
    }

    def write(tmp: Path) -> dict:
        started = time.time()
        onet = read_onet_table()
        socs = read_onet_occupations(read_soc_titles(), onet)
        esco = [o for o in occupations() if o.label]
        names, name_owner, name_kind = name_views(socs)
        contexts, context_owner = context_views(socs, onet, "tasks", CONTEXT_TASKS)
        activities, activity_owner = context_views(socs, onet, "activities", CONTEXT_ACTIVITIES)
        e_names, e_owner = esco_names(esco)
        definitions = [o.definition or o.label for o in esco]
        arrays = {
            "name_vectors": encoder.encode(names),
            "name_owner": np.asarray(name_owner, np.int32),
            "name_kind": np.asarray(name_kind, np.int8),
            "context_vectors": encoder.encode(contexts),
            "context_owner": np.asarray(context_owner, np.int32),
            "activity_vectors": encoder.encode(activities),
            "activity_owner": np.asarray(activity_owner, np.int32),
            "esco_vectors": encoder.encode(e_names),  # saved as the FAISS index below
            "esco_owner": np.asarray(e_owner, np.int32),
            "esco_link": np.full(len(esco), -1, np.int32),
            "soc_described": np.asarray([bool(o.tasks) for o in socs], np.int8),
        }
        definition_vectors = encoder.encode(definitions)
        encoded = time.time() - started
        soc_records = [{"code": o.code, "title": o.title, "onet_titles": o.onet_titles} for o in socs]
        # the bridge scores ESCO occupations against O*NET evidence alone, every SOC row equal
        soc_only = {**arrays, **_no_esco(encoder.dim), "soc_described": np.ones(len(socs), np.int8)}
        onet_only = TitleNormalizer(soc_records, [], soc_only, encoder, config)
        esco_records = []
        linked = 0
        if esco:
            has_definition = np.array([bool(o.definition) for o in esco])
            best, score, margin = bridge(
                onet_only, arrays["esco_vectors"], arrays["esco_owner"], definition_vectors, has_definition, len(esco)
            )
            keep = margin >= BRIDGE_MIN_MARGIN
            arrays["esco_link"] = np.where(keep, best, -1).astype(np.int32)
            linked = int(keep.sum())
            for i, occ in enumerate(esco):
                esco_records.append(
                    {
                        "id": occ.id,
                        "label": occ.label,
                        "soc": socs[best[i]].code if keep[i] else None,
                        "soc_candidate": socs[best[i]].code,
                        "bridge_score": round(float(score[i]), 4),
                        "bridge_margin": round(float(margin[i]), 4),
                    }
                )
        for name, dtype in ARRAYS.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(arrays[name], dtype=dtype), allow_pickle=False)
        esco_index = FaissIndex(encoder.dim, "flat")
        esco_index.add(np.arange(len(e_names)), arrays["esco_vectors"])
        esco_index.save(tmp / ESCO_INDEX_FILE)
        artifacts.write_json(tmp / SOCS_FILE, soc_records)
        artifacts.write_json(tmp / WORK_FILE, [{"code": o.code, "tasks": o.tasks, "activities": o.activities} for o in socs])
        artifacts.write_json(tmp / ESCO_FILE, esco_records)
        artifacts.write_json(tmp / CONFIG_FILE, config.to_dict())
        esco_soc = arrays["esco_link"][arrays["esco_owner"]] if len(esco) else np.zeros(0, np.int32)
        artifacts.write_json(tmp / LEXICON_FILE, lexicon(socs, names, name_owner, e_names, esco_soc))
        log.info("titles: %d SOC, %d ESCO (%d bridged), encoded in %.0fs", len(socs), len(esco), linked, encoded)
        return {
            "encoder": encoder.fingerprint,
            "dimension": encoder.dim,
            "method": METHOD,
            "counts": {
                "soc_occupations": len(socs),
                "name_vectors": len(names),
                "context_vectors": len(contexts),
                "activity_vectors": len(activities),
                "esco_occupations": len(esco),
                "esco_names": len(e_names),
                "esco_bridged": linked,
            },
            "encode_seconds": round(encoded, 1),
        }

    return artifacts.build(Path(pack_dir) / KIND, KIND, inputs, write, force)
