"""ESCO v1.2.0 as the repository vendors it (data/esco-1.2.0/, official CSV files gzipped).

- `occupations_en.csv.gz`: the 3,039 occupations with ISCO group, labels and definitions
  (read by the official importer, esco_official);
- `occupation_skill_relations_by_label.tsv.gz`: the official occupation-skill relations
  (`occupationUri`, `occupationLabel`, `relationType`, `skillLabel`), the skill named by its
  preferred label rather than its URI;
- `broaderRelationsOccPillar_en.csv.gz`: occupation -> broader occupation or ISCO group;
- the skill collections (digital, green, transversal, language): clean label, alternative
  labels and description of the skills they hold.

The vendored files carry no full skill list, so skills come from the packaged run-together
strings (esco_packaged). ESCO 1.2's preferred labels, known from the relations and the
collections, correct the splitter where it took a label too long or too short
("computer programming DIBOL Seed7 ..." -> "computer programming"), and a relation's skill
label is then resolved to its URI through the corrected catalogue.

ESCO, © European Union, https://esco.ec.europa.eu, CC BY 4.0.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections import defaultdict
from pathlib import Path

from models.core.artifacts import sha256_file
from models.core.text import fold
from models.reference.taxonomy import EscoOccupation, Skill
from training.sources import esco_official
from training.sources.esco_official import RELATION_GRADES, split_alt_labels
from training.sources.files import open_text

log = logging.getLogger(__name__)

VENDORED_DIR = Path(__file__).resolve().parents[2] / "data" / "esco-1.2.0"
VERSION = "1.2.0"
OCCUPATIONS = "occupations_en.csv.gz"
RELATIONS_BY_LABEL = "occupation_skill_relations_by_label.tsv.gz"
BROADER = "broaderRelationsOccPillar_en.csv.gz"
COLLECTIONS = (
    "digitalSkillsCollection_en.csv.gz",
    "greenSkillsCollection_en.csv.gz",
    "transversalSkillsCollection_en.csv.gz",
    "languageSkillsCollection_en.csv.gz",
)
FILES = (OCCUPATIONS, RELATIONS_BY_LABEL, BROADER, *COLLECTIONS)


def fingerprint(directory: Path | None = None) -> str:
    directory = Path(directory) if directory else VENDORED_DIR
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(f"{name}\0{sha256_file(directory / name)}\n".encode())
    return f"esco-{VERSION} sha256:{digest.hexdigest()[:16]}"


def read_occupations(directory: Path | None = None) -> list[EscoOccupation]:
    return esco_official.read_esco_occupations((Path(directory) if directory else VENDORED_DIR) / OCCUPATIONS)


def read_relations_by_label(directory: Path | None = None) -> dict[str, dict[str, int]]:
    """occupation URI -> {skill preferred label: 2 essential | 1 optional}."""
    directory = Path(directory) if directory else VENDORED_DIR
    out: dict[str, dict[str, int]] = {}
    with open_text(directory / RELATIONS_BY_LABEL) as fh:
        for number, row in enumerate(csv.DictReader(fh, delimiter="\t"), start=2):
            kind = (row.get("relationType") or "").strip().lower()
            if kind not in RELATION_GRADES:
                raise ValueError(f"{RELATIONS_BY_LABEL}:{number}: unknown relationType {row.get('relationType')!r}")
            label = " ".join((row.get("skillLabel") or "").split())
            skills = out.setdefault(row["occupationUri"].strip(), {})
            skills[label] = max(skills.get(label, 0), RELATION_GRADES[kind])
    return out


def read_broader(directory: Path | None = None) -> dict[str, str]:
    """occupation URI -> its broader occupation's URI (esco_official.read_broader)."""
    return esco_official.read_broader(Path(directory) if directory else VENDORED_DIR)


def read_collections(directory: Path | None = None) -> dict[str, Skill]:
    """The skills of the ESCO collections, by URI, as ESCO writes them."""
    directory = Path(directory) if directory else VENDORED_DIR
    out: dict[str, Skill] = {}
    for name in COLLECTIONS:
        with open_text(directory / name) as fh:
            for row in csv.DictReader(fh):
                label = " ".join(row["preferredLabel"].split())
                out[row["conceptUri"]] = Skill(
                    id=row["conceptUri"],
                    label=label,
                    alt_labels=split_alt_labels(row.get("altLabels", "").replace(" | ", "\n"), label),
                    definition=" ".join((row.get("description") or "").split()),
                    skill_type=row.get("skillType", ""),
                )
    return out


def correct_labels(
    raw: list[tuple[str, str]],
    split: dict[str, tuple[str, list[str], str]],
    known: set[str],
    authoritative: dict[str, Skill],
    segment,
) -> list[Skill]:
    """Skills from packaged strings with their ESCO 1.2 preferred labels put right.

    `raw` is (URI, run-together string) in file order, `split` the splitter's (label,
    alternatives, definition) of each, `known` the preferred labels ESCO 1.2 is known to use,
    `authoritative` the skills whose fields ESCO gives directly (collections), and
    `segment(tokens, first_length)` the splitter's label segmentation. A splitter label that is a
    known label stays; otherwise the longest known label the string starts with, and that no
    other skill holds, becomes the label, and the words between it and the definition are cut
    into alternative labels again."""
    claimed = {label for label, _, _ in split.values() if label in known}
    claimed |= {s.label for s in authoritative.values()}
    by_first: dict[str, list[str]] = defaultdict(list)
    for label in known:
        if label:
            by_first[label.split()[0]].append(label)
    skills, corrected = [], 0
    for uri, text in raw:
        if uri in authoritative:
            skills.append(authoritative[uri])
            continue
        label, alternatives, definition = split[uri]
        if label not in known:
            tokens = text.split()
            prefixes = [
                k
                for k in by_first.get(tokens[0] if tokens else "", [])
                if (text == k or text.startswith(k + " ")) and k not in claimed
            ]
            if prefixes:
                label = max(prefixes, key=len)
                claimed.add(label)
                corrected += 1
                run_end = len(tokens) - len(definition.split())
                cut = [" ".join(t) for t in segment(tokens[:run_end], len(label.split()))]
                alternatives = [a for a in dict.fromkeys(cut[1:]) if a != label]
        skills.append(Skill(id=uri, label=label, alt_labels=alternatives, definition=definition))
    log.info(
        "ESCO %s labels: %d packaged skills corrected, %d taken from the collections",
        VERSION,
        corrected,
        sum(1 for uri, _ in raw if uri in authoritative),
    )
    return skills


def resolve_relations(
    by_label: dict[str, dict[str, int]], skills: list[Skill]
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """occupation URI -> {skill URI: grade}, resolving each label by preferred label, then by
    an alternative label that names a single skill; and the labels that did not resolve."""
    preferred: dict[str, str] = {}
    alternative: dict[str, set[str]] = defaultdict(set)
    for s in skills:
        preferred.setdefault(fold(s.label), s.id)
        for a in s.alt_labels:
            alternative[fold(a)].add(s.id)
    resolved: dict[str, dict[str, int]] = {}
    unresolved: set[str] = set()
    for occupation, relations in by_label.items():
        out = resolved.setdefault(occupation, {})
        for label, grade in relations.items():
            key = fold(label)
            uri = preferred.get(key)
            if uri is None and len(alternative.get(key, ())) == 1:
                uri = next(iter(alternative[key]))
            if uri is None:
                unresolved.add(label)
                continue
            out[uri] = max(out.get(uri, 0), grade)
    return resolved, sorted(unresolved)


def read_skills(directory: Path | None = None) -> list[Skill]:
    """The packaged ESCO skills (esco_packaged) with ESCO 1.2 labels put right (correct_labels)."""
    from training.sources import esco_packaged
    from training.sources.packaged import ESCO_SKILLS_CSV, data_file

    path = data_file(*ESCO_SKILLS_CSV)
    raw = esco_packaged.read_packaged_rows(path)
    splitter = esco_packaged.splitter_for(path)
    split = {uri: splitter.split(text) for uri, text in raw}
    collections = read_collections(directory)
    known = {label for relations in read_relations_by_label(directory).values() for label in relations}
    known |= {s.label for s in collections.values()}
    return correct_labels(raw, split, known, collections, splitter.segmenter.segment)


def read_esco(directory: Path | None = None) -> tuple[list[Skill], list[EscoOccupation]]:
    """Skills and occupations, the occupations with their resolved skill relations."""
    skills = read_skills(directory)
    occupations = read_occupations(directory)
    relations, unresolved = resolve_relations(read_relations_by_label(directory), skills)
    for occupation in occupations:
        occupation.skills = dict(relations.get(occupation.id, {}))
    log.info(
        "ESCO %s relations: %d skill labels did not resolve to a skill (%s ...)",
        VERSION,
        len(unresolved),
        ", ".join(unresolved[:5]),
    )
    return skills, occupations
