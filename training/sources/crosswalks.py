"""Crosswalks between ESCO occupations and SOC 2018 occupations.

Both speak SOC 2010 (O*NET-SOC 2010 for Nesta); the pack re-codes an occupation SOC 2018
renumbered by its title (training/build_titles.py).

- `esco_onet_crosswalk_nesta_2020.csv(.gz)`: Nesta's ESCO -> O*NET crosswalk (Kanders,
  Djumalieva, Sleeman and Orlik, "Mapping Career Causeways", Nesta 2020; MIT): the
  best-matching O*NET occupation of 1,680 ESCO occupations, partly reviewed by hand;
- `isco08_soc2010_bls.csv(.gz)`: the U.S. BLS crosswalk between ISCO-08 and SOC 2010 (public
  domain), many-to-many.

`bridge` links each ESCO occupation to SOC occupations, in this order of trust:
1. the Nesta crosswalk (its O*NET code rolled up to SOC);
2. a narrower ESCO occupation the crosswalk leaves out inherits its nearest broader
   occupation's link (ESCO's occupation hierarchy);
3. a SOC occupation that neither reaches is filled with the ESCO occupations of the ISCO-08
   groups the BLS crosswalk pairs it with that share a job title with it (an ESCO label equal
   to one of its O*NET or SOC titles).

The first link of an ESCO occupation is its main one; the others only add to the skills pooled
for a SOC occupation (training/build_role_skills.py adds links by title there).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from models.core.artifacts import sha256_file
from models.core.text import fold
from training.sources.files import find, open_text

VENDORED_DIR = Path(__file__).resolve().parents[2] / "data" / "crosswalks"
NESTA = "esco_onet_crosswalk_nesta_2020.csv"
ISCO_SOC = "isco08_soc2010_bls.csv"
FILES = (NESTA, ISCO_SOC)

HOW_CROSSWALK, HOW_BROADER, HOW_ISCO_TITLE = "crosswalk", "broader", "isco+title"
# how much a link of each kind counts when its skills are pooled
LINK_WEIGHT = {HOW_CROSSWALK: 1.0, HOW_BROADER: 0.5, HOW_ISCO_TITLE: 0.5}


def fingerprint(directory: Path | None = None) -> str:
    directory = Path(directory) if directory else VENDORED_DIR
    return "crosswalks " + " ".join(f"{name}:{sha256_file(find(directory, name))[:12]}" for name in FILES)


def read_nesta(directory: Path | None = None) -> dict[str, tuple[str, float]]:
    """ESCO occupation URI -> (its O*NET occupation's SOC 2010 code, the crosswalk's confidence 0.5 / 1 / 2)."""
    directory = Path(directory) if directory else VENDORED_DIR
    out = {}
    with open_text(find(directory, NESTA)) as fh:
        for row in csv.DictReader(fh):
            uri, code = row["concept_uri"].strip(), row["onet_code"].strip()
            if uri and len(code) >= 7:
                out[uri] = (code[:7], float(row.get("confidence") or 0))
    return out


def read_nesta_titles(directory: Path | None = None) -> dict[str, str]:
    """ESCO occupation URI -> the title of the O*NET (2010) occupation the crosswalk gives."""
    directory = Path(directory) if directory else VENDORED_DIR
    with open_text(find(directory, NESTA)) as fh:
        return {row["concept_uri"].strip(): row["onet_occupation"].strip() for row in csv.DictReader(fh)}


def read_isco_soc_titled(directory: Path | None = None) -> dict[tuple[str, str], set[str]]:
    """(SOC 2010 code, its title) -> the 4-digit ISCO-08 groups the BLS crosswalk pairs it with."""
    directory = Path(directory) if directory else VENDORED_DIR
    out: dict[tuple[str, str], set[str]] = {}
    with open_text(find(directory, ISCO_SOC)) as fh:
        for row in csv.DictReader(fh):
            isco, soc = row["ISCO-08 Code"].strip(), row["2010 SOC Code"].strip()
            if isco and soc:
                out.setdefault((soc, row["2010 SOC Title"].strip()), set()).add(isco)
    return out


@dataclass(frozen=True)
class Link:
    soc: str
    how: str  # HOW_*
    weight: float


def bridge(
    esco: list[dict],
    broader: dict[str, str],
    soc_titles: dict[str, list[str]],
    nesta: dict[str, tuple[str, float]],
    isco_soc: dict[str, set[str]],
) -> dict[str, list[Link]]:
    """ESCO URI -> its links to SOC codes (module docstring). `esco` rows have "id", "label",
    "alt_labels" and "isco_group"; `soc_titles` maps each SOC code the pack knows to its
    titles (SOC, O*NET and alternate titles)."""
    known = set(soc_titles)
    links: dict[str, list[Link]] = {}
    for occ in esco:
        uri, hops = occ["id"], 0
        while uri and hops < 8:
            if uri in nesta and nesta[uri][0] in known:
                how = HOW_CROSSWALK if hops == 0 else HOW_BROADER
                links[occ["id"]] = [Link(nesta[uri][0], how, LINK_WEIGHT[how])]
                break
            uri, hops = broader.get(uri), hops + 1
    reached = {link.soc for found in links.values() for link in found}
    by_group: dict[str, list[dict]] = {}
    for occ in esco:
        by_group.setdefault((occ.get("isco_group") or "")[:4], []).append(occ)
    for soc in sorted(known - reached):
        titles = {fold(t) for t in soc_titles[soc]}
        for group in sorted(isco_soc.get(soc, ())):
            for occ in by_group.get(group, []):
                if titles.intersection(fold(n) for n in [occ["label"], *occ.get("alt_labels", [])]):
                    links.setdefault(occ["id"], []).append(Link(soc, HOW_ISCO_TITLE, LINK_WEIGHT[HOW_ISCO_TITLE]))
    return links
