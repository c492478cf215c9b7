"""The reference pack loaded for serving: encoder, skills, occupations/titles, regions."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from models.encoder import Encoder
from models.occupations import TitleNormalizer
from models.regions import RegionCatalog
from models.skills import SkillCatalog

log = logging.getLogger(__name__)


@dataclass
class ReferenceData:
    encoder: Encoder
    skills: SkillCatalog
    titles: TitleNormalizer
    regions: RegionCatalog

    @classmethod
    def load(cls, pack_dir: Path, encoder: Encoder | None = None) -> "ReferenceData":
        """Load and verify every artifact of the pack (checksums, encoder identity)."""
        started = time.time()
        pack_dir = Path(pack_dir)
        if not pack_dir.exists():
            raise FileNotFoundError(f"no reference pack at {pack_dir}; build it with `python -m training.build_pack`")
        encoder = encoder or Encoder()
        data = cls(
            encoder=encoder,
            skills=SkillCatalog.load(pack_dir / "skills", encoder),
            titles=TitleNormalizer.load(pack_dir / "titles", encoder),
            regions=RegionCatalog.load(pack_dir / "regions"),
        )
        log.info("reference pack loaded from %s in %.1fs", pack_dir, time.time() - started)
        return data
