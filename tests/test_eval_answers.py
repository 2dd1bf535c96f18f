"""The answer metrics score what they claim: claim support, doubled sentences, prompt syntax, follow-up history."""

from __future__ import annotations

from sme_ai.eval.answers import claim_support, doubled_sentences, evaluate_answers, score_answer
from sme_ai.eval.dataset import EvalItem
from sme_ai.types import Answer, Chunk, Citation, Hit

SOURCE = "到2027年，全国规上工业中小企业关键工序数控化率达到75%，上云率超过40%。"


def test_claim_support_counts_sentences_whose_words_stand_in_the_cited_chunk():
    assert claim_support("上云率超过40%[1]。数控化率达到75%[1]。", {1: SOURCE}) == (2, 2)
    assert claim_support("上云率超过40%[1]。企业可获得专项补贴资金支持[1]。", {1: SOURCE}) == (1, 2)
    assert claim_support("上云率超过40%。", {1: SOURCE}) == (0, 1)  # no marker: not supported
    # the engine's own notes on what the documents lack are no claims about a source; a sentence like them is
    gap = "资料中没有找到所问的具体日期。相关内容如下：\n\n上云率超过40%[1]。（资料中没有关于乌鲁木齐市的具体规定。）"
    assert claim_support(gap, {1: SOURCE}) == (1, 1)
    assert claim_support("资料中没有找到企业补贴资金。上云率超过40%[1]。", {1: SOURCE}) == (1, 2)


def test_doubled_sentences_are_counted():
    assert doubled_sentences("上云率超过40%[1]。到2027年上云率超过40%[2]。数控化率达到75%[1]。") == 1
    assert doubled_sentences("上云率超过40%[1]。数控化率达到75%[1]。") == 0


def _answer(text, refused=False):
    chunk = Chunk(id="c1", doc_id="d", source="policy/a.md", title="行动方案", text=SOURCE)
    return Answer(question="q", text=text, refused=refused, hits=(Hit(chunk=chunk, score=1.0),),
                  citations=(Citation(n=1, source="policy/a.md", title="行动方案", quote=SOURCE, chunk_id="c1"),))


def test_a_row_flags_prompt_syntax_and_scores_claims():
    item = EvalItem(id="x", question="上云率目标？", type="number", facts=["40%"])
    row = score_answer(item, _answer("根据<资料>，**上云率超过40%**[1]。"))
    assert row["prompt_syntax"] and row["facts_ok"] and row["claims"] == 1
    assert not score_answer(item, _answer("上云率超过40%[1]。"))["prompt_syntax"]


def test_followup_items_are_asked_with_the_previous_questions_only():
    asked = []

    class Asst:
        llm = None

        def ask(self, question, history=None):
            asked.append((question, history))
            return _answer("上云率超过40%[1]。")

    item = EvalItem(id="f", question="那数控化率呢？", type="followup", facts=["75%"], history=["上云率目标是多少？"])
    evaluate_answers(Asst(), [item])
    assert asked == [("那数控化率呢？", [("上云率目标是多少？", "")])]


def test_a_rumour_line_counts_as_a_refusal_only_when_it_corrects_the_question():
    from sme_ai.eval.answers import is_honest

    rumour = "误传：有网易号文章称“小巨人中央财政最高1亿元奖补”，此说不实，与官方认定标准不符[3]。"
    # the correction answers a question that repeats the claim, or one that reports hearsay
    assert is_honest("评上小巨人中央财政最高给1亿元奖补，怎么申请？", rumour)
    assert is_honest("聽說小巨人有獎補，是真的嗎？", rumour)
    # quoted for a question about something else, it is not an honest "the documents don't say"
    assert not is_honest("2026年“小巨人”第八批的申报截止日期是哪天？", rumour)
    assert is_honest("2026年第八批的截止日期是哪天？", "资料中没有关于第八批的内容。")


def test_a_figure_of_the_cited_chunks_section_heading_is_not_invented():
    item = EvalItem(id="x", question="保障措施有哪些？", type="fact", facts=["组织保障"])
    chunk = Chunk(id="c1", doc_id="d", source="policy/a.md", title="行动方案", text="1. 组织保障：建立机制。",
                  section="行动方案（2025—2027年）的五项保障措施")
    answer = Answer(question="q", text="行动方案（2025—2027年）的五项保障措施：组织保障[1]。", hits=(Hit(chunk=chunk, score=1.0),),
                    citations=(Citation(n=1, source="policy/a.md", title="行动方案", quote="x", chunk_id="c1"),))
    assert score_answer(item, answer)["invented_numbers"] == []
    assert score_answer(item, _answer("上云率超过45%[1]。"))["invented_numbers"] == ["45%"]
