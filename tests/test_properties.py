"""Property-based tests (hypothesis): normalisation, chunking and verification on arbitrary input."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sme_ai.generate.context import Passage
from sme_ai.generate.verify import is_supported, numbers_in, verify_answer
from sme_ai.ingest.chunk import PROTECTED, chunk_document
from sme_ai.text import normalize_text, split_sentences
from sme_ai.types import Chunk, Document, Hit, Section

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text like the corpus: Chinese, digits, units, punctuation, a little Latin, line breaks, document numbers, dates
PIECES = st.sampled_from([
    "中小企业", "数字化转型", "上云率", "超过", "40%", "2027年", "2025—2027年", "工信部联企业〔2024〕239号", "100万元",
    "，", "。", "；", "！", "？", "、", "\n", " ", "（待核实）", "第10条", "3.5", "ERP", "MES", "的", "试点城市",
    "專精特新", "業(yè)", "１２３", "Ａ", "\u3000", "—", "《行动方案》", ":", "“小快轻准”",
])
CORPUS_TEXT = st.lists(PIECES, min_size=0, max_size=120).map("".join)
ANY_TEXT = st.text(max_size=400)


@FAST
@given(ANY_TEXT)
def test_normalisation_never_crashes_and_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@FAST
@given(st.one_of(ANY_TEXT, CORPUS_TEXT))
def test_sentence_split_keeps_every_character(text):
    assert re.sub(r"\s", "", "".join(split_sentences(text))) == re.sub(r"\s", "", text)


def _doc(text: str) -> Document:
    return Document(source="s.md", title="T", sections=(Section(text=text),), key="k")


@FAST
@given(CORPUS_TEXT.map(normalize_text), st.integers(min_value=80, max_value=400))
def test_chunks_cover_the_text_and_never_cut_protected_spans(text, size):
    chunks = chunk_document(_doc(text), size=size, overlap=0)
    assert re.sub(r"\s", "", "".join(c.text for c in chunks)) == re.sub(r"\s", "", text)
    for m in PROTECTED.finditer(text):
        span = m.group(0).strip()
        if len(span) >= 4 and len(span) <= size // 3:  # a 文号, a date or a number with its unit
            assert any(span in c.text for c in chunks), (span, [c.text for c in chunks])


def _passages(texts: list[str]) -> list[Passage]:
    out = []
    for i, t in enumerate(texts, start=1):
        chunk = Chunk(id=f"c{i}", doc_id="d", source="s.md", title="T", text=t)
        out.append(Passage(n=i, hit=Hit(chunk=chunk, score=1.0), sentences=tuple(split_sentences(t)) or (t,)))
    return out


ANSWER = st.lists(st.one_of(PIECES, st.sampled_from(["[1]", "[2]", "[7]", "【3】", "[1,2]", "50万元", "80%"])),
                  max_size=60).map("".join)


@FAST
@given(ANSWER, st.lists(CORPUS_TEXT, min_size=1, max_size=3))
def test_verification_never_invents_a_marker_or_a_number(answer, sources):
    passages = _passages(sources)
    v = verify_answer(answer, passages)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", v.text)}
    assert markers <= {p.n for p in passages} and set(v.used) == markers
    support = " ".join(sources)
    for number in numbers_in(v.text):
        assert is_supported(number, support.replace("％", "%").replace(" ", "")), (number, v.text)
        assert number in numbers_in(answer), (number, answer)
