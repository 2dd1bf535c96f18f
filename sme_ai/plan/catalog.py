"""The data behind the plan rules (`playbooks.yaml`): industries with their playbook routes, enterprise tiers,
pain-point words, KPI rows. Loading and looking up only; `rules` decides with it, `profile` validates with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("playbooks.yaml")


@dataclass(frozen=True)
class Industry:
    id: str
    name: str
    playbook_section: str
    start: str
    priorities: tuple[str, ...]
    route: tuple[str, str, str]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tier:
    id: str
    name: str
    aliases: tuple[str, ...]
    floor_pilot: int
    floor_other: int
    approach: str
    max_scenarios: int
    basis: tuple[str, ...]
    basis_pilot: tuple[str, ...]


@dataclass(frozen=True)
class PainRule:
    words: tuple[str, ...]
    scenarios: tuple[str, ...]
    instead: str = ""  # a row without scenarios: what the plan does about it instead
    note: str = ""


@dataclass(frozen=True)
class AIApp:
    name: str
    words: tuple[str, ...]
    scenario: str
    query: str


@dataclass(frozen=True)
class GoalMetric:
    words: tuple[str, ...]
    name: str
    item: str
    baseline: str


@dataclass(frozen=True)
class Rules:
    industries: tuple[Industry, ...]
    general: Industry
    tiers: tuple[Tier, ...]
    pain_points: tuple[PainRule, ...]
    tier_match_order: tuple[str, ...]
    early_items: frozenset[str]
    kpi_bands: tuple[dict, ...]  # {item, name, measure}
    kpi_outcomes: tuple[dict, ...]  # {item, name, target}
    ai_applications: tuple[AIApp, ...] = ()
    goal_metrics: tuple[GoalMetric, ...] = ()
    scenario_cost: dict[str, str] | None = None  # scenario id → low | mid | high
    budget: dict | None = None  # phases, reserve, items, scenarios_by_budget, not_covered, cut_order

    def cost_class(self, scenario_id: str) -> str:
        return (self.scenario_cost or {}).get(scenario_id, "mid")


def _industry(d: dict) -> Industry:
    return Industry(id=d["id"], name=d["name"], playbook_section=d["playbook_section"], start=d["start"],
                    priorities=tuple(d["priorities"]), route=tuple(d["route"]), aliases=tuple(d.get("aliases", ())))


@lru_cache(maxsize=2)
def load_rules(path: Path = DATA_FILE) -> Rules:
    import yaml

    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    tiers = tuple(Tier(id=t["id"], name=t["name"], aliases=tuple(t["aliases"]), floor_pilot=t["floor"]["pilot"],
                       floor_other=t["floor"]["other"], approach=t["approach"], max_scenarios=t["max_scenarios"],
                       basis=tuple(t["basis"]), basis_pilot=tuple(t["basis_pilot"])) for t in raw["tiers"])
    pains = tuple(PainRule(words=tuple(p["words"]), scenarios=tuple(p["scenarios"]), instead=p.get("instead", ""),
                           note=p.get("note", "")) for p in raw["pain_points"])
    ai = tuple(AIApp(name=a["name"], words=tuple(a["words"]), scenario=a["scenario"], query=a["query"])
               for a in raw.get("ai_applications", ()))
    metrics = tuple(GoalMetric(words=tuple(m["words"]), name=m["name"], item=m["item"], baseline=m["baseline"])
                    for m in raw.get("goal_metrics", ()))
    cost = {sid: cls for cls, ids in raw.get("scenario_cost", {}).items() for sid in ids}
    return Rules(industries=tuple(_industry(i) for i in raw["industries"]), general=_industry(raw["general"]),
                 tiers=tiers, pain_points=pains, tier_match_order=tuple(raw["tier_match_order"]),
                 early_items=frozenset(raw["early_items"]), kpi_bands=tuple(raw["kpis"]["bands"]),
                 kpi_outcomes=tuple(raw["kpis"]["outcomes"]), ai_applications=ai, goal_metrics=metrics,
                 scenario_cost=cost, budget=raw.get("budget"))


def industry_choices() -> list[str]:
    """The industries of the corpus's playbooks, plus 其他 (free text is accepted too)."""
    return [i.name for i in load_rules().industries] + ["其他（请填写细分行业）"]


def tier_choices() -> list[str]:
    return [t.name for t in load_rules().tiers]


def _plain(text: str) -> str:
    return re.sub(r"[“”\"'‘’\s]", "", text)


def find_tier(text: str) -> Tier | None:
    """Exact name or alias first; then the first tier (most specific first) whose alias the text contains."""
    t = _plain(text)
    rules = load_rules()
    exact = next((x for x in rules.tiers if t in {_plain(a) for a in (x.name, *x.aliases)}), None)
    if exact or not t:
        return exact
    order = sorted(rules.tiers, key=lambda x: rules.tier_match_order.index(x.id))
    return next((x for x in order if any(_plain(a) in t for a in x.aliases)), None)


def find_industry(industry: str, detail: str = "") -> Industry:
    """The playbook industry the owner named (by name or alias), else the general route."""
    rules = load_rules()
    for text in (industry, f"{industry} {detail}"):
        for ind in rules.industries:
            if text.strip() == ind.name or any(a in text for a in ind.aliases):
                return ind
    return rules.general
