"""Applicability: the owner's own figures against the conditions of the cited passages (sme_ai.generate.owner)."""

from sme_ai.generate.context import compact_context
from sme_ai.generate.owner import cn_number, owner_check, owner_facts
from sme_ai.types import Chunk, Hit

ZJTX = ("专精特新中小企业须同时满足四项条件。从事特定细分市场时间达到2年及以上。上年度研发费用不低于100万元，且占营业收入的"
        "比重不低于3%。上年度营业收入不低于1000万元。评价得分达到60分以上，或满足直通条件之一。")
GIANT = ("营业收入1亿元及以上的，近2年研发费用占营业收入比重均不低于3%。营业收入5000万元至1亿元的，均不低于6%。"
         "营业收入不足1000万元的，近2年新增股权融资须不低于2000万元。")


def _passages(question, *texts_and_sections):
    hits = [Hit(chunk=Chunk(id=f"c{i}", doc_id="d", source="tier.md", title="梯度培育", text=t, section=sec),
                score=1.0 - i / 10) for i, (t, sec) in enumerate(texts_and_sections)]
    return compact_context(question, hits, budget_chars=2000)


def test_each_stated_figure_is_set_against_the_condition_on_the_same_measure():
    q = "我们是做五金配件的，年营收3000万左右，研发一年投120万，在这个细分领域做了5年。能不能去申报省级专精特新？"
    text, cited = owner_check(q, _passages(q, (ZJTX, "专精特新中小企业：四项认定条件")))
    lines = text.splitlines()
    assert lines[0].startswith("对照您提到的情况") and cited == [1]
    assert "营业收入：您提到3000万左右；资料要求“上年度营业收入不低于1000万元”[1]，满足。" in lines
    assert "研发费用：您提到120万；资料要求“上年度研发费用不低于100万元”[1]，满足。" in lines
    assert "从事细分市场的年限：您提到5年；资料要求“从事特定细分市场时间达到2年及以上”[1]，满足。" in lines
    # the share of revenue spent on R&D follows from two stated figures; what the owner did not say is named, not judged
    assert "研发费用占营业收入比重：您提到研发120万、营收3000万左右（按两者之比）；资料要求“占营业收入的比重不低于3%”[1]，满足。" in lines
    assert lines[-1] == "您没有提到、还需自行核对的条件：评价得分达到60分以上[1]。"


def test_a_figure_that_falls_short_is_said_plainly_and_a_vague_one_near_the_line_is_not_judged():
    q = "我们专精特新的评价打分大概只有五十几分，研发占比2.9%左右，还能不能申报专精特新中小企业？"
    text, _ = owner_check(q, _passages(q, (ZJTX, "专精特新中小企业：四项认定条件")))
    assert "评价得分：您提到五十几分；资料要求“评价得分达到60分以上”[1]，不满足。" in text
    assert "您提到2.9%左右；资料要求“占营业收入的比重不低于3%”[1]，接近这一条件，需按准确数字核实。" in text


def test_a_rule_for_other_firms_is_not_applied_and_its_scope_stays_with_it():
    q = "我们去年营收1.2个亿，研发费用占比才2.5%，够不够冲国家级“小巨人”？"
    text, _ = owner_check(q, _passages(q, (GIANT, "专精特新“小巨人”企业：创新能力条件")))
    assert "您提到2.5%；资料要求“营业收入1亿元及以上的，近2年研发费用占营业收入比重均不低于3%”[1]，不满足。" in text
    assert "6%" not in text and "2000万元" not in text  # rules for 5000万–1亿 and <1000万 firms
    q = "我们营收还不到1000万，但拿了一轮投资，这种情况还有机会评“小巨人”吗？"
    facts = owner_facts(q)
    assert facts[0].measure == "营业收入" and facts[0].below and facts[0].text == "不到1000万"
    # the owner named no figure the passages compare (the investment has no amount): no block at all
    assert owner_check(q, _passages(q, (GIANT, "专精特新“小巨人”企业：创新能力条件"))) == ("", [])


def test_no_block_for_a_question_that_does_not_ask_whether_the_firm_qualifies_or_states_no_figure():
    p = _passages("研发费用要求是多少", (ZJTX, "专精特新中小企业：四项认定条件"))
    assert owner_check("专精特新的研发费用要求是多少？", p) == ("", [])
    assert owner_check("我们能不能申报专精特新？", p) == ("", [])


def test_dates_are_not_years_in_business_and_chinese_numerals_are_read():
    assert owner_facts("我们家这个厂是我爸九几年办的，现在能不能申报？") == []
    assert owner_facts("我们打算2027年才开始搞，能不能申请？") == []
    assert [f.measure for f in owner_facts("干了两年半，主营业务收入大概占总营收的六成，够得上吗")] == [
        "从事细分市场的年限", "主营业务收入占比"]
    assert (cn_number("一千五百"), cn_number("两百"), cn_number("十"), cn_number("3.5")) == (1500, 200, 10, 3.5)


def test_the_block_goes_into_the_answer_with_its_citation(fake_settings, tmp_path):
    from sme_ai.assistant import Assistant

    doc = tmp_path / "zjtx.md"
    doc.write_text("# 专精特新中小企业：四项认定条件\n\n" + ZJTX + "\n", encoding="utf-8")
    asst = Assistant(fake_settings.model_copy(update={"data_dir": tmp_path / "kb", "llm_backend": "extractive"}))
    asst.ingest([doc])
    a = asst.ask("我们年营收3000万，研发一年投120万，能不能申报专精特新中小企业？")
    assert not a.refused and "对照您提到的情况" in a.text and a.meta["owner_check"] >= 2
    assert any("1000万元" in c.quote or "100万元" in c.quote for c in a.citations)


def test_a_sentence_the_block_quotes_again_is_left_to_the_block():
    from sme_ai.generate.owner import with_check

    q = "我们年营收3000万左右，能不能申报？"
    block = ("对照您提到的情况（按资料中的条件逐条核对，仅供参考，以主管部门的认定为准）：\n"
             "营业收入：您提到3000万左右；资料要求“上年度营业收入不低于1000万元”[1]，满足。")
    body = "专精特新中小企业须同时满足四项条件[1]。上年度营业收入不低于1000万元[1]。"
    assert with_check(q, body, block) == "专精特新中小企业须同时满足四项条件[1]。\n\n" + block
    assert with_check(q, "上年度营业收入不低于1000万元[1]。", block) == block
    # a rule for firms below 1000万 says nothing to a firm with 3000万
    other = "营业收入不足1000万元的，近2年新增股权融资须不低于2000万元[2]。"
    assert with_check(q, body + other, block) == "专精特新中小企业须同时满足四项条件[1]。\n\n" + block


def test_a_range_scope_and_a_scope_without_its_measure_are_read_from_the_rule_before():
    q = "我们营收才4000万，但前年和去年加起来拿了5000万的股权融资。这种企业评“小巨人”有什么硬门槛？"
    section = "优质中小企业梯度培育：创新型、专精特新、“小巨人” > 专精特新“小巨人”企业：创新能力条件"
    rules = ("创新能力一般条件（须同时满足）：营业收入1亿元及以上的，近2年研发费用占营业收入比重均不低于3%；5000万元至1亿元"
             "的，均不低于6%；不足5000万元的，近2年新增股权融资须不低于8000万元，且研发费用总额不低于3000万元。")
    other = ("专精特新中小企业须同时满足以下4项条件：上年度营业收入不低于1000万元。", "优质中小企业梯度培育：创新型、专精特新、"
             "“小巨人” > 专精特新中小企业：四项认定条件")
    text, _ = owner_check(q, _passages(q, (rules, section), other))
    assert "股权融资：您提到5000万；资料要求“不足5000万元的，近2年新增股权融资须不低于8000万元”[1]，不满足。" in text
    assert "3000万元" in text.splitlines()[-1]  # not stated by the owner: to check
    assert "6%" not in text and "3%" not in text  # the rules for firms with 5000万 and more
    assert "1000万元" not in text  # the 专精特新 tier's rule, though the document title names every tier
