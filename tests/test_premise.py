"""The premise check and the claim-level verification, on the shipped corpus (chunked as ingest chunks it, no
embedding) and on small passages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sme_ai.config import Settings
from sme_ai.generate.context import Passage
from sme_ai.generate.extractive import extractive_answer
from sme_ai.generate.premise import check_premise
from sme_ai.generate.tidy import clean_model_text
from sme_ai.generate.verify import verify_answer
from sme_ai.ingest.pipeline import load_paths
from sme_ai.question import checkable_terms
from sme_ai.text import normalize_text
from sme_ai.types import Chunk, Hit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus():
    s = Settings()
    loaded = load_paths([ROOT / "corpora"], chunk_size=s.chunk_size, overlap=s.chunk_overlap, max_bytes=10**8)
    chunks = [c for _, cs in loaded.documents for c in cs]
    titles = [d.title for d, _ in loaded.documents]

    class Source:
        def all_chunks(self):
            return chunks

    return Source(), titles


def _check(question, corpus, retrieved=()):
    source, titles = corpus
    q = normalize_text(question)
    return check_premise(q, checkable_terms(q), list(retrieved), source, titles)


def _dev():
    return [json.loads(line) for line in (ROOT / "evals" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


def test_no_answerable_dev_question_is_refused_or_corrected_by_the_premise_check(corpus):
    flagged = [(r["id"], p.unknown, [s[:30] for _, s in p.rumours]) for r in _dev() if r["answerable"]
               for p in [_check(r["question"] + " " + " ".join(r.get("history", [])), corpus)] if not p.ok]
    assert flagged == []


def test_most_premise_questions_are_caught_before_generation(corpus):
    premise = [r for r in _dev() if r["type"] == "premise"]
    caught = [r["id"] for r in premise if not _check(r["question"], corpus).ok]
    assert len(caught) >= 0.8 * len(premise), caught


@pytest.mark.parametrize("question, unknown", [
    ("工信部联企业〔2025〕88号《中小企业智能化改造补贴办法》里每台设备补贴多少？", {"〔2025〕88号", "《中小企业智能化改造补贴办法》"}),
    ("听说2019年工信部给中小企业上云每家补过5万块钱，现在还能补申吗？", {"2019年"}),
    ("我们县想报“中小企业数字化转型百强县”评选，怎么申报？", {"“中小企业数字化转型百强县”"}),
])
def test_what_the_knowledge_base_does_not_know_is_named(question, unknown, corpus):
    assert set(_check(question, corpus).unknown) == unknown


def test_a_rumour_the_corpus_lists_is_corrected_with_the_listing_sentence(corpus):
    p = _check("听说评上“小巨人”中央财政最高给1亿元奖补，我们怎么申请？", corpus)
    assert not p.unknown and p.rumours and all("不实" in s or "误传" in s for _, s in p.rumours)


def test_years_are_judged_against_the_retrieved_passages(corpus):
    source, _ = corpus
    plan = [c for c in source.all_chunks() if "2025—2027" in c.text and "行动方案" in c.text][:3]
    assert _check("2026年行动方案有哪些任务？", corpus, plan).ok  # inside 2025—2027
    assert _check("2028—2030年行动方案定了什么目标？", corpus, plan).unknown == ("2028—2030年",)
    assert _check("我们厂2015年成立，行动方案对我们有什么支持？", corpus, plan).ok  # the firm's own year


def test_a_place_the_documents_never_mention_is_noted_not_refused(corpus):
    p = _check("我们是宁波市一家30人的注塑厂，能申请城市试点吗？", corpus)
    assert p.ok and p.unknown_places in ((), ("宁波市",))
    assert _check("我们在乌鲁木齐市，能申请城市试点吗？", corpus).unknown_places == ("乌鲁木齐市",)


def test_checkable_terms_and_the_cache_key_tell_a_year_or_a_number_apart():
    a, b = (checkable_terms(normalize_text(q)) for q in ("2027年上云率要达到多少？", "2026年上云率要达到多少？"))
    assert a.years == ("2027",) and a.key() != b.key()
    t = checkable_terms(normalize_text("听说工信部联企业〔2024〕239号说每家补贴100万，我们研发投了120万"))
    assert t.doc_numbers == ("〔2024〕239号",) and t.amounts == ("100万",)  # the firm's own 120万 is no premise


def _passage(n, text):
    return Passage(n=n, hit=Hit(chunk=Chunk(id=str(n), doc_id="d", source="s.md", title="t", text=text), score=1.0),
                   sentences=(text,))


PASSAGES = [_passage(1, "到2027年，全国规上工业中小企业关键工序数控化率达到75%，上云率超过40%。"),
            _passage(2, "中小企业应避免一开始就采购大而全的软件，先从小快轻准的产品入手。")]


@pytest.mark.parametrize("answer, kept, counter", [
    ("规上工业中小企业关键工序数控化率达到75%[1]。", "规上工业中小企业关键工序数控化率达到75%[1]。", None),
    ("汽车行业数控化率也是75%[1]。", "", "unsupported_claims"),
    ("建议先采购大而全的软件[2]。", "", "polarity_flips"),
    ("要避免一开始就采购大而全的软件[2]。", "要避免一开始就采购大而全的软件[2]。", None),
    ("先从小快轻准的产品入手[1]。", "先从小快轻准的产品入手[2]。", "recited"),
    ("我们计划引入先进的自动化设备和传感器，采用大数据分析技术[1]。", "", "unsupported_claims"),
])
def test_each_sentence_is_checked_against_the_passage_it_cites(answer, kept, counter):
    v = verify_answer(answer, PASSAGES)
    assert v.text == kept
    if counter:
        assert getattr(v, counter) == 1


def test_a_number_bound_to_another_subject_is_dropped():
    passages = [_passage(1, "电子行业规上企业数字化研发设计工具普及率达到85%。纺织行业重点企业上云率达到60%。")]
    v = verify_answer("纺织行业重点企业数字化研发设计工具普及率达到85%[1]。", passages)
    assert v.text == "" and v.dropped_sentences == 1


def test_a_document_number_glued_to_another_documents_figure_is_dropped():
    # seen with the 1.5B in the app: the 100亿元 is 财建〔2021〕2号's, 239号 is only named in the passage's intro
    source = ("除了《中小企业数字化赋能专项行动方案（2025—2027年）》（工信部联企业〔2024〕239号）这份顶层文件外，还有几类"
              "相关政策。专精特新企业另有财政支持。财建〔2021〕2号文件明确，“十四五”期间中央财政累计安排100亿元以上奖补资金，"
              "重点支持1000余家国家级专精特新“小巨人”企业。")
    passages = [_passage(1, source)]
    glued = verify_answer("工信部联企业〔2024〕239号文件明确，中央财政累计安排100亿元以上奖补资金[1]。", passages)
    assert glued.text == "" and glued.misbound_numbers
    right = verify_answer("财建〔2021〕2号文件明确，中央财政累计安排100亿元以上奖补资金[1]。", passages)
    assert right.text.startswith("财建〔2021〕2号")
    named = verify_answer("行动方案的文号是工信部联企业〔2024〕239号[1]。", passages)  # no figure to attach: kept
    assert named.text.startswith("行动方案的文号")


def test_a_list_item_merged_in_from_another_sentence_is_dropped():
    source = ("方案在研究制定时还会同了国家数据局。方案由工业和信息化部、财政部、中国人民银行、国家金融监督管理总局"
              "四个部门联合印发。")
    passages = [_passage(1, source)]
    merged = verify_answer("方案由工业和信息化部、财政部、中国人民银行、国家金融监督管理总局以及国家数据局共同印发[1]。", passages)
    assert merged.text == "" and merged.dropped_sentences == 1
    kept = verify_answer("四个部门：工业和信息化部、财政部、中国人民银行和国家金融监督管理总局[1]。", passages)
    assert kept.text.startswith("四个部门")


def test_the_extractive_answer_has_no_near_duplicates_no_template_lead_and_no_markdown():
    passages = [_passage(1, "到2027年，中小企业上云率超过40%。"), _passage(2, "**到2027年**，中小企业上云率要超过40%。"),
                _passage(3, "城市试点每个城市最高补助1.5亿元。")]
    text = extractive_answer("2027年中小企业上云率目标是多少", passages)
    assert text.count("40%") == 1 and "**" not in text and not text.startswith("根据资料")
    assert "1.5亿" not in text  # scores below half the best: it does not answer the question


def test_prompt_syntax_and_markdown_never_reach_the_owner():
    out = clean_model_text("根据<资料>中的信息，**资金支持**：到2027年上云率超过40%[1]。\n- 资料显示：数控化率75%[1]。", [])
    assert "<资料>" not in out and "**" not in out and not out.startswith("根据")
    assert "40%[1]" in out and "75%[1]" in out


def test_what_the_prompt_tags_leave_behind_and_bare_list_lead_ins_are_tidied_away():
    raw = ("根据<资料>和<企业情况>的信息，到2027年上云率超过40%[1]。\n具体包括：\n- 数控化率75%[2]。\n"
           "根据资料和的信息[2]。，普通地级市最多1亿元[3]。")
    out = clean_model_text(raw, [])
    assert out == "到2027年上云率超过40%[1]。数控化率75%[2]。普通地级市最多1亿元[3]。"
    # an opener that names a document, not "the materials", stays
    assert clean_model_text("根据《行动方案》，上云率超过40%[1]。", []) == "根据《行动方案》，上云率超过40%[1]。"
