"""An automated rubric for drafted plans: structure, citations, numbers, and consistency with the rules.

    score_plan(plan, assessment=None) -> {"checks": {name: {"ok": bool, "detail": ...}}, "score": 0..1, "passed": bool}

Checks: all sections present with prose; every policy claim cited; no number in the prose missing from the
sources (the cited passages, or the enterprise's own facts); no money amount anywhere that the sources or the
owner's budget do not state; scenarios consistent with the gaps and the playbook; targets consistent with the tier;
roadmap phases non-empty; KPIs tied to indicator items; every marker resolving to a reference.
"""

from __future__ import annotations

import re
from typing import Any

from sme_ai.assess.model import Assessment
from sme_ai.generate.verify import is_supported, numbers_in
from sme_ai.plan.export import render_markdown
from sme_ai.plan.model import SECTION_TITLES, Plan

POLICY = re.compile(r"行动方案|城市试点|试点城市|试点地区|政策|补助|补贴|贴息|信贷|增信|财政|工信部|工信厅|〔\d{4}〕|"
                    r"专精特新.{0,8}(认定|指标|达到)|评测指标|实施方案|通知")
_SENT = re.compile(r"[^。！？!?\n]+[。！？!?]*(?:\[\d+\])*")
_MARK = re.compile(r"\[(\d+)\]")
_MONEY = re.compile(r"\d+(?:\.\d+)?\s*(?:万亿|亿元|万元|亿)")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT.findall(text) if len(s.strip()) > 4]


def _check(ok: bool, detail: Any = "") -> dict:
    return {"ok": bool(ok), "detail": detail}


def sections_present(plan: Plan) -> dict:
    keys = [s.key for s in plan.sections]
    missing = [k for k, _ in SECTION_TITLES if k not in keys]
    empty = [s.title for s in plan.sections if s.key != "references" and not s.body.strip()]
    no_refs = not plan.references
    return _check(not missing and not empty and not no_refs and keys == [k for k, _ in SECTION_TITLES],
                  {"missing": missing, "without_prose": empty, "no_references": no_refs})


def policy_claims_cited(plan: Plan) -> dict:
    n_refs = len(plan.references)
    claims, uncited = 0, []
    for s in plan.sections:
        for sentence in _sentences(s.body) + list(s.basis):
            if not POLICY.search(_MARK.sub("", sentence)):
                continue
            claims += 1
            marks = [int(m) for m in _MARK.findall(sentence)]
            if not marks or any(m < 1 or m > n_refs for m in marks):
                uncited.append(sentence[:80])
    return _check(not uncited, {"claims": claims, "uncited": uncited})


def _support(plan: Plan, section) -> str:
    refs = " ".join(r.text or r.quote for r in plan.references)
    own = " ".join(section.facts + [_MARK.sub("", b) for b in section.basis])
    return (refs + " " + own + " " + plan.profile.model_dump_json()).replace("％", "%").replace(" ", "")


def numbers_supported(plan: Plan) -> dict:
    missing = []
    for s in plan.sections:
        support = _support(plan, s)
        missing += [f"{s.title}: {n}" for n in numbers_in(s.body) if not is_supported(n, support)]
    return _check(not missing, missing)


def money_supported(plan: Plan) -> dict:
    """Money amounts anywhere in the plan must stand in a cited passage or be the owner's own figures."""
    refs = " ".join(r.text or r.quote for r in plan.references).replace(" ", "")
    own = plan.profile
    figures = [own.revenue_wan] + ([own.budget_wan.min, own.budget_wan.max] if own.budget_wan else [])
    owner = {f"{v:g}万元" for v in figures}
    text = render_markdown(plan).split("## 10.")[0]
    bad = [m for m in dict.fromkeys(_MONEY.findall(text.replace(" ", "")))
           if not is_supported(m, refs) and m not in owner]
    return _check(not bad, bad)


def scenarios_consistent(plan: Plan, assessment: Assessment | None) -> dict:
    from sme_ai.plan.catalog import find_industry
    from sme_ai.plan.rules import pain_scenarios

    p = plan.profile
    industry = find_industry(p.industry, p.industry_detail)
    gaps = set(assessment.gap_scenarios()) if assessment else set()
    allowed = gaps | set(industry.priorities) | set(pain_scenarios(p.pain_points + p.goals))
    chosen = [s.id for s in plan.scenarios]
    problems = [f"{s.name}: 不在差距/行业指南/痛点中" for s in plan.scenarios if s.id not in allowed]
    problems += [f"{s.name}: 目标{s.target}不高于现状{s.current}" for s in plan.scenarios
                 if s.current is not None and s.target <= s.current]
    if gaps and not gaps & set(chosen):
        problems.append("有场景差距，但没有选中任何差距场景")
    if not chosen:
        problems.append("没有选出场景")
    if assessment and any(assessment.scenario_level(s.id) not in (None, s.current) for s in plan.scenarios):
        problems.append("场景现状与自评不一致")
    return _check(not problems, problems)


def targets_consistent(plan: Plan, assessment: Assessment | None) -> dict:
    from sme_ai.plan.catalog import find_tier

    t, tier = plan.target, find_tier(plan.profile.tier)
    floor = tier.floor_pilot if plan.profile.pilot_city else tier.floor_other
    problems = []
    if t.target < floor:
        problems.append(f"目标{t.target}低于企业类型要求{floor}")
    current = assessment.level if assessment else None
    if current is not None and (t.current != current or (current < 4 and t.milestone <= current)):
        problems.append(f"现状{current}与目标/里程碑{t.milestone}不一致")
    if not t.milestone <= t.target <= 4:
        problems.append("里程碑高于目标或目标超过四级")
    if t.basis and not plan.section("targets").basis:
        problems.append("目标依据没有写入")
    return _check(not problems, problems)


def roadmap_nonempty(plan: Plan) -> dict:
    months = [p.months for p in plan.phases]
    empty = [p.months for p in plan.phases if not p.deliverables]
    table = plan.section("roadmap").table
    ok = months == ["0–3个月", "3–6个月", "6–12个月"] and not empty and table is not None and len(table.rows) == 3
    return _check(ok, {"phases": months, "empty": empty})


def kpis_tied(plan: Plan) -> dict:
    from sme_ai.assess.indicators import load_questionnaire

    q = load_questionnaire()
    known = {i.id for i in q.items} | {s.id for s in q.scenarios} | {"level"}
    untied = [k.name for k in plan.kpis if k.item_id not in known]
    uncovered = [s.name for s in plan.scenarios if s.id not in {k.item_id for k in plan.kpis}]
    return _check(plan.kpis and not untied and not uncovered, {"untied": untied, "scenarios_without_kpi": uncovered})


def references_valid(plan: Plan) -> dict:
    text = render_markdown(plan).split("## 10.")[0]
    used = {int(m) for m in _MARK.findall(text)}
    numbers = {r.n for r in plan.references}
    return _check(used <= numbers and numbers <= used, {"dangling": sorted(used - numbers), "unused": sorted(numbers - used)})


def score_plan(plan: Plan, assessment: Assessment | None = None) -> dict:
    checks = {
        "sections_present": sections_present(plan),
        "policy_claims_cited": policy_claims_cited(plan),
        "numbers_supported": numbers_supported(plan),
        "money_supported": money_supported(plan),
        "scenarios_consistent": scenarios_consistent(plan, assessment),
        "targets_consistent": targets_consistent(plan, assessment),
        "roadmap_nonempty": roadmap_nonempty(plan),
        "kpis_tied": kpis_tied(plan),
        "references_valid": references_valid(plan),
    }
    passed = sum(c["ok"] for c in checks.values())
    return {"checks": checks, "score": round(passed / len(checks), 3), "passed": passed == len(checks)}
