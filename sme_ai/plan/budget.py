"""The owner's budget over the plan's phases and items, as ranges; what it does not cover; what to cut first.

Shares come from `playbooks.yaml` (`budget`: the project's estimate, not a price list) and the cost class of the
scenarios in each phase. Amounts are only ever fractions of the owner's own budget: the sum of the upper ends of
the phases and the reserve is the owner's upper bound, never more. No subsidy amount is computed here.
"""

from __future__ import annotations

from sme_ai.plan.catalog import load_rules
from sme_ai.plan.model import BudgetPlan, BudgetRow, Phase, ScenarioChoice

_RANK = {"low": 0, "mid": 1, "high": 2}


def _mid(r: list[float]) -> float:
    return (r[0] + r[1]) / 2


def money(v: float) -> str:
    """万元, one decimal under 100万, whole numbers above: rounded to whole 万元, the phase totals of a 60万 budget
    read 15 + 23 + 18 + 4.4 = 60.4 to an owner adding them up (14.7 + 23.2 + 17.6 + 4.4 = 59.9 with one decimal)."""
    return f"{v:.1f}".rstrip("0").rstrip(".") if v < 100 else f"{round(v):d}"


def amount_range(low: float, high: float) -> str:
    a, b = money(low), money(high)
    if b == "0":
        return "—"  # too small a share to name
    if a == "0":
        return f"不超过{b}万元"
    return f"{a}万元" if a == b else f"{a}–{b}万元"


def _pct(lo: float, hi: float) -> str:
    a, b = round(100 * lo), round(100 * hi)
    return f"{a}%" if a == b else f"{a}–{b}%"


def _phase_classes(scenarios: list[ScenarioChoice]) -> list[str]:
    rules = load_rules()
    classes = [rules.cost_class(s.id) for s in scenarios] or ["low"]
    top = lambda cs: max(cs, key=_RANK.__getitem__)  # noqa: E731
    return [top(classes[:1]), top(classes[:2]), top(classes)]


def allocate(profile, scenarios: list[ScenarioChoice], phases: list[Phase]) -> BudgetPlan:
    cfg = load_rules().budget
    b = profile.budget_wan
    lo_total, hi_total = (b.min, b.max) if b else (None, None)
    nominal = {k: _mid(v) for k, v in cfg["phases"].items()}
    reserve = _mid(cfg["reserve"])
    scale = 1.0 / (sum(nominal.values()) + reserve)  # the nominal shares sum to the whole budget
    rows, totals = [], []
    for phase, cls in zip(phases, _phase_classes(scenarios)):
        share = nominal[phase.key] * scale
        p_lo, p_hi = (share * lo_total, share * hi_total) if b else (0.0, 0.0)
        totals.append(BudgetRow(phase=phase.months, item=f"阶段合计（{phase.title}）", low=p_lo, high=p_hi,
                                share=_pct(share, share), note="、".join(phase.scenarios)))
        for item, (i_lo, i_hi) in cfg["items"][cls].items():
            if i_hi <= 0:
                continue
            rows.append(BudgetRow(phase=phase.months, item=item, low=i_lo * p_lo, high=min(i_hi * p_hi, p_hi),
                                  share=_pct(i_lo * share, i_hi * share)))
    r = reserve * scale
    totals.append(BudgetRow(phase="预留", item="不可预见与报价浮动", low=r * (lo_total or 0), high=r * (hi_total or 0),
                            share=_pct(r, r)))
    last = "、".join(phases[-1].scenarios[2:]) or "第二批场景" if phases else "第二批场景"
    note = "" if b else "企业没有填写预算：下表只列比例，填写预算区间后可重新生成本节。"
    return BudgetPlan(total_low=lo_total, total_high=hi_total, rows=rows, phase_totals=totals,
                      not_covered=list(cfg["not_covered"]), cut_order=[c.format(last=last) for c in cfg["cut_order"]],
                      note=note)


def max_scenarios_for(profile, tier_max: int) -> int:
    """Fewer scenarios in 12 months when the budget is small (the data file's limits)."""
    b = profile.budget_wan
    if not b:
        return tier_max
    for row in load_rules().budget["scenarios_by_budget"]:
        if b.max < row["below"]:
            return min(tier_max, row["max"])
    return tier_max


def budget_table(plan: BudgetPlan) -> tuple[list[str], list[list[str]]]:
    """(columns, rows): each phase's total, then its items; the reserve last."""
    has = plan.total_high is not None
    cols = ["阶段", "投入项", "占预算比例", "金额区间（估算）" if has else "金额", "说明"]
    out = []
    for total in plan.phase_totals:
        amount = amount_range(total.low, total.high) if has else "—"
        out.append([total.phase, total.item, total.share, amount, total.note])
        for row in (r for r in plan.rows if r.phase == total.phase):
            out.append(["", row.item, row.share, amount_range(row.low, row.high) if has else "—", row.note])
    return cols, out
