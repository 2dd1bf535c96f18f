"""Plans an owner would sign (issue 17): the profile drives scenarios and KPIs, the budget is allocated within the
owner's budget with cited funding routes, prose is checked plan-side (generic, unsupported, repeated, other-industry
sentences), the rule-built plan comes first, one section can be redrafted, and rubric v2 catches each failure."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from sme_ai.eval.plan_rubric import claim_support_of, score_plan
from sme_ai.generate.llm import FakeLLM
from sme_ai.plan.model import Plan, PlanOutline, PlanProgress, Reference, SectionDone
from sme_ai.plan.profile import load_profile
from sme_ai.plan.prose import check_prose
from sme_ai.plan.rules import decide
from sme_ai.types import Answer, Citation
from conftest import corpus_assistant

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "evals" / "plans" / "profiles"
GARMENT = yaml.safe_load((PROFILES / "11_garment_pilot_issue17.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def asst(tmp_path_factory):
    return corpus_assistant(tmp_path_factory.mktemp("owner"))


@pytest.fixture(scope="module")
def garment_plan(asst):
    return asst.draft_plan(GARMENT)


# --- 1. the profile drives the plan ------------------------------------------------------------


def test_every_pain_point_of_the_garment_maker_gets_a_scenario_and_the_goal_a_kpi():
    d = decide(load_profile(GARMENT), None)
    assert {s.id for s in d.scenarios} >= {"planning", "warehouse", "quality"}  # 质检靠人工 → 质量管理
    handled = {c.text: c for c in d.coverage}
    assert set(handled) == set(GARMENT["pain_points"]) | set(GARMENT["goals"])
    assert all(handled[p].scenarios for p in GARMENT["pain_points"])
    assert "视觉质检" in handled["质检靠人工"].handling  # the AI use named, on the data it needs first
    kpi = next(k for k in d.kpis if k.owner_goal == "交期准时率95%")
    assert kpi.name == "订单准时交付率" and "95%" in kpi.target and "按期交付的订单数" in kpi.measure
    assert any("测基线：订单准时交付率" in x for x in d.phases[0].deliverables)
    assert d.kpis[0].owner_goal == "两年内达到二级" and d.target.target == 2


def test_a_pain_left_out_says_why_and_what_instead_and_first_means_first():
    micro = {**GARMENT, "tier": "小微企业", "budget_wan": 8, "pain_points": ["计件工资统计慢", "面料库存不清", "质检靠人工"]}
    d = decide(load_profile(micro), None)
    assert len(d.scenarios) == 1  # a budget under 10万 holds one scenario in 12 months
    left = [c for c in d.coverage if c.kind == "pain" and not c.scenarios]
    assert left and all("本期未列入重点场景" in c.handling and "替代做法" in c.handling for c in left)
    first = decide(load_profile({**micro, "pain_points": ["面料库存不清", "先做质检"]}), None)
    assert first.scenarios[0].id == "quality"


def test_goal_numbers_keep_their_direction_and_unit():
    from sme_ai.plan.needs import read_need

    assert read_need("不良率降到0.3%", "goal").number == "降到0.3%"
    assert read_need("不良率降到0.3%", "goal").metric.item == "quality"  # not 合格率 (良率 is in 不良率)
    assert read_need("库存周转天数降到30天", "goal").number == "降到30天"
    n = read_need("两年内达到二级", "goal")
    assert (n.number, n.level, n.years) == ("", 2, 2)


# --- 2. budget and funding ---------------------------------------------------------------------


@pytest.mark.parametrize("budget", [60, "20-40", 2])
def test_budget_is_allocated_within_the_owners_budget(budget):
    d = decide(load_profile({**GARMENT, "budget_wan": budget}), None)
    b, own = d.budget, load_profile({**GARMENT, "budget_wan": budget}).budget_wan
    assert [t.phase for t in b.phase_totals] == ["0–3个月", "3–6个月", "6–12个月", "预留"]
    assert abs(sum(t.high for t in b.phase_totals) - own.max) < 1e-6
    assert abs(sum(t.low for t in b.phase_totals) - own.min) < 1e-6
    for t in b.phase_totals[:3]:
        assert all(r.high <= t.high + 1e-9 for r in b.rows if r.phase == t.phase)
    assert b.not_covered and len(b.cut_order) >= 3 and "培训" in b.cut_order[-1]
    # the table as the owner adds it up: the shown upper ends of the phases and the reserve stay within the budget
    from sme_ai.plan.budget import budget_table

    shown = [r[3].split("–")[-1].removesuffix("万元").removeprefix("不超过") for r in budget_table(b)[1] if r[0]]
    assert sum(float(x) for x in shown if x != "—") <= own.max + 1e-9, shown


def test_no_budget_gives_shares_only(garment_plan):
    d = decide(load_profile({k: v for k, v in GARMENT.items() if k != "budget_wan"}), None)
    assert d.budget.total_high is None and all(t.high == 0 for t in d.budget.phase_totals) and d.budget.note


def test_funding_routes_follow_the_profile_and_are_cited(asst, garment_plan):
    basis = garment_plan.section("investment").basis
    assert any(b.startswith("城市试点专项资金：") and b.endswith("]") for b in basis)
    assert any("一链一策一批" in b and b.endswith("]") for b in basis)
    other = asst.draft_plan({**GARMENT, "pilot_city": "否", "tier": "专精特新“小巨人”"})
    ob = other.section("investment").basis
    assert not any(b.startswith("城市试点专项资金") for b in ob) and any(b.startswith("“小巨人”专项：") for b in ob)
    assert all(b.endswith("]") for b in ob[1:])  # every route is cited, or it is left out
    table = garment_plan.section("investment").table
    assert table.columns[3] == "金额区间（估算）" and table.rows[0][3] == "14.6万元"  # 24.4 % of 60万


# --- 3. prose ----------------------------------------------------------------------------------


REFS = {1: Reference(n=1, source="a.md", title="纺织", section="纺织服装行业：从哪里开始", quote="q",
                     text="- 主要工序推行扫码报工（按扎或按件），报工数据自动生成计件工资。\n- 订单进度看板上线。"),
        2: Reference(n=2, source="b.md", title="电子", section="电子行业（电子信息）：从哪里开始",
                     text="关键工序数控化率达到75%。", quote="q")}
OTHERS = ("电子行业", "机械行业")


def test_generic_filler_with_unrelated_citations_is_replaced_by_the_rule_built_text():
    body = "我们计划在智能工厂建设中引入先进的自动化设备和传感器[1]。采用大数据分析技术提升效率。"
    out = check_prose(body, REFS, terms={"某服装厂", "交期"}, seen=[], fallback="某服装厂先做计划排程。", other_sections=OTHERS)
    assert out.replaced and out.text == "某服装厂先做计划排程。" and out.dropped == {"unsupported": 1}


def test_supported_list_items_stay_a_list_other_industry_and_repeats_go():
    seen = ["订单进度看板上线"]
    body = ("计划排程。等级要点。主要工序推行扫码报工，报工数据自动生成计件工资[1]。订单进度看板上线[1]。"
            "关键工序数控化率达到75%[2]。某服装厂的交期延误先从报工解决。")
    out = check_prose(body, REFS, terms={"某服装厂"}, seen=seen, fallback="x", other_sections=OTHERS)
    assert out.text == "- 主要工序推行扫码报工，报工数据自动生成计件工资[1]。\n某服装厂的交期延误先从报工解决。"
    assert out.dropped == {"debris": 2, "repeated": 1, "cross_industry": 1}


GOALS = Reference(n=3, source="policy/action_plan_2025_2027.md", title="行动方案要点", section="2027年目标", quote="q",
                  text="到2027年，方案设定的目标包括：\n\n- 形成一批数字化水平达到三级、四级的转型标杆；\n"
                       "- 试点地区的省级专精特新中小企业数字化水平达到二级及以上；")
SCENARIO = Reference(n=4, source="playbooks/scenario_playbooks.md", title="场景指南", section="场景5 计划排程", quote="q",
                     text="计划排程场景属生产执行数字化；等级要点：一级用表格编制生产计划；二级由系统生成计划并做物料齐套"
                          "检查；三级按安全库存、订单、采购提前期、交期等多约束自动排产并下达；四级用AI排产调度模型实现动态实时排程。")

QUALITY = Reference(n=6, source="playbooks/scenario_playbooks.md", title="场景指南", section="场景7 质量管理", quote="q",
                    text="质量管理场景属生产执行数字化；等级要点：一级用表格管理质量信息；二级对过程质量数据做数字化采集、"
                         "规范质检流程；三级关键工序在线检测、自动判定和报警，或实现原料到成品的可追溯；四级应用视觉质检、"
                         "质量数据跨企业共享或缺陷预测。（待核实）\n\n- 一级→二级：来料、过程、成品检验记录改为在平板或终端录"
                         "入，不合格品走线上处置流程。")


@pytest.mark.parametrize("sentence, kept", [
    # the 0.5B in a 专精特新 plan: the 标杆's levels bound to the pilot-city firms, whose level is 二级
    ("形成一批数字化水平达到三级、四级的转型标杆：在试点地区的省级专精特新中小企业中，实现数字化水平达到三级和四级的目标[3]。", False),
    ("试点地区的省级专精特新中小企业数字化水平要达到三级及以上[3]。", False),
    ("试点地区的省级专精特新中小企业数字化水平要达到二级及以上[3]。", True),
    ("行动方案提出，形成一批数字化水平达到三级、四级的转型标杆[3]。", True),
    ("等级要点：一级用表格编制生产计划；二级由系统生成计划并做物料齐套检查[4]。", True),
    ("三级由系统生成计划并做物料齐套检查[4]。", False),  # 二级's description under 三级, a semicolon away
    # the 0.5B's copies: the reliability mark after each item, an item's second clause before the next level
    ("等级要点：一级用表格编制生产计划（待核实）；二级由系统生成计划并做物料齐套检查（待核实）[4]。", True),
    ("三级关键工序在线检测、自动判定和报警，或实现原料到成品的可追溯（待核实）；四级应用视觉质检、质量数据跨企业共享或缺陷预测"
     "（待核实）[6]。", True),
    ("（待核实）- 一级→二级：来料、过程、成品检验记录改为在平板或终端录入，不合格品走线上处置流程[6]。", True),
])
def test_a_level_stays_with_its_own_subject_in_the_prose_and_the_rubric(sentence, kept):
    refs = {3: GOALS, 4: SCENARIO, 6: QUALITY}
    out = check_prose(sentence + "某机械厂先做计划排程。", refs, terms={"某机械厂"}, seen=[], fallback="x", other_sections=())
    assert (out.dropped.get("misbound_level", 0) == 0) is kept
    plan = Plan.model_construct(sections=[SimpleNamespace(key="targets", body=sentence)],
                                references=[GOALS, SCENARIO, QUALITY])
    from sme_ai.eval.plan_rubric import level_claims

    assert level_claims(plan)["ok"] is kept


EFFECTS = Reference(n=5, source="indicators/evaluation_indicators_2024.md", title="评测指标", section="数字化成效维度（20分）",
                    quote="q", text="评测指标（2024年版）的“数字化成效”维度共20分（待核实）：\n"
                                    "- 绿色低碳7分：看改造后每百元营业收入的综合能耗，增加得0分，持平得3.5分，降低得7分（待核实）。\n"
                                    "- 产品质量7分：看改造后月均产品合格率，降低得0分，持平得3.5分，提高得7分（待核实）。")


@pytest.mark.parametrize("sentence, kept", [
    # the 0.5B's KPI section: the 绿色低碳 line under the name of the 合格率 KPI
    ("- 月均产品合格率：看改造后每百元营业收入的综合能耗，增加得0分，持平得3.5分，降低得7分（待核实）[5]。", False),
    ("- 绿色低碳7分：看改造后每百元营业收入的综合能耗，增加得0分，持平得3.5分，降低得7分（待核实）[5]。", True),
    ("- 月均产品合格率：看改造后月均产品合格率，降低得0分，持平得3.5分，提高得7分（待核实）[5]。", True),
    ("- 注意：看改造后每百元营业收入的综合能耗，增加得0分，持平得3.5分，降低得7分（待核实）[5]。", True),  # no name
])
def test_a_quoted_line_keeps_its_own_name_in_the_prose_and_the_rubric(sentence, kept):
    from sme_ai.eval.plan_rubric import relabelled_quotes

    out = check_prose(sentence + "某机械厂先做计划排程。", {5: EFFECTS}, terms={"某机械厂"}, seen=[], fallback="x",
                      other_sections=())
    assert (out.dropped.get("relabelled", 0) == 0) is kept
    plan = Plan.model_construct(sections=[SimpleNamespace(key="kpis", body=sentence)], references=[EFFECTS])
    assert relabelled_quotes(plan)["ok"] is kept


def _stub(asst, text: str, marker_source: str):
    """The real knowledge base, with a section writer that returns `text` citing the first hit."""

    class Stub:
        model_name = "stub"
        calls = 0

        def search(self, *a, **k):
            return asst.search(*a, **k)

        def chunks(self, ids):
            return asst.chunks(ids)

        def answer_section(self, title, question, facts, hits, *, min_passages=1):
            Stub.calls += 1
            h = hits[0].chunk
            return Answer(question=question, text=text.format(title=title),
                          citations=(Citation(n=1, chunk_id=h.id, source=h.source, title=h.title, quote=h.text[:40],
                                              section=h.section),), hits=tuple(hits[:1]))

    return Stub()


def test_stub_model_filler_never_reaches_the_plan_and_the_rubric_passes(asst):
    from sme_ai.plan.draft import draft_stream

    filler = "我们计划在智能工厂建设中引入先进的自动化设备和传感器，采用大数据分析技术[1]。"
    events = list(draft_stream(_stub(asst, filler, ""), GARMENT))
    plan = events[-1]
    bodies = [s.body for s in plan.sections if s.key != "references"]
    assert all("智能工厂" not in b for b in bodies) and all(bodies)
    assert all(s.meta.get("replaced") == "generic" for s in plan.sections if s.key not in ("references", "targets"))
    assert plan.section("targets").meta["prose"] == "rules" and "本方案为某服装制造有限公司设定的目标" in plan.section("targets").body
    assert "某服装制造有限公司" in plan.section("scenarios").body
    result = score_plan(plan)
    assert result["passed"], {k: v for k, v in result["checks"].items() if not v["ok"]}


# --- 5. time: outline first, one section redrafted ---------------------------------------------


def test_rule_built_parts_come_before_any_model_call(tmp_path):
    llm = FakeLLM(lambda m: "资料中未提及。", name="fake")
    asst = corpus_assistant(tmp_path, llm=llm)
    stream = asst.draft_plan_stream(GARMENT)
    outline = next(stream)
    assert isinstance(outline, PlanOutline) and not llm.calls
    p = outline.plan
    assert p.section("kpis").table and p.section("roadmap").table and p.section("investment").table
    assert p.needs and p.budget and p.section("scenarios").basis
    events = list(stream)
    assert isinstance(events[-1], Plan) and sum(isinstance(e, SectionDone) for e in events) == 10
    assert len(llm.calls) == 8 and events[-1].timings["outline_s"] < 5  # 转型目标 is rule-written


def test_one_section_is_redrafted_after_the_owner_edits_the_profile(asst, garment_plan):
    calls = []
    stub = _stub(asst, "{title}：资料原句[1]。", "")
    orig = stub.answer_section
    stub.answer_section = lambda *a, **k: calls.append(a[0]) or orig(*a, **k)
    from sme_ai.plan.draft import regenerate_stream

    new = list(regenerate_stream(stub, garment_plan, "investment", {**GARMENT, "budget_wan": 30}))[-1]
    assert calls == ["投入估算与资金渠道"]  # only that section is written again
    assert new.profile.budget_wan.max == 30 and new.budget.phase_totals[0].high < 10
    assert new.section("investment").table.rows[0][3] != garment_plan.section("investment").table.rows[0][3]
    same = [k for k in ("diagnosis", "targets", "roadmap", "kpis", "risks")]
    assert all(new.section(k).body == _unmarked(garment_plan, new, k) for k in same)
    assert new.section("diagnosis").meta["stale"] is False and not new.section("investment").meta["stale"]
    result = score_plan(new)
    assert result["passed"], {k: v for k, v in result["checks"].items() if not v["ok"]}
    first = asst.regenerate_plan_section(garment_plan, "scenarios", {**GARMENT, "pain_points": ["先做质检", "面料库存不清"]})
    assert first.scenarios[0].id == "quality" and first.section("kpis").meta["stale"]


def _unmarked(old, new, key):
    """The old body with its markers renumbered into the new reference list (by passage)."""
    import re

    by_chunk = {r.chunk_id: r.n for r in new.references}
    old_n = {r.n: r.chunk_id for r in old.references}
    return re.sub(r"\[(\d+)\]", lambda m: f"[{by_chunk[old_n[int(m.group(1))]]}]", old.section(key).body)


# --- 4. rubric v2 catches each failure ---------------------------------------------------------


def test_garment_plan_passes_rubric_v2(garment_plan):
    result = score_plan(garment_plan)
    assert result["passed"], {k: v for k, v in result["checks"].items() if not v["ok"]}
    assert result["checks"]["pain_coverage"]["detail"]["to_chosen_scenario"] == 3


def test_rubric_v2_catches_dropped_words_budget_generic_repeats_and_other_industry(garment_plan):
    bad = garment_plan.model_copy(deep=True)
    bad.needs = [n for n in bad.needs if n.text != "质检靠人工"]
    bad.kpis = [k for k in bad.kpis if k.owner_goal != "交期准时率95%"]
    bad.budget.phase_totals[1].high += 30
    electronics = next(r for r in bad.references if r.section.startswith("纺织"))
    electronics.section = "电子行业（电子信息）：从哪里开始与常见痛点"
    bad.section("talent").body = "我们将大力推进数字化转型，全面提升企业竞争力。"
    repeated = bad.section("targets").basis[0]
    bad.section("risks").body += "\n" + repeated
    bad.section("security").body += "\n这句话和资料毫无关系，属于凭空编造的内容，没有任何依据可言[1]。"
    checks = score_plan(bad)["checks"]
    assert checks["pain_coverage"]["detail"]["missing"] == ["质检靠人工"]
    assert "交期准时率95%: 没有对应的验收指标" in checks["goal_kpi_coverage"]["detail"]
    assert not checks["budget_within"]["ok"] and not checks["generic_paragraphs"]["ok"]
    assert checks["generic_paragraphs"]["detail"]["generic"] == ["人才与组织"]
    assert not checks["repetition"]["ok"] and not checks["cross_industry_quotes"]["ok"]
    assert any("凭空编造" in w for w in checks["claim_support"]["detail"]["weak"])


def test_claim_support_measure():
    assert claim_support_of("报工数据自动生成计件工资[1]", ["主要工序推行扫码报工，报工数据自动生成计件工资。"]) == 1.0
    assert claim_support_of("引入先进的自动化设备和传感器[1]", ["主要工序推行扫码报工。"]) < 0.2


def test_list_items_stay_lists_in_markdown_and_docx(garment_plan, tmp_path):
    from docx import Document

    from sme_ai.plan.export import export_docx, render_markdown

    plan = garment_plan.model_copy(deep=True)
    plan.section("talent").body = "某服装制造有限公司先定负责人。\n- 第一条[1]。\n- 第二条[1]。\n最后一句。"
    md = render_markdown(plan)
    assert "某服装制造有限公司先定负责人。\n\n- 第一条[1]。\n- 第二条[1]。\n\n最后一句。" in md
    doc = Document(str(export_docx(plan, tmp_path / "p.docx")))
    styles = {p.text: p.style.name for p in doc.paragraphs}
    assert styles["第一条[1]。"] == "List Bullet" and styles["最后一句。"] != "List Bullet"
