"""A candidate's own occupation (the anchor of their matches), from everything their record says.

Three kinds of evidence, each a score per SOC occupation:

- headline: the title classifier's probabilities for the headline and, when it runs on, for
  each of its parts that ends like a job title ("Welder/Fabricator - AWS D1.1 Certified"),
  each weighted by the square of its top probability: the part that names a job clearly
  speaks loudest;
- summary: job titles the summary names (known titles found in its sentences: "Correctional
  officer at a state prison", "currently a CNC operator"), each classified, the earlier and
  the more explicit ("as a", "currently") weighing more;
- skills: how much of each occupation's curated role skills the candidate's skills cover.

The titles (headline and summary) say which occupations are plausible; the skills say which of
those the person's abilities fit. So the text gives a distribution and the skills reweigh it:

    text  = (headline + SUMMARY x summary) / (1 + SUMMARY)      (each a distribution over SOC)
    score = (TEXT_FLOOR + text) x (SKILL_FLOOR + skills)         (skills: coverage / best coverage)

TEXT_FLOOR lets skills name an occupation no title mentions, SKILL_FLOOR keeps a title that
the listed skills happen not to cover. Without any title, skills alone decide. A headline or
summary title that names a goal rather
than the current job ("Aspiring Software Developer", "Future RN | BSN Student", "looking for a
junior developer role") is a career target: it is kept apart, the current job is inferred
without it, and both are returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from models.core.title_text import ABBREVIATIONS, singular
from models.reference.occupations import CONFIDENT, TitleNormalizer

SUMMARY = 0.5  # weight of the summary's titles against the headline's
TEXT_FLOOR = 0.02
TARGET_MIN = 0.25
SKILL_FLOOR = 0.5
TOP = 5  # candidate occupations kept
MAX_SPAN_WORDS = 4
# Words that make a headline or a mention a goal rather than the current job.
TARGET_CUES = re.compile(
    r"\b(?:aspiring|future|student|seeking|looking\s+for|want(?:ing)?\s+to|hope\s+to|goal|becom(?:e|ing)|"
    r"transition(?:ing)?|career\s+change(?:r)?|pursu(?:e|ing)|studying|training\s+to|in\s+training|"
    r"graduating|retrain(?:ing)?|interested\s+in|next\s+step|(?:in\s+)?search(?:ing)?\s+(?:of|for))\b",
    re.IGNORECASE,
)
# A title shortly after these words is someone else's job: "assisting the dentist", "worked
# chairside with two dentists", "reporting to the plant manager".
OTHERS_CUES = re.compile(
    r"\b(?:with|for|under|alongside|assist(?:ing|ed)?|support(?:ing|ed)?|help(?:ing|ed)?|"
    r"report(?:ing|ed)?\s+to)\s+(?:[\w'-]+\s+){0,2}$",
    re.IGNORECASE,
)
VOLUNTEER = re.compile(r"\bvolunteer(?:ing|ed)?\b", re.IGNORECASE)  # "volunteer firefighter": not the paid job
# A title just after these words was an earlier job: "started as a cashier", "formerly a medic"
# ("began like cashier" is how a translation says "empecé como cajero")
PAST_CUES = re.compile(
    r"\b(?:(?:start(?:ed)?|began|begun)(?:\s+\w+){0,2}\s+(?:as|like)\s+(?:an?\s+)?|formerly\s+(?:an?\s+)?|"
    r"previously\s+(?:an?\s+)?|former\s+|used\s+to\s+be\s+(?:an?\s+)?)$",
    re.IGNORECASE,
)
OTHERS = 0.0  # weight of such a mention: someone else's, an unpaid or an earlier job says nothing of the current one
CURRENT_CUES = re.compile(
    r"\b(?:currently|current|as\s+an?|i\s+am\s+an?|i'm\s+an?|work(?:ing)?\s+as|years?\s+as)\b", re.IGNORECASE
)
_SEPARATORS = re.compile(r"\s+[|\u2013\u2014-]\s+|\s*\|\s*")  # "Title | skills", "Title - employer" (not commas)
_WORDS = re.compile(r"[A-Za-z][A-Za-z'/-]*")


@dataclass
class OccupationEvidence:
    """What a candidate record says about occupations, before weighing."""

    headline: dict[int, float] = field(default_factory=dict)  # SOC row -> probability
    headline_is_target: bool = False
    summary: dict[int, float] = field(default_factory=dict)
    summary_targets: dict[int, float] = field(default_factory=dict)  # goals named in the summary or desired roles
    target_sources: dict[int, str] = field(default_factory=dict)  # SOC row -> where a goal was named
    mentions: list[str] = field(default_factory=list)  # job titles found in the summary


def headline_parts(headline: str) -> list[str]:
    """The headline and, when it runs on, each of its parts ('CNC Machinist | 5-axis' ->
    the whole, 'CNC Machinist', '5-axis'): which part names the job is left to the classifier."""
    parts = [p.strip() for p in _SEPARATORS.split(headline) if p.strip()]
    return list(dict.fromkeys([headline, *parts]))


def is_target(text: str) -> bool:
    return bool(TARGET_CUES.search(text))


def in_own_field(goal: str, headline: str) -> str:
    """A goal title ending in the head noun of the headline's title reads in that field: "lead
    technician" for a "Pharmacy technician" is "lead pharmacy technician" (a step up in the
    same occupation), not any technician. Other goals are left as they are."""
    words = goal.split()
    head = singular(words[-1].lower())
    for part in headline_parts(headline):
        own = [w.lower() for w in _WORDS.findall(part)]
        heads = [singular(w) for w in own]
        if head in heads[1:]:  # the headline qualifies the head ("pharmacy technician")
            field = own[: heads.index(head)]
            if not set(field) & {w.lower() for w in words}:
                return " ".join([*words[:-1], *field, words[-1]])
    return goal


class ProfileOccupations:
    """Infers candidates' occupations (module docstring) with the pack's title classifier and
    role skills."""

    def __init__(self, titles: TitleNormalizer, role_matrix: sparse.csr_matrix):
        """`role_matrix` is (SOC rows x skills): the weight of each skill in each occupation's
        role (SkillSpace.role_matrix), rows scaled to sum to 1."""
        self.titles = titles
        self.role_matrix = role_matrix
        known = titles.classifier.known if titles.classifier else None
        self._known_texts = set(known.rows_of_text) if known else set()
        self._heads = set(titles.classifier.cleaner.heads) if titles.classifier else set()

    # ---- evidence -------------------------------------------------------------------------
    def names_a_job(self, text: str) -> bool:
        """True when a text ends in a word that ends known job titles ("... Technician"), not
        in "Program" or "opportunity", or opens with a job's abbreviation ("EMT-Basic")."""
        words = _WORDS.findall(text.lower().replace("/", " "))
        if words and singular(words[-1]) in self._heads:
            return True
        first = re.split(r"[\s/-]+", text.strip())[0].lower() if text.strip() else ""
        expanded = ABBREVIATIONS.get(first, "").lower().split()
        return bool(expanded) and singular(expanded[-1]) in self._heads

    def mentions(self, summary: str) -> list[tuple[str, float, bool]]:
        """(known title, weight, names a goal) for the job titles a summary names, in order."""
        out: list[tuple[str, float, bool]] = []
        seen: set[str] = set()
        for s_index, sentence in enumerate(re.split(r"(?<=[.!?;])\s+|\n+", summary or "")):
            words = _WORDS.findall(sentence)
            lowered = [w.lower() for w in words]
            i = 0
            while i < len(words):
                found = None
                for n in range(min(MAX_SPAN_WORDS, len(words) - i), 0, -1):
                    last = singular(lowered[i + n - 1])
                    if last not in self._heads:
                        continue
                    text = " ".join(lowered[i : i + n - 1] + [last])
                    if text in self._known_texts and (n > 1 or len(text) > 5):
                        found = (text, n)
                        break
                if found is None:
                    i += 1
                    continue
                text, n = found
                before = " ".join(words[max(0, i - 6) : i])
                target = is_target(before)
                counted = sum(1 for _, w, _ in out if w > 0)
                weight = (1.5 if s_index == 0 else 1.0) * (1.5 if CURRENT_CUES.search(before) else 1.0) / (1 + counted)
                unpaid = VOLUNTEER.search(" ".join(words[max(0, i - 2) : i + n]))
                if unpaid or PAST_CUES.search(before + " ") or (not target and OTHERS_CUES.search(before + " ")):
                    weight *= OTHERS
                if text not in seen:
                    if weight > 0:  # a later mention of the same title as one's own still counts
                        seen.add(text)
                    out.append((text, weight, target))
                i += n
        return out

    def evidence(
        self,
        headlines: list[str | None],
        summaries: list[str],
        desired: list[list[str]] | None = None,
        classify: Callable[[list[str]], list[list[dict]]] | None = None,
        english_headlines: list[str | None] | None = None,
    ) -> list[OccupationEvidence]:
        """Headline, summary and desired-role evidence of a batch of candidates; every title
        is classified in one call of `classify` (default: the normaliser; the understanding
        passes its memoised one). `english_headlines`: a foreign headline's translation, which
        tells whether it names a goal ("En busca de mi próxima oportunidad")."""
        queries: list[str] = []
        owners: list[tuple[int, str, float, str]] = []  # (candidate, "headline" | "summary" | "target", weight, source)
        out = [OccupationEvidence() for _ in headlines]
        for c, (headline, summary) in enumerate(zip(headlines, summaries)):
            reading = (english_headlines[c] if english_headlines else None) or headline
            if reading and is_target(reading) and not any(self.names_a_job(p) for p in headline_parts(reading)):
                headline = None  # "Looking for my next opportunity": a goal that names no job says nothing
            if headline and reading:
                out[c].headline_is_target = is_target(reading)
                parts = [p for i, p in enumerate(headline_parts(headline)) if i == 0 or self.names_a_job(p)]
                for part in parts:
                    queries.append(part)
                    owners.append((c, "headline", 1.0, "headline"))
            for role in (desired[c] if desired else [])[:3]:
                queries.append(role)
                owners.append((c, "target", 1.0, "desired_roles"))
            for text, weight, target in self.mentions(summary):
                if weight <= 0:
                    continue
                out[c].mentions.append(text)
                queries.append(in_own_field(text, reading) if target and reading else text)
                owners.append((c, "target" if target else "summary", weight, "summary"))
        if not queries:
            return out
        ranked = classify(queries) if classify else self.titles.normalize_batch(queries, k=TOP * 2)
        weights: dict[tuple[int, str], float] = {}
        for (c, kind, weight, source), answers in zip(owners, ranked):
            if kind == "headline" and answers:
                weight = answers[0]["score"] ** 2
            weights[(c, kind)] = weights.get((c, kind), 0.0) + weight
            if kind == "target" or (kind == "headline" and out[c].headline_is_target):
                for a in answers[:1]:
                    out[c].target_sources.setdefault(self.titles.by_code[a["soc"]], source)
            bucket = {"headline": out[c].headline, "summary": out[c].summary, "target": out[c].summary_targets}[kind]
            for a in answers:
                row = self.titles.by_code[a["soc"]]
                bucket[row] = bucket.get(row, 0.0) + weight * a["score"]
        for (c, kind), total in weights.items():  # each kind of evidence sums to at most 1; a single
            bucket = {"headline": out[c].headline, "summary": out[c].summary, "target": out[c].summary_targets}[kind]
            for row in bucket:  # weak mention stays weak
                bucket[row] /= total if kind == "headline" else max(total, 1.0)
        return out

    def skill_scores(self, skills: dict[int, float]) -> np.ndarray:
        """Per SOC row, the weighted share of its role skills the candidate has (skill row ->
        credit, near-synonyms already expanded)."""
        if not skills:
            return np.zeros(self.role_matrix.shape[0], dtype=np.float32)
        have = np.zeros(self.role_matrix.shape[1], dtype=np.float32)
        for row, credit in skills.items():
            have[row] = max(have[row], credit)
        return np.asarray(self.role_matrix @ have, dtype=np.float32).ravel()

    # ---- the answer -----------------------------------------------------------------------
    def infer(self, ev: OccupationEvidence, skills: dict[int, float]) -> dict | None:
        """The candidate's occupation, its rivals and a career target, or None without evidence."""
        n = len(self.titles.socs)
        headline = np.zeros(n, np.float32)
        target = np.zeros(n, np.float32)
        for row, p in ev.headline.items():
            (target if ev.headline_is_target else headline)[row] = p
        for row, p in ev.summary_targets.items():
            target[row] = max(target[row], p)
        summary = np.zeros(n, np.float32)
        for row, p in ev.summary.items():
            summary[row] = p
        by_skills = self.skill_scores(skills)
        if by_skills.max() > 0:
            by_skills = by_skills / by_skills.max()
        score: np.ndarray
        if headline.any() or summary.any():
            text = (headline + SUMMARY * summary) / (float(headline.any()) + SUMMARY * float(summary.any()))
            score = (TEXT_FLOOR + text) * (SKILL_FLOOR + by_skills) if by_skills.any() else text
        else:
            text = np.zeros(n, np.float32)
            score = by_skills
        if not score.any() and target.any():
            score = target.copy()  # only a goal is known: it is all there is to go on
        if not score.any():
            return None
        top = np.argsort(-score, kind="stable")[:TOP]
        best = int(top[0])
        share = float(score[best] / (score[top].sum() or 1.0))

        def entry(row: int) -> dict:
            return {
                "soc": self.titles.socs[row]["code"],
                "title": self.titles.socs[row]["title"],
                "score": round(float(score[row]), 4),
                "evidence": {
                    "headline": round(float(headline[row]), 3),
                    "summary": round(float(summary[row]), 3),
                    "skills": round(float(by_skills[row]), 3),
                },
            }

        answer = {
            **entry(best),
            "confidence": round(share, 4),
            "status": "confident" if share >= CONFIDENT else "uncertain",
            "source": ("headline" if headline[best] >= SUMMARY * summary[best] else "summary")
            if text[best] > TEXT_FLOOR
            else "skills"
            if by_skills[best] > 0
            else "career target",
            "candidates": [entry(int(r)) for r in top if score[r] > 0],
        }
        if target.max() >= TARGET_MIN:  # a goal phrase that names no occupation is no target
            t = int(np.argmax(target))
            if t != best:
                answer["career_target"] = {
                    "soc": self.titles.socs[t]["code"],
                    "title": self.titles.socs[t]["title"],
                    "score": round(float(target[t]), 4),
                    "from": ev.target_sources.get(t, "headline" if ev.headline_is_target else "summary"),
                }
        return answer
