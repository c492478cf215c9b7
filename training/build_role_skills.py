"""Role skills artifact: for every SOC occupation, the skills its market role requires and
would welcome (models/skill_space.py), ranked once here rather than inside a request.

Inputs are the taxonomy and titles artifacts (their file checksums) and the ranking method,
so it is rebuilt whenever either changes. ~850 titles, a few minutes on 2 cores.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from models import artifacts
from models.encoder import Encoder
from models.occupations import TitleNormalizer
from models.skill_space import ROLE_NICE, ROLE_REQUIRED, ROLE_SKILLS_FILE, ROLE_SKILLS_KIND, role_skills_of
from models.skills import SkillCatalog
from models.title_skills import TitleSkillRanker

METHOD = "role-skills-v1"


def _files_digest(directory: Path) -> str:
    files = artifacts.read_manifest(directory)["files"]
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def build_role_skills(pack_dir: Path, encoder: Encoder, force: bool = False) -> tuple[dict, bool]:
    pack_dir = Path(pack_dir)
    inputs = {
        "taxonomy": _files_digest(pack_dir / "taxonomy"),
        "titles": _files_digest(pack_dir / "titles"),
        "method": METHOD,
        "sizes": f"{ROLE_REQUIRED}+{ROLE_NICE}",
    }

    def write(tmp: Path) -> dict:
        skills = SkillCatalog.load(pack_dir / "taxonomy", encoder, pack_dir / "skill_ann")
        titles = TitleNormalizer.load(pack_dir / "titles", encoder)
        ranker = TitleSkillRanker(skills, titles)
        table = {}
        for soc in titles.socs:
            required, nice = role_skills_of(ranker, soc["title"])
            table[soc["code"]] = {"required": list(required), "nice": list(nice)}
        artifacts.write_json(tmp / ROLE_SKILLS_FILE, table)
        return {"counts": {"socs": len(table)}}

    return artifacts.build(pack_dir / ROLE_SKILLS_KIND, ROLE_SKILLS_KIND, inputs, write, force)
