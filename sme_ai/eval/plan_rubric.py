"""An automated rubric for drafted plans: structure, citations, numbers, consistency with the rules, and (v2) whether
the plan answers the owner: pain points and goals covered, the budget used within the owner's budget, cited prose
that its references carry, no generic paragraphs, no repetition, no other industry's figures, no level (一级…四级)
bound to another subject than its source's, no quoted line under another item's name.

    score_plan(plan, assessment=None) -> {"checks": {name: {"ok": bool, "detail": ...}}, "score": 0..1, "passed": bool}

The v2 measures are written here, independently of the drafter's own checks (`sme_ai.plan.prose`), so that the
rubric does not grade the drafter with the drafter's code.

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
    table = " ".join(" ".join(row) for row in section.table.rows) if section.table else ""  # rule-built
    own = " ".join(section.facts + [_MARK.sub("", b) for b in section.basis]) + " " + table
    return (refs + " " + own + " " + plan.profile.model_dump_json()).replace("％", "%").replace(" ", "")


def numbers_supported(plan: Plan) -> dict:
    missing = []
    for s in plan.sections:
        support = _support(plan, s)
        missing += [f"{s.title}: {n}" for n in numbers_in(s.body) if not is_supported(n, support)]
    return _check(not missing, missing)


def _budget_amounts(plan: Plan) -> set[str]:
    """The amounts of the budget table: fractions of the owner's budget (checked by `budget_within`)."""
    from sme_ai.plan.budget import budget_table

    if plan.budget is None or plan.budget.total_high is None:
        return set()
    _, rows = budget_table(plan.budget)
    return {m for row in rows for m in _MONEY.findall(re.sub(r"[–-]", "万元 ", row[3]))} | {
        m for row in rows for m in _MONEY.findall(row[3])}


def money_supported(plan: Plan) -> dict:
    """Money amounts anywhere in the plan must stand in a cited passage, be the owner's own figures, or be an
    allocation of the owner's budget (the budget table)."""
    refs = " ".join(r.text or r.quote for r in plan.references).replace(" ", "")
    own = plan.profile
    figures = [own.revenue_wan] + ([own.budget_wan.min, own.budget_wan.max] if own.budget_wan else [])
    owner = {f"{v:g}万元" for v in figures} | _budget_amounts(plan)
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


# --- v2: does the plan answer this owner? ---------------------------------------------------------------

_STOP = set("的了是在和与及或等对为把被也都就而并从向于以之其这那个各该将可要应需已")
_LEVEL_OR_YEAR = re.compile(r"\d+(?:\.\d+)?\s*(?:级|年)")
_GOAL_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|个百分点|天|小时|分钟|万元|元|个|次|倍|人)?")
_EXPLAINED = re.compile(r"未列入|已达|不对应|承接|没有对应|替代做法")


def content_bigrams(text: str) -> set[str]:
    """Character bigrams of the content characters: markers, punctuation, digits and function characters removed."""
    chars = [c for c in _MARK.sub("", text) if (c.isalpha() or "\u4e00" <= c <= "\u9fff") and c not in _STOP]
    return {chars[i] + chars[i + 1] for i in range(len(chars) - 1)}


def claim_support_of(sentence: str, passages: list[str]) -> float:
    own = content_bigrams(sentence)
    if not own:
        return 1.0
    return max((len(own & content_bigrams(p)) / len(own) for p in passages), default=0.0)


def _cited_sentences(plan: Plan) -> list[tuple[str, str, list]]:
    """(section key, sentence, its references) for every sentence with a marker, prose and statements."""
    by_n = {r.n: r for r in plan.references}
    out = []
    for s in plan.sections:
        for sentence in _sentences(s.body) + list(s.basis):
            refs = [by_n[int(m)] for m in _MARK.findall(sentence) if int(m) in by_n]
            if refs:
                out.append((s.key, sentence, refs))
    return out


def pain_coverage(plan: Plan) -> dict:
    """Every stated pain point is handled: a chosen scenario, or the reason why not and what instead."""
    handled = {n.text: n for n in plan.needs if n.kind == "pain"}
    missing = [p for p in plan.profile.pain_points if p not in handled]
    unexplained = [t for t, n in handled.items() if not n.scenarios and not _EXPLAINED.search(n.handling)]
    mapped = sum(bool(n.scenarios) for n in handled.values())
    total = len(plan.profile.pain_points)
    return _check(not missing and not unexplained, {"pains": total, "to_chosen_scenario": mapped,
                                                    "missing": missing, "unexplained": unexplained})


def goal_kpi_coverage(plan: Plan) -> dict:
    """Every goal with a number is a KPI with the owner's number and a baseline method; every goal is handled."""
    problems = []
    handled = {n.text for n in plan.needs if n.kind == "goal"}
    for goal in plan.profile.goals:
        if goal not in handled:
            problems.append(f"{goal}: 方案没有处理")
        numbers = [m.group(0).strip() for m in _GOAL_NUMBER.finditer(_LEVEL_OR_YEAR.sub("", goal))
                   if re.search(r"\d", m.group(0))]
        if not numbers:
            continue
        kpi = next((k for k in plan.kpis if k.owner_goal == goal), None)
        if kpi is None:
            problems.append(f"{goal}: 没有对应的验收指标")
        elif not all(n.replace("％", "%") in kpi.target for n in numbers):
            problems.append(f"{goal}: 指标目标“{kpi.target}”不是企业自己的数字")
        elif not kpi.measure:
            problems.append(f"{goal}: 没有基线口径")
    return _check(not problems, problems)


def budget_within(plan: Plan) -> dict:
    """The owner's budget is allocated over the three phases, and the allocation stays within it."""
    b, own = plan.budget, plan.profile.budget_wan
    if b is None:
        return _check(False, "没有预算拆分")
    phases = [t for t in b.phase_totals if t.phase != "预留"]
    if own is None:
        return _check(len(phases) == 3, {"note": "企业未填写预算：只列比例", "phases": len(phases)})
    total_high = sum(t.high for t in b.phase_totals)
    over_items = [f"{t.phase}: 分项上限超过阶段合计" for t in phases
                  if any(r.high > t.high + 1e-6 for r in b.rows if r.phase == t.phase)]
    ok = len(phases) == 3 and total_high <= own.max + 0.05 and not over_items and b.not_covered and b.cut_order
    return _check(ok, {"owner_max": own.max, "allocated_max": round(total_high, 2), "problems": over_items,
                       "not_covered": len(b.not_covered), "cut_order": len(b.cut_order)})


def claim_support(plan: Plan, threshold: float = 0.5, need: float = 0.85) -> dict:
    """Share of cited sentences whose content bigrams stand (≥ threshold) in the cited references' text."""
    cited = _cited_sentences(plan)
    weak = [f"{key}: {s[:60]}" for key, s, refs in cited
            if claim_support_of(s, [r.text or r.quote for r in refs]) < threshold]
    share = 1 - len(weak) / len(cited) if cited else 1.0
    return _check(share >= need, {"share": round(share, 3), "cited": len(cited), "weak": weak[:8]})


def _enterprise_words(plan: Plan) -> list[str]:
    p = plan.profile
    words = [p.name, p.industry, p.industry_detail, *p.systems, *p.pain_points, *p.goals,
             *(s.name for s in plan.scenarios), f"{p.employees}人"]
    pains = [w for t in p.pain_points + p.goals for w in re.findall(r"[\u4e00-\u9fff]{2}", t)]
    return [w for w in words + pains if w and len(w) >= 2]


def generic_paragraphs(plan: Plan) -> dict:
    """Prose paragraphs with none of the enterprise's facts and no supported cited sentence."""
    words = _enterprise_words(plan)
    by_n = {r.n: r for r in plan.references}
    bodies = [s for s in plan.sections if s.key != "references" and s.body.strip()]
    generic = []
    for s in bodies:
        cited_ok = any(claim_support_of(x, [by_n[int(m)].text for m in _MARK.findall(x) if int(m) in by_n]) >= 0.5
                       for x in _sentences(s.body) if _MARK.search(x))
        if not cited_ok and not any(w in s.body for w in words):
            generic.append(s.title)
    share = len(generic) / len(bodies) if bodies else 0.0
    return _check(not generic, {"share": round(share, 3), "generic": generic})


def repetition(plan: Plan, threshold: float = 0.8) -> dict:
    """No sentence of the prose repeats another sentence of the plan (prose or statements)."""
    seen: list[tuple[str, set[str]]] = []
    repeated = []
    for s in plan.sections:
        for kind, sentence in [("basis", b) for b in s.basis] + [("body", x) for x in _sentences(s.body)]:
            grams = content_bigrams(sentence)
            if len(grams) < 6:
                continue
            if kind == "body" and any(len(grams & g) / len(grams | g) >= threshold for _, g in seen):
                repeated.append(f"{s.key}: {sentence[:50]}")
            seen.append((sentence, grams))
    return _check(not repeated, repeated)


def cross_industry_quotes(plan: Plan) -> dict:
    """No sentence cited only to another industry's playbook section (its figures are not this firm's KPIs)."""
    from sme_ai.plan.catalog import find_industry, load_rules

    own = find_industry(plan.profile.industry, plan.profile.industry_detail)
    others = tuple(i.playbook_section for i in load_rules().industries if i.id != own.id)
    bad = [f"{key}: {s[:50]}" for key, s, refs in _cited_sentences(plan)
           if all(r.section.startswith(others) for r in refs)]
    kpi_bad = [k.name for k in plan.kpis if any(o in k.measure or o in k.indicator for o in others)]
    return _check(not bad and not kpi_bad, {"sentences": bad, "kpis": kpi_bad})


_LEVELS = re.compile(r"[一二三四五]级")


def level_claims(plan: Plan, need: float = 0.6) -> dict:
    """Levels are bound to their subject: every prose sentence naming a level (一级…四级) has, in a cited reference,
    one line or semicolon item naming the same levels that carries most (≥ need) of the sentence's content bigrams
    around them (the sentence cut at its last level's clause). "试点地区的省级专精特新中小企业…三级和四级" fails
    when the source gives those firms 二级 and the 三级/四级 to the 标杆 on the line above."""
    by_n = {r.n: r for r in plan.references}
    bad = []
    for s in plan.sections:
        for sentence in _sentences(s.body):
            plain = _MARK.sub("", sentence)
            levels = set(_LEVELS.findall(plain))
            refs = [by_n[int(m)] for m in _MARK.findall(sentence) if int(m) in by_n]
            if not levels or not refs:
                continue
            for part in re.split(r"[；;。]", plain):  # each item of a list sentence on its own
                named = set(_LEVELS.findall(part))
                if not named:
                    continue
                own = content_bigrams(part)
                items = [x for r in refs for x in re.split(r"[\n；;。]", r.text or r.quote)
                         if named <= set(_LEVELS.findall(x))]
                if own and not any(len(own & content_bigrams(x)) / len(own) >= need for x in items):
                    bad.append(f"{s.key}: {part[:60]}")
    return _check(not bad, bad[:8])


_PLAIN_NAMES = {"风险", "对策", "建议", "注意", "提示", "措施", "做法", "要点", "说明"}  # name no item of their own


def relabelled_quotes(plan: Plan) -> dict:
    """No quoted line under another item's name: a prose sentence "名称：文字" whose text is (≥ 0.6 of its content
    bigrams) one line of a cited reference carries a name that line or the reference's section shares at least half
    of ("月均产品合格率：看改造后每百元营业收入的综合能耗…" quotes the 绿色低碳 line)."""
    by_n = {r.n: r for r in plan.references}
    bad = []
    for s in plan.sections:
        for sentence in _sentences(s.body):
            head, sep, rest = _MARK.sub("", sentence).lstrip("-*• ").partition("：")
            refs = [by_n[int(m)] for m in _MARK.findall(sentence) if int(m) in by_n]
            name, text = content_bigrams(head), content_bigrams(rest)
            if not sep or not refs or not name or not text or len(head) > 16 or head.strip() in _PLAIN_NAMES:
                continue
            lines = [(x, r.section) for r in refs for x in (r.text or r.quote).splitlines()
                     if len(text & content_bigrams(x)) / len(text) >= 0.6]
            if lines and all(len(name & content_bigrams(x + section)) / len(name) < 0.5 for x, section in lines):
                bad.append(f"{s.key}: {sentence[:60]}")
    return _check(not bad, bad[:8])


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
        "pain_coverage": pain_coverage(plan),
        "goal_kpi_coverage": goal_kpi_coverage(plan),
        "budget_within": budget_within(plan),
        "claim_support": claim_support(plan),
        "generic_paragraphs": generic_paragraphs(plan),
        "repetition": repetition(plan),
        "cross_industry_quotes": cross_industry_quotes(plan),
        "level_claims": level_claims(plan),
        "relabelled_quotes": relabelled_quotes(plan),
    }
    passed = sum(c["ok"] for c in checks.values())
    return {"checks": checks, "score": round(passed / len(checks), 3), "passed": passed == len(checks)}
