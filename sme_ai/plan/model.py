"""The plan and its parts (pydantic: the plan is an edge value, exported to Markdown/DOCX and JSON)."""

from __future__ import annotations

from pydantic import BaseModel

from sme_ai.plan.profile import EnterpriseProfile

SECTION_TITLES = (
    ("diagnosis", "企业现状与诊断"),
    ("targets", "转型目标"),
    ("scenarios", "优先场景与“小快轻准”方案"),
    ("roadmap", "分阶段路线图"),
    ("investment", "投入估算与资金渠道"),
    ("security", "数据与网络安全"),
    ("talent", "人才与组织"),
    ("kpis", "验收指标"),
    ("risks", "风险与对策"),
    ("references", "参考依据"),
)


class Target(BaseModel):
    current: int | None  # the assessed level; None without an assessment
    floor: int  # the lowest level consistent with the tier (and the pilot status)
    target: int  # the level the plan aims at
    milestone: int  # the level to reach within the plan's 12 months
    tier: str
    pilot: bool | None
    approach: str
    basis: list[str]  # the policy statements the floor rests on (each cited in the plan)
    note: str = ""


class ScenarioChoice(BaseModel):
    id: str
    name: str
    category: str
    constraint: bool
    current: int | None
    target: int
    target_description: str
    tools: str
    reasons: list[str]
    from_gap: bool = False
    from_playbook: bool = False


class Phase(BaseModel):
    key: str
    months: str
    title: str
    scenarios: list[str]
    deliverables: list[str]


class KPI(BaseModel):
    name: str
    item_id: str  # an indicator item id, a scenario id, or "level"
    indicator: str
    baseline: str
    target: str
    measure: str
    owner_goal: str = ""  # the owner's own goal this KPI carries (its number is the owner's)


class NeedCoverage(BaseModel):
    """How the plan handles one pain point or goal the owner wrote."""

    text: str
    kind: str  # "pain" | "goal"
    scenarios: list[str] = []  # ids of the chosen scenarios that address it
    handling: str  # what the plan does: the scenario(s), or why not and what instead
    kpi: str = ""  # the KPI carrying a goal's number


class BudgetRow(BaseModel):
    phase: str  # "0–3个月" …, or "预留"
    item: str
    low: float  # 万元 (0 when the owner gave no budget: then `share` only)
    high: float
    share: str  # "20–30%"
    note: str = ""


class BudgetPlan(BaseModel):
    total_low: float | None  # the owner's budget (万元), None when not given
    total_high: float | None
    rows: list[BudgetRow]
    phase_totals: list[BudgetRow]
    not_covered: list[str]
    cut_order: list[str]
    note: str = ""


class Table(BaseModel):
    columns: list[str]
    rows: list[list[str]]


class Reference(BaseModel):
    n: int
    source: str
    title: str
    section: str = ""
    page: int | None = None
    quote: str
    chunk_id: str = ""
    text: str = ""  # the whole passage: what numbers in the plan are checked against


class PlanSection(BaseModel):
    key: str
    title: str
    facts: list[str] = []  # the enterprise's own data and the deterministic choices
    basis: list[str] = []  # deterministic statements from the sources, each with its [n]
    table: Table | None = None
    body: str = ""  # the prose, written (or extracted) from this section's retrieval, with [n] markers
    meta: dict = {}


class PlanProgress(BaseModel):
    k: int
    n: int
    title: str


class PlanOutline(BaseModel):
    """The rule-built plan (every section's facts, statements with their citations and tables, no prose yet):
    yielded before any model call."""

    plan: "Plan"


class SectionDone(BaseModel):
    """Section k of n with its prose: yielded as soon as it is written."""

    k: int
    n: int
    section: PlanSection


class Plan(BaseModel):
    title: str
    profile: EnterpriseProfile
    assessment_level: int | None = None
    assessment_score: float | None = None
    industry: str
    target: Target
    scenarios: list[ScenarioChoice]
    phases: list[Phase]
    kpis: list[KPI]
    needs: list[NeedCoverage] = []
    budget: BudgetPlan | None = None
    sections: list[PlanSection]
    references: list[Reference]
    caveats: list[str]
    mode: str  # the model's name, or "extractive"
    created: str
    timings: dict[str, float] = {}

    def section(self, key: str) -> PlanSection | None:
        return next((s for s in self.sections if s.key == key), None)


PlanOutline.model_rebuild()
