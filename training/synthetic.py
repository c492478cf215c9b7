"""Realistic synthetic tenant data from the reference pack, reproducible from a seed.

Each candidate is generated from one SOC occupation: a headline from its titles, a CV summary
from its O*NET task statements, skills drawn from the skills that occupation needs (with noise:
some swapped for alternative labels, some dropped, a few from other occupations), and a place
drawn from the regions where that occupation actually employs people (OEWS), with some in
world cities. The occupation is kept as the known answer for evaluation; it is never part of
the record sent to the service.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np

from models.reference.data import ReferenceData

# Occupations typical of regional hubs: green-energy maintenance, precision and medical
# hardware manufacturing, secure data work, customer success, software, plus local services.
HUB_OCCUPATIONS = (
    "49-9081",
    "47-2231",
    "49-9041",
    "49-9071",
    "51-4041",
    "51-4011",
    "51-9061",
    "51-2092",
    "17-3026",
    "17-3027",
    "49-9062",
    "51-9082",
    "29-2012",
    "15-1212",
    "15-1244",
    "15-1252",
    "15-1253",
    "15-1232",
    "15-1211",
    "15-2051",
    "43-4051",
    "41-3091",
    "13-1071",
    "11-3051",
    "53-3032",
    "29-1141",
    "31-1131",
    "47-2111",
    "49-3023",
    "49-2022",
    "51-4121",
    "17-2141",
    "17-2071",
    "13-2011",
    "43-3031",
    "11-1021",
)
LEVELS = ("beginner", "intermediate", "advanced", "expert")


@dataclass
class OccupationProfile:
    soc: str
    title: str
    titles: list[str]
    tasks: list[str]
    skills: list[int]  # catalogue positions, most important first


def occupation_profiles(
    ref: ReferenceData, socs=HUB_OCCUPATIONS, skills_per_occupation: int = 25
) -> list[OccupationProfile]:
    """The generator's view of each occupation: titles, O*NET tasks and the skills it needs."""
    from training.sources.onet import read_onet_occupations

    tasks = {
        o.code: o.tasks
        for o in read_onet_occupations({s: ref.titles.soc(s)["title"] for s in socs if ref.titles.soc(s)})
    }
    ranker = ref.title_skill_ranker
    out = []
    for soc in socs:
        occ = ref.titles.soc(soc)
        if occ is None or not ref.regions.has_soc(soc):  # needs OEWS statistics to be placed
            continue
        total, _, _ = ranker.scores(occ["title"])
        top = [int(i) for i in np.argsort(-total)[:skills_per_occupation]]
        titles = occ.get("onet_titles") or [occ["title"]]
        out.append(OccupationProfile(soc, occ["title"], titles, tasks.get(soc, []), top))
    return out


def _first_person(task: str) -> str:
    """'Inspect turbines.' -> 'Inspected turbines.' for the common regular verbs."""
    verb, _, rest = task.partition(" ")
    verb, comma = verb.rstrip(","), "," if verb.endswith(",") else ""
    low = verb.lower()
    if low.endswith("e"):
        past = verb + "d"
    elif re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", low):  # one syllable, short vowel: fit -> fitted
        past = verb + verb[-1] + "ed"
    elif low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        past = verb[:-1] + "ied"
    else:
        past = verb + "ed"
    irregular = {
        "build": "Built",
        "lead": "Led",
        "write": "Wrote",
        "run": "Ran",
        "set": "Set",
        "keep": "Kept",
        "make": "Made",
        "teach": "Taught",
        "lay": "Laid",
        "pay": "Paid",
        "confer": "Conferred",
        "refer": "Referred",
        "transfer": "Transferred",
        "control": "Controlled",
        "sell": "Sold",
        "buy": "Bought",
        "drive": "Drove",
        "read": "Read",
        "take": "Took",
        "give": "Gave",
    }
    past = irregular.get(low, past)
    return f"{past}{comma} {rest}".strip()


def _singular_title(title: str) -> str:
    """'Wind Turbine Service Technicians' -> 'Wind Turbine Service Technician' (first noun group)."""
    head = re.split(r",| and | or ", title)[0].strip()
    return head[:-1] if head.endswith("s") and not head.endswith("ss") else head


class SyntheticTenant:
    def __init__(self, ref: ReferenceData, seed: int = 7):
        self.ref = ref
        self.rng = random.Random(seed)
        self.profiles = occupation_profiles(ref)
        self._places = {p.soc: self._places_for(p.soc) for p in self.profiles}
        self._world = [r for r in ref.regions.list(country=None, limit=100000)[1] if r.source == "geonames"]
        self._world.sort(key=lambda r: -(r.population or 0))
        self._world = self._world[:400]

    def _places_for(self, soc: str) -> tuple[list, list[float]]:
        ranked = self.ref.regions.occupation_regions(soc, by="employment", limit=200)
        regions = [item["region"] for item in ranked]
        weights = [float(item["employment"]) for item in ranked]
        return regions, weights

    def _place(self, soc: str):
        regions, weights = self._places[soc]
        if not regions or self.rng.random() < 0.08:
            return self.rng.choice(self._world)
        # flatten the employment weights so micro-hubs are well represented, not swamped by metros
        return self.rng.choices(regions, weights=[w**0.5 for w in weights])[0]

    def _skill_text(self, idx: int) -> str:
        skill = self.ref.skills.skills[idx]
        alts = [a for a in skill.get("alt_labels", []) if 2 < len(a) < 60]
        return self.rng.choice(alts) if alts and self.rng.random() < 0.4 else skill["label"]

    def _opening(self, p: OccupationProfile, region) -> str:
        years = self.rng.randint(1, 25)
        place = region.name.split(",")[0]
        return self.rng.choice(
            [
                f"{_singular_title(p.title)} with {years} years of experience, based in {place}.",
                f"Experienced {_singular_title(p.title).lower()} ({years} years), currently in {place}.",
                f"{years} years working as a {_singular_title(p.title).lower()}.",
            ]
        )

    def candidate(self, n: int, profile: OccupationProfile | None = None) -> tuple[dict, str]:
        """(candidate document, its true SOC)."""
        p = profile or self.rng.choice(self.profiles)
        own = p.skills[: self.rng.randint(8, 14)]
        kept = [i for i in own if self.rng.random() > 0.4]
        noise = [self.rng.choice(self.rng.choice(self.profiles).skills) for _ in range(self.rng.randint(1, 4))]
        skills = []
        for i in dict.fromkeys(kept + noise):
            text = self._skill_text(i)
            if self.rng.random() < 0.3:
                skills.append({"skill": text, "years": self.rng.randint(1, 15), "level": self.rng.choice(LEVELS)})
            else:
                skills.append(text)
        # CV length: an opening line and five to eight things the person did (about 100 words)
        tasks = self.rng.sample(p.tasks, k=min(len(p.tasks), self.rng.randint(5, 8))) if p.tasks else []
        region = self._place(p.soc)
        if self.rng.random() < 0.25:  # some candidates list no skills: only their CV text speaks
            skills = []
        doc = {
            "external_id": f"cand-{n:06d}",
            "headline": self.rng.choice(p.titles),
            "summary": " ".join([self._opening(p, region), *(_first_person(t) for t in tasks)]),
            "skills": skills,
            "region_id": region.id,
            "languages": ["en"] + (["es"] if self.rng.random() < 0.15 else []),
            "willing_to_relocate": self.rng.random() < 0.35,
            "remote_ok": self.rng.random() < 0.5,
        }
        return doc, p.soc

    def need(self, n: int, region=None, profile: OccupationProfile | None = None) -> tuple[dict, str]:
        p = profile or self.rng.choice(self.profiles)
        region = region or self._place(p.soc)
        required = [self.ref.skills.skills[i]["label"] for i in p.skills[:6]]
        nice = [self.ref.skills.skills[i]["label"] for i in p.skills[6:10]]
        doc = {
            "external_id": f"need-{n:05d}",
            "employer": f"{region.name.split(',')[0]} {self.rng.choice(['Works', 'Systems', 'Energy', 'Health', 'Precision', 'Data'])}",
            "title": self.rng.choice(p.titles),
            "description": " ".join(self.rng.sample(p.tasks, k=min(3, len(p.tasks)))),
            "required_skills": required,
            "nice_to_have_skills": nice,
            "region_id": region.id,
            "remote_policy": self.rng.choices(["onsite", "hybrid", "remote"], weights=[6, 3, 1])[0],
            "openings": self.rng.randint(1, 5),
            "status": "open",
        }
        return doc, p.soc

    def program(self, n: int, region=None, profile: OccupationProfile | None = None) -> dict:
        p = profile or self.rng.choice(self.profiles)
        region = region or self._place(p.soc)
        taught = [self.ref.skills.skills[i]["label"] for i in self.rng.sample(p.skills[:12], k=4)]
        delivery = self.rng.choices(["in_person", "online", "hybrid"], weights=[5, 3, 2])[0]
        hours = self.rng.choice([16, 24, 40, 60, 80, 120])
        return {
            "external_id": f"prog-{n:05d}",
            "provider": f"{region.name.split(',')[0]} Community College",
            "title": f"{p.title}: {taught[0]} certificate",
            "description": f"Short course for {p.title.lower()}: " + ", ".join(taught) + ".",
            "region_id": region.id,
            "delivery": delivery,
            "skills_taught": taught,
            "hours": hours,
            "cost": float(hours * self.rng.choice([15, 25, 40])),
            "currency": "USD",
            "certification": f"{taught[0].title()} Certificate",
            "next_start_date": f"2027-0{self.rng.randint(1, 9)}-{self.rng.randint(10, 28)}",
        }
