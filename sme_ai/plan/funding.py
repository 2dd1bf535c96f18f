"""The investment section: the owner's budget allocated (from `budget`), what it does not cover, what to cut first,
and the funding routes that apply to this profile, each a statement cited to a corpus passage (left out when no
passage supports it). Never a subsidy amount: the plan points to the city's rules instead.
"""

from __future__ import annotations

from sme_ai.plan.budget import amount_range, budget_table
from sme_ai.plan.model import Table
from sme_ai.plan.spec import TITLES, Basis, SectionSpec

_PILOT = [
    Basis("城市试点资金的用途：80%和20%", "不低于80%：用于支持中小企业开展数字化改造", prefix="城市试点专项资金：", required=True),
    Basis("城市试点中单个企业能拿到多少补助", "中央层面没有检索到统一的单个企业补助标准，具体标准由各试点城市在实施细则中规定",
          prefix="补助标准：", required=True),
    Basis("怎么找到所在城市的试点支持", "找到本市的试点实施方案和专项资金管理办法，重点看“试点细分行业”是否覆盖本企业",
          prefix="怎么申请：", required=True),
    Basis("试点资金规则：来源能确认的部分 补助不是申请就给", "补助不是“申请就给”，通常与改造后的评定等级挂钩，企业仍需自己出资",
          prefix="申请前提：", required=True),
    Basis("城市试点的考核目标 现场评定", "试点企业的数字化水平不是自报了事，而要按《中小企业数字化水平评测指标（2024年版）》进行现场评定",
          prefix="验收方式：", required=True),
]
_FINANCE = Basis("补贴之外：融资与其他支持 一链一策一批",
                 "资金支持：深入开展“一链一策一批”融资促进行动，通过贴息支持、专门信贷产品、增信措施及贷款政策等加大支持力度",
                 prefix="融资：", required=True)
_BANK = Basis("补贴之外：融资与其他支持 开户银行 专门信贷产品", "向开户银行询问是否有面向数字化改造的专门信贷产品",
              prefix="融资怎么问：", required=True)
_TIER = {
    "专精特新“小巨人”": [Basis("财建〔2021〕2号 专精特新小巨人 中央财政支持",
                          "它面向的是国家级“小巨人”企业，与城市试点资金是两条不同的支持渠道", prefix="“小巨人”专项：",
                          required=True)],
    "专精特新中小企业": [Basis("怎么找到所在城市的试点支持 专精特新企业可优先咨询",
                         "2024年试点申报通知提出优先纳入有迫切需求、具备一定基础的专精特新中小企业，专精特新企业可优先咨询",
                         prefix="专精特新企业：", required=True)],
    "小微企业": [Basis("按企业类型找对路子 小微企业 上云用数赋智", "小微企业：推广普惠性“上云用数赋智”服务",
                   prefix="企业类型：", required=True)],
}
_TIER["创新型中小企业"] = _TIER["专精特新中小企业"]


def funding_routes(p) -> tuple[list[str], list[Basis]]:
    """(facts, cited statements) for the routes that apply to this profile."""
    facts, basis = [], []
    if p.pilot_city is True:
        facts.append(f"所在城市为试点城市（企业自报：{p.region}）：可申请城市试点专项资金，单企标准以本市细则为准")
        basis += _PILOT
    elif p.pilot_city is None:
        facts.append("是否为试点城市尚未确认：先向当地工信部门确认；如是试点城市，按下列试点资金规则准备")
        basis += _PILOT[:3]
    else:
        facts.append("所在城市不是试点城市（企业自报）：城市试点专项资金不适用，以融资支持和普惠服务为主；以后批次的试点名单可向当地工信部门询问")
    basis += [_FINANCE, _BANK] + _TIER.get(p.tier, [])
    return facts, basis


def _budget_facts(c) -> list[str]:
    p, bp = c.profile, c.budget
    if p.budget_wan:
        facts = [f"企业预算（自报）：{p.budget_wan.label()}，12个月内按三个阶段投入；金额为按比例拆分的估算，以服务商分场景报价为准"]
        first = bp.phase_totals[0] if bp and bp.phase_totals else None
        if first:
            facts.append(f"第一阶段只投{amount_range(first.low, first.high)}做{first.note}试点，用成效数据决定是否追加")
    else:
        facts = ["企业预算：未填写；下表按比例列出，填写预算区间后可只重新生成本节"]
    if bp:
        facts.append("预算不含：" + "；".join(bp.not_covered))
        facts += [f"预算不足时的削减顺序{k}：{line}" for k, line in enumerate(bp.cut_order, start=1)]
    return facts


def _prose(c) -> str:
    p, bp = c.profile, c.budget
    if not bp or not p.budget_wan:
        return f"{p.name or '本企业'}尚未填写预算：建议按第一阶段约四分之一、第二阶段约四成、第三阶段约三成的比例安排，并留出预备金。"
    parts = [f"{t.phase}{amount_range(t.low, t.high)}" for t in bp.phase_totals]
    return (f"{p.name or '本企业'}的{p.budget_wan.label()}预算按阶段安排为：{'，'.join(parts)}。"
            f"第一阶段只做{bp.phase_totals[0].note}，上线见效后再投入下一阶段；外部资金以到账为准，不计入本预算。")


def investment(c) -> SectionSpec:
    facts, routes = funding_routes(c.profile)
    basis = [Basis("投入怎么估算 官方来源没有给出标准投入价格", "官方来源没有给出各场景或各阶段的标准投入价格")] + routes
    queries = ["投入怎么估算", "补贴之外：融资与其他支持"]
    if c.profile.pilot_city is not False:
        queries.insert(1, "城市试点中单个企业能拿到多少补助 资金用途")
    table = None
    if c.budget:
        cols, rows = budget_table(c.budget)
        table = Table(columns=cols, rows=rows)
    return SectionSpec("investment", TITLES["investment"],
                       question="投入怎么估算：按场景分阶段投入，软件订阅、实施、硬件、培训，贴息和专门信贷产品",
                       queries=queries, facts=_budget_facts(c) + facts, basis=basis, table=table, fallback=_prose(c))
