"""Plain records of the reference data, shared by the pack builder and the loaders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Skill:
    id: str  # ESCO concept URI
    label: str
    alt_labels: list[str] = field(default_factory=list)
    definition: str = ""
    skill_type: str = ""  # "skill/competence" or "knowledge" when the source says

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EscoOccupation:
    id: str  # ESCO concept URI
    label: str
    alt_labels: list[str] = field(default_factory=list)
    definition: str = ""
    isco_group: str = ""
    # skill URI -> 2 essential, 1 optional (from occupationSkillRelations when available)
    skills: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SocOccupation:
    code: str  # SOC 2018 detailed code, "15-1252"
    title: str
    onet_titles: list[str] = field(default_factory=list)  # O*NET-SOC titles that roll up to it
    tasks: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)  # O*NET detailed work activities

    def to_dict(self) -> dict:
        return asdict(self)
