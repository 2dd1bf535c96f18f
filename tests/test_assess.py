"""Self-assessment: the data file, scoring, levels and gaps against hand-computed examples, evidence, chart."""

from pathlib import Path

import pytest
import yaml

from sme_ai.assess.indicators import load_questionnaire
from sme_ai.errors import AssessmentInputError, SmeAiError
from sme_ai.assess.chart import render_chart
from sme_ai.assess.evaluate import assess
from sme_ai.assess.report import render_markdown

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "evals" / "plans" / "answers"


def _answers(name: str) -> dict:
    return yaml.safe_load((ANSWERS / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus_asst(tmp_path_factory):
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    tmp = tmp_path_factory.mktemp("assess")
    asst = Assistant(Settings(data_dir=tmp / "kb", home=tmp / "home", embedder="hash", vector_store="memory",
                              llm_backend="extractive"))
    asst.ingest([ROOT / "corpora" / "indicators", ROOT / "corpora" / "playbooks"])
    return asst


def test_questionnaire_matches_the_corpus_reading():
    q = load_questionnaire()
    assert [d.name for d in q.dimensions] == ["数字化基础", "数字化管理", "数字化成效"]
    assert [d.points for d in q.dimensions] == [50, 30, 20] and q.score_max == 100
    for d in q.dimensions:  # the items of each dimension add up to its points
        total = sum(sum(o.points for o in i.options) if i.kind == "multi" else max(o.points for o in i.options)
                    for i in d.items)
        assert total == pytest.approx(d.points)
    assert len(q.scenarios) == 16 and sum(s.constraint for s in q.scenarios) == 10
    assert all(sorted(s.levels) == [1, 2, 3, 4] for s in q.scenarios)
    assert "第三方" in q.reading and "待核实" in q.reading and any("9个" in c for c in q.caveats)
    assert [(r.level, r.min_score, r.min_scenarios, r.min_constraint) for r in q.level_rules.levels] == [
        (1, 20, 6, 3), (2, 40, 6, 3), (3, 60, 8, 5), (4, 80, 10, 6)]
    assert q.model_dump()["scenarios"][0]["levels"][2].startswith("用信息系统管理设计资料")


def test_example_level_1_blocked_by_scenario_count():
    # 42.1 points ≥ 40, but only 5 scenarios at level 2 (6 needed): level 1; one more constraint scenario moves it
    a = assess(_answers("01_machinery_srdi_pilot"))
    assert [d.points for d in a.dimensions] == [17.35, 11.25, 13.5] and a.score == 42.1
    assert a.level == 1 and a.level_name == "一级" and a.next_level == 2 and a.level_2022_bands == 2
    assert [(g.kind, g.id, g.current, g.target) for g in a.gaps] == [("scenario", "product_design", "一级", "二级")]
    check2 = a.checks[1]
    assert (check2.score_ok, check2.scenarios_at_level, check2.constraint_at_level) == (True, 5, 4)
    assert a.item("data_collection").points == 2.1 and a.item("funding").points == 1.875


def test_example_below_level_1_has_scenario_and_score_gaps():
    a = assess(_answers("03_autoparts_abovescale_pilot"))
    assert a.score == 17.45 and a.level == 0 and a.level_name == "未达一级"
    assert [(g.kind, g.id) for g in a.gaps] == [("scenario", "product_design"), ("score", "data_collection")]
    assert a.gaps[1].gain == 9.3 and "补齐" in a.gaps[1].detail


def test_example_level_1_blocked_by_score_only():
    # 6 scenarios at level 2 (5 constraint) but 25.65 points: the gaps are the two items that close 14.35 points
    a = assess(_answers("10_pharma_srdi_pilot"))
    assert a.score == 25.65 and a.level == 1
    assert [(g.kind, g.id, g.gain) for g in a.gaps] == [("score", "data_collection", 8.6),
                                                        ("score", "management_mechanism", 7.5)]


def test_example_level_3_gaps_to_level_4_follow_constraint_then_closest():
    a = assess(_answers("08_building_materials_giant_pilot"))
    assert a.score == 85.525 and a.level == 3
    assert [g.name for g in a.gaps] == ["营销管理", "生产管控", "质量管理", "采购管理", "仓储物流", "财务管理", "计划排程"]
    assert all(g.kind == "scenario" and g.target == "四级" for g in a.gaps)


def test_conflicting_third_party_rule_is_reported_not_used():
    # 60+ points, 6 scenarios at level 3 of which 3 constraint: level 2 by the 8/5 reading, 3 by the 6/3 reading
    q = load_questionnaire()
    items = {i.id: ([o.id for o in i.options] if i.kind == "multi" else i.options[-1].id) for i in q.items}
    items["network"], items["data_collection"], items["funding"] = [], [], "band1"  # 100 − 8 − 10 − 7.5
    scenarios = {"product_design": 3, "marketing": 3, "production": 3, "process_design": 3, "after_sales": 3,
                 "planning": 3, "quality": 2, "equipment": 2, "safety": 2}
    a = assess({"items": items, "scenarios": scenarios})
    assert a.score == 74.5 and a.level == 2 and a.level_alternative == 3 and "6个场景" in a.alternative_note
    assert "按另一种第三方解读为三级" in render_markdown(a)


def test_full_marks_is_level_4_without_gaps_and_empty_is_below_level_1():
    q = load_questionnaire()
    items = {i.id: ([o.id for o in i.options] if i.kind == "multi" else i.options[-1].id) for i in q.items}
    top = assess({"items": items, "scenarios": {s.id: 4 for s in q.scenarios}})
    assert top.score == 100 and top.level == 4 and top.next_level is None and top.gaps == []
    empty = assess({})
    assert empty.score == 0 and empty.level == 0 and len(empty.unanswered) == len(q.items) + 16
    assert "未作答" in render_markdown(empty)


def test_answers_by_chinese_names_and_flat_dict():
    a = assess({"设备联网率": "10%–20%", "网络建设": ["车间工控网络"], "产品设计": "二级", "营销管理": "2"})
    assert a.item("equipment_network_rate").points == 1.5 and a.item("network").points == 2
    assert a.scenario_level("product_design") == 2 and a.scenario_level("marketing") == 2


@pytest.mark.parametrize("answers, field, words", [
    ({"items": {"no_such_item": "x"}}, "no_such_item", "没有这道题"),
    ({"items": {"equipment_network_rate": "r99"}}, "设备联网率", "选项“r99”不存在"),
    ({"items": {"equipment_network_rate": ["le10", "gt60"]}}, "设备联网率", "单选题只能选一项"),
    ({"scenarios": {"product_design": 5}}, "产品设计", "场景等级应为0–4"),
    ({"scenarios": {"月球基地": 1}}, "月球基地", "没有这个业务场景"),
    ({"items": {}, "extra": 1}, "extra", "无法识别"),
])
def test_bad_answers_get_chinese_messages(answers, field, words):
    with pytest.raises(AssessmentInputError) as e:
        assess(answers)
    assert isinstance(e.value, SmeAiError)
    assert any(f == field and words in m for f, m in e.value.problems), e.value.problems
    assert "自评答案有误" in str(e.value)


def test_every_gap_is_backed_by_a_corpus_passage(corpus_asst):
    a = assess(_answers("05_textile_micro_pilot"), corpus_asst)
    assert [g.id for g in a.gaps] == ["production", "warehouse", "data_collection", "management_mechanism"]
    for g in a.gaps:
        assert g.evidence is not None, g
        assert g.evidence.source.endswith(".md") and g.evidence.title and g.evidence.chunk_id
    production = a.gaps[0].evidence
    assert "生产管控" in production.section and production.quote.startswith("一级→二级")
    assert "数据采集" in a.gaps[2].evidence.section + a.gaps[2].evidence.quote
    assert "管理机制" in a.gaps[3].evidence.quote
    md = render_markdown(a)
    assert "## 升到二级还差什么" in md and "依据：《" in md


def test_assessment_round_trips_through_json():
    from sme_ai.assess.model import Assessment

    a = assess(_answers("02_electronics_giant"))
    b = Assessment.model_validate_json(a.model_dump_json())
    assert b == a and b.gap_scenarios() == ["product_design", "marketing", "equipment", "procurement"]


def test_chart_is_a_chinese_radar_with_the_shipped_font(tmp_path):
    import warnings

    from fontTools.ttLib import TTFont

    from sme_ai.assess import chart

    a = assess(_answers("01_machinery_srdi_pilot"))
    assert chart.cjk_font() == "SME AI Chart CJK"  # the package's own subset, not a system font
    font = chart.FONT_FILE
    assert font.stat().st_size < 200_000 and (font.parent / "OFL.txt").is_file()
    missing = set(chart.label_text()) - {chr(c) for c in TTFont(str(font)).getBestCmap()}
    assert not missing, f"rebuild the subset (python -m sme_ai.assess.fontsubset): {sorted(missing)}"
    dims = chart.dimension_values(a)
    assert [d[0] for d in dims] == ["数字化基础", "数字化经营", "数字化管理", "数字化成效"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" for a tofu label
        png = render_chart(a, tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
