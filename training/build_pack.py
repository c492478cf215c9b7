"""Build the reference pack: skills (and their neighbour graph), occupations/titles and regions,
each an artifact.

    python -m training.build_pack                      # packaged data, into $TALENT_DATA_DIR/pack
    python -m training.build_pack --esco-dir DIR --oews-dir DIR --onet-dir DIR   # official releases
    python -m training.build_pack --force              # rebuild even when inputs are unchanged

An artifact whose manifest records the same inputs is kept as it is, so a second run costs
only the checksums.
"""

from __future__ import annotations

import argparse
import logging
import time
from functools import cache
from pathlib import Path

from models.core.encoder import Encoder
from models.core.settings import Settings, load_settings
from training import progress
from training.build_multilingual import build_multilingual
from training.build_regions import build_regions
from training.build_role_skills import build_role_skills
from training.build_skill_ann import build_skill_ann
from training.build_taxonomy import build_taxonomy
from training.build_titles import build_titles
from training.sources import esco_official, esco_vendored
from training.sources.packaged import ESCO_SKILLS_CSV, input_fingerprint

log = logging.getLogger("build_pack")


class EscoSource:
    """ESCO skills, occupations (with their skill relations) and the occupation hierarchy: the
    ESCO 1.2 files the repository vendors with the packaged skills, or an official download."""

    def __init__(self, esco_dir: Path | None = None):
        self.esco_dir = esco_dir

    @property
    def fingerprints(self) -> dict[str, str]:
        if self.esco_dir:
            return {"esco": esco_official.esco_dir_fingerprint(self.esco_dir)}
        return {"esco_skills": input_fingerprint(*ESCO_SKILLS_CSV), "esco": esco_vendored.fingerprint()}

    @cache  # noqa: B019 - one source object per pack build; it lives as long as the build
    def _read(self):
        if self.esco_dir:
            skills, occupations = esco_official.read_esco_dir(self.esco_dir)
            return skills, occupations, esco_official.read_broader(self.esco_dir)
        skills, occupations = esco_vendored.read_esco()
        return skills, occupations, esco_vendored.read_broader()

    def skills(self):
        return self._read()[0]

    def occupations(self):
        return self._read()[1]

    def broader(self):
        return self._read()[2]


def build_pack(
    settings: Settings,
    esco_dir: Path | None = None,
    oews_dir: Path | None = None,
    force: bool = False,
    encoder: Encoder | None = None,
    onet_dir: Path | None = None,
) -> dict[str, dict]:
    pack = settings.pack_path
    pack.mkdir(parents=True, exist_ok=True)
    encoder = encoder or Encoder(settings.encoder or None)
    esco = EscoSource(esco_dir)
    report: dict[str, dict] = {}
    steps = [
        ("taxonomy", lambda: build_taxonomy(pack, encoder, esco.skills, esco.occupations, esco.fingerprints, force)),
        ("skill_ann", lambda: build_skill_ann(pack, force)),
        (
            "titles",
            lambda: build_titles(pack, encoder, esco.occupations, esco.fingerprints, force, onet_dir, esco.broader),
        ),
        ("role_skills", lambda: build_role_skills(pack, encoder, force, onet_dir)),
        ("multilingual", lambda: build_multilingual(pack, force)),
        ("regions", lambda: build_regions(pack, settings, oews_dir, force)),
    ]
    for number, (name, step) in enumerate(steps, start=1):
        log.info("step %d/%d: %s", number, len(steps), name)
        started = time.time()
        with progress.heartbeat(name):
            manifest, built = step()
        seconds = time.time() - started
        report[name] = {"built": built, "seconds": round(seconds, 1), "counts": manifest.get("counts")}
        log.info("%-8s %s in %.1fs %s", name, "built" if built else "up to date", seconds, manifest.get("counts", ""))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="overrides TALENT_DATA_DIR")
    parser.add_argument(
        "--esco-dir", type=Path, help="official ESCO CSV download (skills_en.csv, occupations_en.csv, ...)"
    )
    parser.add_argument("--oews-dir", type=Path, help="official BLS OEWS flat files (oe.area, oe.data.0.Current, ...)")
    parser.add_argument(
        "--onet-dir", type=Path, help="official O*NET text download (Alternate Titles.txt, Job Zones.txt, ...)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild every artifact")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = load_settings({"data_dir": args.data_dir} if args.data_dir else None)
    started = time.time()
    report = build_pack(settings, args.esco_dir, args.oews_dir, args.force, onet_dir=args.onet_dir)
    built = [name for name, r in report.items() if r["built"]]
    print(f"pack at {settings.pack_path}: built {built or 'nothing (all current)'} in {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
