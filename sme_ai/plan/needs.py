"""The owner's own words, read: each pain point and goal → the scenarios it points to, the AI application it names,
what the plan does instead when no scenario fits, and (for a goal with a number) the KPI with the owner's number.

Pure functions of the profile and `playbooks.yaml` (pain_points, ai_applications, goal_metrics); `rules` decides
with them, `sections` writes them into the plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sme_ai.plan.catalog import AIApp, GoalMetric, load_rules

_FIRST = re.compile(r"^(先做|先上|先把|优先|首先|先)")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(%|％|个百分点|天|小时|分钟|万元|元|个|次|倍|人)?")
_VERB = re.compile(r"(提高到|提升到|达到|降到|降低到|减少到|缩短到|控制在|增加|减少|提高|提升|降低|缩短)\s*$")
_AFTER = re.compile(r"^\s*(以下|以内|以上)")
_LEVEL = re.compile(r"(?:达到|升到|到|评上|实现)?\s*([一二三四1-4])\s*级")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEARS = re.compile(r"([一两二三四五1-5])\s*年")


@dataclass(frozen=True)
class Need:
    """One pain point or goal as the owner wrote it, and what the rules read in it."""

    text: str
    kind: str  # "pain" | "goal"
    scenarios: tuple[str, ...] = ()  # candidate scenario ids, in the data file's order
    ai: AIApp | None = None
    instead: str = ""  # no scenario fits: what the plan does about it
    note: str = ""
    first: bool = False  # "先做质检": the owner wants this first
    level: int | None = None  # a level goal ("两年内达到二级")
    years: int | None = None
    number: str = ""  # a goal's own number with its unit ("95%")
    metric: GoalMetric | None = None

    @property
    def label(self) -> str:
        return ("痛点" if self.kind == "pain" else "目标") + f"“{self.text}”"


def _level(text: str) -> int | None:
    m = _LEVEL.search(text)
    return _CN[m.group(1)] if m else None


def _years(text: str) -> int | None:
    m = _YEARS.search(text)
    return {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5}.get(m.group(1)) or int(m.group(1)) if m else None


def _number(text: str, level: int | None) -> str:
    """The goal's number with its unit; a level or a year count is not a metric number."""
    for m in _NUMBER.finditer(text):
        after = text[m.end(): m.end() + 1]
        if m.group(2) is None and after and after in "级年":
            continue
        verb = _VERB.search(text[: m.start()])
        tail = _AFTER.match(text[m.end():])
        return (verb.group(1) if verb else "") + m.group(1) + (m.group(2) or "").replace("％", "%") + (
            tail.group(1) if tail else "")
    return ""


def read_need(text: str, kind: str) -> Need:
    rules = load_rules()
    scenarios: list[str] = []
    instead, note = "", ""
    for row in rules.pain_points:
        if not any(w in text for w in row.words):
            continue
        scenarios += [s for s in row.scenarios if s not in scenarios]
        instead = instead or row.instead
        note = note or row.note
    level = _level(text)
    if scenarios and level is not None and not _number(text, level):
        instead = ""  # "质量管理做到二级": a scenario level goal, the scenario carries it
    ai = next((a for a in rules.ai_applications if any(w in text for w in a.words)), None)
    if ai and ai.scenario not in scenarios:
        scenarios.append(ai.scenario)
    number = _number(text, level) if kind == "goal" else ""
    metric = next((m for m in rules.goal_metrics if any(w in text for w in m.words)), None) if number else None
    return Need(text=text, kind=kind, scenarios=tuple(scenarios), ai=ai, instead=instead if not scenarios else "",
                note=note, first=bool(_FIRST.match(text)), level=level, years=_years(text), number=number,
                metric=metric)


def read_needs(profile) -> list[Need]:
    """The profile's pain points, then its goals, each read once (duplicates dropped)."""
    out, seen = [], set()
    for kind, texts in (("pain", profile.pain_points), ("goal", profile.goals)):
        for t in texts:
            if t and t not in seen:
                seen.add(t)
                out.append(read_need(t, kind))
    return out


def level_goal(needs: list[Need]) -> Need | None:
    """The owner's level goal ("两年内达到二级"), if any: the highest one stated."""
    goals = [n for n in needs if n.level is not None and not n.scenarios]
    return max(goals, key=lambda n: n.level, default=None)
