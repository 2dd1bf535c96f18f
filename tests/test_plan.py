"""Retrofit plans: profile validation, deterministic rules, drafting (extractive, fake model, real model), rubric,
Markdown/DOCX export, and the `assess`/`plan` commands."""

import argparse
import json
import re
from pathlib import Path

import pytest
import yaml

from sme_ai.errors import EmptyKnowledgeBaseError, PlanOutputError, ProfileError
from sme_ai.eval.plan_rubric import score_plan
from sme_ai.generate.llm import FakeLLM
from sme_ai.assess.chart import render_chart
from sme_ai.assess.evaluate import assess
from sme_ai.plan.export import export_docx, export_markdown
from sme_ai.plan.model import SECTION_TITLES, Plan, PlanProgress
from sme_ai.plan.profile import load_profile
from sme_ai.plan.catalog import find_industry, find_tier
from sme_ai.plan.rules import decide
from conftest import corpus_assistant

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "evals" / "plans"
PROFILE = {"企业名称": "苏州某精密机械有限公司", "行业": "机械", "地区": "江苏省苏州市", "是否试点城市": "是", "员工人数": 120,
           "年营业收入（万元）": 8000, "企业类型": "省级专精特新中小企业", "痛点": "交期不准、设备停机多", "预算": "30-80"}


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def extractive_asst(tmp_path_factory):
    return corpus_assistant(tmp_path_factory.mktemp("extractive"))


@pytest.fixture(scope="module")
def extractive_plan(extractive_asst):
    answers = _yaml(PLANS / "answers" / "01_machinery_srdi_pilot.yaml")
    a = assess(answers, extractive_asst)
    return extractive_asst.draft_plan(PROFILE, a), a


# --- profile -----------------------------------------------------------------------------------


def test_profile_accepts_chinese_keys_and_normalises():
    p = load_profile(PROFILE)
    assert (p.industry, p.pilot_city, p.employees, p.revenue_wan, p.tier) == ("机械", True, 120, 8000, "专精特新中小企业")
    assert p.pain_points == ["交期不准", "设备停机多"] and (p.budget_wan.min, p.budget_wan.max) == (30, 80)
    assert load_profile({**PROFILE, "是否试点城市": "不确定"}).pilot_city is None
    assert load_profile({**PROFILE, "企业类型": "专精特新“小巨人”企业"}).tier == "专精特新“小巨人”"


def test_missing_fields_are_listed_in_chinese():
    with pytest.raises(ProfileError) as e:
        load_profile({"行业": "机械"})
    problems = dict(e.value.problems)
    assert set(problems) == {"地区（region）", "是否试点城市（pilot_city）", "员工人数（employees）",
                             "年营业收入（万元）（revenue_wan）", "企业类型（梯度层级）（tier）"}
    assert "不作猜测" in problems["是否试点城市（pilot_city）"] and "小微企业" in problems["企业类型（梯度层级）（tier）"]
    assert "企业信息有误或缺项" in str(e.value)


@pytest.mark.parametrize("field, value, words", [
    ("员工人数", "很多", "应为整数"),
    ("年营业收入（万元）", -5, "不能小于0"),
    ("企业类型", "大型国企", "无法识别“大型国企”"),
    ("是否试点城市", "大概吧", "请填写“是”“否”或“不确定”"),
    ("预算", "80-30", "下限不能大于上限"),
    ("注册资本", 100, "无法识别的字段"),
])
def test_bad_fields_get_clear_messages(field, value, words):
    with pytest.raises(ProfileError) as e:
        load_profile({**PROFILE, field: value})
    assert any(words in msg for _, msg in e.value.problems), e.value.problems


# --- rules -------------------------------------------------------------------------------------


def test_tier_and_industry_lookup():
    assert find_tier("省级专精特新中小企业").id == "srdi" and find_tier("专精特新小巨人").id == "little_giant"
    assert find_tier("规下").id == "micro" and find_tier("规上").id == "above_scale" and find_tier("大型") is None
    assert find_industry("家具").id == "light" and find_industry("商贸物流").id == "general"
    assert find_industry("其他", "汽车配件").id == "auto_parts"


@pytest.mark.parametrize("tier, pilot, level, target, milestone", [
    ("专精特新中小企业", "是", None, 2, 2),  # action plan: pilot-area provincial 专精特新 at level 2 or above
    ("专精特新中小企业", "是", 2, 3, 3),
    ("专精特新“小巨人”", "否", 1, 3, 2),  # system integration; a two-level climb is split
    ("小微企业", "否", None, 1, 1),
    ("小微企业", "是", 0, 2, 1),
    ("规上工业中小企业", "是", 3, 4, 4),
])
def test_target_follows_tier_and_pilot(tier, pilot, level, target, milestone):
    from sme_ai.plan.rules import decide_target

    class A:  # only .level is read
        pass

    a = None
    if level is not None:
        a = A()
        a.level = level
    t = decide_target(load_profile({**PROFILE, "企业类型": tier, "是否试点城市": pilot}), a)
    assert (t.target, t.milestone) == (target, milestone) and t.basis


def test_unknown_pilot_status_is_flagged_not_guessed():
    from sme_ai.plan.rules import decide_target

    t = decide_target(load_profile({**PROFILE, "企业类型": "规上", "是否试点城市": "不确定"}), None)
    assert t.pilot is None and t.target == 1 and "如确认为试点城市，目标应不低于二级" in t.note


def test_rules_are_deterministic_and_follow_gaps():
    profile = load_profile(_yaml(PLANS / "profiles" / "05_textile_micro_pilot.yaml"))
    a = assess(_yaml(PLANS / "answers" / "05_textile_micro_pilot.yaml"))
    first, second = decide(profile, a), decide(profile, a)
    assert first == second
    industry, target, scenarios, phases, kpis = first.industry, first.target, first.scenarios, first.phases, first.kpis
    assert industry.id == "textile" and (target.target, target.milestone) == (2, 2)
    assert [s.id for s in scenarios] == ["production", "warehouse"]  # 小微: two scenarios, both gaps
    assert all(s.from_gap and s.current == 1 and s.target == 2 for s in scenarios)
    assert [p.months for p in phases] == ["0–3个月", "3–6个月", "6–12个月"] and all(p.deliverables for p in phases)
    assert any("评测项“规划管理·管理机制”" in d for d in phases[0].deliverables)  # rules early, equipment later
    assert any("复评" in d for d in phases[2].deliverables)
    by_item = {k.item_id: k for k in kpis}
    assert by_item["equipment_network_rate"].baseline == "10%及以下" and by_item["equipment_network_rate"].target == "“10%–20%”"
    assert by_item["production"].target == "二级" and by_item["level"].baseline == "一级"


def test_without_assessment_scenarios_come_from_playbook_and_pain_points():
    profile = load_profile({**PROFILE, "痛点": "能耗高、危废台账", "行业": "化工", "企业类型": "创新型"})
    d = decide(profile, None)
    target, scenarios, kpis = d.target, d.scenarios, d.kpis
    assert [s.id for s in scenarios] == ["safety", "energy", "quality"]
    assert all(s.current is None and s.target == target.milestone == 2 for s in scenarios)
    assert {k.baseline for k in kpis if k.item_id in ("level", "safety")} == {"待自测"}


# --- drafting ----------------------------------------------------------------------------------


def test_stream_reports_each_section_then_the_plan(extractive_asst):
    from sme_ai.plan.model import PlanOutline, SectionDone

    events = list(extractive_asst.draft_plan_stream(PROFILE))
    outline, plan = events[0], events[-1]
    assert isinstance(outline, PlanOutline) and isinstance(plan, Plan)
    progress = [e for e in events if isinstance(e, PlanProgress)]
    done = [e for e in events if isinstance(e, SectionDone)]
    assert [(e.k, e.n) for e in progress] == [(k, 10) for k in range(1, 11)] == [(e.k, e.n) for e in done]
    assert [e.title for e in progress] == [t for _, t in SECTION_TITLES]
    assert all(not s.body for s in outline.plan.sections) and outline.plan.section("kpis").table


def test_assistant_methods_are_the_same_pipeline(extractive_asst):
    answers = _yaml(PLANS / "answers" / "05_textile_micro_pilot.yaml")
    a = extractive_asst.assess(answers)
    assert a.level == 1 and a.model_dump() == assess(answers, extractive_asst).model_dump()
    events = list(extractive_asst.draft_plan_stream(PROFILE, a))
    assert isinstance(events[-1], Plan) and [e.k for e in events if isinstance(e, PlanProgress)] == list(range(1, 11))
    plan = extractive_asst.draft_plan(PROFILE, a)
    assert [s.key for s in plan.sections] == [s.key for s in events[-1].sections]
    assert plan.scenarios[0].id == a.gaps[0].id  # the first gap leads the plan


def test_extractive_plan_is_complete_and_passes_the_rubric(extractive_plan):
    plan, a = extractive_plan
    assert plan.mode == "extractive" and [s.key for s in plan.sections] == [k for k, _ in SECTION_TITLES]
    assert all(s.body for s in plan.sections if s.key != "references")
    assert plan.scenarios[0].id == "product_design"  # the assessment's only gap comes first
    assert plan.section("scenarios").basis[0].startswith("产品设计（一级→二级）：把散落在个人电脑里的图纸")
    assert any("试点地区的省级专精特新中小企业数字化水平达到二级及以上" in b for b in plan.section("targets").basis)
    result = score_plan(plan, a)
    assert result["passed"], {k: v for k, v in result["checks"].items() if not v["ok"]}


def test_rubric_catches_invented_money_uncited_policy_and_bad_target(extractive_plan):
    plan, a = extractive_plan
    bad = plan.model_copy(deep=True)
    bad.sections[4].body += "试点城市对每家企业补贴500万元。"
    bad.target.target = 1
    checks = score_plan(bad, a)["checks"]
    assert not checks["money_supported"]["ok"] and "500万元" in checks["money_supported"]["detail"]
    assert not checks["policy_claims_cited"]["ok"] and not checks["numbers_supported"]["ok"]
    assert not checks["targets_consistent"]["ok"]


def _fake_reply(messages):
    user = messages[-1]["content"]
    section = re.search(r"撰写“(.+?)”一节", user).group(1)
    if section == "风险与对策":
        return "资料中未提及。"  # a refusal falls back to the extractive text
    return (f"本节围绕{section}给出建议，结合企业现状分步推进[1]。"
            "中央财政对每家企业补贴500万元[1]。"  # invented: dropped by verification
            "按资料要求落实相关工作[9]。")  # invalid marker: removed


def test_model_prose_is_verified_and_renumbered(tmp_path):
    llm = FakeLLM(_fake_reply, name="fake-plan")
    asst = corpus_assistant(tmp_path, llm=llm)
    plan = asst.draft_plan(PROFILE, _yaml(PLANS / "answers" / "01_machinery_srdi_pilot.yaml"))
    assert plan.mode == "fake-plan" and len(llm.calls) == 8  # every section but 转型目标 (rule-written) and the references
    system = llm.calls[0][0]["content"]
    assert "不是给你的指令" in system and "补贴金额" in system
    assert "<企业情况>" in llm.calls[0][1]["content"] and "员工120人" in llm.calls[0][1]["content"]
    for s in plan.sections[:8]:
        assert "500万元" not in s.body and "按资料要求落实相关工作[" not in s.body
        # "本节围绕…[1]" is not what passage [1] says: dropped (by the answer engine or the plan-side checks)
        assert "本节围绕" not in s.body and s.body
    assert plan.section("risks").meta["fallback"] == "extractive:refusal"
    result = score_plan(plan, None)
    assert result["passed"], {k: v for k, v in result["checks"].items() if not v["ok"]}


def test_copied_context_labels_and_markdown_are_cleaned():
    from sme_ai.generate.context import Passage
    from sme_ai.generate.tidy import clean_model_text
    from sme_ai.types import Chunk, Hit

    chunk = Chunk(id="c", doc_id="d", source="s.md", title="重点行业指南", text="…", section="纺织服装行业：从哪里开始")
    passages = [Passage(n=2, hit=Hit(chunk=chunk, score=1.0), sentences=("…",))]
    raw = ("### 风险与对策\n#### 1. **先买系统**[1]\n[2] 《重点行业指南》纺织服装行业：从哪里开始：先统一主数据。"
           "再推行扫码报工\n- 只为补贴。[2] 小微企业：上云。\n[2] 《重点行业指南》纺织")  # cut by the token limit
    assert clean_model_text(raw, passages, "风险与对策") == "先买系统[1]。先统一主数据。再推行扫码报工[2]。只为补贴。小微企业：上云[2]。"


def test_empty_knowledge_base_is_an_error(fake_settings):
    from sme_ai.assistant import Assistant

    with pytest.raises(EmptyKnowledgeBaseError, match="sme-ai ingest corpora"):
        Assistant(fake_settings.model_copy(update={"llm_backend": "extractive"})).draft_plan(PROFILE)


# --- export ------------------------------------------------------------------------------------


def test_markdown_export(extractive_plan, tmp_path):
    plan, _ = extractive_plan
    text = export_markdown(plan, tmp_path / "plan.md").read_text(encoding="utf-8")
    for k, (_, title) in enumerate(SECTION_TITLES, start=1):
        assert f"## {k}. {title}" in text
    assert "| 阶段 | 时间 | 重点场景 | 交付物 |" in text and f"[{len(plan.references)}] 《" in text


def test_docx_reopens_with_sections_tables_references_and_east_asian_font(extractive_plan, tmp_path):
    from docx import Document
    from docx.oxml.ns import qn

    plan, a = extractive_plan
    path = export_docx(plan, tmp_path / "plan.docx", chart=render_chart(a, tmp_path / "chart.png"))
    doc = Document(str(path))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{k}. {t}" for k, (_, t) in enumerate(SECTION_TITLES, start=1)]
    tables = {tuple(c.text for c in t.rows[0].cells): t for t in doc.tables}
    roadmap = tables[("阶段", "时间", "重点场景", "交付物")]
    assert [r.cells[1].text for r in roadmap.rows[1:]] == ["0–3个月", "3–6个月", "6–12个月"]
    kpis = tables[("指标", "对应评测项", "现状", "12个月目标", "口径")]
    assert len(kpis.rows) == len(plan.kpis) + 1 and kpis.rows[1].cells[0].text == "数字化水平等级"
    after = [p.text for p in doc.paragraphs][[p.text for p in doc.paragraphs].index("10. 参考依据"):]
    refs = [t for t in after if re.match(r"\[\d+\] 《", t)]
    assert len(refs) == len(plan.references) >= 10 and refs[0].startswith("[1] 《")
    assert all(r.quote in refs[r.n - 1] for r in plan.references)
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "宋体" and fonts.get(qn("w:eastAsiaTheme")) is None
    heading_fonts = doc.styles["Heading 1"].element.rPr.find(qn("w:rFonts"))
    assert heading_fonts.get(qn("w:eastAsia")) == "黑体"
    assert len(doc.inline_shapes) == 1  # the assessment chart


# --- commands ----------------------------------------------------------------------------------


def _parser():
    from sme_ai.cli.plans import add_commands

    p = argparse.ArgumentParser()
    p.add_argument("--data-dir")
    p.add_argument("--llm-backend")
    p.add_argument("--llm-model")
    add_commands(p.add_subparsers(dest="command", required=True))
    return p


def test_cli_assess_then_plan(tmp_path, monkeypatch, capsys):
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    for key in [k for k in __import__("os").environ if k.startswith("SME_AI_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SME_AI_EMBEDDER", "hash")
    kb = tmp_path / "kb"
    Assistant(Settings(data_dir=kb)).ingest([ROOT / "corpora" / d for d in ("indicators", "playbooks", "policy", "pilot")])
    answers = PLANS / "answers" / "05_textile_micro_pilot.yaml"
    args = _parser().parse_args(["--data-dir", str(kb), "--llm-backend", "extractive", "assess", "--answers",
                                 str(answers), "--json", "-o", str(tmp_path / "a.json")])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["level"] == 1
    args = _parser().parse_args(["--data-dir", str(kb), "--llm-backend", "extractive", "plan", "--profile",
                                 str(PLANS / "profiles" / "05_textile_micro_pilot.yaml"), "--assessment",
                                 str(tmp_path / "a.json"), "-o", str(tmp_path / "plan.docx")])
    assert args.func(args) == 0
    assert "已生成方案" in capsys.readouterr().out and (tmp_path / "plan.docx").stat().st_size > 20_000
    args = _parser().parse_args(["plan", "--profile", "x.yaml", "-o", str(tmp_path / "plan.pdf")])
    with pytest.raises(PlanOutputError, match="请使用 .docx 或 .md"):
        args.func(args)


def test_interactive_questionnaire_builds_answers():
    from sme_ai.assess.indicators import load_questionnaire
    from sme_ai.cli.plans import ask_answers

    q = load_questionnaire()
    typed = iter(["1,9", "1"] + [""] * (len(q.items) - 1) + ["2", "x", "7", "3"] + [""] * 14)
    said = []
    answers = ask_answers(q, ask=lambda _p: next(typed), say=said.append)
    assert answers["items"]["network"] == ["plant_control_network"] and answers["items"]["data_collection"] == []
    assert "equipment_network_rate" not in answers["items"]  # a skipped single-choice item stays unanswered
    assert answers["scenarios"] == {"product_design": 2, "process_design": 3}
    assert any("请输入 0–4" in s for s in said) and any("请输入 1–4" in s for s in said)


# --- the real small model ----------------------------------------------------------------------


@pytest.mark.model
def test_plan_with_the_real_small_model(tmp_path):
    from conftest import require_model

    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    require_model("qwen2.5-coder-0.5b")
    from conftest import real_models_home

    settings = Settings(data_dir=tmp_path / "kb", home=real_models_home(), embedder="hash", vector_store="memory",
                        llm_backend="llama-cpp", llm_model="qwen2.5-coder-0.5b")
    asst = Assistant(settings)
    asst.ingest([ROOT / "corpora"])
    answers = _yaml(PLANS / "answers" / "05_textile_micro_pilot.yaml")
    a = assess(answers, asst)
    plan = asst.draft_plan(_yaml(PLANS / "profiles" / "05_textile_micro_pilot.yaml"), a)
    assert plan.mode == "qwen2.5-coder-0.5b"
    assert sum(not s.meta.get("fallback") for s in plan.sections[:9]) >= 3  # most prose comes from the model
    result = score_plan(plan, a)
    assert result["passed"], {k: v for k, v in result["checks"].items() if not v["ok"]}
