"""The reference pack loaded for serving: encoder, skills, occupations/titles, regions."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from models.core import artifacts
from models.core.encoder import Encoder
from models.core.language import ENGLISH, Detected
from models.core.settings import Settings, load_settings
from models.core.translation import Translator
from models.reference import multilingual
from models.reference.occupation_skills import OccupationSkills
from models.reference.occupations import TitleNormalizer
from models.reference.profile_occupation import ProfileOccupations
from models.reference.regions import RegionCatalog
from models.reference.skill_space import ROLE_SKILLS_KIND, RoleSkills, SkillSpace, role_skills_of
from models.reference.skills import SkillCatalog
from models.reference.title_skills import TitleSkillRanker

log = logging.getLogger(__name__)


@dataclass
class ReferenceData:
    encoder: Encoder
    skills: SkillCatalog
    titles: TitleNormalizer
    regions: RegionCatalog
    # SOC code -> (required, nice-to-have) skill ids of its market role, from curated relations
    role_skills: RoleSkills | None = None

    @classmethod
    def load(cls, pack_dir: Path, encoder: Encoder | None = None, settings: Settings | None = None) -> ReferenceData:
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
        if (pack_dir / multilingual.KIND / artifacts.MANIFEST).exists():
            ml = multilingual.Multilingual.load(pack_dir / multilingual.KIND)
            if (settings or load_settings()).translator == "apertium":
                ml.translator = Translator.find(ml.detector.is_english_word, ml.terms)
            data.skills.multilingual = data.titles.multilingual = ml
        else:
            log.warning("%s has no multilingual artifact: every text is read as English", pack_dir)
        if (pack_dir / ROLE_SKILLS_KIND / artifacts.MANIFEST).exists():
            data.role_skills = RoleSkills.load(pack_dir / ROLE_SKILLS_KIND)
        else:
            log.warning("%s has no role_skills: market roles will be ranked at request time", pack_dir)
        log.info("reference pack loaded from %s in %.1fs", pack_dir, time.time() - started)
        return data

    def detect_language(self, text: str) -> Detected:
        """The language a text is written in (English without the multilingual artifact)."""
        ml = self.skills.multilingual
        return ml.detector.detect(text) if ml is not None else Detected(ENGLISH, True, 1.0)

    def language_of(self, text: str) -> str:
        """ISO 639-1 code of the language a text is written in."""
        return self.detect_language(text).language

    @cached_property
    def skill_space(self) -> SkillSpace:
        """Near-synonyms and role skills (built on first use, ~2 s; then shared)."""
        return SkillSpace(self.skills, self.title_skill_ranker, self.role_skills)

    @cached_property
    def profiles(self) -> ProfileOccupations:
        """Candidates' own occupations from headline, summary and skills."""
        return ProfileOccupations(self.titles, self.skill_space.role_matrix(self.titles.socs))

    @property
    def title_skill_ranker(self) -> TitleSkillRanker:
        return TitleSkillRanker(self.skills, self.titles)

    @cached_property
    def occupation_skills(self) -> OccupationSkills:
        """Skills of job titles from the curated occupation-skill relations."""
        return OccupationSkills(self.skills, self.titles)

    def title_skills(self, title: str, k: int = 20) -> dict:
        return self.occupation_skills.rank(title, k)

    def title_skill_ids(self, title: str, k: int = 1000, exclude: str | None = None) -> list[str]:
        """Skill URIs for a title, best first; `exclude` hides one ESCO occupation's relations."""
        return self.occupation_skills.ranked_ids(title, k, exclude)

    def occupation(self, code: str) -> dict | None:
        """One SOC occupation as the pack knows it: its titles, what it does (O*NET task
        statements and detailed work activities), its preparation level and related
        occupations, the ESCO occupations its skills are pooled from and the skills its market
        role requires and welcomes, each with where it comes from. None for an unknown code."""
        soc = self.titles.soc(code)
        if soc is None:
            return None
        details = None
        if self.role_skills is not None and code in self.role_skills:
            required, nice = self.role_skills[code]
            details = self.role_skills.details(code)
        else:  # a pack without role_skills ranks the role now (~0.2 s)
            required, nice = role_skills_of(self.title_skill_ranker, soc["title"])
        work = self.titles.work_of(code) or {"tasks": [], "activities": []}
        about = {item["id"]: item for item in (details or {}).get("skills", [])}

        def labelled(ids) -> list[dict]:
            out = []
            for uri in ids:
                skill = self.skills.get(uri)
                if skill is not None:
                    extra = {k: about[uri][k] for k in ("weight", "sources") if uri in about}
                    out.append({"id": skill["id"], "label": skill["label"], **extra})
            return out

        facts = self.titles.facts.get(code, {})
        return {
            "soc": code,
            "title": soc["title"],
            "onet_titles": soc.get("onet_titles", []),
            "job_zone": facts.get("job_zone"),
            "related": [
                {"soc": c, "title": (self.titles.soc(c) or {}).get("title"), "tier": t}
                for c, t in facts.get("related", [])
            ],
            "tasks": work["tasks"],
            "activities": work["activities"],
            "esco_occupations": (details or {}).get("esco_occupations") or self.titles.esco_for_soc(code),
            "skills": {"required": labelled(required), "nice_to_have": labelled(nice)},
        }
