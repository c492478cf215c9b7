"""Importer for the official ESCO CSV download (v1.2, English): skills, occupations, relations.

    skills_en.csv                    conceptType, conceptUri, skillType, reuseLevel, preferredLabel,
                                     altLabels, hiddenLabels, status, modifiedDate, scopeNote,
                                     definition, inScheme, description
    occupations_en.csv               conceptType, conceptUri, iscoGroup, preferredLabel, altLabels,
                                     hiddenLabels, status, modifiedDate, regulatedProfessionNote,
                                     scopeNote, definition, inScheme, description, code
    occupationSkillRelations_en.csv  occupationUri, relationType, skillType, skillUri   (optional)

`altLabels` is one quoted cell holding the alternative labels one per line. The text of a
concept is its `definition`, or its `description` when the definition is empty. Relations give
EscoOccupation.skills: 2 for an essential skill, 1 for an optional one.

Files may be gzip-compressed (`.csv.gz`, as the repository vendors them), may start with a UTF-8 byte-order mark and carry columns beyond these; a missing
required column raises ValueError naming the file and the column.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

from models.core.artifacts import sha256_file
from models.reference.taxonomy import EscoOccupation, Skill
from training.sources.files import find, open_text

SKILLS_FILE = "skills_en.csv"
OCCUPATIONS_FILE = "occupations_en.csv"
RELATIONS_FILE = "occupationSkillRelations_en.csv"

# columns without which a file cannot be read; `definition`/`description` are checked apart
_SKILL_COLUMNS = ("conceptUri", "preferredLabel", "altLabels")
_OCCUPATION_COLUMNS = ("conceptUri", "preferredLabel", "altLabels")
_TEXT_COLUMNS = ("definition", "description")
_RELATION_COLUMNS = ("occupationUri", "relationType", "skillUri")
RELATION_GRADES = {"essential": 2, "optional": 1}


def _rows(path: Path, required: tuple[str, ...], text_columns: tuple[str, ...] = ()) -> Iterator[dict[str, str]]:
    """Rows of an ESCO CSV file as dicts of stripped strings, after checking its header."""
    # utf-8-sig drops a byte-order mark; newline="" keeps line breaks inside quoted cells
    with open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise ValueError(f"{path}: empty file, expected columns {', '.join(required)}") from None
        for column in required:
            if column not in header:
                raise ValueError(f"{path}: missing required column {column!r}")
        if text_columns and not any(c in header for c in text_columns):
            raise ValueError(f"{path}: missing required column {' or '.join(map(repr, text_columns))}")
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            cells = cells + [""] * (len(header) - len(cells))
            yield {name: cell.strip() for name, cell in zip(header, cells)}


def split_alt_labels(cell: str, preferred: str = "") -> list[str]:
    """The labels of an altLabels cell (one per line), trimmed, without duplicates or the
    preferred label."""
    out: list[str] = []
    for line in cell.splitlines():
        label = " ".join(line.split())
        if label and label != preferred and label not in out:
            out.append(label)
    return out


def _text(row: dict[str, str]) -> str:
    return row.get("definition", "") or row.get("description", "")


def read_esco_skills(path: Path) -> list[Skill]:
    skills = []
    for row in _rows(Path(path), _SKILL_COLUMNS, _TEXT_COLUMNS):
        label = " ".join(row["preferredLabel"].split())
        skills.append(
            Skill(
                id=row["conceptUri"],
                label=label,
                alt_labels=split_alt_labels(row["altLabels"], label),
                definition=_text(row),
                skill_type=row.get("skillType", ""),
            )
        )
    return skills


def read_esco_occupations(path: Path) -> list[EscoOccupation]:
    occupations = []
    for row in _rows(Path(path), _OCCUPATION_COLUMNS, _TEXT_COLUMNS):
        label = " ".join(row["preferredLabel"].split())
        occupations.append(
            EscoOccupation(
                id=row["conceptUri"],
                label=label,
                alt_labels=split_alt_labels(row["altLabels"], label),
                definition=_text(row),
                isco_group=row.get("iscoGroup", ""),
            )
        )
    return occupations


def read_relations(path: Path) -> dict[str, dict[str, int]]:
    """occupation URI -> {skill URI: 2 essential | 1 optional}; essential wins a duplicate."""
    path = Path(path)
    relations: dict[str, dict[str, int]] = {}
    for number, row in enumerate(_rows(path, _RELATION_COLUMNS), start=1):
        kind = row["relationType"].lower()
        if kind not in RELATION_GRADES:
            raise ValueError(f"{path}: relation {number}: unknown relationType {row['relationType']!r}")
        skills = relations.setdefault(row["occupationUri"], {})
        skills[row["skillUri"]] = max(skills.get(row["skillUri"], 0), RELATION_GRADES[kind])
    return relations


def read_esco_dir(path: Path) -> tuple[list[Skill], list[EscoOccupation]]:
    """Skills and occupations of an official ESCO CSV download directory, in file order.

    Relations are attached when occupationSkillRelations_en.csv is present; relations to
    occupations the occupations file does not list are ignored."""
    path = Path(path)
    missing = [name for name in (SKILLS_FILE, OCCUPATIONS_FILE) if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{path} lacks ESCO file(s): {', '.join(missing)}")
    skills = read_esco_skills(path / SKILLS_FILE)
    occupations = read_esco_occupations(path / OCCUPATIONS_FILE)
    if (path / RELATIONS_FILE).is_file():
        relations = read_relations(path / RELATIONS_FILE)
        for occupation in occupations:
            occupation.skills = dict(relations.get(occupation.id, {}))
    return skills, occupations


def esco_dir_fingerprint(path: Path) -> str:
    """sha256 over the names and contents of the ESCO files the importer reads, for manifests."""
    path = Path(path)
    digest = hashlib.sha256()
    for name in (SKILLS_FILE, OCCUPATIONS_FILE, RELATIONS_FILE, BROADER_FILE):
        if (path / name).is_file():
            digest.update(f"{name}\0{sha256_file(path / name)}\n".encode())
    return digest.hexdigest()


BROADER_FILE = "broaderRelationsOccPillar_en.csv"


def read_broader(path: Path) -> dict[str, str]:
    """occupation URI -> broader occupation URI, from broaderRelationsOccPillar_en.csv when the
    download directory has it (else empty: no inheritance through the hierarchy)."""
    try:
        path = find(path, BROADER_FILE)
    except FileNotFoundError:
        return {}
    return {
        row["conceptUri"]: row["broaderUri"]
        for row in _rows(path, ("conceptType", "conceptUri", "broaderType", "broaderUri"))
        if row["conceptType"] == "Occupation" and row["broaderType"] == "Occupation"
    }
