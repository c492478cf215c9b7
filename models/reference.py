"""The reference pack loaded for serving: encoder, skills, occupations/titles, regions."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from models import artifacts
from models.encoder import Encoder
from models.occupations import TitleNormalizer
from models.regions import RegionCatalog
from models.settings import Settings
from models.skill_space import ROLE_SKILLS_KIND, load_role_skills, role_skills_of
from models.skills import SkillCatalog
from models.title_skills import TitleSkillRanker

log = logging.getLogger(__name__)


@dataclass
class ReferenceData:
    encoder: Encoder
    skills: SkillCatalog
    titles: TitleNormalizer
    regions: RegionCatalog
    # SOC code -> (required, nice-to-have) skill ids of its market role, ranked at build time
    role_skills: dict | None = None

    @classmethod
    def load(cls, pack_dir: Path, encoder: Encoder | None = None, settings: Settings | None = None) -> "ReferenceData":
        """Load and verify every artifact of the pack (checksums, encoder identity). Without an
        encoder, the one `settings` name (default: the environment's settings)."""
        started = time.time()
        pack_dir = Path(pack_dir)
        if not pack_dir.exists():
            raise FileNotFoundError(f"no reference pack at {pack_dir}; build it with `python -m training.build_pack`")
        if encoder is None:
            encoder = Encoder(settings.encoder or None, precision=settings.encoder_precision) if settings else Encoder()
        data = cls(
            encoder=encoder,
            skills=SkillCatalog.load(pack_dir / "taxonomy", encoder, pack_dir / "skill_ann"),
            titles=TitleNormalizer.load(pack_dir / "titles", encoder),
            regions=RegionCatalog.load(pack_dir / "regions"),
        )
        if (pack_dir / ROLE_SKILLS_KIND / artifacts.MANIFEST).exists():
            data.role_skills = load_role_skills(pack_dir / ROLE_SKILLS_KIND)
        else:
            log.warning("%s has no role_skills: market roles will be ranked at request time", pack_dir)
        log.info("reference pack loaded from %s in %.1fs", pack_dir, time.time() - started)
        return data

    @property
    def title_skill_ranker(self) -> TitleSkillRanker:
        return TitleSkillRanker(self.skills, self.titles)

    def title_skills(self, title: str, k: int = 20) -> dict:
        return self.title_skill_ranker.rank(title, k)

    def title_skill_ids(self, title: str, k: int = 1000) -> list[str]:
        return self.title_skill_ranker.ranked_ids(title, k)

    def occupation(self, code: str) -> dict | None:
        """One SOC occupation as the pack knows it: its titles, what it does (O*NET task
        statements and detailed work activities), the ESCO occupations bridged to it and the
        skills its market role requires and welcomes. None for an unknown code."""
        soc = self.titles.soc(code)
        if soc is None:
            return None
        if self.role_skills is not None and code in self.role_skills:
            required, nice = self.role_skills[code]
        else:  # a pack without role_skills ranks the role now (~0.2 s)
            required, nice = role_skills_of(self.title_skill_ranker, soc["title"])
        work = self.titles.work_of(code) or {"tasks": [], "activities": []}

        def labelled(ids) -> list[dict]:
            known = (self.skills.get(i) for i in ids)
            return [{"id": s["id"], "label": s["label"]} for s in known if s is not None]

        return {
            "soc": code,
            "title": soc["title"],
            "onet_titles": soc.get("onet_titles", []),
            "tasks": work["tasks"],
            "activities": work["activities"],
            "esco_occupations": self.titles.esco_for_soc(code),
            "skills": {"required": labelled(required), "nice_to_have": labelled(nice)},
        }
