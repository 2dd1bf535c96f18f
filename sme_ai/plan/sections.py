"""What each plan section holds before any retrieval: its facts, its source statements to cite, its table and the
question and queries its evidence is retrieved with. Pure functions of the profile, the assessment and the rules.
"""

from __future__ import annotations

import re

from sme_ai.assess.indicators import level_name
from sme_ai.assess.model import Assessment
from sme_ai.plan.funding import investment
from sme_ai.plan.model import ScenarioChoice, Table
from sme_ai.plan.profile import EnterpriseProfile
from sme_ai.plan.rules import Decision, Industry
from sme_ai.plan.spec import TITLES, Basis, SectionSpec

__all__ = ["BUILDERS", "Basis", "SectionSpec", "references"]


_STEP = r"^[-\s]*{a}→{b}：(.+)$"


def _profile_facts(p: EnterpriseProfile, industry: Industry) -> list[str]:
    ind = p.industry + (f"（{p.industry_detail}）" if p.industry_detail else "")
    if industry.id != "general" and industry.name != p.industry:
        ind += f"，按{industry.name}行业的实践指南规划"
    facts = [f"企业：{p.name or '（未填写名称）'}；行业：{ind}；地区：{p.region}",
             f"所在城市是否为中小企业数字化转型试点城市（企业自报）：{p.pilot_label}",
             f"规模：员工{p.employees}人，年营业收入{p.revenue_wan:g}万元；企业类型：{p.tier}"]
    for label, values in (("现有系统", p.systems), ("主要痛点", p.pain_points), ("转型目标（企业填写）", p.goals)):
        if values:
            facts.append(f"{label}：{'、'.join(values)}")
    return facts


def _name(c: Decision) -> str:
    return c.profile.name or "本企业"


def _diagnosis_prose(c: Decision) -> str:
    p, a = c.profile, c.assessment
    text = f"{_name(c)}是{p.region}的{p.industry}企业，员工{p.employees}人，年营业收入{p.revenue_wan:g}万元"
    text += (f"，现有{'、'.join(p.systems)}" if p.systems else "") + "。"
    if p.pain_points:
        text += f"企业自己最痛的问题是{'、'.join(p.pain_points)}，本方案逐条对应到业务场景（见第3节）。"
    text += (f"自评估计为{a.level_name}，差距见下表。" if a else "尚未完成自评：先用评测系统自测，摸清各业务场景的现状。")
    return text


def diagnosis(c: Decision) -> SectionSpec:
    spec = SectionSpec("diagnosis", TITLES["diagnosis"], question=f"{c.industry.name}中小企业数字化转型的常见痛点和起步做法",
                       queries=[f"{c.industry.playbook_section}：从哪里开始与常见痛点", "自测结果怎么看：等级、场景与专精特新"],
                       facts=_profile_facts(c.profile, c.industry), fallback=_diagnosis_prose(c))
    a = c.assessment
    if a is None:
        spec.basis.append(Basis("第一步：用2024年版评测指标免费自测", "转型的第一步是摸清家底，2024年版评测指标配套的评测系统免费开放"))
        spec.facts.append("尚未完成自评：本方案的等级和场景现状待自测后补充。")
        return spec
    dims = "、".join(f"{d.name}{d.points:g}/{d.max:g}" for d in a.dimensions)
    spec.facts.append(f"自评估计等级：{a.level_name}（打分部分{a.score:g}/{a.score_max:g}分：{dims}；定级规则为第三方解读）")
    reached = [s.name for s in a.scenarios if s.level >= 1]
    spec.facts.append(f"达到一级及以上的业务场景：{len(reached)}个（{'、'.join(reached) or '无'}）")
    if a.next_level:
        spec.facts.append(f"升到{level_name(a.next_level)}的主要差距：" + "；".join(
            f"{g.name}（{g.current}→{g.target}）" for g in a.gaps[:6]))
    spec.evidence = [(g.name, g.evidence) for g in a.gaps[:6] if g.evidence]
    spec.table = Table(columns=["维度", "得分", "满分"],
                       rows=[[d.name, f"{d.points:g}", f"{d.max:g}"] for d in a.dimensions]
                       + [["合计（打分部分）", f"{a.score:g}", f"{a.score_max:g}"]])
    return spec


def targets(c: Decision) -> SectionSpec:
    t = c.target
    facts = [f"当前等级：{'待自测' if t.current is None else level_name(t.current)}",
             f"目标等级：{level_name(t.target)}；12个月内达到：{level_name(t.milestone)}",
             f"企业类型“{t.tier}”对应的改造方式：{t.approach}"]
    if t.note:
        facts.append(t.note)
    # no model prose here: asked what a tier should reach, the model restated the national goals and bound their
    # levels to this firm ("在试点地区的省级专精特新中小企业中，实现数字化水平达到三级和四级的目标", where the source
    # gives those firms 二级 and the 三级/四级 to the 标杆) in both plans read; the rule-built text says what is true
    return SectionSpec("targets", TITLES["targets"], prose="rules",
                       queries=["行动方案（2025—2027年）提出的2027年目标"] + list(t.basis[:2]), facts=facts,
                       basis=[Basis(b, b) for b in t.basis],
                       # the tier's approach stays in the facts above: restated in the prose, a policy claim
                       # ("为专精特新认定…做准备") would stand there without its citation
                       fallback=f"本方案为{_name(c)}设定的目标是{level_name(t.target)}，12个月内先达到"
                                f"{level_name(t.milestone)}，用验收指标表中的等级和场景指标核对。")


def _step_basis(s: ScenarioChoice) -> Basis | None:
    start = 1 if s.current is None or s.current == 0 else s.current
    if start >= 3:
        return None
    a, b = level_name(start), level_name(start + 1)
    return Basis(f"场景 {s.name}：升级要点 {a}→{b}", pattern=_STEP.format(a=a, b=b), prefix=f"{s.name}（{a}→{b}）：",
                 must_name=f"{s.name}：升级要点")


def scenarios(c: Decision) -> SectionSpec:
    facts = []
    for s in c.scenarios:
        cur = "待自测" if s.current is None else level_name(s.current)
        tag = "，约束性场景（第三方解读）" if s.constraint else ""
        facts.append(f"{s.name}（{s.category}{tag}）：{cur}→{level_name(s.target)}；选择理由：{'；'.join(s.reasons)}")
    facts += [f"{'痛点' if n.kind == 'pain' else '目标'}“{n.text}”：{n.handling}" for n in c.coverage]
    basis = [b for b in (_step_basis(s) for s in c.scenarios) if b]
    chosen = {s.id for s in c.scenarios}
    for ai in dict.fromkeys(n.ai for n in c.needs if n.ai and n.ai.scenario in chosen):
        basis.append(Basis(ai.query, section=ai.query, doc_types=("ai_guidance",), prefix=f"{ai.name}：", required=True))
    basis.append(Basis("“小快轻准”是什么意思", "“小快轻准”指小型化、快速化、轻量化、精准化的数字化解决方案和产品"))
    rows = [[s.name, "待自测" if s.current is None else level_name(s.current), level_name(s.target), s.target_description,
             s.tools] for s in c.scenarios]
    names = "、".join(s.name for s in c.scenarios)
    return SectionSpec("scenarios", TITLES["scenarios"], question=f"{names}场景如何按“小快轻准”原则升级",
                       queries=[f"场景 {s.name}：升级要点" for s in c.scenarios] + ["小快轻准：选方案的基本原则"],
                       facts=facts, basis=basis, fallback=_scenario_prose(c),
                       table=Table(columns=["场景", "当前等级", "目标等级", "目标等级要点（评测指标）", "常见工具（整理者归纳）"],
                                   rows=rows))


def _scenario_prose(c: Decision) -> str:
    p = c.profile
    lines = [f"{p.name or '本企业'}本期选择{'、'.join(s.name for s in c.scenarios)}场景，"
             "一次只推进相互关联的少数场景、共用一套主数据。"]
    for s in c.scenarios:
        lines.append(f"{s.name}：从{'待自测' if s.current is None else level_name(s.current)}升到{level_name(s.target)}，"
                     f"目标要点是{s.target_description}。")
    return "".join(lines)


def _roadmap_prose(c: Decision) -> str:
    plain = lambda steps: [x for x in steps if not re.search(r"评测指标|试点|政策|补助|\d", x)][:3]  # noqa: E731
    return "".join(f"{p.title}：{'；'.join(plain(p.deliverables))}。" for p in c.phases)


def roadmap(c: Decision) -> SectionSpec:
    ind = c.industry
    route = f"{ind.playbook_section}：0–12个月路线" if ind.id != "general" else "评估—规划—实施—优化：四步循环"
    rows = [[p.title, p.months, "、".join(p.scenarios), "\n".join(f"• {d}" for d in p.deliverables)] for p in c.phases]
    return SectionSpec("roadmap", TITLES["roadmap"], question=f"{ind.name}企业0–12个月数字化改造分阶段怎么做",
                       queries=[route, "评估—规划—实施—优化：四步循环"],
                       facts=["路线按0–3个月、3–6个月、6–12个月三个阶段推进，每个阶段结束时检查交付物"],
                       basis=[Basis(route, ind.start)], fallback=_roadmap_prose(c),
                       table=Table(columns=["阶段", "时间", "重点场景", "交付物"], rows=rows))


def _measures(a: Assessment | None, item_ids: list[str]) -> list[str]:
    if a is None:
        return []
    out = []
    for item_id in item_ids:
        item = a.item(item_id)
        out.append(f"{item.name}：已具备{len(item.selected)}项" + (f"，尚缺：{'、'.join(item.missing)}" if item.missing else ""))
    return out


def security(c: Decision) -> SectionSpec:
    return SectionSpec("security", TITLES["security"], question="数据安全和网络安全的基础工作：账号权限、数据备份与恢复、安全制度、风险评估",
                       queries=["数据安全与网络安全的基础功课", "信息安全 网络安全 数据安全 措施"],
                       facts=_measures(c.assessment, ["network_security", "data_security"]),
                       fallback=f"{_name(c)}上线{'、'.join(s.name for s in c.scenarios)}等系统前，先做三件事：按岗位分配账号和权限，"
                                "定期备份业务数据并演练恢复，写一页安全制度并指定负责人。",
                       basis=[Basis("数据安全与网络安全的基础功课 行动方案要求", "行动方案要求增强中小企业数据与网络安全防护能力")])


def talent(c: Decision) -> SectionSpec:
    return SectionSpec("talent", TITLES["talent"], question="老板亲自挂帅，指定数字化负责人，人才培训和岗位考核怎么安排",
                       queries=["人才与组织：谁来牵头", "人才保障 一张网 大规模培训"],
                       facts=_measures(c.assessment, ["talent", "management_mechanism"]),
                       fallback=f"{_name(c)}由老板牵头，指定一名数字化负责人；{c.scenarios[0].name if c.scenarios else '试点'}"
                                "场景选一名业务骨干做关键用户，上线前组织培训，把系统使用情况纳入岗位考核。",
                       basis=[Basis("人才保障 一张网 大规模培训", "人才保障：依托中小企业服务“一张网”组织大规模培训")])


def kpis(c: Decision) -> SectionSpec:
    basis = [Basis("投入怎么估算 成效指标 数字化成效维度", "成效指标可参照评测指标“数字化成效”维度")]
    national = "全国目标，不是本企业的验收指标："  # the policy passage only: never an industry playbook's figure
    if c.target.tier != "小微企业":
        basis.insert(0, Basis("行动方案 2027年目标 关键工序数控化率", "到2027年全国规上工业中小企业关键工序数控化率达到75%",
                              prefix=national, doc_types=("policy",)))
    basis.append(Basis("行动方案 2027年目标 上云率", "中小企业上云率超过40%", prefix=national, doc_types=("policy",)))
    own = [k for k in c.kpis if k.owner_goal]
    rows = [[k.name, k.indicator, k.baseline, k.target, k.measure] for k in c.kpis]
    return SectionSpec("kpis", TITLES["kpis"], question="成效验收指标：月均产品合格率、每百元营收综合能耗、人均营收、设备联网率、上云",
                       queries=["数字化成效 每百元营业收入综合能耗 月均产品合格率", "行动方案 2027年目标 关键工序数控化率 上云率"],
                       facts=["每项验收指标都对应评测指标中的一个评测项或场景，复评时直接对照"]
                       + [f"企业目标“{k.owner_goal}”→ 指标“{k.name}”：目标{k.target}；基线：{k.measure}" for k in own],
                       basis=basis, fallback=_kpi_prose(c, own),
                       table=Table(columns=["指标", "对应评测项", "现状", "12个月目标", "口径"], rows=rows))


def _kpi_prose(c: Decision, own) -> str:
    text = f"{_name(c)}的验收指标每项都对应自评问卷中的一个评测项或业务场景，复评时直接对照。"
    if own:
        text += "企业自己定的目标直接作为指标：" + "；".join(f"{k.name}目标{k.target}" for k in own) + "，第一阶段先按口径测出基线。"
    return text


def risks(c: Decision) -> SectionSpec:
    facts = []
    if c.profile.pilot_city is None:
        facts.append("试点城市身份未确认：申报前先向当地工信部门确认，避免按错误口径准备材料")
    if c.assessment is None:
        facts.append("没有自评基线：先完成自测，否则无法判断改造是否达到目标等级")
    first = c.scenarios[0].name if c.scenarios else ""
    return SectionSpec("risks", TITLES["risks"], question="老板常犯的错误和风险：先买系统、只为拿补贴、基础数据不清、全厂铺开，如何挑选服务商",
                       queries=["老板最常犯的错误", "如何挑选数字化服务商 警惕", f"场景 {first}：升级要点 常见误区"],
                       facts=facts,
                       fallback=f"{_name(c)}最大的风险是不等{first or '试点'}场景跑通就全面铺开，或为了申报买用不上的系统："
                                "先在一条产线或一个部门试点，用数据验收后再推广；服务商方案要写清场景、等级目标和验收指标。")


def references(c: Decision, caveats: list[str]) -> SectionSpec:
    return SectionSpec("references", TITLES["references"], facts=list(caveats))


BUILDERS = (diagnosis, targets, scenarios, roadmap, investment, security, talent, kpis, risks)
