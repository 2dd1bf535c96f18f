"""Gaps to the next level: which scenarios and which scored items would move it, each backed by a corpus passage.

Scenario gaps: the constraint scenarios closest to the target level first, until the constraint count is met; then
the remaining scenarios closest to it, until the scenario count is met. Score gaps: the items with the most points
still open, until the score line is reached. Both follow the level rules of the data file (third-party reading).
"""

from __future__ import annotations

import re
from typing import Protocol

from sme_ai.assess.indicators import Questionnaire, level_name
from sme_ai.assess.model import Assessment, Gap, GapEvidence, ScenarioLevel
from sme_ai.text import split_sentences
from sme_ai.types import Hit

_DOC_TYPES = ["indicators", "playbook"]


class Searcher(Protocol):
    """What the gap evidence needs from the knowledge base (the Assistant is one)."""

    def search(self, query: str, k: int | None = None, *, filters: dict[str, list[str]] | None = None,
               mode: str = "hybrid") -> list[Hit]: ...


def _scenario_gap(q: Questionnaire, s: ScenarioLevel, target: int) -> Gap:
    spec = q.scenario(s.id)
    step = ""
    if s.level + 1 < target:
        step = f"（需先达到{level_name(s.level + 1)}：{spec.levels[s.level + 1]}）"
    return Gap(kind="scenario", target_level=target, id=s.id, name=s.name, current=level_name(s.level),
               target=level_name(target), constraint=s.constraint,
               detail=f"达到{level_name(target)}：{spec.levels[target]}{step}",
               query=f"场景 {s.name} 升级要点 {level_name(max(1, s.level))}→{level_name(max(2, s.level + 1))} "
                     f"{spec.levels[target]}")


def scenario_gaps(q: Questionnaire, a: Assessment, target: int) -> list[Gap]:
    rule = q.level_rules.rule(target)
    below = [s for s in a.scenarios if s.level < target]
    order = {s.id: i for i, s in enumerate(q.scenarios)}
    closest = sorted(below, key=lambda s: (-s.level, order[s.id]))
    at = [s for s in a.scenarios if s.level >= target]
    need_constraint = max(0, rule.min_constraint - sum(s.constraint for s in at))
    picked = [s for s in closest if s.constraint][:need_constraint]
    need_total = max(0, rule.min_scenarios - len(at) - len(picked))
    rest = sorted((s for s in closest if s not in picked), key=lambda s: (-s.level, not s.constraint, order[s.id]))
    picked += rest[:need_total]
    return [_scenario_gap(q, s, target) for s in picked]


def _item_detail(item) -> str:
    if item.kind == "multi":
        return "补齐：" + "、".join(item.missing)
    current = item.selected[0] if item.selected else "未作答"
    return f"当前“{current}”，下一档“{item.missing[0]}”，最高档“{item.missing[-1]}”"


def score_gaps(q: Questionnaire, a: Assessment, target: int) -> list[Gap]:
    rule = q.level_rules.rule(target)
    need = rule.min_score - a.score
    if need <= 1e-9:
        return []
    open_items = [i for d in a.dimensions for i in d.items if i.max - i.points > 1e-9]
    open_items.sort(key=lambda i: -(i.max - i.points))  # stable: data-file order breaks ties
    gaps, gained = [], 0.0
    for item in open_items:
        gain = round(item.max - item.points, 3)
        gaps.append(Gap(kind="score", target_level=target, id=item.id, name=f"{item.group}·{item.name}",
                        current=f"{item.points:g}分", target=f"{item.max:g}分", gain=gain,
                        detail=_item_detail(item), query=f"评测指标 {item.group} {item.name.split('：')[0]} 分"))
        gained += gain
        if gained >= need - 1e-9:
            break
    return gaps


def find_gaps(q: Questionnaire, a: Assessment) -> list[Gap]:
    """The gaps between the estimated level and the next one (none at level 4)."""
    if a.next_level is None:
        return []
    return scenario_gaps(q, a, a.next_level) + score_gaps(q, a, a.next_level)


# --- evidence ----------------------------------------------------------------------------------


def _keys(gap: Gap) -> list[str]:
    if gap.kind == "scenario":
        return [gap.name]
    group, name = gap.name.split("·", 1)
    return [k for k in (name.split("：")[0], re.sub(r"^(改造后|数据自动采集)", "", name)[:4], group) if k]


def _quote(text: str, keys: list[str], gap: Gap) -> str:
    sentences = [s.strip() for s in split_sentences(text) if s.strip()]
    current = _level_of(gap.current) if gap.kind == "scenario" else 0
    if current >= 1:  # prefer the playbook's "一级→二级：…" line for the step this scenario needs next
        lines = [s for s in sentences if s.lstrip("- ").startswith(f"{level_name(current)}→")]
        if lines:
            return lines[0].lstrip("- ").strip()
    for key in keys:
        hit = next((s for s in sentences if key in s), None)
        if hit:
            return hit.lstrip("- ").strip()[:200]
    return sentences[0][:200] if sentences else text[:200]


def _level_of(name: str) -> int:
    from sme_ai.assess.indicators import LEVEL_NAMES

    return next((k for k, v in LEVEL_NAMES.items() if v == name), 0)


def evidence_for(searcher: Searcher, gap: Gap) -> GapEvidence | None:
    """The first hit for the gap's query that names the scenario or item; None when nothing names it."""
    hits = searcher.search(gap.query, k=5, filters={"doc_type": _DOC_TYPES}) or searcher.search(gap.query, k=5)
    keys = _keys(gap)
    named = [h for h in hits if any(k in h.chunk.section or k in h.chunk.text for k in keys)]
    if gap.kind == "scenario":  # the scenario's own section (playbook step or level description) first
        named.sort(key=lambda h: gap.name not in h.chunk.section)
    if not named:
        return None
    c = named[0].chunk
    return GapEvidence(source=c.source, title=c.title, section=c.section, quote=_quote(c.text, keys, gap),
                    chunk_id=c.id, page=c.page)


def attach_evidence(searcher: Searcher, gaps: list[Gap]) -> list[Gap]:
    return [g.model_copy(update={"evidence": evidence_for(searcher, g)}) for g in gaps]
