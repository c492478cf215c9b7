"""Titles artifact: job title -> SOC 2018 detailed occupations, and -> ESCO occupations.

Every SOC occupation gets vectors in three channels (models/reference/occupations.py scores them):

- names: the OEWS title, the O*NET-SOC titles that roll up to it and the short singular job
  titles they imply ("Buyers and Purchasing Agents, Farm Products" -> "Farm Products Buyer",
  "Purchasing Agent", ...), plus the names of the ESCO occupations bridged to it;
- context: per O*NET-SOC occupation its title followed by its first task statements;
- activities: per O*NET-SOC occupation its title followed by its detailed work activities.
SOC occupations O*NET does not describe use their title in every channel.

Beside the vectors, the artifact keeps each SOC occupation's words (lexicon.json): those of
its names (bridged ESCO names included) and those of all its O*NET tasks and work activities,
for the lexical coverage the normaliser adds to the dense score.

Known titles and the title classifier: every name view and every O*NET alternate title
(56,000), cleaned, indexed lexically and by their vectors, and a logistic regression fitted on
them (models/reference/title_classifier.py, training/fit_title_classifier.py).

The ESCO bridge comes from the crosswalks (training/sources/crosswalks.py); each SOC
occupation's job zone and related occupations from O*NET (facts.json).
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.core import artifacts
from models.core.encoder import Encoder
from models.core.index import FaissIndex
from models.core.text import fold
from models.core.title_text import TitleCleaner, singular, title_words
from models.reference.occupations import (
    ARRAYS,
    CONFIG_FILE,
    ESCO_FILE,
    ESCO_INDEX_FILE,
    FACTS_FILE,
    FOLDING_FILE,
    KIND,
    LEXICON_FILE,
    SOCS_FILE,
    VIEW_ONET_TITLE,
    VIEW_SOC_TITLE,
    VIEW_VARIANT,
    WORK_FILE,
    ScoringConfig,
    TitleNormalizer,
)
from models.reference.taxonomy import EscoOccupation, SocOccupation
from models.reference.title_classifier import KnownTitles, TitleClassifier, char_vectorizer, word_vectorizer
from training import progress
from training.fit_title_classifier import IN_INDEX_SHARE, QUERIES, SEED, fit_title_classifier
from training.sources import crosswalks, esco_vendored, onet_db
from training.sources.oews import detailed_occupations, national_employment, open_packaged_oews
from training.sources.onet import OnetOccupation, fold_codes, read_onet_occupations, read_onet_table
from training.sources.onet_db import OnetDatabase, folded, read_onet
from training.sources.packaged import OEWS_SQLITE_GZ, ONET_TASK_DWA, input_fingerprint

log = logging.getLogger(__name__)

# v2: lexicon.json (words per occupation) for lexical coverage; v3: ESCO names as a FAISS index
# (esco_names.faiss), O*NET tasks and work activities per SOC occupation (work.json); v4: known
# titles and the title classifier, the ESCO bridge from crosswalks, job facts (facts.json); v5:
# O*NET occupations OEWS does not publish filed under the OEWS occupation containing them; v6:
# job zones from the main O*NET occupation; v7: shift words kept in cleaned titles; v9: the
# classifier's modifier feature
METHOD = "titles-v9"
CONTEXT_TASKS = 6  # task statements after the title in a context view
CONTEXT_ACTIVITIES = 8  # work activities after the title in an activity view
MAX_ESCO_NAMES = 12  # preferred + alternative labels embedded per ESCO occupation


# ---- short job titles implied by an occupation title ---------------------------------------

_EXCEPT = re.compile(r",?\s+(?:except|including|excluding)\b.*$", re.IGNORECASE)
_ALL_OTHER = re.compile(r",\s*all other.*$", re.IGNORECASE)
_LEADING_AND = re.compile(r"^(?:and|or)\s+", re.IGNORECASE)


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


def known_titles(
    socs: list[SocOccupation], names: list[str], name_owner: list[int], onet: OnetDatabase, cleaner: TitleCleaner
) -> tuple[list[str], list[int]]:
    """The classifier's known titles: every name view and every O*NET alternate title of a
    SOC occupation the pack knows, cleaned and lower-cased, each (title, occupation) once."""
    row_of = {o.code: i for i, o in enumerate(socs)}
    pairs = list(zip(names, name_owner)) + [(t, row_of[soc]) for t, soc in onet.alternate_titles if soc in row_of]
    seen: set[tuple[str, int]] = set()
    texts, owners = [], []
    for text, row in pairs:
        key = (cleaner.clean(text).lower(), int(row))
        if key[0] and key not in seen:
            seen.add(key)
            texts.append(key[0])
            owners.append(key[1])
    return texts, owners


def title_lookup(
    texts: list[str], owners: list[int], socs: list[SocOccupation], cleaner: TitleCleaner
) -> Callable[[str], str]:
    """title -> SOC code of the most similar known title (character TF-IDF): re-codes the SOC
    2010 occupations of the crosswalks that SOC 2018 renumbered, by their title."""
    vectorizer = char_vectorizer()
    matrix = vectorizer.fit_transform(texts)

    def lookup(title: str) -> str:
        sims = (vectorizer.transform([cleaner.clean(title).lower()]) @ matrix.T).toarray()[0]
        return socs[owners[int(np.argmax(sims))]].code

    return lookup


def esco_bridge(
    socs: list[SocOccupation],
    esco: list[EscoOccupation],
    broader: dict[str, str],
    onet: OnetDatabase,
    lookup: Callable[[str], str],
    crosswalk_dir: Path | None = None,
) -> dict[str, list[crosswalks.Link]]:
    """ESCO URI -> its links to SOC codes (training/sources/crosswalks.py). The crosswalks
    speak SOC 2010; a code SOC 2018 no longer has is re-coded by its title."""
    codes = {o.code for o in socs}
    nesta = {}
    titles_2010 = crosswalks.read_nesta_titles(crosswalk_dir)
    for uri, (code, confidence) in crosswalks.read_nesta(crosswalk_dir).items():
        nesta[uri] = (code if code in codes else lookup(titles_2010[uri]), confidence)
    isco = {}
    for (code, title), groups in crosswalks.read_isco_soc_titled(crosswalk_dir).items():
        isco.setdefault(code if code in codes else lookup(title), set()).update(groups)
    soc_titles = {o.code: [o.title, *o.onet_titles] for o in socs}
    for title, soc in onet.alternate_titles:
        if soc in soc_titles:
            soc_titles[soc].append(title)
    records = [{"id": o.id, "label": o.label, "alt_labels": o.alt_labels, "isco_group": o.isco_group} for o in esco]
    return crosswalks.bridge(records, broader, soc_titles, nesta, isco)


def job_facts(socs: list[SocOccupation], onet: OnetDatabase) -> dict[str, dict]:
    """Per SOC code: its preparation level (O*NET job zone, 1 little preparation ... 5
    extensive: that of its main O*NET occupation, "29-1141.00", else the mean of its O*NET
    occupations, since specialities such as nurse anesthetists sit higher) and its related
    occupations, closest first, as [code, tier] with tier 0 Primary-Short, 1 Primary-Long,
    2 Supplemental."""
    known = {o.code for o in socs}
    facts = {}
    for o in socs:
        by_code = onet.job_zones.get(o.code, {})
        zones = [by_code[f"{o.code}.00"]] if f"{o.code}.00" in by_code else list(by_code.values())
        related: dict[str, tuple[int, int]] = {}
        for code, tier, index in onet.related.get(o.code, []):
            if code in known and code != o.code and (code not in related or (tier, index) < related[code]):
                related[code] = (tier, index)
        facts[o.code] = {
            "job_zone": round(sum(zones) / len(zones), 2) if zones else None,
            "related": [[code, t] for code, (t, _) in sorted(related.items(), key=lambda kv: kv[1])],
        }
    return facts


def employment_prior(socs: list[SocOccupation]) -> np.ndarray:
    """log10 of each occupation's national employment (100 added, so an occupation OEWS does
    not publish still has a small prior)."""
    with tempfile.TemporaryDirectory(prefix="oews-prior-") as tmp:
        conn = open_packaged_oews(Path(tmp))
        try:
            employment = national_employment(conn)
        finally:
            conn.close()
    return np.log10(np.asarray([employment.get(o.code, 0.0) for o in socs]) + 100.0).astype(np.float32)


# ---- the build ---------------------------------------------------------------------------------


def read_soc_titles() -> dict[str, str]:
    """The OEWS detailed occupations (code -> title) from the packaged OEWS database."""
    with tempfile.TemporaryDirectory(prefix="oews-titles-") as tmp:
        conn = open_packaged_oews(Path(tmp))
        try:
            return detailed_occupations(conn)
        finally:
            conn.close()


def _default_esco() -> list[EscoOccupation]:
    from training.sources.esco_vendored import read_occupations

    return read_occupations()


def _default_broader() -> dict[str, str]:
    from training.sources.esco_vendored import read_broader

    return read_broader()


def build_titles(
    pack_dir: Path,
    encoder: Encoder,
    occupations: Callable[[], list[EscoOccupation]] | None = None,
    source_inputs: dict[str, str] | None = None,
    force: bool = False,
    onet_dir: Path | None = None,
    broader: Callable[[], dict[str, str]] | None = None,
) -> tuple[dict, bool]:
    """Build pack_dir/titles unless current. `occupations` (ESCO, called only when a build is
    needed) default to the vendored ESCO 1.2 occupations and `broader` to their hierarchy;
    `onet_dir` to the vendored O*NET database."""
    if occupations is None:
        occupations, broader = _default_esco, _default_broader
        source_inputs = source_inputs or {"esco_occupations": esco_vendored.fingerprint()}
    hierarchy = "esco-hierarchy" if broader else "none"
    broader = broader or (dict)
    config = ScoringConfig()
    inputs = {
        **(source_inputs or {}),
        "onet_tasks": input_fingerprint(*ONET_TASK_DWA),
        "onet": onet_db.fingerprint(onet_dir or onet_db.VENDORED_DIR),
        "crosswalks": crosswalks.fingerprint(),
        "oews": input_fingerprint(*OEWS_SQLITE_GZ),
        "encoder": encoder.fingerprint,
        "method": METHOD,
        "config": ",".join(f"{k}={v}" for k, v in sorted(config.to_dict().items())),
        "views": f"tasks={CONTEXT_TASKS},activities={CONTEXT_ACTIVITIES},esco_names<={MAX_ESCO_NAMES}",
        "classifier": f"queries={QUERIES},in_index={IN_INDEX_SHARE},seed={SEED}",
        "broader": hierarchy,
    }

    def write(tmp: Path) -> dict:
        started = time.time()
        tasks = read_onet_table()
        raw = read_onet(onet_dir)
        soc_titles = read_soc_titles()
        onet_titles = {code[:7]: title for code, title in sorted(raw.titles.items(), reverse=True)}
        folding = fold_codes({o.soc for o in tasks} | set(onet_titles), soc_titles, onet_titles)
        onet = folded(raw, folding)
        socs = read_onet_occupations(soc_titles, tasks, folding)
        esco = [o for o in occupations() if o.label]
        names, name_owner, name_kind = name_views(socs)
        contexts, context_owner = context_views(socs, tasks, "tasks", CONTEXT_TASKS)
        activities, activity_owner = context_views(socs, tasks, "activities", CONTEXT_ACTIVITIES)
        e_names, e_owner = esco_names(esco)
        cleaner = TitleCleaner.learn(
            names + [t for t, _ in onet.alternate_titles],
            texts=[*onet.descriptions.values(), *(o.definition for o in esco), *(t for o in socs for t in o.tasks)],
        )
        known, known_owner = known_titles(socs, names, name_owner, onet, cleaner)
        arrays = {
            "name_vectors": progress.encode(encoder, names, "titles: occupation names"),
            "name_owner": np.asarray(name_owner, np.int32),
            "name_kind": np.asarray(name_kind, np.int8),
            "context_vectors": progress.encode(encoder, contexts, "titles: tasks"),
            "context_owner": np.asarray(context_owner, np.int32),
            "activity_vectors": progress.encode(encoder, activities, "titles: work activities"),
            "activity_owner": np.asarray(activity_owner, np.int32),
            "esco_vectors": progress.encode(
                encoder, e_names, "titles: ESCO occupation names"
            ),  # saved as the FAISS index
            "esco_owner": np.asarray(e_owner, np.int32),
            "soc_described": np.asarray([bool(o.tasks) for o in socs], np.int8),
        }
        distinct = list(dict.fromkeys(known))  # a title of several occupations is encoded once
        distinct_vectors = progress.encode(encoder, distinct, "titles: known job titles")
        row_of_text = {text: i for i, text in enumerate(distinct)}
        known_vectors = distinct_vectors[[row_of_text[t] for t in known]]
        encoded = time.time() - started

        links = esco_bridge(socs, esco, broader(), onet, title_lookup(known, known_owner, socs, cleaner))
        row_of = {o.code: i for i, o in enumerate(socs)}
        arrays["esco_link"] = np.asarray([row_of[links[o.id][0].soc] if o.id in links else -1 for o in esco], np.int32)
        esco_records = [
            {
                "id": o.id,
                "label": o.label,
                "soc": links[o.id][0].soc if o.id in links else None,
                "links": [{"soc": k.soc, "how": k.how, "weight": k.weight} for k in links.get(o.id, [])],
            }
            for o in esco
        ]
        soc_records = [{"code": o.code, "title": o.title, "onet_titles": o.onet_titles} for o in socs]
        classifier = TitleClassifier(
            KnownTitles(
                known,
                np.asarray(known_owner, np.int32),
                len(socs),
                known_vectors,
                char_vectorizer().fit(known),
                word_vectorizer().fit(known),
            ),
            cleaner,
            employment_prior(socs),
            None,
        )
        esco_soc = arrays["esco_link"][arrays["esco_owner"]] if len(esco) else np.zeros(0, np.int32)
        words = lexicon(socs, names, name_owner, e_names, esco_soc)
        facts = job_facts(socs, onet)
        normalizer = TitleNormalizer(
            soc_records, esco_records, arrays, encoder, config, words, None, None, classifier, facts
        )
        log.info("titles: fitting the title classifier on %d known titles", QUERIES)
        classifier.weights, fit_report = fit_title_classifier(normalizer)

        for name, dtype in ARRAYS.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(arrays[name], dtype=dtype), allow_pickle=False)
        esco_index = FaissIndex(encoder.dim, "flat")
        esco_index.add(np.arange(len(e_names)), arrays["esco_vectors"])
        esco_index.save(tmp / ESCO_INDEX_FILE)
        classifier.save(tmp)
        artifacts.write_json(tmp / SOCS_FILE, soc_records)
        artifacts.write_json(
            tmp / WORK_FILE, [{"code": o.code, "tasks": o.tasks, "activities": o.activities} for o in socs]
        )
        artifacts.write_json(tmp / ESCO_FILE, esco_records)
        artifacts.write_json(tmp / CONFIG_FILE, config.to_dict())
        artifacts.write_json(tmp / LEXICON_FILE, words)
        artifacts.write_json(tmp / FACTS_FILE, facts)
        artifacts.write_json(tmp / FOLDING_FILE, {c: t for c, t in sorted(folding.items()) if c != t})
        linked = sum(1 for o in esco if o.id in links)
        reached = {k.soc for found in links.values() for k in found}
        return {
            "encoder": encoder.fingerprint,
            "dimension": encoder.dim,
            "method": METHOD,
            "counts": {
                "soc_occupations": len(socs),
                "name_vectors": len(names),
                "context_vectors": len(contexts),
                "activity_vectors": len(activities),
                "known_titles": len(known),
                "esco_occupations": len(esco),
                "esco_names": len(e_names),
                "esco_bridged": linked,
                "socs_with_esco": len(reached),
            },
            "classifier": fit_report,
            "encode_seconds": round(encoded, 1),
        }

    return artifacts.build(Path(pack_dir) / KIND, KIND, inputs, write, force)
