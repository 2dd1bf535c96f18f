"""Named subjects of a closed kind (the 16 scenarios, the industries with a plan): a source sentence about another
scenario or industry than the question's is no evidence for it, and a sentence about the document itself is none
either."""

import pytest

from sme_ai.generate.context import compact_context
from sme_ai.generate.extractive import extractive_answer
from sme_ai.subjects import SCENARIOS, asked_subjects, other_subject, subjects_in
from sme_ai.types import Chunk, Hit

pytestmark = pytest.mark.fast

_SCENARIOS = "数字化经营16个业务场景及一级至四级描述（评测指标2024年版）"


def _hit(i: int, text: str, section: str, source: str = "indicators/business_scenarios_16.md") -> Hit:
    return Hit(chunk=Chunk(id=f"c{i}", doc_id=f"d{i}", source=source, title="t", text=text, section=section),
               score=1.0 - i / 10)


def test_the_scenarios_are_the_questionnaires():
    from sme_ai.assess.indicators import load_questionnaire

    assert SCENARIOS == tuple(s.name for s in load_questionnaire().scenarios)


def test_what_a_text_names_by_kind():
    assert subjects_in("经营场景：生产管控（生产执行数字化）") == {"scenario": {"生产管控"}}
    assert subjects_in("我们是做PCB线路板的规上电子厂") == {"industry": {"电子信息"}}
    assert subjects_in("一级：用电子表格记录生产工单") == {}  # a spreadsheet is no industry
    assert subjects_in("原材料行业（钢铁/有色/建材/石化）") == {"industry": {"原材料", "化工"}}
    # a follow-up asks about its own subject; the earlier question's stands where the own one names none of a kind
    q = "那设备管理呢，三级要做到什么？（接上一问：评测指标2024年版里质量管理这个场景做到三级是什么样子？）"
    assert asked_subjects(q) == {"scenario": {"设备管理"}}
    assert asked_subjects("那它的数控化率要求呢？（接上一问：食品工业的方案是谁发的？）") == {"industry": {"食品"}}


def test_a_sentence_about_another_scenario_or_industry():
    asked = asked_subjects("设备管理场景做到最高一级是什么水平？")
    # the level sentence names no scenario: its section does
    assert other_subject(asked, "四级：借助人工智能监测和预警生产过程，形成闭环优化", f"{_SCENARIOS} > 经营场景：生产管控")
    assert not other_subject(asked, "四级：建立设备运行模型和故障知识库", f"{_SCENARIOS} > 经营场景：设备管理")
    # a sentence that names the asked scenario among others stays, whatever its section
    assert not other_subject(asked, "平台数据把10个场景标为约束性场景：质量管理、设备管理、生产管控", "约束性场景是什么")
    assert not other_subject(asked, "AI相关能力大多出现在四级", "AI在评测指标16个场景中的位置")  # names none
    assert not other_subject({}, "四级：借助人工智能监测", "经营场景：生产管控")  # a question naming none keeps all
    food = asked_subjects("食品企业关键工序数控化率的要求是多少？")
    assert other_subject(food, "已知目标：到2027年，规上电子信息制造企业关键工序数控化率超过85%", "电子信息制造业数字化转型实施方案")
    assert other_subject(food, "方案的任务结构资料未给出", "电子信息制造业数字化转型实施方案（待核实）")
    assert not other_subject(food, "规上食品企业关键工序数控化率达到75%", "电子信息制造业数字化转型实施方案")


def test_another_scenarios_levels_are_not_quoted_for_the_one_asked():
    hits = [_hit(0, "“设备管理”是评测指标（2024年版）数字化经营维度中的场景。 - 三级：实时采集设备关键参数，开展故障分析和远程诊断"
                    "（待核实）；", f"{_SCENARIOS} > 经营场景：设备管理（生产执行数字化）"),
            _hit(1, "“质量管理”是评测指标（2024年版）数字化经营维度中的场景。 - 三级：关键工序在线检测并自动判定、报警（待核实）；",
                 f"{_SCENARIOS} > 经营场景：质量管理（生产执行数字化）")]
    q = "那设备管理呢，三级要做到什么？（接上一问：质量管理这个场景做到三级是什么样子？）"
    answer = extractive_answer(q, compact_context(q, hits))
    assert "故障分析" in answer and "在线检测" not in answer
    # asked about 质量管理 itself, the same passages give its own level
    q = "质量管理这个场景做到三级是什么样子？"
    answer = extractive_answer(q, compact_context(q, hits))
    assert "在线检测" in answer and "故障分析" not in answer


def test_a_sentence_about_the_document_itself_is_no_answer_unless_the_sources_are_asked_about():
    text = ("本文按城市分别整理已收集到的地方做法，包括中山、东莞、许昌、温州。 "
            "许昌依托公共服务平台和专家智库为企业提供诊断服务。")
    hits = [_hit(0, text, "城市试点地方案例", "pilot/local_examples.md")]
    sentences = "".join(compact_context("许昌搞数字化转型城市试点，有哪些具体做法？", hits)[0].sentences)
    assert "专家智库" in sentences and "本文" not in sentences
    assert "本文" in "".join(compact_context("知识库里收集了哪些城市的试点资料？", hits)[0].sentences)


def test_a_documents_own_provisions_are_content():
    from sme_ai.generate.context import ABOUT_DOCUMENT

    assert ABOUT_DOCUMENT.match("本文按城市分别整理已收集到的地方做法")
    assert ABOUT_DOCUMENT.match("文中涉及的政策名称均取自政策事实清单")
    assert not ABOUT_DOCUMENT.match("本文件自印发之日起施行")
    assert not ABOUT_DOCUMENT.match("本文所称中小企业，是指依法设立的企业")


def test_a_sentence_about_the_questions_place_is_quoted_beside_a_national_rule():
    hits = [_hit(0, "中小企业数字化转型城市试点的中央文件只规定每个城市的奖励上限和资金使用比例，单个企业补多少、补哪些行业，"
                    "由各试点城市自行制定实施方案和专项资金办法。", "地方案例说明：各试点城市如何落实城市试点", "pilot/local_examples.md"),
            _hit(1, "许昌市的试点细分行业包括智能电网设备、特种装备及零部件等四类。 在推进方式上，许昌组建了专家智库，"
                    "并建设公共服务平台。 呼和浩特把特色食品加工列为试点细分行业。", "许昌市：试点细分行业与服务做法",
                 "pilot/local_examples.md")]
    q = "许昌搞数字化转型城市试点，有哪些具体做法？"
    answer = extractive_answer(q, compact_context(q, hits))
    assert "专家智库" in answer  # without the bonus the national rule, sharing more words, keeps 许昌's passage out
    assert "呼和浩特" not in answer  # another city's line under 许昌's heading is still another place's
