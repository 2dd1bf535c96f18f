"""Each of the owner's pain points and goals, handled: the chosen scenario that addresses it, or why none does and
what the plan does instead; an AI application only on the data base it needs; every goal with a number a KPI
carrying the owner's number and how its baseline is taken.
"""

from __future__ import annotations

from sme_ai.assess.indicators import Questionnaire, level_name
from sme_ai.plan.model import KPI, NeedCoverage, Phase, ScenarioChoice, Target
from sme_ai.plan.needs import Need

_AI_READY = 2  # the AI guidance: AI builds on the data of the first levels; pilot from level 2 on


def _ai_line(need: Need, s: ScenarioChoice) -> str:
    if need.ai is None or need.ai.scenario != s.id:
        return ""
    ready = (s.current or 0) >= _AI_READY or s.target >= _AI_READY + 1
    if ready:
        return f"；{need.ai.name}：第三阶段选一道工序小步试点（先离线验证准确率，再与人工并行）"
    return (f"；{need.ai.name}建立在{s.name}的数据基础上：本期先把{s.name}做到{level_name(s.target)}，"
            f"积累数据后再评估{need.ai.name}试点")


def _not_chosen(need: Need, q: Questionnaire, max_n: int, chosen: set[str] = frozenset()) -> str:
    rest = [sid for sid in need.scenarios if sid not in chosen]
    spec = q.scenario(rest[0])
    names = "、".join(q.scenario(sid).name for sid in rest)
    return (f"对应{names}场景，本期未列入重点场景（12个月内最多{max_n}个，按自评差距、行业指南、痛点和预算排序靠后）；"
            f"替代做法：先按评测指标一级要点做起——{spec.levels[1]}，复评后列入下一批场景")


def _reached(need: Need, q: Questionnaire, levels: dict[str, int], target: Target) -> str:
    sid = need.scenarios[0]
    lv = levels.get(sid)
    if lv is not None and lv >= target.milestone:
        return (f"{q.scenario(sid).name}场景自评已达{level_name(lv)}，不低于本期目标{level_name(target.milestone)}，"
                "本期不列为重点场景，保持现有做法并在复评时确认")
    return ""


def cover(needs: list[Need], scenarios: list[ScenarioChoice], target: Target, q: Questionnaire,
          kpis: list[KPI], levels: dict[str, int] | None = None) -> list[NeedCoverage]:
    """`levels`: the assessed scenario levels (empty without an assessment)."""
    chosen = {s.id: s for s in scenarios}
    by_goal = {k.owner_goal: k for k in kpis if k.owner_goal}
    levels = levels or {}
    out = []
    for need in needs:
        hit = [chosen[sid] for sid in need.scenarios if sid in chosen]
        kpi = by_goal.get(need.text)
        primary = need.scenarios[0] if need.scenarios else None
        if hit:
            handling = "由" + "、".join(f"{s.name}场景（{level_name(s.target)}）" for s in hit) + "解决"
            handling += "".join(_ai_line(need, s) for s in hit)
            if primary not in chosen:
                handling += "；" + (_reached(need, q, levels, target) or _not_chosen(need, q, len(scenarios), set(chosen)))
        elif need.scenarios:
            handling = _reached(need, q, levels, target) or _not_chosen(need, q, len(scenarios))
        elif need.level is not None:
            handling = f"由目标等级承接：本方案目标{level_name(target.target)}，12个月内{level_name(target.milestone)}"
        elif need.instead:
            handling = need.instead
        else:
            handling = "没有对应的业务场景：请补充具体的业务环节（如“交期”“库存”“质检”），可重新生成本方案"
        if need.note:
            handling += f"（{need.note}）"
        if kpi:
            handling += f"；验收指标“{kpi.name}”：目标{kpi.target}"
        out.append(NeedCoverage(text=need.text, kind=need.kind, scenarios=[s.id for s in hit], handling=handling,
                                kpi=kpi.name if kpi else ""))
    return out


def _indicator(q: Questionnaire, item_id: str) -> str:
    s = q.scenario(item_id)
    if s is not None:
        return f"数字化经营·{q.category(s.category).name}·{s.name}"
    item = q.item(item_id)
    if item is None:
        return "企业自定指标"
    dim = next(d.name for d in q.dimensions if d.id == item.dimension)
    return f"{dim}·{item.group}·{item.name}"


def goal_kpis(needs: list[Need], q: Questionnaire) -> list[KPI]:
    """A KPI for every goal with a number, with the owner's number as its target."""
    out = []
    for need in needs:
        if need.kind != "goal" or not need.number:
            continue
        m = need.metric
        name = m.name if m else need.text
        baseline = m.baseline if m else "上线前连续3个月按同一口径统计"
        when = f"{need.years}年内" if need.years else "12个月内"
        out.append(KPI(name=name, item_id=m.item if m else "owner_goal", indicator=_indicator(q, m.item) if m else "企业自定指标",
                       baseline="待测（第一阶段测基线）", target=f"{need.number}（企业目标，{when}）", measure=baseline,
                       owner_goal=need.text))
    return out


def level_kpi_goal(kpis: list[KPI], needs: list[Need]) -> list[KPI]:
    """The level KPI carries the owner's level goal ("两年内达到二级") when there is one."""
    goal = next((n for n in needs if n.level is not None and not n.scenarios), None)
    if goal is None:
        return kpis
    return [k.model_copy(update={"owner_goal": goal.text, "target": f"{k.target}；企业目标：{goal.text}"})
            if k.item_id == "level" else k for k in kpis]


def baseline_steps(phases: list[Phase], kpis: list[KPI]) -> list[Phase]:
    """The first phase measures the baselines of the owner's KPIs."""
    steps = [f"测基线：{k.name}（{k.measure}）" for k in kpis if k.owner_goal and k.item_id != "level"]
    if not steps or not phases:
        return phases
    first = phases[0].model_copy(update={"deliverables": phases[0].deliverables + steps})
    return [first] + phases[1:]
