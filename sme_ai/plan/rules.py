"""The plan's deterministic structure: data and rules choose the target, the scenarios, the phases and the KPIs.

No model and no retrieval here: the same profile and assessment always give the same structure. The data is
`playbooks.yaml` (the project's reading of the industry playbooks, the action plan and the pilot rules) and the
indicators data file of `sme_ai.assess`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sme_ai.assess.indicators import Questionnaire, level_name, load_questionnaire
from sme_ai.assess.model import Assessment
from sme_ai.plan.budget import allocate, max_scenarios_for
from sme_ai.plan.catalog import Industry, find_industry, find_tier, load_rules
from sme_ai.plan.model import KPI, BudgetPlan, NeedCoverage, Phase, ScenarioChoice, Target
from sme_ai.plan.needs import Need, level_goal, read_need, read_needs
from sme_ai.plan.profile import EnterpriseProfile


@dataclass(frozen=True)
class Decision:
    """Everything deterministic about a plan, decided from the profile and the assessment."""

    profile: EnterpriseProfile
    assessment: Assessment | None
    industry: Industry
    target: Target
    scenarios: list[ScenarioChoice]
    phases: list[Phase]
    kpis: list[KPI]
    needs: list[Need] = field(default_factory=list)
    coverage: list[NeedCoverage] = field(default_factory=list)
    budget: BudgetPlan | None = None


# --- target ------------------------------------------------------------------------------------


def decide_target(profile, assessment: Assessment | None, needs: list[Need] | None = None) -> Target:
    tier = find_tier(profile.tier)
    goal = level_goal(needs or [])
    pilot = profile.pilot_city
    floor = tier.floor_pilot if pilot else tier.floor_other
    basis = list(tier.basis) + (list(tier.basis_pilot) if pilot else [])
    note = ""
    if pilot is None and tier.floor_pilot > tier.floor_other:
        note = (f"是否为试点城市尚未确认：如确认为试点城市，目标应不低于{level_name(tier.floor_pilot)}。"
                "请向当地工信部门确认。")
    current = assessment.level if assessment else None
    if current is None:
        target = milestone = max(floor, goal.level if goal else 0)
        note += "尚未自评，目标按企业类型设定；完成自测后请重新生成方案。"
    else:
        target = max(floor, min(4, current + 1), goal.level if goal else 0)
        milestone = min(target, current + 1) if current < 4 else 4
        if target > milestone:
            note += f"从{level_name(current)}到{level_name(target)}需要分步推进：12个月内先达到{level_name(milestone)}。"
    if goal:
        note += f"企业目标“{goal.text}”：目标等级按不低于{level_name(goal.level)}设定。"
    return Target(current=current, floor=floor, target=target, milestone=milestone, tier=tier.name, pilot=pilot,
                  approach=tier.approach, basis=basis, note=note)


# --- scenarios ---------------------------------------------------------------------------------


def pain_scenarios(texts: list[str]) -> list[str]:
    found: list[str] = []
    for t in texts:
        found += [s for s in read_need(t, "goal").scenarios if s not in found]
    return found


def _candidate_scores(profile, assessment, industry: Industry) -> dict[str, tuple[float, list[str]]]:
    scores: dict[str, tuple[float, list[str]]] = {}

    def add(sid: str, points: float, reason: str) -> None:
        total, reasons = scores.get(sid, (0.0, []))
        scores[sid] = (total + points, reasons + [reason])

    for sid in assessment.gap_scenarios() if assessment else []:
        add(sid, 5.0, f"自评差距：升到{level_name(assessment.next_level)}需要提升此场景")
    for rank, sid in enumerate(industry.priorities):
        guide = "通用路线（评估—规划—实施—优化）" if industry.id == "general" else f"{industry.name}行业实践指南"
        add(sid, max(0.5, 3.0 - 0.5 * rank), f"{guide}建议优先关注（第{rank + 1}位）")
    for need in read_needs(profile):  # the owner's words weigh most after the gaps; "先做…" leads
        for k, sid in enumerate(need.scenarios):
            add(sid, (10.0 if need.first else 3.0) - 0.5 * k, f"对应企业填写的{need.label}")
    cheap = profile.budget_wan is not None and profile.budget_wan.max < 30
    if cheap:  # a small budget: scenarios needing hardware and integration wait
        for sid, (total, reasons) in list(scores.items()):
            if load_rules().cost_class(sid) == "high":
                scores[sid] = (total - 2.0, reasons + ["预算较小，需要较多硬件的场景靠后"])
    return scores


_UNCOVERED_BONUS = 5.0  # a scenario that answers a pain point or goal no chosen scenario answers yet


def _cover_needs(ranked: list[str], scores: dict, needs: list[Need], n: int) -> list[str]:
    """Greedy: the best-scored first (the gaps weigh most), then each next one by its score plus a bonus for every
    stated pain point or goal it would be the first to answer, so that the owner's words are not left out."""
    out: list[str] = []
    pending = [set(x.scenarios) for x in needs if x.scenarios]
    while ranked and len(out) < n:
        gain = {sid: scores[sid][0] + (_UNCOVERED_BONUS * sum(sid in p for p in pending) if out else 0.0)
                for sid in ranked}
        best = max(ranked, key=lambda sid: (gain[sid], -ranked.index(sid)))
        out.append(best)
        ranked = [sid for sid in ranked if sid != best]
        pending = [p for p in pending if best not in p]
    return out


def choose_scenarios(profile, assessment: Assessment | None, target: Target, industry: Industry,
                     q: Questionnaire | None = None) -> list[ScenarioChoice]:
    q = q or load_questionnaire()
    tier = find_tier(profile.tier)
    scores = _candidate_scores(profile, assessment, industry)
    order = {s.id: i for i, s in enumerate(q.scenarios)}
    gaps = set(assessment.gap_scenarios()) if assessment else set()

    def current(sid: str) -> int | None:
        return assessment.scenario_level(sid) if assessment else None

    def rank(ids):
        return sorted(ids, key=lambda sid: (-scores[sid][0], order[sid]))

    below = [sid for sid in scores if current(sid) is None or current(sid) < target.milestone]
    above = [sid for sid in scores if sid not in below and current(sid) < 4]  # only when too few are below
    n = max_scenarios_for(profile, tier.max_scenarios)
    ranked = _cover_needs(rank(below), scores, read_needs(profile), n)
    ranked += rank(above)[: n - len(ranked)]
    out = []
    for sid in ranked:
        spec, cur = q.scenario(sid), current(sid)
        tgt = target.milestone if cur is None else min(4, max(target.milestone, cur + 1))
        out.append(ScenarioChoice(id=sid, name=spec.name, category=q.category(spec.category).name,
                                  constraint=spec.constraint, current=cur, target=tgt,
                                  target_description=spec.levels[tgt], tools=spec.tools, reasons=scores[sid][1],
                                  from_gap=sid in gaps, from_playbook=sid in industry.priorities))
    return out


# --- phases ------------------------------------------------------------------------------------


def _item_steps(assessment: Assessment | None) -> tuple[list[str], list[str]]:
    """Score gaps as deliverables: rules and measures early (cheap), equipment and systems later."""
    early, late = [], []
    early_ids = load_rules().early_items
    for g in assessment.gaps if assessment else []:
        if g.kind != "score":
            continue
        line = f"评测项“{g.name}”：{g.detail}"
        (early if g.id in early_ids else late).append(line)
    return early, late


def build_phases(industry: Industry, scenarios: list[ScenarioChoice], target: Target,
                 assessment: Assessment | None) -> list[Phase]:
    route = [[p.strip() for p in step.split("；") if p.strip()] for step in industry.route]
    first, rest = scenarios[:1], scenarios[1:]
    early, late = _item_steps(assessment)
    reach = lambda s: f"{s.name}场景达到{level_name(s.target)}：{s.target_description}"  # noqa: E731
    start = lambda s: f"{s.name}场景启动试点（选一条产线或一个部门，常见工具：{s.tools}）"  # noqa: E731
    p1 = route[0] + [start(s) for s in first] + early
    p2 = route[1] + [reach(s) for s in first] + [start(s) for s in rest] + late[:2]
    p3 = route[2] + [reach(s) for s in rest] + late[2:]
    p3.append(f"按2024年版评测指标复评，确认达到{level_name(target.milestone)}")
    names = [s.name for s in scenarios]
    return [
        Phase(key="p1", months="0–3个月", title="评估与试点启动", scenarios=names[:1], deliverables=p1),
        Phase(key="p2", months="3–6个月", title="重点场景上线", scenarios=names[:2], deliverables=p2),
        Phase(key="p3", months="6–12个月", title="推广、复评与优化", scenarios=names, deliverables=p3),
    ]


# --- KPIs --------------------------------------------------------------------------------------


def _band(assessment: Assessment | None, item_id: str) -> tuple[str, str]:
    """(baseline, target) for a single-choice item: the chosen band and the next one."""
    item = assessment.item(item_id) if assessment else None
    if item is None or not item.answered:
        return "待自测", "提升一档"
    base = item.selected[0] if item.selected else "未作答"
    return base, (f"“{item.missing[0]}”" if item.missing else f"保持“{base}”")


def _count(assessment: Assessment | None, item_ids: list[str], q: Questionnaire) -> tuple[int, int]:
    total = sum(len(q.item(i).options) for i in item_ids)
    if not assessment:
        return -1, total
    return sum(len(assessment.item(i).selected) for i in item_ids), total


def _indicator(q: Questionnaire, item_id: str) -> str:
    item = q.item(item_id)
    dim = next(d.name for d in q.dimensions if d.id == item.dimension)
    return f"{dim}·{item.group}·{item.name}"


def build_kpis(profile, assessment: Assessment | None, scenarios: list[ScenarioChoice], target: Target,
               q: Questionnaire | None = None) -> list[KPI]:
    q = q or load_questionnaire()
    base = lambda lv: "待自测" if lv is None else level_name(lv)  # noqa: E731
    goal = level_name(target.milestone) + ("" if target.target == target.milestone else f"（中期{level_name(target.target)}）")
    kpis = [KPI(name="数字化水平等级", item_id="level", indicator="综合定级（2024年版评测指标，定级规则为第三方解读）",
                baseline=base(target.current), target=goal, measure="评测系统自测；试点企业以现场评定为准")]
    for s in scenarios:
        kpis.append(KPI(name=f"{s.name}场景等级", item_id=s.id, indicator=f"数字化经营·{s.category}·{s.name}",
                        baseline=base(s.current), target=level_name(s.target), measure=s.target_description))
    rules = load_rules()
    for row in rules.kpi_bands:
        b, t = _band(assessment, row["item"])
        kpis.append(KPI(name=row["name"], item_id=row["item"], indicator=_indicator(q, row["item"]), baseline=b,
                        target=t, measure=row["measure"]))
    envs = [s.name for s in scenarios if q.item("data_collection").option(s.id)]
    have, total = _count(assessment, ["data_collection"], q)
    kpis.append(KPI(name="数据自动采集覆盖环节", item_id="data_collection", indicator=_indicator(q, "data_collection"),
                    baseline="待自测" if have < 0 else f"{have}/{total}个环节",
                    target=("新增：" + "、".join(envs)) if envs else "覆盖重点场景的环节", measure="自动采集（非手工录入）的业务环节数"))
    for row in rules.kpi_outcomes:
        kpis.append(KPI(name=row["name"], item_id=row["item"], indicator=_indicator(q, row["item"]),
                        baseline="改造前基线（上线前3个月平均）", target=row["target"], measure="改造后与改造前同口径对比"))
    have, total = _count(assessment, ["network_security", "data_security"], q)
    kpis.append(KPI(name="信息安全措施", item_id="network_security", indicator=_indicator(q, "network_security") + "、数据安全",
                    baseline="待自测" if have < 0 else f"{have}/{total}项", target=f"{total}/{total}项",
                    measure="制度、产品或服务、风险评估、边界控制/数据台账"))
    return kpis


def _levels(assessment: Assessment | None) -> dict[str, int]:
    return {s.id: s.level for s in assessment.scenarios} if assessment else {}


def decide(profile: EnterpriseProfile, assessment: Assessment | None) -> Decision:
    """Everything deterministic about a plan: industry, target, scenarios, phases and KPIs."""
    from sme_ai.plan.coverage import baseline_steps, cover, goal_kpis, level_kpi_goal

    q = load_questionnaire()
    needs = read_needs(profile)
    industry = find_industry(profile.industry, profile.industry_detail)
    target = decide_target(profile, assessment, needs)
    scenarios = choose_scenarios(profile, assessment, target, industry)
    kpis = build_kpis(profile, assessment, scenarios, target)
    kpis = level_kpi_goal(kpis[:1], needs) + goal_kpis(needs, q) + kpis[1:]
    phases = baseline_steps(build_phases(industry, scenarios, target, assessment), kpis)
    return Decision(profile=profile, assessment=assessment, industry=industry, target=target, scenarios=scenarios,
                    phases=phases, kpis=kpis, needs=needs, coverage=cover(needs, scenarios, target, q, kpis, _levels(assessment)),
                    budget=allocate(profile, scenarios, phases))
