"""Role skills artifact: the skills each SOC occupation's market role requires and would
welcome, from curated relations rather than guessed from its title.

A SOC occupation pools ESCO occupations:
- those bridged to it (titles/esco.json: the crosswalk, inherited from a broader ESCO
  occupation, or ISCO group and a shared title);
- those whose name the title classifier gives to it with probability TITLE_LINK_MIN or more,
  when their description agrees ("technical communicator" for Technical Writers);
- when these weigh less than NEAREST_BELOW in all, the ESCO occupations whose names the
  classifier gives to it most (and, for the few it gives none, those with the nearest names).

Each counts with the weight of its link times how centrally it is that occupation
(`centrality`: the classifier's probability for its name together with how well its
description matches the SOC occupation's tasks, at least CENTRAL_MIN, so that "welder" counts
more for Welders, Cutters, Solderers, and Brazers than "electron beam welder"), divided by the
square root of how many of the pooled occupations list much the same skills (the sum of the
cosines of their skill relations): ESCO splits some trades finely (eight aquaculture
occupations, one livestock worker), and a family of near-identical occupations should not
outvote the rest by its number alone (nor should an odd one out outvote the family).

    weight(skill) = share of the pooled weight whose occupation lists the skill as essential,
                    + 0.5 x the share that lists it as optional
                  + (TECHNOLOGY, + IN_DEMAND when O*NET flags it as asked for in the
                    occupation's job postings) when O*NET lists the skill among the
                    occupation's technologies, TOOL when among its tools (matched by name),
                    both times the heaviest ESCO-pooled weight
    score(skill)  = weight x (1 - SPECIFIC + SPECIFIC x idf) x (1 - BREADTH + BREADTH x breadth)
                           x (1 - TOPIC + TOPIC x topic)
                    idf = log(1 / share of all ESCO occupations listing the skill) / log(number of
                    occupations); breadth = share of the pooled occupations listing it; topic =
                    the IDF-weighted share of the skill label's words that O*NET uses for the
                    occupation's tasks and work activities

The idf factor puts what characterises the occupation ("types of piping" for plumbers) before
what nearly every occupation lists ("manage staff", "work ergonomically"); the breadth factor
puts what several of the pooled occupations share before what one of them alone lists (a
furniture assembler's woodwork among the assemblers); the topic factor holds back what O*NET
never says of the occupation, where a crosswalk brought in a trade's variant ("automatic
cutting systems for footwear and leather goods" for CNC tool operators). The best ROLE_REQUIRED skills weighing
at least REQUIRED_MIN of the heaviest one are required
(relative, since a SOC occupation pooling varied ESCO occupations has no skill every one of
them lists), the next ROLE_NICE would be welcome; `skills` keeps the first POOL with their
sources for reports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.core import artifacts
from models.core.encoder import Encoder
from models.core.lexicon import Lexicon
from models.core.text import fold
from models.reference.occupations import FOLDING_FILE, LEXICON_FILE, TitleNormalizer
from models.reference.skill_space import ROLE_NICE, ROLE_REQUIRED, ROLE_SKILLS_FILE, ROLE_SKILLS_KIND
from training.sources import onet_db
from training.sources.onet_db import OnetDatabase, folded, read_onet

log = logging.getLogger(__name__)

METHOD = "role-skills-v2"
REQUIRED_MIN = 0.5  # of the heaviest skill's weight
POOL = 40
SPECIFIC = 0.75
BREADTH = 0.5
TOPIC = 0.75
CENTRAL_MIN = 0.1
TASK_TEMPERATURE = 0.05
TASK_LINK_MIN = 0.3  # a link by title also needs this much agreement from the work described
TITLE_LINK_MIN = 0.5
TITLE_LINK_WEIGHT = 0.5
TECHNOLOGY, IN_DEMAND, TOOL = 0.2, 0.3, 0.2  # times the heaviest ESCO-pooled weight
NEAREST = 3  # ESCO occupations taken by title for a SOC occupation links reach too weakly
NEAREST_BELOW = 1.0  # (their total weight is below one full crosswalk link)
NEAREST_MIN_P = 0.05
GRADE_SHARE = {2: 1.0, 1: 0.5}


def _files_digest(directory: Path) -> str:
    files = artifacts.read_manifest(directory)["files"]
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def soc_links(
    socs: list[dict], esco: list[dict], central: dict[str, dict[str, float]], nearest: Callable[[str], list[dict]]
) -> dict[str, list[dict]]:
    """SOC code -> [{"id", "label", "how", "weight"}] of its ESCO occupations; `central` maps an
    ESCO URI to the title classifier's SOC probabilities for its name, `nearest` a title to the
    ESCO occupations with the most similar names (for an occupation nothing else reaches)."""
    links: dict[str, list[dict]] = defaultdict(list)
    by_soc: dict[str, list[tuple[float, dict]]] = defaultdict(list)  # SOC -> (centrality, ESCO occupation)
    for occ in esco:
        linked = set()
        mine = central.get(occ["id"], {})
        for link in occ.get("links", []):
            by_name, by_work = mine.get(link["soc"], (0.0, 0.0))
            weight = link["weight"] * max(CENTRAL_MIN, math.sqrt(by_name * by_work))
            links[link["soc"]].append(
                {"id": occ["id"], "label": occ["label"], "how": link["how"], "weight": round(weight, 4)}
            )
            linked.add(link["soc"])
        for soc, (by_name, by_work) in mine.items():
            p = math.sqrt(by_name * by_work)
            by_soc[soc].append((p, occ))
            if by_name >= TITLE_LINK_MIN and by_work >= TASK_LINK_MIN and soc not in linked:
                links[soc].append(
                    {"id": occ["id"], "label": occ["label"], "how": "title", "weight": round(TITLE_LINK_WEIGHT * p, 4)}
                )
    for soc in socs:
        code = soc["code"]
        if sum(link["weight"] for link in links.get(code, [])) >= NEAREST_BELOW:
            continue
        known = {link["id"] for link in links.get(code, [])}
        named = sorted(by_soc.get(code, []), key=lambda pair: (-pair[0], pair[1]["id"]))
        for p, occ in [pair for pair in named if pair[1]["id"] not in known][:NEAREST]:
            if p >= NEAREST_MIN_P:
                links[code].append(
                    {
                        "id": occ["id"],
                        "label": occ["label"],
                        "how": "closest-title",
                        "weight": round(TITLE_LINK_WEIGHT * p, 4),
                    }
                )
        if not links.get(code):
            links[code] = [
                {
                    "id": hit["id"],
                    "label": hit["label"],
                    "how": "nearest-name",
                    "weight": round(TITLE_LINK_WEIGHT * hit["score"], 4),
                }
                for hit in nearest(soc["title"])[:NEAREST]
            ]
    return dict(links)


def centrality(
    titles: TitleNormalizer, occupations: list[dict], descriptions: np.ndarray
) -> dict[str, dict[str, tuple[float, float]]]:
    """ESCO URI -> {SOC code: (by name, by work)}: the title classifier's probability for the
    ESCO occupation's name, and a softmax (over SOC occupations, temperature TASK_TEMPERATURE)
    of how well its description matches each SOC occupation's O*NET tasks. How centrally the
    ESCO occupation is the SOC occupation is their geometric mean: a name alone can mislead
    (O*NET lists "Lexicographer" among technical writers' titles; a stage machinist is no
    machinist), and the work described rarely does."""
    rows = {o["id"]: i for i, o in enumerate(occupations)}
    by_name = {
        e["id"]: {a["soc"]: a["score"] for a in ranked}
        for e, ranked in zip(titles.esco, titles.normalize_batch([e["label"] for e in titles.esco], k=10))
    }
    out = {}
    for start in range(0, len(titles.esco), 512):
        block = titles.esco[start : start + 512]
        picks = [rows.get(e["id"], -1) for e in block]
        tasks = titles.channel_scores("context", descriptions[np.maximum(picks, 0)])
        tasks = np.exp((tasks - tasks.max(axis=1, keepdims=True)) / TASK_TEMPERATURE)
        tasks /= tasks.sum(axis=1, keepdims=True)
        for e, pick, row in zip(block, picks, tasks):
            names = by_name.get(e["id"], {})
            socs = set(names) | {titles.socs[j]["code"] for j in np.argsort(-row)[:10]}
            out[e["id"]] = {
                soc: (names.get(soc, 0.0), float(row[titles.by_code[soc]]) if pick >= 0 else 1.0) for soc in socs
            }
    return out


class RelationTable:
    """ESCO occupation -> {skill: grade}, and how specific each skill is (its idf)."""

    def __init__(self, occupations: list[dict]):
        self.relations = {o["id"]: o.get("skills", {}) for o in occupations}
        listed: dict[str, int] = defaultdict(int)
        for skills in self.relations.values():
            for uri in skills:
                listed[uri] += 1
        n = max(2, sum(1 for s in self.relations.values() if s))
        self.idf = {uri: math.log(n / count) / math.log(n) for uri, count in listed.items()}

    def similarity(self, a: str, b: str) -> float:
        """Cosine of two occupations' skill sets."""
        sa, sb = self.relations.get(a, {}), self.relations.get(b, {})
        if not sa or not sb:
            return 1.0 if a == b else 0.0
        return len(sa.keys() & sb.keys()) / math.sqrt(len(sa) * len(sb))

    def density(self, occupation: str, pool: list[str]) -> float:
        """How many of the pooled occupations are much the same as this one (itself counts 1)."""
        return 1.0 + sum(self.similarity(occupation, other) for other in set(pool) if other != occupation)


def onet_matches(
    onet: OnetDatabase, code: str, names: dict[str, list[int]], skills: list[dict]
) -> dict[str, tuple[float, str]]:
    """Skill URI -> (added weight, source) for the O*NET technologies and tools of a SOC
    occupation that are ESCO skill names."""
    out: dict[str, tuple[float, str]] = {}
    for example, _, demanded in onet.technologies.get(code, []):
        for i in names.get(fold(example), [])[:1]:
            weight = TECHNOLOGY + (IN_DEMAND if demanded else 0.0)
            if weight > out.get(skills[i]["id"], (0.0, ""))[0]:
                out[skills[i]["id"]] = (weight, f"O*NET technology: {example}{' (in demand)' if demanded else ''}")
    for example, _ in onet.tools.get(code, []):
        for i in names.get(fold(example), [])[:1]:
            if TOOL > out.get(skills[i]["id"], (0.0, ""))[0]:
                out[skills[i]["id"]] = (TOOL, f"O*NET tool: {example}")
    return out


def role_entry(
    code: str,
    links: list[dict],
    table: RelationTable,
    onet_weights: dict[str, tuple[float, str]],
    topic: Callable[[list[str]], dict[str, float]] | None = None,
) -> dict:
    """One SOC occupation's entry of the artifact (module docstring)."""
    weights = [link["weight"] / math.sqrt(table.density(link["id"], [k["id"] for k in links])) for link in links]
    total = sum(weights) or 1.0
    essential: dict[str, float] = defaultdict(float)
    optional: dict[str, float] = defaultdict(float)
    listed_by: dict[str, int] = defaultdict(int)
    for link, weight in zip(links, weights):
        for skill, grade in table.relations.get(link["id"], {}).items():
            (essential if grade == 2 else optional)[skill] += weight / total
            listed_by[skill] += 1
    pooled = len({link["id"] for link in links}) or 1
    fit = topic(sorted(set(essential) | set(optional) | set(onet_weights))) if topic else {}
    heaviest_esco = max(
        (essential.get(k, 0.0) + GRADE_SHARE[1] * optional.get(k, 0.0) for k in set(essential) | set(optional)),
        default=1.0,
    )
    rows = []
    for skill in set(essential) | set(optional) | set(onet_weights):
        added, onet_source = onet_weights.get(skill, (0.0, None))
        added *= heaviest_esco
        weight = essential.get(skill, 0.0) + GRADE_SHARE[1] * optional.get(skill, 0.0) + added
        breadth = listed_by.get(skill, 0) / pooled
        score = weight * (1 - SPECIFIC + SPECIFIC * table.idf.get(skill, 1.0)) * (1 - BREADTH + BREADTH * breadth)
        score *= 1 - TOPIC + TOPIC * fit.get(skill, 1.0)
        sources = []
        if essential.get(skill):
            sources.append(f"ESCO essential ({essential[skill]:.0%} of linked occupations)")
        if optional.get(skill):
            sources.append(f"ESCO optional ({optional[skill]:.0%})")
        if onet_source:
            sources.append(onet_source)
        rows.append({"id": skill, "weight": round(weight, 4), "score": round(score, 4), "sources": sources})
    rows.sort(key=lambda r: (-r["score"], r["id"]))
    rows = rows[:POOL]
    heaviest = max((r["weight"] for r in rows), default=0.0)
    required = [r["id"] for r in rows if r["weight"] >= REQUIRED_MIN * heaviest][:ROLE_REQUIRED]
    nice = [r["id"] for r in rows if r["id"] not in required][:ROLE_NICE]
    return {"required": required, "nice": nice, "skills": rows, "esco_occupations": links}


def compute_role_skills(pack_dir: Path, titles: TitleNormalizer, onet_dir: Path | None = None) -> dict[str, dict]:
    """Every SOC occupation's entry (role_entry), from the pack's taxonomy and titles."""
    skills = artifacts.read_json(pack_dir / "taxonomy" / "skills.json")
    occupations = artifacts.read_json(pack_dir / "taxonomy" / "occupations.json")
    names: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(skills):
        for name in [s["label"], *s.get("alt_labels", [])]:
            if i not in names[fold(name)]:
                names[fold(name)].append(i)
    onet = folded(read_onet(onet_dir), artifacts.read_json(pack_dir / "titles" / FOLDING_FILE))
    table = RelationTable(occupations)
    central = centrality(
        titles, occupations, np.load(pack_dir / "taxonomy" / "occupation_vectors.npy", allow_pickle=False)
    )
    links = soc_links(titles.socs, titles.esco, central, lambda title: titles.nearest_esco(title, k=NEAREST))
    words = artifacts.read_json(pack_dir / "titles" / LEXICON_FILE)
    lexicon = Lexicon(words["tasks"])  # O*NET's own words for the work (the names include bridged ESCO names)
    label = {s["id"]: s["label"] for s in skills}

    def topic_of(row: int) -> Callable[[list[str]], dict[str, float]]:
        def topic(uris: list[str]) -> dict[str, float]:
            return dict(zip(uris, lexicon.coverage([label.get(u, "") for u in uris])[:, row].tolist())) if uris else {}

        return topic

    return {
        soc["code"]: role_entry(
            soc["code"],
            links.get(soc["code"], []),
            table,
            onet_matches(onet, soc["code"], names, skills),
            topic_of(row),
        )
        for row, soc in enumerate(titles.socs)
    }


def build_role_skills(
    pack_dir: Path, encoder: Encoder, force: bool = False, onet_dir: Path | None = None
) -> tuple[dict, bool]:
    pack_dir = Path(pack_dir)
    inputs = {
        "taxonomy": _files_digest(pack_dir / "taxonomy"),
        "titles": _files_digest(pack_dir / "titles"),
        "onet": onet_db.fingerprint(onet_dir or onet_db.VENDORED_DIR),
        "method": METHOD,
        "sizes": f"{ROLE_REQUIRED}+{ROLE_NICE},min={REQUIRED_MIN},pool={POOL},specific={SPECIFIC},breadth={BREADTH},"
        f"central>={CENTRAL_MIN}",
        "title_links": f"p>={TITLE_LINK_MIN}&work>={TASK_LINK_MIN}x{TITLE_LINK_WEIGHT},density=cosine,tasks_t={TASK_TEMPERATURE}",
        "topic": str(TOPIC),
        "onet_weights": f"technology={TECHNOLOGY},in_demand={IN_DEMAND},tool={TOOL}",
        "closest": f"{NEAREST}>={NEAREST_MIN_P},below={NEAREST_BELOW}",
    }

    def write(tmp: Path) -> dict:
        out = compute_role_skills(pack_dir, TitleNormalizer.load(pack_dir / "titles", encoder), onet_dir)
        artifacts.write_json(tmp / ROLE_SKILLS_FILE, out)
        hows = defaultdict(int)
        for entry in out.values():
            for how in {link["how"] for link in entry["esco_occupations"]}:
                hows[how] += 1
        empty = sorted(code for code, entry in out.items() if not entry["required"])
        if empty:
            log.warning(
                "role skills: %d SOC occupations without required skills: %s", len(empty), ", ".join(empty[:10])
            )
        return {
            "counts": {
                "socs": len(out),
                "socs_by_link": dict(hows),
                "without_required": len(empty),
                "mean_required": round(float(np.mean([len(e["required"]) for e in out.values()])), 2),
            }
        }

    return artifacts.build(pack_dir / ROLE_SKILLS_KIND, ROLE_SKILLS_KIND, inputs, write, force)
