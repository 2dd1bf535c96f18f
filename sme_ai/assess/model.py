"""The assessment result (pydantic: it is an edge value, read by forms, files and the plan drafter). Renderers
(`report.render_markdown`, `chart.render_chart`) take it; it imports none of them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from sme_ai.assess.indicators import level_name


class ItemScore(BaseModel):
    id: str
    name: str
    group: str
    dimension: str
    kind: Literal["single", "multi"]
    points: float
    max: float
    selected: list[str] = []  # option labels
    missing: list[str] = []  # multi: options not chosen; single: the better options
    answered: bool = True


class DimensionScore(BaseModel):
    id: str
    name: str
    en: str
    points: float
    max: float
    items: list[ItemScore]


class ScenarioLevel(BaseModel):
    id: str
    name: str
    en: str
    category: str
    category_name: str
    constraint: bool
    level: int
    description: str  # what the current level means
    answered: bool = True


class GapEvidence(BaseModel):
    """The corpus passage that backs a gap, found through `Assistant.search`."""

    source: str
    title: str
    section: str = ""
    quote: str
    chunk_id: str = ""
    page: int | None = None


class Gap(BaseModel):
    kind: Literal["score", "scenario"]
    target_level: int
    id: str
    name: str
    current: str
    target: str
    gain: float | None = None  # score gaps: the points this item can still add
    constraint: bool = False
    detail: str
    query: str = ""
    evidence: GapEvidence | None = None


class LevelCheck(BaseModel):
    level: int
    min_score: float
    score_ok: bool
    min_scenarios: int
    scenarios_at_level: int
    min_constraint: int
    constraint_at_level: int

    @property
    def met(self) -> bool:
        return (self.score_ok and self.scenarios_at_level >= self.min_scenarios
                and self.constraint_at_level >= self.min_constraint)


class Assessment(BaseModel):
    version: str
    reading: str
    caveats: list[str]
    answers: dict  # normalised: {"items": {id: [option ids]}, "scenarios": {id: level}}
    unanswered: list[str] = []
    dimensions: list[DimensionScore]
    score: float
    score_max: float
    scenarios: list[ScenarioLevel]
    checks: list[LevelCheck]
    level: int
    level_alternative: int | None = None  # the level under the conflicting third-party reading, when different
    alternative_note: str = ""
    level_2022_bands: int = 0  # the 2022 version's total-score band, for reference only
    next_level: int | None = None
    gaps: list[Gap] = []

    @property
    def level_name(self) -> str:
        return level_name(self.level)

    def scenario_level(self, scenario_id: str) -> int | None:
        return next((s.level for s in self.scenarios if s.id == scenario_id and s.answered), None)

    def item(self, item_id: str) -> ItemScore | None:
        return next((i for d in self.dimensions for i in d.items if i.id == item_id), None)

    def gap_scenarios(self) -> list[str]:
        return [g.id for g in self.gaps if g.kind == "scenario"]
