"""What matching returns: a candidate's (role, region) matches, the candidates for a need and
the talent map, as frozen dataclasses. `to_dict()` gives the JSON the API sends: fields in the
order they are declared here (the order of the keys in the response), nested results as dicts,
tuples as lists."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


class Result:
    """A result of matching: `to_dict()` is its JSON document."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


def _plain(value: Any) -> Any:
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# ---- candidate -> (role, region) ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RegionFacts(Result):
    """The region of a match with the OEWS facts of the role's occupation there."""

    id: str
    name: str
    kind: str
    state: str | None
    country: str
    employment: float | None
    location_quotient: float | None
    median_wage: float | None
    national_median_wage: float | None
    wage_vs_national: float | None
    distance_km: float | None


@dataclass(frozen=True, slots=True)
class MatchComponents(Result):
    """The components a match's score blends (models/recommend/matching.py), rounded."""

    occupation_fit: float
    skill_fit: float
    required_coverage: float
    nice_coverage: float
    semantic: float
    region_fit: float
    specialisation: float
    demand: float
    wage: float
    reach: float
    micro_hub_bonus: float
    remote_fit: float
    posted_bonus: float


@dataclass(frozen=True, slots=True)
class RoleMatch(Result):
    """One (role, region) match of a candidate: a posted need or a market role, explained."""

    role: dict[str, Any]  # a posted need's or a market role's facts, with its relation to the candidate
    region: RegionFacts | None
    score: float
    step_up: bool
    beyond_commute: bool
    components: MatchComponents
    explanation: str
    matched_skills: list[dict]
    missing_skills: list[dict]


@dataclass(frozen=True, slots=True)
class Anchor(Result):
    """The occupation a candidate's matches are built around; career_target only when stated."""

    soc: str
    title: str
    uncertain: bool
    job_zone: float | None
    career_target: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = Result.to_dict(self)
        if self.career_target is None:
            del out["career_target"]
        return out


@dataclass(frozen=True, slots=True)
class CandidateMatches(Result):
    """A candidate's matches, best first, and the occupation they are built around."""

    candidate_id: int
    anchor: Anchor | None
    items: tuple[RoleMatch, ...]


# ---- role -> candidates ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CandidateSummary(Result):
    """Who a candidate for a need is, where, and what they are open to."""

    id: int
    external_id: str
    headline: str
    region: dict[str, Any] | None  # id, name, kind
    remote_ok: bool
    willing_to_relocate: bool
    languages: list[str]


@dataclass(frozen=True, slots=True)
class CandidateMatch(Result):
    """One candidate for a need, explained."""

    candidate: CandidateSummary
    score: float
    components: MatchComponents
    matched_skills: list[dict]
    missing_skills: list[dict]
    distance_km: float | None


@dataclass(frozen=True, slots=True)
class NeedCandidates(Result):
    """The best candidates for a need, and how many of all the tenant's fit it."""

    need_id: int
    total_fitting: int
    items: tuple[CandidateMatch, ...]
    total_fitting_approximate: bool = False  # estimated from a sample (a very large tenant)


# ---- talent map --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MapRegion(Result):
    """Where a region of the talent map is."""

    id: str
    name: str
    kind: str
    state: str | None
    country: str
    lat: float | None
    lon: float | None
    micro_hub: bool


@dataclass(frozen=True, slots=True)
class RegionTalent(Result):
    """The tenant's candidates in a region who fit the role."""

    fitting: int
    median_fit: float | None


@dataclass(frozen=True, slots=True)
class RegionMarket(Result):
    """The role's market in a region (OEWS); cost_advantage is 1 - wage against national."""

    employment: float | None
    location_quotient: float | None
    median_wage: float | None
    national_median_wage: float | None
    cost_advantage: float | None


@dataclass(frozen=True, slots=True)
class TalentRegion(Result):
    """One region of a talent map: its talent for the role and the role's market there."""

    region: MapRegion
    score: float
    candidates: RegionTalent
    market: RegionMarket


@dataclass(frozen=True, slots=True)
class MapRole(Result):
    """The role a talent map is for, with its skills."""

    title: str
    soc: str | None
    required_skills: list[dict[str, str]]
    nice_to_have_skills: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class TalentMap(Result):
    """Regions ranked by talent for a role, best first."""

    role: MapRole
    regions: tuple[TalentRegion, ...]
    approximate: bool = False  # counts estimated from a sample of candidates (a very large tenant)


# ---- skill gaps (models/recommend/gaps.py) ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProgramStep(Result):
    """A programme of a training plan and the missing skills it covers."""

    program: dict[str, Any]
    place: str  # local, online or elsewhere
    covers: list[dict[str, str]]
    value: float


@dataclass(frozen=True, slots=True)
class TrainingPlan(Result):
    programs: tuple[ProgramStep, ...]
    total_hours: float
    total_cost: float
    uncovered_skills: list[dict[str, str]]
    same_skill_rule: str


@dataclass(frozen=True, slots=True)
class SkillGap(Result):
    """A candidate's gap to a role, and the training plan that closes it."""

    candidate_id: int
    role: dict[str, Any]
    matched_skills: list[dict]
    missing_skills: list[dict[str, Any]]
    training_plan: TrainingPlan


@dataclass(frozen=True, slots=True)
class SkillShortage(Result):
    """A skill's demand against its supply in a region."""

    id: str
    label: str
    demand: float
    supply: float
    supply_share: float
    gap: float


@dataclass(frozen=True, slots=True)
class SkillBundle(Result):
    """A certification suggestion: gap skills demanded together."""

    skills: list[dict[str, str]]
    open_roles_made_eligible: int
    candidates_made_eligible: int
    existing_programs: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RegionReport(Result):
    """The training-centre report of a region."""

    region: dict[str, Any] | None
    demand_sources: dict[str, Any]
    supply_sources: dict[str, Any]
    gaps: tuple[SkillShortage, ...]
    certification_suggestions: tuple[SkillBundle, ...]
